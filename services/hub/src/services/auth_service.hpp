#pragma once
// Operator accounts, sessions and RBAC (spec hub §8).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "services/audit_log.hpp"
#include "services/config.hpp"
#include "services/request_context.hpp"
#include "store/store.hpp"

namespace stk::hub {

enum class ProjectRole { None = 0, Viewer = 1, Deployer = 2, Admin = 3 };
enum class OrgRole { None = 0, Member = 1, Admin = 2, Owner = 3 };

std::string_view to_string(ProjectRole r);
std::string_view to_string(OrgRole r);

class AuthService {
 public:
  AuthService(Store& store, AuditLog& audit, const HubConfig& config);

  // Creates the first owner when the store has no operator yet. Returns true when it did.
  bool bootstrap_owner(const std::string& email, const std::string& password);

  // POST /api/auth/login. With an invite code, an unknown e-mail gets an account (the code proves the
  // invite).
  nlohmann::json login(const nlohmann::json& body, RequestContext& ctx);
  void logout(std::string_view bearer_token);
  // Resolves "Bearer <token>"; throws 401 when missing, unknown, expired or revoked.
  Operator authenticate(std::string_view authorization_header);

  OrgRole org_role(const std::string& email);
  ProjectRole project_role(const std::string& email, const std::string& project);
  // 404 when the project does not exist; 403 when the caller's effective role is below `min`.
  ProjectRole require_project(const RequestContext& ctx, const std::string& project, ProjectRole min);
  OrgRole require_org(const RequestContext& ctx, OrgRole min);

  nlohmann::json whoami(const RequestContext& ctx);

  // Membership management (spec §8.3).
  nlohmann::json org_invite(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json org_members(const RequestContext& ctx, const std::string& role_filter);
  nlohmann::json org_set_role(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json org_remove(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json project_invite(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json project_members(const std::string& project, RequestContext& ctx);
  nlohmann::json project_set_role(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json project_remove(const nlohmann::json& body, RequestContext& ctx);
  nlohmann::json accept_invite(const nlohmann::json& body, RequestContext& ctx);

 private:
  std::string new_invite(const std::string& scope, const std::string& email, const std::string& role);
  void audit(const RequestContext& ctx, const std::string& action, const std::string& project,
             nlohmann::json detail);

  Store& store_;
  AuditLog& audit_;
  const HubConfig& config_;
};

}  // namespace stk::hub
