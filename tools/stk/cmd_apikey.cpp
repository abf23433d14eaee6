// apikey create|list|revoke (spec hub-cli-schema §9).
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace stk::cli {

namespace {

struct CreateOptions {
  std::string name;
  std::vector<std::string> roles;
};

int create(Session& s, const CreateOptions& o) {
  J roles = J::array();
  for (const auto& r : o.roles)
    if (!r.empty()) roles.push_back(r);
  J r = s.hub().post("/api/apikeys/create",
                     J{{"project", s.project()}, {"env", s.env_name()}, {"name", o.name}, {"roles", roles}});
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  s.out() << "Key ID: " << cell(r, "keyId") << "\n";
  s.out() << "API Key (store securely): " << cell(r, "apiKey") << "\n";
  return 0;
}

int list_api_keys(Session& s) {
  J r = s.hub().get("/api/apikeys/list", {{"project", s.project()}, {"env", s.env_name()}});
  if (s.json())
    s.print_json(r);
  else
    s.out() << render_list(r, {{"KEY_ID", "keyId"},
                               {"NAME", "name"},
                               {"ROLES", "roles"},
                               {"STATUS", "status"},
                               {"CREATED", "createdAt"},
                               {"LAST_USED", "lastUsedAt"}});
  return 0;
}

int revoke(Session& s, const std::string& key) {
  J r =
      s.hub().post("/api/apikeys/revoke", J{{"project", s.project()}, {"env", s.env_name()}, {"keyId", key}});
  if (s.json())
    s.print_json(r);
  else
    s.out() << "Revoked key " << key << "\n";
  return 0;
}

}  // namespace

void register_apikey(Cli& cli) {
  Session& s = cli.session();
  auto* group = cli.group(&cli.root(), "apikey", "Manage the env's API keys for apps (project admin)",
                          "stk apikey create --name web --roles user\nstk apikey revoke --key-id web");
  {
    auto& o = cli.keep<CreateOptions>();
    auto* c =
        cli.command(group, "create", "Create an API key; the secret is printed once",
                    "stk apikey create --name backend --roles admin,user", [&s, &o] { return create(s, o); });
    c->add_option("--name", o.name, "Key name (unique among the env's active keys)")->required();
    c->add_option("--roles", o.roles, "Comma list of roles the key carries")
        ->delimiter(',')
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cli.add_scope(c, true);
  }
  {
    auto* c = cli.command(group, "list", "List the env's API keys (metadata only)",
                          "stk apikey list --env prod", [&s] { return list_api_keys(s); });
    cli.add_scope(c, true);
  }
  {
    auto& key = cli.keep<std::string>();
    auto* c = cli.command(group, "revoke", "Revoke an API key at once (by key id or name)",
                          "stk apikey revoke --key-id key_01J...", [&s, &key] { return revoke(s, key); });
    c->add_option("--key-id", key, "Key id (key_...) or key name")->required();
    cli.add_scope(c, true);
  }
}

}  // namespace stk::cli
