// Hub → Bridge propagation and offline operation end to end (DESIGN.md "Hub → Bridge propagation"): a new
// release is served within 1 s of `stk apply` returning; the Bridge keeps serving its cached release while
// the Hub is down, also after a restart (from its disk cache).
#include "bridge_fixture.hpp"

using namespace stk::e2e;

namespace {

constexpr std::chrono::milliseconds kPropagation{1000};

class BridgePropagation : public BridgeSuite<BridgePropagation> {
 public:
  static BridgeStack::Options options() { return {{}, {"admin", "reader"}}; }
};

TEST_F(BridgePropagation, PermissionChangesAreServedWithinOneSecond) {
  EXPECT_ERROR(s().select("reader", "ledger"), 403, "FORBIDDEN");
  auto before = s().select("reader", "books", J(R"({"select": ["title", "price"], "limit": 1})"));
  ASSERT_OK(before);
  ASSERT_OK(s().insert("admin", "books", J(R"({"title": "t", "price": "1.25"})")));

  // Grant reader a ledger rule and the price column.
  std::string perms = kBridgePermissions;
  const std::string reader_books = "columns: [id, title, genre, pages, sold, published_at, author_id, batch]";
  auto at = perms.find(reader_books);
  ASSERT_NE(at, std::string::npos);
  perms.replace(at, reader_books.size(), "columns: [id, title, price]");
  perms += "  ledger:\n    select:\n      - roles: [reader]\n";
  write_file(s().project_dir + "/config/permissions.yaml", perms);
  auto r = s().cli({"apply", "--ref", "r2"});
  ASSERT_EQ(r.exit_code, 0) << r.all();

  Reply last;
  auto el = BridgeStack::wait_for(
      [&] {
        last = s().select("reader", "ledger");
        return last.status == 200;
      },
      kPropagation);
  EXPECT_LE(el, kPropagation) << "new rule not served within 1 s: " << last.describe();
  auto books = s().select("reader", "books", J(R"({"where": {"title": "t"}, "select": ["title", "price"]})"));
  ASSERT_OK(books);
  ASSERT_EQ(books.data().size(), 1u);
  EXPECT_JSON_EQ(books.data()[0], J(R"({"title": "t", "price": "1.25"})"));

  // And back: the rule disappears just as fast.
  write_file(s().project_dir + "/config/permissions.yaml", kBridgePermissions);
  r = s().cli({"apply", "--ref", "r3"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  el = BridgeStack::wait_for(
      [&] {
        last = s().select("reader", "ledger");
        return last.status == 403;
      },
      kPropagation);
  EXPECT_LE(el, kPropagation) << "removed rule still served after 1 s: " << last.describe();
  auto hidden =
      s().select("reader", "books", J(R"({"where": {"title": "t"}, "select": ["title", "price"]})"));
  ASSERT_OK(hidden);
  EXPECT_JSON_EQ(hidden.data(), J(R"([{"title": "t"}])"));
}

TEST_F(BridgePropagation, SchemaChangesAreServedWithinOneSecond) {
  std::string schema = kBridgeSchema;
  const std::string anchor = "      amount: { type: decimal }\n";
  auto at = schema.find(anchor);
  ASSERT_NE(at, std::string::npos);
  schema.insert(at + anchor.size(), "      memo: { type: string, nullable: true }\n");
  write_file(s().project_dir + "/schema/library.yaml", schema);
  std::string perms = std::string(kBridgePermissions) +
                      "  ledger:\n    select:\n      - roles: [admin]\n"
                      "    insert:\n      - roles: [admin]\n";
  write_file(s().project_dir + "/config/permissions.yaml", perms);
  auto r = s().cli({"apply", "--ref", "r4"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  Reply last;
  auto el = BridgeStack::wait_for(
      [&] {
        last = s().insert("admin", "ledger", J(R"({"amount": "3.50", "memo": "new column"})"));
        return last.status == 200;
      },
      kPropagation);
  EXPECT_LE(el, kPropagation) << "new column not served within 1 s: " << last.describe();
  ASSERT_OK(last);
  EXPECT_EQ(last.data()[0]["memo"], "new column");
  EXPECT_EQ(last.data()[0]["amount"], "3.50");
}

class BridgeOffline : public BridgeSuite<BridgeOffline> {
 public:
  static BridgeStack::Options options() { return {{}, {"admin", "reader"}}; }

 protected:
  // The answers that must not change while the Hub is away.
  static void expect_serving(const std::string& t, const std::string& when) {
    SCOPED_TRACE(when);
    auto sel =
        s().select("reader", "books", J(R"({"where": {"batch": "@T"}, "select": ["title", "price"]})", t));
    ASSERT_OK(sel);
    EXPECT_JSON_EQ(sel.data(), J(R"([{"title": "cached"}])"));
    EXPECT_ERROR(s().select("reader", "ledger"), 403, "FORBIDDEN");
    EXPECT_ERROR(s().insert("reader", "books", J(R"({"title": "x"})")), 403, "FORBIDDEN");
    EXPECT_ERROR(s().post_call(R"({"path": "db/books/select"})", {{"X-Santokit-Api-Key", "key_x.y"}}), 401,
                 "UNAUTHORIZED");
    auto ins = s().insert("admin", "books", J(R"({"title": "offline write", "batch": "@T-w"})", t));
    EXPECT_OK(ins);
  }
};

TEST_F(BridgeOffline, ServesFromCacheWhileHubIsDownAndAcrossRestarts) {
  auto t = tag();
  ASSERT_OK(s().insert("admin", "books", J(R"({"title": "cached", "price": "5", "batch": "@T"})", t)));
  expect_serving(t, "Hub up");

  s().hub.stop();
  expect_serving(t, "Hub down");

  s().bridge->restart();  // SIGTERM, then start again with the same cache dir; the Hub is still down
  ASSERT_NO_THROW(s().wait_until_serving()) << s().bridge->log();
  expect_serving(t, "Bridge restarted (SIGTERM) while the Hub is down");

  s().bridge->kill();
  s().bridge->restart();
  ASSERT_NO_THROW(s().wait_until_serving()) << s().bridge->log();
  expect_serving(t, "Bridge restarted after SIGKILL while the Hub is down");
  EXPECT_EQ(s().sql("SELECT count(*) FROM books WHERE batch = '" + t + "-w'"), std::vector<std::string>{"4"});
}

}  // namespace
