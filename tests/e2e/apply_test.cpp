// stk + santokit-hub + PostgreSQL, end to end: the operator's path from a project folder to a release.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"
#include "project_fixture.hpp"
#include "stk/http/client.hpp"

using namespace stk::e2e;
using nlohmann::json;

namespace {

struct Stack {
  Hub hub;
  std::string project_dir = make_temp_dir("stk-project");
  Cli cli{hub.url(), project_dir};
  std::string db_url = create_database("stk_e2e");

  Stack() {
    write_file(project_dir + "/schema/shop.yaml", kShopSchema);
    write_file(project_dir + "/config/permissions.yaml", kShopPermissions);
    cli.login(Hub::kOwnerEmail, Hub::kOwnerPassword);
    expect_ok(cli({"project", "create", "shop"}));
    expect_ok(cli({"context", "set", "--project", "shop", "--env", "dev"}));
    expect_ok(cli({"env", "create", "dev"}));
    expect_ok(cli({"connections", "set", "--name", "main", "--engine", "postgres", "--db-url", db_url}));
  }

  static void expect_ok(const ProcResult& r) { ASSERT_EQ(r.exit_code, 0) << r.all(); }

  json apply_json(std::vector<std::string> extra = {}, int* exit_code = nullptr) {
    std::vector<std::string> args = {"apply", "--json"};
    if (std::find(extra.begin(), extra.end(), "--ref") == extra.end())
      args.insert(args.end(), {"--ref", "r1"});
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = cli(args);
    if (exit_code) *exit_code = r.exit_code;
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.all();
    return j;
  }

  std::vector<std::string> columns_of(const std::string& table) {
    return psql(db_url,
                "SELECT column_name FROM information_schema.columns WHERE table_schema='public' AND "
                "table_name='" +
                    table + "' ORDER BY ordinal_position");
  }
};

int count_ops(const json& response) {
  int n = 0;
  for (auto& [conn, plan] : response["plan"].items()) n += int(plan["operations"].size());
  return n;
}

}  // namespace

TEST(Apply, TenTableProjectCreatesTablesAndRelease) {
  Stack s;
  auto r = s.cli({"apply", "--ref", "v1"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("releaseId: rel_"), std::string::npos) << r.out;

  auto tables = psql(
      s.db_url, "SELECT table_name FROM information_schema.tables WHERE table_schema='public' ORDER BY 1");
  EXPECT_EQ(tables, (std::vector<std::string>{"attachments", "categories", "comments", "invoices", "orgs",
                                              "post_tags", "posts", "tags", "teams", "users"}));
  // Foreign keys with their actions, and the declared indexes, exist in the database.
  auto fks = psql(
      s.db_url,
      "SELECT conrelid::regclass::text || '->' || confrelid::regclass::text || ':' || confdeltype::text FROM "
      "pg_constraint WHERE contype='f' ORDER BY 1");
  EXPECT_EQ(fks.size(), 10u);
  EXPECT_NE(std::find(fks.begin(), fks.end(), "teams->orgs:c"), fks.end());
  EXPECT_NE(std::find(fks.begin(), fks.end(), "users->teams:n"), fks.end());
  auto idx = psql(s.db_url, "SELECT indexname FROM pg_indexes WHERE tablename='posts' ORDER BY 1");
  EXPECT_NE(std::find(idx.begin(), idx.end(), "ix_posts_author_id_published_at"), idx.end());
  // auto_increment is an identity column; defaults landed.
  auto ident = psql(s.db_url,
                    "SELECT is_identity FROM information_schema.columns WHERE table_name='categories' "
                    "AND column_name='id'");
  EXPECT_EQ(ident, std::vector<std::string>{"YES"});

  auto cur = s.cli({"release", "current", "--output", "json"});
  ASSERT_EQ(cur.exit_code, 0) << cur.all();
  auto j = json::parse(cur.out);
  EXPECT_EQ(j["releaseId"].get<std::string>().substr(0, 4), "rel_");
  EXPECT_EQ(j["ref"], "v1");
  EXPECT_EQ(j["payload"]["schema"]["irByConnection"]["main"]["tables"].size(), 10u);
  EXPECT_TRUE(j["payload"]["permissions"]["tables"]["posts"]["select"][1].contains("conditionAst"));
}

TEST(Apply, ReapplySameFolderReusesReleaseWithoutDdl) {
  Stack s;
  auto first = s.apply_json();
  ASSERT_TRUE(first.contains("releaseId")) << first.dump();
  EXPECT_EQ(first["reused"], false);
  EXPECT_GT(count_ops(first), 10);
  auto second = s.apply_json();
  EXPECT_EQ(second["releaseId"], first["releaseId"]);
  EXPECT_EQ(second["reused"], true);
  EXPECT_EQ(second["steps"]["release"], "reused");
  EXPECT_EQ(count_ops(second), 0) << second.dump();
  // The same content under a new ref is a new release.
  auto third = s.apply_json({"--ref", "r2"});
  EXPECT_NE(third["releaseId"], first["releaseId"]);
}

TEST(Apply, AddColumnMakesNewRelease) {
  Stack s;
  auto first = s.apply_json();
  std::string schema = kShopSchema;
  schema += R"(  notes:
    columns:
      text: { type: string }
)";
  auto pos = schema.find("      label: { type: string }\n");
  schema.insert(pos + std::string("      label: { type: string }\n").size(),
                "      color: { type: string, nullable: true }\n");
  write_file(s.project_dir + "/schema/shop.yaml", schema);
  auto second = s.apply_json();
  EXPECT_NE(second["releaseId"], first["releaseId"]);
  EXPECT_EQ(second["reused"], false);
  auto ops = second["plan"]["main"]["operations"];
  ASSERT_EQ(ops.size(), 2u) << second.dump(2);
  EXPECT_EQ(s.columns_of("tags"), (std::vector<std::string>{"id", "label", "color"}));
  EXPECT_EQ(s.columns_of("notes"), (std::vector<std::string>{"id", "text"}));
}

TEST(Apply, DropColumnNeedsForce) {
  Stack s;
  s.apply_json();
  psql(s.db_url, "INSERT INTO tags(id, label) VALUES ('t1', 'kept')");
  std::string schema = kShopSchema;
  auto line = std::string("      label: { type: string }\n");
  schema.replace(schema.find(line), line.size(), "      other: { type: string, nullable: true }\n");
  write_file(s.project_dir + "/schema/shop.yaml", schema);

  auto refused = s.cli({"apply", "--ref", "r2"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("destructive"), std::string::npos) << refused.all();
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.all();
  EXPECT_EQ(s.columns_of("tags"), (std::vector<std::string>{"id", "label"}));  // nothing applied

  auto forced = s.cli({"apply", "--ref", "r2", "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.all();
  EXPECT_EQ(s.columns_of("tags"), (std::vector<std::string>{"id", "other"}));
  EXPECT_EQ(psql(s.db_url, "SELECT id FROM tags"), std::vector<std::string>{"t1"});
}

TEST(Apply, HandMadeChangeIsDriftAndBlocksRelease) {
  Stack s;
  auto first = s.apply_json();
  psql(s.db_url, "ALTER TABLE posts ADD COLUMN sneaky text");
  int code = 0;
  auto refused = s.apply_json({"--ref", "r2"}, &code);
  EXPECT_NE(code, 0);
  EXPECT_EQ(refused["error"]["code"], "CONFLICT") << refused.dump();
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("drift"), std::string::npos);
  auto drift = refused["error"]["details"]["plan"]["main"]["drift"];
  ASSERT_FALSE(drift.empty()) << refused.dump(2);
  EXPECT_NE(drift.dump().find("sneaky"), std::string::npos);
  // The pointer did not move.
  auto cur = json::parse(s.cli({"release", "current", "--output", "json"}).out);
  EXPECT_EQ(cur["releaseId"], first["releaseId"]);
  // Text output explains how to reconcile.
  auto text = s.cli({"apply", "--ref", "r2"});
  EXPECT_NE(text.all().find("stk apply --only schema"), std::string::npos) << text.all();
  // Reconcile: --only schema drops the hand-made column (destructive => --force); then a release passes.
  auto fix = s.cli({"apply", "--ref", "r2", "--only", "schema", "--force"});
  ASSERT_EQ(fix.exit_code, 0) << fix.all();
  auto posts_columns = s.columns_of("posts");
  EXPECT_EQ(std::find(posts_columns.begin(), posts_columns.end(), "sneaky"), posts_columns.end());
  auto ok = s.apply_json({"--ref", "r2"});
  EXPECT_TRUE(ok["releaseId"].is_string()) << ok.dump();
}

TEST(Apply, BrokenYamlAndCelGivePreciseErrorsAndApplyNothing) {
  Stack s;
  write_file(s.project_dir + "/schema/broken.yaml",
             "version: 1\ntables:\n  widgets:\n    columns:\n      size: { type: uuidish }\n");
  write_file(s.project_dir + "/config/permissions.yaml",
             "tables:\n  posts:\n    select:\n      - roles: [public]\n        condition: "
             "\"resource.title.startsWith('a')\"\n");
  auto r = s.cli({"apply", "--ref", "bad"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("schema/broken.yaml:5:"), std::string::npos) << r.all();
  EXPECT_NE(r.err.find("unknown schema type 'uuidish' for column 'size'"), std::string::npos) << r.all();
  EXPECT_NE(r.err.find("nothing was applied"), std::string::npos) << r.all();
  EXPECT_TRUE(psql(s.db_url, "SELECT 1 FROM information_schema.tables WHERE table_schema='public'").empty());

  // Fix the schema: now the CEL error alone is reported, with its position.
  std::remove((s.project_dir + "/schema/broken.yaml").c_str());
  auto r2 = s.cli({"apply", "--ref", "bad"});
  EXPECT_NE(r2.exit_code, 0);
  EXPECT_NE(r2.err.find("config/permissions.yaml:5:"), std::string::npos) << r2.all();
  EXPECT_NE(r2.err.find("unsupported"), std::string::npos) << r2.all();
  EXPECT_TRUE(psql(s.db_url, "SELECT 1 FROM information_schema.tables WHERE table_schema='public'").empty());
  auto cur = s.cli({"release", "current"});
  EXPECT_NE(cur.exit_code, 0);
  EXPECT_NE(cur.err.find("404"), std::string::npos) << cur.all();
}

TEST(Apply, DryRunPrintsSqlAndChangesNothing) {
  Stack s;
  auto r = s.cli({"apply", "--ref", "v1", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("CREATE TABLE \"posts\""), std::string::npos) << r.out;
  EXPECT_TRUE(psql(s.db_url, "SELECT 1 FROM information_schema.tables WHERE table_schema='public'").empty());
  EXPECT_NE(s.cli({"release", "current"}).exit_code, 0);
}

TEST(Apply, DbUrlNeverInResponsesOrLogs) {
  Stack s;
  std::string outputs;
  for (auto args : std::vector<std::vector<std::string>>{{"connections", "list", "--output", "json"},
                                                         {"connections", "test", "--name", "main"},
                                                         {"apply", "--ref", "v1", "--json"},
                                                         {"release", "current", "--output", "json"},
                                                         {"audit", "list", "--output", "json"}}) {
    auto r = s.cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.all();
    outputs += r.all();
  }
  // A bad URL's error must not echo it either.
  auto bad = s.cli({"connections", "set", "--name", "main", "--db-url",
                    "postgres://postgres:hunter2-secret@127.0.0.1:1/nope"});
  EXPECT_EQ(bad.exit_code, 0) << bad.all();
  auto failed = s.cli({"connections", "test", "--name", "main"});
  EXPECT_NE(failed.exit_code, 0);
  outputs += failed.all();
  std::string password = s.db_url.substr(s.db_url.find(':', 12) + 1);
  password = password.substr(0, password.find('@'));
  ASSERT_GT(password.size(), 8u);
  for (const std::string& secret : {s.db_url, password, std::string("hunter2-secret")}) {
    EXPECT_EQ(outputs.find(secret), std::string::npos) << "leaked in CLI output: " << secret;
    EXPECT_EQ(s.hub.log().find(secret), std::string::npos) << "leaked in hub log: " << secret;
    EXPECT_EQ(read_file(s.hub.dir() + "/hub.db").find(secret), std::string::npos)
        << "stored in clear: " << secret;
  }
}

TEST(ApiKeys, CreateListRevoke) {
  Stack s;
  auto created = s.cli({"apikey", "create", "--name", "web", "--roles", "admin,reader"});
  ASSERT_EQ(created.exit_code, 0) << created.all();
  EXPECT_NE(created.out.find("Key ID: key_"), std::string::npos) << created.out;
  auto at = created.out.find("API Key (store securely): ");
  ASSERT_NE(at, std::string::npos);
  std::string key = created.out.substr(at + 26, created.out.find('\n', at) - at - 26);
  EXPECT_EQ(key.rfind("key_", 0), 0u);
  auto list = json::parse(s.cli({"apikey", "list", "--output", "json"}).out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["status"], "active");
  EXPECT_EQ(list[0]["roles"], json::array({"admin", "reader"}));
  EXPECT_EQ(list.dump().find(key.substr(31)), std::string::npos) << "secret shown after creation";

  ASSERT_EQ(s.cli({"apikey", "revoke", "--key-id", "web"}).exit_code, 0);
  list = json::parse(s.cli({"apikey", "list", "--output", "json"}).out);
  EXPECT_EQ(list[0]["status"], "revoked");
  auto again = s.cli({"apikey", "revoke", "--key-id", list[0]["keyId"].get<std::string>()});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("already revoked"), std::string::npos) << again.all();
  // Bridges see the revocation in the key feed.
  stk::http::Client client(s.hub.url());
  auto feed = client.request("GET", "/internal/apikeys/shop/dev",
                             {{"Authorization", "Bearer bridge-token-for-tests"}});
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_EQ(json::parse(feed.body)["keys"][0]["status"], "revoked");
  // Pseudo-roles are refused.
  auto pseudo = s.cli({"apikey", "create", "--name", "x", "--roles", "public"});
  EXPECT_NE(pseudo.exit_code, 0);
  EXPECT_NE(pseudo.err.find("422"), std::string::npos) << pseudo.all();
}

TEST(Rbac, OperatorWithoutProjectRoleIsRefused) {
  Stack s;
  auto invite = s.cli({"org", "invite", "dev2@example.com", "--role", "member", "--output", "json"});
  ASSERT_EQ(invite.exit_code, 0) << invite.all();
  std::string code = json::parse(invite.out)["inviteCode"];
  Cli other(s.hub.url(), s.project_dir);
  auto login = other({"login", "--email", "dev2@example.com", "--password-stdin", "--invite-code", code},
                     "second-password\n");
  ASSERT_EQ(login.exit_code, 0) << login.all();
  auto denied = other({"apply", "--ref", "x"});
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.err.find("403"), std::string::npos) << denied.all();
  auto denied_keys = other({"apikey", "list"});
  EXPECT_NE(denied_keys.err.find("403"), std::string::npos) << denied_keys.all();
  // Granting viewer allows reads but not apply.
  ASSERT_EQ(s.cli({"project", "members", "set-role", "dev2@example.com", "--role", "viewer"}).exit_code, 0);
  EXPECT_EQ(other({"release", "list"}).exit_code, 0);
  EXPECT_NE(other({"apply", "--ref", "x"}).err.find("403"), std::string::npos);
}

TEST(Audit, RecordsEveryChange) {
  Stack s;
  s.apply_json();
  s.cli({"apikey", "create", "--name", "web", "--roles", "admin"});
  auto r = s.cli({"audit", "list", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  auto items = json::parse(r.out)["items"];
  std::set<std::string> actions;
  for (auto& i : items) {
    actions.insert(i["action"].get<std::string>());
    EXPECT_TRUE(i["detail"].contains("requestId")) << i.dump();
    EXPECT_EQ(i["actorType"], "operator");
  }
  for (const char* a :
       {"project.create", "env.create", "connection.set", "schema.apply", "release.create", "apikey.create"})
    EXPECT_TRUE(actions.count(a)) << "missing audit action " << a << " in " << items.dump();
}

TEST(ReleaseFeed, LongPollAnswersWhenPointerMoves) {
  Stack s;
  auto first = s.apply_json();
  std::string etag = "\"" + first["releaseId"].get<std::string>() + "\"";
  std::chrono::steady_clock::time_point answered;
  stk::http::ClientResponse resp;
  std::thread poller([&] {
    stk::http::Client client(s.hub.url());
    resp = client.request("GET", "/internal/releases/shop/dev?wait=20",
                          {{"Authorization", "Bearer bridge-token-for-tests"}, {"If-None-Match", etag}}, "",
                          30000);
    answered = std::chrono::steady_clock::now();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto second = s.apply_json({"--ref", "r2"});
  auto returned = std::chrono::steady_clock::now();
  poller.join();
  EXPECT_EQ(resp.status, 200) << resp.body;
  auto body = json::parse(resp.body);
  EXPECT_EQ(body["releaseId"], second["releaseId"]);
  EXPECT_EQ(body["release"]["releaseId"], second["releaseId"]);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(answered - returned).count(), 1000);
  // Without a token the internal API refuses.
  stk::http::Client anon(s.hub.url());
  EXPECT_EQ(anon.request("GET", "/internal/releases/shop/dev").status, 401);
}

TEST(Cli, LoginFailureAndMissingContext) {
  Hub hub;
  auto dir = make_temp_dir("stk-empty");
  Cli cli(hub.url(), dir);
  auto bad = cli({"login", "--email", Hub::kOwnerEmail, "--password-stdin"}, "wrong-password\n");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("401"), std::string::npos) << bad.all();
  cli.login(Hub::kOwnerEmail, Hub::kOwnerPassword);
  auto no_ctx = cli({"release", "current"});
  EXPECT_NE(no_ctx.exit_code, 0);
  EXPECT_NE(no_ctx.err.find("context not set"), std::string::npos) << no_ctx.all();
  auto who = cli({"whoami", "--output", "json"});
  ASSERT_EQ(who.exit_code, 0) << who.all();
  EXPECT_EQ(json::parse(who.out)["orgRole"], "owner");
}
