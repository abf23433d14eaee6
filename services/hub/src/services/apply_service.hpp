#pragma once
// `stk apply` on the Hub (spec hub §5): validate -> plan against the live database -> DDL in one transaction
// per connection -> release -> pointer -> audit. Applies for one project+env are serialised.
#include <map>
#include <memory>
#include <mutex>
#include <string>

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
