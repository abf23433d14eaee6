#pragma once
// The Bridge's HTTP surface: POST /call, the REST aliases, /healthz, /readyz, /metrics. Runs on the
// http::Server's worker threads; each worker has its own PostgreSQL pools (one per database URL, created on
// first use) and its own copy of the current release snapshot pointer.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "api/bridge_metrics.hpp"
#include "config.hpp"
#include "release/release_cache.hpp"
#include "stk/http/server.hpp"

namespace boost::asio {
class io_context;
}

namespace stk::pg {
class Pool;
}

namespace stk::bridge {

class HubSync;

class BridgeApp {
 public:
  BridgeApp(const BridgeConfig& config, ReleaseCache& cache);
  ~BridgeApp();
  // Worker lifecycle (from ServerOptions::on_worker_start / on_worker_stop, on that worker's thread).
  void worker_started(int worker, boost::asio::io_context& io);
  void worker_stopped(int worker);
  void handle(http::Request&& req, http::Respond respond);
  // ServerOptions::on_shed: a request refused by the per-worker in-flight cap (counted as limiter
  // "concurrency").
  void request_shed(const http::Request& req);
  // Hub poll failures for /metrics.
  void attach(const HubSync& sync) { sync_ = &sync; }

  struct Worker;
  struct RequestInfo;
  // Release cache states of spec sdk-mcp-observability §4 (values of stk_bridge_release_cache_state).
  enum class CacheState { Empty = 0, Fresh = 1, Stale = 2, Expired = 3 };

 private:
  void call(http::Request& req, std::string_view path, nlohmann::ordered_json params,
            const std::shared_ptr<RequestInfo>& info, http::Respond& respond);
  void finish(RequestInfo& info, int status);  // metrics + the request log line
  void readiness(const http::Request& req, http::Respond respond);
  void scrape(http::Respond respond);
  CacheState cache_state(const Snapshot* snap) const;
  pg::Pool& pool_for(Worker& w, const std::string& url);

  const BridgeConfig& config_;
  ReleaseCache& cache_;
  const HubSync* sync_ = nullptr;
  BridgeMetrics metrics_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace stk::bridge
