// org invite|members [set-role]|remove and invite accept (spec hub-cli-schema §8.2-8.3).
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace stk::cli {

namespace {

struct OrgMemberOptions {
  std::string email;
  std::string role;
};

template <class TextFn>
void emit(Session& s, const J& r, TextFn text) {
  if (s.json())
    s.print_json(r);
  else
    text();
}

}  // namespace

void register_org(Cli& cli) {
  Session& s = cli.session();
  auto* org = cli.group(&cli.root(), "org", "Manage the organisation's members",
                        "stk org invite dev@example.com --role member\nstk org members");
  {
    auto& o = cli.keep<OrgMemberOptions>();
    auto* c = cli.command(org, "invite", "Invite someone to the org (prints a one-time invite code)",
                          "stk org invite dev@example.com --role admin", [&s, &o] {
                            J r = s.hub().post("/api/org/invite", J{{"email", o.email}, {"role", o.role}});
                            emit(s, r, [&] {
                              s.out() << "Invited " << o.email << " to the org as " << o.role << "\n";
                              s.out() << "Invite code: " << cell(r, "inviteCode") << "\n";
                            });
                            return 0;
                          });
    c->add_option("email", o.email, "E-mail of the person to invite")->required();
    c->add_option("--role", o.role, "member or admin")->required();
    cli.add_hub(c);
    cli.add_output(c);
  }
  {
    auto& role = cli.keep<std::string>();
    auto* members = cli.command(
        org, "members", "List org members (or change a role: members set-role)",
        "stk org members --role admin\nstk org members set-role dev@example.com --role admin", [&s, &role] {
          J r = s.hub().get("/api/org/members", {{"role", role}});
          emit(s, r, [&] {
            s.out() << render_list(r, {{"EMAIL", "email"}, {"ROLE", "role"}, {"STATUS", "status"}});
          });
          return 0;
        });
    members->add_option("--role", role, "Only members with this role");
    cli.add_hub(members);
    cli.add_output(members);

    auto& o = cli.keep<OrgMemberOptions>();
    auto* c = cli.command(
        members, "set-role", "Change an org member's role (owner, admin, member)",
        "stk org members set-role dev@example.com --role admin", [&s, &o] {
          J r = s.hub().post("/api/org/members/set-role", J{{"user", o.email}, {"role", o.role}});
          emit(s, r, [&] { s.out() << "Set org role of " << o.email << " to " << o.role << "\n"; });
          return 0;
        });
    c->add_option("email", o.email, "Member e-mail")->required();
    c->add_option("--role", o.role, "owner, admin or member")->required();
    cli.add_hub(c);
    cli.add_output(c);
  }
  {
    auto& email = cli.keep<std::string>();
    auto* c = cli.command(org, "remove", "Remove someone from the org (and from all its projects)",
                          "stk org remove dev@example.com", [&s, &email] {
                            J r = s.hub().post("/api/org/remove", J{{"user", email}});
                            emit(s, r, [&] { s.out() << "Removed " << email << " from the org\n"; });
                            return 0;
                          });
    c->add_option("email", email, "Member e-mail")->required();
    cli.add_hub(c);
    cli.add_output(c);
  }

  auto* invite = cli.group(&cli.root(), "invite", "Accept an invitation", "stk invite accept 7Hq2...");
  {
    auto& code = cli.keep<std::string>();
    auto* c = cli.command(invite, "accept", "Accept an org or project invitation with its code",
                          "stk invite accept 7Hq2xKp9", [&s, &code] {
                            J r = s.hub().post("/api/invites/accept", J{{"code", code}});
                            emit(s, r, [&] {
                              std::string scope = cell(r, "scope");
                              if (scope == "org")
                                s.out() << "Joined the org as " << cell(r, "role") << "\n";
                              else
                                s.out() << "Joined project " << scope << " as " << cell(r, "role") << "\n";
                            });
                            return 0;
                          });
    c->add_option("code", code, "Invite code")->required();
    cli.add_hub(c);
    cli.add_output(c);
  }
}

}  // namespace stk::cli
