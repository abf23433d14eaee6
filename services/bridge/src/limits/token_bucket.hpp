#pragma once
// One token bucket (not thread-safe: its owner holds a lock). Capacity `burst` tokens, refilled continuously
// at `requests / per` tokens per second; a request takes one token. A new bucket starts full.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace stk::bridge::limits {

// A limiter's setting: `requests` per `per_seconds`, bucket capacity `burst` (0 = requests). requests 0 =
// off.
struct RateSpec {
  int64_t requests = 0;
  int64_t per_seconds = 60;
  int64_t burst = 0;
  bool unlimited() const { return requests <= 0; }
  int64_t capacity() const { return burst > 0 ? burst : requests; }
  double tokens_per_ns() const { return double(requests) / (double(per_seconds) * 1e9); }
  bool operator==(const RateSpec&) const = default;
};

class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(const RateSpec& spec, int64_t now_ns) : tokens_(double(spec.capacity())), last_ns_(now_ns) {}

  // Refills up to `now_ns`, then takes one token if there is one. Returns 0 when taken, else the nanoseconds
  // until one token will be there (> 0).
  int64_t take(const RateSpec& spec, int64_t now_ns) {
    refill(spec, now_ns);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return 0;
    }
    const double wait = (1.0 - tokens_) / spec.tokens_per_ns();
    return std::max<int64_t>(1, int64_t(std::ceil(wait)));
  }

  // Tokens at `now_ns` without changing the bucket.
  double peek(const RateSpec& spec, int64_t now_ns) const {
    const double cap = double(spec.capacity());
    if (now_ns <= last_ns_) return std::min(tokens_, cap);
    return std::min(cap, tokens_ + double(now_ns - last_ns_) * spec.tokens_per_ns());
  }
  // Full again: dropping the bucket loses nothing (a new one starts full).
  bool full(const RateSpec& spec, int64_t now_ns) const {
    return peek(spec, now_ns) >= double(spec.capacity());
  }

  // Lowers the tokens to at most `max_tokens` (the cluster's remaining allowance); never raises them.
  void clamp(const RateSpec& spec, int64_t now_ns, double max_tokens) {
    refill(spec, now_ns);
    tokens_ = std::min(tokens_, std::max(0.0, max_tokens));
  }

  double tokens() const { return tokens_; }

 private:
  void refill(const RateSpec& spec, int64_t now_ns) {
    const double cap = double(spec.capacity());
    if (now_ns > last_ns_) {
      tokens_ = std::min(cap, tokens_ + double(now_ns - last_ns_) * spec.tokens_per_ns());
      last_ns_ = now_ns;
    }
    tokens_ = std::min(tokens_, cap);  // the capacity may have shrunk (a new release)
  }

  double tokens_ = 0;
  int64_t last_ns_ = 0;
};

}  // namespace stk::bridge::limits
