#pragma once
// SQL that builds one response row as JSON inside PostgreSQL: the projected columns in their wire format and
// one key per expanded relation, each a correlated lookup of the related row projected to its own rule.
#include <string>
#include <utility>
#include <vector>

#include "call/principal.hpp"
#include "call/sql_builder.hpp"
#include "release/snapshot.hpp"

namespace stk::bridge {

struct ExpandChild;
struct ExpandNode {
  const Relation* relation = nullptr;
  const TableView* target = nullptr;
  const CompiledRule* rule = nullptr;  // the caller's select rule on the target
  std::vector<ExpandChild> children;   // in request order
};
// A named hop (std::pair<std::string, ExpandNode> would need ExpandNode complete inside itself).
struct ExpandChild {
  std::string name;
  ExpandNode node;
};

// One result column of a row the Bridge writes itself (Statement::rowset): its key and how its text becomes
// JSON. The key points into the release, which the request holds until its response is written.
struct RowField {
  const std::string* json_key;
  sql::WireKind wire;
};

// `columns` are projected from `alias`; `children` add one key each. Aliases for nested lookups are taken
// from `next_alias` (e1, e2, ...).
std::string row_json_sql(const TableView& table, const std::string& alias,
                         const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                         const Principal& who, SqlBuilder& b, int& next_alias);

// The select list of a row the Bridge writes from plain columns (Statement::rowset): each column as it is
// stored, each child one JSON column built as above; `fields` gets one entry per result column, in order.
// PostgreSQL's json_build_object is the most expensive part of a small select (bench/README.md).
std::string row_columns_sql(const TableView& table, const std::string& alias,
                            const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                            const Principal& who, SqlBuilder& b, int& next_alias,
                            std::vector<RowField>& fields);

// Columns of `table` the rule lets the caller read, in table order (PK first).
std::vector<std::string> readable_columns(const TableView& table, const CompiledRule& rule);

}  // namespace stk::bridge
