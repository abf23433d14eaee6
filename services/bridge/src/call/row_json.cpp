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

void append_row_json(std::string& s, const TableView& table, const std::string& alias,
                     const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                     const Principal& who, SqlBuilder& b, int& next_alias);

// One expanded relation: a correlated lookup of the related row, projected to the caller's rule on it;
// `project(a, columns)` writes what is selected from the row, aliased `a`.
template <class Project>
void append_lookup(std::string& s, const std::string& alias, const ExpandNode& node, const Principal& who,
                   SqlBuilder& b, int& next_alias, Project&& project) {
  const std::string a = "e" + std::to_string(next_alias++);
  std::vector<std::string> own;
  const std::vector<std::string>* cols = &node.target->all_columns;
  if (!node.rule->all_columns) cols = &(own = readable_columns(*node.target, *node.rule));
  const Relation& rel = *node.relation;
  s += "(SELECT ";
  project(a, *cols);
  s += " FROM ";
  s += rel.quoted_target;
  s += ' ';
  s += a;
  s += " WHERE ";
  s += a;
  s += '.';
  s += rel.quoted_target_column;
  s += " = ";
  s += alias;
  s += '.';
  s += rel.quoted_fk_column;
  const std::string cond = condition_sql(*node.rule, *node.target->table, who, b);
  if (!cond.empty()) s += " AND ", s += cond;
  s += ')';
}

// The related row as JSON built by PostgreSQL.
void append_child(std::string& s, const std::string& alias, const ExpandNode& node, const Principal& who,
                  SqlBuilder& b, int& next_alias) {
  append_lookup(s, alias, node, who, b, next_alias,
                [&](const std::string& a, const std::vector<std::string>& cols) {
                  append_row_json(s, *node.target, a, cols, node.children, who, b, next_alias);
                });
}

void append_row_json(std::string& s, const TableView& table, const std::string& alias,
                     const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                     const Principal& who, SqlBuilder& b, int& next_alias) {
  bool first = true;
  // json_build_object takes at most 100 arguments; wider rows go through row_to_json of a subselect.
  if (columns.size() + children.size() <= 50) {
    s += "json_build_object(";
    for (const auto& c : columns) {
      const ColumnOutput& o = output_of(table, c);
      if (!first) s += ", ";
      first = false;
      s += o.key_literal;
      s += ", ";
      append_value(s, o, alias);
    }
    for (const auto& child : children) {
      if (!first) s += ", ";
      first = false;
      s += child.node.relation->key_literal;
      s += ", ";
      append_child(s, alias, child.node, who, b, next_alias);
    }
    s += ')';
    return;
  }
  s += "(SELECT row_to_json(v) FROM (SELECT ";
  for (const auto& c : columns) {
    const ColumnOutput& o = output_of(table, c);
    if (!first) s += ", ";
    first = false;
    append_value(s, o, alias);
    s += " AS ";
    s += o.quoted;
  }
  for (const auto& child : children) {
    if (!first) s += ", ";
    first = false;
    append_child(s, alias, child.node, who, b, next_alias);
    s += " AS " + q(child.name);
  }
  s += ") v)";
}

}  // namespace

std::string row_json_sql(const TableView& table, const std::string& alias,
                         const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                         const Principal& who, SqlBuilder& b, int& next_alias) {
  std::string s;
  s.reserve(64 + columns.size() * 48 + children.size() * 512);
  append_row_json(s, table, alias, columns, children, who, b, next_alias);
  return s;
}

namespace {

// The select-list entry of an expanded relation in a row the Bridge writes: a correlated lookup of the
// related row as a record of its columns and its own relations (row_columns_sql), described by `field`.
void append_child_record(std::string& s, const std::string& alias, const ExpandNode& node,
                         const Principal& who, SqlBuilder& b, int& next_alias, RowField& field);

void append_plain_columns(std::string& s, const TableView& table, const std::string& alias,
                          const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                          const Principal& who, SqlBuilder& b, int& next_alias,
                          std::vector<RowField>& fields) {
  fields.reserve(columns.size() + children.size());
  // Every column: the table's outputs in order, no lookup by name; the root row's list is ready-made.
  const bool every = &columns == &table.all_columns, ready_made = every && alias == "t0";
  if (ready_made) s += table.all_columns_select;
  const size_t n = every ? table.all_outputs.size() : columns.size();
  for (size_t i = 0; i < n; ++i) {
    const ColumnOutput& o = every ? *table.all_outputs[i] : output_of(table, columns[i]);
    if (!ready_made) {
      if (i) s += ", ";
      s += alias;
      s += '.';
      s += o.quoted;
    }
    fields.push_back(RowField{&o.json_key, o.wire, false, {}});
  }
  for (const auto& child : children) {
    if (!fields.empty()) s += ", ";
    RowField f{&child.node.relation->json_key, sql::WireKind::Json, true, {}};
    append_child_record(s, alias, child.node, who, b, next_alias, f);
    fields.push_back(std::move(f));
  }
}

void append_child_record(std::string& s, const std::string& alias, const ExpandNode& node,
                         const Principal& who, SqlBuilder& b, int& next_alias, RowField& field) {
  append_lookup(
      s, alias, node, who, b, next_alias, [&](const std::string& a, const std::vector<std::string>& cols) {
        s += "ROW(";
        append_plain_columns(s, *node.target, a, cols, node.children, who, b, next_alias, field.record);
        s += ')';
      });
}

}  // namespace

std::string row_columns_sql(const TableView& table, const std::string& alias,
                            const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                            const Principal& who, SqlBuilder& b, int& next_alias,
                            std::vector<RowField>& fields) {
  std::string s;
  s.reserve(16 + columns.size() * (alias.size() + 16) + children.size() * 512);
  append_plain_columns(s, table, alias, columns, children, who, b, next_alias, fields);
  return s;
}

}  // namespace stk::bridge
