#include "services/apply_service.hpp"

#include <chrono>
#include <set>

#include "services/validate.hpp"
#include "stk/cel/cel.hpp"
#include "stk/core/error.hpp"
#include "stk/core/json.hpp"
#include "stk/core/log.hpp"
#include "stk/core/time.hpp"
#include "stk/model/project.hpp"
#include "stk/pg/connection.hpp"
#include "stk/pg/introspect.hpp"
#include "stk/sql/plan.hpp"

namespace stk::hub {

namespace {

const std::set<std::string> kSteps = {"schema", "permissions", "release"};

nlohmann::json diag_json(const model::Diagnostic& d) {
  return {{"file", d.pos.file},
          {"line", d.pos.line},
          {"col", d.pos.col},
          {"message", d.message},
          {"text", d.str()}};
}

model::ProjectFiles files_from_request(const nlohmann::json& body) {
  model::ProjectFiles files;
  if (const auto* schema = field(body, "schema"); schema && !schema->is_null()) {
    if (!schema->is_array())
      throw Error(Code::BadRequest, "field 'schema' must be an array of {path, content} objects");
    for (const auto& f : *schema) {
      if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("content") ||
          !f["content"].is_string())
        throw Error(Code::BadRequest,
                    "each entry of 'schema' must be {\"path\": string, \"content\": string}");
      files.schema.push_back({f["path"].get<std::string>(), f["content"].get<std::string>()});
    }
  }
  std::sort(files.schema.begin(), files.schema.end(), [](auto& a, auto& b) { return a.path < b.path; });
  auto text_or_null = [&](const char* name) -> std::optional<std::string> {
    const auto* v = field(body, name);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string())
      throw Error(Code::BadRequest, std::string("field '") + name + "' must be a string or null");
    return v->get<std::string>();
  };
  files.permissions = text_or_null("permissions");
  files.storage = text_or_null("storage");
  if (const auto* logics = field(body, "logics"); logics && !logics->is_null()) {
    if (!logics->is_object())
      throw Error(Code::BadRequest, "field 'logics' must be an object of name -> content");
    for (auto it = logics->begin(); it != logics->end(); ++it) {
      if (!it.value().is_string())
        throw Error(Code::BadRequest, "logic '" + it.key() + "' must be the file content as a string");
      files.logics[it.key()] = it.value().get<std::string>();
    }
  }
  return files;
}

model::Schema tables_of(const model::Schema& schema, const std::string& connection) {
  model::Schema out;
  for (const auto& t : schema.tables)
    if (t.connection == connection) out.tables.push_back(t);
  return out;
}

struct ConnectionWork {
  std::string name;
  model::Schema desired;
  std::optional<model::Schema> applied;
  sql::Plan plan;
  std::optional<pg::Connection> conn;
};

int64_t ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

ApplyService::ApplyService(Store& store, AuditLog& audit, AuthService& auth, TenancyService& tenancy,
                           ReleaseService& releases)
    : store_(store), audit_(audit), auth_(auth), tenancy_(tenancy), releases_(releases) {}

std::shared_ptr<std::timed_mutex> ApplyService::env_lock(const std::string& project, const std::string& env) {
  std::lock_guard lock(locks_mu_);
  auto& m = locks_[project + "/" + env];
  if (!m) m = std::make_shared<std::timed_mutex>();
  return m;
}

nlohmann::json ApplyService::apply(const nlohmann::json& body, RequestContext& ctx) {
  auto started = std::chrono::steady_clock::now();
  if (!body.is_object()) throw Error(Code::BadRequest, "request body must be a JSON object");
  std::string project = require_string(body, "project");
  std::string env = require_string(body, "env");
  auto role = auth_.require_project(ctx, project, ProjectRole::Deployer);
  tenancy_.require_env(project, env);
  std::string ref = require_string(body, "ref");
  if (ref.size() > 200)
    throw Error(Code::BadRequest, "ref must be 1-200 characters (normally the commit SHA)");
  auto only_list = optional_string_list(body, "only");
  std::set<std::string> only(only_list.begin(), only_list.end());
  for (const auto& s : only)
    if (!kSteps.count(s))
      throw Error(Code::BadRequest,
                  "unknown step '" + s + "' in 'only': use schema, permissions and/or release");
  if (only.empty()) only = kSteps;
  const bool dry_run = optional_bool(body, "dryRun");
  const bool force = optional_bool(body, "force");
  const bool no_schema_apply = optional_bool(body, "noSchemaApply");
  const bool do_schema = only.count("schema") > 0;
  const bool do_release = only.count("release") > 0;
  const bool do_permissions = only.count("permissions") > 0;
  auto files = files_from_request(body);

  auto lock = env_lock(project, env);
  std::unique_lock guard(*lock, std::defer_lock);
  if (!guard.try_lock_for(std::chrono::seconds(30)))
    throw Error(Code::Conflict, "another apply for " + project + "/" + env + " is still running; try again");

  auto audit_failure = [&](const Error& e) {
    audit_.record({ctx.actor().id,
                   "operator",
                   "schema.apply",
                   project,
                   env,
                   {{"requestId", ctx.request_id},
                    {"ref", ref},
                    {"result", "failed"},
                    {"code", code_name(e.code())},
                    {"message", e.what()}},
                   ctx.ip});
  };

  try {
    // 1. Validate everything (the release embeds the whole snapshot, whatever steps were selected).
    std::set<std::string> registered;
    for (const auto& c : store_.connections(project, env)) registered.insert(c.name);
    model::LoadOptions options;
    options.known_connections = registered;
    model::Diagnostics diags;
    auto loaded = model::load_project(files, options, diags);
    nlohmann::json compiled = nlohmann::json::object();
    if (!diags.has_errors())
      compiled =
          cel::compile_permissions(loaded.permissions, loaded.schema, "config/permissions.yaml", diags);
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& w : diags.warnings()) warnings.push_back(diag_json(w));
    if (diags.has_errors()) {
      nlohmann::json errors = nlohmann::json::array();
      bool schema_errors = false;
      for (const auto& e : diags.errors()) {
        errors.push_back(diag_json(e));
        if (e.pos.file.rfind("config/permissions", 0) != 0) schema_errors = true;
      }
      throw Error(schema_errors ? Code::BadRequest : Code::ValidationFailed,
                  "validation failed: " + std::to_string(errors.size()) + " error(s); nothing was applied",
                  {{"errors", errors}, {"warnings", warnings}});
    }

    nlohmann::json steps = {{"schema", "skipped"},
                            {"permissions", do_permissions ? "validated" : "skipped"},
                            {"release", "skipped"}};
    nlohmann::json plan_json = nlohmann::json::object();
    std::vector<ConnectionWork> work;

    // 2. Plan against every connection the new schema uses or the last apply managed.
    const bool needs_db = do_schema || do_release;
    if (needs_db) {
      std::set<std::string> conns = loaded.schema.connections();
      for (const auto& c : store_.applied_connections(project, env))
        if (registered.count(c)) conns.insert(c);
      for (const auto& name : conns) {
        ConnectionWork w;
        w.name = name;
        w.desired = tables_of(loaded.schema, name);
        std::string url = tenancy_.connection_url(project, env, name);
        try {
          w.conn.emplace(pg::Connection::connect(url, 5));
        } catch (const Error& e) {
          throw Error(Code::BadRequest, "cannot connect to the database of connection '" + name +
                                            "': " + e.what() +
                                            "; check it with 'stk connections test --name " + name + "'");
        }
        auto live = pg::introspect(*w.conn);
        std::optional<sql::LiveSchema> snapshot;
        if (auto a = store_.applied_schema(project, env, name))
          w.applied = model::schema_from_ir(nlohmann::json::parse(a->ir));
        if (auto s = store_.latest_snapshot(project, env, name))
          snapshot = sql::live_schema_from_json(nlohmann::json::parse(s->introspection));
        w.plan = sql::plan_changes(w.desired, w.applied ? &*w.applied : nullptr, live,
                                   snapshot ? &*snapshot : nullptr);
        plan_json[name] = sql::to_json(w.plan);
        work.push_back(std::move(w));
      }
    }

    // 3. Gates (the same for dry runs, so a dry run tells whether the real one would pass).
    bool has_ops = false, has_destructive = false, has_unsupported = false, has_drift = false;
    for (const auto& w : work) {
      has_ops |= !w.plan.operations.empty();
      has_destructive |= w.plan.has("destructive");
      has_unsupported |= w.plan.has("unsupported");
      has_drift |= !w.plan.drift.empty();
    }
    nlohmann::json details = {{"plan", plan_json}, {"warnings", warnings}};
    if (has_unsupported && do_schema)
      throw Error(
          Code::Conflict,
          "the plan contains unsupported changes (see details.plan); drop and recreate the table or column "
          "(destructive) or fix the data by hand",
          details);
    if (has_drift && do_release)
      throw Error(
          Code::Conflict,
          "schema drift: the database was changed outside Santokit (see details.plan.*.drift); no release "
          "was created. Reconcile with 'stk apply --only schema' (add --force if it must drop something) or "
          "change the YAML to match",
          details);
    if (do_schema && !no_schema_apply && has_destructive) {
      if (!force)
        throw Error(
            Code::Conflict,
            "the plan contains destructive changes (see details.plan); re-run with --force to apply them "
            "(this drops data)",
            details);
      if (role < ProjectRole::Admin)
        throw Error(Code::Forbidden,
                    "destructive changes with --force need project:admin on '" + project + "'");
    }
    if (do_release && has_ops && (!do_schema || no_schema_apply))
      throw Error(
          Code::Conflict,
          "the database does not match the schema of this release (see details.plan); apply the schema "
          "first ('stk apply --only schema') or drop --no-schema-apply",
          details);

    nlohmann::json response = {{"releaseId", nullptr}, {"reused", false},   {"dryRun", dry_run},
                               {"ref", ref},           {"plan", plan_json}, {"warnings", warnings}};
    if (dry_run) {
      if (do_schema) steps["schema"] = "planned";
      if (do_release) steps["release"] = "planned";
      response["steps"] = steps;
      return response;
    }

    // 4. DDL: one transaction per connection, connections in name order.
    std::vector<std::string> committed;
    int ddl_statements = 0;
    if (do_schema) {
      for (auto& w : work) {
        if (!no_schema_apply && !w.plan.operations.empty()) {
          std::string script = "BEGIN;\nSET LOCAL search_path = public;\n";
          for (const auto& op : w.plan.operations)
            if (!op.sql.empty()) script += op.sql + ";\n", ++ddl_statements;
          script += "COMMIT;";
          try {
            w.conn->exec(script);
          } catch (const Error& e) {
            try {
              w.conn->exec("ROLLBACK");
            } catch (...) {
            }
            nlohmann::json d = details;
            d["committedConnections"] = committed;
            throw Error(e.code() == Code::Internal ? Code::BadRequest : e.code(),
                        "DDL failed on connection '" + w.name + "' and was rolled back there: " + e.what(),
                        d);
          }
          committed.push_back(w.name);
        }
        if (no_schema_apply) continue;
        // Record the new expected state: the applied IR and a snapshot of what the database now looks like.
        auto after = pg::introspect(*w.conn);
        store_.transaction([&] {
          store_.set_applied_schema(
              project, env, w.name,
              {canonical_dump(model::schema_to_ir(w.desired, w.name)), now_rfc3339(), ref});
          store_.insert_snapshot(project, env, w.name,
                                 {canonical_dump(sql::to_json(after)), now_rfc3339(), false, "[]"});
        });
      }
      steps["schema"] = no_schema_apply ? "planned" : "applied";
      audit_.record({ctx.actor().id,
                     "operator",
                     "schema.apply",
                     project,
                     env,
                     {{"requestId", ctx.request_id},
                      {"ref", ref},
                      {"result", "ok"},
                      {"connections", committed},
                      {"statements", ddl_statements},
                      {"forced", force && has_destructive}},
                     ctx.ip});
    }
    if (do_permissions)
      audit_.record({ctx.actor().id,
                     "operator",
                     "permissions.apply",
                     project,
                     env,
                     {{"requestId", ctx.request_id}, {"ref", ref}, {"result", "ok"}},
                     ctx.ip});

    // 5. Release + pointer.
    if (do_release) {
      ReleaseContent content{
          project,      env,
          ref,          nlohmann::json::parse(model::schema_to_ir_by_connection(loaded.schema).dump()),
          compiled,     loaded.storage,
          loaded.logics};
      auto built = build_release(content);
      bool created = releases_.store_release(built, content, ctx.actor().id);
      bool moved = releases_.activate(project, env, built.release_id, "apply", ctx.actor().id);
      steps["release"] = created ? "created" : "reused";
      response["releaseId"] = built.release_id;
      response["reused"] = !created;
      audit_.record({ctx.actor().id,
                     "operator",
                     "release.create",
                     project,
                     env,
                     {{"requestId", ctx.request_id},
                      {"releaseId", built.release_id},
                      {"digest", built.digest},
                      {"ref", ref},
                      {"reused", !created},
                      {"pointerMoved", moved},
                      {"result", "ok"}},
                     ctx.ip});
    }
    response["steps"] = steps;
    log::info("apply finished", {{"requestId", ctx.request_id},
                                 {"project", project},
                                 {"env", env},
                                 {"durationMs", ms_since(started)},
                                 {"statements", ddl_statements}});
    return response;
  } catch (const Error& e) {
    audit_failure(e);
    throw;
  }
}

nlohmann::json ApplyService::snapshot(const nlohmann::json& body, RequestContext& ctx) {
  std::string project = require_string(body, "project");
  std::string env = require_string(body, "env");
  auth_.require_project(ctx, project, ProjectRole::Deployer);
  tenancy_.require_env(project, env);
  std::string only = optional_string(body, "connection");
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : store_.connections(project, env)) {
    if (!only.empty() && c.name != only) continue;
    auto conn = pg::Connection::connect(tenancy_.connection_url(project, env, c.name), 5);
    auto live = pg::introspect(conn);
    nlohmann::json report = nlohmann::json::array();
    if (auto a = store_.applied_schema(project, env, c.name)) {
      auto applied = model::schema_from_ir(nlohmann::json::parse(a->ir));
      std::set<std::string> managed;
      for (const auto& t : applied.tables) managed.insert(t.name);
      if (auto s = store_.latest_snapshot(project, env, c.name)) {
        auto expected = sql::live_schema_from_json(nlohmann::json::parse(s->introspection));
        for (const auto& d : sql::diff_live(expected, live, managed)) report.push_back(sql::to_json(d));
      }
    }
    std::string taken = now_rfc3339();
    bool drift = !report.empty();
    // A drifted snapshot is recorded for history but must not become the expected state: store it only when
    // clean, so the next apply still compares against the state Santokit left behind.
    if (!drift)
      store_.insert_snapshot(project, env, c.name, {canonical_dump(sql::to_json(live)), taken, false, "[]"});
    audit_.record(
        {ctx.actor().id,
         "operator",
         drift ? "schema.drift_detected" : "schema.snapshot",
         project,
         env,
         {{"requestId", ctx.request_id}, {"connection", c.name}, {"drift", drift}, {"result", "ok"}},
         ctx.ip});
    out.push_back({{"connection", c.name}, {"takenAt", taken}, {"drift", drift}, {"report", report}});
  }
  if (!only.empty() && out.empty()) throw Error(Code::NotFound, "connection '" + only + "' is not set");
  return {{"snapshots", out}};
}

}  // namespace stk::hub
