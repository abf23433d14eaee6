#include "call/rules.hpp"

#include "stk/cel/ast.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "stk/core/error.hpp"

namespace stk::bridge {
namespace {

bool matches(const CompiledRule& r, const Principal& who) {
  for (const auto& role : r.roles) {
    if (role == "public") return true;
    if (role == "authenticated") {
      if (who.kind == Principal::Kind::EndUser) return true;
      continue;
    }
    if (std::find(who.roles.begin(), who.roles.end(), role) != who.roles.end()) return true;
  }
  return false;
}

bool uses_auth_sub(const cel::Expr& e) {
  if (e.kind == cel::Expr::Kind::AuthSub) return true;
  for (const auto& a : e.args)
    if (uses_auth_sub(*a)) return true;
  return false;
}

// Time spent choosing rules and binding their conditions on this thread
// (stk_bridge_permission_eval_duration).
thread_local uint64_t tl_permission_ns = 0;

struct PermissionClock {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  ~PermissionClock() {
    tl_permission_ns += uint64_t(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started)
            .count());
  }
};

const CompiledRule& allow_all() {
  static const CompiledRule r;
  return r;
}

}  // namespace

uint64_t take_permission_eval_ns() {
  return std::exchange(tl_permission_ns, 0);
}

const CompiledRule* select_rule(const TableView& table, const std::string& op, const Principal& who) {
  PermissionClock clock;
  if (who.all_access) return &allow_all();
  auto it = table.ops.find(op);
  if (it == table.ops.end()) return nullptr;
  for (const auto& r : it->second) {
    if (!matches(r, who)) continue;
    if (!r.columns_error.empty()) throw Error(Code::BadRequest, r.columns_error);
    if (!r.condition_error.empty()) throw Error(Code::BadRequest, r.condition_error);
    if (r.condition && who.kind == Principal::Kind::ApiKey && uses_auth_sub(*r.condition))
      throw Error(Code::Forbidden, "the " + op + " rule for table '" + table.table->name +
                                       "' needs request.auth.sub (an end user); API keys have none");
    return &r;
  }
  return nullptr;
}

const CompiledRule& require_rule(const TableView& table, const std::string& op, const Principal& who) {
  const CompiledRule* r = select_rule(table, op, who);
  if (!r)
    throw Error(Code::Forbidden, "no rule grants " + op + " on " + table.table->name + " to this caller");
  return *r;
}

std::string pg_array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string condition_sql(const CompiledRule& rule, const model::Table& table, const Principal& who,
                          SqlBuilder& b) {
  if (!rule.condition) return "";
  PermissionClock clock;
  cel::Lowered l;
  try {
    l = cel::lower(*rule.condition, table, b.next());
  } catch (const Error& e) {
    throw Error(Code::BadRequest, std::string("permission condition: ") + e.what());
  }
  for (const auto& p : l.params) {
    switch (p.kind) {
      case cel::Param::Kind::AuthSub:
        b.add(who.sub);
        break;
      case cel::Param::Kind::AuthRoles:
        b.add(pg_array_literal(who.roles));
        break;
      case cel::Param::Kind::Literal:
        if (p.value.is_null())
          b.add(std::nullopt);
        else if (p.value.is_string())
          b.add(p.value.get<std::string>());
        else if (p.value.is_boolean())
          b.add(std::string(p.value.get<bool>() ? "true" : "false"));
        else
          b.add(p.value.dump());
        break;
    }
  }
  return l.sql;
}

}  // namespace stk::bridge
