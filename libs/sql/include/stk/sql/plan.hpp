#pragma once
// The schema planner (spec hub-cli-schema §5.3): desired IR vs the live database → classified DDL operations,
// plus the drift report (live vs the snapshot stored after the last apply).
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/model/schema.hpp"
#include "stk/sql/live_schema.hpp"

namespace stk::sql {

inline constexpr std::string_view kSafe = "safe";
inline constexpr std::string_view kDestructive = "destructive";
inline constexpr std::string_view kUnsupported = "unsupported";

struct Operation {
  // create_table, create_index, add_column, alter_column_type, set_not_null, drop_not_null, set_default,
  // drop_default, add_unique, recreate_unique, recreate_index, alter_id_generate, alter_primary_key,
  // add_foreign_key, alter_foreign_key, drop_foreign_key, drop_unique, drop_index, drop_column, drop_table
  std::string op;
  std::string table;
  std::string column;  // empty when not about one column
  std::string cls;     // safe | destructive | unsupported
  // The DDL to run, in order, inside the apply transaction. Usually one statement; a re-create (index) is two
  // statements separated by ";\n". Empty when there is nothing to run (unsupported, or a Bridge-side change).
  std::string sql;
  std::string description;  // one sentence for the operator
  bool operator==(const Operation&) const = default;
};

struct Plan {
  std::vector<Operation> operations;
  std::vector<DriftItem> drift;
  bool has(std::string_view cls) const;
  bool empty() const { return operations.empty(); }
};

// desired: the tables of ONE connection from the new IR. applied: the last successfully applied IR of that
// connection (nullptr = never applied). live: introspected now. snapshot: introspection stored right after
// the last apply (nullptr = none).
//
// Managed scope = tables of `applied` ∪ tables of `desired`; any other table is never touched nor reported.
// Structure (tables, columns, types, nullability, PK, uniques, indexes, foreign keys) is compared against
// `live`; defaults against `applied` (a default changed in YAML), the snapshot (changed by hand) and `live`
// (value comparison). Drift = diff_live(*snapshot, live, tables of applied) when both exist.
//
// Order: CREATE TABLEs (name order), their indexes, then alters of existing tables (name order), then every
// ADD/ALTER foreign key (after all tables and columns exist, so order and cycles don't matter), drops last
// (foreign keys, uniques, indexes, columns, tables). Objects that go away with a dropped column or table are
// not dropped separately.
Plan plan_changes(const model::Schema& desired, const model::Schema* applied, const LiveSchema& live,
                  const LiveSchema* snapshot);

// {"operations":[{op,table,column?,class,sql,description}],"drift":[{table,column?,message}]}
nlohmann::json to_json(const Operation& op);
nlohmann::json to_json(const Plan& plan);

// Release gate (§5.5): why `live` does not match `desired` exactly in its tables (empty = matches). Same
// comparison as plan_changes with `desired` taken as the applied IR; each item is one operation that would be
// needed.
std::vector<DriftItem> mismatches(const model::Schema& desired, const LiveSchema& live);
bool matches(const model::Schema& desired, const LiveSchema& live);

}  // namespace stk::sql
