#pragma once
// Schema IR (spec hub-cli-schema §4): the typed, engine-neutral form of schema/*.yaml with every default made
// explicit. Column order = declaration order.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/model/diagnostics.hpp"

namespace stk::model {

// Logical column types. "array" carries `items` (a type string, possibly "array<...>").
inline const std::set<std::string>& scalar_types() {
  static const std::set<std::string> k = {"string",  "int",  "bigint",    "float", "decimal",
                                          "boolean", "json", "timestamp", "bytes", "file"};
  return k;
}

struct Reference {
  std::string table;
  std::string column;                  // defaults to the target's PK name
  std::string as;                      // relation name for expand; empty = none
  std::string on_delete = "restrict";  // restrict|no_action|cascade|set_null|set_default
  std::string on_update = "restrict";
};

struct Column {
  std::string name;
  std::string type;   // "string", "int", ..., "array"
  std::string items;  // arrays only: "string", "array<int>", ...
  bool nullable = false;
  bool unique = false;
  // Default: JSON literal of the column's type, or default_now for timestamp `now`. Absent = no default.
  std::optional<nlohmann::json> default_value;
  bool default_now = false;
  std::string bucket;          // file only
  std::string file_on_delete;  // file only: preserve|cascade ("preserve" when omitted)
  std::optional<Reference> references;
  SourcePos pos;
  bool has_default() const { return default_now || default_value.has_value(); }
};

struct PrimaryKey {
  std::string name = "id";
  std::string type = "string";    // string|bigint
  std::string generate = "ulid";  // ulid|nanoid|uuid_v4|uuid_v7|auto_increment|client
};

struct Index {
  std::string name;
  std::vector<std::string> columns;
  bool unique = false;
};

struct Table {
  std::string name;
  std::string connection = "main";
  PrimaryKey id;
  std::vector<Column> columns;  // declaration order, PK not included
  std::vector<Index> indexes;
  SourcePos pos;

  const Column* column(const std::string& name) const;  // declared column (not the PK)
  bool has_column(const std::string& name) const;       // PK or declared column
  // Logical type of any column including the PK ("string"/"bigint" for the PK); empty when unknown.
  std::string type_of(const std::string& name) const;
};

struct Schema {
  std::vector<Table> tables;  // sorted by name
  const Table* table(const std::string& name) const;
  std::set<std::string> connections() const;
};

// IR JSON (spec §4.6) for one connection: {"version":1,"tables":{name:{connection,id,columns,indexes}}}.
// Columns keep declaration order (ordered_json); `canonical_dump` of the result is what gets hashed.
nlohmann::ordered_json schema_to_ir(const Schema& schema, const std::string& connection);
// {"main": <ir>, ...} for every connection the schema uses.
nlohmann::ordered_json schema_to_ir_by_connection(const Schema& schema);
// Inverse of schema_to_ir_by_connection (also accepts a single-connection IR: {"version","tables"}).
// Throws stk::Error(BadRequest) on malformed input.
// Note: nlohmann::json sorts object keys, so this overload returns columns in name order; use the
// ordered_json overload (parse stored IR text with nlohmann::ordered_json::parse) to keep declaration order.
Schema schema_from_ir(const nlohmann::json& ir_by_connection);
Schema schema_from_ir(const nlohmann::ordered_json& ir_by_connection);

// Whether `value` is a valid JSON wire value of a logical type (spec bridge-crud §7): string/file -> string;
// int -> integer in int32; bigint -> integer or decimal-digit string in int64; float -> number; decimal ->
// number or decimal string; boolean; json -> anything; timestamp -> RFC 3339 string; bytes -> base64 string;
// array -> array whose elements match `items` (no nulls). `null` is never valid here (nullability is
// separate).
bool is_valid_value(const std::string& type, const std::string& items, const nlohmann::json& value);

// Default index name (spec §4.4): ix_<table>_<cols> / ux_… ; shortened with a hash suffix to 63 chars.
std::string default_index_name(const std::string& table, const std::vector<std::string>& columns,
                               bool unique);

}  // namespace stk::model
