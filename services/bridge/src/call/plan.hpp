#pragma once
// Request → one parameterized SQL statement (spec bridge-crud §5–§7, §10; DESIGN Decisions 1 and 4).
//
// Two result forms (Statement::rowset). Selects without count, inserts and updates return one row per data
// row as plain columns (plus one record per expanded relation, then the keyset cursor), and the Bridge
// writes the rows' JSON. Counted selects and deletes return one row of four columns:
//   0  data: a JSON array of rows (counted select) or the affected count (delete)
//   1  rows in the page (select; checks the row cap)
//   2  keyset cursor of the last row, as a JSON array of text values, or NULL
//   3  total count (count: "exact"), or NULL
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "call/principal.hpp"
#include "call/request.hpp"
#include "call/row_json.hpp"
#include "config.hpp"
#include "release/snapshot.hpp"

namespace stk::bridge {

struct Statement {
  std::string sql;
  std::vector<std::optional<std::string>> params;
  std::string connection;  // the table's connection
  bool affected = false;   // delete: data = {"affected": N}
  // Row set (select without count, insert, update): one result row per data row, its columns as `fields`
  // describes (then its cursor values when want_cursor); the Bridge writes each row's JSON and joins them
  // into the data array. Otherwise one row of four columns: the data array, the row count, the last row's
  // cursor values, meta.count (or "affected" for delete).
  bool rowset = false;
  std::vector<RowField> fields;
  bool read_only = false;    // a select: may share a Sync with other selects (stk::pg::Access::ReadOnly)
  bool want_count = false;   // meta.count
  bool want_cursor = false;  // meta.nextCursor (keyset mode)
  int64_t page_limit = -1;   // explicit limit (a full page gets a cursor)
  int64_t row_cap = -1;      // unlimited select: more rows than this ⇒ 400
  std::string cursor_order;  // keyset: the sort keys ("title:asc,id:asc") a cursor is bound to
};

// Validates everything (spec §4 steps 5–8, in order) and plans the statement. Throws stk::Error with the
// spec's code on any failure; nothing here touches the database.
Statement plan_call(const EnvRelease& env, const Route& route, const nlohmann::ordered_json& params,
                    const Principal& who, const Limits& limits);

// Keyset cursors: the last row's sort key values (text or null), opaque to clients (base64url JSON).
// The cursor names the sort keys it was made for, so a cursor reused with another orderBy is a 400, never a
// silently wrong page.
std::string encode_cursor(std::string_view order, std::string_view json_array_text);

}  // namespace stk::bridge
