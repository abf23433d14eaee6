#pragma once
// The private PostgreSQL of `stk dev` (when no --db-url is given), the same setup as scripts/test-pg: its own
// data directory (<state>/pg/data, created by initdb at the first run and kept), a free port on 127.0.0.1, a
// random superuser password (<state>/pg/password), run as the user `postgres` when we are root (PostgreSQL
// refuses to run as root).
#include <string>

#include "context.hpp"
#include "dev_process.hpp"

namespace stk::cli::dev {

struct LocalPostgres {
  Child server;
  std::string admin_url;  // postgres://postgres:<password>@127.0.0.1:<port>/postgres
  int port = 0;
};

// Where the server binaries are: $PGBIN, else /usr/lib/postgresql/15/bin.
fs::path postgres_bin_dir();

// Runs initdb when `dir`/data does not exist yet, then starts the server and waits until it accepts
// connections. Throws CliError (with the server log's tail) on failure, Interrupted on Ctrl-C.
LocalPostgres start_local_postgres(const fs::path& dir);

// Creates database `name` unless it exists (through the admin URL); true when it created it.
bool ensure_database(const std::string& admin_url, const std::string& name);

// The admin URL with its database replaced by `name`.
std::string database_url(const std::string& admin_url, const std::string& name);

// The URL with its password replaced by "***", for printing.
std::string masked_url(const std::string& url);

}  // namespace stk::cli::dev
