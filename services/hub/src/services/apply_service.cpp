#include "services/apply_service.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "services/hub_metrics.hpp"
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
  files.limits = text_or_null("limits");
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

// Plans every connection `schema` uses, plus those the env's last apply managed (while still registered):
// connect, introspect, diff against the desired tables, the last applied IR and the last snapshot.
std::vector<ConnectionWork> plan_connections(Store& store, TenancyService& tenancy,
                                             const std::string& project, const std::string& env,
                                             const model::Schema& schema,
                                             const std::set<std::string>& registered) {
  std::set<std::string> conns = schema.connections();
  for (const auto& c : store.applied_connections(project, env))
    if (registered.count(c)) conns.insert(c);
  std::vector<ConnectionWork> work;
  for (const auto& name : conns) {
    ConnectionWork w;
    w.name = name;
    w.desired = tables_of(schema, name);
    std::string url = tenancy.connection_url(project, env, name);
    try {
      w.conn.emplace(pg::Connection::connect(url, 5));
    } catch (const Error& e) {
      throw Error(Code::BadRequest, "cannot connect to the database of connection '" + name + "' in env '" +
                                        env + "': " + e.what() +
                                        "; check it with 'stk connections test --env " + env + " --name " +
                                        name + "'");
    }
    auto live = pg::introspect(*w.conn);
    std::optional<sql::LiveSchema> snapshot;
    if (auto a = store.applied_schema(project, env, name))
      w.applied = model::schema_from_ir(nlohmann::json::parse(a->ir));
    if (auto s = store.latest_snapshot(project, env, name))
      snapshot = sql::live_schema_from_json(nlohmann::json::parse(s->introspection));
    w.plan = sql::plan_changes(w.desired, w.applied ? &*w.applied : nullptr, live,
                               snapshot ? &*snapshot : nullptr);
    work.push_back(std::move(w));
  }
  return work;
}

nlohmann::json plan_json_of(const std::vector<ConnectionWork>& work) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& w : work) out[w.name] = sql::to_json(w.plan);
  return out;
}

struct PlanFlags {
  bool ops = false, destructive = false, unsupported = false, drift = false;
};

PlanFlags flags_of(const std::vector<ConnectionWork>& work) {
  PlanFlags f;
  for (const auto& w : work) {
    f.ops |= !w.plan.operations.empty();
    f.destructive |= w.plan.has("destructive");
    f.unsupported |= w.plan.has("unsupported");
    f.drift |= !w.plan.drift.empty();
  }
  return f;
}

// Runs each connection's DDL in one transaction (connections in name order) and records the env's new
// expected state per connection: the applied IR and a snapshot of the database as it now is. A failing
// connection is rolled back and the error lists the connections already committed. Returns the number of
// statements run.
int run_schema_changes(Store& store, const std::string& project, const std::string& env,
                       std::vector<ConnectionWork>& work, const std::string& ref,
                       const nlohmann::json& details, std::vector<std::string>& committed) {
  int statements = 0;
  for (auto& w : work) {
    if (!w.plan.operations.empty()) {
      std::string script = "BEGIN;\nSET LOCAL search_path = public;\n";
      for (const auto& op : w.plan.operations)
        if (!op.sql.empty()) script += op.sql + ";\n", ++statements;
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
                    "DDL failed on connection '" + w.name + "' and was rolled back there: " + e.what(), d);
      }
      committed.push_back(w.name);
    }
    auto after = pg::introspect(*w.conn);
    store.transaction([&] {
      store.set_applied_schema(project, env, w.name,
                               {canonical_dump(model::schema_to_ir(w.desired, w.name)), now_rfc3339(), ref});
      store.insert_snapshot(project, env, w.name,
                            {canonical_dump(sql::to_json(after)), now_rfc3339(), false, "[]"});
    });
  }
  return statements;
}

std::set<std::string> registered_connections(Store& store, const std::string& project,
                                             const std::string& env) {
  std::set<std::string> out;
  for (const auto& c : store.connections(project, env)) out.insert(c.name);
  return out;
}

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

std::unique_lock<std::timed_mutex> ApplyService::lock_env(const std::string& project,
                                                          const std::string& env) {
  auto m = env_lock(project, env);  // the map keeps every mutex alive for the Hub's lifetime
  std::unique_lock guard(*m, std::defer_lock);
  if (!guard.try_lock_for(std::chrono::seconds(30)))
    throw Error(Code::Conflict, "another apply, promotion or rollback of " + project + "/" + env +
                                    " is still running; try again");
  return guard;
}

nlohmann::json ApplyService::ensure_release_schema(const std::string& project, const std::string& env,
                                                   const nlohmann::ordered_json& ir_by_connection,
                                                   const ReleaseSchemaOptions& opts, RequestContext& ctx) {
  const std::string& rel = opts.release_id;
  auto schema = model::schema_from_ir(ir_by_connection);
  auto registered = registered_connections(store_, project, env);
  std::vector<std::string> missing;
  for (const auto& c : schema.connections())
    if (!registered.count(c)) missing.push_back(c);
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "'" : ", '") + m + "'";
    throw Error(Code::Conflict,
                "release " + rel + " uses connection(s) " + names + " that env '" + env +
                    "' does not have; set them with 'stk connections set --env " + env + " --name " +
                    missing.front() + " --engine postgres --db-url ...', then run 'stk apply --env " + env +
                    " --only schema' (or promote with --apply-schema)",
                {{"missingConnections", missing}});
  }

  auto work = plan_connections(store_, tenancy_, project, env, schema, registered);
  nlohmann::json plan_json = plan_json_of(work);
  auto flags = flags_of(work);
  nlohmann::json details = {{"plan", plan_json}};
  const std::string schema_cmd = "stk apply --env " + env + " --only schema --ref " + opts.ref;
  if (flags.unsupported)
    throw Error(Code::Conflict,
                "env '" + env + "' cannot be brought to the schema of release " + rel +
                    ": the plan contains unsupported changes (see details.plan); drop and recreate the table "
                    "or column (destructive) or fix the data by hand, then run '" +
                    schema_cmd + "'",
                details);
  if (flags.drift)
    throw Error(Code::Conflict,
                "schema drift in env '" + env +
                    "': its database was changed outside Santokit (see "
                    "details.plan.*.drift), so release " +
                    rel + " cannot become current there. Reconcile it from the release's ref with '" +
                    schema_cmd + "' (add --force if it must drop something), then promote again",
                details);
  if (!flags.ops) return {{"schema", "unchanged"}, {"statements", 0}, {"plan", plan_json}};
  if (!opts.apply_schema)
    throw Error(Code::Conflict,
                "the database of env '" + env + "' is not at the schema of release " + rel +
                    " (see details.plan): check out its ref (" + opts.ref + ") and run '" + schema_cmd +
                    "', or promote with --apply-schema to apply it first",
                details);
  if (flags.destructive) {
    if (!opts.force)
      throw Error(
          Code::Conflict,
          "bringing env '" + env + "' to the schema of release " + rel +
              " needs destructive changes (see details.plan); re-run with --force to apply them (this "
              "drops data)",
          details);
    if (opts.role < ProjectRole::Admin)
      throw Error(Code::Forbidden,
                  "destructive changes with --force need project:admin on '" + project + "'");
  }

  std::vector<std::string> committed;
  auto audit_schema = [&](nlohmann::json detail) {
    detail["requestId"] = ctx.request_id;
    detail["ref"] = opts.ref;
    detail["releaseId"] = rel;
    detail["via"] = "promote";
    audit_.record({ctx.actor().id, "operator", "schema.apply", project, env, std::move(detail), ctx.ip});
  };
  int statements = 0;
  try {
    statements = run_schema_changes(store_, project, env, work, opts.ref, details, committed);
  } catch (const Error& e) {
    audit_schema({{"result", "failed"}, {"code", code_name(e.code())}, {"message", e.what()}});
    throw;
  }
  audit_schema({{"result", "ok"},
                {"connections", committed},
                {"statements", statements},
                {"forced", opts.force && flags.destructive}});
  return {{"schema", "applied"}, {"statements", statements}, {"plan", plan_json}};
}

std::vector<std::string> ApplyService::release_schema_warnings(const std::string& project,
                                                               const std::string& env,
                                                               const nlohmann::ordered_json& ir_by_connection,
                                                               const std::string& release_id) {
  std::vector<std::string> out;
  try {
    auto schema = model::schema_from_ir(ir_by_connection);
    auto registered = registered_connections(store_, project, env);
    model::Schema reachable;
    std::set<std::string> missing;
    for (const auto& t : schema.tables) {
      if (registered.count(t.connection)) {
        reachable.tables.push_back(t);
      } else if (missing.insert(t.connection).second) {
        out.push_back("release " + release_id + " uses connection '" + t.connection + "', which env '" + env +
                      "' does not have");
      }
    }
    for (const auto& w : plan_connections(store_, tenancy_, project, env, reachable, registered)) {
      if (w.plan.operations.empty() && w.plan.drift.empty()) continue;
      std::string what;
      if (!w.plan.operations.empty())
        what = std::to_string(w.plan.operations.size()) + " schema change(s) pending";
      if (!w.plan.drift.empty())
        what += (what.empty() ? "" : ", ") + std::to_string(w.plan.drift.size()) + " drift item(s)";
      out.push_back("connection '" + w.name + "': the database does not match release " + release_id + " (" +
                    what + "); a rollback never undoes DDL — run 'stk apply --env " + env +
                    " --only schema' from the release's ref if it needs them");
    }
  } catch (const std::exception& e) {
    out.push_back("could not compare the databases of env '" + env + "' with release " + release_id + ": " +
                  e.what());
  }
  return out;
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
  auto count_apply = [&](std::string_view result) {
    auto& m = hub_metrics();
    m.schema_applies.labels({project, env, result}).inc();
    m.schema_apply_duration.labels({project, env})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  const bool force = optional_bool(body, "force");
  const bool no_schema_apply = optional_bool(body, "noSchemaApply");
  const bool do_schema = only.count("schema") > 0;
  const bool do_release = only.count("release") > 0;
  const bool do_permissions = only.count("permissions") > 0;
  auto files = files_from_request(body);

  auto guard = lock_env(project, env);

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
    std::set<std::string> registered = registered_connections(store_, project, env);
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
    std::vector<ConnectionWork> work;

    // 2. Plan against every connection the new schema uses or the last apply managed.
    if (do_schema || do_release)
      work = plan_connections(store_, tenancy_, project, env, loaded.schema, registered);
    nlohmann::json plan_json = plan_json_of(work);

    // 3. Gates (the same for dry runs, so a dry run tells whether the real one would pass).
    auto flags = flags_of(work);
    const bool has_ops = flags.ops, has_destructive = flags.destructive, has_unsupported = flags.unsupported,
               has_drift = flags.drift;
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
      if (!no_schema_apply)
        ddl_statements = run_schema_changes(store_, project, env, work, ref, details, committed);
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
          project,
          env,
          ref,
          nlohmann::json::parse(model::schema_to_ir_by_connection(loaded.schema).dump()),
          compiled,
          loaded.storage,
          loaded.logics,
          loaded.limits ? model::limits_to_json(*loaded.limits) : nlohmann::ordered_json(nullptr)};
      auto built = build_release(content);
      bool created = releases_.store_release(built, content, ctx.actor().id);
      if (created) hub_metrics().releases_created.labels({project, env}).inc();
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
    if (!dry_run) count_apply("success");
    return response;
  } catch (const Error& e) {
    audit_failure(e);
    if (!dry_run) count_apply("failure");
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
