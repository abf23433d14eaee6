#pragma once
// Plain POSIX loopback sockets for the HTTP tests (no Boost in the tests, so they compile fast).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace stk::http::test {

struct RawResponse {
  int status = 0;
  std::string head;  // status line + headers, lowercased names not guaranteed
  std::string body;
  std::string header(std::string_view name) const {
    // case-insensitive search of "\r\nname:" in head
    std::string lower_head;
    for (char c : head) lower_head.push_back(char(std::tolower(static_cast<unsigned char>(c))));
    std::string key = "\r\n";
    for (char c : name) key.push_back(char(std::tolower(static_cast<unsigned char>(c))));
    key += ":";
    auto p = lower_head.find(key);
    if (p == std::string::npos) return {};
    auto start = p + key.size();
    auto end = head.find("\r\n", start);
    std::string v = head.substr(start, end - start);
    while (!v.empty() && v.front() == ' ') v.erase(v.begin());
    return v;
  }
  bool has_header(std::string_view name) const {
    std::string lower_head;
    for (char c : head) lower_head.push_back(char(std::tolower(static_cast<unsigned char>(c))));
    std::string key = "\r\n";
    for (char c : name) key.push_back(char(std::tolower(static_cast<unsigned char>(c))));
    key += ":";
    return lower_head.find(key) != std::string::npos;
  }
};

class RawConn {
 public:
  explicit RawConn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect failed");
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      data.remove_prefix(size_t(n));
    }
  }

  // Reads more bytes into buf_; false on EOF/error/timeout.
  bool fill(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, size_t(n));
    return true;
  }

  // Reads one response with a Content-Length body (or none); nullopt on timeout/EOF.
  std::optional<RawResponse> read_response(int timeout_ms = 5000, bool head_request = false) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    auto left = [&] {
      return int(std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())
                                          .count()));
    };
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(left())) return std::nullopt;
    RawResponse r;
    r.head = buf_.substr(0, end + 2);
    r.status = std::stoi(buf_.substr(9, 3));
    size_t len = 0;
    std::string cl = r.header("content-length");
    if (!cl.empty() && !head_request) len = std::stoul(cl);
    size_t total = end + 4 + len;
    while (buf_.size() < total)
      if (!fill(left())) return std::nullopt;
    r.body = buf_.substr(end + 4, len);
    buf_.erase(0, total);
    return r;
  }

  // True when the peer closes the connection within timeout_ms (any remaining bytes are discarded).
  bool closed_within(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      int left = int(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
              .count());
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return true;
    }
    return false;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  std::string& buffer() { return buf_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

// A listening socket that never accepts (the kernel completes handshakes into the backlog).
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("listen failed");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  uint16_t port() const { return port_; }
  int fd() const { return fd_; }
  // Accepts one connection (blocking); -1 on failure.
  int accept_one() { return ::accept(fd_, nullptr, nullptr); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A port on which nothing listens (bound then closed).
inline uint16_t unused_port() {
  SilentListener l;
  uint16_t p = l.port();
  return p;
}

}  // namespace stk::http::test
