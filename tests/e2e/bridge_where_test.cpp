// santokit-bridge `where` filter language end to end (spec bridge-crud §6, §7, §12): every operator against
// every logical type, shorthand, three-valued logic, rejected forms, and the conditions cap.
#include "bridge_fixture.hpp"

using namespace stk::e2e;

namespace {

constexpr int kMaxConditions = 8;  // STK_WHERE_MAX_CONDITIONS for this suite

class BridgeWhere : public BridgeSuite<BridgeWhere> {
 public:
  static BridgeStack::Options options() {
    return {{{"STK_WHERE_MAX_CONDITIONS", std::to_string(kMaxConditions)}}, {"admin"}};
  }

  // Read-only rows shared by every test of the suite (batch 'W'), written straight into the database.
  static void SetUpTestSuite() {
    BridgeSuite<BridgeWhere>::SetUpTestSuite();
    if (!stack_) return;
    s().sql(
        R"(INSERT INTO books (id, title, genre, pages, rating, price, sold, in_print, published_at, labels, meta,
                                   batch) VALUES
      ('w1', 'Alpha', 'sf', 100, 4.5, 9.99, 10, true, '2020-01-01T00:00:00Z', '["a"]', '{"k": 1}', 'W'),
      ('w2', 'alphabet', 'sf', 200, 3.0, 19.50, 20, false, '2021-06-15T12:00:00Z', NULL, NULL, 'W'),
      ('w3', 'Beta 100%', 'fantasy', 300, NULL, NULL, 30, true, NULL, '[]', NULL, 'W'),
      ('w4', 'Gamma_ray', NULL, NULL, 2.5, 5, 9007199254740993, true, '2022-01-01T00:00:00Z', NULL, NULL, 'W'),
      ('w5', 'delta', 'history', 150, 5.0, 100.01, 0, false, '2019-12-31T23:59:59Z', NULL, NULL, 'W'))");
  }

 protected:
  // Ids (ascending) of the 'W' rows matching `where` (batch = 'W' is added).
  static std::vector<std::string> ids(const std::string& where_json) {
    OJ where = J(where_json);
    where["batch"] = "W";
    auto r = s().select("admin", "books",
                        OJ{{"where", where}, {"select", J(R"(["id"])")}, {"orderBy", J(R"({"id": "asc"})")}});
    EXPECT_TRUE(IsOk(r)) << where_json;
    return strings_of(r.data(), "id");
  }
  static void rejected(const std::string& where_json) {
    auto r = s().select("admin", "books", OJ{{"where", J(where_json)}});
    EXPECT_ERROR(r, 400, "BAD_REQUEST") << "where: " << where_json;
  }
  using V = std::vector<std::string>;
};

TEST_F(BridgeWhere, ShorthandEqualityPerType) {
  EXPECT_EQ(ids(R"({"genre": "sf"})"), (V{"w1", "w2"}));
  EXPECT_EQ(ids(R"({"pages": 100})"), (V{"w1"}));
  EXPECT_EQ(ids(R"({"in_print": false})"), (V{"w2", "w5"}));
  EXPECT_EQ(ids(R"({"rating": 4.5})"), (V{"w1"}));
  EXPECT_EQ(ids(R"({"sold": "9007199254740993"})"), (V{"w4"}));
  EXPECT_EQ(ids(R"({"sold": 30})"), (V{"w3"}));  // bigint input may be a JSON integer
  EXPECT_EQ(ids(R"({"price": "19.5"})"), (V{"w2"}));
  EXPECT_EQ(ids(R"({"published_at": "2020-01-01T00:00:00Z"})"), (V{"w1"}));
  EXPECT_EQ(ids(R"({"published_at": "2020-01-01T01:00:00+01:00"})"), (V{"w1"}));  // same instant
  EXPECT_EQ(ids(R"({"id": "w3"})"), (V{"w3"}));
  EXPECT_EQ(ids(R"({"genre": "sf", "pages": 200})"), (V{"w2"}));  // entries are ANDed
  EXPECT_EQ(ids(R"({"genre": "SF"})"), V{});
}

TEST_F(BridgeWhere, EqualityAndInequality) {
  EXPECT_EQ(ids(R"({"title": {"$eq": "Alpha"}})"), (V{"w1"}));
  EXPECT_EQ(ids(R"({"pages": {"$eq": 300}})"), (V{"w3"}));
  // $ne does not match NULL (three-valued logic): w4 has no genre.
  EXPECT_EQ(ids(R"({"genre": {"$ne": "sf"}})"), (V{"w3", "w5"}));
  EXPECT_EQ(ids(R"({"in_print": {"$ne": true}})"), (V{"w2", "w5"}));
}

TEST_F(BridgeWhere, Comparisons) {
  EXPECT_EQ(ids(R"({"pages": {"$gt": 150}})"), (V{"w2", "w3"}));
  EXPECT_EQ(ids(R"({"pages": {"$gte": 150}})"), (V{"w2", "w3", "w5"}));
  EXPECT_EQ(ids(R"({"pages": {"$lt": 150}})"), (V{"w1"}));
  EXPECT_EQ(ids(R"({"pages": {"$lte": 150}})"), (V{"w1", "w5"}));
  EXPECT_EQ(ids(R"({"pages": {"$gte": 100, "$lt": 200}})"), (V{"w1", "w5"}));  // operators ANDed
  EXPECT_EQ(ids(R"({"rating": {"$lte": 3.0}})"), (V{"w2", "w4"}));
  EXPECT_EQ(ids(R"({"rating": {"$gt": 4}})"), (V{"w1", "w5"}));  // integer operand for a float column
  // Timestamps compare as instants.
  EXPECT_EQ(ids(R"({"published_at": {"$gte": "2021-01-01T00:00:00Z"}})"), (V{"w2", "w4"}));
  EXPECT_EQ(ids(R"({"published_at": {"$lt": "2020-01-01T00:00:00+00:00"}})"), (V{"w5"}));
  // bigint and decimal compare as numbers, not as strings ("30" > "100" as text).
  EXPECT_EQ(ids(R"({"sold": {"$gt": "100"}})"), (V{"w4"}));
  EXPECT_EQ(ids(R"({"sold": {"$lt": "9007199254740993"}})"), (V{"w1", "w2", "w3", "w5"}));
  EXPECT_EQ(ids(R"({"price": {"$gt": "10"}})"), (V{"w2", "w5"}));
  EXPECT_EQ(ids(R"({"price": {"$lte": "9.99"}})"), (V{"w1", "w4"}));
}

TEST_F(BridgeWhere, InAndNotIn) {
  EXPECT_EQ(ids(R"({"genre": {"$in": ["sf", "history"]}})"), (V{"w1", "w2", "w5"}));
  EXPECT_EQ(ids(R"({"pages": {"$in": [100, 300, 999]}})"), (V{"w1", "w3"}));
  EXPECT_EQ(ids(R"({"id": {"$in": ["w5"]}})"), (V{"w5"}));
  // $notIn does not match NULL.
  EXPECT_EQ(ids(R"({"genre": {"$notIn": ["sf"]}})"), (V{"w3", "w5"}));
  EXPECT_EQ(ids(R"({"sold": {"$notIn": ["10", "20"]}})"), (V{"w3", "w4", "w5"}));
  rejected(R"({"genre": {"$in": []}})");
  rejected(R"({"genre": {"$notIn": []}})");
  rejected(R"({"genre": {"$in": "sf"}})");
  rejected(R"({"pages": {"$in": ["100"]}})");
  rejected(R"({"pages": {"$in": [100, [200]]}})");
  rejected(R"({"genre": {"$in": [{"a": 1}]}})");
  // At most 1,000 items.
  OJ many = OJ::array({100});
  for (int i = 1; i < 1000; ++i) many.push_back(100000 + i);
  auto ok = s().select("admin", "books", OJ{{"where", {{"batch", "W"}, {"pages", {{"$in", many}}}}}});
  ASSERT_OK(ok);
  EXPECT_EQ(ok.data().size(), 1u);  // pages 100
  many.push_back(300);
  EXPECT_ERROR(s().select("admin", "books", OJ{{"where", {{"batch", "W"}, {"pages", {{"$in", many}}}}}}), 400,
               "BAD_REQUEST");
  EXPECT_ERROR(s().select("admin", "books", OJ{{"where", {{"batch", "W"}, {"pages", {{"$notIn", many}}}}}}),
               400, "BAD_REQUEST");
}

TEST_F(BridgeWhere, LikeIsCaseSensitiveWithWildcards) {
  EXPECT_EQ(ids(R"({"title": {"$like": "alpha%"}})"), (V{"w2"}));
  EXPECT_EQ(ids(R"({"title": {"$like": "Alpha"}})"), (V{"w1"}));
  EXPECT_EQ(ids(R"({"title": {"$like": "%a"}})"), (V{"w1", "w5"}));
  EXPECT_EQ(ids(R"({"title": {"$like": "Gamm__ray"}})"), (V{"w4"}));
  EXPECT_EQ(ids(R"({"title": {"$like": "%100%"}})"), (V{"w3"}));
  EXPECT_EQ(ids(R"({"title": {"$like": "%"}})"), (V{"w1", "w2", "w3", "w4", "w5"}));
  rejected(R"({"pages": {"$like": "1%"}})");  // $like only on string/file columns
  rejected(R"({"sold": {"$like": "1%"}})");
  rejected(R"({"title": {"$like": 5}})");
  rejected(R"({"title": {"$like": null}})");
}

TEST_F(BridgeWhere, NullChecks) {
  EXPECT_EQ(ids(R"({"genre": {"$isNull": true}})"), (V{"w4"}));
  EXPECT_EQ(ids(R"({"rating": {"$isNotNull": true}})"), (V{"w1", "w2", "w4", "w5"}));
  EXPECT_EQ(ids(R"({"published_at": {"$isNull": true}})"), (V{"w3"}));
  // The only operators allowed on json and array columns.
  EXPECT_EQ(ids(R"({"labels": {"$isNull": true}})"), (V{"w2", "w4", "w5"}));
  EXPECT_EQ(ids(R"({"meta": {"$isNotNull": true}})"), (V{"w1"}));
  for (const char* bad : {R"({"genre": {"$isNull": false}})", R"({"genre": {"$isNull": "true"}})",
                          R"({"genre": {"$isNull": 1}})", R"({"genre": {"$isNull": null}})",
                          R"({"genre": {"$isNotNull": false}})", R"({"genre": {"$isNotNull": {}}})"})
    rejected(bad);
}

TEST_F(BridgeWhere, ShorthandNullOrArrayIsRejected) {
  rejected(R"({"genre": null})");
  rejected(R"({"genre": ["sf", "history"]})");
  rejected(R"({"pages": []})");
}

TEST_F(BridgeWhere, LogicalAndUnknownOperatorsAreRejected) {
  rejected(R"({"$and": [{"genre": "sf"}, {"pages": 100}]})");
  rejected(R"({"$or": [{"genre": "sf"}, {"pages": 300}]})");
  rejected(R"({"$not": {"genre": "sf"}})");
  rejected(R"({"genre": {"$not": "sf"}})");
  rejected(R"({"genre": {"$or": ["sf"]}})");
  rejected(R"({"genre": {"$regex": "s.*"}})");
  rejected(R"({"genre": {"$EQ": "sf"}})");                   // operators are case-sensitive
  rejected(R"({"genre": {"$eq": "sf", "$exists": true}})");  // one bad operator spoils the object
  rejected(R"({"genre": {"eq": "sf"}})");
  rejected(R"({"genre": {}})");  // empty operator object
  rejected(R"({"nope": "x"})");
  rejected(R"({"nope": {"$isNull": true}})");
  rejected(R"({"author": {"$isNull": true}})");  // a relation name is not a column
  rejected(R"("genre = 'sf'")");
  rejected(R"([{"genre": "sf"}])");
  rejected(R"(5)");
}

TEST_F(BridgeWhere, OperandsMustMatchTheColumnType) {
  for (const char* bad : {R"({"pages": "100"})",
                          R"({"pages": 1.5})",
                          R"({"pages": true})",
                          R"({"pages": {"$gt": "1"}})",
                          R"({"title": 5})",
                          R"({"title": true})",
                          R"({"title": {"$gt": 1}})",
                          R"({"in_print": "true"})",
                          R"({"in_print": 1})",
                          R"({"rating": "4.5"})",
                          R"({"sold": "abc"})",
                          R"({"sold": 1.5})",
                          R"({"sold": {"$gt": "1e3"}})",
                          R"({"price": "abc"})",
                          R"({"published_at": "not a date"})",
                          R"({"published_at": 1577836800})",
                          R"({"genre": {"$eq": {"x": 1}}})",
                          R"({"meta": {"$eq": {"k": 1}}})",
                          R"({"meta": "x"})",
                          R"({"labels": {"$eq": "a"}})",
                          R"({"labels": {"$in": ["a"]}})"})
    rejected(bad);
}

TEST_F(BridgeWhere, ConditionsCap) {
  // Each column/operator pair counts 1 (shorthand too): batch + 7 pairs = 8 is the cap.
  EXPECT_EQ(
      ids(R"({"pages": {"$gte": 1, "$lte": 1000, "$ne": 5, "$gt": 0, "$lt": 999}, "title": {"$like": "%"},
      "genre": "sf"})"),
      (V{"w1", "w2"}));
  rejected(R"({"batch": "W", "pages": {"$gte": 1, "$lte": 1000, "$ne": 5, "$gt": 0, "$lt": 999},
      "title": {"$like": "%"}, "genre": "sf", "rating": {"$isNotNull": true}})");
}

TEST_F(BridgeWhere, OperatorsWorkInUpdateAndDeleteToo) {
  auto t = tag();
  ASSERT_OK(s().insert("admin", "books",
                       J(R"([{"title": "x1", "pages": 1, "batch": "@T"}, {"title": "x2", "pages": 2,
      "batch": "@T"}, {"title": "x3", "batch": "@T"}])",
                         t)));
  auto upd = s().update("admin", "books", J(R"({"batch": "@T", "pages": {"$isNull": true}})", t),
                        J(R"({"pages": 3})"));
  ASSERT_OK(upd);
  ASSERT_EQ(upd.data().size(), 1u);
  EXPECT_EQ(upd.data()[0]["title"], "x3");
  EXPECT_ERROR(
      s().update("admin", "books", J(R"({"batch": "@T", "pages": {"$or": [1]}})", t), J(R"({"pages": 3})")),
      400, "BAD_REQUEST");
  EXPECT_ERROR(s().remove("admin", "books", J(R"({"batch": "@T", "pages": null})", t)), 400, "BAD_REQUEST");
  auto del = s().remove("admin", "books", J(R"({"batch": "@T", "pages": {"$gte": 2}})", t));
  ASSERT_OK(del);
  EXPECT_EQ(del.data()["affected"], 2);
  EXPECT_EQ(s().sql("SELECT title FROM books WHERE batch = '" + t + "'"), std::vector<std::string>{"x1"});
}

}  // namespace
