// project create|list|invite|members [set-role]|remove (spec hub-cli-schema §8.2-8.3, §10.3).
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace stk::cli {

namespace {

struct ProjectMemberOptions {
  std::string email;
  std::string role;
};

void print_invite(Session& s, const J& r, const std::string& email, const std::string& role,
                  const std::string& scope) {
  if (s.json()) {
    s.print_json(r);
    return;
  }
  s.out() << "Invited " << email << " to " << scope << " as " << role << "\n";
  s.out() << "Invite code: " << cell(r, "inviteCode") << "\n";
}

}  // namespace

void register_project(Cli& cli) {
  Session& s = cli.session();
  auto* group = cli.group(&cli.root(), "project", "Create and list projects; manage project members",
                          "stk project create shop\nstk project invite dev@example.com --role deployer");

  {
    auto& name = cli.keep<std::string>();
    auto* c =
        cli.command(group, "create", "Create a project (org admin)", "stk project create shop", [&s, &name] {
          J r = s.hub().post("/api/projects", J{{"project", name}});
          if (s.json())
            s.print_json(r);
          else
            s.out() << "Created project " << name << "\n";
          return 0;
        });
    c->add_option("name", name, "Project name")->required();
    cli.add_hub(c);
    cli.add_output(c);
  }
  {
    auto* c = cli.command(
        group, "list", "List the projects visible to you, with your role", "stk project list", [&s] {
          J r = s.hub().get("/api/projects");
          if (s.json())
            s.print_json(r);
          else
            s.out() << render_list(r, {{"PROJECT", "project"}, {"ROLE", "role"}, {"CREATED", "createdAt"}});
          return 0;
        });
    cli.add_hub(c);
    cli.add_output(c);
  }
  {
    auto& o = cli.keep<ProjectMemberOptions>();
    auto* c = cli.command(group, "invite", "Invite someone to the project (prints a one-time invite code)",
                          "stk project invite dev@example.com --role deployer --project shop", [&s, &o] {
                            std::string project = s.project();
                            J r = s.hub().post("/api/project/invite",
                                               J{{"project", project}, {"email", o.email}, {"role", o.role}});
                            print_invite(s, r, o.email, o.role, "project " + project);
                            return 0;
                          });
    c->add_option("email", o.email, "E-mail of the person to invite")->required();
    c->add_option("--role", o.role, "admin, deployer or viewer")->required();
    cli.add_scope(c, false);
  }
  {
    auto* members = cli.command(
        group, "members", "List project members (or change a role: members set-role)",
        "stk project members --project shop\n"
        "stk project members set-role dev@example.com --role admin",
        [&s] {
          J r = s.hub().get("/api/project/members", {{"project", s.project()}});
          if (s.json())
            s.print_json(r);
          else
            s.out() << render_list(r, {{"EMAIL", "email"}, {"ROLE", "role"}, {"STATUS", "status"}});
          return 0;
        });
    cli.add_scope(members, false);

    auto& o = cli.keep<ProjectMemberOptions>();
    auto* c = cli.command(members, "set-role", "Give a member a project role (activates a pending invite)",
                          "stk project members set-role dev@example.com --role viewer", [&s, &o] {
                            std::string project = s.project();
                            J r = s.hub().post("/api/project/members/set-role",
                                               J{{"project", project}, {"user", o.email}, {"role", o.role}});
                            if (s.json())
                              s.print_json(r);
                            else
                              s.out() << "Set role of " << o.email << " on project " << project << " to "
                                      << o.role << "\n";
                            return 0;
                          });
    c->add_option("email", o.email, "Member e-mail")->required();
    c->add_option("--role", o.role, "admin, deployer or viewer")->required();
    cli.add_scope(c, false);
  }
  {
    auto& email = cli.keep<std::string>();
    auto* c =
        cli.command(group, "remove", "Remove a member from the project",
                    "stk project remove dev@example.com --project shop", [&s, &email] {
                      std::string project = s.project();
                      J r = s.hub().post("/api/project/remove", J{{"project", project}, {"user", email}});
                      if (s.json())
                        s.print_json(r);
                      else
                        s.out() << "Removed " << email << " from project " << project << "\n";
                      return 0;
                    });
    c->add_option("email", email, "Member e-mail")->required();
    cli.add_scope(c, false);
  }
}

}  // namespace stk::cli
