// env create|list (spec hub-cli-schema §2, §10.3).
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace stk::cli {

void register_env(Cli& cli) {
  Session& s = cli.session();
  auto* group = cli.group(&cli.root(), "env", "Create and list environments of a project",
                          "stk env create dev --project shop\nstk env list");
  {
    auto& name = cli.keep<std::string>();
    auto* c = cli.command(group, "create", "Create an environment in the project (project admin)",
                          "stk env create --project shop prod", [&s, &name] {
                            std::string project = s.project();
                            J r = s.hub().post("/api/envs", J{{"project", project}, {"env", name}});
                            if (s.json())
                              s.print_json(r);
                            else
                              s.out() << "Created env " << name << " in project " << project << "\n";
                            return 0;
                          });
    c->add_option("env", name, "Environment name (dev, stg, prod, ...)")->required();
    cli.add_scope(c, false);
  }
  {
    auto* c = cli.command(
        group, "list", "List the project's environments and their current release",
        "stk env list --project shop", [&s] {
          J r = s.hub().get("/api/envs", {{"project", s.project()}});
          if (s.json())
            s.print_json(r);
          else
            s.out() << render_list(
                r, {{"ENV", "env"}, {"CREATED", "createdAt"}, {"CURRENT_RELEASE", "currentReleaseId"}});
          return 0;
        });
    cli.add_scope(c, false);
  }
}

}  // namespace stk::cli
