#include "call/row_json.hpp"

#include "call/rules.hpp"
#include "call/values.hpp"
#include "stk/core/error.hpp"

namespace stk::bridge {

std::vector<std::string> readable_columns(const TableView& table, const CompiledRule& rule) {
  std::vector<std::string> out;
  for (const auto& c : table.all_columns)
    if (rule.allows(c)) out.push_back(c);
  return out;
}

namespace {

const ColumnOutput& output_of(const TableView& table, const std::string& column) {
  auto it = table.outputs.find(column);
  if (it == table.outputs.end())  // columns come from the release, so this is a planner bug
    throw Error(Code::Internal, "column '" + column + "' has no output in table '" + table.table->name + "'");
  return it->second;
}

void append_value(std::string& s, const ColumnOutput& o, const std::string& alias) {
  s += o.before;
  s += alias;
  s += o.dot_column_after;
}

// One expanded relation: a correlated lookup of the related row, projected to the caller's rule on it.
std::string child_sql(const std::string& alias, const ExpandNode& node, const Principal& who, SqlBuilder& b,
                      int& next_alias) {
  const std::string a = "e" + std::to_string(next_alias++);
  auto cols = readable_columns(*node.target, *node.rule);
  std::string s = "(SELECT ";
  s += row_json_sql(*node.target, a, cols, node.children, who, b, next_alias);
  s += " FROM " + q(node.target->table->name) + " " + a + " WHERE " + a + "." +
       q(node.relation->target_column) + " = " + alias + "." + q(node.relation->fk_column);
  std::string cond = condition_sql(*node.rule, *node.target->table, who, b);
  if (!cond.empty()) s += " AND " + cond;
  return s + ")";
}

}  // namespace

std::string row_json_sql(const TableView& table, const std::string& alias,
                         const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                         const Principal& who, SqlBuilder& b, int& next_alias) {
  std::string s;
  // json_build_object takes at most 100 arguments; wider rows go through row_to_json of a subselect.
  if (columns.size() + children.size() <= 50) {
    s.reserve(32 + columns.size() * 48);
    s += "json_build_object(";
    bool first = true;
    for (const auto& c : columns) {
      const ColumnOutput& o = output_of(table, c);
      if (!first) s += ", ";
      first = false;
      s += o.key_literal;
      s += ", ";
      append_value(s, o, alias);
    }
    for (const auto& [name, node] : children) {
      if (!first) s += ", ";
      first = false;
      s += sql::quote_literal(name);
      s += ", ";
      s += child_sql(alias, node, who, b, next_alias);
    }
    return s + ")";
  }
  s = "(SELECT row_to_json(v) FROM (SELECT ";
  bool first = true;
  for (const auto& c : columns) {
    const ColumnOutput& o = output_of(table, c);
    if (!first) s += ", ";
    first = false;
    append_value(s, o, alias);
    s += " AS ";
    s += o.quoted;
  }
  for (const auto& [name, node] : children) {
    if (!first) s += ", ";
    first = false;
    s += child_sql(alias, node, who, b, next_alias);
    s += " AS " + q(name);
  }
  return s + ") v)";
}

}  // namespace stk::bridge
