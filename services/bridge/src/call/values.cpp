#include "call/values.hpp"

#include "stk/core/error.hpp"
#include "stk/sql/types.hpp"

namespace stk::bridge {
namespace {

std::pair<std::string, std::string> split_items(const std::string& items) {
  // "array<int>" -> ("array", "int"); "int" -> ("int", "")
  if (items.rfind("array<", 0) == 0 && items.size() > 7 && items.back() == '>')
    return {"array", items.substr(6, items.size() - 7)};
  return {items, ""};
}

std::string describe(const std::string& type, const std::string& items) {
  if (type == "array") {
    auto [t, i] = split_items(items);
    return "array of " + describe(t, i);
  }
  return type;
}

// Empty string when valid, else what is wrong (after "column 'x': ").
std::string type_problem(const std::string& type, const std::string& items, const nlohmann::ordered_json& v,
                         const std::string& where) {
  if (type == "array") {
    if (!v.is_array()) return "expected " + describe(type, items) + ", got " + json_kind(v) + where;
    auto [t, i] = split_items(items);
    for (size_t k = 0; k < v.size(); ++k) {
      const auto& e = v[k];
      if (e.is_null())
        return "expected " + describe(type, items) + ", got null at index " + std::to_string(k) + where;
      auto inner = type_problem(t, i, e, " at index " + std::to_string(k) + where);
      if (!inner.empty()) {
        if (t != "array")
          return "expected " + describe(type, items) + ", got " + json_kind(e) + " at index " +
                 std::to_string(k) + where;
        return inner;
      }
    }
    return "";
  }
  if (type == "json") return "";
  if (model::is_valid_value(type, "", nlohmann::json(v))) return "";
  std::string got = json_kind(v);
  if (v.is_string() && (type == "timestamp" || type == "bytes" || type == "bigint" || type == "decimal"))
    got = "a string that is not a valid " + type;
  else if (v.is_number() && type == "int")
    got = v.is_number_float() ? "a fraction" : "an integer outside int32";
  std::string want = type;
  if (type == "timestamp") want = "timestamp (RFC 3339 string)";
  if (type == "bytes") want = "bytes (base64 string)";
  if (type == "bigint") want = "bigint (integer or string of digits)";
  if (type == "decimal") want = "decimal (number or numeric string)";
  return "expected " + want + ", got " + got + where;
}

}  // namespace

std::string json_kind(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

std::optional<ColumnType> column_type(const model::Table& table, const std::string& column) {
  if (column == table.id.name) return ColumnType{column, table.id.type, "", false, true};
  const model::Column* c = table.column(column);
  if (!c) return std::nullopt;
  return ColumnType{c->name, c->type, c->items, c->nullable, false};
}

void check_value(const ColumnType& c, const nlohmann::ordered_json& v, bool allow_null) {
  if (v.is_null()) {
    if (allow_null && c.nullable) return;
    throw Error(Code::BadRequest, "column '" + c.name + "' is not nullable: null is not allowed");
  }
  auto problem = type_problem(c.type, c.items, v, "");
  if (!problem.empty()) throw Error(Code::BadRequest, "column '" + c.name + "': " + problem);
}

std::optional<std::string> param_text(const ColumnType& c, const nlohmann::ordered_json& v) {
  if (v.is_null()) return std::nullopt;
  if (c.type == "json" || c.type == "array") return v.dump();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return v.dump();  // other numbers: JSON text is valid PostgreSQL numeric input
}

const std::string& cast_type(const std::string& type) {
  return sql::pg_type(type);
}

std::string typed_placeholder(const ColumnType& c, int n) {
  std::string p = "$" + std::to_string(n);
  if (c.type == "bytes") return "decode(" + p + "::text, 'base64')";
  p += "::";
  p += cast_type(c.type);
  return p;
}

}  // namespace stk::bridge
