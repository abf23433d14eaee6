#pragma once
// Synchronous HTTP/1.1 client (plain http://) with a kept-alive connection, for `stk` and for the Bridge's
// release feed. Not for the hot path.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stk::http {

struct ClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string_view header(std::string_view name) const;  // case-insensitive; empty when absent
};

struct Url {
  std::string scheme;  // "http"
  std::string host;
  uint16_t port = 80;
  std::string base_path;  // path prefix without trailing '/', usually ""
};
// Parses "http://host[:port][/prefix]"; throws stk::Error(BadRequest) naming what is wrong (https is rejected
// with a message saying TLS termination belongs in front of the Hub).
Url parse_url(std::string_view url);

class Client {
 public:
  explicit Client(std::string base_url);  // throws like parse_url
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // Sends one request, reusing the connection when possible (reconnects once if the kept-alive connection was
  // closed by the server). `target` is appended to the base path ("/api/projects?x=1").
  // Throws stk::Error(Unavailable, "cannot reach <host:port>: <reason>") when the server cannot be reached
  // and stk::Error(GatewayTimeout) when no complete answer arrives within timeout_ms.
  ClientResponse request(std::string_view method, std::string_view target,
                         const std::vector<std::pair<std::string, std::string>>& headers = {},
                         std::string_view body = {}, int timeout_ms = 30000);
  // Thread-safe: aborts the request in progress on another thread (it throws Unavailable), e.g. a long-poll
  // at shutdown. If no request is in progress, the next one starts on a fresh connection.
  void interrupt();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encoding for query values.
std::string url_encode(std::string_view s);

}  // namespace stk::http
