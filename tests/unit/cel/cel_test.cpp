// CEL subset (DESIGN Decision 3): parse, check, JSON AST, SQL lowering, permissions compilation, robustness.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "stk/cel/ast.hpp"
#include "stk/cel/cel.hpp"
#include "stk/core/error.hpp"
#include "stk/model/project.hpp"

using namespace stk;
using namespace stk::cel;

namespace {

const char* kSchema = R"(version: 1
tables:
  notes:
    columns:
      title: { type: string }
      owner_id: { type: string }
      editor_id: { type: string, nullable: true }
      status: { type: string, nullable: true }
      rank: { type: int }
      views: { type: bigint }
      score: { type: float }
      price: { type: decimal }
      archived: { type: boolean }
      flag: { type: boolean, nullable: true }
      meta: { type: json, nullable: true }
      labels: { type: array, items: string }
      created_at: { type: timestamp }
      blob: { type: bytes }
      cover: { type: file, bucket: media }
  counters:
    id: { generate: auto_increment }
    columns:
      n: { type: int }
)";

const model::Schema& schema() {
  static const model::Schema s = [] {
    model::Diagnostics d;
    model::Schema out = model::load_schema({{"schema/app.yaml", kSchema}}, {}, d);
    EXPECT_FALSE(d.has_errors());
    return out;
  }();
  return s;
}
const model::Table& notes() {
  return *schema().table("notes");
}

// "ok" or "offset: message" of the first problem (parse, then check against `notes`).
std::string verdict(const std::string& src, const model::Table& table = notes()) {
  ParseResult r = parse(src);
  std::vector<Problem> problems = r.expr ? check(*r.expr, table) : r.problems;
  if (problems.empty()) return "ok";
  return std::to_string(problems[0].offset) + ": " + problems[0].message;
}

std::string ast(const std::string& src) {
  ParseResult r = parse(src);
  if (!r.expr) return "error: " + r.problems.at(0).message;
  return to_json(*r.expr).dump();
}

std::string params_text(const Lowered& l) {
  std::string out;
  for (const auto& p : l.params) {
    if (!out.empty()) out += ", ";
    switch (p.kind) {
      case Param::Kind::Literal:
        out += p.value.dump();
        break;
      case Param::Kind::AuthSub:
        out += "<sub>";
        break;
      case Param::Kind::AuthRoles:
        out += "<roles>";
        break;
    }
  }
  return out;
}

std::pair<std::string, std::string> lowered(const std::string& src, int first = 1) {
  ParseResult r = parse(src);
  EXPECT_TRUE(r.expr) << src << ": " << (r.problems.empty() ? "" : r.problems[0].message);
  if (!r.expr) return {};
  EXPECT_TRUE(check(*r.expr, notes()).empty()) << src;
  Lowered l = lower(*r.expr, notes(), first);
  return {l.sql, params_text(l)};
}

}  // namespace

TEST(CelParse, AcceptedShapesAndNormalisedAst) {
  EXPECT_EQ(ast("resource.owner_id == request.auth.sub"),
            R"({"args":[{"col":"owner_id"},{"sub":true}],"op":"=="})");
  EXPECT_EQ(ast("request.auth.sub == resource.owner_id"),
            R"({"args":[{"sub":true},{"col":"owner_id"}],"op":"=="})");
  EXPECT_EQ(ast("resource.status == 'published'"),
            R"({"args":[{"col":"status"},{"lit":"published"}],"op":"=="})");
  EXPECT_EQ(ast(R"(resource.title == "a\"b\\c\n\t\r\'")"),
            R"({"args":[{"col":"title"},{"lit":"a\"b\\c\n\t\r'"}],"op":"=="})");
  EXPECT_EQ(ast("resource.rank >= -5"), R"({"args":[{"col":"rank"},{"lit":-5}],"op":">="})");
  EXPECT_EQ(ast("resource.rank < 0x10"), R"({"args":[{"col":"rank"},{"lit":16}],"op":"<"})");
  EXPECT_EQ(ast("resource.status == null"), R"({"args":[{"col":"status"},{"lit":null}],"op":"=="})");
  EXPECT_EQ(ast("resource.archived"), R"({"col":"archived"})");
  EXPECT_EQ(ast("!resource.archived"), R"({"args":[{"col":"archived"}],"op":"!"})");
  EXPECT_EQ(ast("'admin' in request.auth.roles"), R"({"op":"hasRole","role":"admin"})");
  EXPECT_EQ(ast("resource.status in ['a', \"b\",]"),
            R"({"args":[{"col":"status"},{"list":[{"lit":"a"},{"lit":"b"}]}],"op":"in"})");
  // && binds tighter than ||; chains (also through parentheses) are flattened.
  EXPECT_EQ(
      ast("resource.archived || resource.rank == 1 && resource.flag"),
      R"({"args":[{"col":"archived"},{"args":[{"args":[{"col":"rank"},{"lit":1}],"op":"=="},{"col":"flag"}],)"
      R"("op":"&&"}],"op":"||"})");
  EXPECT_EQ(ast("(resource.archived && resource.flag) && (true && resource.archived)"),
            R"({"args":[{"col":"archived"},{"col":"flag"},{"lit":true},{"col":"archived"}],"op":"&&"})");
  EXPECT_EQ(ast(" ( ( resource.archived ) ) // trailing comment"), R"({"col":"archived"})");
  EXPECT_EQ(ast("resource.views == -9223372036854775808"),
            R"({"args":[{"col":"views"},{"lit":-9223372036854775808}],"op":"=="})");
}

TEST(CelParse, RejectsWithUnsupportedAndOffset) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"resource.title.startsWith('a')", "15: unsupported function call 'startsWith'"},
      {"size(resource.labels) > 1", "0: unsupported function call 'size'"},
      {"has(resource.title)", "0: unsupported macro 'has'"},
      {"resource.labels.exists(x, x == 'a')", "16: unsupported macro 'exists'"},
      {"resource.rank == 1 ? true : false", "19: unsupported conditional operator '?:'"},
      {"resource.labels[0] == 'a'", "15: unsupported indexing 'resource.labels[...]'"},
      {"resource.rank + 1 == 2", "14: unsupported arithmetic operator '+'"},
      {"resource.rank == 2 * 3", "19: unsupported arithmetic operator '*'"},
      {"-resource.rank == 1", "0: unsupported arithmetic negation '-'"},
      {"resource.score == 1.5", "18: unsupported float literal '1.5'"},
      {"resource.score == 1e3", "18: unsupported float literal '1e3'"},
      {"resource.rank == 1u", "17: unsupported unsigned integer literal '1u'"},
      {"request.params.id == resource.title",
       "0: unsupported reference 'request.params.id' (only request.auth.sub "
       "and request.auth.roles are supported)"},
      {"user.id == resource.title", "0: unsupported reference 'user.id'"},
      {"x == resource.title", "0: unsupported identifier 'x'"},
      {"resource == null", "0: unsupported reference 'resource' (use resource.<column>)"},
      {"resource.a.b == 1", "0: unsupported field selection 'resource.a.b'"},
      {"resource.title == b'abc'", "18: unsupported bytes literal"},
      {"resource.title == r'abc'", "18: unsupported raw string literal"},
      {"resource.title == '''abc'''", "18: unsupported triple-quoted string"},
      {"resource.title == 'a\\x41'",
       "20: unsupported escape sequence '\\x' (supported: \\\\ \\\" \\' \\n \\r \\t)"},
      {"", "0: unsupported empty expression"},
      {"   \n\t", "0: unsupported empty expression"},
      {"{'a': 1}", "0: unsupported map literal '{...}'"},
      {"Msg{a: 1}", "3: unsupported message construction 'Msg{...}'"},
      {"request.auth.roles == 'a'",
       "0: unsupported use of 'request.auth.roles' (only \"<role>\" in "
       "request.auth.roles is supported)"},
      {"resource.title in request.auth.roles",
       "0: unsupported role check: the left side of 'in request.auth.roles' must be a string literal"},
      {"resource.title in resource.labels",
       "18: unsupported 'in' operand: the right side must be a list literal [...] or request.auth.roles"},
      {"resource.title in [resource.owner_id]",
       "19: unsupported list element: only literals are allowed in 'in' lists"},
      {"resource.rank == 1 == true",
       "19: unsupported chained comparison '==' (combine comparisons with && or ||)"},
      {"(resource.rank == 1) == true",
       "0: unsupported comparison operand: only resource.<column>, request.auth.sub and literals can be "
       "compared"},
      {"resource.labels == ['a']", "19: unsupported comparison of a list (use 'in' to test membership)"},
      {"if == 1", "0: unsupported reserved word 'if'"},
      {".resource.title == 'a'", "0: unsupported leading '.' in a qualified name"},
      {"['a']", "0: unsupported list literal outside of 'in' (use x in [...])"},
      {"[]||1", "0: unsupported list literal outside of 'in' (use x in [...])"},
      {"resource.archived && ![1]", "22: unsupported list literal outside of 'in' (use x in [...])"},
  };
  for (const auto& [src, want] : cases) {
    EXPECT_EQ(verdict(src), want) << src;
    if (want.find("unsupported") != std::string::npos) {
      ParseResult r = parse(src);
      EXPECT_EQ(r.expr, nullptr) << src;
    }
  }
}

TEST(CelParse, SyntaxErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"resource.title = 'a'", "15: unexpected '=' (use '==' to compare)"},
      {"resource.archived & true", "18: unexpected '&' (use '&&')"},
      {"resource.archived | true", "18: unexpected '|' (use '||')"},
      {"resource.title == 'abc", "18: unterminated string literal"},
      {"resource.title == \"a\nb\"", "18: unterminated string literal"},
      {"(resource.archived", "18: expected ')' before the end of the expression"},
      {"resource.archived)", "17: unexpected ')'"},
      {"resource.title ==", "17: unexpected end of expression"},
      {"resource.title == 'a' 'b'", "22: unexpected ''b''"},
      {"resource.", "9: expected a field name after '.'"},
      {"resource.rank == 99999999999999999999",
       "17: integer literal '99999999999999999999' is out of the 64-bit range"},
      {"resource.rank == 9223372036854775808",
       "17: integer literal '9223372036854775808' is out of the 64-bit range"},
      {"resource.rank == 12abc", "17: invalid number '12abc'"},
      {"resource.title == 'a' # x", "22: unexpected character '#'"},
      {"resource.title == '\xff'", "18: invalid UTF-8 in string literal"},
      {"resource.title in ['a' 'b']", "23: expected ',' or ']', found ''b''"},
      {"&& resource.archived", "0: unexpected '&&'"},
  };
  for (const auto& [src, want] : cases) EXPECT_EQ(verdict(src), want) << src;
}

TEST(CelCheck, AcceptedAgainstTheTable) {
  const std::vector<std::string> ok = {
      "resource.owner_id == request.auth.sub",
      "request.auth.sub == resource.id",
      "resource.status == 'published' || resource.status == null",
      "resource.status != null && resource.rank >= 3",
      "resource.views == 12 && resource.views == '123456789012345678'",
      "resource.score > 1 && resource.price <= '10.50' && resource.price < 10",
      "resource.created_at >= '2024-01-01T00:00:00Z'",
      "resource.blob == 'aGVsbG8='",
      "resource.cover == 'uploads/x.png'",
      "resource.archived == false && !resource.archived",
      "resource.flag",
      "resource.flag != null",
      "resource.meta == null",
      "resource.rank in [1, 2, 3]",
      "resource.title in ['a', 'b'] && 'admin' in request.auth.roles",
      "request.auth.sub in ['u1', 'u2']",
      "resource.owner_id == resource.editor_id || resource.rank < resource.views",
      "true",
      "resource.title < 'm'",
  };
  for (const auto& src : ok) EXPECT_EQ(verdict(src), "ok") << src;
  EXPECT_EQ(verdict("resource.id > 5", *schema().table("counters")), "ok");
}

TEST(CelCheck, RejectedAgainstTheTable) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"resource.ghost == 'a'", "0: unknown column 'ghost' in resource.ghost (table 'notes')"},
      {"resource.rank == 'a'",
       "17: type mismatch: column 'rank' is int; it cannot be compared with a string literal"},
      {"resource.title == 5",
       "18: type mismatch: column 'title' is string; it cannot be compared with an int literal"},
      {"resource.archived == 'true'",
       "21: type mismatch: column 'archived' is boolean; it cannot be compared with a string literal"},
      {"resource.rank == true",
       "17: type mismatch: column 'rank' is int; it cannot be compared with a bool literal"},
      {"resource.views == '12x'", "18: \"12x\" is not a valid bigint for column 'views'"},
      {"resource.price == 'ten'", "18: \"ten\" is not a valid decimal for column 'price'"},
      {"resource.created_at > 'yesterday'",
       "22: \"yesterday\" is not a valid timestamp for column 'created_at'"},
      {"resource.blob == '!!'", "17: \"!!\" is not a valid bytes for column 'blob'"},
      {"resource.rank == 3000000000", "17: 3000000000 is out of range for int column 'rank'"},
      {"resource.rank == request.auth.sub",
       "17: request.auth.sub can only be compared with a string column; 'rank' is int"},
      {"resource.cover == request.auth.sub",
       "18: request.auth.sub can only be compared with a string column; 'cover' is file"},
      {"resource.title == null", "18: column 'title' is not nullable; it is never null"},
      {"resource.status < null", "0: null can only be compared with == or !="},
      {"request.auth.sub == null", "20: request.auth.sub is a string; it cannot be compared with null"},
      {"request.auth.sub == 1",
       "20: request.auth.sub is a string; it cannot be compared with an int literal"},
      {"resource.archived < true", "0: operator '<' is not supported on boolean column 'archived'"},
      {"resource.flag >= resource.archived", "0: operator '>=' is not supported on boolean columns"},
      {"resource.meta == 'x'", "0: column 'meta' is json; it can only be compared with null"},
      {"resource.meta == null && resource.labels == 'x'",
       "25: column 'labels' is array<string>; it can only be compared with null"},
      {"resource.title == resource.rank",
       "0: type mismatch: resource.title is string but resource.rank is int"},
      {"resource.rank in []", "17: the list of 'in' must not be empty"},
      {"resource.rank in [1, 'a']",
       "21: type mismatch: column 'rank' is int; it cannot be compared with a string literal"},
      {"resource.status in ['a', null]", "25: null is not allowed in an 'in' list (use == null)"},
      {"'a' == 'a'", "0: unsupported comparison of two literals (compare a resource column)"},
      {"'a' in ['a']", "0: unsupported comparison of two literals (compare a resource column)"},
      {"resource.title",
       "0: resource.title is a string column, not a boolean expression (compare it with a value)"},
      {"resource.title && true",
       "0: resource.title is a string column, not a boolean expression (compare it with a value)"},
      {"!request.auth.sub",
       "1: request.auth.sub is a string, not a boolean expression (compare it with a column)"},
      {"'x'", "0: the condition must be a boolean expression, not a string literal"},
      {"1 || resource.archived", "0: the condition must be a boolean expression, not an int literal"},
      {"'' in request.auth.roles", "0: role name must not be empty in \"\" in request.auth.roles"},
  };
  for (const auto& [src, want] : cases) EXPECT_EQ(verdict(src), want) << src;
  // Every problem is reported, not just the first.
  ParseResult r = parse("resource.a == 1 && resource.rank == 'x' || resource.b");
  ASSERT_TRUE(r.expr);
  std::vector<Problem> all = check(*r.expr, notes());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].offset, 0);
  EXPECT_EQ(all[1].offset, 36);
  EXPECT_EQ(all[2].offset, 43);
}

TEST(CelLower, ExactSqlAndParams) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(lowered("resource.owner_id == request.auth.sub", 3), (P{R"(("owner_id" = $3::text))", "<sub>"}));
  EXPECT_EQ(lowered("request.auth.sub == resource.owner_id"), (P{R"(("owner_id" = $1::text))", "<sub>"}));
  EXPECT_EQ(lowered("resource.rank >= 5"), (P{R"(("rank" >= $1::integer))", "5"}));
  EXPECT_EQ(lowered("5 < resource.rank"), (P{R"(("rank" > $1::integer))", "5"}));
  EXPECT_EQ(lowered("resource.views != '12'"), (P{R"(("views" <> $1::bigint))", R"("12")"}));
  EXPECT_EQ(lowered("resource.score > 2"), (P{R"(("score" > $1::double precision))", "2"}));
  EXPECT_EQ(lowered("resource.price <= '9.99'"), (P{R"(("price" <= $1::numeric))", R"("9.99")"}));
  EXPECT_EQ(lowered("resource.archived == true"), (P{R"(("archived" = $1::boolean))", "true"}));
  EXPECT_EQ(lowered("resource.created_at < '2024-01-01T00:00:00Z'"),
            (P{R"(("created_at" < $1::timestamptz))", R"("2024-01-01T00:00:00Z")"}));
  EXPECT_EQ(lowered("resource.blob == 'aGk='"), (P{R"(("blob" = decode($1::text, 'base64')))", R"("aGk=")"}));
  EXPECT_EQ(lowered("resource.status == null"), (P{R"(("status" IS NULL))", ""}));
  EXPECT_EQ(lowered("null != resource.status"), (P{R"(("status" IS NOT NULL))", ""}));
  // Nullable columns keep CEL's two-valued equality.
  EXPECT_EQ(lowered("resource.status == 'x'"),
            (P{R"(("status" IS NOT NULL AND "status" = $1::text))", R"("x")"}));
  EXPECT_EQ(lowered("resource.status != 'x'"),
            (P{R"(("status" IS NULL OR "status" <> $1::text))", R"("x")"}));
  EXPECT_EQ(lowered("resource.owner_id == resource.editor_id"),
            (P{R"(("owner_id" IS NOT DISTINCT FROM "editor_id"))", ""}));
  EXPECT_EQ(lowered("resource.rank < resource.views"), (P{R"(("rank" < "views"))", ""}));
  EXPECT_EQ(lowered("resource.rank in [1, 2]"), (P{R"(("rank" IN ($1::integer, $2::integer)))", "1, 2"}));
  EXPECT_EQ(lowered("resource.status in ['a']"),
            (P{R"(("status" IS NOT NULL AND "status" IN ($1::text)))", R"("a")"}));
  EXPECT_EQ(lowered("request.auth.sub in ['u1']"), (P{R"(($1::text IN ($2::text)))", R"(<sub>, "u1")"}));
  EXPECT_EQ(lowered("'admin' in request.auth.roles", 4),
            (P{R"(($4::text[] @> ARRAY[$5::text]))", R"(<roles>, "admin")"}));
  EXPECT_EQ(lowered("resource.flag"), (P{R"("flag")", ""}));
  EXPECT_EQ(lowered("true"), (P{R"($1::boolean)", "true"}));
  // Combination: sub and roles parameters are allocated once and reused.
  EXPECT_EQ(
      lowered(
          "'admin' in request.auth.roles || (resource.owner_id == request.auth.sub && "
          "!resource.archived) || 'staff' in request.auth.roles || resource.editor_id == request.auth.sub",
          2),
      (P{R"((($2::text[] @> ARRAY[$3::text]) OR (("owner_id" = $4::text) AND (NOT "archived")) OR )"
         R"(($2::text[] @> ARRAY[$5::text]) OR ("editor_id" IS NOT NULL AND "editor_id" = $4::text)))",
         R"(<roles>, "admin", <sub>, "staff")"}));
  ParseResult r = parse("resource.owner_id == request.auth.sub");
  EXPECT_TRUE(lower(*r.expr, notes(), 1).uses_auth_sub);
  EXPECT_FALSE(lower(*parse("resource.rank == 1").expr, notes(), 1).uses_auth_sub);
}

TEST(CelLower, QuotesIdentifiersAndRefusesUnknownColumns) {
  model::Table t;
  t.name = "odd";
  model::Column c;
  c.name = "we\"ird";
  c.type = "string";
  t.columns.push_back(c);
  auto e = std::make_shared<Expr>();
  e->kind = Expr::Kind::Compare;
  e->op = "==";
  auto col = std::make_shared<Expr>();
  col->kind = Expr::Kind::Column;
  col->name = "we\"ird";
  auto lit = std::make_shared<Expr>();
  lit->kind = Expr::Kind::Literal;
  lit->value = "x'; DROP TABLE odd; --";
  e->args = {col, lit};
  Lowered l = lower(*e, t, 1);
  EXPECT_EQ(l.sql, R"(("we""ird" = $1::text))");
  EXPECT_EQ(l.params.at(0).value, "x'; DROP TABLE odd; --");
  EXPECT_THROW(lower(*parse("resource.nope == 1").expr, notes(), 1), stk::Error);
}

TEST(CelJson, RoundTripAndRejection) {
  const std::vector<std::string> srcs = {
      "resource.owner_id == request.auth.sub",
      "'admin' in request.auth.roles || !(resource.rank in [1, 2] && resource.status != null)",
      "resource.views == -9223372036854775808 || resource.title == 'é\"'",
      "true",
  };
  for (const auto& src : srcs) {
    ParseResult r = parse(src);
    ASSERT_TRUE(r.expr) << src;
    nlohmann::json j = to_json(*r.expr);
    ExprPtr back = from_json(nlohmann::json::parse(j.dump()));
    EXPECT_EQ(to_json(*back), j) << src;
    EXPECT_EQ(lower(*back, notes(), 1).sql, lower(*r.expr, notes(), 1).sql) << src;
  }
  const std::vector<std::string> bad = {
      R"([])",
      R"({})",
      R"({"op":"=="})",
      R"({"op":"==","args":[{"col":"a"}]})",
      R"({"op":"==","args":[{"col":"a"},{"op":"!","args":[{"col":"b"}]}]})",
      R"({"op":"in","args":[{"col":"a"},{"lit":1}]})",
      R"({"op":"&&","args":[{"col":"a"}]})",
      R"({"op":"like","args":[{"col":"a"},{"lit":"x"}]})",
      R"({"lit":1.5})",
      R"({"lit":{"a":1}})",
      R"({"col":""})",
      R"({"sub":false})",
      R"({"op":"hasRole"})",
      R"({"list":[{"col":"a"}]})",
      R"({"op":"!","args":[{"list":[]}]})",
  };
  for (const auto& b : bad) EXPECT_THROW(from_json(nlohmann::json::parse(b)), stk::Error) << b;
  // Deep nesting is refused, not recursed into without bound.
  nlohmann::json deep = {{"col", "archived"}};
  for (int i = 0; i < 200; ++i) deep = {{"op", "!"}, {"args", nlohmann::json::array({deep})}};
  EXPECT_THROW(from_json(deep), stk::Error);
}

TEST(CelRobustness, LimitsInsteadOfCrashes) {
  std::string parens = std::string(10000, '(') + "resource.archived" + std::string(10000, ')');
  ParseResult r1 = parse(parens);
  ASSERT_EQ(r1.problems.size(), 1u);
  EXPECT_EQ(r1.problems[0].message, "condition is too long (20017 bytes, max 4096)");
  std::string mb(1 << 20, 'a');
  ParseResult r2 = parse("resource.title == '" + mb + "'");
  ASSERT_EQ(r2.problems.size(), 1u);
  EXPECT_EQ(r2.problems[0].message, "condition is too long (1048596 bytes, max 4096)");
  // Within the length limit, nesting is bounded.
  EXPECT_EQ(verdict(std::string(4096, '(')), "63: expression is nested too deeply (max 64 levels)");
  std::string nest = std::string(100, '(') + "resource.archived" + std::string(100, ')');
  EXPECT_EQ(verdict(nest), "63: expression is nested too deeply (max 64 levels)");
  std::string nots = std::string(1000, '!') + "resource.archived";
  EXPECT_EQ(verdict(nots), "63: expression is nested too deeply (max 64 levels)");
  std::string lists = "resource.rank in " + std::string(200, '[');
  EXPECT_EQ(verdict(lists), "80: expression is nested too deeply (max 64 levels)");
  std::string ok = std::string(60, '(') + "resource.archived" + std::string(60, ')');
  EXPECT_EQ(verdict(ok), "ok");
  // Long flat chains are fine (n-ary nodes, no deep recursion).
  std::string chain = "resource.archived";
  while (chain.size() < 4000) chain += " && resource.archived";
  EXPECT_EQ(verdict(chain), "ok");
  EXPECT_EQ(to_json(*parse(chain).expr)["args"].size(), 191u);
  // Every byte value and truncations of a valid expression: no crash, a verdict every time.
  const std::string base =
      "'admin' in request.auth.roles || (resource.status in ['a', \"b\"] && !resource.flag)";
  for (size_t n = 0; n <= base.size(); ++n) (void)verdict(base.substr(0, n));
  for (int b = 0; b < 256; ++b) {
    std::string s = base;
    for (size_t i = 0; i < s.size(); i += 7) {
      std::string m = s;
      m[i] = char(b);
      (void)verdict(m);
    }
  }
}

TEST(CelCompile, PermissionsDocumentAndPositionedErrors) {
  const std::string perms = R"(tables:
  notes:
    select:
      - roles: [support]
      - roles: [authenticated]
        condition: "resource.owner_id == request.auth.sub"
        columns: [id, title]
    update:
      roles: [authenticated]
      condition: resource.title.startsWith('a') && resource.owner_id == request.auth.sub
    delete:
      - roles: [admin]
        condition: >
          resource.rank == 'x'
      - roles: [staff]
        condition: "resource.ghost == 1 || resource.rank == 'y'"
  counters:
    insert:
      roles: [a]
      columns: ["*"]
      condition: "'admin' in request.auth.roles"
)";
  model::Diagnostics diags;
  model::Permissions p = model::load_permissions("config/permissions.yaml", perms, schema(), diags);
  ASSERT_FALSE(diags.has_errors());
  nlohmann::json doc = compile_permissions(p, schema(), "config/permissions.yaml", diags);
  std::vector<std::string> errors;
  for (const auto& d : diags.errors()) errors.push_back(d.str());
  EXPECT_EQ(
      errors,
      (std::vector<std::string>{
          "config/permissions.yaml:13:20: condition \"resource.rank == 'x'\": type mismatch: column 'rank' "
          "is int; it cannot be compared with a string literal",
          "config/permissions.yaml:16:21: condition \"resource.ghost == 1 || resource.rank == 'y'\": unknown "
          "column 'ghost' in resource.ghost (table 'notes')",
          "config/permissions.yaml:16:61: condition \"resource.ghost == 1 || resource.rank == 'y'\": type "
          "mismatch: column 'rank' is int; it cannot be compared with a string literal",
          "config/permissions.yaml:10:33: condition \"resource.title.startsWith('a') && resource.owner_id == "
          "request.auth.sub\": unsupported function call 'startsWith'",
      }));
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(
      doc["tables"]["notes"]["select"].dump(),
      R"([{"columns":["*"],"roles":["support"]},{"columns":["id","title"],)"
      R"("condition":"resource.owner_id == request.auth.sub","conditionAst":{"args":[{"col":"owner_id"},)"
      R"({"sub":true}],"op":"=="},"roles":["authenticated"]}])");
  EXPECT_EQ(doc["tables"]["counters"]["insert"].dump(),
            R"([{"columns":["*"],"condition":"'admin' in request.auth.roles",)"
            R"("conditionAst":{"op":"hasRole","role":"admin"},"roles":["a"]}])");
  EXPECT_FALSE(doc["tables"]["notes"]["update"][0].contains("conditionAst"));
}

TEST(CelCompile, ExampleBlogPermissionsCompile) {
  model::ProjectFiles f = model::read_project_dir(std::string(STK_SOURCE_DIR) + "/examples/blog");
  model::Diagnostics diags;
  model::Project p = model::load_project(f, {}, diags);
  nlohmann::json doc = compile_permissions(p.permissions, p.schema, "config/permissions.yaml", diags);
  for (const auto& d : diags.items) ADD_FAILURE() << d.str();
  EXPECT_TRUE(doc["tables"]["posts"]["select"][1].contains("conditionAst"));
}
