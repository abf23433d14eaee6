#include "call/plan.hpp"

#include "call/plan_common.hpp"
#include "call/rules.hpp"
#include "stk/core/error.hpp"

namespace stk::bridge {

void check_keys(const nlohmann::ordered_json& params, std::initializer_list<const char*> allowed,
                const char* op) {
  for (const auto& [key, v] : params.items()) {
    (void)v;
    bool ok = false;
    for (const char* a : allowed) ok |= key == a;
    if (ok) continue;
    std::string list;
    for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw Error(Code::BadRequest,
                "unknown parameter '" + key.substr(0, 100) + "' for " + op + "; allowed: " + list);
  }
}

const nlohmann::ordered_json* find(const nlohmann::ordered_json& params, const char* key) {
  auto it = params.find(key);
  return it == params.end() ? nullptr : &*it;
}

const nlohmann::ordered_json& find_or_null(const nlohmann::ordered_json& params, const char* key) {
  static const nlohmann::ordered_json null_value;
  auto it = params.find(key);
  return it == params.end() ? null_value : *it;
}

std::optional<int64_t> non_negative_int(const nlohmann::ordered_json& params, const char* key) {
  const auto* v = find(params, key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() > uint64_t(INT64_MAX))
      throw Error(Code::BadRequest, std::string("'") + key + "' is too large");
    return int64_t(v->get<uint64_t>());
  }
  if (v->is_number_integer() && v->get<int64_t>() >= 0) return v->get<int64_t>();
  throw Error(Code::BadRequest, std::string("'") + key + "' must be a non-negative integer");
}

Statement plan_call(const EnvRelease& env, const Route& route, const nlohmann::ordered_json& params,
                    const Principal& who, const Limits& limits) {
  const TableView* t = env.table(route.table);
  if (!t)
    throw Error(Code::NotFound, "table '" + route.table.substr(0, 100) + "' does not exist in release " +
                                    env.release_id + " of " + env.project + "/" + env.env);
  const char* op = op_name(route.op);
  const CompiledRule& rule = require_rule(*t, op, who);
  switch (route.op) {
    case Op::Select:
      return plan_select(env, *t, rule, params, who, limits);
    case Op::Insert:
      return plan_insert(env, *t, rule, params, who, limits);
    case Op::Update:
      return plan_update(env, *t, rule, params, who, limits);
    case Op::Delete:
      return plan_delete(env, *t, rule, params, who, limits);
  }
  throw Error(Code::NotFound, "unknown operation");
}

}  // namespace stk::bridge
