// HTTP/1.1 load generator for the Bridge benchmarks (bench/bridge/run, bench/spike/run, bench/soak/run and
// bench/gate/run drive it). Keep-alive connections on one epoll loop per thread.
//   closed loop (default): each connection sends its next request as soon as the previous response is
//   complete; open loop (--rate R, or a stage's @R): R requests/s in total are scheduled at fixed intervals
//   and handed to
//     idle connections; latency counts from the scheduled time (no coordinated omission), requests that find
//     every connection busy wait in a backlog (capped: beyond it they are counted as "dropped", never sent).
// Connection ramps: --stages "20s:50@300,10s:50-5000,10s:5000,20s:50@300" — stages run one after another;
// "D:N" holds N connections for D, "D:A-B" ramps linearly from A to B, "@R" makes the stage open-loop at R
// req/s (without it the stage is closed-loop). Connections above the target close after their current
// response. Request bodies come from templates with placeholders, expanded per request:
//   {rand:A:B}  uniform random integer in [A, B] (each occurrence drawn independently)
//   {seq:A}     A + a counter shared by all connections (0, 1, 2, ...: each value used once)
//   {conn}      the connection's index          {nonce}  a random number fixed for this run
// --body may be given several times (each request picks one, weighted by --weights 8,2).
// It prints one JSON object: completed requests in the measured window, req/s, latency percentiles (ms),
// status counts, errors, and its own CPU time (so a report can show the generator was not the bottleneck).
// --series FILE writes a per-second time series (req/s, p50/p95/p99/max, status counts, connection errors,
// timeouts, open connections) as JSON.
//   bench_bridge_load --port P [--host 127.0.0.1] [--method POST] [--path /call] [--header 'K: V']...
//                     [--body TEMPLATE]... [--weights W,...] [--connections 50] [--threads 1] [--duration 10]
//                     [--warmup 1] [--expect SUBSTRING] [--rate R] [--stages SPEC] [--timeout S]
//                     [--series FILE]
// Errors: non-2xx statuses, responses without --expect's substring, connection failures and timeouts.
// RLIMIT_NOFILE's soft limit is raised to the hard one (5,000 connections need more than 1,024 descriptors).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Stage {
  double duration = 0;   // seconds
  int from = 0, to = 0;  // connections at the start and the end of the stage (equal: hold)
  double rate = 0;       // open loop: requests/s in total; 0 = closed loop
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string method = "POST";
  std::string path = "/call";
  std::vector<std::string> headers;
  std::vector<std::string> bodies;
  std::vector<double> weights;
  int connections = 50;
  int threads = 1;
  double duration = 10;
  double warmup = 1;
  double rate = 0;
  double timeout = 0;
  std::string stages_spec;
  std::vector<Stage> stages;
  std::string expect;
  std::string series;
};

// "20s:50@300,10s:50-5000,1m:100" -> stages. Durations take s (default), ms or m.
std::vector<Stage> parse_stages(const std::string& spec) {
  std::vector<Stage> out;
  size_t start = 0;
  while (start < spec.size()) {
    size_t comma = spec.find(',', start);
    std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? spec.size() : comma + 1;
    auto bad = [&] {
      return std::runtime_error("bad stage '" + item + "' (want D:N, D:A-B, optional @RATE)");
    };
    size_t colon = item.find(':');
    if (colon == std::string::npos) throw bad();
    std::string d = item.substr(0, colon), rest = item.substr(colon + 1);
    double scale = 1;
    if (d.size() > 2 && d.compare(d.size() - 2, 2, "ms") == 0) {
      scale = 0.001;
      d.resize(d.size() - 2);
    } else if (!d.empty() && d.back() == 's') {
      d.pop_back();
    } else if (!d.empty() && d.back() == 'm') {
      scale = 60;
      d.pop_back();
    }
    Stage s;
    char* end = nullptr;
    s.duration = std::strtod(d.c_str(), &end) * scale;
    if (d.empty() || *end || s.duration <= 0) throw bad();
    size_t at = rest.find('@');
    if (at != std::string::npos) {
      s.rate = std::strtod(rest.c_str() + at + 1, &end);
      if (*end || s.rate <= 0) throw bad();
      rest.resize(at);
    }
    size_t dash = rest.find('-');
    s.from = std::atoi(rest.substr(0, dash).c_str());
    s.to = dash == std::string::npos ? s.from : std::atoi(rest.substr(dash + 1).c_str());
    if (rest.empty() || s.from < 0 || s.to < 0) throw bad();  // 0: no connections (a pause)
    out.push_back(s);
  }
  if (out.empty()) throw std::runtime_error("--stages is empty");
  return out;
}

// A body template compiled into literal text and placeholders.
struct Segment {
  enum class Kind { Text, Rand, Seq, Conn } kind = Kind::Text;
  std::string text;
  int64_t a = 0, b = 0;
};

std::vector<Segment> compile_template(const std::string& t, uint64_t nonce) {
  std::vector<Segment> out;
  std::string text;
  size_t i = 0;
  auto flush = [&] {
    if (!text.empty()) out.push_back({Segment::Kind::Text, text, 0, 0});
    text.clear();
  };
  while (i < t.size()) {
    if (t[i] == '{') {
      size_t end = t.find('}', i);
      std::string_view ph =
          end == std::string::npos ? std::string_view() : std::string_view(t).substr(i + 1, end - i - 1);
      if (ph.rfind("rand:", 0) == 0) {
        auto colon = ph.find(':', 5);
        if (colon == std::string_view::npos)
          throw std::runtime_error("bad placeholder {" + std::string(ph) + "}");
        flush();
        out.push_back({Segment::Kind::Rand, "", std::stoll(std::string(ph.substr(5, colon - 5))),
                       std::stoll(std::string(ph.substr(colon + 1)))});
        if (out.back().b < out.back().a) throw std::runtime_error("empty range in {" + std::string(ph) + "}");
        i = end + 1;
        continue;
      }
      if (ph.rfind("seq:", 0) == 0) {
        flush();
        out.push_back({Segment::Kind::Seq, "", std::stoll(std::string(ph.substr(4))), 0});
        i = end + 1;
        continue;
      }
      if (ph == "conn") {
        flush();
        out.push_back({Segment::Kind::Conn, "", 0, 0});
        i = end + 1;
        continue;
      }
      if (ph == "nonce") {
        text += std::to_string(nonce);
        i = end + 1;
        continue;
      }
    }
    text += t[i++];
  }
  flush();
  return out;
}

std::atomic<int64_t> g_seq{0};

struct Rng {  // splitmix64: cheap and good enough for key selection
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int64_t range(int64_t a, int64_t b) { return a + int64_t(next() % uint64_t(b - a + 1)); }
  double unit() { return double(next() >> 11) / double(1ULL << 53); }
};

// One second of the run (by completion time for responses, by event time for errors).
struct Second {
  std::vector<uint32_t> latencies_us;
  std::map<int, int64_t> status;
  int64_t sent = 0, unexpected = 0, conn_errors = 0, timeouts = 0, dropped = 0;
  int connections = 0;  // open connections (largest value seen during the second)
  int target = 0;       // target connections at the end of the second
};

struct Result {
  std::vector<uint32_t> latencies_us;  // measured window only
  std::map<int, int64_t> status;
  int64_t unexpected = 0;  // 2xx without the expected substring
  int64_t conn_errors = 0;
  int64_t timeouts = 0;
  int64_t dropped = 0;  // open loop: scheduled requests never sent (every connection busy, backlog full)
  int64_t reconnects = 0;
  int64_t bytes_in = 0;
  int64_t completed_all = 0;            // every response, warm-up included
  std::vector<int64_t> per_connection;  // responses in the measured window, by connection index (fairness)
  int64_t sent = 0;                     // every request sent, including those still in flight at the end
  std::string error_sample;
  std::vector<Second> seconds;
};

struct Conn {
  int fd = -1;
  int index = 0;
  std::string out;  // pending request bytes
  size_t out_off = 0;
  std::string in;
  Clock::time_point sent;      // latency origin: when the request was sent (closed) or scheduled (open loop)
  Clock::time_point started;   // when it was actually written (timeouts count from here)
  Clock::time_point retry_at;  // after a connection error: not before
  bool busy = false;
  bool want_out = false;  // EPOLLOUT registered (connecting, or a partial write pending)
};

int connect_to(const sockaddr_in& addr) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool ieq_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// Parses one complete response at the start of `in`. Returns its total length (0 = incomplete, -1 = garbage).
long parse_response(const std::string& in, int& status, bool& close_after, size_t& body_off,
                    size_t& body_len) {
  size_t hdr_end = in.find("\r\n\r\n");
  if (hdr_end == std::string::npos) return in.size() > 65536 ? -1 : 0;
  if (in.compare(0, 9, "HTTP/1.1 ") != 0 && in.compare(0, 9, "HTTP/1.0 ") != 0) return -1;
  status = std::atoi(in.c_str() + 9);
  close_after = in.compare(0, 9, "HTTP/1.0 ") == 0;
  long content_length = -1;
  bool chunked = false;
  size_t pos = in.find("\r\n") + 2;
  while (pos < hdr_end) {
    size_t eol = in.find("\r\n", pos);
    std::string_view line(in.data() + pos, eol - pos);
    if (ieq_prefix(line, "content-length:")) content_length = std::atol(std::string(line.substr(15)).c_str());
    if (ieq_prefix(line, "transfer-encoding:") && line.find("chunked") != std::string_view::npos)
      chunked = true;
    if (ieq_prefix(line, "connection:") && line.find("close") != std::string_view::npos) close_after = true;
    pos = eol + 2;
  }
  body_off = hdr_end + 4;
  if (!chunked) {
    if (content_length < 0) content_length = 0;  // responses to our requests always carry a length
    if (in.size() < body_off + size_t(content_length)) return 0;
    body_len = size_t(content_length);
    return long(body_off + body_len);
  }
  size_t p = body_off;  // chunked: walk the chunks (body bytes are not re-assembled; size is what we report)
  body_len = 0;
  for (;;) {
    size_t eol = in.find("\r\n", p);
    if (eol == std::string::npos) return 0;
    long n = std::strtol(in.c_str() + p, nullptr, 16);
    p = eol + 2;
    if (n == 0) {
      size_t end = in.find("\r\n", p);
      return end == std::string::npos ? 0 : long(end + 2);
    }
    if (in.size() < p + size_t(n) + 2) return 0;
    body_len += size_t(n);
    p += size_t(n) + 2;
  }
}

class Worker {
 public:
  Worker(const Options& o, const std::vector<std::vector<Segment>>& tmpls, int thread, uint64_t seed,
         Clock::time_point start, Clock::time_point measure_from, Clock::time_point stop_at)
      : o_(o),
        tmpls_(tmpls),
        thread_(thread),
        rng_{seed},
        start_(start),
        measure_from_(measure_from),
        stop_at_(stop_at) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    int most = 0;
    for (const auto& s : o_.stages) most = std::max({most, share(s.from), share(s.to)});
    conns_.resize(size_t(most));
    for (int i = 0; i < most; ++i) conns_[size_t(i)].index = thread + i * o_.threads;
    head_ =
        o_.method + " " + o_.path + " HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) + "\r\n";
    for (const auto& h : o_.headers) head_ += h + "\r\n";
    with_body_ = !o_.bodies.empty() || o_.method == "POST";
    if (with_body_) head_ += "Content-Type: application/json\r\n";
    double total = 0;
    for (double w : o_.weights) total += w;
    double acc = 0;
    for (double w : o_.weights) cumulative_.push_back((acc += w) / total);
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(uint16_t(o_.port));
    if (::inet_pton(AF_INET, o_.host.c_str(), &addr_.sin_addr) != 1)
      throw std::runtime_error("bad host " + o_.host);
  }
  ~Worker() {
    for (auto& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
    ::close(ep_);
  }

  void run() {
    epoll_event events[512];
    next_due_ = start_;
    for (;;) {
      auto now = Clock::now();
      if (now >= stop_at_) break;
      tick(now);
      // Sleep until the next open-loop send is due (nanosecond timeout: with epoll_wait's milliseconds a 1 ms
      // interval either spins or sends late), at most 10 ms (the tick follows stages and timeouts).
      int64_t wait_ns = 10'000'000;
      if (rate_ > 0 && (idle_available() || backlog_.empty()))
        wait_ns = std::clamp<int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(next_due_ - now).count(), 0, wait_ns);
      timespec ts{time_t(wait_ns / 1'000'000'000), long(wait_ns % 1'000'000'000)};
      int n = ::epoll_pwait2(ep_, events, 512, &ts, nullptr);
      for (int i = 0; i < n; ++i) {
        Conn& c = conns_[events[i].data.u32];
        if (c.fd < 0) continue;
        if (events[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
          if (events[i].events & EPOLLIN)
            on_readable(c);  // a last response may precede the close; the EOF shows on the next read
          else
            fail(c, "connection error");
          continue;
        }
        if (events[i].events & EPOLLOUT) on_writable(c);
        if (c.fd >= 0 && (events[i].events & EPOLLIN)) on_readable(c);
      }
    }
  }

  Result result;

 private:
  // This thread's part of a connection count.
  int share(int total) const { return total / o_.threads + (thread_ < total % o_.threads ? 1 : 0); }

  Second& second(Clock::time_point t) {
    auto i =
        size_t(std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(t - start_).count()));
    if (result.seconds.size() <= i) result.seconds.resize(i + 1);
    return result.seconds[i];
  }

  // Where the schedule is at `now`: this thread's target connections and open-loop rate.
  void schedule(Clock::time_point now, int& target, double& rate) const {
    double t = std::chrono::duration<double>(now - start_).count();
    for (const auto& s : o_.stages) {
      if (t < s.duration) {
        target = share(int(std::lround(s.from + (s.to - s.from) * (t / s.duration))));
        rate = s.rate / o_.threads;
        return;
      }
      t -= s.duration;
    }
    target = share(o_.stages.back().to);
    rate = o_.stages.back().rate / o_.threads;
  }

  bool idle_available() {
    while (!idle_.empty()) {
      Conn& c = conns_[size_t(idle_.back())];
      if (c.fd >= 0 && !c.busy && int(&c - conns_.data()) < target_) return true;
      idle_.pop_back();
    }
    return false;
  }

  // Every 10 ms or sooner: follow the stage's target connections, retry failed connections, time requests
  // out, schedule open-loop requests.
  void tick(Clock::time_point now) {
    int target = 0;
    double rate = 0;
    schedule(now, target, rate);
    if (rate > 0 && rate_ <= 0) next_due_ = now;  // entering an open-loop stage
    target_ = target;
    rate_ = rate;
    if (now >= next_scan_) {  // the connection scan is O(connections): every 10 ms, not on every wake-up
      next_scan_ = now + std::chrono::milliseconds(10);
      scan(now);
    }
    if (rate_ > 0) {
      auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate_));
      size_t cap = size_t(std::max(1000.0, rate_ * 5));
      while (next_due_ <= now) {
        backlog_.push_back(next_due_);
        next_due_ += interval;
        if (backlog_.size() > cap) {
          backlog_.pop_front();
          ++second(now).dropped;
          if (now >= measure_from_) ++result.dropped;
        }
      }
      dispatch(now);
    } else {
      backlog_.clear();
    }
  }

  // Follows the target: opens missing connections (after their retry pause), closes surplus idle ones; in
  // closed loop starts idle connections, in open loop lists them; times requests out.
  void scan(Clock::time_point now) {
    int open_now = 0;
    if (rate_ > 0) idle_.clear();
    for (size_t i = 0; i < conns_.size(); ++i) {
      Conn& c = conns_[i];
      if (int(i) >= target_) {
        if (c.fd >= 0 && !c.busy) close_conn(c);  // busy ones close after their response
      } else if (c.fd < 0) {
        if (now >= c.retry_at) open(c, now);
      } else if (!c.busy) {
        if (rate_ <= 0)
          send_next(c, now, now);
        else
          idle_.push_back(int(i));
      } else if (o_.timeout > 0 && now - c.started > std::chrono::duration<double>(o_.timeout)) {
        ++second(now).timeouts;
        if (c.sent >= measure_from_) ++result.timeouts;
        if (result.error_sample.empty()) result.error_sample = "request timed out";
        close_conn(c);
        open(c, now);
      }
      if (c.fd >= 0) ++open_now;
    }
    Second& s = second(now);
    s.connections = std::max(s.connections, open_now);
    s.target = target_;
  }

  void dispatch(Clock::time_point now) {
    while (!backlog_.empty() && idle_available()) {
      Conn& c = conns_[size_t(idle_.back())];
      idle_.pop_back();
      send_next(c, backlog_.front(), now);
      backlog_.pop_front();
    }
  }

  void open(Conn& c, Clock::time_point now) {
    c.in.clear();
    c.busy = false;
    c.fd = connect_to(addr_);
    if (c.fd < 0) {
      fail(c, std::string("connect: ") + std::strerror(errno));
      return;
    }
    c.want_out = true;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.u32 = uint32_t(&c - conns_.data());
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    if (rate_ <= 0)
      send_next(c, now, now);  // written once connected
    else
      idle_.push_back(int(&c - conns_.data()));
  }

  void close_conn(Conn& c) {
    if (c.fd < 0) return;
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    c.busy = false;
    c.want_out = false;
  }

  // A connection failed (refused, reset, unparseable response): count it, retry after a pause. The pause is
  // per connection, so a dead server does not make the loop spin and thousands of failures do not stall it.
  void fail(Conn& c, const std::string& why) {
    close_conn(c);
    auto now = Clock::now();
    ++second(now).conn_errors;
    if (now >= measure_from_) ++result.conn_errors;
    if (result.error_sample.empty()) result.error_sample = why;
    ++result.reconnects;
    c.retry_at = now + std::chrono::milliseconds(20 + rng_.range(0, 30));
  }

  // Peer closed an idle keep-alive connection, or asked to close: reconnect at once, no error.
  void reopen(Conn& c) {
    close_conn(c);
    ++result.reconnects;
    auto now = Clock::now();
    if (now < stop_at_ && int(&c - conns_.data()) < target_) open(c, now);
  }

  const std::vector<Segment>& pick_template() {
    if (tmpls_.size() == 1) return tmpls_[0];
    double u = rng_.unit();
    for (size_t i = 0; i < cumulative_.size(); ++i)
      if (u < cumulative_[i]) return tmpls_[i];
    return tmpls_.back();
  }

  void build_body(Conn& c, std::string& body) {
    char num[32];
    if (tmpls_.empty()) return;
    for (const auto& s : pick_template()) {
      switch (s.kind) {
        case Segment::Kind::Text:
          body += s.text;
          break;
        case Segment::Kind::Rand:
          body.append(num, size_t(std::snprintf(num, sizeof num, "%lld", (long long)rng_.range(s.a, s.b))));
          break;
        case Segment::Kind::Seq:
          body.append(
              num, size_t(std::snprintf(num, sizeof num, "%lld",
                                        (long long)(s.a + g_seq.fetch_add(1, std::memory_order_relaxed)))));
          break;
        case Segment::Kind::Conn:
          body += std::to_string(c.index);
          break;
      }
    }
  }

  void send_next(Conn& c, Clock::time_point origin, Clock::time_point now) {
    body_.clear();
    build_body(c, body_);
    c.out = head_;
    if (with_body_) c.out += "Content-Length: " + std::to_string(body_.size()) + "\r\n";
    c.out += "\r\n";
    c.out += body_;
    c.out_off = 0;
    c.busy = true;
    c.sent = origin;
    c.started = now;
    ++result.sent;
    ++second(now).sent;
    on_writable(c);
  }

  void watch_out(Conn& c, bool on) {
    if (c.want_out == on) return;
    c.want_out = on;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? uint32_t(EPOLLOUT) : 0u);
    ev.data.u32 = uint32_t(&c - conns_.data());
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void on_writable(Conn& c) {
    if (!c.busy) {  // connected, nothing to send yet (open loop)
      watch_out(c, false);
      return;
    }
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == ENOTCONN) {  // connecting or buffer full: wait for EPOLLOUT
          watch_out(c, true);
          return;
        }
        fail(c, std::string("send: ") + std::strerror(errno));
        return;
      }
      c.out_off += size_t(n);
    }
    watch_out(c, false);
  }

  // Returns false when the connection is gone (closed by the peer, failed, or closed after a response).
  bool on_readable(Conn& c) {
    char buf[65536];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n == 0) {
      if (c.busy)
        fail(c, "connection closed by the server before a response");
      else
        reopen(c);
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN) return true;
      fail(c, std::string("recv: ") + std::strerror(errno));
      return false;
    }
    c.in.append(buf, size_t(n));
    for (;;) {
      int status = 0;
      bool close_after = false;
      size_t body_off = 0, body_len = 0;
      long len = parse_response(c.in, status, close_after, body_off, body_len);
      if (len == 0) return true;
      if (len < 0) {
        fail(c, "unparseable response: " + c.in.substr(0, 200));
        return false;
      }
      auto now = Clock::now();
      ++result.completed_all;
      auto lat = uint32_t(std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent).count());
      std::string_view body(c.in.data() + body_off, std::min(body_len, c.in.size() - body_off));
      bool ok = status >= 200 && status < 300;
      bool unexpected = ok && !o_.expect.empty() && body.find(o_.expect) == std::string_view::npos;
      Second& sec = second(now);
      sec.latencies_us.push_back(lat);
      ++sec.status[status];
      if (unexpected) ++sec.unexpected;
      if (c.sent >= measure_from_ && now <= stop_at_) {
        result.latencies_us.push_back(lat);
        if (result.per_connection.size() <= size_t(c.index))
          result.per_connection.resize(size_t(c.index) + 1);
        ++result.per_connection[size_t(c.index)];
        ++result.status[status];
        result.bytes_in += long(body_len);
        if (unexpected) {
          ++result.unexpected;
          ok = false;
        }
        if (!ok && result.error_sample.empty())
          result.error_sample = std::to_string(status) + " " + std::string(body.substr(0, 300));
      }
      c.in.erase(0, size_t(len));
      c.busy = false;
      if (close_after || int(&c - conns_.data()) >= target_) {
        if (close_after)
          reopen(c);
        else
          close_conn(c);
        return false;
      }
      if (now < stop_at_) {
        if (rate_ <= 0) {
          send_next(c, now, now);
        } else if (!backlog_.empty()) {
          send_next(c, backlog_.front(), now);
          backlog_.pop_front();
        } else {
          idle_.push_back(int(&c - conns_.data()));
        }
      }
      if (c.in.empty()) return true;
    }
  }

  const Options& o_;
  const std::vector<std::vector<Segment>>& tmpls_;
  std::vector<double> cumulative_;
  int thread_;
  Rng rng_;
  Clock::time_point start_, measure_from_, stop_at_;
  sockaddr_in addr_{};
  int ep_ = -1;
  bool with_body_ = false;
  std::vector<Conn> conns_;
  int target_ = 0;
  double rate_ = 0;
  Clock::time_point next_due_, next_scan_;
  std::deque<Clock::time_point> backlog_;
  std::vector<int> idle_;
  std::string head_, body_;
};

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += char(ch);
    } else if (ch < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", ch);
      out += b;
    } else {
      out += char(ch);
    }
  }
  return out;
}

double pct(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = std::min(sorted.size() - 1, size_t(p / 100.0 * double(sorted.size())));
  return sorted[i] / 1000.0;
}

std::string status_json(const std::map<int, int64_t>& status) {
  std::string out;
  for (auto& [k, v] : status)
    out += (out.empty() ? "" : ",") + ("\"" + std::to_string(k) + "\":" + std::to_string(v));
  return "{" + out + "}";
}

[[noreturn]] void usage() {
  std::fprintf(
      stderr,
      "usage: bench_bridge_load --port P [--host H] [--method M] [--path /call] [--header 'K: V']...\n"
      "       [--body TEMPLATE]... [--weights W,...] [--connections 50] [--threads 1] [--duration 10]\n"
      "       [--warmup 1] [--expect S] [--rate R] [--stages 'D:N[-M][@R],...'] [--timeout S] [--series "
      "FILE]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string weights;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--host")
      o.host = val();
    else if (a == "--port")
      o.port = std::atoi(val().c_str());
    else if (a == "--method")
      o.method = val();
    else if (a == "--path")
      o.path = val();
    else if (a == "--header")
      o.headers.push_back(val());
    else if (a == "--body")
      o.bodies.push_back(val());
    else if (a == "--weights")
      weights = val();
    else if (a == "--connections")
      o.connections = std::atoi(val().c_str());
    else if (a == "--threads")
      o.threads = std::atoi(val().c_str());
    else if (a == "--duration")
      o.duration = std::atof(val().c_str());
    else if (a == "--warmup")
      o.warmup = std::atof(val().c_str());
    else if (a == "--expect")
      o.expect = val();
    else if (a == "--rate")
      o.rate = std::atof(val().c_str());
    else if (a == "--stages")
      o.stages_spec = val();
    else if (a == "--timeout")
      o.timeout = std::atof(val().c_str());
    else if (a == "--series")
      o.series = val();
    else
      usage();
  }
  if (o.port <= 0 || o.connections <= 0 || o.threads <= 0 || o.duration <= 0 || o.warmup < 0 || o.rate < 0)
    usage();
  try {
    if (!o.stages_spec.empty()) {
      o.stages = parse_stages(o.stages_spec);
      double total = 0;
      for (const auto& s : o.stages) total += s.duration;
      o.warmup = std::min(o.warmup, total / 2);
      o.duration = total - o.warmup;
    } else {
      o.stages.push_back({o.warmup + o.duration, o.connections, o.connections, o.rate});
    }
    for (size_t start = 0; start < weights.size();) {
      size_t comma = weights.find(',', start);
      o.weights.push_back(std::atof(weights.substr(start, comma - start).c_str()));
      if (o.weights.back() < 0) throw std::runtime_error("negative weight");
      start = comma == std::string::npos ? weights.size() : comma + 1;
    }
    if (o.weights.empty()) o.weights.assign(std::max<size_t>(1, o.bodies.size()), 1.0);
    if (o.weights.size() != std::max<size_t>(1, o.bodies.size()))
      throw std::runtime_error("--weights needs one weight per --body");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_bridge_load: %s\n", e.what());
    return 2;
  }
  int most = 0;
  for (const auto& s : o.stages) most = std::max({most, s.from, s.to});
  if (most == 0) usage();
  o.threads = std::min(o.threads, most);

  rlimit rl{};  // every connection is a descriptor
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rlim_t(most) + 64 > rl.rlim_cur)
    std::fprintf(stderr, "bench_bridge_load: warning: %d connections but RLIMIT_NOFILE is %llu\n", most,
                 (unsigned long long)rl.rlim_cur);

  std::random_device rd;
  uint64_t nonce = (uint64_t(rd()) << 32 | rd()) % 1000000000000ULL;
  std::vector<std::vector<Segment>> tmpls;
  try {
    for (const auto& b : o.bodies) tmpls.push_back(compile_template(b, nonce));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_bridge_load: %s\n", e.what());
    return 2;
  }

  auto start = Clock::now();
  auto measure_from = start + std::chrono::microseconds(int64_t(o.warmup * 1e6));
  auto stop_at = measure_from + std::chrono::microseconds(int64_t(o.duration * 1e6));
  std::vector<std::unique_ptr<Worker>> workers;
  try {
    for (int t = 0; t < o.threads; ++t)
      workers.push_back(std::make_unique<Worker>(o, tmpls, t, (uint64_t(rd()) << 32) ^ rd() ^ uint64_t(t),
                                                 start, measure_from, stop_at));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_bridge_load: %s\n", e.what());
    return 2;
  }
  double cpu0 = cpu_seconds();
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  for (auto& t : threads) t.join();
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = cpu_seconds() - cpu0;

  Result all;
  for (auto& w : workers) {
    auto& r = w->result;
    all.latencies_us.insert(all.latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
    for (auto& [k, v] : r.status) all.status[k] += v;
    all.unexpected += r.unexpected;
    all.conn_errors += r.conn_errors;
    all.timeouts += r.timeouts;
    all.dropped += r.dropped;
    all.reconnects += r.reconnects;
    all.bytes_in += r.bytes_in;
    all.completed_all += r.completed_all;
    if (all.per_connection.size() < r.per_connection.size())
      all.per_connection.resize(r.per_connection.size());
    for (size_t i = 0; i < r.per_connection.size(); ++i) all.per_connection[i] += r.per_connection[i];
    all.sent += r.sent;
    if (all.error_sample.empty()) all.error_sample = r.error_sample;
    if (all.seconds.size() < r.seconds.size()) all.seconds.resize(r.seconds.size());
    for (size_t i = 0; i < r.seconds.size(); ++i) {
      Second &a = all.seconds[i], &b = r.seconds[i];
      a.latencies_us.insert(a.latencies_us.end(), b.latencies_us.begin(), b.latencies_us.end());
      for (auto& [k, v] : b.status) a.status[k] += v;
      a.sent += b.sent;
      a.unexpected += b.unexpected;
      a.conn_errors += b.conn_errors;
      a.timeouts += b.timeouts;
      a.dropped += b.dropped;
      a.connections += b.connections;
      a.target += b.target;
    }
  }
  std::sort(all.latencies_us.begin(), all.latencies_us.end());
  int64_t n = int64_t(all.latencies_us.size());
  int64_t non2xx = 0;
  for (auto& [k, v] : all.status)
    if (k < 200 || k >= 300) non2xx += v;
  double sum = 0;
  for (auto v : all.latencies_us) sum += v;
  // Fairness: the fewest and most responses one connection got in the window (a closed loop serves every
  // connection alike unless the server favours some).
  all.per_connection.resize(size_t(std::max(most, 0)));
  const int64_t conn_min = all.per_connection.empty()
                               ? 0
                               : *std::min_element(all.per_connection.begin(), all.per_connection.end());
  const int64_t conn_max = all.per_connection.empty()
                               ? 0
                               : *std::max_element(all.per_connection.begin(), all.per_connection.end());
  std::string counts;
  for (int64_t v : all.per_connection) counts += (counts.empty() ? "" : ",") + std::to_string(v);
  const auto& l = all.latencies_us;
  std::printf(
      "{\"requests\":%lld,\"total_requests\":%lld,\"sent\":%lld,\"rps\":%.1f,\"errors\":%lld,\"non2xx\":%lld,"
      "\"unexpected\":%lld,\"conn_errors\":%lld,\"timeouts\":%lld,\"dropped\":%lld,\"reconnects\":%lld,"
      "\"status\":%s,\"latency_ms\":{\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p95\":%.3f,\"p99\":%.3f,"
      "\"max\":%.3f},\"bytes_per_response\":%.0f,\"connections\":%d,\"threads\":%d,\"duration_s\":%.3f,"
      "\"warmup_s\":%.3f,\"open_loop_rate\":%.1f,\"stages\":\"%s\",\"loadgen_cpu_s\":%.3f,"
      "\"loadgen_cpu_pct\":%.1f,\"per_connection\":{\"min\":%lld,\"max\":%lld,\"counts\":[%s]},"
      "\"error_sample\":\"%s\"}\n",
      (long long)n, (long long)all.completed_all, (long long)all.sent, double(n) / o.duration,
      (long long)(non2xx + all.unexpected + all.conn_errors + all.timeouts), (long long)non2xx,
      (long long)all.unexpected, (long long)all.conn_errors, (long long)all.timeouts, (long long)all.dropped,
      (long long)all.reconnects, status_json(all.status).c_str(), n ? sum / double(n) / 1000.0 : 0.0,
      pct(l, 50), pct(l, 90), pct(l, 95), pct(l, 99), pct(l, 100), n ? double(all.bytes_in) / double(n) : 0.0,
      most, o.threads, o.duration, o.warmup, o.rate, json_escape(o.stages_spec).c_str(), cpu,
      100.0 * cpu / wall, (long long)conn_min, (long long)conn_max, counts.c_str(),
      json_escape(all.error_sample).c_str());

  if (!o.series.empty()) {
    FILE* f = std::fopen(o.series.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "bench_bridge_load: cannot write %s: %s\n", o.series.c_str(),
                   std::strerror(errno));
      return 1;
    }
    std::fprintf(f, "{\"interval_s\":1,\"warmup_s\":%.3f,\"stages\":\"%s\",\"seconds\":[\n", o.warmup,
                 json_escape(o.stages_spec).c_str());
    for (size_t i = 0; i < all.seconds.size(); ++i) {
      Second& s = all.seconds[i];
      std::sort(s.latencies_us.begin(), s.latencies_us.end());
      int64_t bad = s.unexpected + s.conn_errors + s.timeouts;
      for (auto& [k, v] : s.status)
        if (k < 200 || k >= 300) bad += v;
      const auto& sl = s.latencies_us;
      std::fprintf(f,
                   "%s{\"t\":%zu,\"completed\":%zu,\"sent\":%lld,\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,"
                   "\"max\":%.3f,\"status\":%s,\"errors\":%lld,\"unexpected\":%lld,\"conn_errors\":%lld,"
                   "\"timeouts\":%lld,\"dropped\":%lld,\"connections\":%d,\"target\":%d}\n",
                   i ? "," : "", i, sl.size(), (long long)s.sent, pct(sl, 50), pct(sl, 95), pct(sl, 99),
                   pct(sl, 100), status_json(s.status).c_str(), (long long)bad, (long long)s.unexpected,
                   (long long)s.conn_errors, (long long)s.timeouts, (long long)s.dropped, s.connections,
                   s.target);
    }
    std::fprintf(f, "]}\n");
    std::fclose(f);
  }
  return 0;
}
