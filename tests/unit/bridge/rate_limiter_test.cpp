// Token buckets and the Bridge's rate limiter (per IP, API key, end user; cluster totals from Redis).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "limits/rate_limiter.hpp"
#include "limits/redis_sync.hpp"

using namespace stk::bridge::limits;
namespace model = stk::model;

namespace {

constexpr int64_t kSec = 1'000'000'000;

model::Limits no_project_limits() {
  return {};
}

}  // namespace

TEST(TokenBucket, StartsFullThenRefillsAtRequestsPerPeriod) {
  const RateSpec spec{60, 60, 0};  // 1 per second, capacity 60
  TokenBucket b(spec, 0);
  for (int i = 0; i < 60; ++i) ASSERT_EQ(b.take(spec, 0), 0) << i;
  const int64_t wait = b.take(spec, 0);
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, kSec);
  EXPECT_EQ(retry_seconds(wait), 1);
  EXPECT_GT(b.take(spec, kSec / 2), 0);  // half a token
  EXPECT_EQ(b.take(spec, kSec), 0);      // one token after 1 s
  EXPECT_GT(b.take(spec, kSec), 0);
  EXPECT_TRUE(b.full(spec, 100 * kSec));
}

TEST(TokenBucket, BurstIsTheCapacityAndRetryAfterComesFromTheRefill) {
  const RateSpec spec{6, 60, 2};  // 1 token per 10 s, capacity 2
  TokenBucket b(spec, 0);
  EXPECT_EQ(b.take(spec, 0), 0);
  EXPECT_EQ(b.take(spec, 0), 0);
  const int64_t wait = b.take(spec, 0);
  EXPECT_EQ(retry_seconds(wait), 10);
  EXPECT_EQ(retry_seconds(b.take(spec, 4 * kSec)), 6);
  EXPECT_EQ(b.take(spec, 10 * kSec), 0);
  EXPECT_NEAR(b.peek(spec, 1000 * kSec), 2.0, 1e-9);  // never above capacity
}

TEST(TokenBucket, ClampOnlyLowers) {
  const RateSpec spec{10, 1, 10};
  TokenBucket b(spec, 0);
  b.clamp(spec, 0, 3);
  EXPECT_NEAR(b.tokens(), 3.0, 1e-9);
  b.clamp(spec, 0, 7);
  EXPECT_NEAR(b.tokens(), 3.0, 1e-9);
  b.clamp(spec, 0, -5);
  EXPECT_NEAR(b.tokens(), 0.0, 1e-9);
}

TEST(RateSettings, EnvForms) {
  auto s = parse_rate_setting("1000");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->requests, 1000);
  EXPECT_EQ(s->per_seconds, 60);
  s = parse_rate_setting("20/1s");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->requests, 20);
  EXPECT_EQ(s->per_seconds, 1);
  EXPECT_TRUE(parse_rate_setting("0")->unlimited());
  for (const char* bad : {"", "-1", "ten", "10/", "10/1d", "1e3", "10/60"})
    EXPECT_FALSE(parse_rate_setting(bad)) << bad;
}

TEST(RateLimiter, ApiKeyLimitWithTheDeniedLimiterAndMessage) {
  RateLimiter rl({});
  model::Limits project;
  project.api_key = model::RateLimit{5, 60, 5};
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(rl.check_request(project, "shop", "dev", "", false, "key_a", 0).allowed) << i;
  auto d = rl.check_request(project, "shop", "dev", "", false, "key_a", 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limiter, "api_key");
  EXPECT_EQ(d.retry_after_seconds, 12);  // one token per 12 s
  EXPECT_EQ(d.message(), "rate limit for this API key exceeded (5 requests per 1m); retry after 12 s");
  // Another key, and the same key id in another env, have their own buckets.
  EXPECT_TRUE(rl.check_request(project, "shop", "dev", "", false, "key_b", 0).allowed);
  EXPECT_TRUE(rl.check_request(project, "shop", "prod", "", false, "key_a", 0).allowed);
  // The error the Bridge throws carries the Retry-After seconds and the limiter name.
  RateLimitExceeded e(d);
  EXPECT_EQ(e.code(), stk::Code::TooManyRequests);
  EXPECT_EQ(e.status(), 429);
  EXPECT_EQ(e.retry_after_seconds, 12);
  EXPECT_EQ(e.limiter, "api_key");
}

TEST(RateLimiter, EndUserPathUsesTheEndUserLimitAndBurst) {
  RateLimiter rl({});
  model::Limits project;
  project.end_user = model::RateLimit{100, 60, 20};
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(rl.check_request(project, "p", "e", "", true, "user-1", 0).allowed);
  auto d = rl.check_request(project, "p", "e", "", true, "user-1", 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limiter, "end_user");
  EXPECT_EQ(d.message(),
            "rate limit for this end user exceeded (100 requests per 1m, burst 20); retry after 1 s");
  // The API-key limiter is separate even with the same id.
  EXPECT_TRUE(rl.check_request(project, "p", "e", "", false, "user-1", 0).allowed);
}

TEST(RateLimiter, EnvDefaultsApplyWhenTheProjectSetsNothing) {
  RateLimiter::Options o;
  o.defaults.api_key = {3, 60, 0};
  o.defaults.end_user = {2, 60, 0};
  RateLimiter rl(o);
  const auto none = no_project_limits();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(rl.check_request(none, "p", "e", "1.2.3.4", false, "k", 0).allowed);
  EXPECT_FALSE(rl.check_request(none, "p", "e", "1.2.3.4", false, "k", 0).allowed);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(rl.check_request(none, "p", "e", "1.2.3.4", true, "u", 0).allowed);
  EXPECT_FALSE(rl.check_request(none, "p", "e", "1.2.3.4", true, "u", 0).allowed);
  // Defaults: 1000/min per key, 100/min per end user, IP off.
  RateLimiter d({});
  EXPECT_EQ(d.spec_for(Limiter::ApiKey, none), (RateSpec{1000, 60, 0}));
  EXPECT_EQ(d.spec_for(Limiter::EndUser, none), (RateSpec{100, 60, 0}));
  EXPECT_TRUE(d.spec_for(Limiter::Ip, none).unlimited());
  // requests: 0 in the project = unlimited, whatever the default.
  model::Limits off;
  off.api_key = model::RateLimit{0, 60, 0};
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(rl.check_request(off, "p", "e", "", false, "k", 0).allowed);
  EXPECT_EQ(rl.size(), 2u);  // unlimited checks create no bucket
}

TEST(RateLimiter, IpIsCheckedFirst) {
  RateLimiter rl({});
  model::Limits project;
  project.ip = model::RateLimit{2, 1, 2};
  project.api_key = model::RateLimit{100, 1, 100};
  EXPECT_TRUE(rl.check_request(project, "p", "e", "10.0.0.1", false, "k1", 0).allowed);
  EXPECT_TRUE(rl.check_request(project, "p", "e", "10.0.0.1", false, "k2", 0).allowed);
  auto d = rl.check_request(project, "p", "e", "10.0.0.1", false, "k3", 0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limiter, "ip");
  EXPECT_EQ(d.message(), "rate limit for this client IP exceeded (2 requests per 1s); retry after 1 s");
  EXPECT_TRUE(rl.check_request(project, "p", "e", "10.0.0.2", false, "k3", 0).allowed);
  EXPECT_TRUE(rl.check_request(project, "p", "e", "10.0.0.1", false, "k3", kSec).allowed);  // refilled
}

TEST(RateLimiter, SweepDropsRefilledBucketsSoDistinctIpsDoNotGrowMemory) {
  RateLimiter rl({});
  model::Limits project;
  project.ip = model::RateLimit{10, 1, 10};  // a token per 100 ms
  for (int i = 0; i < 5000; ++i)
    ASSERT_TRUE(rl.check_request(project, "p", "e", "ip" + std::to_string(i), false, "", 0).allowed);
  EXPECT_EQ(rl.size(), 5000u);
  EXPECT_EQ(rl.sweep(kSec / 20), 0u);  // half a token back: not full yet
  EXPECT_EQ(rl.sweep(kSec / 5), 5000u);
  EXPECT_EQ(rl.size(), 0u);
}

TEST(RateLimiter, HardCapPerShard) {
  RateLimiter::Options o;
  o.max_buckets = 64 * 16;  // 16 per shard
  RateLimiter rl(o);
  model::Limits project;
  project.ip = model::RateLimit{1, 3600, 1};  // never refills during the test
  for (int i = 0; i < 20000; ++i) rl.check_request(project, "p", "e", "ip" + std::to_string(i), false, "", 0);
  EXPECT_LE(rl.size(), o.max_buckets);
}

TEST(RateLimiter, SharedAcrossThreadsWithoutLosingCounts) {
  RateLimiter rl({});
  model::Limits project;
  project.api_key = model::RateLimit{1000, 3600, 1000};
  std::atomic<int> allowed{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (rl.check_request(project, "p", "e", "", false, "same-key", RateLimiter::now_ns()).allowed)
          ++allowed;
    });
  for (auto& t : ts) t.join();
  EXPECT_GE(allowed.load(), 1000);
  EXPECT_LE(allowed.load(), 1001);  // at most a fraction of a token refilled meanwhile
}

TEST(RateLimiter, ClusterTotalsLowerTheBucketOrDenyUntilTheWindowEnds) {
  RateLimiter::Options o;
  o.cluster = true;
  RateLimiter rl(o);
  model::Limits project;
  project.api_key = model::RateLimit{20, 60, 20};
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(rl.check_request(project, "p", "e", "", false, "k", 0).allowed);
  std::vector<RateLimiter::Usage> usage;
  rl.take_usage(usage, 0, kSec);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].delta, 3);
  EXPECT_EQ(usage[0].limiter, Limiter::ApiKey);
  // Other Bridges used 15 in this window: 20 - 18 = 2 left for everyone.
  rl.apply_cluster({{usage[0].key, "d1", 18, 20, 30 * kSec}}, 0);
  EXPECT_TRUE(rl.check_request(project, "p", "e", "", false, "k", 0).allowed);
  EXPECT_TRUE(rl.check_request(project, "p", "e", "", false, "k", 0).allowed);
  EXPECT_FALSE(rl.check_request(project, "p", "e", "", false, "k", 0).allowed);
  // Pending usage is reported next time; nothing pending for an idle key apart from a refresh.
  usage.clear();
  rl.take_usage(usage, 0, kSec);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].delta, 2);
  EXPECT_EQ(usage[0].digest, "d1");
  // The window is used up: denied until it ends, Retry-After counts down to it.
  rl.apply_cluster({{usage[0].key, "d1", 25, 20, 30 * kSec}}, kSec);
  auto d = rl.check_request(project, "p", "e", "", false, "k", 10 * kSec);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 20);
  EXPECT_EQ(rl.sweep(20 * kSec), 0u);  // a denied key is kept until its window ends
  EXPECT_TRUE(rl.check_request(project, "p", "e", "", false, "k", 31 * kSec).allowed);
  usage.clear();
  rl.take_usage(usage, 100 * kSec, kSec);
  EXPECT_EQ(usage.size(), 1u);  // the request at 31 s is pending
  usage.clear();
  rl.take_usage(usage, 100 * kSec, kSec);
  EXPECT_TRUE(usage.empty());  // idle and nothing pending
}

TEST(RedisUrl, Parsing) {
  auto t = parse_redis_url("redis://127.0.0.1:6380/2");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 6380);
  EXPECT_EQ(t->db, 2);
  EXPECT_TRUE(t->password.empty());
  t = parse_redis_url("redis://:s3cr%40t@cache.internal");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "cache.internal");
  EXPECT_EQ(t->port, 6379);
  EXPECT_EQ(t->password, "s3cr@t");
  EXPECT_EQ(t->describe(), "cache.internal:6379/0");  // what logs show: never the password
  t = parse_redis_url("redis://app:pw@h:1/");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->user, "app");
  EXPECT_EQ(t->password, "pw");
  for (const char* bad : {"", "http://h:1", "redis://", "redis://h:port", "redis://h:70000", "redis://h/x"})
    EXPECT_FALSE(parse_redis_url(bad)) << bad;
}
