#include "dev_postgres.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "dev_state.hpp"
#include "output.hpp"
#include "stk/core/env.hpp"
#include "stk/pg/connection.hpp"
#include "stk/sql/ident.hpp"

namespace stk::cli::dev {

namespace {

constexpr int kReadyTimeoutSeconds = 60;

std::optional<RunAs> postgres_user() {
  if (::geteuid() != 0) return std::nullopt;
  const passwd* pw = ::getpwnam("postgres");
  if (!pw)
    throw CliError("PostgreSQL refuses to run as root and there is no user 'postgres'",
                   "install postgresql-15 (scripts/bootstrap) or pass --db-url");
  return RunAs{pw->pw_uid, pw->pw_gid};
}

void give_to(const fs::path& p, const std::optional<RunAs>& user) {
  if (user && ::chown(p.c_str(), user->uid, user->gid) != 0)
    throw CliError("cannot chown " + p.string() + ": " + std::strerror(errno));
}

// <dir>/password: created once (mode 0600, owned by the server's user: initdb reads it).
std::string password_file(const fs::path& dir, const std::optional<RunAs>& user) {
  fs::path file = dir / "password";
  if (auto existing = read_trimmed(file)) return *existing;
  std::string value = random_token(18);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw CliError("cannot create " + file.string() + ": " + std::strerror(errno));
  std::string line = value + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == ssize_t(line.size());
  ::close(fd);
  if (!ok) throw CliError("cannot write " + file.string());
  give_to(file, user);
  return value;
}

void wait_exit(Child& child, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (child.running()) {
    if (stop_requested()) throw Interrupted{};
    if (std::chrono::steady_clock::now() > deadline) {
      child.stop();
      throw CliError(child.name() + " did not finish within " + std::to_string(timeout.count()) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

fs::path postgres_bin_dir() {
  return fs::path(env_or("PGBIN", "/usr/lib/postgresql/15/bin"));
}

LocalPostgres start_local_postgres(const fs::path& dir) {
  const fs::path bin = postgres_bin_dir();
  if (::access((bin / "initdb").c_str(), X_OK) != 0 || ::access((bin / "postgres").c_str(), X_OK) != 0)
    throw CliError("PostgreSQL server binaries not found in " + bin.string(),
                   "install postgresql-15 (scripts/bootstrap), set PGBIN, or pass --db-url");
  const std::optional<RunAs> user = postgres_user();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw CliError("cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  give_to(dir, user);
  const std::string password = password_file(dir, user);
  const std::string cwd_hint =
      "the user 'postgres' must be able to enter " + dir.string() +
      ": use a --state-dir outside home directories that are closed to other users (e.g. /tmp/stk-dev), or "
      "pass --db-url";

  if (!fs::exists(dir / "data" / "PG_VERSION")) {
    fs::remove_all(dir / "data", ec);
    SpawnOptions init;
    init.binary = bin / "initdb";
    init.args = {"-D", (dir / "data").string(), "-U", "postgres", "--pwfile=" + (dir / "password").string(),
                 "-A", "scram-sha-256",         "-E", "UTF8",     "--locale=C.UTF-8"};
    init.log = dir / "initdb.log";
    init.cwd = dir;
    init.run_as = user;
    std::uintmax_t offset = file_size_or_zero(init.log);
    Child initdb("initdb", init);
    wait_exit(initdb, std::chrono::seconds(120));
    if (initdb.exit_code() != 0) {
      std::string hint = initdb.exit_code() == 126 ? cwd_hint : "";
      throw CliError("initdb " + initdb.exit_description() + "; the end of " + init.log.string() + ":\n" +
                         log_tail(init.log, offset),
                     hint);
    }
  }

  LocalPostgres pg;
  pg.port = free_port();
  SpawnOptions run;
  run.binary = bin / "postgres";
  run.args = {"-D", (dir / "data").string(),      "-p", std::to_string(pg.port), "-k", dir.string(),
              "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"};
  run.log = dir / "server.log";
  run.cwd = dir;
  run.run_as = user;
  run.stop_signal = SIGINT;  // fast shutdown: disconnect clients, checkpoint, exit
  run.stop_grace = std::chrono::milliseconds(30000);
  std::uintmax_t offset = file_size_or_zero(run.log);
  pg.server = Child("postgres", run);
  try {
    wait_for_log_line(pg.server, offset, "ready to accept connections",
                      std::chrono::seconds(kReadyTimeoutSeconds));
  } catch (const CliError& e) {
    if (pg.server.exit_code() == 126) throw CliError(e.what(), cwd_hint);
    throw;
  }
  pg.admin_url = "postgres://postgres:" + password + "@127.0.0.1:" + std::to_string(pg.port) + "/postgres";
  return pg;
}

bool ensure_database(const std::string& admin_url, const std::string& name) {
  try {
    auto conn = pg::Connection::connect(admin_url, 10);
    auto r = conn.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", {name});
    if (r.rows() > 0) return false;
    conn.exec("CREATE DATABASE " + sql::quote_ident(name));
    return true;
  } catch (const pg::PgError& e) {
    throw CliError(std::string("cannot create database '") + name + "': " + e.what());
  }
}

std::string database_url(const std::string& admin_url, const std::string& name) {
  auto slash = admin_url.rfind('/');
  return admin_url.substr(0, slash + 1) + name;
}

std::string masked_url(const std::string& url) {
  auto scheme = url.find("://");
  auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace stk::cli::dev
