// release current|list|show (spec hub-cli-schema §6). promote/rollback belong in their own file when added.
#include "cli.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "stk/http/client.hpp"

namespace stk::cli {

namespace {

void print_fields(Session& s, const J& r, const std::vector<const char*>& keys) {
  for (const char* key : keys) s.out() << key << ": " << cell(r, key) << "\n";
}

int current(Session& s) {
  J r = s.hub().get("/api/releases/current", {{"project", s.project()}, {"env", s.env_name()}});
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  print_fields(
      s, r,
      {"releaseId", "project", "env", "ref", "digest", "originEnv", "createdAt", "createdBy", "activatedAt"});
  return 0;
}

int list(Session& s, int limit) {
  Query q = {{"project", s.project()}, {"env", s.env_name()}};
  if (limit > 0) q.emplace_back("limit", std::to_string(limit));
  J r = s.hub().get("/api/releases", q);
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  if (r.is_array()) {
    for (const auto& item : r) {
      std::string id = cell(item, "releaseId");
      if (id == "-") id = cell(item, "id");
      bool is_current = item.is_object() && item.value("current", false);
      rows.push_back({id, cell(item, "ref"), cell(item, "createdAt"), cell(item, "activatedAt"),
                      cell(item, "via"), is_current ? "yes" : "no"});
    }
  }
  s.out() << render_table({"RELEASE", "REF", "CREATED", "ACTIVATED", "VIA", "CURRENT"}, rows);
  return 0;
}

int show(Session& s, const std::string& id) {
  J r = s.hub().get("/api/releases/" + http::url_encode(id), {{"project", s.project()}});
  if (s.json()) {
    s.print_json(r);
    return 0;
  }
  print_fields(s, r, {"releaseId", "project", "ref", "digest", "originEnv", "createdAt", "createdBy"});
  s.out() << "currentIn: " << cell(r, "currentIn") << "\n";
  PayloadSummary sum = summarize_payload(r.is_object() ? r.value("payload", J::object()) : J::object());
  std::string names;
  for (const auto& t : sum.tables) names += (names.empty() ? "" : ", ") + t;
  s.out() << "tables: " << sum.tables.size() << (names.empty() ? "" : " (" + names + ")") << "\n";
  s.out() << "rules: " << sum.rules << "\n";
  s.out() << "logics: " << sum.logics << "\n";
  return 0;
}

}  // namespace

void register_release(Cli& cli) {
  Session& s = cli.session();
  auto* group =
      cli.group(&cli.root(), "release", "Inspect releases and the env's current release",
                "stk release current\nstk release list --limit 5\nstk release show --release-id rel_abc");
  {
    auto* c = cli.command(group, "current", "Show the env's current release",
                          "stk release current --env prod", [&s] { return current(s); });
    cli.add_scope(c, true);
  }
  {
    auto& limit = cli.keep<int>(0);
    auto* c = cli.command(group, "list", "List releases that have been current in the env, newest first",
                          "stk release list --limit 10", [&s, &limit] { return list(s, limit); });
    c->add_option("--limit", limit, "How many (Hub default 20)")->check(CLI::PositiveNumber);
    cli.add_scope(c, true);
  }
  {
    auto& id = cli.keep<std::string>();
    auto* c =
        cli.command(group, "show", "Show a release: metadata, envs where current, schema summary",
                    "stk release show --release-id rel_abc --output json", [&s, &id] { return show(s, id); });
    c->add_option("--release-id", id, "Release id (rel_...)")->required();
    cli.add_scope(c, false);
  }
}

}  // namespace stk::cli
