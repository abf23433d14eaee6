#pragma once
// HTTP/1.1 server behind a plain-C++ interface (Beast/Asio live only in libs/http/src).
// Thread-per-core: `threads` workers, each with its own io_context and its own SO_REUSEPORT acceptor on the
// same port, so a connection stays on one thread from accept to close. Keep-alive and pipelined requests on a
// connection are answered in order.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace stk::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target: "/api/releases?project=shop&env=dev"
  std::string path;    // percent-decoded path without the query: "/api/releases"
  std::vector<std::pair<std::string, std::string>> query;    // percent-decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote_ip;

  // Case-insensitive header lookup; empty view when absent.
  std::string_view header(std::string_view name) const;
  // First query parameter with this name.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (e.g. ETag, X-Request-Id)
  std::string body;
};

// Completes a request. Call exactly once, from any thread; the write happens on the connection's own thread.
// Later calls are ignored. If every copy of a Respond is destroyed without being called, the request is
// answered with a 500 INTERNAL_ERROR envelope, so a connection never hangs on a forgotten request.
// While a request is waiting for its Respond, the connection reads nothing more (pipelined requests wait).
using Respond = std::function<void(Response)>;
// Called on the connection's worker thread. A handler may answer at once or keep `respond` and answer later
// (long-poll); it must not block the worker for long. Exceptions escaping a handler become a 500 envelope.
using Handler = std::function<void(Request&&, Respond)>;

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 0;                         // 0 = pick a free port (see Server::port())
  int threads = 1;                           // worker threads (thread-per-core)
  size_t max_body_bytes = 10 * 1024 * 1024;  // larger body -> 413 envelope, connection closed
  bool body_limit_is_bad_request =
      false;                            // answer 400 BAD_REQUEST instead (the Bridge: spec bridge-crud §12)
  int idle_timeout_seconds = 75;        // keep-alive idle limit (checked once a second)
  size_t max_header_bytes = 64 * 1024;  // request line + headers; larger -> 400 envelope, closed
  // Load shedding: at most this many requests per worker handed to the handler and not yet answered;
  // beyond it the server answers 503 SERVICE_UNAVAILABLE with Retry-After: 1 without calling the handler.
  // 0 = unlimited (the Hub, whose long-polls stay in flight for long).
  size_t max_inflight_per_worker = 0;
  // Called on the worker thread for every request shed that way (e.g. to count it); must be cheap.
  std::function<void(const Request&)> on_shed;

  // Called on worker thread `worker` (0..threads-1) before it starts serving, e.g. to attach per-worker
  // state (a PostgreSQL pool) to worker_context(worker). Exceptions are logged and ignored.
  std::function<void(int worker)> on_worker_start;
  // Called on worker thread `worker` during stop(), after its acceptor and connections are closed and before
  // its io_context stops: the place to close per-worker state bound to worker_context(worker).
  std::function<void(int worker)> on_worker_stop;
};

// Counters summed over the workers (each worker counts its own; read with relaxed loads).
struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t requests = 0;  // requests handed to the handler
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // stops and joins
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the workers; throws std::runtime_error("cannot listen on host:port: reason").
  void start();
  uint16_t port() const;  // actual bound port
  // Stops accepting, closes connections, joins the workers. Idempotent; callable from any thread except a
  // worker thread (e.g. from a thread that waits for SIGTERM with sigwait). Not async-signal-safe: do not
  // call it from inside a signal handler. Pending asynchronous work on the worker io_contexts is abandoned
  // (its handlers are destroyed, not run, when the Server is destroyed).
  void stop();

  int threads() const;
  ServerStats stats() const;
  // The io_context that worker `worker` runs (valid from construction until the Server is destroyed; it runs
  // only between start() and stop()). Objects bound to it must be destroyed before the Server.
  boost::asio::io_context& worker_context(int worker);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stk::http
