#include "sync/key_usage_report.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "stk/core/log.hpp"
#include "stk/core/time.hpp"
#include "sync/hub_client.hpp"

namespace stk::bridge {
namespace {
constexpr size_t kKeysPerReport = 1000;  // the Hub takes up to 10,000 per call
}  // namespace

void KeyUsageReport::start() {
  periodic_.start(std::chrono::milliseconds(config_.key_usage_report_ms), [this] {
    const bool ok = report_once(10000);
    if (!ok && !warned_)
      log::warn("API key usage not reported to the hub; retrying with the next report",
                {{"hub", log::redact_url(config_.hub_url)}});
    warned_ = !ok;
  });
}

void KeyUsageReport::stop() {
  if (!periodic_.running()) return;
  periodic_.stop();
  report_once(2000);  // what the last interval used
}

bool KeyUsageReport::report_once(int timeout_ms) {
  auto snap = cache_.current();
  if (!snap) return true;
  std::vector<std::pair<std::string, int64_t>> due;
  std::map<std::string, int64_t> still;  // keys gone from the Snapshot (revoked) are forgotten
  for (const auto& [id, entry] : snap->keys) {
    const int64_t last = entry.use->last_s.load(std::memory_order_relaxed);
    auto before = reported_.find(id);
    const int64_t had = before == reported_.end() ? 0 : before->second;
    if (had) still[id] = had;
    if (last > had) due.emplace_back(id, last);
  }
  reported_ = std::move(still);
  std::optional<HubClient> hub;
  for (size_t from = 0; from < due.size(); from += kKeysPerReport) {
    const size_t to = std::min(due.size(), from + kKeysPerReport);
    nlohmann::json keys = nlohmann::json::array();
    for (size_t i = from; i < to; ++i)
      keys.push_back({{"keyId", due[i].first}, {"lastUsedAt", rfc3339(due[i].second * 1000)}});
    try {
      if (!hub) hub.emplace(config_.hub_url, config_.bridge_token);
      auto res = hub->post_json("/internal/apikeys/used", nlohmann::json{{"keys", keys}}.dump(), timeout_ms);
      if (res.status != 200) {
        log::debug("hub refused the API key usage report", {{"status", res.status}});
        return false;
      }
    } catch (const std::exception& e) {
      log::debug("API key usage report failed", {{"reason", e.what()}});
      return false;
    }
    for (size_t i = from; i < to; ++i) reported_[due[i].first] = due[i].second;
  }
  return true;
}

}  // namespace stk::bridge
