#pragma once
// Promotion and rollback (spec hub §6, DESIGN Decision 5): point an env at a release that already exists.
// Neither creates a release. Promote passes the promotion gate first (the target env's databases must be at
// the release's schema, or `applySchema` migrates them); rollback is an incident tool: never gated, never
// undoes DDL, but warns when the databases do not match. Every pointer move wakes the Bridges long-polling
// the env (ReleaseService::activate) and is audited (release.promote / release.rollback), failures too.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/apply_service.hpp"
#include "services/audit_log.hpp"
#include "services/auth_service.hpp"
#include "services/release_service.hpp"
#include "services/tenancy_service.hpp"
#include "store/store.hpp"

namespace stk::hub {

// The rollback target when none is given: the release that was current in the env before `current`
// (`newest_first` = the env's pointer history, newest first). Rolling back twice therefore returns to where
// it started, like `kubectl rollout undo`. nullopt when the env never ran another release.
std::optional<std::string> previous_release(const std::vector<ReleaseHistoryRow>& newest_first,
                                            const std::string& current);

class PromotionService {
 public:
  PromotionService(Store& store, AuditLog& audit, AuthService& auth, TenancyService& tenancy,
                   ReleaseService& releases, ApplyService& apply);

  // POST /api/releases/promote {project, to, from?, releaseId?, applySchema?, force?} (project deployer)
  //   -> {releaseId, env, fromEnv, previousReleaseId, moved, schema: unchanged|applied, statements, plan}
  // 400 neither from nor releaseId; 404 unknown env/release or `from` without a current release;
  // 409 gate (details.plan, hint `stk apply --env <to> --only schema`); 403 role.
  nlohmann::json promote(const nlohmann::json& body, RequestContext& ctx);
  // POST /api/releases/rollback {project, env, toReleaseId?} (project deployer)
  //   -> {releaseId, env, previousReleaseId, moved, warnings}
  // Without toReleaseId: the previous release (409 if there is none). With it: the release must belong to the
  // project (else 404) and must have been current in the env before (else 409).
  nlohmann::json rollback(const nlohmann::json& body, RequestContext& ctx);

 private:
  Store& store_;
  AuditLog& audit_;
  AuthService& auth_;
  TenancyService& tenancy_;
  ReleaseService& releases_;
  ApplyService& apply_;
};

}  // namespace stk::hub
