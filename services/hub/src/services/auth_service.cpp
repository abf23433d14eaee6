#include "services/auth_service.hpp"

#include <algorithm>

#include "services/validate.hpp"
#include "stk/core/encoding.hpp"
#include "stk/core/error.hpp"
#include "stk/core/ids.hpp"
#include "stk/core/json.hpp"
#include "stk/core/time.hpp"
#include "stk/crypto/crypto.hpp"

namespace stk::hub {

namespace {
constexpr int64_t kInviteTtlMs = 7LL * 24 * 3600 * 1000;

ProjectRole parse_project_role(const std::string& s) {
  if (s == "viewer") return ProjectRole::Viewer;
  if (s == "deployer") return ProjectRole::Deployer;
  if (s == "admin") return ProjectRole::Admin;
  return ProjectRole::None;
}
OrgRole parse_org_role(const std::string& s) {
  if (s == "member") return OrgRole::Member;
  if (s == "admin") return OrgRole::Admin;
  if (s == "owner") return OrgRole::Owner;
  return OrgRole::None;
}
std::string token_digest(std::string_view token) {
  return crypto::sha256_hex(token);
}
}  // namespace

std::string_view to_string(ProjectRole r) {
  switch (r) {
    case ProjectRole::Viewer:
      return "viewer";
    case ProjectRole::Deployer:
      return "deployer";
    case ProjectRole::Admin:
      return "admin";
    default:
      return "none";
  }
}
std::string_view to_string(OrgRole r) {
  switch (r) {
    case OrgRole::Member:
      return "member";
    case OrgRole::Admin:
      return "admin";
    case OrgRole::Owner:
      return "owner";
    default:
      return "none";
  }
}

AuthService::AuthService(Store& store, AuditLog& audit, const HubConfig& config)
    : store_(store), audit_(audit), config_(config) {}

bool AuthService::bootstrap_owner(const std::string& email, const std::string& password) {
  if (store_.operator_count() > 0) return false;
  check_email(email);
  if (password.size() < 8)
    throw Error(Code::BadRequest, "bootstrap owner password must have at least 8 characters");
  Operator op{"op_" + ulid(), email, crypto::password_hash(password), "active", now_rfc3339()};
  store_.transaction([&] {
    store_.insert_operator(op);
    store_.upsert_membership({"org", email, "owner", "active", "", 0});
  });
  audit_.record({op.id,
                 "system",
                 "rbac.set_role",
                 "",
                 "",
                 {{"email", email}, {"role", "owner"}, {"result", "ok"}},
                 ""});
  return true;
}

nlohmann::json AuthService::login(const nlohmann::json& body, RequestContext& ctx) {
  std::string email = require_string(body, "email");
  std::string password = require_string(body, "password");
  std::string invite = optional_string(body, "inviteCode");
  auto op = store_.operator_by_email(email);
  auto fail = [&](const std::string& reason) {
    audit_.record(
        {op ? op->id : "unknown",
         "operator",
         "operator.login",
         "",
         "",
         {{"requestId", ctx.request_id}, {"email", email}, {"result", "denied"}, {"reason", reason}},
         ctx.ip});
    return Error(Code::Unauthorized, "invalid e-mail or password");
  };
  if (!op && !invite.empty()) {
    // First login of an invited person: the invite code proves the invitation; the password becomes theirs.
    auto m = store_.membership_by_invite(token_digest(invite));
    if (!m || m->email != email || m->status != "pending") throw fail("unknown invite");
    if (m->invite_expires_at < unix_ms())
      throw Error(Code::BadRequest, "invite code has expired; ask for a new one");
    if (password.size() < 8) throw Error(Code::BadRequest, "password must have at least 8 characters");
    op = Operator{"op_" + ulid(), email, crypto::password_hash(password), "active", now_rfc3339()};
    store_.transaction([&] {
      store_.insert_operator(*op);
      m->status = "active";
      m->invite_code_hash.clear();
      store_.upsert_membership(*m);
    });
    audit_.record({op->id,
                   "operator",
                   "rbac.accept",
                   m->scope == "org" ? "" : m->scope,
                   "",
                   {{"requestId", ctx.request_id}, {"scope", m->scope}, {"role", m->role}, {"result", "ok"}},
                   ctx.ip});
  } else {
    // Verify even for unknown e-mails so timing does not reveal which accounts exist.
    static const std::string dummy = crypto::password_hash("not-a-real-password");
    bool ok = crypto::password_verify(op ? op->password_hash : dummy, password);
    if (!op || !ok || op->status != "active") throw fail(op ? "bad password" : "unknown account");
    if (!invite.empty()) {
      auto m = store_.membership_by_invite(token_digest(invite));
      if (m && m->email == email && m->status == "pending" && m->invite_expires_at >= unix_ms()) {
        m->status = "active";
        m->invite_code_hash.clear();
        store_.upsert_membership(*m);
      }
    }
  }
  std::string token = "stk_op_" + base64url_encode(random_bytes(32));
  int64_t expires = unix_ms() + int64_t(config_.session_ttl_hours) * 3600 * 1000;
  store_.insert_session(token_digest(token), op->id, expires);
  ctx.op = op;
  audit_.record({op->id,
                 "operator",
                 "operator.login",
                 "",
                 "",
                 {{"requestId", ctx.request_id}, {"result", "ok"}},
                 ctx.ip});
  return {{"token", token}, {"expiresAt", rfc3339(expires)}, {"email", op->email}};
}

void AuthService::logout(std::string_view authorization) {
  auto token = authorization.substr(authorization.find(' ') + 1);
  store_.revoke_session(token_digest(token));
}

Operator AuthService::authenticate(std::string_view authorization) {
  if (authorization.empty())
    throw Error(Code::Unauthorized, "missing Authorization header; log in with 'stk login'");
  auto space = authorization.find(' ');
  std::string scheme(authorization.substr(0, space));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (space == std::string_view::npos || scheme != "bearer")
    throw Error(Code::Unauthorized, "Authorization must be 'Bearer <token>'");
  auto token = authorization.substr(space + 1);
  auto id = store_.session_operator(token_digest(token), unix_ms());
  if (!id) throw Error(Code::Unauthorized, "session is invalid or expired; log in again with 'stk login'");
  auto op = store_.operator_by_id(*id);
  if (!op || op->status != "active") throw Error(Code::Unauthorized, "operator account is disabled");
  return *op;
}

OrgRole AuthService::org_role(const std::string& email) {
  auto m = store_.membership("org", email);
  if (!m || m->status != "active") return OrgRole::None;
  return parse_org_role(m->role);
}

ProjectRole AuthService::project_role(const std::string& email, const std::string& project) {
  // An explicit active membership wins, even when it is lower than the org-inherited role (spec §8.2).
  auto m = store_.membership(project, email);
  if (m && m->status == "active") return parse_project_role(m->role);
  auto org = org_role(email);
  return org >= OrgRole::Admin ? ProjectRole::Admin : ProjectRole::None;
}

ProjectRole AuthService::require_project(const RequestContext& ctx, const std::string& project,
                                         ProjectRole min) {
  if (!store_.project_exists(project))
    throw Error(Code::NotFound,
                "project '" + project + "' does not exist; create it with 'stk project create'");
  auto role = project_role(ctx.actor().email, project);
  if (role < min)
    throw Error(Code::Forbidden, "insufficient role: this needs project:" + std::string(to_string(min)) +
                                     " on '" + project + "', you have " +
                                     (role == ProjectRole::None ? std::string("no role")
                                                                : "project:" + std::string(to_string(role))));
  return role;
}

OrgRole AuthService::require_org(const RequestContext& ctx, OrgRole min) {
  auto role = org_role(ctx.actor().email);
  if (role < min)
    throw Error(
        Code::Forbidden,
        "insufficient role: this needs org:" + std::string(to_string(min)) + ", you have " +
            (role == OrgRole::None ? std::string("no org role") : "org:" + std::string(to_string(role))));
  return role;
}

nlohmann::json AuthService::whoami(const RequestContext& ctx) {
  const auto& op = ctx.actor();
  auto org = org_role(op.email);
  nlohmann::json projects = nlohmann::json::array();
  for (const auto& [name, created] : store_.projects()) {
    auto r = project_role(op.email, name);
    if (r != ProjectRole::None) projects.push_back({{"project", name}, {"role", to_string(r)}});
  }
  return {{"email", op.email}, {"operatorId", op.id}, {"orgRole", to_string(org)}, {"projects", projects}};
}

std::string AuthService::new_invite(const std::string& scope, const std::string& email,
                                    const std::string& role) {
  std::string code = "inv_" + base64url_encode(random_bytes(24));
  store_.upsert_membership({scope, email, role, "pending", token_digest(code), unix_ms() + kInviteTtlMs});
  return code;
}

void AuthService::audit(const RequestContext& ctx, const std::string& action, const std::string& project,
                        nlohmann::json detail) {
  detail["requestId"] = ctx.request_id;
  if (!detail.contains("result")) detail["result"] = "ok";
  audit_.record({ctx.actor().id, "operator", action, project, "", std::move(detail), ctx.ip});
}

nlohmann::json AuthService::org_invite(const nlohmann::json& body, RequestContext& ctx) {
  auto my = require_org(ctx, OrgRole::Admin);
  std::string email = require_string(body, "email");
  std::string role = require_string(body, "role");
  check_email(email);
  auto r = parse_org_role(role);
  if (r == OrgRole::None) throw Error(Code::InvalidRole, "org role must be member, admin or owner");
  if (r == OrgRole::Owner && my < OrgRole::Owner)
    throw Error(Code::Forbidden, "only an owner can grant owner");
  auto existing = store_.membership("org", email);
  if (existing && existing->status == "pending")
    throw Error(Code::Conflict, email + " already has a pending invite");
  if (existing && existing->status == "active")
    throw Error(Code::Conflict, email + " is already an org member");
  std::string code = new_invite("org", email, role);
  audit(ctx, "rbac.invite", "", {{"scope", "org"}, {"email", email}, {"role", role}});
  return {{"ok", true}, {"inviteCode", code}};
}

nlohmann::json AuthService::org_members(const RequestContext& ctx, const std::string& role_filter) {
  require_org(ctx, OrgRole::Member);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : store_.memberships("org"))
    if (role_filter.empty() || m.role == role_filter)
      out.push_back({{"email", m.email}, {"role", m.role}, {"status", m.status}});
  return out;
}

nlohmann::json AuthService::org_set_role(const nlohmann::json& body, RequestContext& ctx) {
  auto my = require_org(ctx, OrgRole::Admin);
  std::string user = require_string(body, "user");
  std::string role = require_string(body, "role");
  auto r = parse_org_role(role);
  if (r == OrgRole::None) throw Error(Code::InvalidRole, "org role must be member, admin or owner");
  auto current = store_.membership("org", user);
  bool touches_owner = r == OrgRole::Owner || (current && current->role == "owner");
  if (touches_owner && my < OrgRole::Owner)
    throw Error(Code::Forbidden, "only an owner can grant or revoke owner");
  if (current && current->role == "owner" && r != OrgRole::Owner) {
    int owners = 0;
    for (const auto& m : store_.memberships("org")) owners += (m.role == "owner" && m.status == "active");
    if (owners <= 1) throw Error(Code::Conflict, "the last owner cannot be demoted");
  }
  store_.upsert_membership({"org", user, role, "active", "", 0});
  audit(ctx, "rbac.set_role", "", {{"scope", "org"}, {"email", user}, {"role", role}});
  return {{"ok", true}};
}

nlohmann::json AuthService::org_remove(const nlohmann::json& body, RequestContext& ctx) {
  auto my = require_org(ctx, OrgRole::Admin);
  std::string user = require_string(body, "user");
  auto current = store_.membership("org", user);
  if (!current) throw Error(Code::NotFound, user + " is not an org member");
  if (current->role == "owner") {
    if (my < OrgRole::Owner) throw Error(Code::Forbidden, "only an owner can remove an owner");
    int owners = 0;
    for (const auto& m : store_.memberships("org")) owners += (m.role == "owner" && m.status == "active");
    if (owners <= 1) throw Error(Code::Conflict, "the last owner cannot be removed");
  }
  store_.transaction([&] {
    for (const auto& m : store_.memberships_of(user)) store_.delete_membership(m.scope, user);
  });
  audit(ctx, "rbac.remove", "", {{"scope", "org"}, {"email", user}});
  return {{"ok", true}};
}

nlohmann::json AuthService::project_invite(const nlohmann::json& body, RequestContext& ctx) {
  std::string project = require_string(body, "project");
  require_project(ctx, project, ProjectRole::Admin);
  std::string email = require_string(body, "email");
  std::string role = require_string(body, "role");
  check_email(email);
  if (parse_project_role(role) == ProjectRole::None)
    throw Error(Code::InvalidRole, "project role must be admin, deployer or viewer");
  auto existing = store_.membership(project, email);
  if (existing && existing->status == "pending")
    throw Error(Code::Conflict, email + " already has a pending invite");
  std::string code = new_invite(project, email, role);
  audit(ctx, "rbac.invite", project, {{"scope", project}, {"email", email}, {"role", role}});
  return {{"ok", true}, {"inviteCode", code}};
}

nlohmann::json AuthService::project_members(const std::string& project, RequestContext& ctx) {
  require_project(ctx, project, ProjectRole::Viewer);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : store_.memberships(project))
    out.push_back({{"email", m.email}, {"role", m.role}, {"status", m.status}});
  return out;
}

nlohmann::json AuthService::project_set_role(const nlohmann::json& body, RequestContext& ctx) {
  std::string project = require_string(body, "project");
  require_project(ctx, project, ProjectRole::Admin);
  std::string user = require_string(body, "user");
  std::string role = require_string(body, "role");
  if (parse_project_role(role) == ProjectRole::None)
    throw Error(Code::InvalidRole, "project role must be admin, deployer or viewer");
  store_.upsert_membership({project, user, role, "active", "", 0});
  audit(ctx, "rbac.set_role", project, {{"scope", project}, {"email", user}, {"role", role}});
  return {{"ok", true}};
}

nlohmann::json AuthService::project_remove(const nlohmann::json& body, RequestContext& ctx) {
  std::string project = require_string(body, "project");
  require_project(ctx, project, ProjectRole::Admin);
  std::string user = require_string(body, "user");
  if (!store_.membership(project, user))
    throw Error(Code::NotFound, user + " is not a member of '" + project + "'");
  store_.delete_membership(project, user);
  audit(ctx, "rbac.remove", project, {{"scope", project}, {"email", user}});
  return {{"ok", true}};
}

nlohmann::json AuthService::accept_invite(const nlohmann::json& body, RequestContext& ctx) {
  std::string code = require_string(body, "code");
  auto m = store_.membership_by_invite(token_digest(code));
  if (!m || m->status != "pending") throw Error(Code::NotFound, "unknown invite code");
  if (m->email != ctx.actor().email) throw Error(Code::Forbidden, "this invite was issued to another e-mail");
  if (m->invite_expires_at < unix_ms())
    throw Error(Code::BadRequest, "invite code has expired; ask for a new one");
  m->status = "active";
  m->invite_code_hash.clear();
  store_.upsert_membership(*m);
  audit(ctx, "rbac.accept", m->scope == "org" ? "" : m->scope, {{"scope", m->scope}, {"role", m->role}});
  return {{"scope", m->scope}, {"role", m->role}};
}

}  // namespace stk::hub
