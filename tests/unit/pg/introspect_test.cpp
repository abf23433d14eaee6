// Round trip against a real PostgreSQL: DDL rendered by libs/sql, read back by introspect, planned again.
#include "stk/pg/introspect.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_server.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "../sql/builders.hpp"
#include "stk/pg/connection.hpp"
#include "stk/sql/ddl.hpp"
#include "stk/sql/plan.hpp"

using namespace stk;
using namespace stk::pg;
using nlohmann::json;
using stk::test::Col;
using ::testing::ElementsAre;

using stk::test::server_url;
using stk::test::url_for_db;

namespace {

// Ten tables covering every type, default form, PK strategy, reference action, a reference cycle
// (orgs.owner_id → users → teams → orgs), a self reference and unique / multi-column indexes.
model::Schema ten_tables() {
  return test::schema({
      test::table(
          "audit",
          {Col("payload", "json").null(), Col("at", "timestamp").now(), Col("ratio", "float").def(2.0),
           Col("amount", "decimal").def(3), Col("small", "float").def(0.1)},
          test::auto_pk()),
      test::table("comments",
                  {Col("post_id", "string").ref("posts", "", "cascade", "cascade"),
                   Col("parent_id", "bigint").null().ref("comments", "", "set_null", "no_action"),
                   Col("body", "string")},
                  test::auto_pk()),
      test::table("files",
                  {Col("data", "bytes").def("AQI="), Col("checksum", "string").null().uniq(),
                   Col("size", "bigint").def(0)},
                  test::pk("client", "bigint")),
      test::table("orgs",
                  {Col("name", "string").uniq(),
                   Col("settings", "json").def(json::parse(R"({"theme":"dark","n":[1,2.5]})")),
                   Col("created_at", "timestamp").now(),
                   Col("owner_id", "string").null().ref("users", "", "set_null")},
                  test::pk("uuid_v7")),
      test::table(
          "post_tags",
          {Col("post_id", "string").ref("posts", "", "cascade"), Col("tag_slug", "string").ref("tags")},
          test::pk("uuid_v4"), {test::idx("ux_post_tags_post_id_tag_slug", {"post_id", "tag_slug"}, true)}),
      test::table("posts",
                  {Col("author_id", "string").ref("users", "", "cascade"), Col("title", "string"),
                   Col("body", "string").def("it's \\ ok"), Col("views", "bigint").def("9007199254740993"),
                   Col("published_at", "timestamp").null().def("2024-01-01T00:00:00.5Z"),
                   Col("rating", "decimal").null().def("-1.50")},
                  test::pk("nanoid"),
                  {test::idx("ix_posts_author_id_published_at", {"author_id", "published_at"}),
                   test::idx("ix_posts_title", {"title"})}),
      test::table(
          "profiles",
          {Col("user_id", "string").uniq().ref("users", "id", "cascade"), Col("bio", "string").null()},
          test::pk("client")),
      test::table("tags", {Col("label", "string"), Col("color", "string").def("")},
                  test::pk("client", "string", "slug")),
      test::table("teams",
                  {Col("org_id", "string").ref("orgs", "", "cascade"), Col("name", "string"),
                   Col("budget", "decimal").null().def("1000.50")},
                  test::auto_pk(), {test::idx("ux_teams_org_id_name", {"org_id", "name"}, true)}),
      test::table("users",
                  {Col("team_id", "bigint").null().ref("teams", "", "set_null"),
                   Col("email", "string").uniq(), Col("age", "int").null().def(-1),
                   Col("score", "float").def(0.5), Col("active", "boolean").def(true),
                   Col("avatar", "file").null(), Col("tags", "array").items("string").def(json::array())},
                  test::pk("ulid")),
  });
}

model::Table& tbl(model::Schema& s, const std::string& name) {
  for (auto& t : s.tables)
    if (t.name == name) return t;
  throw std::runtime_error("no table " + name);
}

model::Column& col(model::Schema& s, const std::string& t, const std::string& c) {
  for (auto& x : tbl(s, t).columns)
    if (x.name == c) return x;
  throw std::runtime_error("no column " + c);
}

std::vector<std::string> summary(const sql::Plan& p) {
  std::vector<std::string> out;
  for (const auto& o : p.operations)
    out.push_back(o.op + " " + o.table + (o.column.empty() ? "" : "." + o.column) + " " + o.cls);
  return out;
}

class IntrospectTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = server_url();
    ASSERT_FALSE(server_.empty()) << "no PostgreSQL: set STK_TEST_PG_URL or install postgresql-15";
    std::mt19937_64 rng(std::random_device{}());
    db_ = "stk_test_introspect_" + std::to_string(rng() % 1000000000);
    auto admin = Connection::connect(server_);
    admin.exec("CREATE DATABASE " + db_);
    url_ = url_for_db(server_, db_);
  }
  static void TearDownTestSuite() {
    if (db_.empty()) return;
    auto admin = Connection::connect(server_);
    admin.exec("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
  }
  void SetUp() override {
    conn_.emplace(Connection::connect(url_));
    conn_->exec(
        "DROP SCHEMA IF EXISTS public CASCADE; DROP SCHEMA IF EXISTS other CASCADE; CREATE SCHEMA public");
  }
  void TearDown() override { conn_.reset(); }

  Connection& c() { return *conn_; }

  // What the Hub does: run every statement of the plan in one transaction, then snapshot.
  sql::LiveSchema apply(const sql::Plan& p) {
    EXPECT_FALSE(p.has("unsupported")) << sql::to_json(p).dump(2);
    Transaction tx(c());
    for (const auto& o : p.operations)
      if (!o.sql.empty()) c().exec(o.sql);
    tx.commit();
    return introspect(c());
  }

  static std::string server_, db_, url_;
  std::optional<Connection> conn_;
};
std::string IntrospectTest::server_, IntrospectTest::db_, IntrospectTest::url_;

}  // namespace

TEST_F(IntrospectTest, EmptyDatabase) {
  EXPECT_TRUE(introspect(c()).tables.empty());
}

TEST_F(IntrospectTest, RenderedDdlRoundTripsToAnEmptyPlan) {
  auto s = ten_tables();
  {
    Transaction tx(c());
    for (const auto& stmt : sql::create_schema(s)) c().exec(stmt);
    tx.commit();
  }
  sql::LiveSchema live = introspect(c());
  ASSERT_EQ(live.tables.size(), 10u);

  sql::Plan p = sql::plan_changes(s, &s, live, &live);
  EXPECT_TRUE(p.empty()) << sql::to_json(p).dump(2);
  EXPECT_TRUE(p.drift.empty());
  EXPECT_TRUE(sql::matches(s, live)) << json(sql::to_json(p)).dump(2);
  // never applied ⇒ every table already exists unmanaged
  sql::Plan fresh = sql::plan_changes(s, nullptr, live, nullptr);
  ASSERT_EQ(fresh.operations.size(), 10u);
  EXPECT_TRUE(fresh.has("unsupported"));
  EXPECT_FALSE(fresh.has("safe"));

  // what introspection read
  const auto* teams = live.table("teams");
  ASSERT_TRUE(teams);
  EXPECT_EQ(teams->columns[0].name, "id");
  EXPECT_EQ(teams->columns[0].type, "bigint");
  EXPECT_EQ(teams->columns[0].identity, "by_default");
  EXPECT_EQ(teams->columns[0].default_expr, "");
  EXPECT_THAT(teams->primary_key, ElementsAre("id"));
  EXPECT_EQ(teams->primary_key_name, "teams_pkey");
  const auto* ux = teams->index("ux_teams_org_id_name");
  ASSERT_TRUE(ux);
  EXPECT_TRUE(ux->unique);
  EXPECT_FALSE(ux->constraint);
  EXPECT_THAT(ux->columns, ElementsAre("org_id", "name"));
  EXPECT_TRUE(teams->index("teams_pkey")->constraint);

  const auto* posts = live.table("posts");
  EXPECT_EQ(posts->column("views")->default_expr, "'9007199254740993'::bigint");
  EXPECT_EQ(posts->column("body")->default_expr, "'it''s \\ ok'::text");
  EXPECT_EQ(posts->column("published_at")->type, "timestamp with time zone");
  EXPECT_EQ(posts->column("published_at")->default_expr,
            "'2024-01-01 00:00:00.5+00'::timestamp with time zone");
  EXPECT_FALSE(posts->column("published_at")->not_null);
  EXPECT_TRUE(posts->column("title")->not_null);
  EXPECT_EQ(posts->column("id")->type, "text");

  const auto* comments = live.table("comments");
  const auto* fk = comments->foreign_key("fk_comments_parent_id");
  ASSERT_TRUE(fk);
  EXPECT_EQ(fk->ref_table, "comments");
  EXPECT_THAT(fk->ref_columns, ElementsAre("id"));
  EXPECT_EQ(fk->on_delete, "set_null");
  EXPECT_EQ(fk->on_update, "no_action");
  EXPECT_EQ(comments->foreign_key("fk_comments_post_id")->on_update, "cascade");
  EXPECT_THAT(live.table("post_tags")->foreign_key("fk_post_tags_tag_slug")->ref_columns,
              ElementsAre("slug"));
  EXPECT_EQ(live.table("post_tags")->foreign_key("fk_post_tags_tag_slug")->on_delete, "restrict");
  EXPECT_THAT(live.table("users")->unique("ux_users_email")->columns, ElementsAre("email"));
  EXPECT_EQ(live.table("users")->column("tags")->type, "jsonb");
  EXPECT_EQ(live.table("files")->column("data")->default_expr, "'\\x0102'::bytea");
  EXPECT_EQ(live.table("orgs")->column("created_at")->default_expr, "now()");

  // the snapshot survives JSON storage unchanged
  EXPECT_EQ(sql::live_schema_from_json(json::parse(sql::to_json(live).dump())), live);
}

TEST_F(IntrospectTest, PlansApplyAndConverge) {
  auto s = ten_tables();
  sql::Plan first = sql::plan_changes(s, nullptr, introspect(c()), nullptr);
  EXPECT_FALSE(first.has("destructive"));
  sql::LiveSchema snap = apply(first);
  EXPECT_TRUE(sql::plan_changes(s, &s, snap, &snap).empty());
  c().exec("INSERT INTO tags (slug, label) VALUES ('a', 'A')");
  c().exec("INSERT INTO orgs (id, name) VALUES ('o1', 'Org')");
  c().exec("INSERT INTO teams (org_id, name) VALUES ('o1', 'T')");

  // add a column ⇒ one safe operation
  auto s2 = s;
  tbl(s2, "tags").columns.push_back(Col("weight", "int").null());
  sql::Plan p = sql::plan_changes(s2, &s, snap, &snap);
  ASSERT_THAT(summary(p), ElementsAre("add_column tags.weight safe"));
  snap = apply(p);
  EXPECT_TRUE(sql::plan_changes(s2, &s2, snap, &snap).empty());

  // drop it ⇒ destructive
  p = sql::plan_changes(s, &s2, snap, &snap);
  ASSERT_THAT(summary(p), ElementsAre("drop_column tags.weight destructive"));
  snap = apply(p);
  EXPECT_TRUE(sql::plan_changes(s, &s, snap, &snap).empty());

  // a batch of changes of every kind that runs on the data present, then converges
  auto s3 = s;
  col(s3, "tags", "label").nullable = true;        // relax NOT NULL
  col(s3, "tags", "color").default_value = "red";  // change default
  col(s3, "users", "age").type = "bigint";         // int → bigint
  col(s3, "users", "age").default_value = "-1";
  col(s3, "users", "score").default_value = 1.25;
  col(s3, "users", "active").default_value.reset();  // drop default
  col(s3, "orgs", "settings").default_value = json::parse(R"({"theme":"light"})");
  col(s3, "posts", "published_at").default_now = true;
  col(s3, "posts", "published_at").default_value.reset();
  col(s3, "files", "data").default_value = "/wA=";
  col(s3, "teams", "budget").default_value = "0.001";
  col(s3, "teams", "org_id").references->on_delete = "restrict";           // alter FK
  col(s3, "files", "checksum").unique = false;                             // drop unique
  col(s3, "tags", "label").unique = true;                                  // add unique (existing column)
  tbl(s3, "posts").indexes.pop_back();                                     // drop ix_posts_title
  tbl(s3, "users").indexes.push_back(test::idx("ix_users_age", {"age"}));  // create index
  tbl(s3, "tags").columns.push_back(Col("rank", "int").def(5));            // add NOT NULL column with default
  tbl(s3, "tags").id = test::pk("client", "string", "slug");
  tbl(s3, "orgs").id = test::pk("ulid");  // Bridge-side generate switch
  s3.tables.push_back(
      test::table("notes", {Col("tag", "string").ref("tags"), Col("team", "bigint").null().ref("teams")}));
  s3.tables.erase(s3.tables.begin());  // audit
  std::sort(s3.tables.begin(), s3.tables.end(), [](auto& a, auto& b) { return a.name < b.name; });
  p = sql::plan_changes(s3, &s, snap, &snap);
  EXPECT_FALSE(p.has("unsupported")) << sql::to_json(p).dump(2);
  EXPECT_TRUE(p.has("destructive"));
  snap = apply(p);
  sql::Plan again = sql::plan_changes(s3, &s3, snap, &snap);
  EXPECT_TRUE(again.empty()) << sql::to_json(again).dump(2);
  EXPECT_TRUE(sql::matches(s3, snap)) << json(sql::mismatches(s3, snap).size()).dump();
  EXPECT_EQ(c().exec("SELECT rank FROM tags WHERE slug = 'a'").value(0, 0), "5");

  // unsupported: string → int
  auto s4 = s3;
  col(s4, "tags", "color").type = "int";
  col(s4, "tags", "color").default_value = 0;
  p = sql::plan_changes(s4, &s3, snap, &snap);
  EXPECT_THAT(summary(p), ElementsAre("alter_column_type tags.color unsupported"));
}

TEST_F(IntrospectTest, HandMadeChangesAreDrift) {
  auto s = ten_tables();
  sql::LiveSchema snap = apply(sql::plan_changes(s, nullptr, introspect(c()), nullptr));
  c().exec("ALTER TABLE posts ADD COLUMN extra text");
  c().exec("ALTER TABLE posts ALTER COLUMN title DROP NOT NULL");
  c().exec("ALTER TABLE tags ALTER COLUMN color SET DEFAULT 'blue'");
  c().exec("DROP INDEX ix_posts_title");
  c().exec("CREATE TABLE legacy (x int)");  // never managed: ignored
  sql::LiveSchema live = introspect(c());
  sql::Plan p = sql::plan_changes(s, &s, live, &snap);
  std::vector<std::string> drift;
  for (const auto& d : p.drift) drift.push_back(d.message);
  EXPECT_THAT(
      drift,
      ElementsAre("table 'posts': column 'title': NOT NULL was dropped by hand",
                  "table 'posts': column 'extra' exists in the database but not in the last applied schema",
                  "table 'posts': index 'ix_posts_title' is missing",
                  "table 'tags': column 'color': default was changed by hand from ''::text to 'blue'::text"));
  EXPECT_THAT(summary(p), ElementsAre("set_not_null posts.title destructive", "create_index posts safe",
                                      "set_default tags.color safe", "drop_column posts.extra destructive"));
  EXPECT_FALSE(sql::matches(s, live));
  // the repair converges
  snap = apply(p);
  EXPECT_TRUE(sql::plan_changes(s, &s, snap, &snap).empty());
  EXPECT_TRUE(sql::matches(s, snap));
}

TEST_F(IntrospectTest, SkipsReservedOtherSchemasViewsAndPartitions) {
  c().exec("CREATE TABLE stk_events (id bigint PRIMARY KEY)");
  c().exec("CREATE SCHEMA other; CREATE TABLE other.things (id int PRIMARY KEY)");
  c().exec(
      "CREATE TABLE \"Mixed Case\" (\"Weird \"\"Col\" int, id int PRIMARY KEY REFERENCES other.things (id))");
  c().exec("CREATE VIEW v AS SELECT 1 AS x");
  c().exec("CREATE TABLE measurements (at date NOT NULL, v int) PARTITION BY RANGE (at)");
  c().exec(
      "CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO "
      "('2025-01-01')");
  c().exec("CREATE TABLE nocols ()");
  c().exec("CREATE INDEX ix_expr ON \"Mixed Case\" (lower(\"Weird \"\"Col\"::text)) WHERE id > 0");
  sql::LiveSchema live = introspect(c());
  std::vector<std::string> names;
  for (const auto& [n, _] : live.tables) names.push_back(n);
  EXPECT_THAT(names, ElementsAre("Mixed Case", "measurements", "nocols"));
  const auto& mixed = *live.table("Mixed Case");
  EXPECT_EQ(mixed.columns[0].name, "Weird \"Col");
  EXPECT_EQ(mixed.foreign_keys[0].ref_table, "other.things");
  const auto* ix = mixed.index("ix_expr");
  ASSERT_TRUE(ix);
  EXPECT_EQ(ix->predicate, "(id > 0)");
  EXPECT_EQ(ix->columns.size(), 1u);
  EXPECT_NE(ix->columns[0].find("lower"), std::string::npos);
  EXPECT_TRUE(live.table("nocols")->columns.empty());
}

TEST_F(IntrospectTest, InsideATransactionSeesItsDdlAndKeepsSessionSettings) {
  c().exec("SET TimeZone = 'Asia/Tokyo'; SET DateStyle = 'SQL, DMY'");
  Transaction tx(c());
  c().exec(
      "CREATE TABLE t (id text PRIMARY KEY, at timestamptz DEFAULT '2024-01-01T00:00:00Z'::timestamptz)");
  sql::LiveSchema live = introspect(c());
  ASSERT_TRUE(live.table("t"));
  EXPECT_EQ(live.table("t")->column("at")->default_expr,
            "'2024-01-01 00:00:00+00'::timestamp with time zone");
  EXPECT_EQ(c().exec("SHOW TimeZone").value(0, 0), "Asia/Tokyo");
  EXPECT_EQ(c().exec("SHOW DateStyle").value(0, 0), "SQL, DMY");
  EXPECT_TRUE(c().in_transaction());
  tx.commit();
  // and outside one: settings untouched too
  live = introspect(c());
  EXPECT_EQ(live.table("t")->column("at")->default_expr,
            "'2024-01-01 00:00:00+00'::timestamp with time zone");
  EXPECT_EQ(c().exec("SHOW TimeZone").value(0, 0), "Asia/Tokyo");
  EXPECT_FALSE(c().in_transaction());
}

TEST_F(IntrospectTest, FiveHundredTablesInAFewQueries) {
  std::vector<model::Table> tables;
  for (int i = 0; i < 500; ++i) {
    std::string n = "t" + std::to_string(1000 + i);
    tables.push_back(test::table(n,
                                 {Col("name", "string").uniq(), Col("n", "int").def(i),
                                  Col("prev", "string").null().ref(i ? "t" + std::to_string(999 + i) : n)},
                                 test::pk(), {test::idx("ix_" + n + "_n", {"n"})}));
  }
  auto s = test::schema(tables);
  {
    Transaction tx(c());
    std::string batch;
    for (const auto& stmt : sql::create_schema(s)) batch += stmt + ";\n";
    c().exec(batch);
    tx.commit();
  }
  auto t0 = std::chrono::steady_clock::now();
  sql::LiveSchema live = introspect(c());
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("introspect_500_tables_ms", static_cast<int>(ms));
  ASSERT_EQ(live.tables.size(), 500u);
  EXPECT_LT(ms, 2000.0);
  auto t1 = std::chrono::steady_clock::now();
  sql::Plan p = sql::plan_changes(s, &s, live, &live);
  auto plan_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
  RecordProperty("plan_500_tables_ms", static_cast<int>(plan_ms));
  EXPECT_TRUE(p.empty()) << sql::to_json(p).dump(2);
}
