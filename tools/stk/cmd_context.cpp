// context set|show|clear (spec hub-cli-schema §12.1): the repo-local .stk/context.json.
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "stk/http/client.hpp"

namespace stk::cli {

namespace {

struct ContextSetOptions {
  std::string hub, project, env, connection;
};

void print_context(Session& s, const std::optional<fs::path>& file, const Context& c) {
  if (s.json()) {
    s.print_json(c.to_json());
    return;
  }
  auto v = [](const std::optional<std::string>& x) { return x && !x->empty() ? *x : std::string("-"); };
  s.out() << "file: " << (file ? file->string() : std::string("-")) << "\n"
          << "hubUrl: " << v(c.hub_url) << "\n"
          << "project: " << v(c.project) << "\n"
          << "env: " << v(c.env) << "\n"
          << "connection: " << v(c.connection) << "\n";
}

void check_name(const char* what, const std::string& name) {
  if (!valid_name(name))
    throw CliError(std::string("invalid ") + what + " name '" + name +
                   "': use 1-63 letters, digits, '_' or '-', starting with a letter or digit");
}

int context_set(Session& s, const ContextSetOptions& o) {
  if (o.hub.empty() && o.project.empty() && o.env.empty() && o.connection.empty())
    throw UsageError("nothing to set: pass --hub, --project, --env and/or --connection");
  Context update;
  if (!o.hub.empty()) {
    std::string url = normalize_hub_url(o.hub);
    http::parse_url(url);  // throws with what is wrong
    update.hub_url = url;
  }
  auto take = [](const char* what, const std::string& value, std::optional<std::string>& slot) {
    if (value.empty()) return;
    check_name(what, value);
    slot = value;
  };
  take("project", o.project, update.project);
  take("env", o.env, update.env);
  take("connection", o.connection, update.connection);

  fs::path file = context_file_for_write(s.cwd());
  std::error_code ec;
  Context c = fs::exists(file, ec) ? read_context(file) : Context{};
  c.merge(update);
  write_context(file, c);
  print_context(s, file, c);
  return 0;
}

int context_show(Session& s) {
  const auto& file = s.context_file();
  print_context(s, file, s.context());
  return 0;
}

int context_clear(Session& s) {
  auto file = find_context_file(s.cwd());
  if (!file) {
    s.out() << "No context file found\n";
    return 0;
  }
  std::error_code ec;
  fs::remove(*file, ec);
  if (ec) throw CliError("cannot remove " + file->string() + ": " + ec.message());
  s.out() << "Removed " << file->string() << "\n";
  return 0;
}

}  // namespace

void register_context(Cli& cli) {
  Session& s = cli.session();
  auto* group =
      cli.group(&cli.root(), "context", "Show or change the repo-local context (.stk/context.json)",
                "stk context set --hub http://127.0.0.1:4000 --project shop --env dev\nstk context show");

  auto& so = cli.keep<ContextSetOptions>();
  auto* set = cli.command(
      group, "set", "Set context values (merged into the nearest .stk/context.json, else created here)",
      "stk context set --project shop --env dev --connection main", [&s, &so] { return context_set(s, so); });
  set->add_option("--hub", so.hub, "Hub URL to store");
  set->add_option("--project", so.project, "Project to store");
  set->add_option("--env", so.env, "Environment to store");
  set->add_option("--connection", so.connection, "Default connection for 'connections set|test|show'");
  cli.add_output(set);

  auto* show = cli.command(group, "show", "Show the context file in effect and its values",
                           "stk context show --output json", [&s] { return context_show(s); });
  cli.add_output(show);

  cli.command(group, "clear", "Delete the nearest .stk/context.json", "stk context clear",
              [&s] { return context_clear(s); });
}

}  // namespace stk::cli
