#pragma once
// API keys' lastUsedAt (spec hub-cli-schema: `stk apikey list`). The Bridge verifies keys itself (from the
// digests in its Snapshot), so the Hub never sees a key being used: every STK_BRIDGE_KEY_USAGE_REPORT_MS
// (default 30 s) this thread sends the Hub the keys used since its last report, POST
// /internal/apikeys/used {"keys":[{"keyId","lastUsedAt"}]}; the Hub keeps the latest time per key. A report
// that fails is repeated with the next one; the last one goes out at shutdown.
#include <cstdint>
#include <map>
#include <string>

#include "config.hpp"
#include "release/release_cache.hpp"
#include "stk/core/periodic_thread.hpp"

namespace stk::bridge {

class KeyUsageReport {
 public:
  KeyUsageReport(const BridgeConfig& config, const ReleaseCache& cache) : config_(config), cache_(cache) {}
  ~KeyUsageReport() { stop(); }
  void start();
  void stop();  // sends what is left (best effort, ≤ 2 s), then joins

 private:
  bool report_once(int timeout_ms);  // false when the Hub did not take the report

  const BridgeConfig& config_;
  const ReleaseCache& cache_;
  std::map<std::string, int64_t> reported_;  // keyId -> last use the Hub has (unix seconds)
  bool warned_ = false;                      // the last report failed (warn once per outage)
  PeriodicThread periodic_;
};

}  // namespace stk::bridge
