#pragma once
// Rate limits of the Bridge (spec bridge-crud §12, sdk-mcp-observability §10): token buckets per client IP,
// per API key and per end user, each keyed by project/env. Limits come from the release (config/limits.yaml)
// or, for a limiter the project does not set, from the Bridge's environment (STK_RATE_LIMIT_PER_*).
//
// One RateLimiter serves every worker thread: a client's connections land on different workers, so the
// buckets are shared, in kShards maps each behind its own small mutex (a request locks one shard for a few
// hundred nanoseconds; no global lock). Memory is bounded: a bucket that has refilled to its capacity carries
// no information and is dropped by sweep(), and each shard holds at most max_buckets / kShards entries.
//
// Cluster-wide limits (STK_REDIS_URL) never add a Redis round trip to a request: RedisSync (redis_sync.hpp)
// periodically takes the local consumption (take_usage), adds it to per-window counters in Redis and feeds
// the cluster totals back (apply_cluster), which lowers local buckets or denies a key until its window ends.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "limits/token_bucket.hpp"
#include "stk/core/error.hpp"
#include "stk/model/limits.hpp"

namespace stk::bridge::limits {

enum class Limiter : uint8_t { Ip = 0, ApiKey = 1, EndUser = 2 };
// "ip" | "api_key" | "end_user": the metric label (stk_bridge_rate_limited_total{limiter}) and log field.
std::string_view limiter_name(Limiter l);

struct Decision {
  bool allowed = true;
  int64_t retry_after_seconds = 0;  // >= 1 when denied
  std::string_view limiter;         // limiter_name() of the limit that denied; empty when allowed
  RateSpec spec;                    // that limit
  // "rate limit for this API key exceeded (1000 requests per 1m); retry after 2 s"
  std::string message() const;
};

// The 429 a denied request answers: TOO_MANY_REQUESTS with a Retry-After header.
class RateLimitExceeded : public Error {
 public:
  explicit RateLimitExceeded(const Decision& d)
      : Error(Code::TooManyRequests, d.message()),
        retry_after_seconds(d.retry_after_seconds),
        limiter(d.limiter) {}
  int64_t retry_after_seconds;
  std::string_view limiter;  // static string
};

// Environment defaults (used for each limiter config/limits.yaml does not set).
struct RateLimitDefaults {
  RateSpec api_key{1000, 60, 0};  // STK_RATE_LIMIT_PER_API_KEY
  RateSpec end_user{100, 60, 0};  // STK_RATE_LIMIT_PER_END_USER
  RateSpec ip{0, 60, 0};  // STK_RATE_LIMIT_PER_IP (off: behind a load balancer all clients share an IP)
};

// "1000" (per minute) or "1000/1m", "20/1s", "5000/1h"; nullopt when malformed. 0 = unlimited.
std::optional<RateSpec> parse_rate_setting(std::string_view text);

class RateLimiter {
 public:
  static constexpr size_t kShards = 64;
  struct Options {
    RateLimitDefaults defaults;
    size_t max_buckets = 1'000'000;  // across all shards
    bool cluster = false;            // a RateLimitSync with Redis collects the admitted counts (take_usage)
  };
  explicit RateLimiter(Options o);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // The limit that applies: the project's when config/limits.yaml sets it, else the environment default.
  RateSpec spec_for(Limiter which, const model::Limits& project) const;

  // One request against one bucket: (project, env, id = key id | sub | IP).
  Decision check(Limiter which, std::string_view project, std::string_view env, std::string_view id,
                 const RateSpec& spec, int64_t now_ns);
  // The request path: IP, then the API key or the end user. An empty `ip` / `principal_id` is not checked.
  Decision check_request(const model::Limits& limits, std::string_view project, std::string_view env,
                         std::string_view ip, bool end_user, std::string_view principal_id, int64_t now_ns);

  // Drops every bucket that is full again and has nothing pending for the cluster; returns how many.
  size_t sweep(int64_t now_ns);
  size_t size() const;
  static int64_t now_ns();  // steady clock

  // --- cluster sync (RedisSync's thread) ---
  struct Usage {
    std::string key;     // internal bucket key (never sent anywhere)
    std::string digest;  // hex digest of `key` (cached; empty until computed by the sync)
    Limiter limiter;
    RateSpec spec;
    int64_t delta = 0;  // requests admitted since the last take_usage
  };
  // Every bucket with admitted requests since the last call, or seen within `active_within_ns`; resets
  // their pending counts.
  void take_usage(std::vector<Usage>& out, int64_t now_ns, int64_t active_within_ns);
  struct ClusterTotal {
    std::string key;
    std::string digest;
    int64_t total = 0;          // admitted in the current window by every Bridge (this one's delta included)
    int64_t allowance = 0;      // what the window allows
    int64_t window_end_ns = 0;  // steady-clock time the window ends
  };
  void apply_cluster(const std::vector<ClusterTotal>& totals, int64_t now_ns);

 private:
  struct Entry {
    TokenBucket bucket;
    RateSpec spec;
    int64_t last_seen_ns = 0;
    int64_t pending = 0;          // admitted, not yet reported to the cluster
    int64_t denied_until_ns = 0;  // the cluster's window allowance is used up until then
    std::string digest;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map;
  };
  Shard& shard_of(std::string_view key) { return shards_[Hash{}(key) % kShards]; }
  static bool idle(const Entry& e, int64_t now_ns);

  Options opts_;
  size_t per_shard_max_;
  std::array<Shard, kShards> shards_;
};

// Ceil of nanoseconds to whole seconds, at least 1 (Retry-After).
inline int64_t retry_seconds(int64_t ns) {
  const int64_t s = (ns + 999'999'999) / 1'000'000'000;
  return s < 1 ? 1 : s;
}

}  // namespace stk::bridge::limits
