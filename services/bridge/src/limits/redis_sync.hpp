#pragma once
// Background upkeep of the rate limiter: drops idle buckets every second and, when STK_REDIS_URL is set,
// makes the limits cluster-wide. Every sync interval (default 100 ms) it pushes each active key's local
// consumption to Redis — INCRBY on a fixed-window counter `stk:rl:<limiter>:<digest>:<window index>` with an
// EXPIRE, pipelined, one round trip for all keys — and feeds the totals back to the limiter, which lowers the
// local bucket to the window's remaining allowance or denies the key until the window ends. Requests never
// wait for Redis. Redis unreachable ⇒ a (rate-limited) warning and local-only limits; it reconnects later.
// The digest is a SHA-256 of the internal bucket key (project/env + key id | sub | IP), never an API key.
#include <cstdint>
#include <optional>
#include <string>

#include "limits/rate_limiter.hpp"
#include "stk/core/periodic_thread.hpp"

namespace stk::bridge::limits {

struct RedisTarget {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string user, password;  // never logged
  std::string describe() const { return host + ":" + std::to_string(port) + "/" + std::to_string(db); }
};
// redis://[[user]:password@]host[:port][/db]; nullopt when malformed.
std::optional<RedisTarget> parse_redis_url(const std::string& url);

class RateLimitSync {
 public:
  struct Options {
    std::optional<RedisTarget> redis;  // none = local limits only (the thread still sweeps)
    int sync_interval_ms = 100;
    int sweep_interval_ms = 1000;
  };
  RateLimitSync(RateLimiter& limiter, Options o);
  ~RateLimitSync();
  void start();
  void stop();

 private:
  struct Conn;
  void sync_once(Conn& conn);

  RateLimiter& limiter_;
  Options opts_;
  PeriodicThread periodic_;
};

}  // namespace stk::bridge::limits
