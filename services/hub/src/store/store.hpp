#pragma once
// The Hub store: every durable fact of the control plane. An interface so that a PostgreSQL implementation
// (STK_HUB_DB_URL=postgres://…, for HA) can sit beside the SQLite one. All methods are thread-safe.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stk::hub {

struct Operator {
  std::string id;  // "op_<ulid>"
  std::string email;
  std::string password_hash;
  std::string status;  // active|disabled
  std::string created_at;
};

struct Membership {
  std::string scope;  // "org" or the project name
  std::string email;
  std::string role;
  std::string status;  // pending|active
  std::string invite_code_hash;
  int64_t invite_expires_at = 0;  // unix ms
};

struct Env {
  std::string project, name, created_at, created_by;
};

struct ConnectionRow {
  std::string project, env, name, engine, encrypted_config;
  int key_version = 1;
  std::string updated_at;
  std::optional<std::string> last_tested_at;
  std::optional<bool> last_test_ok;
};

struct ApiKeyRow {
  std::string key_id, project, env, name, secret_hash;
  std::vector<std::string> roles;
  std::string status;  // active|revoked
  std::string created_at, created_by;
  std::optional<std::string> revoked_at, last_used_at;
};

struct ReleaseRow {
  std::string release_id, project, origin_env, ref, digest;
  std::string payload;  // canonical JSON served to Bridges
  std::string created_at, created_by;
};

struct CurrentRelease {
  std::string release_id;
  std::string updated_at;
};

struct ReleaseHistoryRow {
  std::string release_id, action, at, actor;
};

struct AppliedSchema {
  std::string ir;  // IR JSON of one connection
  std::string applied_at, ref;
};

struct Snapshot {
  std::string introspection;  // sql::LiveSchema JSON
  std::string taken_at;
  bool drift = false;
  std::string drift_report;
};

struct AuditRow {
  int64_t id = 0;
  std::string ts, actor_id, actor_type, action, project, env, detail, ip;
};

struct AuditQuery {
  std::optional<std::string> project, env, action;
  std::optional<std::string> since;  // RFC 3339
  int limit = 100;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in one transaction (serialised with every other store call).
  virtual void transaction(const std::function<void()>& fn) = 0;

  // operators and sessions
  virtual size_t operator_count() = 0;
  virtual void insert_operator(const Operator& op) = 0;
  virtual std::optional<Operator> operator_by_email(const std::string& email) = 0;
  virtual std::optional<Operator> operator_by_id(const std::string& id) = 0;
  virtual void insert_session(const std::string& token_hash, const std::string& operator_id,
                              int64_t expires_at) = 0;
  // Returns the operator id of a live (not expired, not revoked) session.
  virtual std::optional<std::string> session_operator(const std::string& token_hash, int64_t now_ms) = 0;
  virtual void revoke_session(const std::string& token_hash) = 0;

  // memberships (scope "org" for the org)
  virtual void upsert_membership(const Membership& m) = 0;
  virtual std::optional<Membership> membership(const std::string& scope, const std::string& email) = 0;
  virtual std::optional<Membership> membership_by_invite(const std::string& code_hash) = 0;
  virtual std::vector<Membership> memberships(const std::string& scope) = 0;
  virtual std::vector<Membership> memberships_of(const std::string& email) = 0;
  virtual void delete_membership(const std::string& scope, const std::string& email) = 0;

  // projects and envs
  virtual bool insert_project(const std::string& name, const std::string& created_by) = 0;  // false if exists
  virtual bool project_exists(const std::string& name) = 0;
  virtual std::vector<std::pair<std::string, std::string>> projects() = 0;  // (name, created_at)
  virtual bool insert_env(const std::string& project, const std::string& env, const std::string& by) = 0;
  virtual bool env_exists(const std::string& project, const std::string& env) = 0;
  virtual std::vector<Env> envs(const std::string& project) = 0;

  // connections
  virtual void upsert_connection(const ConnectionRow& c) = 0;
  virtual std::optional<ConnectionRow> connection(const std::string& project, const std::string& env,
                                                  const std::string& name) = 0;
  virtual std::vector<ConnectionRow> connections(const std::string& project, const std::string& env) = 0;
  virtual void record_connection_test(const std::string& project, const std::string& env,
                                      const std::string& name, bool ok) = 0;

  // API keys
  virtual void insert_api_key(const ApiKeyRow& k) = 0;
  virtual std::vector<ApiKeyRow> api_keys(const std::string& project, const std::string& env) = 0;
  virtual bool revoke_api_key(const std::string& key_id) = 0;
  // Moves last_used_at forward (never back) for each (keyId, RFC 3339 time in rfc3339()'s fixed format);
  // unknown keys are skipped. Returns how many keys moved.
  virtual size_t touch_api_keys(const std::vector<std::pair<std::string, std::string>>& used) = 0;

  // releases
  virtual std::optional<ReleaseRow> release(const std::string& release_id) = 0;
  virtual void insert_release(const ReleaseRow& r) = 0;
  virtual std::optional<CurrentRelease> current_release(const std::string& project,
                                                        const std::string& env) = 0;
  // Moves the pointer and appends history; returns false if it already pointed there (no history row).
  virtual bool set_current_release(const std::string& project, const std::string& env,
                                   const std::string& release_id, const std::string& action,
                                   const std::string& actor) = 0;
  virtual std::vector<ReleaseHistoryRow> release_history(const std::string& project, const std::string& env,
                                                         int limit) = 0;
  virtual std::vector<std::string> envs_where_current(const std::string& project,
                                                      const std::string& release_id) = 0;
  // Whether release_id has ever been current in the env (any history row: apply, promote or rollback).
  virtual bool was_current(const std::string& project, const std::string& env,
                           const std::string& release_id) = 0;

  // schema state per connection
  virtual std::optional<AppliedSchema> applied_schema(const std::string& project, const std::string& env,
                                                      const std::string& connection) = 0;
  virtual std::vector<std::string> applied_connections(const std::string& project,
                                                       const std::string& env) = 0;
  virtual void set_applied_schema(const std::string& project, const std::string& env,
                                  const std::string& connection, const AppliedSchema& s) = 0;
  virtual std::optional<Snapshot> latest_snapshot(const std::string& project, const std::string& env,
                                                  const std::string& connection) = 0;
  virtual void insert_snapshot(const std::string& project, const std::string& env,
                               const std::string& connection, const Snapshot& s) = 0;

  // audit log
  virtual void insert_audit(const std::vector<AuditRow>& rows) = 0;
  virtual std::vector<AuditRow> audit(const AuditQuery& q) = 0;
  virtual int64_t purge_audit_before(const std::string& ts) = 0;

  virtual bool ping() = 0;
};

// "sqlite:///abs/path.db" or a plain path. Runs the store's versioned migrations.
std::unique_ptr<Store> open_sqlite_store(const std::string& path);

}  // namespace stk::hub
