#include "dev_hub.hpp"

#include <ostream>

#include "apply.hpp"
#include "dev_postgres.hpp"
#include "dev_seed.hpp"
#include "dev_state.hpp"
#include "output.hpp"
#include "stk/core/encoding.hpp"
#include "stk/core/ids.hpp"
#include "stk/core/time.hpp"

namespace stk::cli::dev {

namespace {
constexpr int kApplyTimeoutMs = 600000;  // DDL (index builds) can take minutes
}  // namespace

std::string login_owner(const std::string& hub_url, const std::string& password, const std::string& state) {
  J r;
  try {
    r = HubClient(hub_url, std::nullopt)
            .post("/api/auth/login", J{{"email", kOwnerEmail}, {"password", password}});
  } catch (const HubError& e) {
    if (e.http_status() != 401) throw;
    throw CliError(
        std::string("cannot log in as ") + kOwnerEmail + " with the password in " + state + "/owner.password",
        "the Hub store " + state + "/hub.db was created with another one: restore the file, or delete " +
            state + " to start from scratch");
  }
  if (!r.is_object() || !r.contains("token") || !r["token"].is_string())
    throw CliError("the Hub's login answer has no token");
  return r["token"].get<std::string>();
}

namespace {

// POST that treats 409 (already exists) as success.
void create_if_missing(HubClient& hub, const std::string& path, const J& body) {
  try {
    hub.post(path, body);
  } catch (const HubError& e) {
    if (e.http_status() != 409) throw;
  }
}

}  // namespace

void bootstrap_env(HubClient& hub, const std::string& project, const std::string& env,
                   const std::string& db_url, const std::string& db_hint) {
  create_if_missing(hub, "/api/projects", J{{"project", project}});
  create_if_missing(hub, "/api/envs", J{{"project", project}, {"env", env}});
  hub.post(
      "/api/connections/set",
      J{{"project", project}, {"env", env}, {"name", "main"}, {"engine", "postgres"}, {"dbUrl", db_url}});
  try {
    hub.post("/api/connections/test", J{{"project", project}, {"env", env}, {"name", "main"}});
  } catch (const HubError& e) {
    throw CliError("the database " + masked_url(db_url) + " does not answer: " + e.what(), db_hint);
  }
}

std::string key_name() {
  std::string ts;
  for (char c : now_rfc3339().substr(0, 19))
    if (c >= '0' && c <= '9') ts += c;
  return "dev-" + ts.substr(0, 8) + "-" + ts.substr(8) + "-" + hex_encode(random_bytes(2));
}

ApiKey create_key(HubClient& hub, const std::string& project, const std::string& env, const std::string& name,
                  const std::vector<std::string>& roles) {
  J r = hub.post("/api/apikeys/create",
                 J{{"project", project}, {"env", env}, {"name", name}, {"roles", roles}});
  if (!r.is_object() || !r.contains("apiKey") || !r["apiKey"].is_string())
    throw CliError("the Hub's apikey answer has no apiKey");
  return {r.value("keyId", std::string()), r["apiKey"].get<std::string>()};
}

std::string seed_through_bridge(HubClient& hub, const std::string& project, const std::string& env,
                                const std::string& bridge_url) {
  ApiKey admin = create_key(hub, project, env, key_name() + "-seed", {"admin"});
  std::string summary;
  try {
    BridgeCaller bridge(bridge_url, admin.secret);
    CallFn call = caller_for(bridge);
    wait_until_serving(call, "db/orgs/select", J{{"limit", 1}}, kServeTimeout);
    SeedCounts n = seed_blog(call);
    summary = std::to_string(n.orgs) + " orgs, " + std::to_string(n.teams) + " teams, " +
              std::to_string(n.users) + " users, " + std::to_string(n.posts) + " posts";
  } catch (...) {
    try {
      hub.post("/api/apikeys/revoke", J{{"project", project}, {"env", env}, {"keyId", admin.key_id}});
    } catch (...) {
    }
    throw;
  }
  hub.post("/api/apikeys/revoke", J{{"project", project}, {"env", env}, {"keyId", admin.key_id}});
  return summary;
}

namespace {

void print_indented(std::ostream& out, const std::string& text) {
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    out << "            " << text.substr(at, nl - at) << "\n";
    at = nl == std::string::npos ? text.size() : nl + 1;
  }
}

bool is_drift_conflict(const HubError& e) {
  const J& d = e.details_json();
  if (e.http_status() != 409 || !d.is_object()) return false;
  if (d.contains("drift")) return true;
  const J plans = d.value("plan", J::object());
  for (const auto& [conn, plan] : plans.items())
    if (plan.is_object() && plan.contains("drift") && plan["drift"].is_array() && !plan["drift"].empty())
      return true;
  return false;
}

}  // namespace

std::optional<std::string> apply_project(std::ostream& out, std::ostream& err, HubClient& hub,
                                         const std::string& project, const std::string& env,
                                         const model::ProjectFiles& files, bool db_is_new,
                                         const std::string& dir) {
  ApplyRequest req;
  req.project = project;
  req.env = env;
  req.ref = kRef;
  out << "  apply     " << dir << " --ref " << kRef << std::endl;
  try {
    J r;
    try {
      r = hub.post("/api/apply", build_apply_body(req, files), kApplyTimeoutMs);
    } catch (const HubError& e) {
      if (!db_is_new || !is_drift_conflict(e)) throw;
      out << "            the database is new to the Hub: creating its tables first (apply --only schema)\n";
      ApplyRequest schema_only = req;
      schema_only.only = {"schema"};
      hub.post("/api/apply", build_apply_body(schema_only, files), kApplyTimeoutMs);
      r = hub.post("/api/apply", build_apply_body(req, files), kApplyTimeoutMs);
    }
    print_indented(out, render_apply_result(r, false));
    if (!blocked_steps(r).empty()) {
      err << render_apply_blocked(r, false);
      return std::nullopt;
    }
    return r.value("releaseId", std::string());
  } catch (const HubError& e) {
    out.flush();
    err << render_apply_error(e, false, false, project);
    return std::nullopt;
  }
}

}  // namespace stk::cli::dev
