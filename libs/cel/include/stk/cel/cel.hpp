#pragma once
// The CEL subset of DESIGN.md Decision 3, for permission conditions:
//   == != < <= > >=, && || !, parentheses, `x in [list]`, `"role" in request.auth.roles`,
//   resource.<col>, request.auth.sub, string/int/bool/null literals.
// Anything else is rejected with the offending construct named ("unsupported ...").
// parse -> check against a table of the schema IR -> lower to a SQL predicate with bind parameters.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/model/diagnostics.hpp"
#include "stk/model/permissions.hpp"
#include "stk/model/schema.hpp"

namespace stk::cel {

struct Expr;  // immutable AST node (defined in ast.hpp)
using ExprPtr = std::shared_ptr<const Expr>;

struct Problem {
  int offset = 0;       // 0-based byte offset into the source where the problem starts
  std::string message;  // e.g. "unsupported function call 'startsWith'"
};

struct ParseResult {
  ExprPtr expr;  // null when problems is non-empty
  std::vector<Problem> problems;
};

ParseResult parse(std::string_view source);

// Type-checks `expr` against `table` (resource.<col> must exist; operand types must agree with the column's
// logical type; request.auth.sub only against string columns; the whole expression must be boolean).
std::vector<Problem> check(const Expr& expr, const model::Table& table);

// Normalised AST as JSON (stored in the release; the Bridge can rebuild the AST without re-parsing text).
nlohmann::json to_json(const Expr& expr);
ExprPtr from_json(const nlohmann::json& j);  // throws stk::Error(BadRequest) on malformed input

// SQL lowering. Values are never inlined: each literal, the caller's sub and the caller's roles become a
// parameter. `first_param` is the $-number of the first parameter this fragment may use.
struct Param {
  enum class Kind { Literal, AuthSub, AuthRoles } kind = Kind::Literal;
  nlohmann::json value;  // Literal only
};
struct Lowered {
  std::string sql;            // e.g. ("owner_id" = $3)   -- identifiers quoted, referenced as "col"
  std::vector<Param> params;  // params[i] binds $(first_param + i)
  bool uses_auth_sub = false;
};
Lowered lower(const Expr& expr, const model::Table& table, int first_param);

// Checks every rule of `permissions` (table/column references; conditions parsed and checked) and returns the
// compiled permissions document embedded in a release:
//   {"version":1,"tables":{t:{op:[{"roles":[...],"columns":["*"]|[...],"condition":"src","conditionAst":{...}}]}}}
// Problems are reported into `diags` at the rule's file:line:col with the offending expression.
nlohmann::json compile_permissions(const model::Permissions& permissions, const model::Schema& schema,
                                   const std::string& permissions_path, model::Diagnostics& diags);

}  // namespace stk::cel
