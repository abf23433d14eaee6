#pragma once
// The Bridge's HTTP surface: POST /call, the REST aliases, health. Runs on the http::Server's worker threads;
// each worker has its own PostgreSQL pools (one per database URL, created on first use) and its own copy of
// the current release snapshot pointer.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config.hpp"
#include "release/release_cache.hpp"
#include "stk/http/server.hpp"

namespace boost::asio {
class io_context;
}

namespace stk::bridge {

class BridgeApp {
 public:
  BridgeApp(const BridgeConfig& config, ReleaseCache& cache);
  ~BridgeApp();
  // Worker lifecycle (from ServerOptions::on_worker_start / on_worker_stop, on that worker's thread).
  void worker_started(int worker, boost::asio::io_context& io);
  void worker_stopped(int worker);
  void handle(http::Request&& req, http::Respond respond);

  struct Worker;

 private:
  void call(http::Request& req, std::string_view path, nlohmann::ordered_json params, const std::string& rid,
            http::Respond& respond);

  const BridgeConfig& config_;
  ReleaseCache& cache_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace stk::bridge
