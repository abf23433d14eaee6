// HTTP/1.1 server: thread-per-core workers, each with its own io_context and SO_REUSEPORT acceptor.
//
// Per connection (everything runs on the worker's thread, no locks):
//   read -> parse (Beast's basic_parser, straight into a stk::http::Request) -> call the handler -> wait for
//   its Respond -> serialize into the write buffer -> parse the next request already buffered, or read.
// One request per connection is in flight at a time, so pipelined requests are answered in order; responses
// that are ready while a write is in progress are batched into the next write (double buffer).
// Idle keep-alive connections are closed by a once-a-second sweep (no timer per request).
#include <utility>

#include "stk/http/server.hpp"

// Beast's basic_parser trips a false -Wmaybe-uninitialized (boost::optional) under -fsanitize builds.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "detail.hpp"
#include "stk/core/error.hpp"
#include "stk/core/ids.hpp"
#include "stk/core/log.hpp"

namespace stk::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace server_detail {

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

constexpr size_t kReadChunk = 16 * 1024;
constexpr int kDrainTicks = 2;               // seconds a closing connection may drain unread input
constexpr size_t kMaxDrainBytes = 16 << 20;  // give up draining after this much unread input

struct Config {
  ServerOptions options;
  Handler handler;
};

Response error_response(stk::Code code, std::string_view message, const nlohmann::json& details = nullptr) {
  std::string rid = stk::request_id();
  Response r;
  r.status = stk::http_status(code);
  r.body = stk::error_envelope(code, message, rid, details).dump();
  r.headers.emplace_back("X-Request-Id", std::move(rid));
  return r;
}

bool has_crlf(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return true;
  return false;
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

// Parses one request directly into a stk::http::Request (no beast::http::fields in between).
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser() { req.headers.reserve(12); }
  Request req;
  int version = 11;
  bool head = false;
  bool expect_continue = false;
  size_t body_cap = 0;

 private:
  void on_request_impl(bhttp::verb method, beast::string_view method_str, beast::string_view target, int v,
                       error_code&) override {
    req.method.assign(method_str.data(), method_str.size());
    req.target.assign(target.data(), target.size());
    version = v;
    head = method == bhttp::verb::head;
  }
  void on_response_impl(int, beast::string_view, int, error_code&) override {}
  void on_field_impl(bhttp::field f, beast::string_view name, beast::string_view value,
                     error_code&) override {
    auto& h = req.headers.emplace_back();
    h.first.resize(name.size());
    for (size_t i = 0; i < name.size(); ++i) h.first[i] = detail::ascii_lower(name[i]);
    h.second.assign(value.data(), value.size());
    if (f == bhttp::field::expect &&
        detail::iequals(std::string_view(value.data(), value.size()), "100-continue"))
      expect_continue = true;
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) req.body.reserve(size_t(std::min<std::uint64_t>(*length, body_cap)));
  }
  std::size_t on_body_impl(beast::string_view body, error_code&) override {
    req.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, error_code&) override {
    req.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}
};

class Connection;

// One worker thread's world. Shared (shared_ptr) with outstanding Responds so that a late Respond never
// touches a destroyed io_context.
struct Worker : std::enable_shared_from_this<Worker> {
  Worker(std::shared_ptr<const Config> c, int i) : cfg(std::move(c)), index(i) {}

  std::shared_ptr<const Config> cfg;
  int index;
  std::atomic<bool> stopped{false};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> open{0};
  std::atomic<uint64_t> incoming{0};  // handed over by another worker, not yet a Connection here
  std::atomic<uint64_t> requests{0};
  // Every worker of the server, this one included (set before the threads start, read-only after). The
  // kernel spreads connections over the SO_REUSEPORT acceptors by a hash of the address pair, so 50
  // connections may land 30/20; a worker that accepts one while another has fewer hands it over, so every
  // worker serves its share and no connection waits behind an overloaded thread.
  std::vector<Worker*> peers;
  // Live connections (intrusive list, worker thread only). Declared before ioc: connections destroyed with
  // the io_context's pending handlers unlink themselves from it.
  Connection* head = nullptr;
  uint64_t tick = 0;
  size_t inflight = 0;  // requests handed to the handler and not answered yet (worker thread only)
  asio::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  asio::steady_timer sweep_timer{ioc};
  asio::steady_timer accept_retry{ioc};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;

  void link(Connection* c);
  void unlink(Connection* c);
  void do_accept();
  uint64_t load() const {
    return open.load(std::memory_order_relaxed) + incoming.load(std::memory_order_relaxed);
  }
  Worker* least_loaded();
  void adopt(tcp protocol, int fd);
  void schedule_sweep();
  void sweep();
  void shutdown();
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker& w, tcp::socket s) : w_(w), sock_(std::move(s)) {
    error_code ec;
    auto ep = sock_.remote_endpoint(ec);
    if (!ec) remote_ip_ = ep.address().to_string();
    last_tick_ = w_.tick;
    w_.link(this);
    w_.accepted.fetch_add(1, std::memory_order_relaxed);
    w_.open.fetch_add(1, std::memory_order_relaxed);
  }
  ~Connection() {
    w_.unlink(this);
    w_.open.fetch_sub(1, std::memory_order_relaxed);
  }

  Connection* prev = nullptr;
  Connection* next = nullptr;

  void start() { process(); }

  // Worker thread. Closes the socket at once; pending operations complete with operation_aborted.
  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    sock_.close(ec);
  }

  void on_tick(uint64_t tick, int idle_seconds) {
    if (closed_) return;
    if (draining_) {
      if (tick - last_tick_ >= uint64_t(kDrainTicks)) close();
      return;
    }
    if (!inflight_ && tick - last_tick_ > uint64_t(idle_seconds)) {
      close();
    } else if (!inflight_ && parser_ && parser_->got_some() && !parser_->is_header_done() &&
               tick - request_start_tick_ > uint64_t(idle_seconds)) {
      close();  // a request head that trickles in for longer than the idle limit (slowloris)
    }
  }

  // Delivers the response of the in-flight request (worker thread).
  void deliver(Response&& r) {
    if (!inflight_) return;
    inflight_ = false;
    if (counted_) {
      counted_ = false;
      --w_.inflight;
    }
    if (closed_) return;
    last_tick_ = w_.tick;
    bool close_conn = !keep_alive_ || w_.stopped.load(std::memory_order_relaxed);
    for (const auto& [k, v] : r.headers)
      if (detail::iequals(k, "connection") && detail::iequals(v, "close")) close_conn = true;
    serialize(r, close_conn);
    if (close_conn) close_after_write_ = true;
    flush();
    if (!in_handler_ && !close_after_write_) process();
  }

  bool in_handler() const { return in_handler_; }
  Worker& worker() { return w_; }

 private:
  // Parses buffered input and dispatches complete requests until one is in flight or more input is needed.
  void process() {
    while (!closed_ && !inflight_ && !close_after_write_) {
      if (!parser_) {
        parser_.emplace();
        parser_->eager(true);
        parser_->header_limit(uint32_t(std::min<size_t>(w_.cfg->options.max_header_bytes, UINT32_MAX)));
        parser_->body_limit(std::uint64_t(w_.cfg->options.max_body_bytes));
        parser_->body_cap = w_.cfg->options.max_body_bytes;
      }
      if (rbuf_.size() > 0) {
        error_code ec;
        size_t n = parser_->put(rbuf_.data(), ec);
        rbuf_.consume(n);
        if (ec && ec != bhttp::error::need_more) {
          on_parse_error(ec);
          return;
        }
        if (!ec && parser_->is_done()) {
          dispatch();
          continue;
        }
        if (!ec && n > 0) continue;
      }
      if (parser_->is_header_done() && parser_->expect_continue && parser_->version >= 11) {
        parser_->expect_continue = false;
        out_[pend_].append("HTTP/1.1 100 Continue\r\n\r\n");
        flush();
      }
      start_read();
      return;
    }
  }

  void start_read() {
    auto self = shared_from_this();
    sock_.async_read_some(rbuf_.prepare(kReadChunk),
                          [self](const error_code& ec, size_t n) { self->on_read(ec, n); });
  }

  void on_read(const error_code& ec, size_t n) {
    if (closed_) return;
    if (ec) {
      if (ec == asio::error::eof && writing_) {
        close_after_write_ = true;  // the client half-closed: finish sending what is queued first
        return;
      }
      close();
      return;
    }
    if (!parser_ || !parser_->got_some()) request_start_tick_ = w_.tick;
    rbuf_.commit(n);
    last_tick_ = w_.tick;
    process();
  }

  void on_parse_error(const error_code& ec) {
    parser_.reset();
    rbuf_.clear();
    inflight_ = true;
    keep_alive_ = false;
    head_ = false;
    if (ec == bhttp::error::body_limit) {
      deliver(error_response(
          w_.cfg->options.body_limit_is_bad_request ? stk::Code::BadRequest : stk::Code::PayloadTooLarge,
          "request body exceeds " + std::to_string(w_.cfg->options.max_body_bytes) + " bytes"));
    } else if (ec == bhttp::error::header_limit) {
      deliver(error_response(
          stk::Code::BadRequest,
          "request header exceeds " + std::to_string(w_.cfg->options.max_header_bytes) + " bytes"));
    } else {
      deliver(error_response(stk::Code::BadRequest, "malformed HTTP request: " + ec.message()));
    }
  }

  void dispatch();

 public:
  struct RespondState;

 private:
  void serialize(const Response& r, bool close_conn) {
    std::string& out = out_[pend_];
    int status = r.status;
    if (status < 100 || status > 999) status = 500;
    out.append("HTTP/1.1 ");
    append_uint(out, uint64_t(status));
    out.push_back(' ');
    auto reason = bhttp::obsolete_reason(bhttp::int_to_status(unsigned(status)));
    if (reason.empty() || reason == "<unknown-status>") reason = "Unknown";
    out.append(reason.data(), reason.size());
    out.append("\r\nServer: santokit\r\n");
    bool body_allowed = !(status < 200 || status == 204 || status == 304);
    if (body_allowed) {
      out.append("Content-Type: ");
      if (r.content_type.empty() || has_crlf(r.content_type))
        out.append("application/json");
      else
        out.append(r.content_type);
      out.append("\r\nContent-Length: ");
      append_uint(out, r.body.size());
      out.append("\r\n");
    }
    for (const auto& [k, v] : r.headers) {
      if (k.empty() || has_crlf(k) || has_crlf(v) || k.find(':') != std::string::npos) continue;
      if (detail::iequals(k, "content-length") || detail::iequals(k, "content-type") ||
          detail::iequals(k, "transfer-encoding") || detail::iequals(k, "connection") ||
          detail::iequals(k, "server"))
        continue;
      out.append(k);
      out.append(": ");
      out.append(v);
      out.append("\r\n");
    }
    if (close_conn)
      out.append("Connection: close\r\n");
    else if (version_ < 11)
      out.append("Connection: keep-alive\r\n");
    out.append("\r\n");
    if (body_allowed && !head_) out.append(r.body);
  }

  void flush() {
    if (writing_ || out_[pend_].empty() || closed_) return;
    writing_ = true;
    int idx = pend_;
    pend_ ^= 1;
    auto self = shared_from_this();
    asio::async_write(sock_, asio::buffer(out_[idx]),
                      [self, idx](const error_code& ec, size_t) { self->on_write(ec, idx); });
  }

  void on_write(const error_code& ec, int idx) {
    writing_ = false;
    out_[idx].clear();
    if (out_[idx].capacity() > (1u << 20)) out_[idx].shrink_to_fit();
    if (closed_) return;
    if (ec) {
      close();
      return;
    }
    last_tick_ = w_.tick;
    if (!out_[pend_].empty()) {
      flush();
    } else if (close_after_write_) {
      graceful_close();
    }
  }

  // After the last response: send FIN, then read and discard what the client still sends (e.g. the rest of
  // an oversized body) for a moment, so that closing does not reset the connection before the client has
  // read the response.
  void graceful_close() {
    error_code ec;
    sock_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      close();
      return;
    }
    draining_ = true;
    last_tick_ = w_.tick;
    rbuf_.clear();
    drain();
  }

  void drain() {
    auto self = shared_from_this();
    sock_.async_read_some(rbuf_.prepare(kReadChunk), [self](const error_code& ec, size_t n) {
      if (self->closed_) return;
      self->drained_ += n;
      if (ec || self->drained_ > kMaxDrainBytes) {
        self->close();
        return;
      }
      self->rbuf_.clear();
      self->drain();
    });
  }

  Worker& w_;
  tcp::socket sock_;
  beast::flat_buffer rbuf_;
  std::optional<RequestParser> parser_;
  std::string remote_ip_;
  std::string out_[2];
  int pend_ = 0;  // index of the buffer that collects responses; the other one may be in flight
  uint64_t last_tick_ = 0;
  uint64_t request_start_tick_ = 0;
  size_t drained_ = 0;
  int version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool inflight_ = false;
  bool counted_ = false;  // the in-flight request counts against max_inflight_per_worker
  bool in_handler_ = false;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool draining_ = false;
  bool closed_ = false;
};

// Shared by every copy of one request's Respond. Answers 500 if dropped without being called.
struct Connection::RespondState {
  RespondState(std::shared_ptr<Worker> w, std::shared_ptr<Connection> c)
      : worker(std::move(w)), conn(std::move(c)) {}
  RespondState(const RespondState&) = delete;
  RespondState& operator=(const RespondState&) = delete;
  ~RespondState() {
    if (done.load(std::memory_order_relaxed)) return;
    try {
      log::error("request dropped without a response; answering 500");
      complete(error_response(stk::Code::Internal, "internal error"));
    } catch (...) {
    }
  }

  void complete(Response&& r) {
    if (done.exchange(true, std::memory_order_acq_rel)) {
      log::warn("Respond called more than once; ignoring the extra response");
      return;
    }
    std::shared_ptr<Connection> c = std::move(conn);
    Worker& w = *worker;
    if (w.ioc.get_executor().running_in_this_thread() && c->in_handler()) {
      c->deliver(std::move(r));  // answered inline, from inside this connection's handler
      return;
    }
    // Always post, even after stop(): the connection must only be touched (and destroyed) on its worker
    // thread, or by the io_context's destructor once that thread is gone.
    asio::post(w.ioc, [c = std::move(c), r = std::move(r)]() mutable { c->deliver(std::move(r)); });
  }

  std::shared_ptr<Worker> worker;
  std::shared_ptr<Connection> conn;
  std::atomic<bool> done{false};
};

struct RespondFn {
  std::shared_ptr<Connection::RespondState> state;
  void operator()(Response r) const { state->complete(std::move(r)); }
};

// --- Worker ---------------------------------------------------------------------------------------------

void Worker::link(Connection* c) {
  c->next = head;
  if (head) head->prev = c;
  head = c;
}

void Worker::unlink(Connection* c) {
  if (c->prev) c->prev->next = c->next;
  if (c->next) c->next->prev = c->prev;
  if (head == c) head = c->next;
  c->prev = c->next = nullptr;
}

void Worker::do_accept() {
  acceptor->async_accept([this](const error_code& ec, tcp::socket s) {
    if (stopped.load(std::memory_order_relaxed) || ec == asio::error::operation_aborted) return;
    if (ec) {
      // e.g. EMFILE: back off a little instead of spinning
      log::warn("accept failed", {{"error", ec.message()}, {"worker", index}});
      accept_retry.expires_after(std::chrono::milliseconds(50));
      accept_retry.async_wait([this](const error_code& e) {
        if (!e && !stopped.load(std::memory_order_relaxed)) do_accept();
      });
      return;
    }
    error_code ignore;
    s.set_option(tcp::no_delay(true), ignore);
    Worker* target = least_loaded();
    if (target != this) {
      error_code rec;
      const tcp protocol = s.local_endpoint(rec).protocol();
      const int fd = rec ? -1 : s.release(rec);
      if (!rec && fd >= 0) {
        target->incoming.fetch_add(1, std::memory_order_relaxed);
        asio::post(target->ioc, [t = target->shared_from_this(), protocol, fd] { t->adopt(protocol, fd); });
        return do_accept();
      }
    }
    std::make_shared<Connection>(*this, std::move(s))->start();
    do_accept();
  });
}

Worker* Worker::least_loaded() {
  Worker* best = this;
  uint64_t best_load = load();
  for (Worker* w : peers)
    if (uint64_t l = w->load(); l < best_load) best = w, best_load = l;
  return best;
}

// On this worker's thread: a connection another worker accepted for it.
void Worker::adopt(tcp protocol, int fd) {
  incoming.fetch_sub(1, std::memory_order_relaxed);
  tcp::socket s(ioc);
  error_code ec;
  s.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  if (stopped.load(std::memory_order_relaxed)) return;  // s closes the descriptor
  std::make_shared<Connection>(*this, std::move(s))->start();
}

void Worker::schedule_sweep() {
  sweep_timer.expires_after(std::chrono::seconds(1));
  sweep_timer.async_wait([this](const error_code& ec) {
    if (ec || stopped.load(std::memory_order_relaxed)) return;
    sweep();
    schedule_sweep();
  });
}

void Worker::sweep() {
  ++tick;
  int idle = std::max(1, cfg->options.idle_timeout_seconds);
  for (Connection* c = head; c;) {
    Connection* next = c->next;  // on_tick only closes; it never destroys a connection
    c->on_tick(tick, idle);
    c = next;
  }
}

void Worker::shutdown() {
  stopped.store(true);
  error_code ec;
  if (acceptor) acceptor->close(ec);
  sweep_timer.cancel();
  accept_retry.cancel();
  for (Connection* c = head; c; c = c->next) c->close();
  if (cfg->options.on_worker_stop) {
    try {
      cfg->options.on_worker_stop(index);
    } catch (const std::exception& e) {
      log::error("on_worker_stop failed", {{"worker", index}, {"error", e.what()}});
    }
  }
  guard.reset();
  ioc.stop();
}

// --- Connection::dispatch ------------------------------------------------------------------------------

void Connection::dispatch() {
  RequestParser& p = *parser_;
  Request req = std::move(p.req);
  keep_alive_ = p.keep_alive();
  version_ = p.version;
  head_ = p.head;
  parser_.reset();
  detail::split_target(req.target, req.path, req.query);
  req.remote_ip = remote_ip_;
  inflight_ = true;
  const size_t limit = w_.cfg->options.max_inflight_per_worker;
  if (limit != 0 && w_.inflight >= limit) {
    // load shedding: answer at once instead of queueing without bound
    Response r = error_response(stk::Code::Unavailable, "server overloaded; retry later");
    r.headers.emplace_back("Retry-After", "1");
    if (w_.cfg->options.on_shed) {
      try {
        w_.cfg->options.on_shed(req);
      } catch (const std::exception&) {  // counting must never break the answer
      }
    }
    in_handler_ = true;  // deliver without recursing into process(); the caller's loop goes on
    deliver(std::move(r));
    in_handler_ = false;
    return;
  }
  ++w_.inflight;
  counted_ = true;
  // single writer (this worker): a plain load+store avoids a locked instruction per request
  w_.requests.store(w_.requests.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);

  auto state = std::make_shared<RespondState>(w_.shared_from_this(), shared_from_this());
  in_handler_ = true;
  try {
    w_.cfg->handler(std::move(req), Respond(RespondFn{state}));
  } catch (const stk::Error& e) {
    if (!state->done.load()) state->complete(error_response(e.code(), e.what(), e.details()));
  } catch (const std::exception& e) {
    log::error("unhandled exception in HTTP handler", {{"error", e.what()}});
    if (!state->done.load()) state->complete(error_response(stk::Code::Internal, "internal error"));
  } catch (...) {
    log::error("unhandled non-standard exception in HTTP handler");
    if (!state->done.load()) state->complete(error_response(stk::Code::Internal, "internal error"));
  }
  state.reset();  // a Respond dropped by the handler answers 500 here, still inline
  in_handler_ = false;
}

}  // namespace server_detail

// --- Server --------------------------------------------------------------------------------------------

using server_detail::Config;
using server_detail::reuse_port;
using server_detail::Worker;

struct Server::Impl {
  std::shared_ptr<const Config> cfg;
  std::vector<std::shared_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool started = false;
  std::mutex stop_mu;
  bool stopped = false;

  void join_all() {
    for (auto& t : threads) {
      if (!t.joinable()) continue;
      if (t.get_id() == std::this_thread::get_id()) {
        // stop() from a handler: the worker cannot join itself; it exits once its handler returns
        log::error("Server::stop() called on a worker thread; not joining that worker");
        t.detach();
      } else {
        t.join();
      }
    }
    threads.clear();
  }
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  if (options.threads < 1) options.threads = 1;
  if (!handler) throw std::invalid_argument("stk::http::Server needs a handler");
  impl_->cfg = std::make_shared<const Config>(Config{std::move(options), std::move(handler)});
  for (int i = 0; i < impl_->cfg->options.threads; ++i)
    impl_->workers.push_back(std::make_shared<Worker>(impl_->cfg, i));
  for (auto& w : impl_->workers)
    for (auto& peer : impl_->workers) w->peers.push_back(peer.get());
}

Server::~Server() {
  try {
    stop();
  } catch (...) {
  }
}

int Server::threads() const {
  return int(impl_->workers.size());
}

ServerStats Server::stats() const {
  ServerStats s;
  for (const auto& w : impl_->workers) {
    s.connections_accepted += w->accepted.load(std::memory_order_relaxed);
    s.connections_open += w->open.load(std::memory_order_relaxed);
    s.requests += w->requests.load(std::memory_order_relaxed);
  }
  return s;
}

boost::asio::io_context& Server::worker_context(int worker) {
  if (worker < 0 || worker >= int(impl_->workers.size()))
    throw std::out_of_range("stk::http::Server::worker_context: no worker " + std::to_string(worker));
  return impl_->workers[size_t(worker)]->ioc;
}

uint16_t Server::port() const {
  return impl_->port;
}

void Server::start() {
  std::lock_guard lk(impl_->stop_mu);
  if (impl_->started) throw std::logic_error("stk::http::Server::start() called twice");
  if (impl_->stopped) throw std::logic_error("stk::http::Server::start() after stop()");
  const ServerOptions& opt = impl_->cfg->options;
  auto fail = [&](const std::string& reason) {
    for (auto& w : impl_->workers) {
      error_code ec;
      if (w->acceptor) w->acceptor->close(ec);
      w->acceptor.reset();
    }
    return std::runtime_error("cannot listen on " + opt.host + ":" + std::to_string(opt.port) + ": " +
                              reason);
  };

  tcp::endpoint ep;
  {
    error_code ec;
    auto addr = asio::ip::make_address(opt.host, ec);
    if (!ec) {
      ep = tcp::endpoint(addr, opt.port);
    } else {
      tcp::resolver resolver(impl_->workers[0]->ioc);
      auto results = resolver.resolve(opt.host, std::to_string(opt.port), tcp::resolver::passive, ec);
      if (ec || results.empty()) throw fail(ec ? ec.message() : "host not found");
      ep = results.begin()->endpoint();
    }
  }
  if (opt.port != 0) {
    // SO_REUSEPORT would let us share a port that another server of the same user already listens on (and
    // silently split its traffic): bind once without it first, so that mistake fails loudly.
    tcp::acceptor probe(impl_->workers[0]->ioc);
    error_code ec;
    if (!probe.open(ep.protocol(), ec)) {
      probe.set_option(tcp::acceptor::reuse_address(true), ec);
      if (probe.bind(ep, ec)) throw fail(ec.message());
    }
  }
  uint16_t port = opt.port;
  for (auto& w : impl_->workers) {
    error_code ec;
    ep.port(port);
    w->acceptor.emplace(w->ioc);
    auto& a = *w->acceptor;
    if (a.open(ep.protocol(), ec)) throw fail(ec.message());
    a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (a.set_option(reuse_port(true), ec)) throw fail("SO_REUSEPORT: " + ec.message());
    if (a.bind(ep, ec)) throw fail(ec.message());
    if (a.listen(asio::socket_base::max_listen_connections, ec)) throw fail(ec.message());
    if (port == 0) port = a.local_endpoint(ec).port();
  }
  impl_->port = port;
  impl_->started = true;

  for (auto& w : impl_->workers) {
    w->guard.emplace(w->ioc.get_executor());
    w->do_accept();
    w->schedule_sweep();
    impl_->threads.emplace_back([w] {
      std::string name = "stk-http-" + std::to_string(w->index);
      pthread_setname_np(pthread_self(), name.c_str());
      if (w->cfg->options.on_worker_start) {
        try {
          w->cfg->options.on_worker_start(w->index);
        } catch (const std::exception& e) {
          log::error("on_worker_start failed", {{"worker", w->index}, {"error", e.what()}});
        }
      }
      for (;;) {
        try {
          w->ioc.run();
          break;
        } catch (const std::exception& e) {
          log::error("exception escaped an HTTP worker handler", {{"worker", w->index}, {"error", e.what()}});
        } catch (...) {
          log::error("non-standard exception escaped an HTTP worker handler", {{"worker", w->index}});
        }
      }
    });
  }
}

void Server::stop() {
  std::lock_guard lk(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->started) return;
  for (auto& w : impl_->workers) {
    w->stopped.store(true, std::memory_order_release);
    asio::post(w->ioc, [w] { w->shutdown(); });
  }
  impl_->join_all();
}

}  // namespace stk::http
