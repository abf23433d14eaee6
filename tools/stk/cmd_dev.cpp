// dev (DESIGN Decision 6): the whole stack on one machine with one command — a private PostgreSQL (unless
// --db-url), santokit-hub on SQLite and santokit-bridge, the example project applied and seeded, an operator
// logged in, an API key printed once with a curl that works. Runs in the foreground until Ctrl-C/SIGTERM,
// then stops its children (Bridge, Hub, PostgreSQL).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "cli.hpp"
#include "commands.hpp"
#include "dev_hub.hpp"
#include "dev_postgres.hpp"
#include "dev_process.hpp"
#include "dev_seed.hpp"
#include "dev_state.hpp"
#include "output.hpp"
#include "stk/core/env.hpp"
#include "stk/model/project.hpp"

namespace stk::cli {

namespace {

using namespace std::chrono_literals;
using namespace stk::cli::dev;

constexpr auto kStartTimeout = 60s;

struct DevOptions {
  std::string state_dir = ".stk-dev";
  std::string db_url;
  std::string project_dir;
  std::string project;
  std::string env;
  int hub_port = 4000;
  int bridge_port = 3000;
  std::string hub_bin;
  std::string bridge_bin;
  std::vector<std::string> roles = {"writer"};
  bool no_seed = false;
};

const char* kHelpFooter = R"(
What it does, in order (every step is idempotent: re-running with the same state directory reuses the data):
  1. PostgreSQL: unless --db-url is given, initialises (first run) and starts a private PostgreSQL 15 in
     <state>/pg on a free port of 127.0.0.1 (as the user 'postgres' when run as root) and creates the
     database <project>_<env>. Binaries from $PGBIN, default /usr/lib/postgresql/15/bin.
  2. santokit-hub on 127.0.0.1:--hub-port with its SQLite store in <state>/hub.db. The secret key, the
     Bridge service token and the password of the bootstrap owner dev@santokit.local are generated at the
     first run and kept in <state> (files of mode 0600).
  3. santokit-bridge on 127.0.0.1:--bridge-port, syncing from that Hub, its release cache in <state>.
  4. Logs in as the owner and stores the session like 'stk login' (your stk profile, $STK_CONFIG_DIR), and
     writes <project-dir>/.stk/context.json (hubUrl, project, env, connection main), so every other stk
     command works from the project folder.
  5. Creates the project and env (if missing), sets connection 'main' to the database, runs
     'stk apply --ref dev' on the project folder (default: examples/blog). When the apply fails the stack
     keeps running: fix the files and run 'stk apply --ref dev' from the project folder.
  6. Creates a new API key with --roles (default writer) and waits until the Bridge serves the release.
  7. Seeds the example (orgs -> teams -> users -> posts) through the Bridge's /call with a temporary admin
     key (revoked at once), when the project has those tables and 'orgs' is empty.
  8. Prints the API key (shown only once) and a curl that calls the Bridge with it.

Binaries: --hub-bin/--bridge-bin, else next to this stk in a build tree (build/tools/stk/stk ->
build/services/hub/santokit-hub, build/services/bridge/santokit-bridge), else beside stk, else $PATH.
State directory <state> (--state-dir, default ./.stk-dev): secret.key, bridge.token, owner.password, db.url,
hub.db, hub.log, bridge.log, bridge-cache/, pg/ (data/, server.log), lock. Delete it to start from scratch.
Ports: 0 picks a free one. Ctrl-C or SIGTERM stops the Bridge, then the Hub, then PostgreSQL (data kept).
)";

const char* kExamples =
    "stk dev\n"
    "stk dev --hub-port 0 --bridge-port 0 --state-dir /tmp/stk-dev\n"
    "stk dev --db-url postgres://app:secret@127.0.0.1:5432/blog --project-dir ./my-project";

// --project-dir, else examples/blog in the current directory or one above it, else the current directory
// when it holds schema/.
fs::path resolve_project_dir(const fs::path& cwd, const std::string& flag) {
  if (!flag.empty()) {
    fs::path p = fs::path(flag).is_relative() ? cwd / flag : fs::path(flag);
    return p.lexically_normal();
  }
  for (fs::path dir = cwd;; dir = dir.parent_path()) {
    if (fs::is_directory(dir / "examples" / "blog" / "schema"))
      return (dir / "examples" / "blog").lexically_normal();
    if (dir == dir.parent_path()) break;
  }
  if (fs::is_directory(cwd / "schema")) return cwd;
  throw CliError("no project folder: examples/blog is not in " + cwd.string() + " or above it",
                 "run stk dev from the Santokit repository or pass --project-dir");
}

std::vector<std::string> table_names(const model::ProjectFiles& files) {
  model::Diagnostics diags;  // the Hub reports them at apply
  model::Project p = model::load_project(files, {}, diags);
  std::vector<std::string> out;
  for (const auto& t : p.schema.tables) out.push_back(t.name);
  return out;
}

// "path shown relative to the current directory when it is below it".
std::string shown(const fs::path& p, const fs::path& cwd) {
  fs::path rel = p.lexically_relative(cwd);
  if (!rel.empty() && *rel.begin() != "..") return rel.string();
  return p.string();
}

std::string log_level_for_children() {
  auto level = stk::env("STK_LOG_LEVEL");
  return level && *level == "debug" ? "debug" : "info";  // the "listening" line is at info
}

void write_pid(const StateDir& state, const std::string& name, const Child& child) {
  std::ofstream(state / (name + ".pid")) << child.pid() << "\n";
}

// Removes <state>/*.pid when the children are gone (declared before them, so destroyed after).
struct PidFiles {
  const StateDir& state;
  ~PidFiles() {
    std::error_code ec;
    for (const char* n : {"postgres.pid", "hub.pid", "bridge.pid"}) fs::remove(state / n, ec);
  }
};

// Starts a service binary and waits for its "<name> listening" JSON line; returns the port it bound.
int start_service(Child& child, const std::string& name, const SpawnOptions& options,
                  const std::string& port_flag) {
  std::uintmax_t offset = file_size_or_zero(options.log);
  child = Child(name, options);
  std::string line;
  try {
    line = wait_for_log_line(child, offset, name + " listening", kStartTimeout);
  } catch (const CliError& e) {
    if (std::string(e.what()).find("already in use") == std::string::npos) throw;
    throw CliError(e.what(), "the port is taken (another stk dev or " + name + "?): stop it or pass " +
                                 port_flag + " 0 for a free port");
  }
  int port = port_in_log_line(line);
  if (port <= 0) throw CliError(name + " did not say which port it listens on: " + line);
  return port;
}

std::string curl_line(const std::string& bridge_url, const std::string& body) {
  return "curl -s " + bridge_url +
         "/call -H \"X-Santokit-Api-Key: $STK_API_KEY\" -H 'Content-Type: " + "application/json' -d '" +
         body + "'";
}

int run_dev(Session& s, const DevOptions& o) {
  install_stop_handlers();
  const std::string project = !o.project.empty()         ? o.project
                              : !s.flags.project.empty() ? s.flags.project
                                                         : "blog";
  const std::string env_name = !o.env.empty() ? o.env : !s.flags.env.empty() ? s.flags.env : "dev";
  if (!valid_name(project)) throw UsageError("invalid project name '" + project + "'");
  if (!valid_name(env_name)) throw UsageError("invalid env name '" + env_name + "'");
  for (int port : {o.hub_port, o.bridge_port})
    if (port < 0 || port > 65535) throw UsageError("ports are 0..65535 (0 = a free one)");

  const fs::path cwd = s.cwd();
  const fs::path project_dir = resolve_project_dir(cwd, o.project_dir);
  const model::ProjectFiles files = model::read_project_dir(project_dir.string());
  const std::vector<std::string> tables = table_names(files);
  const fs::path hub_bin = find_binary("santokit-hub", o.hub_bin, "services/hub");
  const fs::path bridge_bin = find_binary("santokit-bridge", o.bridge_bin, "services/bridge");
  const bool local_pg = o.db_url.empty();
  fs::path state_path = fs::path(o.state_dir).is_relative() ? cwd / o.state_dir : fs::path(o.state_dir);
  StateDir state(state_path.lexically_normal(), local_pg && ::geteuid() == 0);
  const std::string st = shown(state.path(), cwd);
  auto& out = s.out();

  for (const char* f :
       {"hub.db", "hub.db-wal", "hub.db-shm", "hub.log"})  // written 0644 by older scripts/dev
    if (fs::exists(state / f)) ::chmod((state / f).c_str(), 0600);
  const std::string secret_key = state.secret("secret.key", random_secret_key);
  const std::string bridge_token = state.secret("bridge.token", [] { return random_token(); });
  const std::string owner_password = state.secret("owner.password", [] { return random_token(18); });

  // Declared in start order: leaving the scope (Ctrl-C, error) stops them in reverse order.
  PidFiles pid_files{state};
  std::optional<LocalPostgres> pg;
  Child hub_proc, bridge_proc;
  try {
    out << "stk dev: state in " << st << "/ (Ctrl-C stops everything)\n";
    std::string db_url = o.db_url;
    bool db_created = false;
    if (local_pg) {
      pg = start_local_postgres(state / "pg");
      write_pid(state, "postgres", pg->server);
      const std::string db_name = project + "_" + env_name;
      db_created = ensure_database(pg->admin_url, db_name);
      db_url = database_url(pg->admin_url, db_name);
      out << "  postgres  127.0.0.1:" << pg->port << ", database " << db_name << " (data " << st
          << "/pg/data, log " << st << "/pg/server.log)" << std::endl;
    }
    // A database the Hub has not migrated yet: created now, or another --db-url than last run.
    const std::optional<std::string> previous_db = read_trimmed(state / "db.url");
    const bool db_is_new = db_created || (!local_pg && previous_db != db_url);
    state.write_secret("db.url", db_url);

    const std::string level = log_level_for_children();
    SpawnOptions hub_opts;
    hub_opts.binary = hub_bin;
    hub_opts.log = state / "hub.log";
    hub_opts.env = {{"STK_SECRET_KEY", secret_key},
                    {"STK_HUB_DB_URL", "sqlite://" + (state / "hub.db").string()},
                    {"STK_HUB_HOST", "127.0.0.1"},
                    {"STK_HUB_PORT", std::to_string(o.hub_port)},
                    {"STK_HUB_BOOTSTRAP_OWNER_EMAIL", kOwnerEmail},
                    {"STK_HUB_BOOTSTRAP_OWNER_PASSWORD", owner_password},
                    {"STK_BRIDGE_TOKENS", bridge_token},
                    {"STK_LOG_LEVEL", level},
                    {"STK_LOG_FORMAT", "json"}};
    const int hub_port = start_service(hub_proc, "santokit-hub", hub_opts, "--hub-port");
    write_pid(state, "hub", hub_proc);
    const std::string hub_url = "http://127.0.0.1:" + std::to_string(hub_port);
    out << "  hub       " << hub_url << " (log " << st << "/hub.log)" << std::endl;

    SpawnOptions bridge_opts;
    bridge_opts.binary = bridge_bin;
    bridge_opts.log = state / "bridge.log";
    bridge_opts.env = {
        {"STK_HUB_URL", hub_url},
        {"STK_BRIDGE_TOKEN", bridge_token},
        {"STK_BRIDGE_HOST", "127.0.0.1"},
        {"STK_BRIDGE_PORT", std::to_string(o.bridge_port)},
        {"STK_BRIDGE_CACHE_DIR", (state / "bridge-cache").string()},
        // `stk apikey list` shows a key's use within 2 s while trying things out (default 30 s)
        {"STK_BRIDGE_KEY_USAGE_REPORT_MS", "2000"},
        {"STK_LOG_LEVEL", level},
        {"STK_LOG_FORMAT", "json"}};
    const int bridge_port = start_service(bridge_proc, "santokit-bridge", bridge_opts, "--bridge-port");
    write_pid(state, "bridge", bridge_proc);
    const std::string bridge_url = "http://127.0.0.1:" + std::to_string(bridge_port);
    out << "  bridge    " << bridge_url << " (log " << st << "/bridge.log)" << std::endl;

    // Operator session, stored like `stk login`, and the project folder's context.
    const std::string token = login_owner(hub_url, owner_password, st);
    CredentialStore creds = s.credentials();
    creds.set(hub_url, Credential{token, kOwnerEmail});
    fs::path ctx_file = project_dir / ".stk" / "context.json";
    Context ctx = fs::exists(ctx_file) ? read_context(ctx_file) : Context();
    Context update;
    update.hub_url = hub_url;
    update.project = project;
    update.env = env_name;
    update.connection = "main";
    ctx.merge(update);
    write_context(ctx_file, ctx);
    out << "  login     " << kOwnerEmail << " (session in " << creds.path().string() << ")" << std::endl;
    if (s.env()("STK_AUTH_TOKEN"))
      s.err() << "note: STK_AUTH_TOKEN is set and takes precedence over this login in other stk commands\n";

    HubClient hub(hub_url, token, true);
    bootstrap_env(hub, project, env_name, db_url, local_pg ? "" : "check --db-url");
    out << "  project   " << project << ", env " << env_name << ", connection main -> " << masked_url(db_url)
        << " (full URL in " << st << "/db.url)" << std::endl;

    std::optional<std::string> release_id =
        apply_project(s.out(), s.err(), hub, project, env_name, files, db_is_new, shown(project_dir, cwd));
    const bool applied = release_id.has_value();
    out.flush();

    std::string try_block;
    if (applied) {
      ApiKey key = create_key(hub, project, env_name, key_name(), o.roles);
      BridgeCaller bridge(bridge_url, key.secret);
      const bool blog = has_blog_tables(tables);
      const std::string probe_table = blog ? "posts" : (tables.empty() ? "" : tables.front());
      if (!probe_table.empty()) {
        wait_until_serving(caller_for(bridge), "db/" + probe_table + "/select", J{{"limit", 1}},
                           kServeTimeout);
        out << "  serving   release " << *release_id << " on the Bridge" << std::endl;
        if (blog && !o.no_seed) {
          CallResult orgs = bridge.call("db/orgs/select", J{{"limit", 1}});
          bool empty = orgs.status == 200 && orgs.body.is_object() && orgs.body["data"].is_array() &&
                       orgs.body["data"].empty();
          if (orgs.status != 200)
            s.err() << "note: not seeding: db/orgs/select with the new key answered " << describe(orgs)
                    << "\n";
          else if (empty)
            out << "  seed      " << seed_through_bridge(hub, project, env_name, bridge_url)
                << " (through the Bridge)" << std::endl;
          else
            out << "  seed      skipped: the tables already hold data" << std::endl;
        }
      }
      std::string roles;
      for (const auto& role : o.roles) roles += (roles.empty() ? "" : ",") + role;
      const std::string body =
          blog ? R"({"path":"db/posts/select","params":{"limit":2,"expand":["author.team.org"]}})"
               : R"({"path":"db/)" + probe_table + R"(/select","params":{"limit":2}})";
      try_block = "API key " + key.key_id + " (roles " + roles +
                  ") is shown only now; 'stk apikey create' makes more.\n"
                  "Try it in another terminal:\n"
                  "  export STK_API_KEY=" +
                  key.secret + "\n  " + curl_line(bridge_url, body) + "\n";
    } else {
      try_block = "The apply failed (see above): fix the files, then from " + shown(project_dir, cwd) +
                  " run 'stk apply --ref dev' and restart stk dev for an API key.\n";
    }

    std::error_code ec;
    fs::path self_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
    out << "\nSantokit is running: Bridge " << bridge_url << ", Hub " << hub_url << ".\n"
        << try_block << "Operator commands (logged in as " << kOwnerEmail << ", password in " << st
        << "/owner.password):\n"
        << "  export PATH=\"" << (ec ? std::string("<dir of stk>") : self_dir.string()) << ":$PATH\"\n"
        << "  cd " << shown(project_dir, cwd) << " && stk release current\n"
        << "Ctrl-C stops the Bridge, the Hub" << (local_pg ? " and PostgreSQL" : "") << "; data stays in "
        << st << "/.\n"
        << std::flush;

    while (!stop_requested()) {
      for (Child* c : {pg ? &pg->server : nullptr, &hub_proc, &bridge_proc}) {
        if (c && !c->running()) {
          s.err() << "stk dev: " << c->name() << " " << c->exit_description() << "; the end of "
                  << c->log().string() << ":\n"
                  << log_tail(c->log(), 0) << "stopping the rest\n";
          return 1;
        }
      }
      std::this_thread::sleep_for(200ms);
    }
    out << "\nstk dev: stopping santokit-bridge, santokit-hub" << (local_pg ? ", postgres" : "") << std::endl;
    bridge_proc.stop();
    hub_proc.stop();
    if (pg) pg->server.stop();
    out << "stk dev: stopped" << std::endl;
    return 0;
  } catch (const Interrupted&) {
    s.err() << "stk dev: interrupted; stopping\n";
    return 130;
  }
}

}  // namespace

void register_dev(Cli& cli) {
  Session& s = cli.session();
  auto& o = cli.keep<DevOptions>();
  auto* c =
      cli.command(&cli.root(), "dev",
                  "Run PostgreSQL + Hub + Bridge locally with the example project; prints an API key and "
                  "a curl (foreground, Ctrl-C stops)",
                  kExamples, [&s, &o] { return run_dev(s, o); });
  c->footer(std::string(kHelpFooter) + c->get_footer());
  c->add_option("--state-dir", o.state_dir,
                "Where the stack keeps its state between runs (default ./.stk-dev)");
  c->add_option(
      "--db-url", o.db_url,
      "Use this PostgreSQL database (postgres://...) for connection 'main' instead of starting one");
  c->add_option(
      "--project-dir", o.project_dir,
      "Project folder to apply (default: examples/blog of the repository around the current directory)");
  c->add_option("--project", o.project, "Project name (default blog)");
  c->add_option("--env", o.env, "Environment name (default dev)");
  c->add_option("--hub-port", o.hub_port, "Hub port on 127.0.0.1 (default 4000; 0 = a free one)");
  c->add_option("--bridge-port", o.bridge_port, "Bridge port on 127.0.0.1 (default 3000; 0 = a free one)");
  c->add_option("--hub-bin", o.hub_bin, "santokit-hub binary (default: next to stk, then $PATH)");
  c->add_option("--bridge-bin", o.bridge_bin, "santokit-bridge binary (default: next to stk, then $PATH)");
  c->add_option("--roles", o.roles, "Comma list of roles of the printed API key (default writer)")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  c->add_flag("--no-seed", o.no_seed, "Do not insert the example rows");
}

}  // namespace stk::cli
