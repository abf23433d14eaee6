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
using Respond = std::function<void(Response)>;
// Called on the connection's worker thread. A handler may answer at once or keep `respond` and answer later
// (long-poll); it must not block the worker for long. Exceptions escaping a handler become a 500 envelope.
using Handler = std::function<void(Request&&, Respond)>;

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 0;          // 0 = pick a free port (see Server::port())
  int threads = 1;            // worker threads (thread-per-core)
  size_t max_body_bytes = 10 * 1024 * 1024;  // larger body -> 413 envelope, connection closed
  int idle_timeout_seconds = 75;             // keep-alive idle limit
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
  // Stops accepting, closes connections, joins the workers. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stk::http
