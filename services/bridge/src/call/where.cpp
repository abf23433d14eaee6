#include "call/where.hpp"
#include "call/bad_request.hpp"

#include "call/rules.hpp"
#include "call/values.hpp"
#include "stk/core/error.hpp"

namespace stk::bridge {
namespace {

std::string col_ref(const std::string& alias, const std::string& name) {
  return alias.empty() ? q(name) : alias + "." + q(name);
}

void require_comparable(const ColumnType& c, const std::string& op) {
  if (c.type == "json" || c.type == "array")
    bad("operator " + op + " cannot be used on " + c.type + " column '" + c.name +
        "'; only $isNull/$isNotNull can");
}

std::string comparison(const ColumnType& c, const std::string& ref, const std::string& op,
                       const nlohmann::ordered_json& operand, const Limits& limits, SqlBuilder& b) {
  static const std::pair<const char*, const char*> kOps[] = {{"$eq", "="},   {"$ne", "<>"}, {"$gt", ">"},
                                                             {"$gte", ">="}, {"$lt", "<"},  {"$lte", "<="}};
  const char* sql_op = nullptr;
  for (const auto& [name, s] : kOps)
    if (op == name) sql_op = s;
  if (sql_op) {
    require_comparable(c, op);
    if (operand.is_null())
      bad("operator " + op + " on '" + c.name + "' needs a value; use $isNull/$isNotNull for null");
    if (!operand.is_primitive())
      bad("operator " + op + " on '" + c.name + "' takes a single value, not an " + json_kind(operand));
    check_value(c, operand, false);
    int n = b.add(param_text(c, operand));
    std::string out = ref;
    out += ' ';
    out += sql_op;
    out += ' ';
    out += typed_placeholder(c, n);
    return out;
  }
  if (op == "$in" || op == "$notIn") {
    require_comparable(c, op);
    if (c.type == "bytes") bad("operator " + op + " is not supported on bytes column '" + c.name + "'");
    if (!operand.is_array() || operand.empty())
      bad("operator " + op + " on '" + c.name + "' needs a non-empty array");
    if (int(operand.size()) > limits.in_max_items)
      bad("operator " + op + " on '" + c.name + "' takes at most " + std::to_string(limits.in_max_items) +
          " items");
    std::vector<std::string> items;
    items.reserve(operand.size());
    for (const auto& v : operand) {
      if (v.is_null())
        bad("operator " + op + " on '" + c.name + "': null items are not allowed; use $isNull");
      if (!v.is_primitive()) bad("operator " + op + " on '" + c.name + "' takes an array of values");
      check_value(c, v, false);
      items.push_back(*param_text(c, v));
    }
    int n = b.add(pg_array_literal(items));
    std::string arr = "$" + std::to_string(n) + "::" + cast_type(c.type) + "[]";
    return op == "$in" ? ref + " = ANY(" + arr + ")" : ref + " <> ALL(" + arr + ")";
  }
  if (op == "$like") {
    if (c.type != "string" && c.type != "file")
      bad("operator $like only applies to string columns; '" + c.name + "' is " + c.type);
    if (!operand.is_string()) bad("operator $like on '" + c.name + "' needs a string pattern");
    int n = b.add(operand.get<std::string>());
    return ref + " LIKE $" + std::to_string(n) + "::text";
  }
  if (op == "$isNull" || op == "$isNotNull") {
    if (!(operand.is_boolean() && operand.get<bool>()))
      bad("operator " + op + " on '" + c.name + "' takes the value true");
    return ref + (op == "$isNull" ? " IS NULL" : " IS NOT NULL");
  }
  if (op == "$and" || op == "$or" || op == "$not")
    bad("logical operator " + op + " is not supported; entries of 'where' are combined with AND");
  bad("unknown operator '" + op.substr(0, 40) + "' on '" + c.name +
      "'; use $eq $ne $gt $gte $lt $lte $in $notIn $like $isNull $isNotNull");
}

}  // namespace

std::string where_sql(const nlohmann::ordered_json& where, const model::Table& table,
                      const std::string& alias, const Limits& limits, SqlBuilder& b) {
  if (where.is_null()) return "";
  if (!where.is_object()) bad("'where' must be an object of column: value or column: {operator: value}");
  std::string out;
  int conditions = 0;
  auto add = [&](const std::string& s) {
    if (++conditions > limits.where_max_conditions)
      bad("'where' has more than " + std::to_string(limits.where_max_conditions) + " conditions");
    if (!out.empty()) out += " AND ";
    out += s;
  };
  for (const auto& [key, v] : where.items()) {
    if (!key.empty() && key[0] == '$') {
      if (key == "$and" || key == "$or" || key == "$not")
        bad("logical operator " + key + " is not supported; entries of 'where' are combined with AND");
      bad("unknown operator '" + key.substr(0, 40) +
          "' at the top of 'where'; top-level keys are column names");
    }
    auto c = column_type(table, key);
    if (!c) bad("unknown column '" + key.substr(0, 100) + "' in 'where' of table '" + table.name + "'");
    const std::string ref = col_ref(alias, key);
    if (v.is_object()) {
      if (v.empty()) bad("empty operator object for column '" + key + "'");
      for (const auto& [op, operand] : v.items()) add(comparison(*c, ref, op, operand, limits, b));
    } else if (v.is_null()) {
      bad("'where' shorthand null for column '" + key + "' is not allowed; use {\"$isNull\": true}");
    } else if (v.is_array()) {
      bad("'where' shorthand array for column '" + key + "' is not allowed; use {\"$in\": [...]}");
    } else {
      add(comparison(*c, ref, "$eq", v, limits, b));
    }
  }
  return out;
}

}  // namespace stk::bridge
