#pragma once
// Projects, envs, connections (DB URLs encrypted at rest) and API keys.
#include <string>

#include <nlohmann/json.hpp>

#include "services/audit_log.hpp"
#include "services/auth_service.hpp"
#include "services/feed.hpp"
#include "stk/crypto/crypto.hpp"
#include "store/store.hpp"

namespace stk::hub {

class TenancyService {
 public:
  TenancyService(Store& store, AuditLog& audit, AuthService& auth, Feed& feed, const crypto::SecretBox& box);

  nlohmann::json create_project(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json list_projects(RequestContext& ctx);
  nlohmann::json create_env(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json list_envs(const std::string& project, RequestContext& ctx);

  nlohmann::json set_connection(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json test_connection(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json list_connections(const std::string& project, const std::string& env, const std::string& name,
                                  RequestContext& ctx);
  // Decrypted URL of one connection (apply, internal feed). Never log or return it to operators.
  std::string connection_url(const std::string& project, const std::string& env, const std::string& name);

  nlohmann::json create_api_key(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json list_api_keys(const std::string& project, const std::string& env, RequestContext& ctx);
  nlohmann::json revoke_api_key(const nlohmann::json& body, RequestContext& ctx);
  // From Bridges (POST /internal/apikeys/used): {"keys":[{"keyId","lastUsedAt"}]} -> {"updated": n}.
  // lastUsedAt only moves forward and never past the Hub's clock; lastUsedAt is not part of the key feed, so
  // a report wakes no Bridge.
  nlohmann::json record_api_key_use(const nlohmann::json& body);
  // Feed for Bridges: {project, env, version, keys:[{keyId, digest, roles, status}]}.
  nlohmann::json api_key_digests(const std::string& project, const std::string& env);

  // Throws 404 with a hint when the env does not exist (after checking the project).
  void require_env(const std::string& project, const std::string& env);

 private:
  void audit(const RequestContext& ctx, const std::string& action, const std::string& project,
             const std::string& env, nlohmann::json detail);

  Store& store_;
  AuditLog& audit_;
  AuthService& auth_;
  Feed& feed_;
  const crypto::SecretBox& box_;
};

}  // namespace stk::hub
