#pragma once
// Keeps the ReleaseCache current (DESIGN "Hub → Bridge propagation"): long-polls the Hub's
// /internal/bridge/state, fetches release payloads it has not seen, compiles them and publishes a new
// Snapshot the moment anything changes. Every state the Hub confirms is written to the cache directory
// (state.json + releases/<id>.json, mode 0600: they hold DB URLs), so a restarted Bridge serves the last
// releases while the Hub is down.
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "config.hpp"
#include "release/release_cache.hpp"

namespace stk::bridge {

class HubSync {
 public:
  HubSync(const BridgeConfig& config, ReleaseCache& cache);
  ~HubSync();
  // Loads the disk cache (if any) into the ReleaseCache, then starts the long-poll thread.
  void start();
  void stop();
  bool hub_reachable() const { return hub_ok_.load(); }
  // Failed polls since start (stk_bridge_hub_poll_failures_total).
  uint64_t poll_failures() const { return poll_failures_.load(std::memory_order_relaxed); }

 private:
  void run();
  bool poll_once(class HubClient& hub);  // false on a failure (the caller backs off)
  void load_disk_cache();
  std::shared_ptr<const Snapshot> assemble(const nlohmann::json& state, HubClient* hub, int64_t confirmed_ms,
                                           const std::string& etag);

  const BridgeConfig& config_;
  ReleaseCache& cache_;
  std::string etag_;
  // Compiled envs reused across states: "project/env" -> (release id + connections digest, release).
  std::map<std::string, std::pair<std::string, std::shared_ptr<const EnvRelease>>> compiled_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> hub_ok_{false};
  std::atomic<uint64_t> poll_failures_{0};
  std::mutex mu_;  // guards active_ (stop() interrupts a long-poll in progress) and the backoff wait
  HubClient* active_ = nullptr;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace stk::bridge
