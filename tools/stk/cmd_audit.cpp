// audit list (spec hub-cli-schema §13).
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace stk::cli {

namespace {

struct AuditOptions {
  std::string action;
  std::string since;
  int limit = 0;
};

// `ts  action  actor  project/env  result`
std::string audit_line(const J& item) {
  std::string actor = cell(item, "actorId");
  if (actor == "-") actor = cell(item, "actorType");
  std::string result = "-";
  if (item.is_object()) {
    if (auto d = item.find("detail"); d != item.end() && d->is_object()) result = cell(*d, "result");
  }
  return cell(item, "ts") + "  " + cell(item, "action") + "  " + actor + "  " + cell(item, "project") + "/" +
         cell(item, "env") + "  " + result;
}

int list(Session& s, const AuditOptions& o) {
  // The project comes from the usual places and is optional (org admins may list org-wide without one); the
  // env filters only when passed as --env, so project-level entries (project.create, rbac.*) are listed too.
  Query q = {{"project", s.maybe_project()}, {"env", s.flags.env}, {"action", o.action}, {"since", o.since}};
  if (o.limit > 0) q.emplace_back("limit", std::to_string(o.limit));
  J r = s.hub().get("/api/audit", q);
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  const J* items = &r;
  if (r.is_object() && r.contains("items")) items = &r["items"];
  if (items->is_array())
    for (const auto& item : *items) s.out() << audit_line(item) << "\n";
  return 0;
}

}  // namespace

void register_audit(Cli& cli) {
  Session& s = cli.session();
  auto* group = cli.group(&cli.root(), "audit", "Read the audit log", "stk audit list --since 24h");
  auto& o = cli.keep<AuditOptions>();
  auto* c = cli.command(group, "list", "List audit entries: ts  action  actor  project/env  result",
                        "stk audit list --action release.rollback --since 24h --limit 50",
                        [&s, &o] { return list(s, o); });
  c->add_option("--action", o.action, "Only this action (e.g. release.create)");
  c->add_option("--since", o.since, "Only entries newer than this: a duration (24h, 7d) or an RFC 3339 time");
  c->add_option("--limit", o.limit, "At most N entries")->check(CLI::PositiveNumber);
  cli.add_hub(c);
  cli.add_project(c);
  c->add_option("--env", s.flags.env, "Only entries of this env (default: every env of the project)");
  cli.add_output(c);
}

}  // namespace stk::cli
