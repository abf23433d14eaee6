// schema validate (local only) and schema snapshot (spec hub-cli-schema §4.5, §5.5).
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "stk/cel/cel.hpp"
#include "stk/model/project.hpp"

namespace stk::cli {

namespace {

struct ValidateOptions {
  std::string dir;
};

J diag_json(const model::Diagnostic& d) {
  return J{{"file", d.pos.file},
           {"line", d.pos.line},
           {"col", d.pos.col},
           {"message", d.message},
           {"text", d.str()}};
}

size_t count_rules(const model::Permissions& p) {
  size_t n = 0;
  for (const auto& [table, tp] : p.tables)
    for (const auto& [op, rules] : tp.ops) n += rules.size();
  return n;
}

int validate(Session& s, const ValidateOptions& o) {
  fs::path dir = o.dir.empty() ? default_project_dir(s.cwd()) : fs::path(o.dir);
  if (dir.is_relative()) dir = s.cwd() / dir;
  model::ProjectFiles files = model::read_project_dir(dir.lexically_normal().string());

  model::Diagnostics diags;
  model::Project project = model::load_project(files, model::LoadOptions{}, diags);
  if (!diags.has_errors())
    cel::compile_permissions(project.permissions, project.schema, "config/permissions.yaml", diags);

  const auto errors = diags.errors();
  const auto warnings = diags.warnings();
  const size_t tables = errors.empty() ? project.schema.tables.size() : 0;
  const size_t rules = errors.empty() ? count_rules(project.permissions) : 0;

  if (s.json()) {
    J errs = J::array(), warns = J::array();
    for (const auto& d : errors) errs.push_back(diag_json(d));
    for (const auto& d : warnings) warns.push_back(diag_json(d));
    J r = {{"ok", errors.empty()}, {"errors", errs}, {"warnings", warns}};
    if (errors.empty()) {
      r["tables"] = tables;
      r["rules"] = rules;
    }
    s.print_json(r);
    return errors.empty() ? 0 : 1;
  }

  for (const auto& d : diags.items)
    s.err() << (d.severity == model::Severity::Warning ? "warning: " : "") << d.str() << "\n";
  if (!errors.empty()) {
    s.err() << "error: validation failed: " << errors.size() << " error(s)\n";
    return 1;
  }
  s.out() << "ok: " << tables << " tables, " << rules << " rules\n";
  return 0;
}

int snapshot(Session& s, const std::string& connection) {
  J body = {{"project", s.project()}, {"env", s.env_name()}};
  if (!connection.empty()) body["connection"] = connection;
  J r = s.hub().post("/api/schema/snapshot", body, 120000);
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  const J snaps = r.is_object() ? r.value("snapshots", J::array()) : J::array();
  for (const auto& snap : snaps) {
    bool drift = snap.is_object() && snap.value("drift", false);
    s.out() << "connection " << cell(snap, "connection") << ": taken " << cell(snap, "takenAt")
            << (drift ? ", drift detected" : ", no drift") << "\n";
    if (!drift || !snap.is_object()) continue;
    auto report = snap.find("report");
    if (report == snap.end()) continue;
    const J* items = &*report;
    if (report->is_object() && report->contains("drift")) items = &(*report)["drift"];
    if (items->is_array()) {
      for (const auto& d : *items)
        s.out() << "  drift: " << (d.is_string() ? d.get<std::string>() : d.value("message", d.dump()))
                << "\n";
    } else if (!items->is_null()) {
      s.out() << "  drift: " << items->dump() << "\n";
    }
  }
  return 0;
}

}  // namespace

void register_schema(Cli& cli) {
  Session& s = cli.session();
  auto* group =
      cli.group(&cli.root(), "schema", "Validate the project files locally; snapshot live databases",
                "stk schema validate\nstk schema snapshot --connection main");
  {
    auto& o = cli.keep<ValidateOptions>();
    auto* c = cli.command(group, "validate",
                          "Check schema, permissions (CEL included) and logics locally; no Hub involved",
                          "stk schema validate --dir ./my-project", [&s, &o] { return validate(s, o); });
    c->add_option("--dir", o.dir,
                  "Project folder (default: the directory holding .stk/, else the current one)");
    cli.add_output(c);
  }
  {
    auto& connection = cli.keep<std::string>();
    auto* c =
        cli.command(group, "snapshot", "Introspect the env's databases and report drift",
                    "stk schema snapshot --env prod", [&s, &connection] { return snapshot(s, connection); });
    c->add_option("--connection", connection, "Only this connection (default: all)");
    cli.add_scope(c, true);
  }
}

}  // namespace stk::cli
