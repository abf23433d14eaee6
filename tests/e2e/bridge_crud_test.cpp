// santokit-bridge CRUD operations end to end (spec bridge-crud §5, §7, §12; DESIGN.md Decisions 2 and 4):
// select projection/order/paging/count/keyset, insert single+batch with every PK generator and type, update,
// delete, the update/delete safety gate, the row cap, and the REST aliases.
#include <set>

#include "bridge_fixture.hpp"

using namespace stk::e2e;

namespace {

constexpr int kCap = 100;  // STK_SELECT_MAX_ROWS for this suite

class BridgeCrud : public BridgeSuite<BridgeCrud> {
 public:
  static BridgeStack::Options options() {
    return {{{"STK_SELECT_MAX_ROWS", std::to_string(kCap)}, {"STK_RESPONSE_BODY_MAX_SIZE_MB", "1"}},
            {"admin", "writer"}};
  }

 protected:
  static std::string count_of(const std::string& table, const std::string& t) {
    return s().sql("SELECT count(*) FROM " + table + " WHERE batch = '" + t + "'").at(0);
  }
  // Inserts counters rows {grp, n} tagged with `t`; returns their ids in input order.
  static std::vector<std::string> add_counters(const std::string& t,
                                               const std::vector<std::pair<std::string, int>>& rows) {
    OJ values = OJ::array();
    for (const auto& [g, n] : rows) values.push_back({{"grp", g}, {"n", n}, {"batch", t}});
    auto r = s().insert("admin", "counters", values);
    EXPECT_TRUE(IsOk(r));
    return strings_of(r.data(), "id");
  }
};

TEST_F(BridgeCrud, InsertSingleRowReturnsArrayWithGeneratedIdAndDefaults) {
  auto t = tag();
  auto r = s().insert("admin", "books", J(R"({"title": "Dune", "batch": "@T"})", t));
  ASSERT_OK(r);
  ASSERT_TRUE(r.data().is_array()) << r.describe();
  ASSERT_EQ(r.data().size(), 1u);
  const auto& row = r.data()[0];
  EXPECT_EQ(row["title"], "Dune");
  EXPECT_EQ(row["status"], "draft");  // database default
  EXPECT_EQ(row["sold"], "0");        // bigint default, as a string
  EXPECT_EQ(row["in_print"], true);
  EXPECT_TRUE(row["genre"].is_null());
  ASSERT_TRUE(row["id"].is_string());
  auto id = row["id"].get<std::string>();
  EXPECT_EQ(s().sql("SELECT title, status FROM books WHERE id = '" + id + "'"),
            std::vector<std::string>{"Dune\tdraft"});
}

TEST_F(BridgeCrud, EveryPrimaryKeyGenerator) {
  auto t = tag();
  // ulid: 26 chars of Crockford base32.
  auto ulid = s().insert("admin", "regions", J(R"({"name": "@T"})", t));
  ASSERT_OK(ulid);
  EXPECT_TRUE(matches(ulid.data()[0]["id"].get<std::string>(), "[0-9A-HJKMNP-TV-Z]{26}")) << ulid.describe();
  // uuid_v7 and uuid_v4: canonical lowercase, version nibble, RFC 4122 variant.
  auto v7 = s().insert("admin", "teams", J(R"({"name": "@T"})", t));
  ASSERT_OK(v7);
  EXPECT_TRUE(matches(v7.data()[0]["id"].get<std::string>(),
                      "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"))
      << v7.describe();
  auto v4 = s().insert("admin", "authors", J(R"({"handle": "@T"})", t));
  ASSERT_OK(v4);
  EXPECT_TRUE(matches(v4.data()[0]["id"].get<std::string>(),
                      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"))
      << v4.describe();
  // nanoid: 21 chars of A-Za-z0-9_-; distinct per row.
  auto nano =
      s().insert("admin", "books", J(R"([{"title": "a", "batch": "@T"}, {"title": "b", "batch": "@T"}])", t));
  ASSERT_OK(nano);
  ASSERT_EQ(nano.data().size(), 2u);
  for (const auto& row : nano.data())
    EXPECT_TRUE(matches(row["id"].get<std::string>(), "[A-Za-z0-9_-]{21}")) << nano.describe();
  EXPECT_NE(nano.data()[0]["id"], nano.data()[1]["id"]);
  // auto_increment: a bigint from the database, as a decimal string, increasing.
  auto c1 = s().insert("admin", "counters", J(R"({"grp": "g", "n": 1, "batch": "@T"})", t));
  auto c2 = s().insert("admin", "counters", J(R"({"grp": "g", "n": 2, "batch": "@T"})", t));
  ASSERT_OK(c1);
  ASSERT_OK(c2);
  ASSERT_TRUE(c1.data()[0]["id"].is_string()) << c1.describe();
  auto id1 = c1.data()[0]["id"].get<std::string>(), id2 = c2.data()[0]["id"].get<std::string>();
  EXPECT_TRUE(matches(id1, "[1-9][0-9]*")) << id1;
  EXPECT_GT(std::stoll(id2), std::stoll(id1));
  // client: the caller must send it; a string PK and a bigint PK (JSON integer accepted, output a string).
  EXPECT_ERROR(s().insert("admin", "vaults", J(R"({"secret": "s"})")), 400, "BAD_REQUEST");
  auto vault = s().insert("admin", "vaults", J(R"({"id": "vault-@T", "secret": "s"})", t));
  ASSERT_OK(vault);
  EXPECT_EQ(vault.data()[0]["id"], "vault-" + t);
  EXPECT_ERROR(s().insert("admin", "tickets", J(R"({"subject": "s"})")), 400, "BAD_REQUEST");
  auto big = s().insert("admin", "tickets", J(R"({"id": "9007199254740993", "subject": "big"})"));
  ASSERT_OK(big);
  EXPECT_EQ(big.data()[0]["id"], "9007199254740993");
  auto small = s().insert("admin", "tickets", J(R"({"id": 42, "subject": "small"})"));
  ASSERT_OK(small);
  EXPECT_EQ(small.data()[0]["id"], "42");
  EXPECT_EQ(s().sql("SELECT subject FROM tickets WHERE id = 9007199254740993"),
            std::vector<std::string>{"big"});
}

TEST_F(BridgeCrud, GeneratedPrimaryKeyMustNotBeSupplied) {
  auto t = tag();
  EXPECT_ERROR(s().insert("admin", "regions", J(R"({"id": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "name": "x"})")), 400,
               "BAD_REQUEST");
  EXPECT_ERROR(
      s().insert("admin", "teams", J(R"({"id": "0190a0a0-0000-7000-8000-000000000000", "name": "x"})")), 400,
      "BAD_REQUEST");
  EXPECT_ERROR(s().insert("admin", "books", J(R"({"id": "abc", "title": "x", "batch": "@T"})", t)), 400,
               "BAD_REQUEST");
  EXPECT_ERROR(s().insert("admin", "counters", J(R"({"id": "5", "grp": "x", "n": 1, "batch": "@T"})", t)),
               400, "BAD_REQUEST");
  EXPECT_EQ(count_of("books", t), "0");
  EXPECT_EQ(count_of("counters", t), "0");
}

TEST_F(BridgeCrud, BatchInsertReturnsRowsInInputOrder) {
  auto t = tag();
  auto r = s().insert("admin", "books",
                      J(R"([{"title": "one", "batch": "@T"}, {"title": "two", "pages": 2,
      "batch": "@T"}, {"title": "three", "genre": "sf", "batch": "@T"}])",
                        t));
  ASSERT_OK(r);
  EXPECT_EQ(strings_of(r.data(), "title"), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(column_values(r.data(), "pages"), (std::vector<std::string>{"null", "2", "null"}));
  EXPECT_EQ(r.data()[2]["genre"], "sf");
  EXPECT_EQ(count_of("books", t), "3");
}

TEST_F(BridgeCrud, BatchInsertIsAllOrNothing) {
  auto t = tag();
  // One invalid row (validation before SQL) rejects the whole batch.
  auto bad = s().insert(
      "admin", "books",
      J(R"([{"title": "ok1", "batch": "@T"}, {"title": "ok2", "batch": "@T"}, {"title": "bad", "pages": "many",
      "batch": "@T"}])",
        t));
  EXPECT_ERROR(bad, 400, "BAD_REQUEST");
  EXPECT_EQ(count_of("books", t), "0");
  // A row the database rejects (duplicate unique isbn inside the batch) also writes nothing.
  auto dup = s().insert("admin", "books",
                        J(R"([{"title": "a", "isbn": "isbn-@T", "batch": "@T"}, {"title": "b", "batch": "@T"},
                        {"title": "c", "isbn": "isbn-@T", "batch": "@T"}])",
                          t));
  EXPECT_ERROR(dup, 409, "CONFLICT");
  EXPECT_EQ(count_of("books", t), "0");
}

TEST_F(BridgeCrud, InsertPayloadShape) {
  auto t = tag();
  // `data` is an alias of `values`.
  auto alias = s().call("admin", "db/books/insert", J(R"({"data": {"title": "alias", "batch": "@T"}})", t));
  ASSERT_OK(alias);
  EXPECT_EQ(alias.data()[0]["title"], "alias");
  auto bad = [&](const std::string& params) {
    EXPECT_ERROR(s().call("admin", "db/books/insert", J(params, t)), 400, "BAD_REQUEST") << params;
  };
  bad(R"({"values": {"title": "x", "batch": "@T"}, "data": {"title": "y", "batch": "@T"}})");  // both
  bad(R"({})");                                                                                // neither
  bad(R"({"values": []})");                                                                    // empty batch
  bad(R"({"values": [{"title": "x", "batch": "@T"}, 5]})");        // non-object element
  bad(R"({"values": "title=x"})");                                 // not an object
  bad(R"({"values": {"title": "x", "nope": 1, "batch": "@T"}})");  // unknown column
  bad(R"({"values": {"genre": "no title", "batch": "@T"}})");      // non-nullable column without default
  bad(R"({"values": {"title": null, "batch": "@T"}})");            // null for a non-nullable column
  bad(R"({"values": {"title": "x", "batch": "@T"}, "where": {"title": "x"}})");  // unknown param key
  EXPECT_EQ(count_of("books", t), "1");
}

TEST_F(BridgeCrud, InsertValidatesEveryType) {
  auto t = tag();
  struct Case {
    const char* column;
    const char* value;
  };
  const Case cases[] = {
      {"title", "5"},
      {"pages", "1.5"},
      {"pages", "\"12\""},
      {"pages", "true"},
      {"rating", "\"fast\""},
      {"price", "\"twelve\""},
      {"sold", "\"12x\""},
      {"sold", "1.5"},
      {"in_print", "\"yes\""},
      {"in_print", "1"},
      {"published_at", "\"yesterday\""},
      {"published_at", "1700000000"},
      {"labels", "\"a,b\""},
      {"labels", "{\"a\": 1}"},
      {"scores", "[1, null]"},
      {"cover", "\"not base64 !!\""},
      {"genre", "[\"sf\"]"},
      {"isbn", "{}"},
      {"pages", "3000000000"},               // beyond a 32-bit int
      {"sold", "\"99999999999999999999\""},  // beyond a 64-bit bigint
  };
  for (const auto& c : cases) {
    std::string body =
        std::string(R"({"title": "typed", "batch": "@T", ")") + c.column + "\": " + c.value + "}";
    if (std::string(c.column) == "title") body = std::string(R"({"batch": "@T", "title": )") + c.value + "}";
    auto r = s().insert("admin", "books", J(body, t));
    EXPECT_ERROR(r, 400, "BAD_REQUEST") << c.column << " = " << c.value;
  }
  EXPECT_EQ(count_of("books", t), "0");
}

TEST_F(BridgeCrud, ArrayValidationNamesColumnAndIndex) {
  auto t = tag();
  auto r = s().insert("admin", "books", J(R"({"title": "x", "scores": [1, "2", 3], "batch": "@T"})", t));
  EXPECT_ERROR(r, 400, "BAD_REQUEST");
  EXPECT_TRUE(contains(r.message(), "scores")) << r.message();
  EXPECT_TRUE(contains(r.message(), "1")) << r.message();  // index 1
  auto labels =
      s().insert("admin", "books", J(R"({"title": "x", "labels": ["a", "b", 3], "batch": "@T"})", t));
  EXPECT_ERROR(labels, 400, "BAD_REQUEST");
  EXPECT_TRUE(contains(labels.message(), "labels")) << labels.message();
  EXPECT_TRUE(contains(labels.message(), "2")) << labels.message();
  // Nested arrays are validated recursively.
  auto grid =
      s().insert("admin", "books", J(R"({"title": "x", "grid": [[1, 2], [3, "4"]], "batch": "@T"})", t));
  EXPECT_ERROR(grid, 400, "BAD_REQUEST");
  EXPECT_TRUE(contains(grid.message(), "grid")) << grid.message();
  auto flat = s().insert("admin", "books", J(R"({"title": "x", "grid": [1, 2], "batch": "@T"})", t));
  EXPECT_ERROR(flat, 400, "BAD_REQUEST");
  // In update too, with no partial write.
  auto ok = s().insert("admin", "books",
                       J(R"({"title": "arr", "scores": [], "grid": [[], [1]], "batch": "@T"})", t));
  ASSERT_OK(ok);
  EXPECT_EQ(ok.data()[0]["scores"], OJ::array());
  auto upd = s().update("admin", "books", J(R"({"batch": "@T"})", t),
                        J(R"({"title": "changed", "scores": [1, 2.5]})"));
  EXPECT_ERROR(upd, 400, "BAD_REQUEST");
  EXPECT_TRUE(contains(upd.message(), "scores")) << upd.message();
  EXPECT_EQ(s().sql("SELECT title FROM books WHERE batch = '" + t + "'"), std::vector<std::string>{"arr"});
  EXPECT_EQ(count_of("books", t), "1");
}

TEST_F(BridgeCrud, TypesRoundTripInWireFormat) {
  auto t = tag();
  auto r = s().insert("admin", "books",
                      J(R"({"title": "Types", "genre": "sf", "pages": 412, "rating": 4.5,
      "price": "12.50", "sold": "9007199254740993", "in_print": false, "published_at": "2024-05-01T10:00:00+02:00",
      "labels": ["classic", "desert"], "scores": [5, 4], "grid": [[1], [2, 3]], "meta": {"k": [1, {"x": null}], "s": "v"},
      "cover": "aGVsbG8=", "batch": "@T"})",
                        t));
  ASSERT_OK(r);
  auto id = r.data()[0]["id"].get<std::string>();
  auto sel = s().select("admin", "books", J(R"({"where": {"id": "@T"}})", id));
  ASSERT_OK(sel);
  ASSERT_EQ(sel.data().size(), 1u);
  for (const auto& row : {r.data()[0], sel.data()[0]}) {
    EXPECT_EQ(row["pages"], 412);
    EXPECT_DOUBLE_EQ(row["rating"].get<double>(), 4.5);
    EXPECT_EQ(row["price"], "12.50");
    EXPECT_EQ(row["sold"], "9007199254740993");  // bigint: always a string, exact
    EXPECT_EQ(row["in_print"], false);
    ASSERT_TRUE(row["published_at"].is_string()) << row.dump();
    EXPECT_TRUE(matches(row["published_at"].get<std::string>(),
                        R"(2024-05-01T08:00:00(\.0+)?(Z|\+00:00))"))
        << row["published_at"];  // RFC 3339, UTC
    EXPECT_JSON_EQ(row["labels"], J(R"(["classic", "desert"])"));
    EXPECT_EQ(row["scores"], J("[5, 4]"));
    EXPECT_EQ(row["grid"], J("[[1], [2, 3]]"));
    EXPECT_JSON_EQ(row["meta"], J(R"({"k": [1, {"x": null}], "s": "v"})"));
    EXPECT_EQ(row["cover"], "aGVsbG8=");
  }
  EXPECT_EQ(
      s().sql("SELECT encode(cover, 'escape'), sold::text, published_at = '2024-05-01T08:00:00Z' FROM books "
              "WHERE id = '" +
              id + "'"),
      std::vector<std::string>{"hello\t9007199254740993\tt"});
  // bigint input MAY be a JSON integer; output is a string.
  auto n = s().insert("admin", "books", J(R"({"title": "n", "sold": 42, "batch": "@T"})", t));
  ASSERT_OK(n);
  EXPECT_EQ(n.data()[0]["sold"], "42");
  // json columns take any JSON value, including a bare string or null.
  auto js = s().insert("admin", "books", J(R"({"title": "j", "meta": "just a string", "batch": "@T"})", t));
  ASSERT_OK(js);
  EXPECT_EQ(js.data()[0]["meta"], "just a string");
}

// Without count the Bridge writes each row's JSON from the stored columns; with count PostgreSQL writes it
// (json_build_object). A caller must not be able to tell which: the same JSON for every type and awkward
// value.
TEST_F(BridgeCrud, RowsReadTheSameWhoeverWritesThem) {
  auto t = tag();
  s().sql(
      "INSERT INTO books (id, title, pages, rating, price, sold, in_print, published_at, labels, grid, meta, "
      "cover, batch) VALUES "
      "('w1', E'quote \" back \\\\ nl \\n tab \\t ctl \\x01 del \\x7f é 😀', -2147483648, 'NaN', 'NaN', "
      "-9223372036854775808, true, '0044-03-15 12:00:00+00 BC', '[\"a\\\"b\", \"é\"]', '[[1], []]', "
      "'{\"k\": [1, {\"x\": null}], \"s\": \"v\\n\"}', '\\x00ff10', '" +
      t +
      "'), "
      "('w2', 'plain', 0, 'Infinity', '112.5900', 0, false, 'infinity', '[]', NULL, 'null', '', '" +
      t +
      "'), "
      "('w3', 'nulls', NULL, 1e100, NULL, 9223372036854775807, true, '2024-05-01 10:00:00.5+02', NULL, "
      "NULL, NULL, NULL, '" +
      t +
      "'), "
      "('w4', 'tiny', 7, -1.5e-7, '-0.000001', 1, true, '2024-02-29 23:59:59.999999+00', NULL, NULL, "
      "'\"text\"', NULL, '" +
      t + "')");
  const std::string where = R"({"where": {"batch": "@T"}, "orderBy": {"id": "asc"})";
  auto rows = s().select("admin", "books", J(where + "}", t));
  auto counted = s().select("admin", "books", J(where + R"(, "count": "exact"})", t));
  ASSERT_OK(rows);
  ASSERT_OK(counted);
  ASSERT_EQ(rows.data().size(), 4u) << rows.raw;
  EXPECT_EQ(rows.data(), counted.data()) << rows.raw << "\n" << counted.raw;
  EXPECT_EQ(counted.body["meta"]["count"], 4);
  const auto& w1 = rows.data()[0];
  EXPECT_EQ(w1["title"], "quote \" back \\ nl \n tab \t ctl \x01 del \x7f é 😀");
  EXPECT_EQ(w1["pages"], -2147483648LL);
  EXPECT_EQ(w1["rating"], "NaN");
  EXPECT_EQ(w1["price"], "NaN");
  EXPECT_EQ(w1["sold"], "-9223372036854775808");
  EXPECT_EQ(w1["in_print"], true);
  EXPECT_EQ(w1["published_at"], "0044-03-15T12:00:00.000000Z");
  EXPECT_EQ(w1["labels"], J(R"(["a\"b", "é"])"));
  EXPECT_EQ(w1["meta"], J(R"({"k": [1, {"x": null}], "s": "v\n"})"));
  EXPECT_EQ(w1["cover"], "AP8Q");
  const auto& w2 = rows.data()[1];
  EXPECT_EQ(w2["rating"], "Infinity");
  EXPECT_EQ(w2["price"], "112.5900");
  EXPECT_EQ(w2["published_at"], nullptr);
  EXPECT_EQ(w2["meta"], nullptr);  // JSON null in a json column
  EXPECT_EQ(w2["cover"], "");
  EXPECT_EQ(w2["grid"], nullptr);
  const auto& w3 = rows.data()[2];
  EXPECT_EQ(w3["pages"], nullptr);
  EXPECT_DOUBLE_EQ(w3["rating"].get<double>(), 1e100);
  EXPECT_EQ(w3["sold"], "9223372036854775807");
  EXPECT_EQ(w3["published_at"], "2024-05-01T08:00:00.500000Z");
  EXPECT_EQ(w3["cover"], nullptr);
  const auto& w4 = rows.data()[3];
  EXPECT_DOUBLE_EQ(w4["rating"].get<double>(), -1.5e-7);
  EXPECT_EQ(w4["price"], "-0.000001");
  EXPECT_EQ(w4["published_at"], "2024-02-29T23:59:59.999999Z");
  EXPECT_EQ(w4["meta"], "text");
  // Writes return their rows the same way.
  auto upd = s().update("admin", "books", J(R"({"batch": "@T"})", t), J(R"({"genre": "g"})"));
  ASSERT_OK(upd);
  auto after = s().select("admin", "books", J(where + R"(, "count": "exact"})", t));
  ASSERT_OK(after);
  std::map<std::string, OJ> updated;
  for (const auto& row : upd.data()) updated[row["id"].get<std::string>()] = row;
  ASSERT_EQ(updated.size(), 4u) << upd.raw;
  for (const auto& row : after.data()) EXPECT_EQ(updated[row["id"].get<std::string>()], row) << upd.raw;
  // Keys in the release's column order, spaced and escaped as json_build_object writes them.
  EXPECT_TRUE(contains(rows.raw, R"({"data":[{"id" : "w1", "author_id" : null, "batch" : ")")) << rows.raw;
  EXPECT_TRUE(contains(rows.raw, R"("title" : "quote \" back \\ nl \n tab \t ctl \u0001 del )")) << rows.raw;
}

// Expanded rows arrive as records the Bridge writes without count, and as JSON PostgreSQL builds with count:
// the same JSON either way, for awkward text, empty strings, NULLs and missing related rows at every depth.
TEST_F(BridgeCrud, ExpandedRowsReadTheSameWhoeverWritesThem) {
  auto t = tag();
  std::string rows_sql = R"(INSERT INTO orgs (id, name) VALUES ('xo-@T', E'Org, "the" (first) \\ back');
    INSERT INTO teams (id, name, org_id) VALUES ('xt1-@T', '', 'xo-@T'), ('xt2-@T', ' lead, space', NULL);
    INSERT INTO authors (id, handle, email, team_id) VALUES
      ('xa1-@T', E'h\\ "q" (p), c ()', NULL, 'xt1-@T'), ('xa2-@T', 'x-@T', '', 'xt2-@T');
    INSERT INTO books (id, title, author_id, batch) VALUES
      ('x1-@T', 'one', 'xa1-@T', '@T'), ('x2-@T', 'two', 'xa2-@T', '@T'), ('x3-@T', 'three', NULL, '@T'))";
  for (auto at = rows_sql.find("@T"); at != std::string::npos; at = rows_sql.find("@T", at + t.size()))
    rows_sql.replace(at, 2, t);
  s().sql(rows_sql);
  const std::string q =
      R"({"where": {"batch": "@T"}, "orderBy": {"id": "asc"}, "expand": ["author.team.org"])";
  auto rows = s().select("admin", "books", J(q + "}", t));
  auto counted = s().select("admin", "books", J(q + R"(, "count": "exact"})", t));
  ASSERT_OK(rows);
  ASSERT_OK(counted);
  ASSERT_EQ(rows.data().size(), 3u) << rows.raw;
  EXPECT_EQ(rows.data(), counted.data()) << rows.raw << "\n" << counted.raw;
  const auto& a1 = rows.data()[0]["author"];
  EXPECT_EQ(a1["handle"], "h\\ \"q\" (p), c ()") << rows.raw;
  EXPECT_EQ(a1["email"], nullptr);
  EXPECT_EQ(a1["team"]["name"], "");
  EXPECT_EQ(a1["team"]["org"]["name"], "Org, \"the\" (first) \\ back");
  const auto& a2 = rows.data()[1]["author"];
  EXPECT_EQ(a2["email"], "");
  EXPECT_EQ(a2["team"]["name"], " lead, space");
  EXPECT_EQ(a2["team"]["org"], nullptr);
  EXPECT_EQ(rows.data()[2]["author"], nullptr);
}

TEST_F(BridgeCrud, SelectProjection) {
  auto t = tag();
  ASSERT_OK(s().insert("admin", "books", J(R"({"title": "P", "pages": 7, "batch": "@T"})", t)));
  auto two =
      s().select("admin", "books", J(R"({"where": {"batch": "@T"}, "select": ["title", "pages"]})", t));
  ASSERT_OK(two);
  ASSERT_EQ(two.data().size(), 1u);
  EXPECT_EQ(sorted_keys(two.data()[0]), (std::vector<std::string>{"pages", "title"}));
  EXPECT_EQ(two.data()[0]["pages"], 7);
  std::vector<std::string> all = {"author_id",    "batch",  "cover",  "genre", "grid",   "id",
                                  "in_print",     "isbn",   "labels", "meta",  "pages",  "price",
                                  "published_at", "rating", "scores", "sold",  "status", "title"};
  std::sort(all.begin(), all.end());
  for (const char* star : {R"("*")", R"(["*"])"}) {
    auto r = s().select("admin", "books",
                        J(std::string(R"({"where": {"batch": "@T"}, "select": )") + star + "}", t));
    ASSERT_OK(r);
    EXPECT_JSON_EQ(sorted_keys(r.data()[0]), all) << star;
  }
  auto dflt = s().select("admin", "books", J(R"({"where": {"batch": "@T"}})", t));
  ASSERT_OK(dflt);
  EXPECT_EQ(sorted_keys(dflt.data()[0]), all);
  for (const char* bad : {R"([])", R"(["nope"])", R"(["title", "nope"])", R"(5)", R"("title")", R"([1])"}) {
    auto r = s().select("admin", "books",
                        J(std::string(R"({"where": {"batch": "@T"}, "select": )") + bad + "}", t));
    EXPECT_ERROR(r, 400, "BAD_REQUEST") << "select: " << bad;
  }
}

TEST_F(BridgeCrud, OrderByAppliesKeysInJsonOrderWithPrimaryKeyTiebreak) {
  auto t = tag();
  auto ids = add_counters(t, {{"b", 1}, {"a", 2}, {"b", 2}, {"a", 1}, {"a", 2}, {"b", 1}});
  ASSERT_EQ(ids.size(), 6u);
  auto order = [&](const std::string& order_by) {
    auto r = s().select("admin", "counters",
                        J(std::string(R"({"where": {"batch": "@T"}, "orderBy": )") + order_by + "}", t));
    EXPECT_TRUE(IsOk(r)) << order_by;
    return strings_of(r.data(), "id");
  };
  // grp asc, then n desc, then id asc for the exact ties (rows 1/4 and 0/5).
  EXPECT_EQ(order(R"({"grp": "asc", "n": "desc"})"),
            (std::vector<std::string>{ids[1], ids[4], ids[3], ids[2], ids[0], ids[5]}));
  // Same keys, other order: n desc first.
  EXPECT_EQ(order(R"({"n": "desc", "grp": "asc"})"),
            (std::vector<std::string>{ids[1], ids[4], ids[2], ids[3], ids[0], ids[5]}));
  // Only ties apart from the PK: ascending PK.
  EXPECT_EQ(order(R"({"grp": "desc"})"),
            (std::vector<std::string>{ids[0], ids[2], ids[5], ids[1], ids[3], ids[4]}));
  EXPECT_EQ(order(R"({"id": "desc"})"),
            (std::vector<std::string>{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}));
  auto empty = s().select("admin", "counters", J(R"({"where": {"batch": "@T"}, "orderBy": {}})", t));
  ASSERT_OK(empty);
  EXPECT_EQ(empty.data().size(), 6u);
  for (const char* bad : {R"({"grp": "ASC"})", R"({"grp": "up"})", R"({"grp": 1})", R"({"nope": "asc"})",
                          R"(["grp"])", R"("grp")"}) {
    auto r = s().select("admin", "counters",
                        J(std::string(R"({"where": {"batch": "@T"}, "orderBy": )") + bad + "}", t));
    EXPECT_ERROR(r, 400, "BAD_REQUEST") << "orderBy: " << bad;
  }
}

TEST_F(BridgeCrud, LimitAndOffset) {
  auto t = tag();
  add_counters(t, {{"g", 1}, {"g", 2}, {"g", 3}, {"g", 4}, {"g", 5}});
  auto page = [&](const std::string& extra) {
    auto r =
        s().select("admin", "counters",
                   J(std::string(R"({"where": {"batch": "@T"}, "orderBy": {"n": "asc"})") + extra + "}", t));
    EXPECT_TRUE(IsOk(r)) << extra;
    return column_values(r.data(), "n");
  };
  EXPECT_EQ(page(R"(, "limit": 2)"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(page(R"(, "limit": 2, "offset": 1)"), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(page(R"(, "offset": 3)"), (std::vector<std::string>{"4", "5"}));
  EXPECT_EQ(page(R"(, "limit": 0)"), std::vector<std::string>{});
  EXPECT_EQ(page(R"(, "offset": 50)"), std::vector<std::string>{});
  // Non-negative JSON integers only (raw bodies: the exponent form must reach the Bridge as written).
  for (const char* bad :
       {R"("limit": -1)", R"("limit": 1.5)", R"("limit": "2")", R"("limit": true)", R"("limit": 1e1)",
        R"("offset": -1)", R"("offset": 0.5)", R"("offset": "1")", R"("offset": false)"}) {
    std::string body = std::string(R"({"path": "db/counters/select", "params": {"where": {"batch": ")") + t +
                       R"("}, )" + bad + "}}";
    auto r = s().post_call(body, s().with_key("admin"));
    EXPECT_ERROR(r, 400, "BAD_REQUEST") << bad;
  }
}

TEST_F(BridgeCrud, RowCapRejectsInsteadOfTruncating) {
  auto t = tag();
  OJ values = OJ::array();
  for (int i = 0; i < kCap + 1; ++i) values.push_back({{"grp", "cap"}, {"n", i}, {"batch", t}});
  ASSERT_OK(s().insert("admin", "counters", values));
  auto where = J(R"({"batch": "@T"})", t);
  // An explicit limit above the cap.
  EXPECT_ERROR(s().select("admin", "counters", OJ{{"where", where}, {"limit", kCap + 1}}), 400,
               "BAD_REQUEST");
  auto at_cap = s().select("admin", "counters", OJ{{"where", where}, {"limit", kCap}});
  ASSERT_OK(at_cap);
  EXPECT_EQ(at_cap.data().size(), size_t(kCap));
  // An unlimited select matching more rows than the cap: 400 (paginate), never a silent cut.
  EXPECT_ERROR(s().select("admin", "counters", OJ{{"where", where}}), 400, "BAD_REQUEST");
  // Exactly the cap without a limit is fine.
  auto n_lt = J(R"({"batch": "@T", "n": {"$lt": 100}})", t);
  auto exact = s().select("admin", "counters", OJ{{"where", n_lt}});
  ASSERT_OK(exact);
  EXPECT_EQ(exact.data().size(), size_t(kCap));
  auto del = s().remove("admin", "counters", where);
  ASSERT_OK(del);
  EXPECT_EQ(del.data()["affected"], kCap + 1);
}

// STK_RESPONSE_BODY_MAX_SIZE_MB (1 here): a larger answer is a 500 that says what to do, never a cut array;
// both select forms (rows joined by the Bridge, and the aggregate PostgreSQL builds when count is asked).
TEST_F(BridgeCrud, ResponsesOverTheSizeLimitAreRefusedNotCut) {
  auto t = tag();
  const std::string long_title(12'000, 'x');
  for (int batch = 0; batch < 5; ++batch) {
    OJ rows = OJ::array();
    for (int i = 0; i < 20; ++i) rows.push_back({{"title", long_title}, {"batch", t}});
    ASSERT_OK(s().insert("admin", "books", rows));
  }
  auto where = J(R"({"batch": "@T"})", t);
  auto half = s().select("admin", "books", OJ{{"where", where}, {"limit", 50}});  // ~600 KB
  ASSERT_OK(half);
  EXPECT_EQ(half.data().size(), 50u);
  EXPECT_EQ(half.data()[49]["title"], long_title);
  for (const auto& params : {OJ{{"where", where}}, OJ{{"where", where}, {"count", "exact"}}}) {
    auto all = s().select("admin", "books", params);  // ~1.2 MB
    EXPECT_ERROR(all, 500, "INTERNAL_ERROR");
    EXPECT_NE(all.describe().find("STK_RESPONSE_BODY_MAX_SIZE_MB"), std::string::npos) << all.describe();
  }
}

TEST_F(BridgeCrud, CountExactInMeta) {
  auto t = tag();
  add_counters(t, {{"x", 1}, {"x", 2}, {"y", 3}, {"x", 4}, {"x", 5}});
  auto r = s().select(
      "admin", "counters",
      J(R"({"where": {"batch": "@T", "grp": "x"}, "orderBy": {"n": "asc"}, "limit": 2, "count": "exact"})",
        t));
  ASSERT_OK(r);
  EXPECT_EQ(r.data().size(), 2u);
  ASSERT_TRUE(r.body.contains("meta")) << r.describe();
  EXPECT_EQ(r.body["meta"]["count"], 4);
  auto zero =
      s().select("admin", "counters", J(R"({"where": {"batch": "@T", "grp": "none"}, "count": "exact"})", t));
  ASSERT_OK(zero);
  EXPECT_EQ(zero.data(), OJ::array());
  EXPECT_EQ(zero.body["meta"]["count"], 0);
  // Off unless asked.
  auto plain = s().select("admin", "counters", J(R"({"where": {"batch": "@T"}})", t));
  ASSERT_OK(plain);
  EXPECT_FALSE(plain.body.contains("meta") && plain.body["meta"].contains("count")) << plain.describe();
  EXPECT_ERROR(s().select("admin", "counters", J(R"({"where": {"batch": "@T"}, "count": "estimated"})", t)),
               400, "BAD_REQUEST");
  EXPECT_ERROR(s().select("admin", "counters", J(R"({"where": {"batch": "@T"}, "count": true})", t)), 400,
               "BAD_REQUEST");
}

TEST_F(BridgeCrud, KeysetPaginationWalksEveryRowOnce) {
  auto t = tag();
  // Ties on (grp, n) so that only the PK tiebreak keeps pages disjoint.
  add_counters(t, {{"b", 1}, {"a", 1}, {"a", 1}, {"c", 0}, {"a", 1}, {"b", 1}, {"a", 0}, {"b", 1}});
  for (const char* order_text : {R"({"grp": "asc", "n": "desc"})", R"({"n": "asc", "grp": "desc"})"}) {
    const std::string order_by = order_text;
    auto full =
        s().select("admin", "counters", J(R"({"where": {"batch": "@T"}, "orderBy": )" + order_by + "}", t));
    ASSERT_OK(full);
    auto expected = strings_of(full.data(), "id");
    ASSERT_EQ(expected.size(), 8u);

    std::vector<std::string> walked;
    // Keyset mode is asked for with `after` (null on the first page; docs/decisions.md).
    OJ params =
        J(R"({"where": {"batch": "@T"}, "orderBy": )" + order_by + R"(, "limit": 3, "after": null})", t);
    for (int pages = 0; pages < 10; ++pages) {
      auto r = s().select("admin", "counters", params);
      ASSERT_OK(r);
      for (const auto& id : strings_of(r.data(), "id")) walked.push_back(id);
      bool has_next = r.body.contains("meta") && r.body["meta"].contains("nextCursor") &&
                      !r.body["meta"]["nextCursor"].is_null();
      if (r.data().size() < 3) {
        EXPECT_FALSE(has_next) << "a short page is the last page: " << r.describe();
        break;
      }
      ASSERT_TRUE(has_next) << "a full page carries meta.nextCursor: " << r.describe();
      ASSERT_TRUE(r.body["meta"]["nextCursor"].is_string());
      params["after"] = r.body["meta"]["nextCursor"];
    }
    EXPECT_JSON_EQ(walked, expected) << order_by;
  }
  EXPECT_ERROR(
      s().select(
          "admin", "counters",
          J(R"({"where": {"batch": "@T"}, "orderBy": {"n": "asc"}, "limit": 3, "after": "garbage!"})", t)),
      400, "BAD_REQUEST");
  EXPECT_ERROR(
      s().select("admin", "counters",
                 J(R"({"where": {"batch": "@T"}, "orderBy": {"n": "asc"}, "limit": 3, "after": 12})", t)),
      400, "BAD_REQUEST");
  // A cursor belongs to its query's order.
  auto first =
      s().select("admin", "counters",
                 J(R"({"where": {"batch": "@T"}, "orderBy": {"n": "asc"}, "limit": 3, "after": null})", t));
  ASSERT_OK(first);
  ASSERT_TRUE(first.body["meta"]["nextCursor"].is_string()) << first.describe();
  OJ other = J(R"({"where": {"batch": "@T"}, "orderBy": {"grp": "desc"}, "limit": 3})", t);
  other["after"] = first.body["meta"]["nextCursor"];
  EXPECT_ERROR(s().select("admin", "counters", other), 400, "BAD_REQUEST");
}

TEST_F(BridgeCrud, UpdateReturnsPostUpdateRows) {
  auto t = tag();
  ASSERT_OK(s().insert("admin", "books",
                       J(R"([{"title": "u1", "pages": 1, "batch": "@T"}, {"title": "u2", "pages": 2,
      "batch": "@T"}, {"title": "u3", "pages": 3, "batch": "@T"}])",
                         t)));
  auto r = s().update("admin", "books", J(R"({"batch": "@T", "pages": {"$gte": 2}})", t),
                      J(R"({"genre": "updated", "labels": ["x"]})"));
  ASSERT_OK(r);
  ASSERT_EQ(r.data().size(), 2u) << r.describe();
  std::set<std::string> titles;
  for (const auto& row : r.data()) {
    titles.insert(row["title"].get<std::string>());
    EXPECT_EQ(row["genre"], "updated");
    EXPECT_JSON_EQ(row["labels"], J(R"(["x"])"));
    EXPECT_TRUE(row.contains("id"));
  }
  EXPECT_EQ(titles, (std::set<std::string>{"u2", "u3"}));
  EXPECT_EQ(s().sql("SELECT title, coalesce(genre, '-') FROM books WHERE batch = '" + t + "' ORDER BY title"),
            (std::vector<std::string>{"u1\t-", "u2\tupdated", "u3\tupdated"}));
  // No match: 200 with an empty list, never 404.
  auto none =
      s().update("admin", "books", J(R"({"batch": "@T", "title": "nope"})", t), J(R"({"genre": "z"})"));
  ASSERT_OK(none);
  EXPECT_EQ(none.data(), OJ::array());
  // Setting a nullable column to null.
  auto nulled =
      s().update("admin", "books", J(R"({"batch": "@T", "title": "u2"})", t), J(R"({"genre": null})"));
  ASSERT_OK(nulled);
  ASSERT_EQ(nulled.data().size(), 1u);
  EXPECT_TRUE(nulled.data()[0]["genre"].is_null());
}

TEST_F(BridgeCrud, UpdateAndDeleteNeedANonEmptyWhere) {
  auto t = tag();
  ASSERT_OK(s().insert("admin", "books",
                       J(R"([{"title": "g1", "batch": "@T"}, {"title": "g2", "batch": "@T"}])", t)));
  auto before = s().sql("SELECT count(*), count(genre) FROM books");
  for (const char* params :
       {R"({"data": {"genre": "all"}})", R"({"where": {}, "data": {"genre": "all"}})",
        R"({"where": null, "data": {"genre": "all"}})", R"({"where": "true", "data": {"genre": "all"}})",
        R"({"where": [], "data": {"genre": "all"}})", R"({"where": {"batch": "@T"}})",
        R"({"where": {"batch": "@T"}, "data": {}})", R"({"where": {"batch": "@T"}, "data": null})",
        R"({"where": {"batch": "@T"}, "data": [{"genre": "x"}]})",
        R"({"where": {"batch": "@T"}, "data": {"nope": 1}})",
        R"({"where": {"batch": "@T"}, "data": {"title": null}})",
        R"({"where": {"batch": "@T"}, "data": {"genre": "x"}, "limit": 1})"}) {
    EXPECT_ERROR(s().call("admin", "db/books/update", J(params, t)), 400, "BAD_REQUEST") << params;
  }
  for (const char* params : {R"({})", R"({"where": {}})", R"({"where": null})", R"({"where": "1=1"})",
                             R"({"where": {"batch": "@T"}, "data": {"x": 1}})"}) {
    EXPECT_ERROR(s().call("admin", "db/books/delete", J(params, t)), 400, "BAD_REQUEST") << params;
  }
  EXPECT_EQ(s().sql("SELECT count(*), count(genre) FROM books"), before);
}

TEST_F(BridgeCrud, UpdateCannotChangeThePrimaryKey) {
  auto t = tag();
  auto r = s().insert("admin", "counters", J(R"({"grp": "pk", "n": 1, "batch": "@T"})", t));
  ASSERT_OK(r);
  auto id = r.data()[0]["id"].get<std::string>();
  EXPECT_ERROR(s().update("admin", "counters", J(R"({"batch": "@T"})", t), J(R"({"id": "999999"})")), 400,
               "BAD_REQUEST");
  EXPECT_ERROR(s().update("admin", "counters", J(R"({"batch": "@T"})", t), J(R"({"id": 999999, "n": 2})")),
               400, "BAD_REQUEST");
  EXPECT_EQ(s().sql("SELECT id, n FROM counters WHERE batch = '" + t + "'"),
            std::vector<std::string>{id + "\t1"});
}

TEST_F(BridgeCrud, DeleteReturnsAffectedCount) {
  auto t = tag();
  ASSERT_OK(s().insert("admin", "books",
                       J(R"([{"title": "d1", "batch": "@T"}, {"title": "d2", "batch": "@T"},
      {"title": "keep", "batch": "@T"}])",
                         t)));
  auto r = s().remove("admin", "books", J(R"({"batch": "@T", "title": {"$in": ["d1", "d2"]}})", t));
  ASSERT_OK(r);
  EXPECT_JSON_EQ(r.data(), J(R"({"affected": 2})"));
  auto again = s().remove("admin", "books", J(R"({"batch": "@T", "title": {"$in": ["d1", "d2"]}})", t));
  ASSERT_OK(again);
  EXPECT_JSON_EQ(again.data(), J(R"({"affected": 0})"));
  EXPECT_EQ(s().sql("SELECT title FROM books WHERE batch = '" + t + "'"), std::vector<std::string>{"keep"});
}

TEST_F(BridgeCrud, ParamsAbsentOrNullMeansEmpty) {
  auto t = tag();
  ASSERT_OK(s().insert("admin", "tickets", J(R"({"id": 7001, "subject": "@T"})", t)));
  for (const char* body :
       {R"({"path": "db/tickets/select"})", R"({"path": "db/tickets/select", "params": null})",
        R"({"path": "db/tickets/select", "params": {}})"}) {
    auto r = s().post_call(body, s().with_key("admin"));
    ASSERT_OK(r) << body;
    EXPECT_TRUE(r.data().is_array());
    EXPECT_GE(r.data().size(), 1u);
  }
  for (const char* body : {R"({"path": "db/tickets/select", "params": []})",
                           R"({"path": "db/tickets/select", "params": "limit=1"})",
                           R"({"path": "db/tickets/select", "params": 3})"}) {
    EXPECT_ERROR(s().post_call(body, s().with_key("admin")), 400, "BAD_REQUEST") << body;
  }
  // Unknown param keys are rejected, not ignored.
  EXPECT_ERROR(s().select("admin", "tickets", J(R"({"filter": {"subject": "x"}})")), 400, "BAD_REQUEST");
  EXPECT_ERROR(s().select("admin", "tickets", J(R"({"Limit": 1})")), 400, "BAD_REQUEST");
}

TEST_F(BridgeCrud, RestAliasesAnswerLikeCall) {
  auto t = tag();
  ASSERT_OK(s().insert("admin", "books",
                       J(R"([{"title": "r1", "pages": 10, "batch": "@T"}, {"title": "r2",
      "pages": 20, "batch": "@T"}, {"title": "r3", "pages": 30, "batch": "@T"}])",
                         t)));
  auto where = J(R"({"batch": "@T", "pages": {"$gte": 20}})", t);
  auto order = J(R"({"pages": "desc"})");
  auto via_call = s().select(
      "admin", "books",
      OJ{{"where", where}, {"select", J(R"(["title", "pages"])")}, {"orderBy", order}, {"limit", 5}});
  ASSERT_OK(via_call);
  ASSERT_EQ(via_call.data().size(), 2u);
  using stk::http::url_encode;
  // select as a JSON array and as a comma list.
  for (const std::string& sel : {url_encode(R"(["title","pages"])"), std::string("title,pages")}) {
    std::string q = "/db/books/select?where=" + url_encode(where.dump()) + "&select=" + sel +
                    "&orderBy=" + url_encode(order.dump()) + "&limit=5";
    auto via_get = s().http("GET", q, "", s().with_key("admin"));
    ASSERT_OK(via_get) << q;
    EXPECT_JSON_EQ(via_get.data(), via_call.data());
  }
  // count and offset through the query string.
  auto counted = s().http("GET",
                          "/db/books/select?where=" + url_encode(J(R"({"batch": "@T"})", t).dump()) +
                              "&orderBy=" + url_encode(order.dump()) + "&limit=1&offset=1&count=exact",
                          "", s().with_key("admin"));
  ASSERT_OK(counted);
  ASSERT_EQ(counted.data().size(), 1u);
  EXPECT_EQ(counted.data()[0]["title"], "r2");
  EXPECT_EQ(counted.body["meta"]["count"], 3);
  // POST /db/{table}/{op} with body = params.
  Headers json_admin = s().with_key("admin", {{"Content-Type", "application/json"}});
  auto ins = s().http("POST", "/db/books/insert",
                      J(R"({"values": {"title": "r4", "batch": "@T"}})", t).dump(), json_admin);
  ASSERT_OK(ins);
  EXPECT_EQ(ins.data().size(), 1u);
  EXPECT_EQ(ins.data()[0]["title"], "r4");
  auto upd = s().http("POST", "/db/books/update",
                      J(R"({"where": {"batch": "@T", "title": "r4"}, "data": {"pages": 40}})", t).dump(),
                      json_admin);
  ASSERT_OK(upd);
  EXPECT_EQ(upd.data()[0]["pages"], 40);
  auto sel =
      s().http("POST", "/db/books/select",
               J(R"({"where": {"batch": "@T", "title": "r4"}, "select": ["pages"]})", t).dump(), json_admin);
  ASSERT_OK(sel);
  EXPECT_JSON_EQ(sel.data(), J(R"([{"pages": 40}])"));
  auto del = s().http("POST", "/db/books/delete", J(R"({"where": {"batch": "@T", "title": "r4"}})", t).dump(),
                      json_admin);
  ASSERT_OK(del);
  EXPECT_JSON_EQ(del.data(), J(R"({"affected": 1})"));
  // Errors are the same as through /call.
  EXPECT_ERROR(s().http("GET", "/db/books/select?limit=-1", "", s().with_key("admin")), 400, "BAD_REQUEST");
  EXPECT_ERROR(s().http("GET", "/db/books/select?bogus=1", "", s().with_key("admin")), 400, "BAD_REQUEST");
  EXPECT_ERROR(s().http("GET", "/db/nosuch/select", "", s().with_key("admin")), 404, "NOT_FOUND");
  EXPECT_ERROR(s().http("GET", "/db/books/select?limit=1", ""), 401, "UNAUTHORIZED");
  EXPECT_ERROR(s().http("POST", "/db/books/insert", R"({"values": {"title": "x"}})",
                        {{"Content-Type", "application/json"}}),
               401, "UNAUTHORIZED");
  EXPECT_ERROR(s().http("POST", "/db/books/insert", R"({"values": )", json_admin), 400, "BAD_REQUEST");
  EXPECT_ERROR(s().http("POST", "/db/books/upsert", R"({"values": {"title": "x"}})", json_admin), 404,
               "NOT_FOUND");
  EXPECT_EQ(count_of("books", t), "3");
}

}  // namespace
