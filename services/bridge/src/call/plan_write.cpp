// insert / update / delete (spec bridge-crud §5.2–§5.4, §7, §9.3–§9.4).
#include <set>

#include "call/bad_request.hpp"
#include "call/insert_check.hpp"
#include "call/plan.hpp"
#include "call/plan_common.hpp"
#include "call/row_json.hpp"
#include "call/rules.hpp"
#include "call/values.hpp"
#include "call/where.hpp"
#include "stk/core/error.hpp"
#include "stk/core/ids.hpp"

namespace stk::bridge {
namespace {

using J = nlohmann::ordered_json;

[[noreturn]] void forbidden_column(const std::string& column) {
  throw Error(Code::Forbidden, "column '" + column + "' is not writable for this caller");
}

// Rows come back projected to what the caller may read (PK only without a select rule), spec §5.2, as plain
// columns the Bridge writes as JSON (Statement::rowset).
std::string returning(const TableView& t, const std::string& alias, const Principal& who, SqlBuilder& b,
                      Statement& st) {
  std::vector<std::string> cols;
  const CompiledRule* read = select_rule(t, "select", who);
  if (read) cols = readable_columns(t, *read);
  if (std::find(cols.begin(), cols.end(), t.table->id.name) == cols.end())
    cols.insert(cols.begin(), t.table->id.name);
  int next_alias = 1;
  st.rowset = true;
  return " RETURNING " + row_columns_sql(t, alias, cols, {}, who, b, next_alias, st.fields);
}

const J& required_where(const J& params, const char* op) {
  const J& w = find_or_null(params, "where");
  if (!w.is_object() || w.empty())
    bad(std::string(op) + " needs a non-empty 'where' object (a safety gate: it never runs on every row)");
  return w;
}

std::string generated_pk(const std::string& strategy) {
  if (strategy == "ulid") return ulid();
  if (strategy == "uuid_v7") return uuid_v7();
  if (strategy == "uuid_v4") return uuid_v4();
  if (strategy == "nanoid") return nanoid(21);
  return "";
}

std::string filter_sql(const CompiledRule& rule, const TableView& t, const J& where, const Principal& who,
                       const Limits& limits, SqlBuilder& b) {
  std::string cond = condition_sql(rule, *t.table, who, b);
  std::string filter = where_sql(where, *t.table, "t0", limits, b);
  std::string out;
  if (!cond.empty()) out = "(" + cond + ")";
  if (!filter.empty()) out += (out.empty() ? "" : " AND ") + ("(" + filter + ")");
  return out;
}

}  // namespace

Statement plan_insert(const EnvRelease&, const TableView& t, const CompiledRule& rule, const J& params,
                      const Principal& who, const Limits& limits) {
  check_keys(params, {"values", "data"}, "insert");
  const J* values = find(params, "values");
  const J* data = find(params, "data");
  if (values && data) bad("insert takes 'values' or its alias 'data', not both");
  const J* payload = values ? values : data;
  if (!payload) bad("insert needs 'values': one row object or an array of row objects");
  std::vector<const J*> rows;
  if (payload->is_object()) {
    rows.push_back(payload);
  } else if (payload->is_array()) {
    if (payload->empty()) bad("'values' must not be an empty array");
    if (int(payload->size()) > limits.insert_max_rows)
      bad("a batch insert takes at most " + std::to_string(limits.insert_max_rows) + " rows");
    for (const auto& r : *payload) {
      if (!r.is_object()) bad("every element of 'values' must be a row object");
      rows.push_back(&r);
    }
  } else {
    bad("'values' must be a row object or an array of row objects");
  }
  const model::Table& table = *t.table;
  const std::string& pk = table.id.name;
  const bool generated = table.id.generate != "client";
  // 1. keys: unknown columns, PK rules (400)
  for (size_t i = 0; i < rows.size(); ++i) {
    for (const auto& [k, v] : rows[i]->items()) {
      (void)v;
      if (!table.has_column(k))
        bad("unknown column '" + k.substr(0, 100) + "' for table '" + table.name + "'");
      if (k == pk && generated)
        bad("primary key '" + pk + "' is generated (" + table.id.generate + "); do not send it");
    }
    if (!generated && !rows[i]->contains(pk))
      bad("primary key '" + pk + "' is required (generate: client)" +
          (rows.size() > 1 ? " in row " + std::to_string(i) : std::string()));
  }
  // 2. column permissions (403)
  for (const auto* r : rows)
    for (const auto& [k, v] : r->items()) {
      (void)v;
      if (!rule.allows(k)) forbidden_column(k);
    }
  // 3. values (400), including required columns
  for (size_t i = 0; i < rows.size(); ++i) {
    for (const auto& [k, v] : rows[i]->items()) check_value(*column_type(table, k), v, true);
    for (const auto& c : table.columns)
      if (!c.nullable && !c.has_default() && !rows[i]->contains(c.name))
        bad("column '" + c.name + "' is required (not nullable, no default)" +
            (rows.size() > 1 ? " in row " + std::to_string(i) : std::string()));
  }
  // 4. insert condition (403)
  if (rule.condition)
    for (const auto* r : rows)
      if (!insert_row_satisfies(*rule.condition, *r, who))
        throw Error(Code::Forbidden,
                    "a row does not satisfy the insert condition of table '" + table.name + "'");

  // Columns: the generated PK, then every column any row supplies, in table order.
  std::vector<std::string> cols;
  const bool gen_in_bridge = generated && table.id.generate != "auto_increment";
  if (gen_in_bridge) cols.push_back(pk);
  for (const auto& c : t.all_columns) {
    if (gen_in_bridge && c == pk) continue;
    for (const auto* r : rows)
      if (r->contains(c)) {
        cols.push_back(c);
        break;
      }
  }
  SqlBuilder b;
  Statement st;
  std::string sql = "INSERT INTO " + q(table.name) + " AS r";
  if (cols.empty()) {
    if (rows.size() > 1) {
      // Every row is all defaults: one multi-row statement still needs a column list.
      sql += " (" + q(pk) + ") VALUES ";
      for (size_t i = 0; i < rows.size(); ++i) sql += (i ? ", " : "") + std::string("(DEFAULT)");
    } else {
      sql += " DEFAULT VALUES";
    }
  } else {
    sql += " (";
    for (size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + q(cols[i]);
    sql += ") VALUES ";
    for (size_t i = 0; i < rows.size(); ++i) {
      sql += i ? ", (" : "(";
      for (size_t j = 0; j < cols.size(); ++j) {
        if (j) sql += ", ";
        const auto ct = *column_type(table, cols[j]);
        if (gen_in_bridge && cols[j] == pk) {
          sql += typed_placeholder(ct, b.add(generated_pk(table.id.generate)));
          continue;
        }
        auto it = rows[i]->find(cols[j]);
        if (it == rows[i]->end()) {
          sql += "DEFAULT";
        } else {
          sql += typed_placeholder(ct, b.add(param_text(ct, *it)));
        }
      }
      sql += ")";
    }
  }
  sql += returning(t, "r", who, b, st);
  st.connection = table.connection;
  st.sql = std::move(sql);
  st.params = std::move(b.params);
  return st;
}

Statement plan_update(const EnvRelease&, const TableView& t, const CompiledRule& rule, const J& params,
                      const Principal& who, const Limits& limits) {
  check_keys(params, {"where", "data"}, "update");
  const J& where = required_where(params, "update");
  const J& data = find_or_null(params, "data");
  if (!data.is_object() || data.empty()) bad("update needs a non-empty 'data' object of column: new value");
  const model::Table& table = *t.table;
  for (const auto& [k, v] : data.items()) {
    (void)v;
    if (!table.has_column(k)) bad("unknown column '" + k.substr(0, 100) + "' for table '" + table.name + "'");
    if (k == table.id.name) bad("the primary key '" + k + "' cannot be changed by update");
  }
  for (const auto& [k, v] : data.items()) {
    (void)v;
    if (!rule.allows(k)) forbidden_column(k);
  }
  for (const auto& [k, v] : data.items()) check_value(*column_type(table, k), v, true);
  SqlBuilder b;
  std::string set;
  for (const auto& [k, v] : data.items()) {
    auto ct = *column_type(table, k);
    set += (set.empty() ? "" : ", ") + q(k) + " = " + typed_placeholder(ct, b.add(param_text(ct, v)));
  }
  std::string filter = filter_sql(rule, t, where, who, limits, b);
  Statement st;
  std::string sql =
      "UPDATE " + q(table.name) + " AS t0 SET " + set + " WHERE " + filter + returning(t, "t0", who, b, st);
  st.connection = table.connection;
  st.sql = std::move(sql);
  st.params = std::move(b.params);
  return st;
}

Statement plan_delete(const EnvRelease&, const TableView& t, const CompiledRule& rule, const J& params,
                      const Principal& who, const Limits& limits) {
  check_keys(params, {"where"}, "delete");
  const J& where = required_where(params, "delete");
  SqlBuilder b;
  std::string filter = filter_sql(rule, t, where, who, limits, b);
  Statement st;
  st.connection = t.table->connection;
  st.affected = true;
  st.sql = "WITH r AS (DELETE FROM " + q(t.table->name) + " AS t0 WHERE " + filter +
           " RETURNING 1) SELECT count(*), count(*), NULL::json, NULL::bigint FROM r";
  st.params = std::move(b.params);
  return st;
}

}  // namespace stk::bridge
