#pragma once
// Small helpers shared by the select and write planners.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "call/plan.hpp"

namespace stk::bridge {

// 400 "unknown parameter 'x' for select; allowed: ..." for any key outside `allowed`.
void check_keys(const nlohmann::ordered_json& params, std::initializer_list<const char*> allowed,
                const char* op);
const nlohmann::ordered_json* find(const nlohmann::ordered_json& params, const char* key);
// The value at `key` or a static null.
const nlohmann::ordered_json& find_or_null(const nlohmann::ordered_json& params, const char* key);
// A non-negative JSON integer (no fraction/exponent) or nullopt when absent/null; 400 otherwise.
std::optional<int64_t> non_negative_int(const nlohmann::ordered_json& params, const char* key);

Statement plan_select(const EnvRelease& env, const TableView& t, const CompiledRule& rule,
                      const nlohmann::ordered_json& params, const Principal& who, const Limits& limits);
Statement plan_insert(const EnvRelease& env, const TableView& t, const CompiledRule& rule,
                      const nlohmann::ordered_json& params, const Principal& who, const Limits& limits);
Statement plan_update(const EnvRelease& env, const TableView& t, const CompiledRule& rule,
                      const nlohmann::ordered_json& params, const Principal& who, const Limits& limits);
Statement plan_delete(const EnvRelease& env, const TableView& t, const CompiledRule& rule,
                      const nlohmann::ordered_json& params, const Principal& who, const Limits& limits);

}  // namespace stk::bridge
