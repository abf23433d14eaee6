#include "stk/sql/ddl.hpp"

#include <gtest/gtest.h>

#include "builders.hpp"
#include "stk/core/error.hpp"
#include "stk/sql/ident.hpp"
#include "stk/sql/types.hpp"

using namespace stk;
using namespace stk::sql;
using nlohmann::json;
using stk::test::Col;

TEST(Ident, QuoteIdent) {
  EXPECT_EQ(quote_ident("posts"), "\"posts\"");
  EXPECT_EQ(quote_ident("Order"), "\"Order\"");
  EXPECT_EQ(quote_ident("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(quote_ident("x; DROP TABLE y"), "\"x; DROP TABLE y\"");
  EXPECT_THROW(quote_ident(""), Error);
  EXPECT_THROW(quote_ident(std::string("a\0b", 3)), Error);
}

TEST(Ident, QuoteLiteral) {
  EXPECT_EQ(quote_literal("abc"), "'abc'");
  EXPECT_EQ(quote_literal(""), "''");
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
  EXPECT_EQ(quote_literal("a\\b"), "'a\\b'");  // standard_conforming_strings: backslash is literal
  EXPECT_EQ(quote_literal("'; DROP TABLE x; --"), "'''; DROP TABLE x; --'");
  EXPECT_THROW(quote_literal(std::string("a\0b", 3)), Error);
}

TEST(Ident, ShortenIdentifier) {
  EXPECT_EQ(shorten_identifier("ux_posts_slug"), "ux_posts_slug");
  std::string n63(63, 'a');
  EXPECT_EQ(shorten_identifier(n63), n63);
  std::string long1 = "ux_" + std::string(70, 'x') + "_a", long2 = "ux_" + std::string(70, 'x') + "_b";
  auto s1 = shorten_identifier(long1), s2 = shorten_identifier(long2);
  EXPECT_EQ(s1.size(), 63u);
  EXPECT_NE(s1, s2);
  EXPECT_EQ(s1, shorten_identifier(long1));  // stable
  EXPECT_EQ(s1.substr(0, 54), long1.substr(0, 54));
  EXPECT_EQ(s1[54], '_');
  // never cuts inside a UTF-8 sequence
  std::string utf = std::string(53, 'a') + "\xc3\xa9" + std::string(20, 'b');
  auto su = shorten_identifier(utf);
  EXPECT_LE(su.size(), 63u);
  EXPECT_EQ(su.substr(0, 54), std::string(53, 'a') + "_");
}

TEST(Types, LogicalToPg) {
  EXPECT_EQ(pg_type("string"), "text");
  EXPECT_EQ(pg_type("int"), "integer");
  EXPECT_EQ(pg_type("bigint"), "bigint");
  EXPECT_EQ(pg_type("float"), "double precision");
  EXPECT_EQ(pg_type("decimal"), "numeric");
  EXPECT_EQ(pg_type("boolean"), "boolean");
  EXPECT_EQ(pg_type("json"), "jsonb");
  EXPECT_EQ(pg_type("timestamp"), "timestamptz");
  EXPECT_EQ(pg_type("bytes"), "bytea");
  EXPECT_EQ(pg_type("file"), "text");
  EXPECT_EQ(pg_type("array"), "jsonb");
  EXPECT_EQ(pg_type_reported("timestamp"), "timestamp with time zone");
  EXPECT_EQ(pg_type_reported("float"), "double precision");
  EXPECT_EQ(pg_type_reported("int"), "integer");
  EXPECT_THROW(pg_type("uuidish"), Error);
  EXPECT_EQ(normalize_pg_type("timestamptz"), "timestamp with time zone");
  EXPECT_EQ(normalize_pg_type("int4"), "integer");
  EXPECT_EQ(normalize_pg_type("float8"), "double precision");
  EXPECT_EQ(normalize_pg_type("text"), "text");
  EXPECT_TRUE(is_lossless_widening("integer", "bigint"));
  EXPECT_FALSE(is_lossless_widening("bigint", "integer"));
  EXPECT_FALSE(is_lossless_widening("text", "integer"));
}

TEST(Ddl, DefaultsPerType) {
  EXPECT_EQ(default_sql(Col("a", "string")), "");
  EXPECT_EQ(default_sql(Col("a", "string").def("abc")), "'abc'");
  EXPECT_EQ(default_sql(Col("a", "string").def("it's")), "'it''s'");
  EXPECT_EQ(default_sql(Col("a", "file").def("k/1.png")), "'k/1.png'");
  EXPECT_EQ(default_sql(Col("a", "int").def(42)), "42");
  EXPECT_EQ(default_sql(Col("a", "int").def(-7)), "-7");
  EXPECT_EQ(default_sql(Col("a", "bigint").def("9007199254740993")), "9007199254740993");
  EXPECT_EQ(default_sql(Col("a", "bigint").def(5)), "5");
  EXPECT_EQ(default_sql(Col("a", "float").def(1.5)), "1.5");
  EXPECT_EQ(default_sql(Col("a", "float").def(2)), "2");
  EXPECT_EQ(default_sql(Col("a", "decimal").def("12.50")), "12.50");
  EXPECT_EQ(default_sql(Col("a", "decimal").def(3)), "3");
  EXPECT_EQ(default_sql(Col("a", "boolean").def(false)), "false");
  EXPECT_EQ(default_sql(Col("a", "boolean").def(true)), "true");
  EXPECT_EQ(default_sql(Col("a", "json").def(json::parse(R"({"a":1})"))), "'{\"a\":1}'::jsonb");
  EXPECT_EQ(default_sql(Col("a", "json").def("it's")), "'\"it''s\"'::jsonb");
  EXPECT_EQ(default_sql(Col("a", "array").items("int").def(json::array({1, 2}))), "'[1,2]'::jsonb");
  EXPECT_EQ(default_sql(Col("a", "timestamp").now()), "now()");
  EXPECT_EQ(default_sql(Col("a", "timestamp").def("2024-01-01T00:00:00Z")),
            "'2024-01-01T00:00:00Z'::timestamptz");
  EXPECT_EQ(default_sql(Col("a", "bytes").def("AQI=")), "'\\x0102'::bytea");
  EXPECT_EQ(default_sql(Col("a", "string").def(nullptr)), "");
}

TEST(Ddl, BadDefaultsAreRejectedNotInjected) {
  EXPECT_THROW(default_sql(Col("a", "int").def("1; DROP TABLE x")), Error);
  EXPECT_THROW(default_sql(Col("a", "bigint").def("1 OR 1")), Error);
  EXPECT_THROW(default_sql(Col("a", "decimal").def("1.5)--")), Error);
  EXPECT_THROW(default_sql(Col("a", "float").def("abc")), Error);
  EXPECT_THROW(default_sql(Col("a", "int").def(1.5)), Error);
  EXPECT_THROW(default_sql(Col("a", "int").def(4294967296LL)), Error);
  EXPECT_THROW(default_sql(Col("a", "boolean").def("true")), Error);
  EXPECT_THROW(default_sql(Col("a", "string").def(1)), Error);
  EXPECT_THROW(default_sql(Col("a", "string").now()), Error);
  EXPECT_THROW(default_sql(Col("a", "timestamp").def("yesterday")), Error);
  EXPECT_THROW(default_sql(Col("a", "bytes").def("***")), Error);
  EXPECT_THROW(default_sql(Col("a", "array").def(json::object())), Error);
}

TEST(Ddl, ColumnAndKeyDefinitions) {
  EXPECT_EQ(column_definition(Col("title", "string")), "\"title\" text NOT NULL");
  EXPECT_EQ(column_definition(Col("slug", "string").null()), "\"slug\" text");
  EXPECT_EQ(column_definition(Col("n", "int").def(0)), "\"n\" integer NOT NULL DEFAULT 0");
  EXPECT_EQ(column_definition(Col("at", "timestamp").now()), "\"at\" timestamptz NOT NULL DEFAULT now()");
  EXPECT_EQ(primary_key_definition(test::pk("ulid")), "\"id\" text PRIMARY KEY");
  EXPECT_EQ(primary_key_definition(test::pk("uuid_v7")), "\"id\" text PRIMARY KEY");
  EXPECT_EQ(primary_key_definition(test::pk("client", "bigint", "code")), "\"code\" bigint PRIMARY KEY");
  EXPECT_EQ(primary_key_definition(test::auto_pk()),
            "\"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
}

TEST(Ddl, CreateTableEveryType) {
  auto t = test::table(
      "notebooks",
      {Col("title", "string"), Col("count", "int").def(0), Col("big", "bigint").null(),
       Col("ratio", "float").null(), Col("price", "decimal").def("9.99"),
       Col("archived", "boolean").def(false), Col("meta", "json").null(), Col("opened_at", "timestamp").now(),
       Col("blob", "bytes").null(), Col("cover", "file").null(),
       Col("labels", "array").items("string").null(), Col("slug", "string").null().uniq()},
      test::pk("uuid_v7"));
  EXPECT_EQ(
      create_table(t),
      "CREATE TABLE \"notebooks\" (\"id\" text PRIMARY KEY, \"title\" text NOT NULL, "
      "\"count\" integer NOT NULL DEFAULT 0, \"big\" bigint, \"ratio\" double precision, "
      "\"price\" numeric NOT NULL DEFAULT 9.99, \"archived\" boolean NOT NULL DEFAULT false, "
      "\"meta\" jsonb, \"opened_at\" timestamptz NOT NULL DEFAULT now(), \"blob\" bytea, \"cover\" text, "
      "\"labels\" jsonb, \"slug\" text, CONSTRAINT \"ux_notebooks_slug\" UNIQUE (\"slug\"))");
  EXPECT_EQ(create_table(test::table("pages", {}, test::auto_pk())),
            "CREATE TABLE \"pages\" (\"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)");
}

TEST(Ddl, Statements) {
  EXPECT_EQ(create_index("posts", test::idx("ix_posts_a_b", {"a", "b"})),
            "CREATE INDEX \"ix_posts_a_b\" ON \"posts\" (\"a\", \"b\")");
  EXPECT_EQ(create_index("posts", test::idx("ux_posts_t", {"t"}, true)),
            "CREATE UNIQUE INDEX \"ux_posts_t\" ON \"posts\" (\"t\")");
  EXPECT_EQ(drop_index("ix"), "DROP INDEX \"ix\"");
  EXPECT_EQ(drop_table("posts"), "DROP TABLE \"posts\"");
  EXPECT_EQ(add_column("posts", Col("body", "string").def("")),
            "ALTER TABLE \"posts\" ADD COLUMN \"body\" text NOT NULL DEFAULT ''");
  EXPECT_EQ(drop_column("posts", "extra"), "ALTER TABLE \"posts\" DROP COLUMN \"extra\"");
  EXPECT_EQ(alter_column_type("posts", "n", "bigint"),
            "ALTER TABLE \"posts\" ALTER COLUMN \"n\" TYPE bigint");
  EXPECT_EQ(set_not_null("posts", "t"), "ALTER TABLE \"posts\" ALTER COLUMN \"t\" SET NOT NULL");
  EXPECT_EQ(drop_not_null("posts", "t"), "ALTER TABLE \"posts\" ALTER COLUMN \"t\" DROP NOT NULL");
  EXPECT_EQ(set_default("posts", Col("t", "string").def("x")),
            "ALTER TABLE \"posts\" ALTER COLUMN \"t\" SET DEFAULT 'x'");
  EXPECT_EQ(drop_default("posts", "t"), "ALTER TABLE \"posts\" ALTER COLUMN \"t\" DROP DEFAULT");
  EXPECT_EQ(add_unique("posts", "ux_posts_t", {"t"}),
            "ALTER TABLE \"posts\" ADD CONSTRAINT \"ux_posts_t\" UNIQUE (\"t\")");
  EXPECT_EQ(drop_constraint("posts", "ux_posts_t"), "ALTER TABLE \"posts\" DROP CONSTRAINT \"ux_posts_t\"");
  EXPECT_EQ(
      add_foreign_key("posts", Col("author_id", "string").ref("users", "", "cascade", "no_action"), "id"),
      "ALTER TABLE \"posts\" ADD CONSTRAINT \"fk_posts_author_id\" FOREIGN KEY (\"author_id\") "
      "REFERENCES \"users\" (\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  EXPECT_EQ(fk_action_sql("set_null"), "SET NULL");
  EXPECT_EQ(fk_action_sql("set_default"), "SET DEFAULT");
  EXPECT_EQ(fk_action_sql("restrict"), "RESTRICT");
  EXPECT_THROW(fk_action_sql("explode"), Error);
}

TEST(Ddl, ConstraintNamesAreShortened) {
  std::string t(40, 't'), c(40, 'c');
  EXPECT_EQ(unique_constraint_name("posts", "slug"), "ux_posts_slug");
  EXPECT_EQ(foreign_key_name("posts", "author_id"), "fk_posts_author_id");
  EXPECT_EQ(unique_constraint_name(t, c).size(), 63u);
  EXPECT_EQ(foreign_key_name(t, c).size(), 63u);
  EXPECT_NE(foreign_key_name(t, c), foreign_key_name(t, c + "x"));
}

TEST(Ddl, CreateSchemaOrdersTablesThenIndexesThenForeignKeys) {
  // comments → posts → users → (cycle) users.best_post → posts
  auto s = test::schema({
      test::table("users", {Col("email", "string").uniq(),
                            Col("best_post", "string").null().ref("posts", "", "set_null")}),
      test::table("posts", {Col("author", "string").ref("users"), Col("title", "string")}, test::pk(),
                  {test::idx("ix_posts_title", {"title"})}),
      test::table("comments", {Col("post_id", "bigint").ref("posts", "id", "cascade")}, test::auto_pk()),
  });
  auto stmts = create_schema(s);
  ASSERT_EQ(stmts.size(), 7u);
  EXPECT_EQ(stmts[0],
            "CREATE TABLE \"comments\" (\"id\" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "\"post_id\" bigint NOT NULL)");
  EXPECT_EQ(
      stmts[1],
      "CREATE TABLE \"posts\" (\"id\" text PRIMARY KEY, \"author\" text NOT NULL, \"title\" text NOT NULL)");
  EXPECT_EQ(stmts[2],
            "CREATE TABLE \"users\" (\"id\" text PRIMARY KEY, \"email\" text NOT NULL, \"best_post\" text, "
            "CONSTRAINT \"ux_users_email\" UNIQUE (\"email\"))");
  EXPECT_EQ(stmts[3], "CREATE INDEX \"ix_posts_title\" ON \"posts\" (\"title\")");
  EXPECT_EQ(stmts[4],
            "ALTER TABLE \"comments\" ADD CONSTRAINT \"fk_comments_post_id\" FOREIGN KEY (\"post_id\") "
            "REFERENCES \"posts\" (\"id\") ON DELETE CASCADE ON UPDATE RESTRICT");
  EXPECT_EQ(stmts[5],
            "ALTER TABLE \"posts\" ADD CONSTRAINT \"fk_posts_author\" FOREIGN KEY (\"author\") "
            "REFERENCES \"users\" (\"id\") ON DELETE RESTRICT ON UPDATE RESTRICT");
  EXPECT_EQ(stmts[6],
            "ALTER TABLE \"users\" ADD CONSTRAINT \"fk_users_best_post\" FOREIGN KEY (\"best_post\") "
            "REFERENCES \"posts\" (\"id\") ON DELETE SET NULL ON UPDATE RESTRICT");
}

TEST(Ddl, ReferencedColumnDefaultsToTargetPk) {
  auto s = test::schema({test::table("teams", {}, test::pk("client", "bigint", "code"))});
  EXPECT_EQ(referenced_column(Col("team", "bigint").ref("teams"), s), "code");
  EXPECT_EQ(referenced_column(Col("team", "bigint").ref("teams", "other"), s), "other");
  EXPECT_EQ(referenced_column(Col("x", "string").ref("unknown"), s), "id");
}

TEST(Ddl, DefaultMatchesLiveExpressions) {
  // The forms pg_get_expr prints (PostgreSQL 15, TimeZone=UTC, DateStyle=ISO).
  EXPECT_TRUE(default_matches(Col("a", "string"), ""));
  EXPECT_FALSE(default_matches(Col("a", "string"), "'x'::text"));
  EXPECT_TRUE(default_matches(Col("a", "string").def("it's \\ ok"), "'it''s \\ ok'::text"));
  EXPECT_TRUE(default_matches(Col("a", "string").def(""), "''::text"));
  EXPECT_FALSE(default_matches(Col("a", "string").def("a"), "'b'::text"));
  EXPECT_FALSE(default_matches(Col("a", "string").def("a"), ""));
  EXPECT_TRUE(default_matches(Col("a", "int").def(-42), "'-42'::integer"));
  EXPECT_TRUE(default_matches(Col("a", "int").def(42), "42"));
  EXPECT_FALSE(default_matches(Col("a", "int").def(42), "43"));
  EXPECT_TRUE(default_matches(Col("a", "bigint").def("5"), "5"));
  EXPECT_TRUE(default_matches(Col("a", "bigint").def("9007199254740993"), "'9007199254740993'::bigint"));
  EXPECT_TRUE(default_matches(Col("a", "decimal").def("1.50"), "1.50"));
  EXPECT_TRUE(default_matches(Col("a", "decimal").def("10"), "10"));
  EXPECT_TRUE(default_matches(Col("a", "decimal").def("-1.5"), "'-1.5'::numeric"));
  EXPECT_TRUE(default_matches(Col("a", "decimal").def(1000), "'1000'::numeric"));
  EXPECT_FALSE(default_matches(Col("a", "decimal").def("1.5"), "1.6"));
  EXPECT_TRUE(default_matches(Col("a", "float").def(1.5), "1.5"));
  EXPECT_TRUE(default_matches(Col("a", "float").def(2), "2"));
  EXPECT_TRUE(default_matches(Col("a", "float").def(1e300), "'1" + std::string(300, '0') + "'::numeric"));
  EXPECT_TRUE(default_matches(Col("a", "boolean").def(false), "false"));
  EXPECT_FALSE(default_matches(Col("a", "boolean").def(false), "true"));
  EXPECT_TRUE(default_matches(Col("a", "json").def(json::parse(R"({"b":1,"a":[1,2.0]})")),
                              "'{\"a\": [1, 2.0], \"b\": 1}'::jsonb"));
  EXPECT_FALSE(default_matches(Col("a", "json").def(json::parse(R"({"a":1})")), "'{\"a\": 2}'::jsonb"));
  EXPECT_TRUE(default_matches(Col("a", "timestamp").now(), "now()"));
  EXPECT_TRUE(default_matches(Col("a", "timestamp").now(), "CURRENT_TIMESTAMP"));
  EXPECT_FALSE(default_matches(Col("a", "timestamp").now(), ""));
  EXPECT_TRUE(default_matches(Col("a", "timestamp").def("2024-01-01T00:00:00.123Z"),
                              "'2024-01-01 00:00:00.123+00'::timestamp with time zone"));
  EXPECT_TRUE(default_matches(Col("a", "timestamp").def("2024-01-01T09:00:00+09:00"),
                              "'2024-01-01 00:00:00+00'::timestamp with time zone"));
  EXPECT_TRUE(default_matches(Col("a", "bytes").def("AQI="), "'\\x0102'::bytea"));
  EXPECT_FALSE(default_matches(Col("a", "string").def("x"), "upper('x'::text)"));
  EXPECT_FALSE(default_matches(Col("a", "int").def(1), "nextval('s'::regclass)"));
}
