// santokit-bridge: the data plane. Configuration comes from the environment (docs/configuration.md).
#include <pthread.h>
#include <signal.h>

#include <cstring>
#include <iostream>

#include "allocator.hpp"
#include "api/bridge_app.hpp"
#include "config.hpp"
#include "limits/redis_sync.hpp"
#include "release/release_cache.hpp"
#include "stk/core/error.hpp"
#include "stk/core/log.hpp"
#include "stk/http/server.hpp"
#include "sync/hub_sync.hpp"
#include "sync/key_usage_report.hpp"

namespace {
const char* kHelp =
    R"(santokit-bridge — Santokit data plane (POST /call, REST aliases, /healthz, /readyz, /metrics)

Usage: santokit-bridge [--help] [--version]

Configuration is read from the environment (docs/configuration.md has the full list):
  STK_HUB_URL                  the Hub to sync releases from (default http://127.0.0.1:4000)
  STK_BRIDGE_TOKEN             service token for the Hub's /internal feeds (one of the Hub's STK_BRIDGE_TOKENS)
  STK_BRIDGE_PORT              listen port (default 3000; 0 = pick a free port, printed at start)
  STK_BRIDGE_HOST              listen address (default 0.0.0.0)
  STK_BRIDGE_THREADS           worker threads (default: number of cores)
  STK_BRIDGE_CACHE_DIR         last releases on disk, served while the Hub is down (default ./santokit-bridge-cache)
  STK_BRIDGE_DB_POOL_SIZE      PostgreSQL connections per worker and database (default 4)
  STK_BRIDGE_DB_SPREAD         of those, how many may share the load while the worker waits on them
                               (default: cores ÷ workers, at least 1; see docs/configuration.md)
  STK_BRIDGE_POLL_INTERVAL     release long-poll wait in seconds (default 30; changes arrive at once)
  STK_BRIDGE_MAX_STALE         seconds without the Hub before answering 503 (default 3600)
  STK_MAX_EXPAND_DEPTH, STK_SELECT_MAX_ROWS, STK_WHERE_MAX_CONDITIONS, STK_REQUEST_BODY_MAX_SIZE_MB,
  STK_RESPONSE_BODY_MAX_SIZE_MB, STK_QUERY_TIMEOUT_SECONDS    request limits (spec defaults 3, 10000, 50, 10, 50, 30)
  STK_RATE_LIMIT_PER_API_KEY, STK_RATE_LIMIT_PER_END_USER, STK_RATE_LIMIT_PER_IP
                               requests per minute, or N/<Ns|Nm|Nh> (defaults 1000, 100, 0; 0 = unlimited);
                               a project's config/limits.yaml overrides them
  STK_REDIS_URL                redis://[:password@]host:port[/db]: rate limits shared by every Bridge
  STK_DISABLE_AUTH             true = no credential checks (development only; never in production)
  STK_LOG_LEVEL / STK_LOG_FORMAT    debug|info|warn|error / json|pretty
)";
}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::cout << kHelp;
      return 0;
    }
    if (!std::strcmp(argv[i], "--version")) {
      std::cout << "santokit-bridge " << STK_VERSION << " (" << STK_COMMIT_SHA << ")\n";
      return 0;
    }
    std::cerr << "santokit-bridge: unknown argument '" << argv[i]
              << "' (configuration is read from STK_* environment variables; see --help)\n";
    return 2;
  }
  stk::log::init_from_env();
  stk::log::set_sink(stk::log::Sink::Stdout);  // spec sdk-mcp-observability §6
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  try {
    auto config = stk::bridge::BridgeConfig::from_env();
    if (config.disable_auth)
      stk::log::warn("STK_DISABLE_AUTH is on: every caller gets every permission. Development only.");
    if (config.bridge_token.empty())
      stk::log::warn("STK_BRIDGE_TOKEN is not set: the Hub will not hand out database URLs to this Bridge");
    std::optional<stk::bridge::limits::RedisTarget> redis;
    if (!config.redis_url.empty()) {
      redis = stk::bridge::limits::parse_redis_url(config.redis_url);
      if (!redis)
        throw stk::Error(stk::Code::BadRequest,
                         "STK_REDIS_URL must look like redis://[:password@]host[:port][/db]");
    }
    config.rate_limiter = std::make_shared<stk::bridge::limits::RateLimiter>(
        stk::bridge::limits::RateLimiter::Options{config.rate_limits, 1'000'000, redis.has_value()});
    stk::bridge::limits::RateLimitSync rate_sync(*config.rate_limiter,
                                                 {redis, config.redis_sync_interval_ms, 1000});
    rate_sync.start();
    stk::bridge::ReleaseCache cache;
    stk::bridge::HubSync sync(config, cache);
    sync.start();
    stk::bridge::KeyUsageReport key_usage(config, cache);
    key_usage.start();
    stk::bridge::BridgeApp app(config, cache);
    app.attach(sync);
    stk::http::ServerOptions opts;
    opts.host = config.host;
    opts.port = uint16_t(config.port);
    opts.threads = config.threads;
    // The spec answers an oversized body with 400 BAD_REQUEST (bridge-crud §12), not 413.
    opts.max_body_bytes = config.limits.request_body_max_bytes;
    opts.body_limit_is_bad_request = true;
    opts.max_inflight_per_worker = config.max_inflight_per_worker;
    opts.on_shed = [&app](const stk::http::Request& req) { app.request_shed(req); };
    stk::http::Server* server_ptr = nullptr;
    opts.on_worker_start = [&](int w) { app.worker_started(w, server_ptr->worker_context(w)); };
    opts.on_worker_stop = [&](int w) { app.worker_stopped(w); };
    stk::http::Server server(opts, [&app](stk::http::Request&& req, stk::http::Respond respond) {
      app.handle(std::move(req), std::move(respond));
    });
    server_ptr = &server;
    server.start();
    stk::log::info("santokit-bridge listening", {{"host", config.host},
                                                 {"port", int(server.port())},
                                                 {"threads", config.threads},
                                                 {"hub", stk::log::redact_url(config.hub_url)},
                                                 {"redis", redis ? redis->describe() : "off"},
                                                 {"allocator", stk::bridge::allocator_name()},
                                                 {"version", STK_VERSION}});
    int sig = 0;
    sigwait(&signals, &sig);
    stk::log::info("santokit-bridge shutting down");
    server.stop();
    key_usage.stop();  // after the server: the last requests' key use goes out too
    sync.stop();
    rate_sync.stop();
    return 0;
  } catch (const stk::Error& e) {
    stk::log::error(e.what());
    std::cerr << "santokit-bridge: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    stk::log::error(e.what());
    std::cerr << "santokit-bridge: " << e.what() << "\n";
    return 1;
  }
}
