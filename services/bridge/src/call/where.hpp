#pragma once
// The `where` filter language (spec bridge-crud §6) → a SQL predicate on `alias`-qualified columns.
#include <string>

#include <nlohmann/json.hpp>

#include "call/sql_builder.hpp"
#include "config.hpp"
#include "stk/model/schema.hpp"

namespace stk::bridge {

// "" for an absent/empty filter. `alias` is the qualifier ("t0") or "" for none. Counts every
// column/operator pair against limits.where_max_conditions. Throws 400 naming the column/operator at fault.
std::string where_sql(const nlohmann::ordered_json& where, const model::Table& table,
                      const std::string& alias, const Limits& limits, SqlBuilder& b);

}  // namespace stk::bridge
