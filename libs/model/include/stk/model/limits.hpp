#pragma once
// config/limits.yaml: per-project rate limits the Bridge enforces (token buckets per API key, end user, IP).
//
//   rateLimits:
//     apiKey:  { requests: 1000, per: 1m }           # burst defaults to requests
//     endUser: { requests: 100, per: 1m, burst: 20 }
//     ip:      { requests: 0 }                        # 0 = unlimited
//
// A limiter the file does not set falls back to the Bridge's environment defaults (STK_RATE_LIMIT_PER_*).
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "stk/model/diagnostics.hpp"

namespace stk::model {

struct RateLimit {
  int64_t requests = 0;      // per `per_seconds`; 0 = unlimited
  int64_t per_seconds = 60;  // the window the `requests` are spread over (refill = requests / per)
  int64_t burst = 0;         // bucket capacity; 0 = `requests`
  int64_t capacity() const { return burst > 0 ? burst : requests; }
};

struct Limits {
  std::optional<RateLimit> api_key;   // rateLimits.apiKey
  std::optional<RateLimit> end_user;  // rateLimits.endUser
  std::optional<RateLimit> ip;        // rateLimits.ip
};

// Parses and validates config/limits.yaml; every problem is reported with file:line:col.
Limits load_limits(const std::string& path, const std::string& content, Diagnostics& diags);

// The release form: {"rateLimits":{"apiKey":{"requests":N,"perSeconds":S,"burst":B},...}} with only the
// limiters the file sets (burst always explicit).
nlohmann::ordered_json limits_to_json(const Limits& limits);
// The inverse (the Bridge reads the release with it); throws std::runtime_error on a malformed document.
Limits limits_from_json(const nlohmann::json& j);

// "1m" -> 60; nullopt unless `Ns|Nm|Nh` with 1 <= N and a total of at most 24 h.
std::optional<int64_t> parse_rate_period(const std::string& text);
// 60 -> "1m", 90 -> "90s", 7200 -> "2h": the shortest exact form.
std::string format_rate_period(int64_t seconds);

}  // namespace stk::model
