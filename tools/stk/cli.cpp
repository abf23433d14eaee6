#include "cli.hpp"

#include <unistd.h>

#include <iostream>

#include "commands.hpp"
#include "output.hpp"
#include "version.hpp"

namespace stk::cli {

// ---- Session
// -------------------------------------------------------------------------------------------------

Session::Session(Io io, EnvFn env, fs::path cwd) : io_(io), env_(std::move(env)), cwd_(std::move(cwd)) {}

void Session::print_json(const J& j) {
  out() << pretty_json(j);
}

const std::optional<fs::path>& Session::context_file() {
  if (!context_loaded_) {
    context_loaded_ = true;
    context_file_ = find_context_file(cwd_);
    if (context_file_) context_ = read_context(*context_file_);
  }
  return context_file_;
}

const Context& Session::context() {
  context_file();
  return context_;
}

std::string Session::hub_url() {
  return resolve_hub(flags.hub, env_, context());
}
std::string Session::project() {
  return resolve_project(flags.project, env_, context());
}
std::string Session::env_name() {
  return resolve_env(flags.env, env_, context());
}

std::optional<std::string> Session::maybe_project() {
  try {
    return find_project(flags.project, env_, context());
  } catch (const std::exception&) {
    return flags.project.empty() ? std::nullopt : std::optional<std::string>(flags.project);
  }
}

CredentialStore Session::credentials() {
  return CredentialStore(credentials_path(env_));
}

HubClient Session::hub() {
  std::string url = hub_url();
  std::optional<std::string> token = env_("STK_AUTH_TOKEN");
  if (!token) {
    CredentialStore store = credentials();
    token = resolve_token(url, env_, &store);
  }
  return HubClient(url, token, /*require_token=*/true);
}

HubClient Session::hub_anonymous() {
  return HubClient(hub_url(), std::nullopt);
}

// ---- Cli
// -----------------------------------------------------------------------------------------------------

namespace {
std::string examples_footer(const std::string& examples) {
  if (examples.empty()) return {};
  std::string out = examples.find('\n') == std::string::npos ? "\nExample:\n" : "\nExamples:\n";
  size_t start = 0;
  while (start <= examples.size()) {
    size_t nl = examples.find('\n', start);
    std::string line = examples.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    out += "  " + line + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}
}  // namespace

Cli::Cli(Session& session)
    : session_(session), app_("stk: the Santokit operator CLI (a client of the Hub API)", "stk") {
  app_.require_subcommand(1);
  // A repeated option takes its last value (`stk apply --ref a ... --ref b`), as scripts that append flags
  // expect; subcommands inherit this default. List options (--roles) opt back into TakeAll.
  app_.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app_.footer(
      examples_footer("stk login --email you@example.com\nstk context set --project shop --env dev\nstk "
                      "apply --ref $(git rev-parse "
                      "HEAD)"));
  app_.set_version_flag("--version", std::string("stk ") + kCliVersion);
  // Allowed before the subcommand too: `stk --hub http://h:4000 --project shop --env dev release current`.
  add_hub(&app_);
  add_project(&app_);
  add_env(&app_);
}

CLI::App* Cli::group(CLI::App* parent, const std::string& name, const std::string& description,
                     const std::string& examples) {
  CLI::App* c = parent->add_subcommand(name, description);
  c->footer(examples_footer(examples));
  c->require_subcommand(1);
  return c;
}

CLI::App* Cli::command(CLI::App* parent, const std::string& name, const std::string& description,
                       const std::string& examples, Action action) {
  CLI::App* c = parent->add_subcommand(name, description);
  c->footer(examples_footer(examples));
  c->require_subcommand(0, 1);
  actions_[c] = std::move(action);
  return c;
}

void Cli::add_hub(CLI::App* cmd) {
  cmd->add_option("--hub", session_.flags.hub,
                  "Hub URL (default: $STK_HUB_URL, context hubUrl, " + std::string(kDefaultHubUrl) + ")");
}

void Cli::add_project(CLI::App* cmd) {
  cmd->add_option("--project", session_.flags.project, "Project (default: $STK_PROJECT, then context)");
}

void Cli::add_env(CLI::App* cmd) {
  cmd->add_option("--env", session_.flags.env, "Environment (default: $STK_ENV, then context)");
}

void Cli::add_output(CLI::App* cmd) {
  cmd->add_option("--output", session_.flags.output, "Output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
}

void Cli::add_scope(CLI::App* cmd, bool with_env) {
  add_hub(cmd);
  add_project(cmd);
  if (with_env) add_env(cmd);
  add_output(cmd);
}

int Cli::run(const std::vector<std::string>& args) {
  std::ostream& out = session_.out();
  std::ostream& err = session_.err();
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
  try {
    app_.parse(reversed);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app_.exit(e, out, err);  // --help, --version
    err << "error: " << e.what() << "\nRun with --help for more information.\n";
    return 2;
  }

  const CLI::App* current = &app_;
  while (true) {
    auto subs = current->get_subcommands();
    if (subs.empty()) break;
    current = subs.front();
  }
  auto it = actions_.find(current);
  if (it == actions_.end()) {
    err << "error: a subcommand is required\n" << current->help();
    return 2;
  }

  try {
    int rc = it->second();
    out.flush();
    return rc;
  } catch (const ExitStatus& s) {
    return s.code;
  } catch (const UsageError& e) {
    err << "error: " << e.what() << "\nRun with --help for more information.\n";
    return 2;
  } catch (const std::exception& e) {
    out.flush();
    err << format_error(e, session_.maybe_project());
    return 1;
  }
}

int run_main(int argc, char** argv) {
  Io io{std::cout, std::cerr, std::cin, ::isatty(STDIN_FILENO) == 1};
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) cwd = ".";
  Session session(io, process_env(), cwd);
  Cli cli(session);
  register_all(cli);
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return cli.run(args);
}

void register_all(Cli& cli) {
  register_auth(cli);
  register_context(cli);
  register_project(cli);
  register_env(cli);
  register_connections(cli);
  register_apply(cli);
  register_schema(cli);
  register_release(cli);
  register_apikey(cli);
  register_audit(cli);
  register_org(cli);
  register_version(cli);
  register_dev(cli);
}

}  // namespace stk::cli
