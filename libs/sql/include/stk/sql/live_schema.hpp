#pragma once
// The introspected state of one PostgreSQL database (schema `public`), as `pg::introspect` reads it from
// pg_catalog. The Hub stores it as the snapshot taken right after an apply (to_json/live_schema_from_json)
// and compares it with a later introspection to find drift (hand-made changes).
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stk::sql {

struct LiveColumn {
  std::string name;
  std::string type;  // format_type(atttypid, atttypmod): "text", "timestamp with time zone", …
  bool not_null = false;
  std::string default_expr;  // pg_get_expr(adbin) with TimeZone=UTC, DateStyle=ISO; empty = no default
  std::string identity;      // "" | "always" | "by_default"
  bool operator==(const LiveColumn&) const = default;
};

struct LiveUnique {
  std::string name;
  std::vector<std::string> columns;
  bool operator==(const LiveUnique&) const = default;
};

struct LiveIndex {
  std::string name;
  std::vector<std::string> columns;  // key columns in order; an expression key is its text
  bool unique = false;
  bool constraint = false;  // backs a PRIMARY KEY / UNIQUE / EXCLUDE constraint (managed through it)
  std::string method = "btree";
  std::string predicate;  // partial index WHERE clause, empty when none
  bool operator==(const LiveIndex&) const = default;
};

struct LiveForeignKey {
  std::string name;
  std::vector<std::string> columns;
  std::string ref_table;
  std::vector<std::string> ref_columns;
  std::string on_delete = "no_action";  // restrict|no_action|cascade|set_null|set_default
  std::string on_update = "no_action";
  bool operator==(const LiveForeignKey&) const = default;
};

struct LiveTable {
  std::string name;
  std::vector<LiveColumn> columns;  // attnum order
  std::string primary_key_name;     // constraint name; empty when the table has no PK
  std::vector<std::string> primary_key;
  std::vector<LiveUnique> uniques;           // sorted by name
  std::vector<LiveIndex> indexes;            // sorted by name; includes constraint-backed ones
  std::vector<LiveForeignKey> foreign_keys;  // sorted by name

  const LiveColumn* column(const std::string& name) const;
  const LiveUnique* unique(const std::string& name) const;
  const LiveIndex* index(const std::string& name) const;
  const LiveForeignKey* foreign_key(const std::string& name) const;
  bool operator==(const LiveTable&) const = default;
};

struct LiveSchema {
  std::map<std::string, LiveTable> tables;
  const LiveTable* table(const std::string& name) const;
  bool operator==(const LiveSchema&) const = default;
};

// {"version":1,"tables":{name:{"columns":[{name,type,notNull,default,identity}],"primaryKey":{name,columns}|null,
//  "uniques":[{name,columns}],"indexes":[{name,columns,unique,constraint,method,predicate}],
//  "foreignKeys":[{name,columns,refTable,refColumns,onDelete,onUpdate}]}}}
nlohmann::json to_json(const LiveSchema& s);
// Inverse of to_json; missing optional fields take their defaults. Throws stk::Error(BadRequest) when
// malformed.
LiveSchema live_schema_from_json(const nlohmann::json& j);

// One difference between the expected and the actual database, worded for an operator.
struct DriftItem {
  std::string table;
  std::string column;   // empty when the item is not about one column
  std::string message;  // full sentence, starts with "table '<t>'"
  bool operator==(const DriftItem&) const = default;
};
nlohmann::json to_json(const DriftItem& d);  // {"table","column"?,"message"}

// Differences between `expected` (the snapshot stored right after the last apply) and `actual` (introspected
// now), restricted to `tables`. Deterministic: tables in name order, then columns, primary key, uniques,
// indexes, foreign keys.
std::vector<DriftItem> diff_live(const LiveSchema& expected, const LiveSchema& actual,
                                 const std::set<std::string>& tables);

}  // namespace stk::sql
