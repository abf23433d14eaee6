#include "services/promotion_service.hpp"

#include "services/validate.hpp"
#include "stk/core/error.hpp"
#include "stk/core/log.hpp"

namespace stk::hub {

namespace {

constexpr int kHistoryScan = 100;

nlohmann::json null_if_empty(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

// The IR of every connection, in declaration order (the payload is stored in declaration order).
nlohmann::ordered_json ir_of(const ReleaseRow& r) {
  auto payload = nlohmann::ordered_json::parse(r.payload);
  auto schema = payload.find("schema");
  if (schema == payload.end() || !schema->contains("irByConnection"))
    throw Error(Code::Internal, "release " + r.release_id + " has no schema.irByConnection");
  return (*schema)["irByConnection"];
}

}  // namespace

std::optional<std::string> previous_release(const std::vector<ReleaseHistoryRow>& newest_first,
                                            const std::string& current) {
  // The newest row is the activation that made `current` current; the row before it (in time) is another
  // release, because a pointer move to the release already current writes no history.
  for (const auto& h : newest_first)
    if (h.release_id != current) return h.release_id;
  return std::nullopt;
}

PromotionService::PromotionService(Store& store, AuditLog& audit, AuthService& auth, TenancyService& tenancy,
                                   ReleaseService& releases, ApplyService& apply)
    : store_(store), audit_(audit), auth_(auth), tenancy_(tenancy), releases_(releases), apply_(apply) {}

nlohmann::json PromotionService::promote(const nlohmann::json& body, RequestContext& ctx) {
  if (!body.is_object()) throw Error(Code::BadRequest, "request body must be a JSON object");
  std::string project = require_string(body, "project");
  std::string to = require_string(body, "to");
  std::string from = optional_string(body, "from");
  std::string release_id = optional_string(body, "releaseId");
  const bool apply_schema = optional_bool(body, "applySchema");
  const bool force = optional_bool(body, "force");
  auto role = auth_.require_project(ctx, project, ProjectRole::Deployer);
  tenancy_.require_env(project, to);
  if (release_id.empty() && from.empty())
    throw Error(Code::BadRequest, "say what to promote: 'from' (an env whose current release moves to '" +
                                      to + "') or 'releaseId'");
  if (force && !apply_schema)
    throw Error(Code::BadRequest, "'force' only applies with 'applySchema' (promote itself runs no DDL)");

  // --release-id wins over --from when both are given (spec hub §6).
  const bool by_id = !release_id.empty();
  auto audit_entry = [&](nlohmann::json detail) {
    detail["requestId"] = ctx.request_id;
    if (!detail.contains("releaseId")) detail["releaseId"] = null_if_empty(release_id);
    detail["fromEnv"] = by_id ? nlohmann::json(nullptr) : nlohmann::json(from);
    detail["toEnv"] = to;
    audit_.record({ctx.actor().id, "operator", "release.promote", project, to, std::move(detail), ctx.ip});
  };

  try {
    if (!by_id) {
      tenancy_.require_env(project, from);
      if (from == to)
        throw Error(Code::BadRequest, "'from' and 'to' are the same env ('" + to + "'): nothing to promote");
      auto cur = store_.current_release(project, from);
      if (!cur)
        throw Error(Code::NotFound, "env '" + from + "' has no current release to promote; create one with " +
                                        "'stk apply --env " + from + "'");
      release_id = cur->release_id;
    }
    auto row = store_.release(release_id);
    if (!row || row->project != project)
      throw Error(Code::NotFound, "release '" + release_id + "' does not exist in project '" + project +
                                      "'; list releases with 'stk release list --env <env>'");

    auto guard = apply_.lock_env(project, to);
    ApplyService::ReleaseSchemaOptions opts;
    opts.release_id = release_id;
    opts.ref = row->ref;
    opts.apply_schema = apply_schema;
    opts.force = force;
    opts.role = role;
    auto schema = apply_.ensure_release_schema(project, to, ir_of(*row), opts, ctx);

    auto previous = store_.current_release(project, to);
    std::string previous_id = previous ? previous->release_id : "";
    bool moved = releases_.activate(project, to, release_id, "promote", ctx.actor().id);
    audit_entry({{"releaseId", release_id},
                 {"previousReleaseId", null_if_empty(previous_id)},
                 {"schema", schema["schema"]},
                 {"statements", schema["statements"]},
                 {"moved", moved},
                 {"result", "ok"}});
    log::info("release promoted", {{"requestId", ctx.request_id},
                                   {"project", project},
                                   {"env", to},
                                   {"releaseId", release_id},
                                   {"schema", schema["schema"]},
                                   {"moved", moved}});
    return {{"releaseId", release_id},
            {"env", to},
            {"fromEnv", by_id ? nlohmann::json(nullptr) : nlohmann::json(from)},
            {"ref", row->ref},
            {"previousReleaseId", null_if_empty(previous_id)},
            {"moved", moved},
            {"schema", schema["schema"]},
            {"statements", schema["statements"]},
            {"plan", schema["plan"]}};
  } catch (const Error& e) {
    audit_entry({{"result", "failed"}, {"code", code_name(e.code())}, {"message", e.what()}});
    throw;
  }
}

nlohmann::json PromotionService::rollback(const nlohmann::json& body, RequestContext& ctx) {
  if (!body.is_object()) throw Error(Code::BadRequest, "request body must be a JSON object");
  std::string project = require_string(body, "project");
  std::string env = require_string(body, "env");
  std::string requested = optional_string(body, "toReleaseId");
  auth_.require_project(ctx, project, ProjectRole::Deployer);
  tenancy_.require_env(project, env);

  std::string previous_id;
  auto audit_entry = [&](nlohmann::json detail) {
    detail["requestId"] = ctx.request_id;
    if (!detail.contains("toReleaseId")) detail["toReleaseId"] = null_if_empty(requested);
    detail["previousReleaseId"] = null_if_empty(previous_id);
    audit_.record({ctx.actor().id, "operator", "release.rollback", project, env, std::move(detail), ctx.ip});
  };

  try {
    auto guard = apply_.lock_env(project, env);
    auto cur = store_.current_release(project, env);
    if (!cur)
      throw Error(Code::NotFound, "env '" + env + "' has no current release; there is nothing to roll back");
    previous_id = cur->release_id;

    std::string target = requested;
    if (target.empty()) {
      auto prev = previous_release(store_.release_history(project, env, kHistoryScan), cur->release_id);
      if (!prev)
        throw Error(Code::Conflict, "env '" + env + "' has had no release before " + cur->release_id +
                                        "; there is nothing to roll back to");
      target = *prev;
    }
    auto row = store_.release(target);
    if (!row || row->project != project)
      throw Error(Code::NotFound, "release '" + target + "' does not exist in project '" + project +
                                      "'; list the env's releases with 'stk release list --env " + env + "'");
    if (!store_.was_current(project, env, target))
      throw Error(Code::Conflict,
                  "release " + target + " has never been current in env '" + env +
                      "'; a rollback only returns to a release the env has run. To move it there through the "
                      "promotion gate use 'stk release promote --to " +
                      env + " --release-id " + target + "'");

    nlohmann::json warnings = nlohmann::json::array();
    if (target == cur->release_id)
      warnings.push_back("release " + target + " is already current in env '" + env + "'");
    for (auto& w : apply_.release_schema_warnings(project, env, ir_of(*row), target))
      warnings.push_back(std::move(w));
    bool moved = releases_.activate(project, env, target, "rollback", ctx.actor().id);
    audit_entry({{"toReleaseId", target}, {"moved", moved}, {"warnings", warnings.size()}, {"result", "ok"}});
    log::info("release rolled back", {{"requestId", ctx.request_id},
                                      {"project", project},
                                      {"env", env},
                                      {"releaseId", target},
                                      {"moved", moved}});
    return {{"releaseId", target}, {"env", env},
            {"ref", row->ref},     {"previousReleaseId", previous_id},
            {"moved", moved},      {"warnings", warnings}};
  } catch (const Error& e) {
    audit_entry({{"result", "failed"}, {"code", code_name(e.code())}, {"message", e.what()}});
    throw;
  }
}

}  // namespace stk::hub
