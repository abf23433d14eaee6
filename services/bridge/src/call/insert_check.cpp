#include "call/insert_check.hpp"

#include <algorithm>
#include <optional>

#include "stk/core/time.hpp"

namespace stk::bridge {
namespace {

using J = nlohmann::ordered_json;

// Three-valued logic like SQL: nullopt = unknown.
using Tri = std::optional<bool>;

J value_of(const cel::Expr& e, const J& row, const Principal& who) {
  switch (e.kind) {
    case cel::Expr::Kind::Column: {
      auto it = row.find(e.name);
      return it == row.end() ? J() : *it;
    }
    case cel::Expr::Kind::AuthSub:
      return who.sub.empty() ? J() : J(who.sub);
    case cel::Expr::Kind::Literal:
      return J(e.value);
    default:
      return J();
  }
}

std::optional<double> as_number(const J& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0') return d;
  }
  return std::nullopt;
}

// <0, 0, >0; nullopt when incomparable.
std::optional<int> compare(const J& a, const J& b) {
  if (a.is_boolean() && b.is_boolean()) return int(a.get<bool>()) - int(b.get<bool>());
  if (a.is_number() || b.is_number()) {
    auto x = as_number(a), y = as_number(b);
    if (!x || !y) return std::nullopt;
    return *x < *y ? -1 : *x > *y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    const auto& x = a.get_ref<const std::string&>();
    const auto& y = b.get_ref<const std::string&>();
    auto tx = parse_rfc3339(x), ty = parse_rfc3339(y);  // timestamps compare as instants
    if (tx && ty) return *tx < *ty ? -1 : *tx > *ty ? 1 : 0;
    return x.compare(y) < 0 ? -1 : x.compare(y) > 0 ? 1 : 0;
  }
  return std::nullopt;
}

Tri eval(const cel::Expr& e, const J& row, const Principal& who) {
  using K = cel::Expr::Kind;
  switch (e.kind) {
    case K::Literal:
      if (e.value.is_boolean()) return e.value.get<bool>();
      return std::nullopt;
    case K::Column: {
      auto v = value_of(e, row, who);
      if (v.is_boolean()) return v.get<bool>();
      return std::nullopt;
    }
    case K::HasRole:
      return std::find(who.roles.begin(), who.roles.end(), e.name) != who.roles.end();
    case K::Not: {
      auto v = eval(*e.args.at(0), row, who);
      if (!v) return std::nullopt;
      return !*v;
    }
    case K::And: {
      Tri r = true;
      for (const auto& a : e.args) {
        auto v = eval(*a, row, who);
        if (v && !*v) return false;
        if (!v) r = std::nullopt;
      }
      return r;
    }
    case K::Or: {
      Tri r = false;
      for (const auto& a : e.args) {
        auto v = eval(*a, row, who);
        if (v && *v) return true;
        if (!v) r = std::nullopt;
      }
      return r;
    }
    case K::Compare: {
      auto a = value_of(*e.args.at(0), row, who);
      auto b = value_of(*e.args.at(1), row, who);
      const bool a_null_lit = e.args[0]->kind == K::Literal && a.is_null();
      const bool b_null_lit = e.args[1]->kind == K::Literal && b.is_null();
      if (a_null_lit || b_null_lit) {  // x == null / x != null: IS [NOT] NULL
        bool is_null = (a_null_lit ? b : a).is_null();
        return e.op == "==" ? is_null : !is_null;
      }
      if (a.is_null() || b.is_null()) return std::nullopt;
      auto c = compare(a, b);
      if (!c) return e.op == "!=";
      if (e.op == "==") return *c == 0;
      if (e.op == "!=") return *c != 0;
      if (e.op == "<") return *c < 0;
      if (e.op == "<=") return *c <= 0;
      if (e.op == ">") return *c > 0;
      if (e.op == ">=") return *c >= 0;
      return std::nullopt;
    }
    case K::In: {
      auto a = value_of(*e.args.at(0), row, who);
      if (a.is_null()) return std::nullopt;
      for (const auto& item : e.args.at(1)->args) {
        auto c = compare(a, value_of(*item, row, who));
        if (c && *c == 0) return true;
      }
      return false;
    }
    case K::AuthSub:
    case K::List:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

bool insert_row_satisfies(const cel::Expr& condition, const nlohmann::ordered_json& row,
                          const Principal& who) {
  auto v = eval(condition, row, who);
  return v.has_value() && *v;
}

}  // namespace stk::bridge
