#pragma once
// The command-line frame: shared flags, the per-invocation Session (context, credentials, Hub client) and the
// registry that maps each CLI11 subcommand to its action. Each command group lives in its own cmd_<group>.cpp
// and exposes one register_<group>(Cli&) function (commands.hpp); adding a group = one file + one line in
// register_all().
#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "hub_client.hpp"

namespace stk::cli {

// Values of the flags shared by many commands (bound to every command that takes them).
struct SharedFlags {
  std::string hub;
  std::string project;
  std::string env;
  std::string output = "text";
};

struct Io {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
  bool in_is_tty = false;
};

class Session {
 public:
  Session(Io io, EnvFn env, fs::path cwd);

  SharedFlags flags;

  std::ostream& out() { return io_.out; }
  std::ostream& err() { return io_.err; }
  std::istream& in() { return io_.in; }
  bool stdin_is_tty() const { return io_.in_is_tty; }
  const EnvFn& env() const { return env_; }
  const fs::path& cwd() const { return cwd_; }

  bool json() const { return flags.output == "json"; }
  void print_json(const J& j);

  // The context file found above cwd (empty Context when there is none); read once.
  const Context& context();
  const std::optional<fs::path>& context_file();

  std::string hub_url();                       // --hub > STK_HUB_URL > context > default
  std::string project();                       // throws "context not set: ..."
  std::string env_name();                      // throws "context not set: ..."
  std::optional<std::string> maybe_project();  // for hints and optional scoping; never throws

  CredentialStore credentials();
  // Operator client: needs a token (STK_AUTH_TOKEN or a stored login); without one its requests fail with a
  // CliError carrying a login hint.
  HubClient hub();
  HubClient hub_anonymous();

 private:
  Io io_;
  EnvFn env_;
  fs::path cwd_;
  bool context_loaded_ = false;
  std::optional<fs::path> context_file_;
  Context context_;
};

using Action = std::function<int()>;

class Cli {
 public:
  explicit Cli(Session& session);
  Session& session() { return session_; }
  CLI::App& root() { return app_; }

  // A command that only groups subcommands (one of them is required).
  CLI::App* group(CLI::App* parent, const std::string& name, const std::string& description,
                  const std::string& examples);
  // A command that runs `action`. It may also have subcommands of its own (e.g. `project members set-role`).
  CLI::App* command(CLI::App* parent, const std::string& name, const std::string& description,
                    const std::string& examples, Action action);

  // Shared flags, bound to Session::flags.
  void add_hub(CLI::App* cmd);
  void add_project(CLI::App* cmd);
  void add_env(CLI::App* cmd);
  void add_output(CLI::App* cmd);
  // --hub --project [--env] --output: the usual set for project-scoped Hub commands.
  void add_scope(CLI::App* cmd, bool with_env);

  // Storage for a command's own option values; lives as long as the Cli.
  template <class T>
  T& keep(T initial = T()) {
    auto p = std::make_shared<T>(std::move(initial));
    T& ref = *p;
    kept_.push_back(std::move(p));
    return ref;
  }

  // Parses and runs; returns the exit code (0 ok, 1 failure, 2 usage).
  int run(const std::vector<std::string>& args);

 private:
  Session& session_;
  CLI::App app_;
  std::map<const CLI::App*, Action> actions_;
  std::vector<std::shared_ptr<void>> kept_;
};

// Registers every command group (commands.hpp) on `cli`.
void register_all(Cli& cli);

// Entry point used by main(): real stdin/stdout/stderr, process environment and cwd.
int run_main(int argc, char** argv);

}  // namespace stk::cli
