#include "store/migrations.hpp"

namespace stk::hub {

const std::vector<Migration>& sqlite_migrations() {
  static const std::vector<Migration> k = {
      {1, R"sql(
CREATE TABLE operators (
  id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active', created_at TEXT NOT NULL);
CREATE TABLE operator_sessions (
  token_hash TEXT PRIMARY KEY, operator_id TEXT NOT NULL REFERENCES operators(id),
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE memberships (
  scope TEXT NOT NULL, email TEXT NOT NULL, role TEXT NOT NULL, status TEXT NOT NULL,
  invite_code_hash TEXT, invite_expires_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, email));
CREATE UNIQUE INDEX memberships_invite ON memberships(invite_code_hash) WHERE invite_code_hash IS NOT NULL;
CREATE TABLE projects (name TEXT PRIMARY KEY, created_at TEXT NOT NULL, created_by TEXT NOT NULL);
CREATE TABLE envs (
  project TEXT NOT NULL REFERENCES projects(name), name TEXT NOT NULL,
  created_at TEXT NOT NULL, created_by TEXT NOT NULL, PRIMARY KEY (project, name));
CREATE TABLE connections (
  project TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL, engine TEXT NOT NULL,
  encrypted_config TEXT NOT NULL, key_version INTEGER NOT NULL, updated_at TEXT NOT NULL,
  last_tested_at TEXT, last_test_ok INTEGER,
  PRIMARY KEY (project, env, name), FOREIGN KEY (project, env) REFERENCES envs(project, name));
CREATE TABLE api_keys (
  key_id TEXT PRIMARY KEY, project TEXT NOT NULL, env TEXT NOT NULL, name TEXT NOT NULL,
  secret_hash TEXT NOT NULL, roles TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
  created_by TEXT NOT NULL, revoked_at TEXT, last_used_at TEXT,
  FOREIGN KEY (project, env) REFERENCES envs(project, name));
CREATE UNIQUE INDEX api_keys_active_name ON api_keys(project, env, name) WHERE status = 'active';
CREATE TABLE releases (
  release_id TEXT PRIMARY KEY, project TEXT NOT NULL REFERENCES projects(name), origin_env TEXT NOT NULL,
  ref TEXT NOT NULL, digest TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL,
  created_by TEXT NOT NULL);
CREATE TABLE current_releases (
  project TEXT NOT NULL, env TEXT NOT NULL, release_id TEXT NOT NULL REFERENCES releases(release_id),
  updated_at TEXT NOT NULL, PRIMARY KEY (project, env));
CREATE TABLE release_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT, project TEXT NOT NULL, env TEXT NOT NULL,
  release_id TEXT NOT NULL, action TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL);
CREATE INDEX release_history_env ON release_history(project, env, id);
CREATE TABLE applied_schemas (
  project TEXT NOT NULL, env TEXT NOT NULL, connection TEXT NOT NULL, ir TEXT NOT NULL,
  applied_at TEXT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (project, env, connection));
CREATE TABLE schema_snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT, project TEXT NOT NULL, env TEXT NOT NULL, connection TEXT NOT NULL,
  introspection TEXT NOT NULL, taken_at TEXT NOT NULL, drift INTEGER NOT NULL, drift_report TEXT NOT NULL);
CREATE INDEX schema_snapshots_conn ON schema_snapshots(project, env, connection, id);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, actor_id TEXT NOT NULL, actor_type TEXT NOT NULL,
  action TEXT NOT NULL, project TEXT, env TEXT, detail TEXT NOT NULL, ip TEXT);
CREATE INDEX audit_log_ts ON audit_log(ts);
CREATE INDEX audit_log_project ON audit_log(project, env, id);
)sql"},
  };
  return k;
}

}  // namespace stk::hub
