#pragma once
// santokit-bridge configuration, read once from the environment (docs/configuration.md).
#include <cstdint>
#include <memory>
#include <string>

#include "limits/rate_limiter.hpp"

namespace stk::bridge {

struct Limits {
  int max_expand_depth = 3;                    // STK_MAX_EXPAND_DEPTH
  int64_t select_max_rows = 10000;             // STK_SELECT_MAX_ROWS
  int where_max_conditions = 50;               // STK_WHERE_MAX_CONDITIONS
  int in_max_items = 1000;                     // $in / $notIn items
  int insert_max_rows = 1000;                  // rows per batch insert
  size_t request_body_max_bytes = 10u << 20;   // STK_REQUEST_BODY_MAX_SIZE_MB
  size_t response_body_max_bytes = 50u << 20;  // STK_RESPONSE_BODY_MAX_SIZE_MB
};

struct BridgeConfig {
  std::string hub_url = "http://127.0.0.1:4000";    // STK_HUB_URL
  std::string bridge_token;                         // STK_BRIDGE_TOKEN (Bearer on /internal/*)
  std::string host = "0.0.0.0";                     // STK_BRIDGE_HOST
  int port = 3000;                                  // STK_BRIDGE_PORT (0 = free port)
  int threads = 0;                                  // STK_BRIDGE_THREADS (0 = number of cores)
  std::string cache_dir = "santokit-bridge-cache";  // STK_BRIDGE_CACHE_DIR
  int db_pool_size = 4;                             // STK_BRIDGE_DB_POOL_SIZE: per worker, per database
  int db_spread =
      1;  // STK_BRIDGE_DB_SPREAD: backends that may share a worker's load (env default: cores ÷ workers)
  int db_read_group = 8;  // STK_BRIDGE_DB_READ_GROUP: selects per Sync on a connection (stk::pg read groups)
  int poll_wait_seconds = 30;             // STK_BRIDGE_POLL_INTERVAL
  int key_usage_report_ms = 30000;        // STK_BRIDGE_KEY_USAGE_REPORT_MS: API keys' lastUsedAt to the Hub
  int64_t max_stale_seconds = 3600;       // STK_BRIDGE_MAX_STALE
  int query_timeout_seconds = 30;         // STK_QUERY_TIMEOUT_SECONDS
  size_t max_inflight_per_worker = 4096;  // STK_BRIDGE_MAX_INFLIGHT_PER_WORKER ⇒ 503 beyond
  bool disable_auth = false;              // STK_DISABLE_AUTH (development only)
  Limits limits;
  // Rate limits: env defaults for the limiters a project's config/limits.yaml does not set
  // (STK_RATE_LIMIT_PER_API_KEY / _PER_END_USER / _PER_IP: "N" per minute or "N/<Ns|Nm|Nh>", 0 = off).
  limits::RateLimitDefaults rate_limits;
  std::string redis_url;  // STK_REDIS_URL: cluster-wide rate limits (never logged: may hold a password)
  int redis_sync_interval_ms = 100;  // STK_REDIS_SYNC_INTERVAL_MS
  // Built by main from the above; null = no rate limiting (unit tests that do not need it).
  std::shared_ptr<limits::RateLimiter> rate_limiter;

  static BridgeConfig from_env();  // throws stk::Error(BadRequest) naming the bad variable
};

}  // namespace stk::bridge
