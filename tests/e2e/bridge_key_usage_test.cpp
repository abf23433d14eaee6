// API keys' lastUsedAt end to end: the Bridge verifies keys itself and reports their use to the Hub
// (sync/key_usage_report, every STK_BRIDGE_KEY_USAGE_REPORT_MS; 200 ms here), and `stk apikey list` shows it.
// The Hub side of the report (POST /internal/apikeys/used): only forward, never past the Hub's clock, a
// service token, and a clear 400 for a malformed report.
#include "bridge_fixture.hpp"
#include "stk/core/time.hpp"

using namespace stk::e2e;

namespace {

class BridgeKeyUsage : public BridgeSuite<BridgeKeyUsage> {
 public:
  static BridgeStack::Options options() {
    return {{{"STK_BRIDGE_KEY_USAGE_REPORT_MS", "200"}}, {"admin", "reader", "writer"}};
  }

 protected:
  // lastUsedAt of a key as `stk apikey list --output json` shows it ("" for null).
  static std::string last_used(const std::string& key_name) {
    auto r = s().cli({"apikey", "list", "--output", "json"});
    BridgeStack::must(r, "apikey list");
    for (const auto& k : OJ::parse(r.out))
      if (k.at("keyId") == s().key_id(key_name))
        return k.at("lastUsedAt").is_null() ? "" : k.at("lastUsedAt").get<std::string>();
    throw std::runtime_error("key " + key_name + " missing from stk apikey list: " + r.out);
  }

  static stk::http::ClientResponse report(const std::string& body, const std::string& token) {
    stk::http::Client hub(s().hub.url());
    Headers h = {{"Content-Type", "application/json"}};
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return hub.request("POST", "/internal/apikeys/used", h, body, 5000);
  }
};

TEST_F(BridgeKeyUsage, ApiKeyListShowsWhenTheBridgeLastSawAKey) {
  EXPECT_EQ(last_used("reader"), "") << "a key nobody used has no lastUsedAt";
  const int64_t before = stk::unix_ms() / 1000 * 1000;  // the Bridge keeps whole seconds
  ASSERT_OK(s().select("reader", "books", J(R"({"limit": 1})")));
  std::string seen;
  auto took = BridgeStack::wait_for(
      [&] {
        seen = last_used("reader");
        return !seen.empty();
      },
      std::chrono::milliseconds(5000));
  ASSERT_FALSE(seen.empty()) << "lastUsedAt still empty after 5 s; bridge log:\n" << s().bridge->log();
  EXPECT_LE(took.count(), 5000);
  auto at = stk::parse_rfc3339(seen);
  ASSERT_TRUE(at) << seen;
  EXPECT_GE(*at, before);
  EXPECT_LE(*at, stk::unix_ms());
  EXPECT_EQ(last_used("writer"), "") << "only the key that was used moves";

  // A request the key is not allowed to make still is a use of the key; a wrong secret is not.
  EXPECT_ERROR(s().select("writer", "ledger"), 403, "FORBIDDEN");
  const std::string wrong = s().key("reader").substr(0, s().key("reader").find('.') + 1) + "not-the-secret";
  EXPECT_ERROR(s().post_call(R"({"path": "db/books/select", "params": {}})", {{"X-Santokit-Api-Key", wrong}}),
               401, "UNAUTHORIZED");
  std::string writer_seen;
  BridgeStack::wait_for(
      [&] {
        writer_seen = last_used("writer");
        return !writer_seen.empty();
      },
      std::chrono::milliseconds(5000));
  EXPECT_FALSE(writer_seen.empty());
  EXPECT_EQ(last_used("reader"), seen) << "a wrong secret moved the key's lastUsedAt";
}

TEST_F(BridgeKeyUsage, HubKeepsTheLatestUseAndRefusesBadReports) {
  const std::string id = s().key_id("admin");
  auto body = [&](const std::string& at) {
    return OJ{{"keys", OJ::array({OJ{{"keyId", id}, {"lastUsedAt", at}}})}}.dump();
  };
  // Far in the future (a Bridge with a fast clock): the Hub's own clock caps it.
  auto r = report(body("2999-01-01T00:00:00Z"), kTestBridgeToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(OJ::parse(r.body)["updated"], 1);
  const auto capped = stk::parse_rfc3339(last_used("admin"));
  ASSERT_TRUE(capped);
  EXPECT_LE(*capped, stk::unix_ms());
  EXPECT_GE(*capped, stk::unix_ms() - 60'000);
  // An older use (another Bridge's late report) never moves it back.
  r = report(body("2020-01-01T00:00:00Z"), kTestBridgeToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(OJ::parse(r.body)["updated"], 0);
  EXPECT_EQ(stk::parse_rfc3339(last_used("admin")), capped);
  // Unknown keys are skipped, not an error.
  r = report(R"({"keys": [{"keyId": "key_nosuch", "lastUsedAt": "2026-01-01T00:00:00Z"}]})",
             kTestBridgeToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(OJ::parse(r.body)["updated"], 0);

  // Without the service token: 401; malformed reports: 400 with what to fix.
  EXPECT_EQ(report(body("2026-01-01T00:00:00Z"), "").status, 401);
  EXPECT_EQ(report(body("2026-01-01T00:00:00Z"), "wrong-token").status, 401);
  for (const std::string bad : {R"({})", R"({"keys": {}})", R"({"keys": [{"keyId": "x"}]})",
                                R"({"keys": [{"keyId": 7, "lastUsedAt": "2026-01-01T00:00:00Z"}]})",
                                R"({"keys": [{"keyId": "x", "lastUsedAt": "yesterday"}]})", "not json"}) {
    auto res = report(bad, kTestBridgeToken);
    EXPECT_EQ(res.status, 400) << bad << " -> " << res.body;
    auto env = OJ::parse(res.body, nullptr, false);
    ASSERT_TRUE(env.is_object()) << res.body;
    EXPECT_EQ(env["error"]["code"], "BAD_REQUEST") << res.body;
  }
  EXPECT_EQ(stk::parse_rfc3339(last_used("admin")), capped) << "a refused report changed lastUsedAt";
}

}  // namespace
