#pragma once
// The CEL-subset AST (see cel.hpp). Nodes are immutable once built; `&&`/`||` chains are flattened into one
// n-ary node, so an AST is never deeper than the parser's nesting limit.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/cel/cel.hpp"

namespace stk::cel {

struct Expr {
  enum class Kind {
    Literal,  // value: string | integer | boolean | null
    Column,   // resource.<name>
    AuthSub,  // request.auth.sub
    List,     // [args...] (only as the right side of `in`)
    Compare,  // op in == != < <= > >= ; args = {lhs, rhs}
    In,       // args = {lhs, List}
    HasRole,  // "<name>" in request.auth.roles
    Not,      // args = {operand}
    And,      // args = {2+ operands}
    Or,       // args = {2+ operands}
  };
  Kind kind = Kind::Literal;
  nlohmann::json value;       // Literal
  std::string name;           // Column: column name; HasRole: role
  std::string op;             // Compare: "==", "!=", "<", "<=", ">", ">="
  std::vector<ExprPtr> args;  // see Kind
  int offset = 0;             // byte offset in the source (0 for ASTs rebuilt from JSON)

  bool is_value() const { return kind == Kind::Literal || kind == Kind::Column || kind == Kind::AuthSub; }
};

constexpr int kMaxSourceLength = 4096;  // bytes
constexpr int kMaxDepth = 64;           // nesting of parentheses, lists, '!' and '&&'/'||' levels

}  // namespace stk::cel
