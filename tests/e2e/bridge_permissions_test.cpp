// santokit-bridge permissions and credentials end to end (spec bridge-crud §3, §8, §9; DESIGN.md Decision 3):
// role × op × column, rule order, `public`, CEL conditions on select/update/delete/insert, API keys and
// hints.
#include <set>

#include "bridge_fixture.hpp"

using namespace stk::e2e;

namespace {

class BridgePermissions : public BridgeSuite<BridgePermissions> {
 public:
  static BridgeStack::Options options() {
    return {{},
            {"admin", "reader", "writer", "guest", "reader_admin", "inserter", "c_eq", "c_cmp", "c_or",
             "c_in", "c_not", "c_null", "c_role", "c_boss", "c_sub"}};
  }

  static void SetUpTestSuite() {
    BridgeSuite<BridgePermissions>::SetUpTestSuite();
    if (!stack_) return;
    s().sql(R"(INSERT INTO authors (id, handle, email) VALUES ('a-p', 'perm-author', 'author@example.com');
      INSERT INTO books (id, title, genre, pages, price, status, author_id, batch) VALUES
        ('p1', 'Pub', 'sf', 10, 10, 'published', 'a-p', 'P'),
        ('p2', 'Draft', 'sf', 20, 20, 'draft', NULL, 'P');
      INSERT INTO docs (id, title, status, level, owner, batch) VALUES
        ('d1', 'one', 'draft', 0, NULL, 'D'),
        ('d2', 'two', 'published', 3, 'u1', 'D'),
        ('d3', 'three', 'review', 9, NULL, 'D'),
        ('d4', 'four', 'archived', 4, 'u2', 'D'),
        ('d5', 'five', 'draft', 2, NULL, 'D'))");
  }

 protected:
  using V = std::vector<std::string>;
  static V ids(const std::string& key, const std::string& table, const std::string& batch) {
    auto r = s().select(key, table, J(R"({"where": {"batch": "@T"}, "orderBy": {"id": "asc"}})", batch));
    EXPECT_TRUE(IsOk(r)) << key;
    return strings_of(r.data(), "id");
  }
};

TEST_F(BridgePermissions, ReadProjectionDropsColumnsSilently) {
  auto reader = s().select("reader", "books", J(R"({"where": {"batch": "P"}, "orderBy": {"id": "asc"}})"));
  ASSERT_OK(reader);
  ASSERT_EQ(reader.data().size(), 2u);
  EXPECT_EQ(sorted_keys(reader.data()[0]),
            (V{"author_id", "batch", "genre", "id", "pages", "published_at", "sold", "title"}));
  // Asking for hidden columns is not an error: they are dropped.
  auto asked = s().select(
      "reader", "books",
      J(R"({"where": {"batch": "P"}, "select": ["title", "price", "status"], "orderBy": {"id": "asc"}})"));
  ASSERT_OK(asked);
  ASSERT_EQ(asked.data().size(), 2u);
  EXPECT_EQ(keys_of(asked.data()[0]), V{"title"});
  auto none = s().select("reader", "books", J(R"({"where": {"batch": "P"}, "select": ["price"]})"));
  ASSERT_OK(none);
  EXPECT_EQ(none.data(), J("[{}, {}]"));
  // Keyset pages of such rows still page: the cursor comes from the sort keys, not the projection.
  auto page = s().select(
      "reader", "books",
      J(R"({"where": {"batch": "P"}, "select": ["price"], "orderBy": {"id": "asc"}, "limit": 1, "after": null})"));
  ASSERT_OK(page);
  EXPECT_EQ(page.data(), J("[{}]")) << page.raw;
  ASSERT_TRUE(page.body["meta"]["nextCursor"].is_string()) << page.raw;
  auto next = J(R"({"where": {"batch": "P"}, "select": ["title"], "orderBy": {"id": "asc"}, "limit": 1})");
  next["after"] = page.body["meta"]["nextCursor"];
  auto rest = s().select("reader", "books", next);
  ASSERT_OK(rest);
  EXPECT_EQ(rest.data(), J(R"([{"title": "Draft"}])")) << rest.raw;
  // Other principals see other column sets of the same rows.
  auto admin = s().select("admin", "books", J(R"({"where": {"id": "p1"}})"));
  ASSERT_OK(admin);
  EXPECT_EQ(admin.data()[0]["price"], "10");
  EXPECT_EQ(admin.data()[0]["status"], "published");
  auto writer = s().select("writer", "books", J(R"({"where": {"id": "p1"}})"));
  ASSERT_OK(writer);
  EXPECT_EQ(sorted_keys(writer.data()[0]), sorted_keys(admin.data()[0]));
}

TEST_F(BridgePermissions, NoMatchingRuleIsForbidden) {
  auto t = tag();
  // reader has only a select rule on books.
  EXPECT_ERROR(s().insert("reader", "books", J(R"({"title": "x", "batch": "@T"})", t)), 403, "FORBIDDEN");
  EXPECT_ERROR(s().update("reader", "books", J(R"({"batch": "P"})"), J(R"({"title": "x"})")), 403,
               "FORBIDDEN");
  EXPECT_ERROR(s().remove("reader", "books", J(R"({"batch": "P"})")), 403, "FORBIDDEN");
  // `public` is only on books select.
  EXPECT_ERROR(s().insert("guest", "books", J(R"({"title": "x", "batch": "@T"})", t)), 403, "FORBIDDEN");
  EXPECT_ERROR(s().select("guest", "counters"), 403, "FORBIDDEN");
  // A table without any permission entry denies everything, even to admin.
  EXPECT_ERROR(s().select("admin", "ledger"), 403, "FORBIDDEN");
  EXPECT_ERROR(s().insert("admin", "ledger", J(R"({"amount": "1"})")), 403, "FORBIDDEN");
  EXPECT_ERROR(s().update("admin", "ledger", J(R"({"amount": "1"})"), J(R"({"amount": "2"})")), 403,
               "FORBIDDEN");
  EXPECT_ERROR(s().remove("admin", "ledger", J(R"({"amount": "1"})")), 403, "FORBIDDEN");
  // A table with rules, but none for this op or none for this role.
  EXPECT_ERROR(s().update("admin", "tickets", J(R"({"subject": "x"})"), J(R"({"subject": "y"})")), 403,
               "FORBIDDEN");
  EXPECT_ERROR(s().select("admin", "vaults"), 403, "FORBIDDEN");
  EXPECT_EQ(s().sql("SELECT count(*) FROM books WHERE batch = '" + t + "'"), V{"0"});
  EXPECT_EQ(s().sql("SELECT title FROM books WHERE batch = 'P' ORDER BY id"), (V{"Pub", "Draft"}));
}

TEST_F(BridgePermissions, WritingADisallowedColumnIsForbiddenAndNamesIt) {
  auto t = tag();
  auto ins = s().insert("writer", "books", J(R"({"title": "x", "price": "9.99", "batch": "@T"})", t));
  EXPECT_ERROR(ins, 403, "FORBIDDEN");
  EXPECT_TRUE(contains(ins.message(), "price")) << ins.message();
  // One bad row in a batch rejects the batch.
  auto batch = s().insert("writer", "books",
                          J(R"([{"title": "ok", "batch": "@T"}, {"title": "x", "isbn": "1",
      "batch": "@T"}])",
                            t));
  EXPECT_ERROR(batch, 403, "FORBIDDEN");
  EXPECT_TRUE(contains(batch.message(), "isbn")) << batch.message();
  EXPECT_EQ(s().sql("SELECT count(*) FROM books WHERE batch = '" + t + "'"), V{"0"});

  auto ok = s().insert("writer", "books",
                       J(R"({"title": "w", "genre": "sf", "pages": 3, "status": "draft",
      "batch": "@T"})",
                         t));
  ASSERT_OK(ok);
  EXPECT_EQ(ok.data()[0]["title"], "w");
  EXPECT_TRUE(ok.data()[0].contains("price"));  // writer reads "*": the insert answer shows every column

  auto upd = s().update("writer", "books", J(R"({"batch": "@T"})", t),
                        J(R"({"title": "w2", "status": "published"})"));
  EXPECT_ERROR(upd, 403, "FORBIDDEN");
  EXPECT_TRUE(contains(upd.message(), "status")) << upd.message();
  EXPECT_EQ(s().sql("SELECT title, status FROM books WHERE batch = '" + t + "'"), V{"w\tdraft"});
  auto upd_ok = s().update("writer", "books", J(R"({"batch": "@T"})", t), J(R"({"title": "w2"})"));
  ASSERT_OK(upd_ok);
  EXPECT_EQ(upd_ok.data()[0]["title"], "w2");
}

TEST_F(BridgePermissions, ClientSuppliedPrimaryKeyIsSubjectToColumnPermissions) {
  // tickets: generate client; writer may insert [subject] only.
  auto r = s().insert("writer", "tickets", J(R"({"id": 9101, "subject": "s"})"));
  EXPECT_ERROR(r, 403, "FORBIDDEN");
  EXPECT_TRUE(contains(r.message(), "id")) << r.message();
  EXPECT_EQ(s().sql("SELECT count(*) FROM tickets WHERE id = 9101"), V{"0"});
  ASSERT_OK(s().insert("admin", "tickets", J(R"({"id": 9101, "subject": "s"})")));
}

TEST_F(BridgePermissions, AuthenticatedNeverMatchesAnApiKey) {
  // tickets select: [authenticated] first (End Users only), then [admin].
  EXPECT_ERROR(s().select("guest", "tickets"), 403, "FORBIDDEN");
  EXPECT_ERROR(s().select("reader", "tickets"), 403, "FORBIDDEN");
  EXPECT_OK(s().select("admin", "tickets"));
}

TEST_F(BridgePermissions, ParamsCheckOrder) {
  auto t = tag();
  // Unknown column (400) before column permissions (403) before value types (400).
  EXPECT_ERROR(
      s().insert("writer", "books", J(R"({"title": "x", "nope": 1, "price": "1", "batch": "@T"})", t)), 400,
      "BAD_REQUEST");
  EXPECT_ERROR(s().insert("writer", "books", J(R"({"title": 5, "price": "1", "batch": "@T"})", t)), 403,
               "FORBIDDEN");
  EXPECT_ERROR(s().call("writer", "db/books/insert", J(R"({"values": {"price": "1"}, "bogus": true})")), 400,
               "BAD_REQUEST");
  // Value types (400) before the insert condition (403).
  EXPECT_ERROR(s().insert("c_eq", "docs", J(R"({"title": 5, "status": "draft", "batch": "@T"})", t)), 400,
               "BAD_REQUEST");
  // Rule selection (403) comes before params validation.
  EXPECT_ERROR(s().insert("reader", "books", J(R"({"nope": 1})")), 403, "FORBIDDEN");
  EXPECT_ERROR(s().call("reader", "db/books/delete", J(R"({})")), 403, "FORBIDDEN");
  EXPECT_EQ(s().sql("SELECT count(*) FROM books WHERE batch = '" + t + "'"), V{"0"});
}

TEST_F(BridgePermissions, PublicRoleMatchesAnyCredentialWithItsCondition) {
  auto r = s().select("guest", "books", J(R"({"where": {"batch": "P"}})"));
  ASSERT_OK(r);
  ASSERT_EQ(r.data().size(), 1u) << r.describe();
  EXPECT_JSON_EQ(r.data()[0], J(R"({"id": "p1", "title": "Pub", "status": "published", "batch": "P"})"));
  // The caller's where can only narrow the policy predicate.
  auto widen = s().select("guest", "books", J(R"({"where": {"batch": "P", "status": "draft"}})"));
  ASSERT_OK(widen);
  EXPECT_EQ(widen.data(), OJ::array());
  auto by_id = s().select("guest", "books", J(R"({"where": {"id": "p2"}})"));
  ASSERT_OK(by_id);
  EXPECT_EQ(by_id.data(), OJ::array());
}

TEST_F(BridgePermissions, FirstMatchingRuleWins) {
  // books: the admin rule comes first, so reader+admin sees everything.
  auto books = s().select("reader_admin", "books", J(R"({"where": {"id": "p1"}})"));
  ASSERT_OK(books);
  EXPECT_EQ(books.data()[0]["price"], "10");
  // authors: the reader rule comes first, so reader+admin does not see email, though admin alone does.
  auto authors = s().select("reader_admin", "authors", J(R"({"where": {"id": "a-p"}})"));
  ASSERT_OK(authors);
  ASSERT_EQ(authors.data().size(), 1u);
  EXPECT_EQ(sorted_keys(authors.data()[0]), (V{"handle", "id", "team_id", "vault_id"}));
  auto admin = s().select("admin", "authors", J(R"({"where": {"id": "a-p"}})"));
  ASSERT_OK(admin);
  EXPECT_EQ(admin.data()[0]["email"], "author@example.com");
  // Rules are selected per op: the insert rule for admin matches; the answer is projected by the select rule
  // that matches (reader's), so email is not shown.
  auto t = tag();
  auto ins = s().insert("reader_admin", "authors", J(R"({"handle": "@T", "email": "x@example.com"})", t));
  ASSERT_OK(ins);
  EXPECT_FALSE(ins.data()[0].contains("email"))
      << "insert answers are projected by the select rule: " << ins.describe();
}

TEST_F(BridgePermissions, InsertAnswerWithoutSelectRuleHasOnlyThePrimaryKey) {
  auto t = tag();
  auto r = s().insert("inserter", "docs", J(R"({"title": "ins", "batch": "@T"})", t));
  ASSERT_OK(r);
  ASSERT_EQ(r.data().size(), 1u);
  EXPECT_EQ(keys_of(r.data()[0]), V{"id"});
  EXPECT_EQ(s().sql("SELECT title FROM docs WHERE batch = '" + t + "'"), V{"ins"});
  auto more = s().insert("inserter", "docs", J(R"({"title": "ins", "level": 5, "batch": "@T"})", t));
  EXPECT_ERROR(more, 403, "FORBIDDEN");
  EXPECT_TRUE(contains(more.message(), "level")) << more.message();
}

TEST_F(BridgePermissions, CelConditionsFilterRows) {
  EXPECT_EQ(ids("admin", "docs", "D"), (V{"d1", "d2", "d3", "d4", "d5"}));
  EXPECT_JSON_EQ(ids("c_eq", "docs", "D"), (V{"d2"}));           // literal equality
  EXPECT_EQ(ids("c_cmp", "docs", "D"), (V{"d2", "d4", "d5"}));   // >= && <
  EXPECT_EQ(ids("c_or", "docs", "D"), (V{"d3", "d4"}));          // ||
  EXPECT_EQ(ids("c_in", "docs", "D"), (V{"d1", "d3", "d5"}));    // in [list]
  EXPECT_EQ(ids("c_not", "docs", "D"), (V{"d2", "d4"}));         // ! and !=
  EXPECT_EQ(ids("c_null", "docs", "D"), (V{"d1", "d3", "d5"}));  // == null
  EXPECT_EQ(ids("c_role", "docs", "D"), (V{"d2"}));              // "boss" not among the key's roles
  EXPECT_EQ(ids("c_boss", "docs", "D"), (V{"d1", "d2", "d3", "d4", "d5"}));  // "boss" in request.auth.roles
  // The caller's where narrows the predicate, never widens it.
  auto narrowed = s().select(
      "c_cmp", "docs", J(R"({"where": {"batch": "D", "level": {"$gte": 3}}, "orderBy": {"id": "asc"}})"));
  ASSERT_OK(narrowed);
  EXPECT_EQ(strings_of(narrowed.data(), "id"), (V{"d2", "d4"}));
  auto outside = s().select("c_cmp", "docs", J(R"({"where": {"id": "d3"}})"));
  ASSERT_OK(outside);
  EXPECT_EQ(outside.data(), OJ::array());
  // Counting respects the predicate as well.
  auto counted = s().select("c_in", "docs", J(R"({"where": {"batch": "D"}, "limit": 1, "count": "exact"})"));
  ASSERT_OK(counted);
  EXPECT_EQ(counted.body["meta"]["count"], 3);
}

TEST_F(BridgePermissions, AuthSubConditionWithApiKeyIsForbidden) {
  auto t = tag();
  EXPECT_ERROR(s().select("c_sub", "docs", J(R"({"where": {"batch": "D"}})")), 403, "FORBIDDEN");
  EXPECT_ERROR(s().insert("c_sub", "docs", J(R"({"title": "x", "owner": "u1", "batch": "@T"})", t)), 403,
               "FORBIDDEN");
  EXPECT_EQ(s().sql("SELECT count(*) FROM docs WHERE batch = '" + t + "'"), V{"0"});
}

TEST_F(BridgePermissions, InsertConditionIsCheckedAgainstEachRow) {
  auto t = tag();
  auto ok = s().insert("c_eq", "docs", J(R"({"title": "ok", "status": "published", "batch": "@T"})", t));
  ASSERT_OK(ok);
  EXPECT_EQ(ok.data()[0]["status"], "published");
  EXPECT_ERROR(s().insert("c_eq", "docs", J(R"({"title": "no", "status": "draft", "batch": "@T"})", t)), 403,
               "FORBIDDEN");
  // The referenced column must be present in the payload (the database default does not count).
  EXPECT_ERROR(s().insert("c_eq", "docs", J(R"({"title": "no", "batch": "@T"})", t)), 403, "FORBIDDEN");
  EXPECT_ERROR(s().insert("c_eq", "docs",
                          J(R"([{"title": "a", "status": "published", "batch": "@T"},
      {"title": "b", "status": "review", "batch": "@T"}])",
                            t)),
               403, "FORBIDDEN");
  EXPECT_EQ(s().sql("SELECT title FROM docs WHERE batch = '" + t + "'"), V{"ok"});
}

TEST_F(BridgePermissions, ConditionsFilterUpdateAndDelete) {
  auto t = tag();
  ASSERT_OK(s().insert("admin", "docs",
                       J(R"([{"title": "l1", "level": 1, "batch": "@T"}, {"title": "l3", "level": 3,
      "batch": "@T"}, {"title": "l7", "level": 7, "batch": "@T"}])",
                         t)));
  auto upd = s().update("c_cmp", "docs", J(R"({"batch": "@T"})", t), J(R"({"title": "changed"})"));
  ASSERT_OK(upd);
  ASSERT_EQ(upd.data().size(), 1u) << upd.describe();
  EXPECT_EQ(upd.data()[0]["level"], 3);
  auto miss =
      s().update("c_cmp", "docs", J(R"({"batch": "@T", "level": 7})", t), J(R"({"title": "changed"})"));
  ASSERT_OK(miss);
  EXPECT_EQ(miss.data(), OJ::array());
  auto col = s().update("c_cmp", "docs", J(R"({"batch": "@T"})", t), J(R"({"level": 4})"));
  EXPECT_ERROR(col, 403, "FORBIDDEN");
  EXPECT_TRUE(contains(col.message(), "level")) << col.message();
  EXPECT_EQ(s().sql("SELECT title, level FROM docs WHERE batch = '" + t + "' ORDER BY level"),
            (V{"l1\t1", "changed\t3", "l7\t7"}));
  auto del = s().remove("c_cmp", "docs", J(R"({"batch": "@T"})", t));
  ASSERT_OK(del);
  EXPECT_EQ(del.data()["affected"], 1);
  EXPECT_EQ(s().sql("SELECT title FROM docs WHERE batch = '" + t + "' ORDER BY level"), (V{"l1", "l7"}));

  // writer may delete drafts only.
  ASSERT_OK(s().insert("admin", "books",
                       J(R"([{"title": "d", "status": "draft", "batch": "@T"}, {"title": "p",
      "status": "published", "batch": "@T"}])",
                         t)));
  auto wdel = s().remove("writer", "books", J(R"({"batch": "@T"})", t));
  ASSERT_OK(wdel);
  EXPECT_EQ(wdel.data()["affected"], 1);
  EXPECT_EQ(s().sql("SELECT title FROM books WHERE batch = '" + t + "'"), V{"p"});
}

// ---------------------------------------------------------------------------------------------------------
// Credentials (spec §3): API key slot, hint headers, revocation.

class BridgeCredentials : public BridgeSuite<BridgeCredentials> {
 public:
  static BridgeStack::Options options() { return {{}, {"admin", "reader"}}; }

 protected:
  static Reply select_with(const Headers& headers) {
    return s().post_call(R"({"path": "db/books/select", "params": {"limit": 1}})", headers);
  }
};

TEST_F(BridgeCredentials, NoCredentialIsUnauthorizedForEveryOp) {
  for (const char* path :
       {"db/books/select", "db/books/insert", "db/books/update", "db/books/delete", "db/ledger/select"}) {
    auto r = s().post_call(std::string(R"({"path": ")") + path + R"(", "params": {}})", {});
    EXPECT_ERROR(r, 401, "UNAUTHORIZED") << path;
  }
}

TEST_F(BridgeCredentials, InvalidKeysAreUnauthorized) {
  auto real = s().key("reader");
  auto dot = real.find('.');
  ASSERT_NE(dot, std::string::npos) << real;
  std::string wrong_secret = real.substr(0, dot + 1) + std::string(real.size() - dot - 1, 'A');
  for (const std::string& k : {std::string("nope"), std::string("key_01HZZZZZZZZZZZZZZZZZZZZZZZ.secret"),
                               wrong_secret, real.substr(0, dot), real + "x", " " + real + "x"}) {
    EXPECT_ERROR(select_with({{"X-Santokit-Api-Key", k}}), 401, "UNAUTHORIZED") << k;
  }
  EXPECT_OK(select_with({{"X-Santokit-Api-Key", real}}));
}

TEST_F(BridgeCredentials, EmptyHeadersCountAsAbsent) {
  EXPECT_ERROR(select_with({{"X-Santokit-Api-Key", ""}}), 401, "UNAUTHORIZED");
  // A non-Bearer Authorization header is no credential either.
  EXPECT_ERROR(select_with({{"Authorization", "Basic dXNlcjpwdw=="}}), 401, "UNAUTHORIZED");
  EXPECT_ERROR(select_with({{"Authorization", ""}}), 401, "UNAUTHORIZED");
  // The API key slot wins and lower slots are not validated.
  EXPECT_OK(
      select_with({{"X-Santokit-Api-Key", s().key("reader")}, {"Authorization", "Bearer not-a-token"}}));
  // Empty hints are absent hints.
  EXPECT_OK(select_with(
      {{"X-Santokit-Api-Key", s().key("reader")}, {"X-Santokit-Project", ""}, {"X-Santokit-Env", ""}}));
}

TEST_F(BridgeCredentials, HintHeadersMustMatchTheKeyBinding) {
  const auto key = s().key("reader");
  EXPECT_OK(
      select_with({{"X-Santokit-Api-Key", key}, {"X-Santokit-Project", "lib"}, {"X-Santokit-Env", "dev"}}));
  EXPECT_OK(select_with({{"X-Santokit-Api-Key", key}, {"X-Santokit-Env", "dev"}}));
  EXPECT_ERROR(select_with({{"X-Santokit-Api-Key", key}, {"X-Santokit-Project", "other"}}), 403, "FORBIDDEN");
  EXPECT_ERROR(select_with({{"X-Santokit-Api-Key", key}, {"X-Santokit-Env", "prod"}}), 403, "FORBIDDEN");
  EXPECT_ERROR(
      select_with({{"X-Santokit-Api-Key", key}, {"X-Santokit-Project", "lib"}, {"X-Santokit-Env", "prod"}}),
      403, "FORBIDDEN");
  EXPECT_ERROR(select_with({{"X-Santokit-Api-Key", key}, {"X-Santokit-Project", "LIB"}}), 403, "FORBIDDEN");
  // The mismatch is found before the table lookup and before permissions.
  EXPECT_ERROR(s().call("reader", "db/nosuch/select", OJ::object(), {{"X-Santokit-Env", "prod"}}), 403,
               "FORBIDDEN");
  EXPECT_ERROR(s().call("reader", "db/ledger/select", OJ::object(), {{"X-Santokit-Env", "prod"}}), 403,
               "FORBIDDEN");
  // Hints alone are no credential.
  EXPECT_ERROR(select_with({{"X-Santokit-Project", "lib"}, {"X-Santokit-Env", "dev"}}), 401, "UNAUTHORIZED");
}

TEST_F(BridgeCredentials, NewKeyWorksAndRevokedKeyFailsWithinOneSecond) {
  auto victim = s().create_key("victim", {"reader"});
  auto created = BridgeStack::wait_for(
      [&] {
        return select_with({{"X-Santokit-Api-Key", victim}}).status == 200;
      },
      std::chrono::milliseconds(1000));
  EXPECT_LE(created.count(), 1000) << "a new key was not accepted within 1 s";

  auto r = s().cli({"apikey", "revoke", "--key-id", "victim"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  Reply last;
  auto revoked = BridgeStack::wait_for(
      [&] {
        last = select_with({{"X-Santokit-Api-Key", victim}});
        return last.status == 401;
      },
      std::chrono::milliseconds(1000));
  EXPECT_LE(revoked.count(), 1000) << "a revoked key still works after 1 s: " << last.describe();
  EXPECT_ERROR(last, 401, "UNAUTHORIZED");
  // Other keys are unaffected.
  EXPECT_OK(select_with({{"X-Santokit-Api-Key", s().key("reader")}}));
}

}  // namespace
