// e2e: rate limits (spec bridge-crud §12, DESIGN "Overload"/"Scale"): config/limits.yaml carried in the
// release, 429 TOO_MANY_REQUESTS with Retry-After per API key and per client IP, and cluster-wide limits
// through a real redis-server shared by two Bridges (and local limits when it dies).
#include <cstdlib>

#include "bridge_fixture.hpp"

namespace stk::e2e {
namespace {

// Retry-After of a reply; -1 when absent or not an integer.
int retry_after(const Reply& r) {
  for (const auto& [k, v] : r.headers) {
    std::string lower = k;
    for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "retry-after")
      return v.empty() || v.find_first_not_of("0123456789") != std::string::npos ? -1 : std::atoi(v.c_str());
  }
  return -1;
}

// A client for one more Bridge process.
struct Peer {
  explicit Peer(Bridge& b) : bridge(b), client(b.url()) {}
  Reply call(const std::string& api_key, const std::string& path, const OJ& params = OJ::object()) {
    OJ body = {{"path", path}, {"params", params}};
    auto res = client.request("POST", "/call",
                              {{"X-Santokit-Api-Key", api_key}, {"Content-Type", "application/json"}},
                              body.dump(), 15000);
    Reply r;
    r.status = res.status;
    r.raw = res.body;
    r.body = OJ::parse(res.body, nullptr, false);
    r.headers = res.headers;
    return r;
  }
  // Waits until /readyz reports the project's release (with its keys), without spending any key's tokens.
  void wait_ready() {
    auto el = BridgeStack::wait_for(
        [&] {
          try {
            return client.request("GET", "/readyz?project=lib&env=dev", {}, "", 2000).status == 200;
          } catch (const std::exception&) {
            return false;
          }
        },
        std::chrono::milliseconds(15000));
    if (el > std::chrono::milliseconds(15000))
      throw std::runtime_error("Bridge not ready within 15 s:\n" + bridge.log());
  }
  Bridge& bridge;
  http::Client client;
};

const OJ kLimitZero = OJ{{"limit", 0}};

}  // namespace

// Project limit: 5 requests per minute per API key.
class BridgeLimits : public BridgeSuite<BridgeLimits> {
 public:
  static BridgeStack::Options options() {
    BridgeStack::Options o;
    o.keys = {"reader", "writer", "guest", "c_eq"};
    o.limits_yaml = "rateLimits:\n  apiKey: { requests: 5, per: 1m }\n";
    return o;
  }
};

TEST_F(BridgeLimits, SixthRequestOfAKeyIs429WithRetryAfterAndTheEnvelope) {
  for (int i = 0; i < 5; ++i) ASSERT_OK(s().select("reader", "books", kLimitZero)) << "request " << i + 1;
  auto r = s().select("reader", "books", kLimitZero);
  EXPECT_ERROR(r, 429, "TOO_MANY_REQUESTS");
  EXPECT_EQ(r.message(), "rate limit for this API key exceeded (5 requests per 1m); retry after 12 s")
      << r.describe();
  EXPECT_EQ(retry_after(r), 12) << r.describe();  // one token per 12 s
  EXPECT_TRUE(matches(r.body["error"].value("requestId", ""), "[0-9a-f-]{36}")) << r.describe();
  EXPECT_FALSE(r.request_id.empty());
  // The same through a REST alias: the key is limited, not the route.
  auto rest = s().http("GET", "/db/books/select?limit=0", "", s().with_key("reader"));
  EXPECT_ERROR(rest, 429, "TOO_MANY_REQUESTS");
  EXPECT_GE(retry_after(rest), 1);
  // Another key is not affected.
  for (int i = 0; i < 5; ++i) EXPECT_OK(s().select("writer", "books", kLimitZero));
}

TEST_F(BridgeLimits, TheLimitIsCheckedRightAfterTheCredential) {
  for (int i = 0; i < 5; ++i) ASSERT_OK(s().select("guest", "authors", kLimitZero));
  // Past the limit, even a request that would fail later (unknown table) is answered 429 first: the limit
  // sits right after credential resolution.
  EXPECT_ERROR(s().select("guest", "no_such_table"), 429, "TOO_MANY_REQUESTS");
  // Unauthenticated requests are not charged to any key.
  EXPECT_ERROR(s().post_call(R"({"path":"db/books/select","params":{}})", {}), 401, "UNAUTHORIZED");
}

TEST_F(BridgeLimits, IpLimitFromTheEnvironmentComesBeforeTheKeyLimit) {
  // The project sets only apiKey: a Bridge started with STK_RATE_LIMIT_PER_IP applies it per client IP
  // (all of this test's requests come from 127.0.0.1), whatever key they carry.
  Bridge b(s().hub.url(), {{"STK_RATE_LIMIT_PER_IP", "3/1m"}});
  Peer p(b);
  p.wait_ready();
  // Three keys, one IP: the third key's own bucket is full, but the IP's is empty after three requests.
  EXPECT_OK(p.call(s().key("c_eq"), "db/docs/select", kLimitZero));
  EXPECT_OK(p.call(s().key("admin"), "db/docs/select", kLimitZero));
  EXPECT_ERROR(p.call(s().key("writer"), "db/docs/select", kLimitZero), 403, "FORBIDDEN");  // no docs rule
  auto r = p.call(s().key("c_eq"), "db/docs/select", kLimitZero);
  EXPECT_ERROR(r, 429, "TOO_MANY_REQUESTS");
  EXPECT_EQ(r.message(), "rate limit for this client IP exceeded (3 requests per 1m); retry after 20 s")
      << r.describe();
  EXPECT_EQ(retry_after(r), 20);
}

TEST_F(BridgeLimits, BadLimitsFileIsRejectedAtApplyWithFileLineAndFix) {
  write_file(s().project_dir + "/config/limits.yaml", "rateLimits:\n  apiKey: { requests: 5, per: 60 }\n");
  auto r = s().cli({"apply", "--ref", "bad-limits"});
  write_file(s().project_dir + "/config/limits.yaml", "rateLimits:\n  apiKey: { requests: 5, per: 1m }\n");
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_TRUE(contains(r.all(), "config/limits.yaml:2:")) << r.all();
  EXPECT_TRUE(contains(r.all(), "'per' must be a duration like 30s, 1m or 1h")) << r.all();
  auto local = s().cli({"schema", "validate"});
  EXPECT_EQ(local.exit_code, 0) << local.all();  // the file is fine again
}

// Cluster-wide limits: two Bridges sharing a redis-server (password-protected; the password never shows in
// their logs). Limit 20 per minute per key.
class BridgeRedisLimits : public BridgeSuite<BridgeRedisLimits> {
 public:
  static BridgeStack::Options options() {
    BridgeStack::Options o;
    o.keys = {"reader", "writer", "guest"};
    o.limits_yaml = "rateLimits:\n  apiKey: { requests: 20, per: 1m }\n";
    return o;
  }
  static constexpr const char* kPassword = "rl-redis-pw-not-for-logs";
};

TEST_F(BridgeRedisLimits, LimitsHoldAcrossBridgesAndFallBackToLocalWhenRedisDies) {
  if (!RedisServer::available())
    GTEST_SKIP() << "redis-server is not installed (" << RedisServer::binary()
                 << "); scripts/bootstrap installs it";
  auto redis = std::make_unique<RedisServer>(kPassword);
  const std::map<std::string, std::string> env = {{"STK_REDIS_URL", redis->url()},
                                                  {"STK_REDIS_SYNC_INTERVAL_MS", "100"}};
  Bridge a(s().hub.url(), env), b(s().hub.url(), env);
  Peer pa(a), pb(b);
  pa.wait_ready();
  pb.wait_ready();
  const std::string key = s().key("reader");
  // Redis counts fixed 1-minute windows aligned on the clock: start well inside one.
  const auto in_minute = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() %
                         60000;
  if (in_minute > 50000) std::this_thread::sleep_for(std::chrono::milliseconds(60000 - in_minute + 200));

  // 15 on Bridge A: all within the limit.
  for (int i = 0; i < 15; ++i) ASSERT_EQ(pa.call(key, "db/books/select", kLimitZero).status, 200) << i;
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // > sync interval: A has reported them
  // 15 on Bridge B (paced like a steady client): B learns the cluster total and stops near 20 overall.
  int b_ok = 0, b_429 = 0;
  Reply denied;
  for (int i = 0; i < 15; ++i) {
    auto r = pb.call(key, "db/books/select", kLimitZero);
    if (r.status == 200) ++b_ok;
    if (r.status == 429) {
      ++b_429;
      denied = r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  }
  EXPECT_GT(b_429, 0) << "B admitted all 15: the limit is not cluster-wide\nB log:\n" << b.log();
  EXPECT_LE(15 + b_ok, 20 + 4) << "overshoot beyond ~one sync interval of requests";
  EXPECT_GE(b_ok, 1);
  EXPECT_ERROR(denied, 429, "TOO_MANY_REQUESTS");
  EXPECT_GE(retry_after(denied), 1);
  EXPECT_LE(retry_after(denied), 60);
  // A learns it too (B reported its share; idle keys are refreshed every 5 sync intervals).
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(pa.call(key, "db/books/select", kLimitZero).status, 429);
  // Without Redis, each Bridge alone would have admitted 20 of its own: another key shows B still
  // serves fine.
  EXPECT_EQ(pb.call(s().key("writer"), "db/books/select", kLimitZero).status, 200);

  // Redis dies: both Bridges keep serving, with local limits (20 per key per Bridge).
  redis->stop();
  const std::string guest = s().key("guest");
  int a_ok = 0;
  Reply last;
  for (int i = 0; i < 21; ++i) {
    last = pa.call(guest, "db/authors/select", kLimitZero);
    if (last.status == 200) ++a_ok;
    if (i == 10) std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a few failed syncs
  }
  EXPECT_EQ(a_ok, 20) << a.log();
  EXPECT_ERROR(last, 429, "TOO_MANY_REQUESTS");
  EXPECT_EQ(pb.call(guest, "db/authors/select", kLimitZero).status, 200);  // B has its own local bucket
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(contains(a.log(), "Redis unreachable")) << a.log();
  EXPECT_FALSE(contains(a.log() + b.log(), kPassword)) << "a Bridge logged the Redis password";
  EXPECT_TRUE(contains(a.log(), "127.0.0.1:" + std::to_string(redis->port()))) << a.log();
}

}  // namespace stk::e2e
