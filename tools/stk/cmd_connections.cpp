// connections set|test|show|list (spec hub-cli-schema §7). The database URL is sent once and never printed.
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace stk::cli {

namespace {

struct ConnectionOptions {
  std::string name;
  std::string engine = "postgres";
  std::string db_url;
};

// --name > context `connection` > "main"
std::string connection_name(Session& s, const std::string& flag) {
  if (!flag.empty()) return flag;
  const Context& c = s.context();
  if (c.connection && !c.connection->empty()) return *c.connection;
  return "main";
}

const std::vector<Column> kColumns = {{"NAME", "name"},
                                      {"ENGINE", "engine"},
                                      {"UPDATED", "updatedAt"},
                                      {"LAST_TESTED", "lastTestedAt"},
                                      {"LAST_TEST_OK", "lastTestOk"}};

int set(Session& s, const ConnectionOptions& o) {
  std::string name = connection_name(s, o.name);
  std::string url = o.db_url;
  if (url.empty()) url = s.env()("STK_DB_URL").value_or("");
  if (url.empty()) throw UsageError("pass --db-url or set STK_DB_URL (keeps the URL out of shell history)");
  std::string project = s.project();
  std::string env = s.env_name();
  J r = s.hub().post(
      "/api/connections/set",
      J{{"project", project}, {"env", env}, {"name", name}, {"engine", o.engine}, {"dbUrl", url}});
  if (s.json())
    s.print_json(r);
  else
    s.out() << "connection '" << name << "' saved (" << o.engine << ", " << project << "/" << env << ")\n";
  return 0;
}

int test(Session& s, const ConnectionOptions& o) {
  std::string name = connection_name(s, o.name);
  J r = s.hub().post("/api/connections/test",
                     J{{"project", s.project()}, {"env", s.env_name()}, {"name", name}});
  if (s.json()) {
    s.print_json(r);
  } else if (r.is_object() && r.value("ok", false)) {
    s.out() << "connection '" << name << "' ok (" << cell(r, "latencyMs") << " ms)\n";
  }
  if (!r.is_object() || !r.value("ok", false)) throw CliError("connection '" + name + "' test failed");
  return 0;
}

int show(Session& s, const ConnectionOptions& o) {
  std::string name = connection_name(s, o.name);
  J r =
      s.hub().get("/api/connections/show", {{"project", s.project()}, {"env", s.env_name()}, {"name", name}});
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  J items = r.is_array() ? r : J::array({r});
  s.out() << render_list(items, kColumns);
  return 0;
}

int list_connections(Session& s) {
  J r = s.hub().get("/api/connections", {{"project", s.project()}, {"env", s.env_name()}});
  if (s.json())
    s.print_json(r);
  else
    s.out() << render_list(r, kColumns);
  return 0;
}

}  // namespace

void register_connections(Cli& cli) {
  Session& s = cli.session();
  auto* group = cli.group(&cli.root(), "connections", "Manage the env's database connections (project admin)",
                          "STK_DB_URL=postgres://app:secret@db:5432/shop stk connections set --name main\n"
                          "stk connections test");
  {
    auto& o = cli.keep<ConnectionOptions>();
    auto* c =
        cli.command(group, "set", "Create or replace a connection (the URL is stored encrypted, never shown)",
                    "stk connections set --name main --engine postgres --db-url \"$DATABASE_URL\"",
                    [&s, &o] { return set(s, o); });
    c->add_option("--name", o.name, "Connection name (default: context connection, else main)");
    c->add_option("--engine", o.engine, "Database engine (postgres)");
    c->add_option("--db-url", o.db_url, "postgres:// URL (default: $STK_DB_URL)");
    cli.add_scope(c, true);
  }
  {
    auto& o = cli.keep<ConnectionOptions>();
    auto* c = cli.command(group, "test", "Connect with the stored credentials and run a trivial query",
                          "stk connections test --name main", [&s, &o] { return test(s, o); });
    c->add_option("--name", o.name, "Connection name (default: context connection, else main)");
    cli.add_scope(c, true);
  }
  {
    auto& o = cli.keep<ConnectionOptions>();
    auto* c = cli.command(group, "show", "Show one connection's metadata (never the URL)",
                          "stk connections show --name main", [&s, &o] { return show(s, o); });
    c->add_option("--name", o.name, "Connection name (default: context connection, else main)");
    cli.add_scope(c, true);
  }
  {
    auto* c = cli.command(group, "list", "List the env's connections (never the URLs)",
                          "stk connections list", [&s] { return list_connections(s); });
    cli.add_scope(c, true);
  }
}

}  // namespace stk::cli
