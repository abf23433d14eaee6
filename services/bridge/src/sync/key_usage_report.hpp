#pragma once
// API keys' lastUsedAt (spec hub-cli-schema: `stk apikey list`). The Bridge verifies keys itself (from the
// digests in its Snapshot), so the Hub never sees a key being used: every STK_BRIDGE_KEY_USAGE_REPORT_MS
// (default 30 s) this thread sends the Hub the keys used since its last report, POST
// /internal/apikeys/used {"keys":[{"keyId","lastUsedAt"}]}; the Hub keeps the latest time per key. A report
// that fails is repeated with the next one; the last one goes out at shutdown.
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "config.hpp"
#include "release/release_cache.hpp"

namespace stk::bridge {

class KeyUsageReport {
 public:
  KeyUsageReport(const BridgeConfig& config, const ReleaseCache& cache) : config_(config), cache_(cache) {}
  ~KeyUsageReport() { stop(); }
  void start();
  void stop();  // sends what is left (best effort, ≤ 2 s), then joins

 private:
  void run();
  bool report_once(int timeout_ms);  // false when the Hub did not take the report

  const BridgeConfig& config_;
  const ReleaseCache& cache_;
  std::map<std::string, int64_t> reported_;  // keyId -> last use the Hub has (unix seconds)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace stk::bridge
