// stk + santokit-hub + PostgreSQL, end to end: promoting a release between envs through the promotion gate
// (DESIGN Decision 5) and rolling an env back (spec hub-cli-schema §6).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"
#include "project_fixture.hpp"
#include "stk/http/client.hpp"

using namespace stk::e2e;
using nlohmann::json;

namespace {

// One project, three envs, each env with its own database (as in production: connections stay with the env).
struct Envs {
  Hub hub;
  std::string project_dir = make_temp_dir("stk-promote");
  Cli cli{hub.url(), project_dir};
  std::map<std::string, std::string> db;

  explicit Envs(std::vector<std::string> envs = {"dev", "stg", "prod"}) {
    write_file(project_dir + "/schema/shop.yaml", kShopSchema);
    write_file(project_dir + "/config/permissions.yaml", kShopPermissions);
    cli.login(Hub::kOwnerEmail, Hub::kOwnerPassword);
    ok({"project", "create", "shop"});
    ok({"context", "set", "--project", "shop", "--env", "dev"});
    for (const auto& e : envs) {
      ok({"env", "create", e});
      db[e] = create_database("stk_promote_" + e);
      ok({"connections", "set", "--env", e, "--name", "main", "--engine", "postgres", "--db-url", db[e]});
    }
  }

  ProcResult ok(const std::vector<std::string>& args) {
    auto r = cli(args);
    std::string command = "stk";
    for (const auto& a : args) command += " " + a;
    EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.all();
    return r;
  }

  // `stk apply --env <env> --ref <ref> --json` -> the new current releaseId of env.
  std::string apply(const std::string& env, const std::string& ref) {
    auto r = ok({"apply", "--env", env, "--ref", ref, "--json"});
    auto j = json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j["releaseId"].is_string()) {
      ADD_FAILURE() << r.all();
      return "";
    }
    return j["releaseId"].get<std::string>();
  }

  json json_of(const std::vector<std::string>& args, int* exit_code = nullptr) {
    auto r = cli(args);
    if (exit_code) *exit_code = r.exit_code;
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.all();
    return j;
  }

  // The env's current releaseId, or "" when it has none.
  std::string current(const std::string& env) {
    auto r = cli({"release", "current", "--env", env, "--output", "json"});
    if (r.exit_code != 0) return "";
    return json::parse(r.out)["releaseId"].get<std::string>();
  }

  std::vector<std::string> tables(const std::string& env) {
    return psql(db[env],
                "SELECT table_name FROM information_schema.tables WHERE table_schema='public' ORDER BY 1");
  }

  // Adds a table to the project's schema (a safe change => a new release on the next apply).
  void add_table(const std::string& name) {
    std::string schema = read_file(project_dir + "/schema/shop.yaml");
    schema += "  " + name + ":\n    columns:\n      text: { type: string, nullable: true }\n";
    write_file(project_dir + "/schema/shop.yaml", schema);
  }

  // Logs a second operator in with `role` on the project; returns its CLI.
  Cli member(const std::string& email, const std::string& role) {
    auto invite = cli({"org", "invite", email, "--role", "member", "--output", "json"});
    EXPECT_EQ(invite.exit_code, 0) << invite.all();
    std::string code = json::parse(invite.out)["inviteCode"];
    Cli other(hub.url(), project_dir);
    auto login =
        other({"login", "--email", email, "--password-stdin", "--invite-code", code}, "member-password-1\n");
    EXPECT_EQ(login.exit_code, 0) << login.all();
    ok({"project", "members", "set-role", email, "--role", role});
    return other;
  }
};

int count_plan_ops(const json& plan) {
  int n = 0;
  for (auto& [conn, p] : plan.items()) n += int(p["operations"].size());
  return n;
}

}  // namespace

TEST(Promote, MovesTheTargetPointerWhenItsSchemaIsApplied) {
  Envs s;
  std::string r1 = s.apply("dev", "v1");
  ASSERT_FALSE(r1.empty());
  // Preparation per spec: apply the release's files to prod with --only schema (no release, no pointer).
  auto schema_only = s.cli({"apply", "--env", "prod", "--only", "schema", "--ref", "v1"});
  ASSERT_EQ(schema_only.exit_code, 0) << schema_only.all();
  EXPECT_EQ(s.current("prod"), "");

  auto r = s.cli({"release", "promote", "--from", "dev", "--to", "prod"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_TRUE(contains(r.out, "promoted " + r1 + " (ref v1) from dev to prod")) << r.out;
  EXPECT_TRUE(contains(r.out, "previous: none")) << r.out;
  EXPECT_TRUE(contains(r.out, "schema: unchanged")) << r.out;

  // `release current` shows it, with the release's own metadata (origin env dev).
  auto cur = s.json_of({"release", "current", "--env", "prod", "--output", "json"});
  EXPECT_EQ(cur["releaseId"], r1);
  EXPECT_EQ(cur["env"], "prod");
  EXPECT_EQ(cur["originEnv"], "dev");
  EXPECT_EQ(cur["ref"], "v1");
  auto list = s.json_of({"release", "list", "--env", "prod", "--output", "json"});
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["via"], "promote");
  EXPECT_EQ(list[0]["current"], true);
  auto show = s.json_of({"release", "show", "--release-id", r1, "--output", "json"});
  EXPECT_EQ(show["currentIn"], json::array({"dev", "prod"}));

  // Promoting again is a no-op that still succeeds; --output json gives the Hub's answer.
  auto again = s.json_of({"release", "promote", "--from", "dev", "--to", "prod", "--output", "json"});
  EXPECT_EQ(again["releaseId"], r1);
  EXPECT_EQ(again["moved"], false);
  EXPECT_EQ(again["schema"], "unchanged");

  // By id, into a third env (stg needs its schema too: --apply-schema does both).
  auto by_id = s.json_of(
      {"release", "promote", "--to", "stg", "--release-id", r1, "--apply-schema", "--output", "json"});
  EXPECT_EQ(by_id["releaseId"], r1);
  EXPECT_EQ(by_id["fromEnv"], nullptr);
  EXPECT_EQ(s.current("stg"), r1);

  // Audited, with the envs and ids.
  auto audit = s.json_of({"audit", "list", "--action", "release.promote", "--output", "json"})["items"];
  ASSERT_GE(audit.size(), 3u) << audit.dump();
  bool found = false;
  for (auto& item : audit) {
    auto d = item["detail"];
    if (d["fromEnv"] == "dev" && d["toEnv"] == "prod" && d["moved"] == true) {
      found = true;
      EXPECT_EQ(item["env"], "prod");
      EXPECT_EQ(d["releaseId"], r1);
      EXPECT_EQ(d["result"], "ok");
      EXPECT_TRUE(d.contains("requestId"));
    }
  }
  EXPECT_TRUE(found) << audit.dump(2);
}

TEST(Promote, TargetDatabaseWithoutTheSchemaIsRefusedUntilApplySchema) {
  Envs s;
  std::string r1 = s.apply("dev", "v1");
  ASSERT_FALSE(r1.empty());

  auto refused = s.cli({"release", "promote", "--from", "dev", "--to", "prod"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.err, "409 CONFLICT")) << refused.all();
  EXPECT_TRUE(contains(refused.err, "stk apply --env prod --only schema")) << refused.all();
  EXPECT_TRUE(contains(refused.err, "--apply-schema")) << refused.all();
  EXPECT_TRUE(contains(refused.err, "[safe] create_table posts")) << refused.all();
  EXPECT_EQ(s.current("prod"), "");
  EXPECT_TRUE(s.tables("prod").empty());

  int code = 0;
  auto j = s.json_of({"release", "promote", "--from", "dev", "--to", "prod", "--output", "json"}, &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(j["error"]["code"], "CONFLICT") << j.dump();
  EXPECT_TRUE(contains(j["error"]["message"], "stk apply --env prod --only schema")) << j.dump();
  EXPECT_GE(count_plan_ops(j["error"]["details"]["plan"]), 10) << j.dump();

  // --apply-schema migrates prod, then promotes.
  auto r = s.cli({"release", "promote", "--from", "dev", "--to", "prod", "--apply-schema"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_TRUE(contains(r.out, "promoted " + r1)) << r.out;
  EXPECT_TRUE(contains(r.out, "[safe] create_table posts")) << r.out;
  EXPECT_TRUE(contains(r.out, "schema: applied (")) << r.out;
  EXPECT_EQ(s.current("prod"), r1);
  EXPECT_EQ(s.tables("prod"), s.tables("dev"));
  // The Hub recorded prod's new expected state: an apply of the same files plans nothing and reuses r1.
  auto reapply = s.json_of({"apply", "--env", "prod", "--ref", "v1", "--json", "--dry-run"});
  EXPECT_EQ(count_plan_ops(reapply["plan"]), 0) << reapply.dump(2);
  auto schema_audit =
      s.json_of({"audit", "list", "--env", "prod", "--action", "schema.apply", "--output", "json"});
  ASSERT_EQ(schema_audit["items"].size(), 1u) << schema_audit.dump();
  EXPECT_EQ(schema_audit["items"][0]["detail"]["via"], "promote");
  EXPECT_EQ(schema_audit["items"][0]["detail"]["releaseId"], r1);

  // A refusal is audited too.
  auto failures = s.json_of({"audit", "list", "--action", "release.promote", "--output", "json"})["items"];
  bool failed_entry = false;
  for (auto& item : failures)
    if (item["detail"]["result"] == "failed" && item["detail"]["code"] == "CONFLICT") failed_entry = true;
  EXPECT_TRUE(failed_entry) << failures.dump(2);
}

TEST(Promote, DriftDestructiveAndMissingConnectionAreRefused) {
  Envs s;
  std::string r1 = s.apply("dev", "v1");
  ASSERT_EQ(s.cli({"release", "promote", "--from", "dev", "--to", "prod", "--apply-schema"}).exit_code, 0);

  // A hand-made change in prod is drift: refused even with --apply-schema, and the pointer stays.
  s.add_table("notes");
  std::string r2 = s.apply("dev", "v2");
  psql(s.db["prod"], "ALTER TABLE posts ADD COLUMN sneaky text");
  auto drift = s.cli({"release", "promote", "--from", "dev", "--to", "prod", "--apply-schema"});
  EXPECT_EQ(drift.exit_code, 1);
  EXPECT_TRUE(contains(drift.err, "drift")) << drift.all();
  EXPECT_TRUE(contains(drift.err, "stk apply --env prod --only schema")) << drift.all();
  EXPECT_EQ(s.current("prod"), r1);
  psql(s.db["prod"], "ALTER TABLE posts DROP COLUMN sneaky");
  ASSERT_EQ(s.cli({"release", "promote", "--from", "dev", "--to", "prod", "--apply-schema"}).exit_code, 0);
  EXPECT_EQ(s.current("prod"), r2);

  // Going back to r1's schema would drop table notes: destructive => --force (project admin).
  auto destructive = s.cli({"release", "promote", "--to", "prod", "--release-id", r1, "--apply-schema"});
  EXPECT_EQ(destructive.exit_code, 1);
  EXPECT_TRUE(contains(destructive.err, "[destructive] drop_table notes")) << destructive.all();
  EXPECT_TRUE(contains(destructive.err, "--force")) << destructive.all();
  EXPECT_EQ(s.current("prod"), r2);
  auto forced =
      s.cli({"release", "promote", "--to", "prod", "--release-id", r1, "--apply-schema", "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.all();
  EXPECT_EQ(s.current("prod"), r1);
  auto prod_tables = s.tables("prod");
  EXPECT_EQ(std::find(prod_tables.begin(), prod_tables.end(), "notes"), prod_tables.end());

  // An env without the release's connection.
  ASSERT_EQ(s.cli({"env", "create", "qa"}).exit_code, 0);
  auto no_conn = s.cli({"release", "promote", "--from", "dev", "--to", "qa", "--apply-schema"});
  EXPECT_EQ(no_conn.exit_code, 1);
  EXPECT_TRUE(contains(no_conn.err, "409")) << no_conn.all();
  EXPECT_TRUE(contains(no_conn.err, "stk connections set --env qa --name main")) << no_conn.all();
}

TEST(Promote, UnknownReleaseEnvOrEmptySourceIs404AndUsageErrors) {
  Envs s({"dev", "prod"});
  // dev has no current release yet.
  auto empty = s.cli({"release", "promote", "--from", "dev", "--to", "prod"});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_TRUE(contains(empty.err, "404")) << empty.all();
  EXPECT_TRUE(contains(empty.err, "no current release")) << empty.all();

  s.apply("dev", "v1");
  auto unknown = s.cli({"release", "promote", "--to", "prod", "--release-id", "rel_doesnotexist"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(contains(unknown.err, "404 NOT_FOUND")) << unknown.all();
  EXPECT_TRUE(contains(unknown.err, "rel_doesnotexist")) << unknown.all();
  auto no_env = s.cli({"release", "promote", "--from", "dev", "--to", "nowhere"});
  EXPECT_EQ(no_env.exit_code, 1);
  EXPECT_TRUE(contains(no_env.err, "404")) << no_env.all();
  auto unknown_rollback =
      s.cli({"release", "rollback", "--env", "dev", "--to-release-id", "rel_doesnotexist"});
  EXPECT_EQ(unknown_rollback.exit_code, 1);
  EXPECT_TRUE(contains(unknown_rollback.err, "404")) << unknown_rollback.all();

  // Usage errors exit 2 before anything is sent.
  auto nothing = s.cli({"release", "promote", "--to", "prod"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_TRUE(contains(nothing.err, "--from")) << nothing.all();
  EXPECT_EQ(s.cli({"release", "promote", "--from", "dev"}).exit_code, 2);  // --to is required
  auto help = s.cli({"release", "promote", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(contains(help.out, "--apply-schema")) << help.out;
  EXPECT_TRUE(contains(help.out, "stk apply --env <to> --only schema")) << help.out;
}

TEST(Rollback, ToThePreviousReleaseAndToAnExplicitId) {
  Envs s({"dev", "prod"});
  std::string r1 = s.apply("dev", "v1");
  s.add_table("notes");
  std::string r2 = s.apply("dev", "v2");
  s.add_table("flags");
  std::string r3 = s.apply("dev", "v3");
  ASSERT_EQ(s.current("dev"), r3);

  // Without --to-release-id: the release current before this one. DDL is not undone, so r2's schema lacks
  // table flags and the rollback warns.
  auto back = s.cli({"release", "rollback", "--env", "dev"});
  ASSERT_EQ(back.exit_code, 0) << back.all();
  EXPECT_TRUE(contains(back.out, "rolled back dev to " + r2 + " (ref v2)")) << back.out;
  EXPECT_TRUE(contains(back.out, "previous: " + r3)) << back.out;
  EXPECT_TRUE(contains(back.out, "warning: connection 'main': the database does not match release " + r2))
      << back.out;
  EXPECT_EQ(s.current("dev"), r2);
  auto tables = s.tables("dev");
  EXPECT_NE(std::find(tables.begin(), tables.end(), "flags"), tables.end());  // never undone

  // Twice returns to where it started (like `kubectl rollout undo`).
  auto toggle = s.json_of({"release", "rollback", "--env", "dev", "--output", "json"});
  EXPECT_EQ(toggle["releaseId"], r3);
  EXPECT_EQ(toggle["previousReleaseId"], r2);
  EXPECT_EQ(toggle["warnings"], json::array()) << toggle.dump();

  // To an explicit id the env has run.
  auto explicit_id = s.json_of({"release", "rollback", "--env", "dev", "--to", r1, "--output", "json"});
  EXPECT_EQ(explicit_id["releaseId"], r1);
  EXPECT_EQ(s.current("dev"), r1);
  auto list = s.json_of({"release", "list", "--env", "dev", "--output", "json"});
  ASSERT_GE(list.size(), 2u);
  EXPECT_EQ(list[0]["releaseId"], r1);
  EXPECT_EQ(list[0]["via"], "rollback");
  EXPECT_EQ(list[0]["current"], true);

  // A release the env never ran: 409, pointing at promote.
  {
    ASSERT_EQ(s.cli({"release", "promote", "--to", "prod", "--release-id", r3, "--apply-schema"}).exit_code,
              0);
    auto never = s.cli({"release", "rollback", "--env", "prod", "--to-release-id", r1});
    EXPECT_EQ(never.exit_code, 1);
    EXPECT_TRUE(contains(never.err, "409")) << never.all();
    EXPECT_TRUE(contains(never.err, "stk release promote --to prod --release-id " + r1)) << never.all();
    // prod has run only r3: nothing to roll back to.
    auto nothing = s.cli({"release", "rollback", "--env", "prod"});
    EXPECT_EQ(nothing.exit_code, 1);
    EXPECT_TRUE(contains(nothing.err, "nothing to roll back to")) << nothing.all();
    EXPECT_EQ(s.current("prod"), r3);
  }

  auto audit =
      s.json_of({"audit", "list", "--env", "dev", "--action", "release.rollback", "--output", "json"});
  ASSERT_EQ(audit["items"].size(), 3u) << audit.dump();
  for (auto& item : audit["items"]) {
    EXPECT_EQ(item["detail"]["result"], "ok");
    EXPECT_TRUE(item["detail"]["toReleaseId"].is_string());
    EXPECT_TRUE(item["detail"]["previousReleaseId"].is_string());
  }
}

TEST(Rollback, BridgesLongPollingTheEnvSeeItWithinOneSecond) {
  Envs s({"dev", "prod"});
  std::string r1 = s.apply("dev", "v1");
  s.add_table("notes");
  std::string r2 = s.apply("dev", "v2");
  std::string etag = "\"" + r2 + "\"";
  stk::http::ClientResponse resp;
  std::chrono::steady_clock::time_point answered;
  std::thread poller([&] {
    stk::http::Client client(s.hub.url());
    resp = client.request("GET", "/internal/releases/shop/dev?wait=20",
                          {{"Authorization", "Bearer bridge-token-for-tests"}, {"If-None-Match", etag}}, "",
                          30000);
    answered = std::chrono::steady_clock::now();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = s.cli({"release", "rollback", "--env", "dev"});
  auto returned = std::chrono::steady_clock::now();
  poller.join();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ASSERT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(json::parse(resp.body)["releaseId"], r1);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(answered - returned).count(), 1000);

  // The same for a promotion, on the whole-state feed a Bridge uses for every env at once.
  stk::http::Client client(s.hub.url());
  auto state =
      client.request("GET", "/internal/bridge/state", {{"Authorization", "Bearer bridge-token-for-tests"}});
  ASSERT_EQ(state.status, 200) << state.body;
  std::string state_etag(state.header("etag"));
  std::thread state_poller([&] {
    stk::http::Client c(s.hub.url());
    resp = c.request("GET", "/internal/bridge/state?wait=20",
                     {{"Authorization", "Bearer bridge-token-for-tests"}, {"If-None-Match", state_etag}}, "",
                     30000);
    answered = std::chrono::steady_clock::now();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto p = s.cli({"release", "promote", "--from", "dev", "--to", "prod", "--apply-schema"});
  returned = std::chrono::steady_clock::now();
  state_poller.join();
  ASSERT_EQ(p.exit_code, 0) << p.all();
  ASSERT_EQ(resp.status, 200) << resp.body;
  auto state_now = json::parse(resp.body);
  std::string prod_release;
  for (auto& e : state_now["envs"])
    if (e["env"] == "prod") prod_release = e["releaseId"];
  EXPECT_EQ(prod_release, r1);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(answered - returned).count(), 1000);
}

TEST(Promote, NeedsDeployerOnTheProject) {
  Envs s({"dev", "prod"});
  std::string r1 = s.apply("dev", "v1");
  s.add_table("notes");
  std::string r2 = s.apply("dev", "v2");

  Cli viewer = s.member("viewer@example.com", "viewer");
  auto denied = viewer({"release", "promote", "--from", "dev", "--to", "prod", "--apply-schema"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_TRUE(contains(denied.err, "403")) << denied.all();
  EXPECT_TRUE(contains(denied.err, "project:deployer")) << denied.all();
  auto denied_rollback = viewer({"release", "rollback", "--env", "dev"});
  EXPECT_EQ(denied_rollback.exit_code, 1);
  EXPECT_TRUE(contains(denied_rollback.err, "403")) << denied_rollback.all();
  EXPECT_EQ(s.current("prod"), "");
  EXPECT_EQ(s.current("dev"), r2);
  EXPECT_EQ(viewer({"release", "current", "--env", "dev"}).exit_code, 0);  // reads stay allowed

  // A deployer may promote and roll back (safe schema changes included), but not force destructive ones.
  Cli deployer = s.member("deployer@example.com", "deployer");
  auto promoted = deployer({"release", "promote", "--from", "dev", "--to", "prod", "--apply-schema"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.all();
  EXPECT_EQ(s.current("prod"), r2);
  auto rolled = deployer({"release", "rollback", "--env", "dev"});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.all();
  EXPECT_EQ(s.current("dev"), r1);
  auto forced =
      deployer({"release", "promote", "--to", "prod", "--release-id", r1, "--apply-schema", "--force"});
  EXPECT_EQ(forced.exit_code, 1);
  EXPECT_TRUE(contains(forced.err, "403")) << forced.all();
  EXPECT_TRUE(contains(forced.err, "project:admin")) << forced.all();
  EXPECT_EQ(s.current("prod"), r2);
}
