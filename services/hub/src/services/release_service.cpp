#include "services/release_service.hpp"

#include "stk/core/encoding.hpp"
#include "stk/core/error.hpp"
#include "stk/core/json.hpp"
#include "stk/core/time.hpp"
#include "stk/crypto/crypto.hpp"

namespace stk::hub {

BuiltRelease build_release(const ReleaseContent& c) {
  OrderedJson digest_input = {{"irByConnection", c.ir_by_connection},
                              {"permissions", c.permissions},
                              {"storage", c.storage},
                              {"logics", c.logics}};
  if (!c.limits.is_null()) digest_input["limits"] = c.limits;
  BuiltRelease out;
  out.digest = crypto::sha256_hex(canonical_dump(digest_input));
  OrderedJson payload = {{"releaseId", nullptr},
                         {"project", c.project},
                         {"env", c.env},
                         {"ref", c.ref},
                         {"digest", out.digest},
                         {"schema", {{"irByConnection", c.ir_by_connection}}},
                         {"permissions", c.permissions},
                         {"config", {{"storage", c.storage}, {"logics", c.logics}}}};
  if (!c.limits.is_null()) payload["config"]["limits"] = c.limits;
  payload.erase("releaseId");
  // releaseId = rel_ + first 26 chars of lowercase base32 SHA-256 of the canonical JSON (spec hub §2).
  out.release_id = "rel_" + base32_lower(crypto::sha256(canonical_dump(payload))).substr(0, 26);
  OrderedJson stored = {{"releaseId", out.release_id}};
  for (auto it = payload.begin(); it != payload.end(); ++it) stored[it.key()] = it.value();
  out.payload = stored.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
  return out;
}

ReleaseService::ReleaseService(Store& store, AuthService& auth, Feed& feed)
    : store_(store), auth_(auth), feed_(feed) {}

bool ReleaseService::store_release(const BuiltRelease& r, const ReleaseContent& c,
                                   const std::string& actor_id) {
  if (store_.release(r.release_id)) return false;
  store_.insert_release(
      {r.release_id, c.project, c.env, c.ref, r.digest, r.payload, now_rfc3339(), actor_id});
  return true;
}

bool ReleaseService::activate(const std::string& project, const std::string& env,
                              const std::string& release_id, const std::string& action,
                              const std::string& actor_id) {
  bool moved = store_.set_current_release(project, env, release_id, action, actor_id);
  if (moved) feed_.bump("releases:" + project + "/" + env);
  return moved;
}

nlohmann::json ReleaseService::metadata(const ReleaseRow& r) {
  return {
      {"releaseId", r.release_id}, {"project", r.project},      {"originEnv", r.origin_env}, {"ref", r.ref},
      {"digest", r.digest},        {"createdAt", r.created_at}, {"createdBy", r.created_by}};
}

nlohmann::json ReleaseService::current(const std::string& project, const std::string& env,
                                       RequestContext& ctx) {
  auth_.require_project(ctx, project, ProjectRole::Viewer);
  if (!store_.env_exists(project, env))
    throw Error(Code::NotFound, "env '" + env + "' does not exist in project '" + project + "'");
  auto cur = store_.current_release(project, env);
  if (!cur)
    throw Error(Code::NotFound,
                "no current release for " + project + "/" + env + "; create one with 'stk apply'");
  auto r = store_.release(cur->release_id);
  if (!r) throw Error(Code::Internal, "current release is missing from the store");
  auto out = metadata(*r);
  out["env"] = env;
  out["activatedAt"] = cur->updated_at;
  out["payload"] = nlohmann::json::parse(r->payload);
  return out;
}

nlohmann::json ReleaseService::list(const std::string& project, const std::string& env, int limit,
                                    RequestContext& ctx) {
  auth_.require_project(ctx, project, ProjectRole::Viewer);
  if (!store_.env_exists(project, env))
    throw Error(Code::NotFound, "env '" + env + "' does not exist in project '" + project + "'");
  if (limit < 1 || limit > 1000) throw Error(Code::BadRequest, "limit must be between 1 and 1000");
  auto cur = store_.current_release(project, env);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : store_.release_history(project, env, limit)) {
    auto r = store_.release(h.release_id);
    out.push_back({{"releaseId", h.release_id},
                   {"id", h.release_id},
                   {"ref", r ? r->ref : ""},
                   {"createdAt", r ? r->created_at : ""},
                   {"activatedAt", h.at},
                   {"via", h.action},
                   {"current", cur && cur->release_id == h.release_id && out.empty()}});
  }
  return out;
}

nlohmann::json ReleaseService::show(const std::string& release_id, const std::string& project,
                                    RequestContext& ctx) {
  auth_.require_project(ctx, project, ProjectRole::Viewer);
  auto r = store_.release(release_id);
  if (!r || r->project != project)
    throw Error(Code::NotFound, "release '" + release_id + "' does not exist in project '" + project + "'");
  auto out = metadata(*r);
  out["currentIn"] = store_.envs_where_current(project, release_id);
  out["payload"] = nlohmann::json::parse(r->payload);
  return out;
}

std::optional<nlohmann::json> ReleaseService::pointer(const std::string& project, const std::string& env) {
  auto cur = store_.current_release(project, env);
  if (!cur) return std::nullopt;
  return nlohmann::json{
      {"project", project}, {"env", env}, {"releaseId", cur->release_id}, {"updatedAt", cur->updated_at}};
}

std::optional<std::string> ReleaseService::payload(const std::string& release_id) {
  auto r = store_.release(release_id);
  if (!r) return std::nullopt;
  return r->payload;
}

}  // namespace stk::hub
