#include "call/row_json.hpp"

#include "call/rules.hpp"
#include "call/values.hpp"

namespace stk::bridge {

std::vector<std::string> readable_columns(const TableView& table, const CompiledRule& rule) {
  std::vector<std::string> out;
  for (const auto& c : table.all_columns)
    if (rule.allows(c)) out.push_back(c);
  return out;
}

std::string row_json_sql(const TableView& table, const std::string& alias,
                         const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                         const Principal& who, SqlBuilder& b, int& next_alias) {
  std::vector<std::pair<std::string, std::string>> fields;  // key, SQL value
  fields.reserve(columns.size() + children.size());
  for (const auto& c : columns)
    fields.emplace_back(c, output_expr(table.table->type_of(c), alias + "." + q(c)));
  for (const auto& [name, node] : children) {
    const std::string a = "e" + std::to_string(next_alias++);
    auto cols = readable_columns(*node.target, *node.rule);
    std::string inner = row_json_sql(*node.target, a, cols, node.children, who, b, next_alias);
    std::string where =
        a + "." + q(node.relation->target_column) + " = " + alias + "." + q(node.relation->fk_column);
    std::string cond = condition_sql(*node.rule, *node.target->table, who, b);
    if (!cond.empty()) where += " AND " + cond;
    fields.emplace_back(name, "(SELECT " + inner + " FROM " + q(node.target->table->name) + " " + a +
                                  " WHERE " + where + ")");
  }
  // json_build_object takes at most 100 arguments; wider rows go through row_to_json of a subselect.
  if (fields.size() <= 50) {
    std::string s = "json_build_object(";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) s += ", ";
      s += sql::quote_literal(fields[i].first) + ", " + fields[i].second;
    }
    return s + ")";
  }
  std::string s = "(SELECT row_to_json(v) FROM (SELECT ";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) s += ", ";
    s += fields[i].second + " AS " + q(fields[i].first);
  }
  return s + ") v)";
}

}  // namespace stk::bridge
