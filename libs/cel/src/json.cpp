// Normalised AST <-> JSON (stored in releases). Shapes:
//   {"lit": "x" | 1 | true | null}   {"col": "owner_id"}   {"sub": true}   {"list": [<lit>...]}
//   {"op": "==|!=|<|<=|>|>=", "args": [a, b]}   {"op": "in", "args": [a, {"list": [...]}]}
//   {"op": "hasRole", "role": "admin"}   {"op": "!", "args": [x]}   {"op": "&&|||", "args": [x, y, ...]}
#include <cstdint>
#include <string>

#include "stk/cel/ast.hpp"
#include "stk/cel/cel.hpp"
#include "stk/core/error.hpp"

namespace stk::cel {

nlohmann::json to_json(const Expr& e) {
  using K = Expr::Kind;
  nlohmann::json j = nlohmann::json::object();
  auto args = [&] {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& x : e.args) a.push_back(to_json(*x));
    return a;
  };
  switch (e.kind) {
    case K::Literal:
      j["lit"] = e.value;
      break;
    case K::Column:
      j["col"] = e.name;
      break;
    case K::AuthSub:
      j["sub"] = true;
      break;
    case K::List:
      j["list"] = args();
      break;
    case K::Compare:
      j["op"] = e.op;
      j["args"] = args();
      break;
    case K::In:
      j["op"] = "in";
      j["args"] = args();
      break;
    case K::HasRole:
      j["op"] = "hasRole";
      j["role"] = e.name;
      break;
    case K::Not:
      j["op"] = "!";
      j["args"] = args();
      break;
    case K::And:
      j["op"] = "&&";
      j["args"] = args();
      break;
    case K::Or:
      j["op"] = "||";
      j["args"] = args();
      break;
  }
  return j;
}

namespace {

[[noreturn]] void bad(const std::string& why) {
  throw stk::Error(stk::Code::BadRequest, "malformed condition AST: " + why);
}

std::shared_ptr<Expr> node(Expr::Kind k) {
  auto e = std::make_shared<Expr>();
  e->kind = k;
  return e;
}

ExprPtr build(const nlohmann::json& j, int depth);

std::vector<ExprPtr> build_args(const nlohmann::json& j, int depth) {
  auto it = j.find("args");
  if (it == j.end() || !it->is_array()) bad("'args' must be an array");
  std::vector<ExprPtr> out;
  for (const auto& a : *it) out.push_back(build(a, depth + 1));
  return out;
}

ExprPtr literal(const nlohmann::json& v) {
  auto e = node(Expr::Kind::Literal);
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > uint64_t(INT64_MAX)) bad("integer literal out of range");
    e->value = int64_t(v.get<uint64_t>());
  } else if (v.is_string() || v.is_boolean() || v.is_null() || v.is_number_integer()) {
    e->value = v;
  } else {
    bad("a literal must be a string, an integer, a boolean or null");
  }
  return e;
}

ExprPtr build(const nlohmann::json& j, int depth) {
  if (depth > kMaxDepth) bad("nested too deeply");
  if (!j.is_object() || j.size() == 0) bad("each node must be a non-empty object");
  if (j.contains("lit")) {
    if (j.size() != 1) bad("'lit' node has extra keys");
    return literal(j["lit"]);
  }
  if (j.contains("col")) {
    if (j.size() != 1 || !j["col"].is_string() || j["col"].get_ref<const std::string&>().empty()) {
      bad("'col' must be a column name");
    }
    auto e = node(Expr::Kind::Column);
    e->name = j["col"].get<std::string>();
    return e;
  }
  if (j.contains("sub")) {
    if (j.size() != 1 || j["sub"] != true) bad("'sub' must be true");
    return node(Expr::Kind::AuthSub);
  }
  if (j.contains("list")) {
    if (j.size() != 1 || !j["list"].is_array()) bad("'list' must be an array");
    auto e = node(Expr::Kind::List);
    for (const auto& item : j["list"]) {
      if (!item.is_object() || !item.contains("lit") || item.size() != 1) bad("list items must be literals");
      e->args.push_back(literal(item["lit"]));
    }
    return e;
  }
  auto op_it = j.find("op");
  if (op_it == j.end() || !op_it->is_string()) {
    std::string shown = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
    bad("unknown node " + shown);
  }
  const std::string op = op_it->get<std::string>();
  if (op == "hasRole") {
    if (!j.contains("role") || !j["role"].is_string() || j.size() != 2)
      bad("'hasRole' needs a string 'role'");
    auto e = node(Expr::Kind::HasRole);
    e->name = j["role"].get<std::string>();
    return e;
  }
  if (j.size() != 2) bad("'" + op + "' node must have exactly 'op' and 'args'");
  std::vector<ExprPtr> args = build_args(j, depth);
  if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") {
    if (args.size() != 2 || !args[0]->is_value() || !args[1]->is_value()) {
      bad("'" + op + "' needs two value operands");
    }
    auto e = node(Expr::Kind::Compare);
    e->op = op;
    e->args = std::move(args);
    return e;
  }
  if (op == "in") {
    if (args.size() != 2 || !args[0]->is_value() || args[1]->kind != Expr::Kind::List) {
      bad("'in' needs a value and a list");
    }
    auto e = node(Expr::Kind::In);
    e->args = std::move(args);
    return e;
  }
  // Structure only (what the parser can produce); types are check()'s business.
  auto is_bool = [](const ExprPtr& a) { return a->kind != Expr::Kind::List; };
  if (op == "!") {
    if (args.size() != 1 || !is_bool(args[0])) bad("'!' needs one operand");
    auto e = node(Expr::Kind::Not);
    e->args = std::move(args);
    return e;
  }
  if (op == "&&" || op == "||") {
    if (args.size() < 2) bad("'" + op + "' needs at least two operands");
    for (const auto& a : args) {
      if (!is_bool(a)) bad("'" + op + "' operands must be boolean expressions");
    }
    auto e = node(op == "&&" ? Expr::Kind::And : Expr::Kind::Or);
    e->args = std::move(args);
    return e;
  }
  bad("unknown operator '" + op + "'");
}

}  // namespace

ExprPtr from_json(const nlohmann::json& j) {
  return build(j, 1);
}

}  // namespace stk::cel
