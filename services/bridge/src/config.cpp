#include "config.hpp"

#include <algorithm>
#include <thread>

#include "stk/core/env.hpp"
#include "stk/core/error.hpp"

namespace stk::bridge {
namespace {

int64_t bounded(const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  int64_t v = env_int(name, fallback);
  if (v < lo || v > hi)
    throw Error(Code::BadRequest,
                std::string(name) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return v;
}

limits::RateSpec rate_setting(const char* name, limits::RateSpec fallback) {
  const std::string text = env_or(name, "");
  if (text.empty()) return fallback;
  auto spec = limits::parse_rate_setting(text);
  if (!spec || spec->requests > 1'000'000'000)
    throw Error(Code::BadRequest, std::string(name) +
                                      " must be a number of requests per minute (0 = unlimited) or "
                                      "'<requests>/<period>' like 100/1s, 1000/1m or 5000/1h");
  return *spec;
}

}  // namespace

BridgeConfig BridgeConfig::from_env() {
  BridgeConfig c;
  c.hub_url = env_or("STK_HUB_URL", c.hub_url);
  c.bridge_token = env_or("STK_BRIDGE_TOKEN", "");
  c.host = env_or("STK_BRIDGE_HOST", c.host);
  c.port = int(bounded("STK_BRIDGE_PORT", c.port, 0, 65535));
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  c.threads = int(bounded("STK_BRIDGE_THREADS", 0, 0, 256));
  if (c.threads == 0) c.threads = cores;
  c.cache_dir = env_or("STK_BRIDGE_CACHE_DIR", c.cache_dir);
  c.db_pool_size = int(bounded("STK_BRIDGE_DB_POOL_SIZE", c.db_pool_size, 1, 1000));
  // 0 (default): the cores a worker has to itself — with PostgreSQL on the same host, a worker that mostly
  // waits for its one busy backend may keep a second one busy on a spare core (pg/load_spread.hpp).
  c.db_spread = int(bounded("STK_BRIDGE_DB_SPREAD", 0, 0, 1000));
  if (c.db_spread == 0) c.db_spread = std::max(1, cores / c.threads);
  c.db_spread = std::min(c.db_spread, c.db_pool_size);
  c.db_read_group = int(bounded("STK_BRIDGE_DB_READ_GROUP", 8, 1, 64));
  c.poll_wait_seconds = int(bounded("STK_BRIDGE_POLL_INTERVAL", c.poll_wait_seconds, 1, 300));
  c.key_usage_report_ms =
      int(bounded("STK_BRIDGE_KEY_USAGE_REPORT_MS", c.key_usage_report_ms, 100, 3'600'000));
  c.max_stale_seconds = bounded("STK_BRIDGE_MAX_STALE", c.max_stale_seconds, 1, 365LL * 86400);
  c.query_timeout_seconds = int(bounded("STK_QUERY_TIMEOUT_SECONDS", c.query_timeout_seconds, 1, 3600));
  c.max_inflight_per_worker =
      size_t(bounded("STK_BRIDGE_MAX_INFLIGHT_PER_WORKER", int64_t(c.max_inflight_per_worker), 1, 1 << 20));
  c.disable_auth = env_bool("STK_DISABLE_AUTH", false);
  auto& l = c.limits;
  l.max_expand_depth = int(bounded("STK_MAX_EXPAND_DEPTH", l.max_expand_depth, 0, 10));
  l.select_max_rows = bounded("STK_SELECT_MAX_ROWS", l.select_max_rows, 1, 10'000'000);
  l.where_max_conditions = int(bounded("STK_WHERE_MAX_CONDITIONS", l.where_max_conditions, 1, 10000));
  l.request_body_max_bytes = size_t(bounded("STK_REQUEST_BODY_MAX_SIZE_MB", 10, 1, 1024)) << 20;
  l.response_body_max_bytes = size_t(bounded("STK_RESPONSE_BODY_MAX_SIZE_MB", 50, 1, 4096)) << 20;
  auto& rl = c.rate_limits;
  rl.api_key = rate_setting("STK_RATE_LIMIT_PER_API_KEY", rl.api_key);
  rl.end_user = rate_setting("STK_RATE_LIMIT_PER_END_USER", rl.end_user);
  rl.ip = rate_setting("STK_RATE_LIMIT_PER_IP", rl.ip);
  c.redis_url = env_or("STK_REDIS_URL", "");
  c.redis_sync_interval_ms = int(bounded("STK_REDIS_SYNC_INTERVAL_MS", c.redis_sync_interval_ms, 10, 10000));
  return c;
}

}  // namespace stk::bridge
