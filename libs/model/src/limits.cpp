// config/limits.yaml -> Limits (rate limits per API key, end user and client IP).
#include "stk/model/limits.hpp"

#include <stdexcept>

#include "yaml_util.hpp"

namespace stk::model {

using detail::Entry;
using detail::Scalar;
using detail::ScalarKind;

namespace {

constexpr int64_t kMaxRequests = 1'000'000'000;
constexpr int64_t kMaxPeriod = 24 * 3600;

const char* const kHint = "(e.g. 'apiKey: { requests: 1000, per: 1m, burst: 100 }')";

struct LimiterName {
  const char* yaml;
  std::optional<RateLimit> Limits::*field;
};
const LimiterName kLimiters[] = {
    {"apiKey", &Limits::api_key}, {"endUser", &Limits::end_user}, {"ip", &Limits::ip}};

class LimitsLoader {
 public:
  LimitsLoader(const std::string& path, Diagnostics& diags) : path_(path), diags_(diags) {}

  Limits load(const YAML::Node& root) {
    Limits out;
    if (root.IsNull()) return out;
    if (!root.IsMap()) {
      diags_.error(detail::pos_of(path_, root),
                   "the limits file must be a mapping with 'rateLimits', not " + detail::describe(root));
      return out;
    }
    for (const Entry& e : detail::map_entries(path_, root, diags_, "")) {
      if (e.key != "rateLimits") {
        diags_.error(e.key_pos, "unknown top-level key '" + e.key + "' (only 'rateLimits' is allowed)");
        continue;
      }
      if (e.value.IsNull()) continue;
      if (!e.value.IsMap()) {
        diags_.error(e.value_pos, "'rateLimits' must be a mapping with apiKey, endUser and/or ip, not " +
                                      detail::describe(e.value));
        continue;
      }
      for (const Entry& le : detail::map_entries(path_, e.value, diags_, "rateLimits: ")) {
        const LimiterName* which = nullptr;
        for (const auto& l : kLimiters)
          if (le.key == l.yaml) which = &l;
        if (!which) {
          diags_.error(le.key_pos,
                       "rateLimits: unknown limiter '" + le.key + "' (expected apiKey, endUser or ip)");
          continue;
        }
        if (auto r = load_limit(le)) out.*(which->field) = *r;
      }
    }
    return out;
  }

 private:
  std::optional<RateLimit> load_limit(const Entry& le) {
    const std::string what = "rateLimits." + le.key + ": ";
    if (!le.value.IsMap()) {
      diags_.error(le.value_pos, what + "expected a mapping with 'requests', 'per' and optionally 'burst' " +
                                     kHint + ", not " + detail::describe(le.value));
      return std::nullopt;
    }
    RateLimit r;
    bool ok = true, has_requests = false;
    for (const Entry& f : detail::map_entries(path_, le.value, diags_, what)) {
      const Scalar s = detail::resolve_scalar(f.value);
      if (f.key == "requests") {
        has_requests = true;
        if (s.kind != ScalarKind::Int || s.int_overflow || s.i < 0 || s.i > kMaxRequests) {
          diags_.error(f.value_pos, what + "'requests' must be a whole number from 0 (unlimited) to " +
                                        std::to_string(kMaxRequests) + ", not " + detail::describe(f.value));
          ok = false;
        } else {
          r.requests = s.i;
        }
      } else if (f.key == "per") {
        auto secs = s.kind == ScalarKind::String ? parse_rate_period(s.text) : std::nullopt;
        if (!secs) {
          diags_.error(f.value_pos, what + "'per' must be a duration like 30s, 1m or 1h (at most 24h), not " +
                                        detail::describe(f.value));
          ok = false;
        } else {
          r.per_seconds = *secs;
        }
      } else if (f.key == "burst") {
        // 0 is accepted as "not set" (= requests), like an absent burst.
        if (s.kind != ScalarKind::Int || s.int_overflow || s.i < 0 || s.i > kMaxRequests) {
          diags_.error(f.value_pos,
                       what + "'burst' must be a whole number from 1 to " + std::to_string(kMaxRequests) +
                           " (the bucket size; omit it to use 'requests'), not " + detail::describe(f.value));
          ok = false;
        } else {
          r.burst = s.i;
        }
      } else {
        diags_.error(f.key_pos, what + "unknown key '" + f.key + "' (expected requests, per or burst)");
        ok = false;
      }
    }
    if (!has_requests) {
      diags_.error(le.key_pos, what + "'requests' is required (0 = unlimited) " + kHint);
      ok = false;
    }
    if (!ok) return std::nullopt;
    if (r.burst == 0) r.burst = r.requests;
    return r;
  }

  const std::string& path_;
  Diagnostics& diags_;
};

}  // namespace

std::optional<int64_t> parse_rate_period(const std::string& text) {
  if (text.size() < 2 || text.size() > 8) return std::nullopt;
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    default:
      return std::nullopt;
  }
  int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  if (n < 1 || n * unit > kMaxPeriod) return std::nullopt;
  return n * unit;
}

std::string format_rate_period(int64_t seconds) {
  if (seconds > 0 && seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds > 0 && seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

Limits load_limits(const std::string& path, const std::string& content, Diagnostics& diags) {
  auto node = detail::parse_yaml(path, content, diags);
  if (!node) return {};
  return LimitsLoader(path, diags).load(*node);
}

nlohmann::ordered_json limits_to_json(const Limits& limits) {
  nlohmann::ordered_json rl = nlohmann::ordered_json::object();
  for (const auto& l : kLimiters) {
    const auto& v = limits.*(l.field);
    if (!v) continue;
    rl[l.yaml] = {{"requests", v->requests}, {"perSeconds", v->per_seconds}, {"burst", v->capacity()}};
  }
  return {{"rateLimits", rl}};
}

Limits limits_from_json(const nlohmann::json& j) {
  Limits out;
  if (j.is_null()) return out;
  if (!j.is_object()) throw std::runtime_error("limits must be an object");
  auto rl = j.find("rateLimits");
  if (rl == j.end() || rl->is_null()) return out;
  if (!rl->is_object()) throw std::runtime_error("limits.rateLimits must be an object");
  for (const auto& l : kLimiters) {
    auto it = rl->find(l.yaml);
    if (it == rl->end() || it->is_null()) continue;
    RateLimit r;
    r.requests = it->at("requests").get<int64_t>();
    r.per_seconds = it->value("perSeconds", int64_t(60));
    r.burst = it->value("burst", r.requests);
    if (r.requests < 0 || r.per_seconds < 1 || r.burst < 0)
      throw std::runtime_error(std::string("limits.rateLimits.") + l.yaml + " has out-of-range values");
    out.*(l.field) = r;
  }
  return out;
}

}  // namespace stk::model
