#pragma once
// `stk apply` on the Hub (spec hub §5): validate -> plan against the live database -> DDL in one transaction
// per connection -> release -> pointer -> audit. Applies for one project+env are serialised. Also the schema
// side of promotion: the gate that compares an env's databases with a release (and migrates with
// --apply-schema).
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/audit_log.hpp"
#include "services/auth_service.hpp"
#include "services/release_service.hpp"
#include "services/tenancy_service.hpp"
#include "store/store.hpp"

namespace stk::hub {

class ApplyService {
 public:
  ApplyService(Store& store, AuditLog& audit, AuthService& auth, TenancyService& tenancy,
               ReleaseService& releases);

  nlohmann::json apply(const nlohmann::json& body, RequestContext& ctx);
  // POST /api/schema/snapshot: introspect, compare with the last applied state, record the snapshot.
  nlohmann::json snapshot(const nlohmann::json& body, RequestContext& ctx);

  // Serialises everything that migrates an env or moves its pointer (apply, promote, rollback). Waits up to
  // 30 s, then 409.
  std::unique_lock<std::timed_mutex> lock_env(const std::string& project, const std::string& env);

  struct ReleaseSchemaOptions {
    std::string release_id;
    std::string ref;            // stored as the applied schema's ref when DDL runs
    bool apply_schema = false;  // promote --apply-schema: migrate instead of refusing
    bool force = false;         // allow destructive changes (needs project:admin)
    ProjectRole role = ProjectRole::Deployer;
  };
  // The promotion gate (DESIGN Decision 5, spec hub §5.5): `env`'s databases must be exactly at the release's
  // schema (`ir_by_connection` of its payload) — every connection the release uses must be set in `env`, the
  // plan `stk apply --env <env> --only schema` would run must be empty and there must be no drift. Otherwise
  // 409 with details.plan and the command that fixes it; with opts.apply_schema the plan is run first (same
  // gates as apply: unsupported and drift always refuse, destructive needs force + admin). Caller holds
  // lock_env(project, env). Returns {"schema": "unchanged"|"applied", "statements", "plan"}.
  nlohmann::json ensure_release_schema(const std::string& project, const std::string& env,
                                       const nlohmann::ordered_json& ir_by_connection,
                                       const ReleaseSchemaOptions& opts, RequestContext& ctx);
  // Rollback is not gated: the same comparison, reported as warnings (empty = the databases match).
  std::vector<std::string> release_schema_warnings(const std::string& project, const std::string& env,
                                                   const nlohmann::ordered_json& ir_by_connection,
                                                   const std::string& release_id);

 private:
  std::shared_ptr<std::timed_mutex> env_lock(const std::string& project, const std::string& env);

  Store& store_;
  AuditLog& audit_;
  AuthService& auth_;
  TenancyService& tenancy_;
  ReleaseService& releases_;
  std::mutex locks_mu_;
  std::map<std::string, std::shared_ptr<std::timed_mutex>> locks_;
};

}  // namespace stk::hub
