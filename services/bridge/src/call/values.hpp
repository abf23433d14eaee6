#pragma once
// Caller values → bind parameters (spec bridge-crud §7). Every value is checked against the column's logical
// type first (400 naming the column on a mismatch); the text handed to PostgreSQL is then cast explicitly in
// the SQL (`$n::integer`, `decode($n::text,'base64')`), so no statement relies on parameter type inference.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "stk/model/schema.hpp"

namespace stk::bridge {

struct ColumnType {
  std::string name;
  std::string type;   // logical type
  std::string items;  // arrays
  bool nullable = false;
  bool is_pk = false;
};
// The column's type (PK included); nullopt when the table has no such column.
std::optional<ColumnType> column_type(const model::Table& table, const std::string& column);

// Validates `v` for the column; throws 400 "column 'x': expected int, got string" (arrays name the index).
// `null` is accepted only when `allow_null` (nullable columns in writes).
void check_value(const ColumnType& c, const nlohmann::ordered_json& v, bool allow_null);
// The parameter text for a validated non-null value (nullopt for null).
std::optional<std::string> param_text(const ColumnType& c, const nlohmann::ordered_json& v);
// SQL for parameter `$n` typed as the column: "$3::integer", "decode($3::text, 'base64')", "$3::jsonb".
std::string typed_placeholder(const ColumnType& c, int n);
// The PostgreSQL type name for casts of a logical type ("integer", "jsonb", ...).
const std::string& cast_type(const std::string& type);
// JSON type name for messages: "string", "integer", "number", "boolean", "null", "array", "object".
std::string json_kind(const nlohmann::ordered_json& v);

}  // namespace stk::bridge
