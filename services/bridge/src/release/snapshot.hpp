#pragma once
// The immutable state the Bridge serves from (DESIGN "hot path" step 3): every env's release compiled once
// when it arrives — schema IR as typed tables, rules per (table, op) with their conditions parsed, relations
// by expand name — plus the API-key index. A request holds a shared_ptr to one Snapshot for its whole life,
// so a release swapped in mid-request never changes what that request sees.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/cel/cel.hpp"
#include "stk/model/limits.hpp"
#include "stk/model/schema.hpp"
#include "stk/sql/wire_json.hpp"

namespace stk::bridge {

struct CompiledRule {
  std::vector<std::string> roles;
  bool all_columns = true;
  std::unordered_set<std::string> columns;  // when !all_columns
  std::string columns_error;                // a `columns` entry names no column ⇒ 400 at request time
  cel::ExprPtr condition;                   // null = no condition
  std::string condition_error;              // condition present but unusable ⇒ 400 at request time
  bool allows(const std::string& column) const { return all_columns || columns.count(column) > 0; }
};

struct Relation {
  std::string name;       // references.as
  std::string fk_column;  // column of this table
  std::string target;     // target table
  std::string target_column;
  // SQL text for the expand lookup (call/row_json), built once per release: the key and quoted identifiers.
  std::string key_literal, quoted_target, quoted_target_column, quoted_fk_column;
  std::string json_key;  // "name" :  (the key as a row written by the Bridge starts it)
};

// One column's entry in a JSON row projection (call/row_json), built once per release because every select
// needs it: row_json_sql writes key_literal, ", ", before, <alias>, dot_column_after; a row the Bridge writes
// from plain columns (sql/wire_json) writes json_key and the column's value in its wire kind.
struct ColumnOutput {
  std::string key_literal;       // 'name'
  std::string before;            // wire-format prefix, e.g. to_char(
  std::string dot_column_after;  // ."name" and the wire-format suffix
  std::string quoted;            // "name"
  std::string json_key;          // "name" :  (json_build_object's spacing, so both row forms read alike)
  sql::WireKind wire = sql::WireKind::Text;
};

struct TableView {
  TableView() = default;
  TableView(TableView&&) = default;  // moving the maps keeps their nodes, so all_outputs stays valid
  TableView& operator=(TableView&&) = default;
  TableView(const TableView&) = delete;  // a copy's all_outputs would point into the original
  TableView& operator=(const TableView&) = delete;

  const model::Table* table = nullptr;
  std::unordered_map<std::string, std::vector<CompiledRule>> ops;  // op -> rules in file order
  std::unordered_map<std::string, Relation> relations;             // by `as`
  std::vector<std::string> all_columns;                            // PK first, then declaration order
  std::unordered_map<std::string, ColumnOutput> outputs;           // by column name, every column
  // The commonest select list, every column of the root row (alias t0) as stored — t0."id", t0."email", … —
  // built once per release rather than per request (call/row_json.cpp).
  std::string all_columns_select;
  std::vector<const ColumnOutput*> all_outputs;  // outputs of all_columns, in that order
};

struct EnvRelease {
  std::string project, env, release_id;
  model::Schema schema;
  std::unordered_map<std::string, TableView> tables;
  std::map<std::string, std::string> db_urls;  // connection name -> URL (never logged)
  model::Limits limits;  // config/limits.yaml (rate limits); an unset limiter uses the Bridge's env default
  const TableView* table(const std::string& name) const {
    auto it = tables.find(name);
    return it == tables.end() ? nullptr : &it->second;
  }
};

// When a key last authenticated a request here (unix seconds; 0 = not since this Bridge started). One per
// key, shared by every Snapshot that holds the key, so publishing a new Snapshot loses no use; reported to
// the Hub's lastUsedAt by sync/key_usage_report.
struct KeyUse {
  std::atomic<int64_t> last_s{0};
  // Hot path: one relaxed load per request, a store at most once a second.
  void note(int64_t now_s) {
    if (last_s.load(std::memory_order_relaxed) < now_s) last_s.store(now_s, std::memory_order_relaxed);
  }
};

struct ApiKeyEntry {
  std::string key_id, digest;  // digest = sha256 hex of the secret part
  std::vector<std::string> roles;
  std::shared_ptr<const EnvRelease> env;
  std::shared_ptr<KeyUse> use = std::make_shared<KeyUse>();
};

struct Snapshot {
  std::unordered_map<std::string, std::shared_ptr<const EnvRelease>> envs;  // "project/env"
  std::unordered_map<std::string, ApiKeyEntry> keys;                        // active keys by keyId
  int64_t confirmed_at_ms = 0;  // last time the Hub confirmed this state (max-stale is measured from it)
  std::string etag;             // the Hub state's ETag
  uint64_t serial = 0;  // unique per Snapshot built in this process (caches key on it, not on addresses)
  const EnvRelease* env(const std::string& project, const std::string& env_name) const {
    auto it = envs.find(project + "/" + env_name);
    return it == envs.end() ? nullptr : it->second.get();
  }
};

// Compiles one release payload (as stored by the Hub) with its connections. Throws stk::Error on a payload
// it cannot read; a bad rule never fails the release (it fails its requests with 400, spec §9.5).
std::shared_ptr<const EnvRelease> compile_release(const nlohmann::ordered_json& payload,
                                                  const nlohmann::json& connections);

// Builds a Snapshot from the Hub's /internal/bridge/state document and release payloads by id. Keys that
// `previous` also holds keep their KeyUse.
std::shared_ptr<const Snapshot> build_snapshot(
    const nlohmann::json& state, const std::map<std::string, std::shared_ptr<const EnvRelease>>& by_env,
    int64_t confirmed_at_ms, std::string etag, const Snapshot* previous = nullptr);

}  // namespace stk::bridge
