// apply (spec hub-cli-schema §5, §10.4): upload the project folder; the Hub validates, plans, migrates and
// creates the release.
#include "apply.hpp"
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace stk::cli {

namespace {

constexpr int kApplyTimeoutMs = 600000;  // DDL (index builds) can take minutes

struct ApplyOptions {
  std::string ref;
  std::string only;
  std::string dir;
  bool dry_run = false;
  bool force = false;
  bool no_schema_apply = false;
  bool json = false;
};

int apply(Session& s, const ApplyOptions& o) {
  ApplyRequest req;
  req.project = s.project();
  req.env = s.env_name();
  req.ref = o.ref;
  if (req.ref.empty()) {
    if (!o.dry_run)
      throw UsageError("--ref is required (normally the commit SHA: --ref $(git rev-parse HEAD))");
    req.ref = "dry-run";
  }
  if (req.ref.size() > 200) throw UsageError("--ref is longer than 200 characters");
  if (!o.only.empty()) req.only = parse_only(o.only);
  req.dry_run = o.dry_run;
  req.force = o.force;
  req.no_schema_apply = o.no_schema_apply;

  fs::path dir = o.dir.empty() ? default_project_dir(s.cwd()) : fs::path(o.dir);
  if (dir.is_relative()) dir = s.cwd() / dir;
  model::ProjectFiles files = model::read_project_dir(dir.lexically_normal().string());
  J body = build_apply_body(req, files);

  const bool json = o.json || s.json();
  HubClient hub = s.hub();
  J r;
  try {
    r = hub.post("/api/apply", body, kApplyTimeoutMs);
  } catch (const HubError& e) {
    if (json && !e.body().is_null()) {
      s.print_json(e.body());
      s.out().flush();
      s.err() << format_error(e, req.project);
    } else {
      s.err() << render_apply_error(e, req.dry_run, req.force, req.project);
    }
    throw ExitStatus{1};
  }

  const bool blocked = !blocked_steps(r).empty();
  if (json) {
    s.print_json(r);
    if (blocked) {
      s.out().flush();
      s.err() << render_apply_blocked(r, req.force);
    }
    return blocked ? 1 : 0;
  }
  if (blocked) {
    s.err() << render_apply_result(r, req.dry_run) << render_apply_blocked(r, req.force);
    return 1;
  }
  s.out() << render_apply_result(r, req.dry_run);
  return 0;
}

}  // namespace

void register_apply(Cli& cli) {
  Session& s = cli.session();
  auto& o = cli.keep<ApplyOptions>();
  auto* c =
      cli.command(&cli.root(), "apply",
                  "Upload the project folder: validate, plan and migrate the schema, create the release",
                  "stk apply --ref $(git rev-parse HEAD)\n"
                  "stk apply --dry-run\n"
                  "stk apply --env prod --only schema --ref 9f3c2e1 --force",
                  [&s, &o] { return apply(s, o); });
  c->add_option("--ref", o.ref, "Release ref, normally the commit SHA (required unless --dry-run)");
  c->add_option("--only", o.only, "Comma list of steps to run: schema, permissions, release (default: all)")
      ->check(CLI::Validator(
          [](std::string& value) {
            try {
              parse_only(value);
              return std::string();
            } catch (const std::exception& e) {
              std::string msg = e.what();  // CLI11 prefixes "--only: " itself
              if (auto at = msg.find(" in --only"); at != std::string::npos) msg.erase(at, 10);
              return msg;
            }
          },
          "STEPS", "apply steps"));
  c->add_flag("--dry-run", o.dry_run, "Validate and plan only; prints the SQL; changes nothing");
  c->add_flag("--force", o.force, "Allow destructive changes (drops data; needs project admin)");
  c->add_flag("--no-schema-apply", o.no_schema_apply,
              "Plan but run no DDL (the release needs an empty plan)");
  c->add_flag("--json", o.json, "Print the Hub's raw JSON response (same as --output json)");
  c->add_option("--dir", o.dir,
                "Project folder (default: the directory holding .stk/, else the current one)");
  cli.add_scope(c, true);
}

}  // namespace stk::cli
