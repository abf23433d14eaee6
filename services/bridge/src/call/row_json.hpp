#pragma once
// The SQL projection of one response row, in two forms: JSON built inside PostgreSQL (row_json_sql: counted
// selects aggregate it), or plain columns and records the Bridge writes as JSON (row_columns_sql). Either way
// the projected columns and one key per expanded relation, each a correlated lookup of the related row
// projected to its own rule.
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
// An expanded relation is a record (ROW(…) of the related row's columns and its own relations, NULL when
// there is no related row the caller may read): `record` lists its fields (json_build_object per expanded row
// cost PostgreSQL several µs; a record costs it next to nothing and the Bridge writes the same JSON).
struct RowField {
  const std::string* json_key = nullptr;
  sql::WireKind wire = sql::WireKind::Text;
  bool is_record = false;
  std::vector<RowField> record;
};

// `columns` are projected from `alias`; `children` add one key each. Aliases for nested lookups are taken
// from `next_alias` (e1, e2, ...).
std::string row_json_sql(const TableView& table, const std::string& alias,
                         const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                         const Principal& who, SqlBuilder& b, int& next_alias);

// The select list of a row the Bridge writes from plain columns (Statement::rowset): each column as it is
// stored, each child one record (ROW of its plain columns and its own children); `fields` gets one entry per
// result column, in order. PostgreSQL's json_build_object is the most expensive part of a small select
// (docs/decisions.md).
std::string row_columns_sql(const TableView& table, const std::string& alias,
                            const std::vector<std::string>& columns, const std::vector<ExpandChild>& children,
                            const Principal& who, SqlBuilder& b, int& next_alias,
                            std::vector<RowField>& fields);

// Columns of `table` the rule lets the caller read, in table order (PK first).
std::vector<std::string> readable_columns(const TableView& table, const CompiledRule& rule);

}  // namespace stk::bridge
