// santokit-bridge `expand` end to end (spec bridge-crud §5.1.1, DESIGN.md Decision 1): 1–3 hops along
// declared references with dotted paths, per-hop authorization and projection, target conditions, null FKs,
// depth cap.
#include "bridge_fixture.hpp"

using namespace stk::e2e;

namespace {

class BridgeExpand : public BridgeSuite<BridgeExpand> {
 public:
  static BridgeStack::Options options() { return {{}, {"admin", "reader", "guest"}}; }

  static void SetUpTestSuite() {
    BridgeSuite<BridgeExpand>::SetUpTestSuite();
    if (!stack_) return;
    s().sql(R"(INSERT INTO regions (id, name) VALUES ('r1', 'North');
      INSERT INTO orgs (id, name, billing_email, region_id) VALUES ('o1', 'Acme', 'bill@acme.example', 'r1'),
        ('oh', 'hidden-org', NULL, 'r1');
      INSERT INTO teams (id, name, org_id) VALUES ('t1', 'Core', 'o1'), ('t2', 'Shadow', 'oh'), ('t3', 'Loose', NULL);
      INSERT INTO vaults (id, secret) VALUES ('v1', 's3cr3t');
      INSERT INTO authors (id, handle, email, team_id, vault_id) VALUES
        ('x1', 'ann', 'ann@example.com', 't1', 'v1'), ('x2', 'bob', NULL, 't2', NULL),
        ('x3', 'cat', NULL, 't3', NULL), ('x4', 'dan', NULL, NULL, NULL);
      INSERT INTO books (id, title, status, author_id, batch) VALUES
        ('e1', 'First', 'published', 'x1', 'E'), ('e2', 'Second', 'draft', 'x2', 'E'),
        ('e3', 'Third', 'draft', NULL, 'E'), ('e4', 'Fourth', 'draft', 'x3', 'E'),
        ('e5', 'Fifth', 'published', 'x1', 'E'), ('e6', 'Sixth', 'draft', 'x4', 'E'))");
  }

 protected:
  using V = std::vector<std::string>;
  // Rows of batch E ordered by id, with `expand` (a JSON array text) and optional extra params.
  static OJ rows(const std::string& key, const std::string& expand, const std::string& extra = "") {
    auto r = s().select(
        key, "books",
        J(R"({"where": {"batch": "E"}, "orderBy": {"id": "asc"}, "expand": )" + expand + extra + "}"));
    EXPECT_TRUE(IsOk(r)) << key << " expand " << expand;
    return r.data().is_array() ? r.data() : OJ::array();
  }
  static OJ by_id(const OJ& rows, const std::string& id) {
    for (const auto& r : rows)
      if (r.contains("id") && r["id"] == id) return r;
    return OJ();
  }
};

TEST_F(BridgeExpand, OneHop) {
  auto data = rows("admin", R"(["author"])");
  ASSERT_EQ(data.size(), 6u);
  auto e1 = by_id(data, "e1");
  EXPECT_EQ(e1["author_id"], "x1");  // the FK column stays, subject to normal projection
  EXPECT_JSON_EQ(
      e1["author"],
      J(R"({"id": "x1", "handle": "ann", "email": "ann@example.com", "team_id": "t1", "vault_id": "v1"})"));
  EXPECT_EQ(by_id(data, "e5")["author"], e1["author"]);  // several rows, same target
  auto e3 = by_id(data, "e3");
  ASSERT_TRUE(e3.contains("author")) << e3.dump();
  EXPECT_TRUE(e3["author"].is_null());  // null FK
  // Without expand the relation key is absent.
  auto plain = s().select("admin", "books", J(R"({"where": {"batch": "E"}})"));
  ASSERT_OK(plain);
  EXPECT_EQ(plain.data().size(), 6u);
  for (const auto& r : plain.data()) EXPECT_FALSE(r.contains("author")) << r.dump();
}

TEST_F(BridgeExpand, ThreeHopsWithDottedPath) {
  auto data = rows("admin", R"(["author.team.org"])");
  ASSERT_EQ(data.size(), 6u);
  auto e1 = by_id(data, "e1");
  ASSERT_TRUE(e1["author"].is_object()) << e1.dump();
  EXPECT_EQ(e1["author"]["handle"], "ann");
  ASSERT_TRUE(e1["author"]["team"].is_object()) << e1.dump();
  EXPECT_EQ(e1["author"]["team"]["name"], "Core");
  EXPECT_JSON_EQ(
      e1["author"]["team"]["org"],
      J(R"({"id": "o1", "name": "Acme", "billing_email": "bill@acme.example", "region_id": "r1"})"));
  // Nulls at every level: no author, author without team, team without org.
  EXPECT_TRUE(by_id(data, "e3")["author"].is_null());
  auto e6 = by_id(data, "e6");
  ASSERT_TRUE(e6["author"].contains("team")) << e6.dump();
  EXPECT_TRUE(e6["author"]["team"].is_null());
  auto e4 = by_id(data, "e4");
  ASSERT_TRUE(e4["author"]["team"].contains("org")) << e4.dump();
  EXPECT_TRUE(e4["author"]["team"]["org"].is_null());
  // Three hops starting elsewhere reach regions.
  auto authors =
      s().select("admin", "authors", J(R"({"where": {"id": "x1"}, "expand": ["team.org.region"]})"));
  ASSERT_OK(authors);
  ASSERT_EQ(authors.data().size(), 1u);
  EXPECT_JSON_EQ(authors.data()[0]["team"]["org"]["region"], J(R"({"id": "r1", "name": "North"})"));
}

TEST_F(BridgeExpand, FourHopsIsRejected) {
  EXPECT_ERROR(
      s().select("admin", "books", J(R"({"where": {"batch": "E"}, "expand": ["author.team.org.region"]})")),
      400, "BAD_REQUEST");
  EXPECT_ERROR(s().select("admin", "books",
                          J(R"({"where": {"batch": "E"}, "expand": ["author", "author.team.org.region"]})")),
               400, "BAD_REQUEST");
}

TEST_F(BridgeExpand, NestedObjectsAreProjectedToTheTargetRules) {
  auto data = rows("reader", R"(["author.team.org"])");
  ASSERT_EQ(data.size(), 6u);
  auto e1 = by_id(data, "e1");
  EXPECT_EQ(sorted_keys(e1),
            (V{"author", "author_id", "batch", "genre", "id", "pages", "published_at", "sold", "title"}));
  EXPECT_EQ(sorted_keys(e1["author"]), (V{"handle", "id", "team", "team_id", "vault_id"}));  // no email
  EXPECT_EQ(sorted_keys(e1["author"]["team"]), (V{"id", "name", "org", "org_id"}));
  EXPECT_JSON_EQ(e1["author"]["team"]["org"],
                 J(R"({"id": "o1", "name": "Acme", "region_id": "r1"})"));  // no billing
}

TEST_F(BridgeExpand, RelatedRowFailingTheTargetConditionIsNull) {
  // reader's orgs rule has `resource.name != "hidden-org"`: e2's author's team belongs to hidden-org.
  auto reader = by_id(rows("reader", R"(["author.team.org"])"), "e2");
  ASSERT_TRUE(reader["author"]["team"].is_object()) << reader.dump();
  EXPECT_EQ(reader["author"]["team"]["name"], "Shadow");
  ASSERT_TRUE(reader["author"]["team"].contains("org")) << reader.dump();
  EXPECT_TRUE(reader["author"]["team"]["org"].is_null()) << reader.dump();
  auto admin = by_id(rows("admin", R"(["author.team.org"])"), "e2");
  EXPECT_EQ(admin["author"]["team"]["org"]["name"], "hidden-org");
}

TEST_F(BridgeExpand, HopWithoutSelectRuleIsForbidden) {
  // Nobody but role vaultkeeper may read vaults; guests (public) have no rule on teams.
  auto vault = s().select("reader", "books", J(R"({"where": {"batch": "E"}, "expand": ["author.vault"]})"));
  EXPECT_ERROR(vault, 403, "FORBIDDEN");
  EXPECT_FALSE(contains(vault.raw, "s3cr3t"));
  EXPECT_ERROR(s().select("admin", "authors", J(R"({"where": {"id": "x1"}, "expand": ["vault"]})")), 403,
               "FORBIDDEN");
  EXPECT_ERROR(s().select("guest", "books", J(R"({"where": {"batch": "E"}, "expand": ["author.team"]})")),
               403, "FORBIDDEN");
  // The allowed part alone works for the guest.
  auto guest = s().select("guest", "books", J(R"({"where": {"batch": "E"}, "expand": ["author"]})"));
  ASSERT_OK(guest);
}

TEST_F(BridgeExpand, HiddenForeignKeyIsUsedButNotShown) {
  // guest reads books through the public rule: columns [id, title, status, batch] (no author_id), published
  // only.
  auto r = s().select("guest", "books",
                      J(R"({"where": {"batch": "E"}, "orderBy": {"id": "asc"}, "expand": ["author"]})"));
  ASSERT_OK(r);
  EXPECT_JSON_EQ(r.data(), J(R"([
    {"id": "e1", "title": "First", "status": "published", "batch": "E", "author": {"id": "x1", "handle": "ann"}},
    {"id": "e5", "title": "Fifth", "status": "published", "batch": "E", "author": {"id": "x1", "handle": "ann"}}])"));
  // Same when the caller's projection leaves the FK out.
  auto projected = s().select("admin", "books",
                              J(R"({"where": {"id": "e1"}, "select": ["title"], "expand": ["author"]})"));
  ASSERT_OK(projected);
  ASSERT_EQ(projected.data().size(), 1u);
  EXPECT_EQ(sorted_keys(projected.data()[0]), (V{"author", "title"}));
  EXPECT_EQ(projected.data()[0]["author"]["handle"], "ann");
}

TEST_F(BridgeExpand, DuplicateAndOverlappingEntries) {
  auto once = rows("admin", R"(["author"])");
  EXPECT_JSON_EQ(rows("admin", R"(["author", "author"])"), once);
  auto deep = rows("admin", R"(["author.team"])");
  EXPECT_JSON_EQ(rows("admin", R"(["author", "author.team"])"), deep);
  EXPECT_EQ(by_id(deep, "e1")["author"]["team"]["name"], "Core");
}

TEST_F(BridgeExpand, WorksWithPagingAndCount) {
  auto r =
      s().select("admin", "books",
                 J(R"({"where": {"batch": "E"}, "orderBy": {"title": "asc"}, "limit": 2, "count": "exact",
                           "expand": ["author.team"]})"));
  ASSERT_OK(r);
  ASSERT_EQ(r.data().size(), 2u);
  EXPECT_EQ(strings_of(r.data(), "title"), (V{"Fifth", "First"}));
  EXPECT_EQ(r.data()[0]["author"]["team"]["name"], "Core");
  EXPECT_EQ(r.body["meta"]["count"], 6);
}

TEST_F(BridgeExpand, UnknownOrMalformedRelationsAreRejected) {
  for (const char* bad :
       {R"(["nope"])", R"(["author.nope"])", R"(["author_id"])", R"(["authors"])", R"(["author."])",
        R"([".author"])", R"(["author..team"])", R"(["Author"])", R"([1])", R"([null])", R"([["author"]])",
        R"("author")", R"({"author": true})", R"(["title"])"}) {
    auto r =
        s().select("admin", "books", J(std::string(R"({"where": {"batch": "E"}, "expand": )") + bad + "}"));
    EXPECT_ERROR(r, 400, "BAD_REQUEST") << "expand: " << bad;
  }
  // expand belongs to select only.
  EXPECT_ERROR(s().call("admin", "db/books/update",
                        J(R"({"where": {"id": "e1"}, "data": {"title": "First"}, "expand": ["author"]})")),
               400, "BAD_REQUEST");
  EXPECT_ERROR(s().call("admin", "db/books/delete", J(R"({"where": {"id": "nope"}, "expand": ["author"]})")),
               400, "BAD_REQUEST");
}

}  // namespace
