// fuzz-link: stk::cel
// libFuzzer target for the CEL subset (libs/cel): arbitrary bytes as a condition source, and as a JSON AST.
//   source -> parse -> check against a fixed table -> lower, and to_json -> from_json -> to_json round trip.
//   JSON   -> from_json -> check -> lower (ASTs from release payloads are rebuilt without re-parsing).
// Invariants (a violation aborts, which libFuzzer reports as a crash):
//   - parse never throws; it returns either an AST or at least one problem, offsets inside the source;
//   - check never throws; lower of a checked AST never throws;
//   - lowering binds every value: each $n in the SQL is one of its own parameters, and every parameter is
//   used;
//   - every parsed AST survives the JSON round trip unchanged, and lowers to the same SQL afterwards;
//   - from_json on any JSON either builds an AST or throws stk::Error (nothing else).
// Build and run: see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "stk/cel/ast.hpp"
#include "stk/cel/cel.hpp"
#include "stk/core/error.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_cel invariant violated: %s %.*s\n", what, int(detail.size()), detail.data());
  std::abort();
}

stk::model::Column col(const char* name, const char* type, bool nullable = false, const char* items = "") {
  stk::model::Column c;
  c.name = name;
  c.type = type;
  c.items = items;
  c.nullable = nullable;
  return c;
}

// Every logical type once, plus nullable variants of the common ones.
const stk::model::Table& table() {
  static const stk::model::Table t = [] {
    stk::model::Table t;
    t.name = "notes";
    t.columns = {col("title", "string"),
                 col("owner_id", "string"),
                 col("status", "string", true),
                 col("rank", "int"),
                 col("views", "bigint"),
                 col("score", "float"),
                 col("price", "decimal"),
                 col("archived", "boolean"),
                 col("flag", "boolean", true),
                 col("meta", "json", true),
                 col("labels", "array", false, "string"),
                 col("created_at", "timestamp"),
                 col("blob", "bytes"),
                 col("cover", "file")};
    return t;
  }();
  return t;
}

// The $n placeholders of `sql` must be exactly first..first+count-1, each used at least once.
void check_placeholders(const stk::cel::Lowered& l, int first) {
  std::set<long> seen;
  const std::string& s = l.sql;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$') continue;
    size_t j = i + 1;
    long n = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9' && n < 1000000) n = n * 10 + (s[j++] - '0');
    if (j == i + 1) fail("'$' without a number in lowered SQL:", s);
    if (n < first || n >= first + long(l.params.size())) fail("placeholder out of range:", s);
    seen.insert(n);
    i = j - 1;
  }
  if (seen.size() != l.params.size()) fail("a parameter is never referenced:", s);
}

stk::cel::Lowered lower_checked(const stk::cel::Expr& e, int first) {
  try {
    auto l = stk::cel::lower(e, table(), first);
    if (l.sql.empty()) fail("empty SQL for a checked expression");
    check_placeholders(l, first);
    return l;
  } catch (const stk::Error& err) {
    fail("lower threw on a checked expression:", err.what());
  }
}

void fuzz_source(std::string_view src) {
  stk::cel::ParseResult r = stk::cel::parse(src);
  if (!r.expr && r.problems.empty()) fail("parse returned neither an AST nor a problem");
  if (r.expr && !r.problems.empty()) fail("parse returned an AST and problems");
  for (const auto& p : r.problems) {
    if (p.offset < 0 || size_t(p.offset) > src.size()) fail("problem offset outside the source");
    if (p.message.empty()) fail("problem without a message");
  }
  if (!r.expr) return;

  nlohmann::json j = stk::cel::to_json(*r.expr);
  stk::cel::ExprPtr back;
  try {
    back = stk::cel::from_json(j);
  } catch (const stk::Error& err) {
    fail("parsed AST does not survive from_json:", err.what());
  }
  if (!back) fail("from_json returned null");
  if (stk::cel::to_json(*back) != j) fail("JSON round trip changed the AST:", j.dump());

  auto problems = stk::cel::check(*r.expr, table());
  if (!stk::cel::check(*back, table()).empty() != !problems.empty())
    fail("check disagrees between parsed and rebuilt AST:", j.dump());
  if (!problems.empty()) return;
  auto a = lower_checked(*r.expr, 1);
  auto b = lower_checked(*back, 1);
  if (a.sql != b.sql || a.params.size() != b.params.size()) fail("rebuilt AST lowers differently:", a.sql);
  lower_checked(*r.expr, 7);  // a fragment appended after six other parameters
}

void fuzz_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return;
  stk::cel::ExprPtr e;
  try {
    e = stk::cel::from_json(j);
  } catch (const stk::Error&) {
    return;
  }
  if (!e) fail("from_json returned null");
  if (!stk::cel::check(*e, table()).empty()) return;
  lower_checked(*e, 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz_source(in);
  if (!in.empty() && (in.front() == '{' || in.front() == '[')) fuzz_json(in);
  return 0;
}
