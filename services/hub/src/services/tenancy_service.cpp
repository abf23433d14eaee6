#include "services/tenancy_service.hpp"

#include <algorithm>
#include <chrono>

#include "services/validate.hpp"
#include "stk/core/encoding.hpp"
#include "stk/core/error.hpp"
#include "stk/core/ids.hpp"
#include "stk/core/time.hpp"
#include "stk/pg/connection.hpp"

namespace stk::hub {

namespace {
std::string aad(const std::string& project, const std::string& env, const std::string& name) {
  return project + "/" + env + "/" + name;
}
}  // namespace

TenancyService::TenancyService(Store& store, AuditLog& audit, AuthService& auth, Feed& feed,
                               const crypto::SecretBox& box)
    : store_(store), audit_(audit), auth_(auth), feed_(feed), box_(box) {}

void TenancyService::audit(const RequestContext& ctx, const std::string& action, const std::string& project,
                           const std::string& env, nlohmann::json detail) {
  detail["requestId"] = ctx.request_id;
  if (!detail.contains("result")) detail["result"] = "ok";
  audit_.record({ctx.actor().id, "operator", action, project, env, std::move(detail), ctx.ip});
}

void TenancyService::require_env(const std::string& project, const std::string& env) {
  if (!store_.env_exists(project, env))
    throw Error(Code::NotFound, "env '" + env + "' does not exist in project '" + project +
                                    "'; create it with 'stk env create " + env + "'");
}

nlohmann::json TenancyService::create_project(const nlohmann::json& body, RequestContext& ctx) {
  auth_.require_org(ctx, OrgRole::Admin);
  std::string project = require_string(body, "project");
  check_resource_name("project", project);
  if (!store_.insert_project(project, ctx.actor().id))
    throw Error(Code::Conflict, "project '" + project + "' already exists");
  audit(ctx, "project.create", project, "", {});
  return {{"project", project}, {"createdAt", now_rfc3339()}};
}

nlohmann::json TenancyService::list_projects(RequestContext& ctx) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, created] : store_.projects()) {
    auto role = auth_.project_role(ctx.actor().email, name);
    if (role == ProjectRole::None) continue;
    out.push_back({{"project", name}, {"createdAt", created}, {"role", to_string(role)}});
  }
  return out;
}

nlohmann::json TenancyService::create_env(const nlohmann::json& body, RequestContext& ctx) {
  std::string project = require_string(body, "project");
  std::string env = require_string(body, "env");
  auth_.require_project(ctx, project, ProjectRole::Admin);
  check_resource_name("env", env);
  if (!store_.insert_env(project, env, ctx.actor().id))
    throw Error(Code::Conflict, "env '" + env + "' already exists in project '" + project + "'");
  audit(ctx, "env.create", project, env, {});
  return {{"project", project}, {"env", env}};
}

nlohmann::json TenancyService::list_envs(const std::string& project, RequestContext& ctx) {
  auth_.require_project(ctx, project, ProjectRole::Viewer);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : store_.envs(project)) {
    auto cur = store_.current_release(project, e.name);
    out.push_back({{"env", e.name},
                   {"createdAt", e.created_at},
                   {"currentReleaseId", cur ? nlohmann::json(cur->release_id) : nlohmann::json(nullptr)}});
  }
  return out;
}

nlohmann::json TenancyService::set_connection(const nlohmann::json& body, RequestContext& ctx) {
  std::string project = require_string(body, "project");
  std::string env = require_string(body, "env");
  auth_.require_project(ctx, project, ProjectRole::Admin);
  require_env(project, env);
  std::string name = optional_string(body, "name", "main");
  check_resource_name("connection", name);
  std::string engine = optional_string(body, "engine", "postgres");
  if (engine != "postgres")
    throw Error(Code::BadRequest, "engine must be 'postgres' (the only engine in v0)");
  std::string url = require_string(body, "dbUrl");
  if (url.rfind("postgres://", 0) != 0 && url.rfind("postgresql://", 0) != 0)
    throw Error(Code::BadRequest, "dbUrl must start with postgres:// or postgresql://");
  nlohmann::json config = {{"dbUrl", url}};
  ConnectionRow row{
      project, env,           name,         engine,      box_.seal(config.dump(), aad(project, env, name)),
      1,       now_rfc3339(), std::nullopt, std::nullopt};
  store_.upsert_connection(row);
  audit(ctx, "connection.set", project, env, {{"connection", name}, {"engine", engine}});
  feed_.bump("connections:" + project + "/" + env);
  return {{"ok", true}};
}

std::string TenancyService::connection_url(const std::string& project, const std::string& env,
                                           const std::string& name) {
  auto row = store_.connection(project, env, name);
  if (!row)
    throw Error(Code::NotFound, "connection '" + name + "' is not set for " + project + "/" + env +
                                    "; register it with 'stk connections set --name " + name +
                                    " --db-url …'");
  auto config = nlohmann::json::parse(box_.open(row->encrypted_config, aad(project, env, name)));
  return config.at("dbUrl").get<std::string>();
}

nlohmann::json TenancyService::test_connection(const nlohmann::json& body, RequestContext& ctx) {
  std::string project = require_string(body, "project");
  std::string env = require_string(body, "env");
  auth_.require_project(ctx, project, ProjectRole::Admin);
  require_env(project, env);
  std::string name = optional_string(body, "name", "main");
  std::string url = connection_url(project, env, name);
  auto start = std::chrono::steady_clock::now();
  try {
    auto conn = pg::Connection::connect(url, 5);
    conn.exec("SELECT 1");
  } catch (const Error& e) {
    store_.record_connection_test(project, env, name, false);
    audit(ctx, "connection.test", project, env, {{"connection", name}, {"result", "failed"}});
    throw Error(Code::BadRequest, "connection '" + name + "' failed: " + e.what());
  }
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  store_.record_connection_test(project, env, name, true);
  audit(ctx, "connection.test", project, env, {{"connection", name}});
  return {{"ok", true}, {"latencyMs", ms}};
}

nlohmann::json TenancyService::list_connections(const std::string& project, const std::string& env,
                                                const std::string& name, RequestContext& ctx) {
  auth_.require_project(ctx, project, ProjectRole::Admin);
  require_env(project, env);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : store_.connections(project, env)) {
    if (!name.empty() && c.name != name) continue;
    out.push_back(
        {{"name", c.name},
         {"engine", c.engine},
         {"updatedAt", c.updated_at},
         {"lastTestedAt", c.last_tested_at ? nlohmann::json(*c.last_tested_at) : nlohmann::json(nullptr)},
         {"lastTestOk", c.last_test_ok ? nlohmann::json(*c.last_test_ok) : nlohmann::json(nullptr)}});
  }
  if (!name.empty() && out.empty())
    throw Error(Code::NotFound, "connection '" + name + "' is not set for " + project + "/" + env);
  return out;
}

nlohmann::json TenancyService::create_api_key(const nlohmann::json& body, RequestContext& ctx) {
  std::string project = require_string(body, "project");
  std::string env = require_string(body, "env");
  auth_.require_project(ctx, project, ProjectRole::Admin);
  require_env(project, env);
  std::string name = require_string(body, "name");
  check_resource_name("API key", name);
  auto roles = optional_string_list(body, "roles");
  if (roles.empty()) throw Error(Code::InvalidRole, "an API key needs at least one role (--roles a,b)");
  for (const auto& r : roles) check_role_name(r);
  for (const auto& k : store_.api_keys(project, env))
    if (k.name == name && k.status == "active")
      throw Error(Code::Conflict,
                  "an active API key named '" + name + "' already exists in " + project + "/" + env);
  std::string key_id = "key_" + ulid();
  std::string secret = base64url_encode(random_bytes(32));
  ApiKeyRow row{key_id,      project,  env,           name,           crypto::sha256_hex(secret),
                roles,       "active", now_rfc3339(), ctx.actor().id, std::nullopt,
                std::nullopt};
  store_.insert_api_key(row);
  audit(ctx, "apikey.create", project, env, {{"keyId", key_id}, {"name", name}, {"roles", roles}});
  feed_.bump("apikeys:" + project + "/" + env);
  return {{"keyId", key_id}, {"apiKey", key_id + "." + secret}, {"name", name}, {"roles", roles}};
}

nlohmann::json TenancyService::list_api_keys(const std::string& project, const std::string& env,
                                             RequestContext& ctx) {
  auth_.require_project(ctx, project, ProjectRole::Admin);
  require_env(project, env);
  nlohmann::json out = nlohmann::json::array();
  auto opt = [](const std::optional<std::string>& s) {
    return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
  };
  for (const auto& k : store_.api_keys(project, env))
    out.push_back({{"keyId", k.key_id},
                   {"name", k.name},
                   {"roles", k.roles},
                   {"status", k.status},
                   {"createdAt", k.created_at},
                   {"revokedAt", opt(k.revoked_at)},
                   {"lastUsedAt", opt(k.last_used_at)}});
  return out;
}

nlohmann::json TenancyService::revoke_api_key(const nlohmann::json& body, RequestContext& ctx) {
  std::string project = require_string(body, "project");
  std::string env = require_string(body, "env");
  auth_.require_project(ctx, project, ProjectRole::Admin);
  require_env(project, env);
  std::string which = require_string(body, "keyId");
  std::optional<ApiKeyRow> found;
  for (const auto& k : store_.api_keys(project, env)) {
    if (k.key_id == which || (k.name == which && k.status == "active")) {
      found = k;
      if (k.status == "active") break;
    }
  }
  if (!found) throw Error(Code::NotFound, "no API key '" + which + "' in " + project + "/" + env);
  if (found->status == "revoked")
    throw Error(Code::Conflict,
                "API key '" + which + "' was already revoked at " + found->revoked_at.value_or("?"));
  store_.revoke_api_key(found->key_id);
  audit(ctx, "apikey.revoke", project, env, {{"keyId", found->key_id}, {"name", found->name}});
  feed_.bump("apikeys:" + project + "/" + env);
  return {{"ok", true}, {"keyId", found->key_id}, {"status", "revoked"}};
}

nlohmann::json TenancyService::record_api_key_use(const nlohmann::json& body) {
  static constexpr size_t kMaxKeys = 10000;
  const auto keys = body.find("keys");
  if (keys == body.end() || !keys->is_array())
    throw Error(Code::BadRequest, R"(body must be {"keys": [{"keyId": "...", "lastUsedAt": "<RFC 3339>"}]})");
  if (keys->size() > kMaxKeys)
    throw Error(Code::BadRequest, "at most " + std::to_string(kMaxKeys) + " keys per report");
  const int64_t now_ms = unix_ms();
  std::vector<std::pair<std::string, std::string>> used;
  used.reserve(keys->size());
  for (const auto& k : *keys) {
    const auto id = k.is_object() ? k.find("keyId") : k.end();
    const auto at = k.is_object() ? k.find("lastUsedAt") : k.end();
    if (!k.is_object() || id == k.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
        at == k.end() || !at->is_string())
      throw Error(Code::BadRequest, "each entry of 'keys' needs a 'keyId' and a 'lastUsedAt' string");
    auto ms = parse_rfc3339(at->get_ref<const std::string&>());
    if (!ms)
      throw Error(Code::BadRequest, "'lastUsedAt' of key '" + id->get<std::string>().substr(0, 100) +
                                        "' is not an RFC 3339 time");
    used.emplace_back(id->get<std::string>(), rfc3339(std::min(*ms, now_ms)));  // a fast Bridge clock
  }
  return {{"updated", store_.touch_api_keys(used)}};
}

nlohmann::json TenancyService::api_key_digests(const std::string& project, const std::string& env) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : store_.api_keys(project, env))
    keys.push_back(
        {{"keyId", k.key_id}, {"digest", k.secret_hash}, {"roles", k.roles}, {"status", k.status}});
  return {{"project", project}, {"env", env}, {"keys", keys}};
}

}  // namespace stk::hub
