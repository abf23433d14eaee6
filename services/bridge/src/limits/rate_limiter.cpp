#include "limits/rate_limiter.hpp"

#include <algorithm>
#include <chrono>

namespace stk::bridge::limits {

std::string_view limiter_name(Limiter l) {
  switch (l) {
    case Limiter::Ip:
      return "ip";
    case Limiter::ApiKey:
      return "api_key";
    case Limiter::EndUser:
      return "end_user";
  }
  return "unknown";
}

std::string Decision::message() const {
  std::string who = limiter == "api_key"    ? "this API key"
                    : limiter == "end_user" ? "this end user"
                                            : "this client IP";
  std::string out = "rate limit for " + who + " exceeded (" + std::to_string(spec.requests) +
                    " requests per " + model::format_rate_period(spec.per_seconds);
  if (spec.capacity() != spec.requests) out += ", burst " + std::to_string(spec.capacity());
  out += "); retry after " + std::to_string(retry_after_seconds) + " s";
  return out;
}

std::optional<RateSpec> parse_rate_setting(std::string_view text) {
  RateSpec s;
  const auto slash = text.find('/');
  const std::string_view n = text.substr(0, slash);
  if (n.empty() || n.size() > 10) return std::nullopt;
  int64_t v = 0;
  for (char c : n) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  s.requests = v;
  if (slash != std::string_view::npos) {
    auto per = model::parse_rate_period(std::string(text.substr(slash + 1)));
    if (!per) return std::nullopt;
    s.per_seconds = *per;
  }
  return s;
}

RateLimiter::RateLimiter(Options o)
    : opts_(o), per_shard_max_(std::max<size_t>(16, o.max_buckets / kShards)) {}

int64_t RateLimiter::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

RateSpec RateLimiter::spec_for(Limiter which, const model::Limits& project) const {
  const std::optional<model::RateLimit>* set = nullptr;
  const RateSpec* fallback = nullptr;
  switch (which) {
    case Limiter::Ip:
      set = &project.ip, fallback = &opts_.defaults.ip;
      break;
    case Limiter::ApiKey:
      set = &project.api_key, fallback = &opts_.defaults.api_key;
      break;
    case Limiter::EndUser:
      set = &project.end_user, fallback = &opts_.defaults.end_user;
      break;
  }
  if (set && *set) return RateSpec{(*set)->requests, (*set)->per_seconds, (*set)->capacity()};
  return *fallback;
}

bool RateLimiter::idle(const Entry& e, int64_t now_ns) {
  return e.pending == 0 && e.denied_until_ns <= now_ns && e.bucket.full(e.spec, now_ns);
}

Decision RateLimiter::check(Limiter which, std::string_view project, std::string_view env,
                            std::string_view id, const RateSpec& spec, int64_t now_ns) {
  Decision d;
  if (spec.unlimited()) return d;
  thread_local std::string key;
  key.clear();
  key += char('0' + int(which));
  key += project;
  key += '/';
  key += env;
  key += '\x1f';
  key += id;
  Shard& sh = shard_of(key);
  int64_t wait_ns = 0;
  {
    std::lock_guard lock(sh.mu);
    auto it = sh.map.find(std::string_view(key));
    if (it == sh.map.end()) {
      if (sh.map.size() >= per_shard_max_) {
        std::erase_if(sh.map, [&](const auto& kv) { return idle(kv.second, now_ns); });
        // Still full (a flood of distinct keys): forget an arbitrary bucket rather than grow without bound.
        if (sh.map.size() >= per_shard_max_) sh.map.erase(sh.map.begin());
      }
      it = sh.map.emplace(key, Entry{TokenBucket(spec, now_ns), spec, now_ns, 0, 0, {}}).first;
    }
    Entry& e = it->second;
    e.spec = spec;  // a new release may change it; the bucket adapts (capacity clamps, refill rate)
    e.last_seen_ns = now_ns;
    if (e.denied_until_ns > now_ns) {
      wait_ns = e.denied_until_ns - now_ns;
    } else {
      wait_ns = e.bucket.take(spec, now_ns);
      if (wait_ns == 0 && opts_.cluster) ++e.pending;
    }
  }
  if (wait_ns == 0) return d;
  d.allowed = false;
  d.retry_after_seconds = retry_seconds(wait_ns);
  d.limiter = limiter_name(which);
  d.spec = spec;
  return d;
}

Decision RateLimiter::check_request(const model::Limits& limits, std::string_view project,
                                    std::string_view env, std::string_view ip, bool end_user,
                                    std::string_view principal_id, int64_t now_ns) {
  if (!ip.empty()) {
    Decision d = check(Limiter::Ip, project, env, ip, spec_for(Limiter::Ip, limits), now_ns);
    if (!d.allowed) return d;
  }
  const Limiter who = end_user ? Limiter::EndUser : Limiter::ApiKey;
  if (principal_id.empty()) return {};
  return check(who, project, env, principal_id, spec_for(who, limits), now_ns);
}

size_t RateLimiter::sweep(int64_t now_ns) {
  size_t dropped = 0;
  for (auto& sh : shards_) {
    std::lock_guard lock(sh.mu);
    dropped += std::erase_if(sh.map, [&](const auto& kv) { return idle(kv.second, now_ns); });
  }
  return dropped;
}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (const auto& sh : shards_) {
    std::lock_guard lock(sh.mu);
    n += sh.map.size();
  }
  return n;
}

void RateLimiter::take_usage(std::vector<Usage>& out, int64_t now_ns, int64_t active_within_ns) {
  for (auto& sh : shards_) {
    std::lock_guard lock(sh.mu);
    for (auto& [key, e] : sh.map) {
      if (e.pending == 0 && now_ns - e.last_seen_ns > active_within_ns) continue;
      out.push_back(Usage{key, e.digest, Limiter(key[0] - '0'), e.spec, e.pending});
      e.pending = 0;
    }
  }
}

void RateLimiter::apply_cluster(const std::vector<ClusterTotal>& totals, int64_t now_ns) {
  for (const auto& t : totals) {
    Shard& sh = shard_of(t.key);
    std::lock_guard lock(sh.mu);
    auto it = sh.map.find(std::string_view(t.key));
    if (it == sh.map.end()) continue;
    Entry& e = it->second;
    if (e.digest.empty()) e.digest = t.digest;
    // What this Bridge admitted since the totals were taken is not in them yet.
    const int64_t remaining = t.allowance - t.total - e.pending;
    if (remaining <= 0)
      e.denied_until_ns = std::max(e.denied_until_ns, t.window_end_ns);
    else
      e.bucket.clamp(e.spec, now_ns, double(remaining));
  }
}

}  // namespace stk::bridge::limits
