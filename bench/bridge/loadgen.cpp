// Closed-loop HTTP/1.1 load generator for the Bridge benchmark (bench/bridge/run drives it).
// N keep-alive connections on one epoll loop per thread; each connection sends its next request as soon as
// the previous response is complete. Request bodies come from a template with placeholders, expanded per
// request:
//   {rand:A:B}  uniform random integer in [A, B] (each occurrence drawn independently)
//   {seq:A}     A + a counter shared by all connections (0, 1, 2, ...: each value used once)
//   {conn}      the connection's index          {nonce}  a random number fixed for this run
// It prints one JSON object: completed requests in the measured window, req/s, latency percentiles (µs),
// status counts, errors, and its own CPU time (so a report can show the generator was not the bottleneck).
//   bench_bridge_load --port P [--host 127.0.0.1] [--method POST] [--path /call] [--header 'K: V']...
//                     [--body TEMPLATE] [--connections 50] [--threads 1] [--duration 10] [--warmup 1]
//                     [--expect SUBSTRING]
// Errors: non-2xx statuses, responses without --expect's substring, and connection failures.
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
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string method = "POST";
  std::string path = "/call";
  std::vector<std::string> headers;
  std::string body;
  int connections = 50;
  int threads = 1;
  double duration = 10;
  double warmup = 1;
  std::string expect;
};

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
};

struct Result {
  std::vector<uint32_t> latencies_us;  // measured window only
  std::map<int, int64_t> status;
  int64_t unexpected = 0;  // 2xx without the expected substring
  int64_t conn_errors = 0;
  int64_t reconnects = 0;
  int64_t bytes_in = 0;
  int64_t completed_all = 0;  // every response, warm-up included
  int64_t sent = 0;           // every request sent, including those still in flight at the end
  std::string error_sample;
};

struct Conn {
  int fd = -1;
  int index = 0;
  std::string out;  // pending request bytes
  size_t out_off = 0;
  std::string in;
  Clock::time_point sent;
  bool busy = false;
  bool want_out = false;  // EPOLLOUT registered (connecting, or a partial write pending)
};

int connect_to(const Options& o) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(o.port));
  if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error("bad host " + o.host);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
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
  Worker(const Options& o, const std::vector<Segment>& tmpl, int first_conn, int n_conns, uint64_t seed,
         Clock::time_point measure_from, Clock::time_point stop_at)
      : o_(o), tmpl_(tmpl), rng_{seed}, measure_from_(measure_from), stop_at_(stop_at) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    conns_.resize(size_t(n_conns));
    for (int i = 0; i < n_conns; ++i) conns_[size_t(i)].index = first_conn + i;
    head_ =
        o_.method + " " + o_.path + " HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) + "\r\n";
    for (const auto& h : o_.headers) head_ += h + "\r\n";
    if (!tmpl_.empty() || o_.method == "POST") head_ += "Content-Type: application/json\r\n";
  }
  ~Worker() {
    for (auto& c : conns_)
      if (c.fd >= 0) ::close(c.fd);
    ::close(ep_);
  }

  void run() {
    for (auto& c : conns_) open(c);
    epoll_event events[256];
    while (Clock::now() < stop_at_) {
      int n = ::epoll_wait(ep_, events, 256, 100);
      for (int i = 0; i < n; ++i) {
        Conn& c = conns_[events[i].data.u32];
        if (events[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
          if (!(events[i].events & EPOLLIN) || !on_readable(c)) reopen(c, true);
          continue;
        }
        if (events[i].events & EPOLLOUT) on_writable(c);
        if (events[i].events & EPOLLIN) on_readable(c);
      }
    }
  }

  Result result;

 private:
  void open(Conn& c) {
    c.fd = connect_to(o_);
    if (c.fd < 0) {
      ++result.conn_errors;
      return;
    }
    c.want_out = true;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.u32 = uint32_t(&c - conns_.data());
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    c.in.clear();
    c.busy = false;
    send_next(c);
  }

  void reopen(Conn& c, bool error) {
    if (c.fd >= 0) {
      ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
      c.fd = -1;
    }
    if (error) {
      ++result.conn_errors;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // do not spin against a dead server
    }
    ++result.reconnects;
    if (Clock::now() < stop_at_) open(c);
  }

  void build_body(Conn& c, std::string& body) {
    char num[32];
    for (const auto& s : tmpl_) {
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

  void send_next(Conn& c) {
    body_.clear();
    build_body(c, body_);
    c.out = head_;
    if (!tmpl_.empty() || o_.method == "POST")
      c.out += "Content-Length: " + std::to_string(body_.size()) + "\r\n";
    c.out += "\r\n";
    c.out += body_;
    c.out_off = 0;
    c.busy = true;
    c.sent = Clock::now();
    ++result.sent;
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
    while (c.out_off < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == ENOTCONN) {  // connecting or buffer full: wait for EPOLLOUT
          watch_out(c, true);
          return;
        }
        reopen(c, true);
        return;
      }
      c.out_off += size_t(n);
    }
    watch_out(c, false);
  }

  // Returns false when the connection was closed by the peer.
  bool on_readable(Conn& c) {
    char buf[65536];
    ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n == 0) {
      if (Clock::now() < stop_at_) reopen(c, c.busy);
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN) return true;
      reopen(c, true);
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
        ++result.conn_errors;
        if (result.error_sample.empty()) result.error_sample = "unparseable response: " + c.in.substr(0, 200);
        reopen(c, true);
        return false;
      }
      auto now = Clock::now();
      ++result.completed_all;
      if (c.sent >= measure_from_ && now <= stop_at_) {
        result.latencies_us.push_back(
            uint32_t(std::chrono::duration_cast<std::chrono::microseconds>(now - c.sent).count()));
        ++result.status[status];
        result.bytes_in += long(body_len);
        std::string_view body(c.in.data() + body_off, std::min(body_len, c.in.size() - body_off));
        bool ok = status >= 200 && status < 300;
        if (ok && !o_.expect.empty() && body.find(o_.expect) == std::string_view::npos) {
          ++result.unexpected;
          ok = false;
        }
        if (!ok && result.error_sample.empty())
          result.error_sample = std::to_string(status) + " " + std::string(body.substr(0, 300));
      }
      c.in.erase(0, size_t(len));
      c.busy = false;
      if (close_after) {
        reopen(c, false);
        return false;
      }
      if (now < stop_at_) send_next(c);
      if (c.in.empty()) return true;
    }
  }

  const Options& o_;
  const std::vector<Segment>& tmpl_;
  Rng rng_;
  Clock::time_point measure_from_, stop_at_;
  int ep_ = -1;
  std::vector<Conn> conns_;
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

[[noreturn]] void usage() {
  std::fprintf(
      stderr,
      "usage: bench_bridge_load --port P [--host H] [--method M] [--path /call] [--header 'K: V']...\n"
      "       [--body TEMPLATE] [--connections 50] [--threads 1] [--duration 10] [--warmup 1] "
      "[--expect S]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
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
      o.body = val();
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
    else
      usage();
  }
  if (o.port <= 0 || o.connections <= 0 || o.threads <= 0 || o.duration <= 0) usage();
  o.threads = std::min(o.threads, o.connections);

  std::random_device rd;
  uint64_t nonce = (uint64_t(rd()) << 32 | rd()) % 1000000000000ULL;
  std::vector<Segment> tmpl;
  try {
    tmpl = compile_template(o.body, nonce);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_bridge_load: %s\n", e.what());
    return 2;
  }

  auto start = Clock::now();
  auto measure_from = start + std::chrono::microseconds(int64_t(o.warmup * 1e6));
  auto stop_at = measure_from + std::chrono::microseconds(int64_t(o.duration * 1e6));
  std::vector<std::unique_ptr<Worker>> workers;
  int first = 0;
  for (int t = 0; t < o.threads; ++t) {
    int n = o.connections / o.threads + (t < o.connections % o.threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(o, tmpl, first, n, (uint64_t(rd()) << 32) ^ rd() ^ uint64_t(t),
                                               measure_from, stop_at));
    first += n;
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
    all.reconnects += r.reconnects;
    all.bytes_in += r.bytes_in;
    all.completed_all += r.completed_all;
    all.sent += r.sent;
    if (all.error_sample.empty()) all.error_sample = r.error_sample;
  }
  std::sort(all.latencies_us.begin(), all.latencies_us.end());
  auto pct = [&](double p) -> double {
    if (all.latencies_us.empty()) return 0;
    size_t i = std::min(all.latencies_us.size() - 1, size_t(p / 100.0 * double(all.latencies_us.size())));
    return all.latencies_us[i] / 1000.0;
  };
  int64_t n = int64_t(all.latencies_us.size());
  int64_t non2xx = 0;
  for (auto& [k, v] : all.status)
    if (k < 200 || k >= 300) non2xx += v;
  double sum = 0;
  for (auto v : all.latencies_us) sum += v;
  std::string status;
  for (auto& [k, v] : all.status)
    status += (status.empty() ? "" : ",") + ("\"" + std::to_string(k) + "\":" + std::to_string(v));
  std::printf(
      "{\"requests\":%lld,\"total_requests\":%lld,\"sent\":%lld,\"rps\":%.1f,\"errors\":%lld,\"non2xx\":%lld,"
      "\"unexpected\":%lld,\"conn_errors\":%"
      "lld,"
      "\"reconnects\":%lld,\"status\":{%s},\"latency_ms\":{\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p95\":%."
      "3f,"
      "\"p99\":%.3f,\"max\":%.3f},\"bytes_per_response\":%.0f,\"connections\":%d,\"threads\":%d,"
      "\"duration_s\":%.3f,\"loadgen_cpu_s\":%.3f,\"loadgen_cpu_pct\":%.1f,\"error_sample\":\"%s\"}\n",
      (long long)n, (long long)all.completed_all, (long long)all.sent, double(n) / o.duration,
      (long long)(non2xx + all.unexpected + all.conn_errors), (long long)non2xx, (long long)all.unexpected,
      (long long)all.conn_errors, (long long)all.reconnects, status.c_str(),
      n ? sum / double(n) / 1000.0 : 0.0, pct(50), pct(90), pct(95), pct(99), pct(100),
      n ? double(all.bytes_in) / double(n) : 0.0, o.connections, o.threads, o.duration, cpu,
      100.0 * cpu / wall, json_escape(all.error_sample).c_str());
  return 0;
}
