#include "limits/redis_sync.hpp"

#include <hiredis.h>
#include <sys/time.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <vector>

#include "stk/core/log.hpp"
#include "stk/crypto/crypto.hpp"

namespace stk::bridge::limits {

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<RedisTarget> parse_redis_url(const std::string& url) {
  constexpr std::string_view scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) return std::nullopt;
  std::string_view rest = std::string_view(url).substr(scheme.size());
  RedisTarget t;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = cred.find(':');
    try {
      if (colon == std::string_view::npos) {
        t.password = percent_decode(cred);
      } else {
        t.user = percent_decode(cred.substr(0, colon));
        t.password = percent_decode(cred.substr(colon + 1));
      }
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      if (!all_digits(db)) return std::nullopt;
      t.db = std::stoi(std::string(db));
    }
  }
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = hostport.substr(colon + 1);
    if (!all_digits(port)) return std::nullopt;
    t.port = std::stoi(std::string(port));
    if (t.port < 1 || t.port > 65535) return std::nullopt;
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return std::nullopt;
  t.host = std::string(hostport);
  return t;
}

struct RateLimitSync::Conn {
  redisContext* ctx = nullptr;
  int64_t retry_at_ms = 0;  // no reconnect attempt before (steady ms)
  int64_t backoff_ms = 500;
  int64_t warned_at_ms = -1'000'000;  // last warning (steady ms): at most one per 30 s
  bool was_down = false;
  uint64_t ticks = 0;
  ~Conn() { close(); }
  void close() {
    if (ctx) redisFree(ctx);
    ctx = nullptr;
  }
};

namespace {

int64_t steady_ms() {
  return RateLimiter::now_ns() / 1'000'000;
}

struct Reply {
  redisReply* r = nullptr;
  ~Reply() {
    if (r) freeReplyObject(r);
  }
};

// Runs one command synchronously; empty string = OK, else the reason.
std::string command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply rep;
  rep.r = static_cast<redisReply*>(redisCommandArgv(c, int(argv.size()), argv.data(), lens.data()));
  if (!rep.r) return c->errstr[0] ? c->errstr : "no reply";
  if (rep.r->type == REDIS_REPLY_ERROR) return std::string(rep.r->str, rep.r->len);
  return "";
}

}  // namespace

RateLimitSync::RateLimitSync(RateLimiter& limiter, Options o) : limiter_(limiter), opts_(std::move(o)) {}

RateLimitSync::~RateLimitSync() {
  stop();
}

void RateLimitSync::start() {
  // The tick's state lives with the tick: the Redis connection closes when stop() drops it.
  auto conn = std::make_shared<Conn>();
  auto last_sweep = std::make_shared<int64_t>(steady_ms());
  const int tick = opts_.redis ? opts_.sync_interval_ms : opts_.sweep_interval_ms;
  periodic_.start(std::chrono::milliseconds(tick), [this, conn, last_sweep] {
    try {
      if (opts_.redis) sync_once(*conn);
      if (steady_ms() - *last_sweep >= opts_.sweep_interval_ms) {
        limiter_.sweep(RateLimiter::now_ns());
        *last_sweep = steady_ms();
      }
    } catch (const std::exception& e) {
      log::error("rate-limit upkeep failed", {{"reason", e.what()}});
    }
  });
}

void RateLimitSync::stop() {
  periodic_.stop();
}

void RateLimitSync::sync_once(Conn& conn) {
  const auto& target = *opts_.redis;
  std::vector<RateLimiter::Usage> usage;
  const int64_t now = RateLimiter::now_ns();
  // Keys with new requests every tick; every 5th tick also the keys seen here in the last 5 s without new
  // requests (other Bridges may be using them up).
  const bool refresh_idle = ++conn.ticks % 5 == 0;
  limiter_.take_usage(usage, now, refresh_idle ? 5'000'000'000 : 0);
  if (usage.empty()) return;

  auto fail = [&](const std::string& why) {
    // The consumption taken above is dropped: local limits still hold it.
    conn.close();
    const int64_t t = steady_ms();
    conn.retry_at_ms = t + conn.backoff_ms;
    conn.backoff_ms = std::min<int64_t>(conn.backoff_ms * 2, 10'000);
    if (!conn.was_down || t - conn.warned_at_ms >= 30'000) {
      log::warn("Redis unreachable: rate limits are per Bridge until it is back",
                {{"redis", target.describe()}, {"reason", why.substr(0, 200)}});
      conn.warned_at_ms = t;
    }
    conn.was_down = true;
  };

  if (!conn.ctx) {
    if (steady_ms() < conn.retry_at_ms) return;
    timeval tv{0, 300'000};
    conn.ctx = redisConnectWithTimeout(target.host.c_str(), target.port, tv);
    if (!conn.ctx) return fail("cannot allocate a Redis context");
    if (conn.ctx->err) return fail(conn.ctx->errstr);
    redisSetTimeout(conn.ctx, tv);
    if (!target.password.empty()) {
      std::vector<std::string> auth = {"AUTH"};
      if (!target.user.empty()) auth.push_back(target.user);
      auth.push_back(target.password);
      if (auto err = command(conn.ctx, auth); !err.empty()) return fail("AUTH failed");
    }
    if (target.db != 0)
      if (auto err = command(conn.ctx, {"SELECT", std::to_string(target.db)}); !err.empty())
        return fail("SELECT failed: " + err);
    if (conn.was_down)
      log::info("Redis reachable again: rate limits are cluster-wide", {{"redis", target.describe()}});
    conn.was_down = false;
    conn.backoff_ms = 500;
  }

  // One pipelined round trip: per key INCRBY+EXPIRE (new consumption) or GET (only reading the total).
  const int64_t now_unix_ms = unix_ms();
  std::vector<RateLimiter::ClusterTotal> totals;
  totals.reserve(usage.size());
  std::vector<int> replies;  // replies per key
  for (auto& u : usage) {
    if (u.digest.empty()) u.digest = crypto::sha256_hex(u.key).substr(0, 32);
    const int64_t window_ms = u.spec.per_seconds * 1000;
    const int64_t index = now_unix_ms / window_ms;
    const std::string key =
        "stk:rl:" + std::string(limiter_name(u.limiter)) + ":" + u.digest + ":" + std::to_string(index);
    if (u.delta > 0) {
      const std::string delta = std::to_string(u.delta), ttl = std::to_string(u.spec.per_seconds + 5);
      const char* a1[] = {"INCRBY", key.c_str(), delta.c_str()};
      redisAppendCommandArgv(conn.ctx, 3, a1, nullptr);
      const char* a2[] = {"EXPIRE", key.c_str(), ttl.c_str()};
      redisAppendCommandArgv(conn.ctx, 3, a2, nullptr);
      replies.push_back(2);
    } else {
      const char* a[] = {"GET", key.c_str()};
      redisAppendCommandArgv(conn.ctx, 2, a, nullptr);
      replies.push_back(1);
    }
    RateLimiter::ClusterTotal t;
    t.key = u.key;
    t.digest = u.digest;
    t.allowance = std::max(u.spec.requests, u.spec.capacity());
    t.window_end_ns = now + ((index + 1) * window_ms - now_unix_ms) * 1'000'000;
    totals.push_back(std::move(t));
  }
  for (size_t i = 0; i < totals.size(); ++i) {
    for (int k = 0; k < replies[i]; ++k) {
      Reply rep;
      void* raw = nullptr;
      if (redisGetReply(conn.ctx, &raw) != REDIS_OK || !raw)
        return fail(conn.ctx->errstr[0] ? conn.ctx->errstr : "connection lost");
      rep.r = static_cast<redisReply*>(raw);
      if (rep.r->type == REDIS_REPLY_ERROR) return fail(std::string(rep.r->str, rep.r->len).substr(0, 200));
      if (k != 0) continue;  // EXPIRE's answer
      if (rep.r->type == REDIS_REPLY_INTEGER)
        totals[i].total = rep.r->integer;
      else if (rep.r->type == REDIS_REPLY_STRING)
        totals[i].total = std::strtoll(rep.r->str, nullptr, 10);
      else
        totals[i].total = 0;  // GET of a missing key: nobody used it in this window
    }
  }
  limiter_.apply_cluster(totals, RateLimiter::now_ns());
}

}  // namespace stk::bridge::limits
