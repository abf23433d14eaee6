// fuzz-link: stk_bridge_call
// libFuzzer target for the Bridge's request path up to SQL: arbitrary bytes as a POST /call body, planned
// against a fixed release for a few principals (admin, reader, writer).
// Invariants (a violation aborts, which libFuzzer reports as a crash):
//   - parse_call_body / parse_route / plan_call either return or throw stk::Error (nothing else, no crash);
//   - a planned statement's SQL contains no caller string values: every string value in the body that is
//     not a known identifier is absent from the SQL text (values travel as bind parameters);
//   - every $n in the SQL is within the statement's parameters;
//   - stk::parse_json (simdjson) and nlohmann::ordered_json::parse agree on every body nested no deeper than
//     stk::kMaxJsonDepth: both reject it, or both read the same value.
// Build and run: see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../unit/bridge/release_fixture.hpp"
#include "call/plan.hpp"
#include "call/request.hpp"
#include "stk/core/error.hpp"
#include "stk/core/json.hpp"

namespace {

using namespace stk::bridge;

const EnvRelease& release() {
  static auto rel = fixture::make_release();
  return *rel;
}

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_call invariant broken: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Strings of the body that look like smuggled SQL must never appear in the SQL text.
void collect_suspicious(const nlohmann::ordered_json& j, std::vector<std::string>& out) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s.size() >= 4 && (s.find('\'') != std::string::npos || s.find(';') != std::string::npos))
      out.push_back(s);
  } else if (j.is_structured()) {
    for (const auto& [k, v] : j.items()) {
      (void)k;
      collect_suspicious(v, out);
    }
  }
}

void check_params(const Statement& st) {
  const std::string& sql = st.sql;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '$') continue;
    size_t j = i + 1;
    long n = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
    if (j > i + 1 && (n < 1 || size_t(n) > st.params.size())) fail("placeholder out of range", sql);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    auto fast = stk::parse_json(body);
    auto ref = nlohmann::ordered_json::parse(body.begin(), body.end(), nullptr, false);
    if (fast.has_value() == ref.is_discarded())
      fail("parse_json and nlohmann disagree on whether the body is JSON", std::string(body));
    if (fast && (fast->dump() != ref.dump() || *fast != ref))
      fail("parse_json and nlohmann read different values", std::string(body));
  } catch (const stk::Error&) {
    // nesting deeper than stk::kMaxJsonDepth: refused instead of parsed (a 400)
  }
  Limits limits;
  for (const char* role : {"admin", "reader", "writer"}) {
    try {
      CallRequest req = parse_call_body(body);
      Route route = parse_route(req.path);
      Principal who;
      who.id = "key_fuzz";
      who.roles = {role};
      who.env = &release();
      Statement st = plan_call(release(), route, req.params, who, limits);
      check_params(st);
      std::vector<std::string> suspicious;
      collect_suspicious(req.params, suspicious);
      for (const auto& s : suspicious)
        if (st.sql.find(s) != std::string::npos) fail("caller text reached SQL", s + "\n" + st.sql);
    } catch (const stk::Error&) {
      // expected: a clear error for the caller
    }
  }
  return 0;
}
