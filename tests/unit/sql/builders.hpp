#pragma once
// Small builders for schema IR in tests (the structs are filled directly: no model .cpp needed).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/model/schema.hpp"
#include "stk/sql/ddl.hpp"
#include "stk/sql/live_schema.hpp"
#include "stk/sql/types.hpp"

namespace stk::test {

struct Col {
  model::Column c;
  Col(std::string name, std::string type) {
    c.name = std::move(name);
    c.type = std::move(type);
  }
  Col& null() {
    c.nullable = true;
    return *this;
  }
  Col& uniq() {
    c.unique = true;
    return *this;
  }
  Col& def(nlohmann::json v) {
    c.default_value = std::move(v);
    return *this;
  }
  Col& now() {
    c.default_now = true;
    return *this;
  }
  Col& items(std::string i) {
    c.items = std::move(i);
    return *this;
  }
  Col& ref(std::string table, std::string column = "", std::string on_delete = "restrict",
           std::string on_update = "restrict") {
    model::Reference r;
    r.table = std::move(table);
    r.column = std::move(column);
    r.on_delete = std::move(on_delete);
    r.on_update = std::move(on_update);
    c.references = std::move(r);
    return *this;
  }
  operator model::Column() const { return c; }  // NOLINT
};

inline model::PrimaryKey pk(std::string generate = "ulid", std::string type = "string",
                            std::string name = "id") {
  model::PrimaryKey p;
  p.name = std::move(name);
  p.type = std::move(type);
  p.generate = std::move(generate);
  return p;
}
inline model::PrimaryKey auto_pk(std::string name = "id") {
  return pk("auto_increment", "bigint", std::move(name));
}

inline model::Index idx(std::string name, std::vector<std::string> cols, bool unique = false) {
  model::Index i;
  i.name = std::move(name);
  i.columns = std::move(cols);
  i.unique = unique;
  return i;
}

inline model::Table table(std::string name, std::vector<model::Column> cols, model::PrimaryKey id = pk(),
                          std::vector<model::Index> indexes = {}) {
  model::Table t;
  t.name = std::move(name);
  t.id = std::move(id);
  t.columns = std::move(cols);
  t.indexes = std::move(indexes);
  return t;
}

inline model::Schema schema(std::vector<model::Table> tables) {
  model::Schema s;
  s.tables = std::move(tables);
  return s;
}

// What introspection would report after running create_schema(s) (defaults in their rendered form, which
// default_matches accepts as well as pg_get_expr's).
inline sql::LiveSchema live_of(const model::Schema& s) {
  sql::LiveSchema live;
  for (const auto& t : s.tables) {
    sql::LiveTable& lt = live.tables[t.name];
    lt.name = t.name;
    bool auto_inc = t.id.generate == "auto_increment";
    lt.columns.push_back({t.id.name, auto_inc ? "bigint" : sql::pg_type_reported(t.id.type), true, "",
                          auto_inc ? "by_default" : ""});
    lt.primary_key_name = t.name + "_pkey";
    lt.primary_key = {t.id.name};
    lt.indexes.push_back({t.name + "_pkey", {t.id.name}, true, true, "btree", ""});
    for (const auto& c : t.columns) {
      lt.columns.push_back({c.name, sql::pg_type_reported(c.type), !c.nullable, sql::default_sql(c), ""});
      if (c.unique) {
        auto n = sql::unique_constraint_name(t.name, c.name);
        lt.uniques.push_back({n, {c.name}});
        lt.indexes.push_back({n, {c.name}, true, true, "btree", ""});
      }
      if (c.references)
        lt.foreign_keys.push_back({sql::foreign_key_name(t.name, c.name),
                                   {c.name},
                                   c.references->table,
                                   {sql::referenced_column(c, s)},
                                   c.references->on_delete,
                                   c.references->on_update});
    }
    for (const auto& i : t.indexes) lt.indexes.push_back({i.name, i.columns, i.unique, false, "btree", ""});
    auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
    std::sort(lt.uniques.begin(), lt.uniques.end(), by_name);
    std::sort(lt.indexes.begin(), lt.indexes.end(), by_name);
    std::sort(lt.foreign_keys.begin(), lt.foreign_keys.end(), by_name);
  }
  return live;
}

}  // namespace stk::test
