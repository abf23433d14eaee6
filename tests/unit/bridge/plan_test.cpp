// The planner: validation errors with the spec's codes, and caller text never reaching SQL.
#include <gtest/gtest.h>

#include "call/plan.hpp"
#include "release_fixture.hpp"
#include "stk/core/error.hpp"

using namespace stk;
using namespace stk::bridge;
using J = nlohmann::ordered_json;

namespace {

struct Planner : ::testing::Test {
  std::shared_ptr<const EnvRelease> rel = fixture::make_release();
  Limits limits;
  Principal as(std::vector<std::string> roles) {
    Principal p;
    p.id = "key_1";
    p.roles = std::move(roles);
    p.env = rel.get();
    return p;
  }
  // The keys of a row-set select's rows, in order (Statement::fields).
  static std::vector<std::string> keys_of(const Statement& st) {
    std::vector<std::string> out;
    for (const auto& f : st.fields) out.push_back(*f.json_key);
    return out;
  }
  Statement plan(const std::string& path, const std::string& params,
                 std::vector<std::string> roles = {"admin"}) {
    return plan_call(*rel, parse_route(path), J::parse(params), as(std::move(roles)), limits);
  }
  Code code_of(const std::string& path, const std::string& params,
               std::vector<std::string> roles = {"admin"}) {
    try {
      plan(path, params, std::move(roles));
    } catch (const Error& e) {
      return e.code();
    }
    ADD_FAILURE() << "no error for " << path << " " << params;
    return Code::Internal;
  }
  std::string message_of(const std::string& path, const std::string& params,
                         std::vector<std::string> roles = {"admin"}) {
    try {
      plan(path, params, std::move(roles));
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

TEST_F(Planner, CallerValuesBecomeParametersNeverText) {
  auto st = plan("db/users/select", R"({"where":{"email":"x'; DROP TABLE users; --"}})");
  EXPECT_EQ(st.sql.find("DROP"), std::string::npos);
  ASSERT_FALSE(st.params.empty());
  EXPECT_EQ(*st.params[0], "x'; DROP TABLE users; --");
}

TEST_F(Planner, UnknownIdentifiersAreRejectedNotQuoted) {
  EXPECT_EQ(code_of("db/users\"; --/select", "{}"), Code::NotFound);
  EXPECT_EQ(code_of("db/users/select", R"({"select":["email\" FROM x; --"]})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"orderBy":{"1; DROP":"asc"}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/posts/select", R"({"expand":["author; --"]})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"x\" OR 1=1":"a"}})"), Code::BadRequest);
}

TEST_F(Planner, WhereOperatorsAndTheirErrors) {
  EXPECT_NO_THROW(plan("db/users/select", R"({"where":{"age":{"$gte":1,"$lt":9},"email":{"$like":"%a"}}})"));
  EXPECT_NO_THROW(plan("db/users/select", R"({"where":{"age":{"$in":[1,2]},"team_id":{"$isNull":true}}})"));
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":null}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":[1]}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"$or":[]}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":{}}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":{"$isNull":false}}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":{"$in":[]}}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":"7"}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":{"$like":"1%"}}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"prefs":{"$eq":1}}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":{"$regex":"x"}}})"), Code::BadRequest);
}

TEST_F(Planner, WhereConditionCap) {
  limits.where_max_conditions = 2;
  EXPECT_NO_THROW(plan("db/users/select", R"({"where":{"age":{"$gt":1,"$lt":3}}})"));
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":{"$gt":1,"$lt":3},"email":"a"}})"),
            Code::BadRequest);
}

TEST_F(Planner, LimitOffsetAndCap) {
  limits.select_max_rows = 100;
  EXPECT_NO_THROW(plan("db/users/select", R"({"limit":100,"offset":0})"));
  EXPECT_EQ(code_of("db/users/select", R"({"limit":101})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"limit":-1})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"limit":1.5})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"limit":"5"})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"offset":true})"), Code::BadRequest);
  EXPECT_EQ(plan("db/users/select", "{}").row_cap, 100);
}

TEST_F(Planner, UnknownParamKeysAre400) {
  EXPECT_EQ(code_of("db/users/select", R"({"filter":{}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/posts/delete", R"({"where":{"id":"1"},"limit":1})"), Code::BadRequest);
  // The rule comes first (spec §4 step 6 before step 8): no delete rule on users ⇒ 403 even with a bad key.
  EXPECT_EQ(code_of("db/users/delete", R"({"where":{"id":"a"},"limit":1})"), Code::Forbidden);
}

TEST_F(Planner, ExpandDepthAndAuthorization) {
  EXPECT_NO_THROW(plan("db/posts/select", R"({"expand":["author.team.org"]})"));
  EXPECT_EQ(code_of("db/posts/select", R"({"expand":["author.team.org.x"]})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/posts/select", R"({"expand":["writer"]})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/posts/select", R"({"expand":[1]})"), Code::BadRequest);
  // reader may read users and teams but not orgs: the last hop is forbidden.
  EXPECT_NO_THROW(plan("db/posts/select", R"({"expand":["author.team"]})", {"reader"}));
  EXPECT_EQ(code_of("db/posts/select", R"({"expand":["author.team.org"]})", {"reader"}), Code::Forbidden);
}

TEST_F(Planner, RuleSelectionAndColumnPermissions) {
  EXPECT_EQ(code_of("db/orgs/select", "{}", {"reader"}), Code::Forbidden);
  EXPECT_EQ(code_of("db/users/delete", R"({"where":{"id":"a"}})"), Code::Forbidden);
  EXPECT_EQ(message_of("db/users/update", R"({"where":{"id":"a"},"data":{"team_id":null}})"),
            "column 'team_id' is not writable for this caller");
  // Read projection: the reader's rule has no `age`, so asking for it silently drops it.
  auto st = plan("db/users/select", R"({"select":["email","age"]})", {"reader"});
  EXPECT_EQ(keys_of(st), std::vector<std::string>{"\"email\" : "});
  EXPECT_NE(st.sql.find("SELECT t0.\"email\" FROM"), std::string::npos) << st.sql;
  EXPECT_EQ(st.sql.find("age"), std::string::npos) << st.sql;
  auto counted = plan("db/users/select", R"({"select":["email","age"],"count":"exact"})", {"reader"});
  EXPECT_NE(counted.sql.find("json_build_object('email', t0.\"email\") AS _j"), std::string::npos)
      << counted.sql;
  EXPECT_EQ(counted.sql.find("age"), std::string::npos) << counted.sql;
}

TEST_F(Planner, ConditionIsAParameterisedPredicate) {
  auto st = plan("db/posts/select", "{}", {"reader"});
  EXPECT_NE(st.sql.find("\"status\" = $1::text"), std::string::npos) << st.sql;
  EXPECT_EQ(*st.params[0], "published");
}

TEST_F(Planner, UpdateAndDeleteNeedANonEmptyWhere) {
  EXPECT_EQ(code_of("db/posts/delete", "{}"), Code::BadRequest);
  EXPECT_EQ(code_of("db/posts/delete", R"({"where":{}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/update", R"({"data":{"age":1}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/update", R"({"where":{"id":"a"},"data":{}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/update", R"({"where":{"id":"a"},"data":{"id":"b"}})"), Code::BadRequest);
}

TEST_F(Planner, InsertRules) {
  EXPECT_EQ(code_of("db/users/insert", R"({"values":{"email":"a","id":"x"}})"),
            Code::BadRequest);                                                  // generated PK
  EXPECT_EQ(code_of("db/users/insert", R"({"values":{}})"), Code::BadRequest);  // email required
  EXPECT_EQ(code_of("db/users/insert", R"({"values":[]})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/insert", R"({"values":[{"email":"a"},1]})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/insert", R"({"values":{"email":"a"},"data":{"email":"b"}})"), Code::BadRequest);
  EXPECT_EQ(message_of("db/users/insert", R"({"values":{"email":"a","ratings":[1,"x"]}})"),
            "column 'ratings': expected array of int, got string at index 1");
  auto st = plan("db/users/insert", R"({"data":[{"email":"a"},{"email":"b","age":3}]})");
  EXPECT_EQ(st.params.size(), 5u);  // two generated ids, two emails, one age
  EXPECT_NE(st.sql.find("DEFAULT"), std::string::npos);
  // writer: insert condition status == 'draft' is checked on the payload.
  EXPECT_NO_THROW(
      plan("db/posts/insert", R"({"values":{"author_id":"u","title":"t","status":"draft"}})", {"writer"}));
  EXPECT_EQ(
      code_of("db/posts/insert", R"({"values":{"author_id":"u","title":"t","status":"live"}})", {"writer"}),
      Code::Forbidden);
  EXPECT_EQ(code_of("db/posts/insert", R"({"values":{"author_id":"u","title":"t"}})", {"writer"}),
            Code::Forbidden);
  EXPECT_EQ(code_of("db/posts/insert", R"({"values":{"author_id":"u","title":"t","owner":"x"}})", {"writer"}),
            Code::Forbidden);
}

TEST_F(Planner, KeysetNeedsMatchingCursor) {
  auto st = plan("db/posts/select", R"({"orderBy":{"title":"asc"},"limit":2,"after":null})");
  EXPECT_TRUE(st.want_cursor);
  EXPECT_EQ(code_of("db/posts/select", R"({"orderBy":{"title":"asc"},"after":"bm9wZQ"})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/posts/select", R"({"orderBy":{"owner":"asc"},"after":null})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/posts/select", R"({"after":null,"offset":3})"), Code::BadRequest);
}

TEST(Route, Shapes) {
  EXPECT_EQ(parse_route("db/users/select").table, "users");
  for (const char* p : {"db/users", "db/users/select/x", "db//select", "db/users/upsert", "logics/x", ""}) {
    try {
      parse_route(p);
      ADD_FAILURE() << p;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::NotFound) << p;
    }
  }
}

TEST(Envelope, BadBodies) {
  for (const char* b : {"", "nope", "[]", "{}", R"({"path":1})", R"({"path":"db/a/select","params":[]})"}) {
    try {
      parse_call_body(b);
      ADD_FAILURE() << b;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::BadRequest) << b;
    }
  }
  EXPECT_TRUE(parse_call_body(R"({"path":"db/a/select","params":null})").params.empty());
}

TEST_F(Planner, NulInTextIsRejectedNotTruncated) {
  EXPECT_EQ(code_of("db/users/insert", "{\"values\":{\"email\":\"a\\u0000b\"}}"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", "{\"where\":{\"email\":\"x\\u0000y\"}}"), Code::BadRequest);
}

TEST_F(Planner, InListCap) {
  limits.in_max_items = 3;
  EXPECT_NO_THROW(plan("db/users/select", R"({"where":{"age":{"$in":[1,2,3]}}})"));
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":{"$in":[1,2,3,4]}}})"), Code::BadRequest);
  EXPECT_EQ(code_of("db/users/select", R"({"where":{"age":{"$notIn":[1,2,3,4]}}})"), Code::BadRequest);
}

TEST_F(Planner, CursorIsBoundToItsOrder) {
  auto by_title = plan("db/posts/select", R"({"orderBy":{"title":"asc"},"limit":2,"after":null})");
  std::string cursor = encode_cursor(by_title.cursor_order, R"(["a", "1"])");
  J ok = {{"orderBy", {{"title", "asc"}}}, {"limit", 2}, {"after", cursor}};
  EXPECT_NO_THROW(plan_call(*rel, parse_route("db/posts/select"), ok, as({"admin"}), limits));
  J other = {{"orderBy", {{"title", "desc"}}}, {"limit", 2}, {"after", cursor}};
  EXPECT_THROW(plan_call(*rel, parse_route("db/posts/select"), other, as({"admin"}), limits), Error);
}

// A select without count returns its columns as they are stored, and `fields` says how the Bridge writes each
// (sql/wire_json); expanded rows stay JSON built by PostgreSQL, each under its own alias and rule.
TEST_F(Planner, RowSetSelectsPlainColumnsAndDescribesEach) {
  auto st = plan("db/users/select", R"({"where":{"email":"a@b"}})");
  ASSERT_TRUE(st.rowset);
  EXPECT_NE(st.sql.find("SELECT t0.\"id\", t0.\"email\", t0.\"team_id\", t0.\"age\", t0.\"salary\", "
                        "t0.\"born\", t0.\"avatar\", t0.\"ratings\", t0.\"prefs\" FROM \"users\" t0 WHERE"),
            std::string::npos)
      << st.sql;
  EXPECT_EQ(st.sql.find("json_build_object"), std::string::npos) << st.sql;
  ASSERT_EQ(keys_of(st), (std::vector<std::string>{
                             "\"id\" : ", "\"email\" : ", "\"team_id\" : ", "\"age\" : ", "\"salary\" : ",
                             "\"born\" : ", "\"avatar\" : ", "\"ratings\" : ", "\"prefs\" : "}));
  using sql::WireKind;
  std::vector<WireKind> kinds;
  for (const auto& f : st.fields) kinds.push_back(f.wire);
  EXPECT_EQ(kinds, (std::vector<WireKind>{WireKind::Text, WireKind::Text, WireKind::Text, WireKind::Integer,
                                          WireKind::Quoted, WireKind::Timestamp, WireKind::Bytes,
                                          WireKind::Json, WireKind::Json}));

  auto reader = plan("db/users/select", "{}", {"reader"});
  EXPECT_NE(reader.sql.find("SELECT t0.\"id\", t0.\"email\", t0.\"team_id\" FROM"), std::string::npos)
      << reader.sql;

  // Expanded rows are records of their own plain columns and relations, each under its own alias and rule.
  auto posts = plan("db/posts/select", R"({"expand":["author.team"],"select":["id"]})");
  EXPECT_EQ(keys_of(posts), (std::vector<std::string>{"\"id\" : ", "\"author\" : "}));
  EXPECT_NE(posts.sql.find(
                "SELECT t0.\"id\", (SELECT ROW(e1.\"id\", e1.\"email\", e1.\"team_id\", e1.\"age\", "
                "e1.\"salary\", e1.\"born\", e1.\"avatar\", e1.\"ratings\", e1.\"prefs\", (SELECT "
                "ROW(e2.\"id\", e2.\"org_id\", e2.\"name\") FROM \"teams\" e2 WHERE e2.\"id\" = "
                "e1.\"team_id\")) FROM \"users\" e1 WHERE e1.\"id\" = t0.\"author_id\") FROM \"posts\" t0"),
            std::string::npos)
      << posts.sql;
  const RowField& author = posts.fields[1];
  ASSERT_TRUE(author.is_record);
  ASSERT_EQ(author.record.size(), 10u);
  EXPECT_EQ(*author.record[4].json_key, "\"salary\" : ");
  EXPECT_EQ(author.record[4].wire, WireKind::Quoted);
  const RowField& team = author.record[9];
  EXPECT_EQ(*team.json_key, "\"team\" : ");
  ASSERT_TRUE(team.is_record);
  ASSERT_EQ(team.record.size(), 3u);
  EXPECT_FALSE(team.record[2].is_record);
  // A reader's expanded rows hold only what the reader's rule on that table allows.
  auto read = plan("db/posts/select", R"({"expand":["author"],"select":["id"]})", {"reader"});
  EXPECT_NE(read.sql.find("(SELECT ROW(e1.\"id\", e1.\"email\", e1.\"team_id\") FROM \"users\" e1"),
            std::string::npos)
      << read.sql;

  // Keyset pages add the cursor after the row's columns.
  auto page =
      plan("db/users/select", R"({"orderBy":{"email":"asc"},"limit":2,"after":null,"select":["age"]})");
  EXPECT_NE(page.sql.find("SELECT t0.\"age\", json_build_array(t0.\"email\"::text, t0.\"id\"::text) AS _c"),
            std::string::npos)
      << page.sql;
}

// Inserts and updates return the written rows as plain columns too, projected to the caller's select rule.
TEST_F(Planner, WritesReturnPlainColumns) {
  auto ins = plan("db/users/insert", R"({"values":{"email":"a@b"}})");
  EXPECT_TRUE(ins.rowset);
  EXPECT_EQ(ins.sql.rfind("INSERT INTO \"users\" AS r (", 0), 0u) << ins.sql;
  EXPECT_NE(ins.sql.find(" RETURNING r.\"id\", r.\"email\", r.\"team_id\", r.\"age\""), std::string::npos)
      << ins.sql;
  EXPECT_EQ(ins.sql.find("json"), std::string::npos) << ins.sql;
  EXPECT_EQ(ins.fields.size(), 9u);
  auto upd = plan("db/users/update", R"({"where":{"id":"a"},"data":{"age":1}})");
  EXPECT_TRUE(upd.rowset);
  EXPECT_EQ(upd.sql.rfind("UPDATE \"users\" AS t0 SET \"age\" = $1::integer WHERE ", 0), 0u) << upd.sql;
  EXPECT_NE(upd.sql.find(" RETURNING t0.\"id\", t0.\"email\", t0.\"team_id\""), std::string::npos) << upd.sql;
  EXPECT_EQ(keys_of(upd), keys_of(ins));
  auto del = plan("db/posts/delete", R"({"where":{"id":"1"}})");
  EXPECT_FALSE(del.rowset);
  EXPECT_TRUE(del.affected);
}

// Counted selects (and writes) build their rows in PostgreSQL: each column in its wire format (§7), only the
// columns the rule allows, and expanded rows under their own aliases.
TEST_F(Planner, ProjectionWritesEveryColumnInItsWireFormat) {
  auto st = plan("db/users/select", R"({"where":{"email":"a@b"},"count":"exact"})");
  EXPECT_FALSE(st.rowset);
  for (const char* part :
       {"json_build_object('id', t0.\"id\", 'email', t0.\"email\", 'team_id', t0.\"team_id\", 'age', "
        "t0.\"age\"",
        "'salary', t0.\"salary\"::text",
        "'born', to_char(t0.\"born\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
        "'avatar', translate(encode(t0.\"avatar\", 'base64'), E'\\n', '')", "'ratings', t0.\"ratings\"",
        "'prefs', t0.\"prefs\")"})
    EXPECT_NE(st.sql.find(part), std::string::npos) << part << "\n" << st.sql;

  auto reader = plan("db/users/select", R"({"count":"exact"})", {"reader"});
  EXPECT_NE(reader.sql.find("json_build_object('id', t0.\"id\", 'email', t0.\"email\", 'team_id', "
                            "t0.\"team_id\") AS _j"),
            std::string::npos)
      << reader.sql;

  auto posts = plan("db/posts/select", R"({"expand":["author.team"],"select":["id"],"count":"exact"})");
  EXPECT_NE(
      posts.sql.find("json_build_object('id', t0.\"id\"::text, 'author', (SELECT json_build_object('id', "
                     "e1.\"id\""),
      std::string::npos)
      << posts.sql;
}
