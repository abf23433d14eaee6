// SQLite implementation of the Hub store: one connection in WAL mode, every call serialised by a mutex
// (control-plane traffic is small; a single writer avoids SQLITE_BUSY handling entirely).
#include <mutex>

#include <nlohmann/json.hpp>

#include "stk/core/error.hpp"
#include "stk/core/time.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace stk::hub {

namespace {

std::vector<std::string> parse_roles(const std::string& s) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(s, nullptr, false);
  if (j.is_array())
    for (auto& r : j)
      if (r.is_string()) out.push_back(r.get<std::string>());
  return out;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const std::string& path) : db_(path) { migrate(); }

  void transaction(const std::function<void()>& fn) override {
    std::lock_guard lock(mu_);
    in_tx_ = true;
    db_.exec("BEGIN IMMEDIATE");
    try {
      fn();
      db_.exec("COMMIT");
    } catch (...) {
      db_.exec("ROLLBACK");
      in_tx_ = false;
      throw;
    }
    in_tx_ = false;
  }

  size_t operator_count() override {
    auto l = lock();
    auto s = db_.prepare("SELECT count(*) FROM operators");
    s.step();
    return size_t(s.integer(0));
  }
  void insert_operator(const Operator& op) override {
    auto l = lock();
    db_.prepare("INSERT INTO operators(id,email,password_hash,status,created_at) VALUES(?,?,?,?,?)")
        .bind_all({op.id, op.email, op.password_hash, op.status, op.created_at})
        .run();
  }
  std::optional<Operator> operator_by_email(const std::string& email) override {
    return find_operator("email", email);
  }
  std::optional<Operator> operator_by_id(const std::string& id) override { return find_operator("id", id); }

  void insert_session(const std::string& token_hash, const std::string& operator_id,
                      int64_t expires_at) override {
    auto l = lock();
    db_.prepare("INSERT INTO operator_sessions(token_hash,operator_id,created_at,expires_at) VALUES(?,?,?,?)")
        .bind_all({token_hash, operator_id, unix_ms(), expires_at})
        .run();
  }
  std::optional<std::string> session_operator(const std::string& token_hash, int64_t now_ms) override {
    auto l = lock();
    auto s = db_.prepare(
        "SELECT operator_id FROM operator_sessions WHERE token_hash=? AND revoked_at IS NULL AND "
        "expires_at>?");
    s.bind_all({token_hash, now_ms});
    if (!s.step()) return std::nullopt;
    return s.text(0);
  }
  void revoke_session(const std::string& token_hash) override {
    auto l = lock();
    db_.prepare("UPDATE operator_sessions SET revoked_at=? WHERE token_hash=?")
        .bind_all({unix_ms(), token_hash})
        .run();
  }

  void upsert_membership(const Membership& m) override {
    auto l = lock();
    db_.prepare(
           "INSERT INTO memberships(scope,email,role,status,invite_code_hash,invite_expires_at) "
           "VALUES(?,?,?,?,?,?) "
           "ON CONFLICT(scope,email) DO UPDATE SET role=excluded.role, status=excluded.status, "
           "invite_code_hash=excluded.invite_code_hash, invite_expires_at=excluded.invite_expires_at")
        .bind_all({m.scope, m.email, m.role, m.status,
                   m.invite_code_hash.empty() ? SqlValue(nullptr) : SqlValue(m.invite_code_hash),
                   m.invite_expires_at})
        .run();
  }
  std::optional<Membership> membership(const std::string& scope, const std::string& email) override {
    auto rows = query_memberships("WHERE scope=? AND email=?", {scope, email});
    if (rows.empty()) return std::nullopt;
    return rows.front();
  }
  std::optional<Membership> membership_by_invite(const std::string& code_hash) override {
    auto rows = query_memberships("WHERE invite_code_hash=?", {code_hash});
    if (rows.empty()) return std::nullopt;
    return rows.front();
  }
  std::vector<Membership> memberships(const std::string& scope) override {
    return query_memberships("WHERE scope=? ORDER BY email", {scope});
  }
  std::vector<Membership> memberships_of(const std::string& email) override {
    return query_memberships("WHERE email=? ORDER BY scope", {email});
  }
  void delete_membership(const std::string& scope, const std::string& email) override {
    auto l = lock();
    db_.prepare("DELETE FROM memberships WHERE scope=? AND email=?").bind_all({scope, email}).run();
  }

  bool insert_project(const std::string& name, const std::string& created_by) override {
    auto l = lock();
    db_.prepare("INSERT OR IGNORE INTO projects(name,created_at,created_by) VALUES(?,?,?)")
        .bind_all({name, now_rfc3339(), created_by})
        .run();
    return db_.changes() == 1;
  }
  bool project_exists(const std::string& name) override {
    auto l = lock();
    auto s = db_.prepare("SELECT 1 FROM projects WHERE name=?");
    s.bind(1, name);
    return s.step();
  }
  std::vector<std::pair<std::string, std::string>> projects() override {
    auto l = lock();
    auto s = db_.prepare("SELECT name, created_at FROM projects ORDER BY name");
    std::vector<std::pair<std::string, std::string>> out;
    while (s.step()) out.emplace_back(s.text(0), s.text(1));
    return out;
  }
  bool insert_env(const std::string& project, const std::string& env, const std::string& by) override {
    auto l = lock();
    db_.prepare("INSERT OR IGNORE INTO envs(project,name,created_at,created_by) VALUES(?,?,?,?)")
        .bind_all({project, env, now_rfc3339(), by})
        .run();
    return db_.changes() == 1;
  }
  bool env_exists(const std::string& project, const std::string& env) override {
    auto l = lock();
    auto s = db_.prepare("SELECT 1 FROM envs WHERE project=? AND name=?");
    s.bind_all({project, env});
    return s.step();
  }
  std::vector<Env> envs(const std::string& project) override {
    auto l = lock();
    auto s = db_.prepare("SELECT project,name,created_at,created_by FROM envs WHERE project=? ORDER BY name");
    s.bind(1, project);
    std::vector<Env> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3)});
    return out;
  }

  void upsert_connection(const ConnectionRow& c) override {
    auto l = lock();
    db_.prepare(
           "INSERT INTO connections(project,env,name,engine,encrypted_config,key_version,updated_at) "
           "VALUES(?,?,?,?,?,?,?) ON CONFLICT(project,env,name) DO UPDATE SET engine=excluded.engine, "
           "encrypted_config=excluded.encrypted_config, key_version=excluded.key_version, "
           "updated_at=excluded.updated_at, last_tested_at=NULL, last_test_ok=NULL")
        .bind_all(
            {c.project, c.env, c.name, c.engine, c.encrypted_config, int64_t(c.key_version), c.updated_at})
        .run();
  }
  std::optional<ConnectionRow> connection(const std::string& project, const std::string& env,
                                          const std::string& name) override {
    auto rows = query_connections("WHERE project=? AND env=? AND name=?", {project, env, name});
    if (rows.empty()) return std::nullopt;
    return rows.front();
  }
  std::vector<ConnectionRow> connections(const std::string& project, const std::string& env) override {
    return query_connections("WHERE project=? AND env=? ORDER BY name", {project, env});
  }
  void record_connection_test(const std::string& project, const std::string& env, const std::string& name,
                              bool ok) override {
    auto l = lock();
    db_.prepare(
           "UPDATE connections SET last_tested_at=?, last_test_ok=? WHERE project=? AND env=? AND name=?")
        .bind_all({now_rfc3339(), int64_t(ok ? 1 : 0), project, env, name})
        .run();
  }

  void insert_api_key(const ApiKeyRow& k) override {
    auto l = lock();
    db_.prepare(
           "INSERT INTO api_keys(key_id,project,env,name,secret_hash,roles,status,created_at,created_by) "
           "VALUES(?,?,?,?,?,?,?,?,?)")
        .bind_all({k.key_id, k.project, k.env, k.name, k.secret_hash, nlohmann::json(k.roles).dump(),
                   k.status, k.created_at, k.created_by})
        .run();
  }
  std::vector<ApiKeyRow> api_keys(const std::string& project, const std::string& env) override {
    auto l = lock();
    auto s = db_.prepare(
        "SELECT "
        "key_id,project,env,name,secret_hash,roles,status,created_at,created_by,revoked_at,last_used_at "
        "FROM api_keys WHERE project=? AND env=? ORDER BY created_at, key_id");
    s.bind_all({project, env});
    std::vector<ApiKeyRow> out;
    while (s.step()) {
      ApiKeyRow k{s.text(0), s.text(1), s.text(2), s.text(3),     s.text(4),     parse_roles(s.text(5)),
                  s.text(6), s.text(7), s.text(8), s.opt_text(9), s.opt_text(10)};
      out.push_back(std::move(k));
    }
    return out;
  }
  bool revoke_api_key(const std::string& key_id) override {
    auto l = lock();
    db_.prepare("UPDATE api_keys SET status='revoked', revoked_at=? WHERE key_id=? AND status='active'")
        .bind_all({now_rfc3339(), key_id})
        .run();
    return db_.changes() == 1;
  }

  size_t touch_api_keys(const std::vector<std::pair<std::string, std::string>>& used) override {
    size_t moved = 0;
    transaction([&] {
      for (const auto& [key_id, at] : used) {
        // rfc3339() writes a fixed-width UTC form, so text order is time order.
        db_.prepare(
               "UPDATE api_keys SET last_used_at=? WHERE key_id=? AND (last_used_at IS NULL OR "
               "last_used_at<?)")
            .bind_all({at, key_id, at})
            .run();
        moved += size_t(db_.changes());
      }
    });
    return moved;
  }

  std::optional<ReleaseRow> release(const std::string& release_id) override {
    auto l = lock();
    auto s = db_.prepare(
        "SELECT release_id,project,origin_env,ref,digest,payload,created_at,created_by FROM releases "
        "WHERE release_id=?");
    s.bind(1, release_id);
    if (!s.step()) return std::nullopt;
    return ReleaseRow{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7)};
  }
  void insert_release(const ReleaseRow& r) override {
    auto l = lock();
    db_.prepare(
           "INSERT INTO releases(release_id,project,origin_env,ref,digest,payload,created_at,created_by) "
           "VALUES(?,?,?,?,?,?,?,?)")
        .bind_all(
            {r.release_id, r.project, r.origin_env, r.ref, r.digest, r.payload, r.created_at, r.created_by})
        .run();
  }
  std::optional<CurrentRelease> current_release(const std::string& project, const std::string& env) override {
    auto l = lock();
    auto s = db_.prepare("SELECT release_id, updated_at FROM current_releases WHERE project=? AND env=?");
    s.bind_all({project, env});
    if (!s.step()) return std::nullopt;
    return CurrentRelease{s.text(0), s.text(1)};
  }
  bool set_current_release(const std::string& project, const std::string& env, const std::string& release_id,
                           const std::string& action, const std::string& actor) override {
    auto l = lock();
    {
      auto s = db_.prepare("SELECT release_id FROM current_releases WHERE project=? AND env=?");
      s.bind_all({project, env});
      if (s.step() && s.text(0) == release_id) return false;
    }
    std::string now = now_rfc3339();
    db_.prepare(
           "INSERT INTO current_releases(project,env,release_id,updated_at) VALUES(?,?,?,?) "
           "ON CONFLICT(project,env) DO UPDATE SET release_id=excluded.release_id, "
           "updated_at=excluded.updated_at")
        .bind_all({project, env, release_id, now})
        .run();
    db_.prepare("INSERT INTO release_history(project,env,release_id,action,at,actor) VALUES(?,?,?,?,?,?)")
        .bind_all({project, env, release_id, action, now, actor})
        .run();
    return true;
  }
  std::vector<ReleaseHistoryRow> release_history(const std::string& project, const std::string& env,
                                                 int limit) override {
    auto l = lock();
    auto s = db_.prepare(
        "SELECT release_id, action, at, actor FROM release_history WHERE project=? AND env=? ORDER BY id "
        "DESC "
        "LIMIT ?");
    s.bind_all({project, env, int64_t(limit)});
    std::vector<ReleaseHistoryRow> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3)});
    return out;
  }
  bool was_current(const std::string& project, const std::string& env,
                   const std::string& release_id) override {
    auto l = lock();
    auto s = db_.prepare("SELECT 1 FROM release_history WHERE project=? AND env=? AND release_id=? LIMIT 1");
    s.bind_all({project, env, release_id});
    return s.step();
  }
  std::vector<std::string> envs_where_current(const std::string& project,
                                              const std::string& release_id) override {
    auto l = lock();
    auto s = db_.prepare("SELECT env FROM current_releases WHERE project=? AND release_id=? ORDER BY env");
    s.bind_all({project, release_id});
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
  }

  std::optional<AppliedSchema> applied_schema(const std::string& project, const std::string& env,
                                              const std::string& connection) override {
    auto l = lock();
    auto s = db_.prepare(
        "SELECT ir, applied_at, ref FROM applied_schemas WHERE project=? AND env=? AND connection=?");
    s.bind_all({project, env, connection});
    if (!s.step()) return std::nullopt;
    return AppliedSchema{s.text(0), s.text(1), s.text(2)};
  }
  std::vector<std::string> applied_connections(const std::string& project, const std::string& env) override {
    auto l = lock();
    auto s =
        db_.prepare("SELECT connection FROM applied_schemas WHERE project=? AND env=? ORDER BY connection");
    s.bind_all({project, env});
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
  }
  void set_applied_schema(const std::string& project, const std::string& env, const std::string& connection,
                          const AppliedSchema& a) override {
    auto l = lock();
    db_.prepare(
           "INSERT INTO applied_schemas(project,env,connection,ir,applied_at,ref) VALUES(?,?,?,?,?,?) "
           "ON CONFLICT(project,env,connection) DO UPDATE SET ir=excluded.ir, "
           "applied_at=excluded.applied_at, "
           "ref=excluded.ref")
        .bind_all({project, env, connection, a.ir, a.applied_at, a.ref})
        .run();
  }
  std::optional<Snapshot> latest_snapshot(const std::string& project, const std::string& env,
                                          const std::string& connection) override {
    auto l = lock();
    auto s = db_.prepare(
        "SELECT introspection, taken_at, drift, drift_report FROM schema_snapshots WHERE project=? AND env=? "
        "AND connection=? ORDER BY id DESC LIMIT 1");
    s.bind_all({project, env, connection});
    if (!s.step()) return std::nullopt;
    return Snapshot{s.text(0), s.text(1), s.integer(2) != 0, s.text(3)};
  }
  void insert_snapshot(const std::string& project, const std::string& env, const std::string& connection,
                       const Snapshot& sn) override {
    auto l = lock();
    db_.prepare(
           "INSERT INTO schema_snapshots(project,env,connection,introspection,taken_at,drift,drift_report) "
           "VALUES(?,?,?,?,?,?,?)")
        .bind_all({project, env, connection, sn.introspection, sn.taken_at, int64_t(sn.drift ? 1 : 0),
                   sn.drift_report})
        .run();
    // Keep the last 20 snapshots per connection: they only feed drift detection and its history.
    db_.prepare(
           "DELETE FROM schema_snapshots WHERE project=? AND env=? AND connection=? AND id NOT IN (SELECT id "
           "FROM "
           "schema_snapshots WHERE project=? AND env=? AND connection=? ORDER BY id DESC LIMIT 20)")
        .bind_all({project, env, connection, project, env, connection})
        .run();
  }

  void insert_audit(const std::vector<AuditRow>& rows) override {
    if (rows.empty()) return;
    auto l = lock();
    bool own_tx = !in_tx_;
    if (own_tx) db_.exec("BEGIN");
    try {
      auto s = db_.prepare(
          "INSERT INTO audit_log(ts,actor_id,actor_type,action,project,env,detail,ip) "
          "VALUES(?,?,?,?,?,?,?,?)");
      for (const auto& r : rows) {
        auto opt = [](const std::string& v) { return v.empty() ? SqlValue(nullptr) : SqlValue(v); };
        s.bind_all(
            {r.ts, r.actor_id, r.actor_type, r.action, opt(r.project), opt(r.env), r.detail, opt(r.ip)});
        s.run();
        s.reset();
      }
      if (own_tx) db_.exec("COMMIT");
    } catch (...) {
      if (own_tx) db_.exec("ROLLBACK");
      throw;
    }
  }
  std::vector<AuditRow> audit(const AuditQuery& q) override {
    auto l = lock();
    std::string sql =
        "SELECT id,ts,actor_id,actor_type,action,project,env,detail,ip FROM audit_log WHERE 1=1";
    std::vector<SqlValue> binds;
    if (q.project) sql += " AND project=?", binds.emplace_back(*q.project);
    // An env filter keeps project-wide entries (no env) too: they belong to every env's history.
    if (q.env) sql += " AND (env=? OR env IS NULL)", binds.emplace_back(*q.env);
    if (q.action) sql += " AND action=?", binds.emplace_back(*q.action);
    if (q.since) sql += " AND ts>=?", binds.emplace_back(*q.since);
    sql += " ORDER BY id DESC LIMIT ?";
    binds.emplace_back(int64_t(q.limit));
    auto s = db_.prepare(sql);
    s.bind_all(binds);
    std::vector<AuditRow> out;
    while (s.step())
      out.push_back({s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6),
                     s.text(7), s.text(8)});
    return out;
  }
  int64_t purge_audit_before(const std::string& ts) override {
    auto l = lock();
    db_.prepare("DELETE FROM audit_log WHERE ts<?").bind(1, ts).run();
    return db_.changes();
  }

  bool ping() override {
    try {
      auto l = lock();
      auto s = db_.prepare("SELECT 1");
      return s.step();
    } catch (...) {
      return false;
    }
  }

 private:
  // A recursive lock: store calls made inside transaction() (same thread) must not deadlock.
  std::unique_lock<std::recursive_mutex> lock() { return std::unique_lock(mu_); }

  void migrate() {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT "
        "NULL)");
    int64_t current = 0;
    {
      auto s = db_.prepare("SELECT coalesce(max(version),0) FROM schema_migrations");
      s.step();
      current = s.integer(0);
    }
    for (const auto& m : sqlite_migrations()) {
      if (m.version <= current) continue;
      db_.exec("BEGIN IMMEDIATE");
      try {
        db_.exec(m.sql);
        db_.prepare("INSERT INTO schema_migrations(version, applied_at) VALUES(?,?)")
            .bind_all({int64_t(m.version), now_rfc3339()})
            .run();
        db_.exec("COMMIT");
      } catch (...) {
        db_.exec("ROLLBACK");
        throw;
      }
    }
    if (!sqlite_migrations().empty() && current > sqlite_migrations().back().version)
      throw Error(Code::Internal, "hub store was written by a newer santokit-hub (schema version " +
                                      std::to_string(current) + "); upgrade the Hub");
  }

  std::optional<Operator> find_operator(const char* column, const std::string& value) {
    auto l = lock();
    auto s = db_.prepare(
        std::string("SELECT id,email,password_hash,status,created_at FROM operators WHERE ") + column + "=?");
    s.bind(1, value);
    if (!s.step()) return std::nullopt;
    return Operator{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4)};
  }

  std::vector<Membership> query_memberships(const std::string& where, const std::vector<SqlValue>& binds) {
    auto l = lock();
    auto s = db_.prepare(
        "SELECT scope,email,role,status,coalesce(invite_code_hash,''),invite_expires_at FROM "
        "memberships " +
        where);
    s.bind_all(binds);
    std::vector<Membership> out;
    while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.integer(5)});
    return out;
  }

  std::vector<ConnectionRow> query_connections(const std::string& where, const std::vector<SqlValue>& binds) {
    auto l = lock();
    auto s = db_.prepare(
        "SELECT project,env,name,engine,encrypted_config,key_version,updated_at,last_tested_at,last_test_ok "
        "FROM "
        "connections " +
        where);
    s.bind_all(binds);
    std::vector<ConnectionRow> out;
    while (s.step()) {
      ConnectionRow c{s.text(0),         s.text(1), s.text(2),     s.text(3),   s.text(4),
                      int(s.integer(5)), s.text(6), s.opt_text(7), std::nullopt};
      if (!s.is_null(8)) c.last_test_ok = s.integer(8) != 0;
      out.push_back(std::move(c));
    }
    return out;
  }

  SqliteDb db_;
  std::recursive_mutex mu_;
  bool in_tx_ = false;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path) {
  std::string p = path;
  if (p.rfind("sqlite://", 0) == 0) p = p.substr(9);
  return std::make_unique<SqliteStore>(p);
}

}  // namespace stk::hub
