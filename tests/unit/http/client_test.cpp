#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "raw_socket.hpp"
#include "stk/core/error.hpp"
#include "stk/http/client.hpp"

using namespace stk::http;
using stk::http::test::SilentListener;
using Clock = std::chrono::steady_clock;

namespace {

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

stk::Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const stk::Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected stk::Error";
  return stk::Error(stk::Code::Internal, "no error");
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    s.remove_prefix(size_t(n));
  }
}

// Reads one request head (up to the blank line) from fd; ignores bodies (tests send none).
std::string read_head(int fd) {
  std::string buf;
  char c;
  while (buf.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) buf.push_back(c);
  return buf;
}

}  // namespace

TEST(HttpClient, ParseUrl) {
  auto u = parse_url("http://127.0.0.1:4000");
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 4000);
  EXPECT_EQ(u.base_path, "");
  u = parse_url("HTTP://hub.internal/prefix/v1/");
  EXPECT_EQ(u.host, "hub.internal");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.base_path, "/prefix/v1");
  u = parse_url("http://[::1]:8080/");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.base_path, "");

  auto e = error_of([] { parse_url("https://hub.example.com"); });
  EXPECT_EQ(e.code(), stk::Code::BadRequest);
  EXPECT_NE(std::string(e.what()).find("TLS termination"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("http://"), std::string::npos) << e.what();
  EXPECT_THROW(Client("https://hub.example.com:443"), stk::Error);

  for (const char* bad :
       {"", "127.0.0.1:4000", "ftp://x", "http://", "http://:80", "http://h:0", "http://h:70000",
        "http://h:12ab", "http://h:", "http://h/x?y=1", "http://u:p@h", "http://[::1"}) {
    auto err = error_of([&] { parse_url(bad); });
    EXPECT_EQ(err.code(), stk::Code::BadRequest) << bad;
    EXPECT_NE(std::string(err.what()).find("http://host[:port]"), std::string::npos) << err.what();
  }
}

TEST(HttpClient, UrlEncode) {
  EXPECT_EQ(url_encode("a b&c=d/é~._-"), "a%20b%26c%3Dd%2F%C3%A9~._-");
  EXPECT_EQ(url_encode(""), "");
}

TEST(HttpClient, ConnectionRefused) {
  uint16_t port = stk::http::test::unused_port();
  Client c("http://127.0.0.1:" + std::to_string(port));
  auto e = error_of([&] { c.request("GET", "/"); });
  EXPECT_EQ(e.code(), stk::Code::Unavailable);
  EXPECT_EQ(std::string(e.what()), "cannot reach 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(HttpClient, TimeoutWhenServerNeverAnswers) {
  SilentListener l;  // accepts at the TCP level (backlog) but never reads or answers
  Client c("http://127.0.0.1:" + std::to_string(l.port()));
  auto t0 = Clock::now();
  auto e = error_of([&] { c.request("GET", "/x", {}, {}, 300); });
  auto took = ms_since(t0);
  EXPECT_EQ(e.code(), stk::Code::GatewayTimeout);
  EXPECT_NE(std::string(e.what()).find("300 ms"), std::string::npos) << e.what();
  EXPECT_GE(took, 280);
  EXPECT_LT(took, 2000);
}

TEST(HttpClient, ReadsChunkedResponsesAndBasePath) {
  SilentListener l;
  std::string seen_target, seen_host;
  std::thread srv([&] {
    int fd = l.accept_one();
    std::string head = read_head(fd);
    seen_target = head.substr(0, head.find("\r\n"));
    auto h = head.find("Host: ");
    if (h != std::string::npos) seen_host = head.substr(h + 6, head.find("\r\n", h) - h - 6);
    write_all(
        fd,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-Multi: a\r\n"
        "\r\n4\r\n{\"a\"\r\n5\r\n:123}\r\n0\r\n\r\n");
    // second request on the same connection, answered with Connection: close
    read_head(fd);
    write_all(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno");
    ::close(fd);
  });
  Client c("http://127.0.0.1:" + std::to_string(l.port()) + "/base/");
  auto r = c.request("GET", "/items?q=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"a\":123}");
  EXPECT_EQ(r.header("x-multi"), "a");
  EXPECT_EQ(r.header("X-MULTI"), "a");
  auto r2 = c.request("GET", "items");
  EXPECT_EQ(r2.status, 404);
  EXPECT_EQ(r2.body, "no");
  srv.join();
  EXPECT_EQ(seen_target, "GET /base/items?q=1 HTTP/1.1");
  EXPECT_EQ(seen_host, "127.0.0.1:" + std::to_string(l.port()));
}

TEST(HttpClient, ReconnectsOnceWhenKeptAliveConnectionWasClosed) {
  SilentListener l;
  std::thread srv([&] {
    // First connection: answer one request, then close silently (no Connection: close header).
    int fd = l.accept_one();
    read_head(fd);
    write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
    ::close(fd);
    // Second connection: the client's retry.
    fd = l.accept_one();
    read_head(fd);
    write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
    ::close(fd);
  });
  Client c("http://127.0.0.1:" + std::to_string(l.port()));
  EXPECT_EQ(c.request("GET", "/").body, "one");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(c.request("GET", "/").body, "two");
  srv.join();
}

TEST(HttpClient, DoesNotRetryForeverWhenTheServerDropsEveryRequest) {
  SilentListener l;
  std::atomic<int> accepted{0};
  std::thread srv([&] {
    for (int i = 0; i < 3; ++i) {
      int fd = l.accept_one();
      if (fd < 0) return;
      ++accepted;
      read_head(fd);
      if (i == 0) {
        write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        // keep it open a moment so the client reuses it for the next request
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        read_head(fd);
      }
      ::close(fd);
      if (i == 2) return;
    }
  });
  Client c("http://127.0.0.1:" + std::to_string(l.port()));
  EXPECT_EQ(c.request("GET", "/").body, "ok");
  auto e = error_of([&] { c.request("GET", "/"); });
  EXPECT_EQ(e.code(), stk::Code::Unavailable);
  EXPECT_EQ(accepted.load(), 2);  // reused connection failed, one reconnect, then give up
  // unblock the server thread's last accept
  try {
    Client("http://127.0.0.1:" + std::to_string(l.port())).request("GET", "/", {}, {}, 500);
  } catch (const stk::Error&) {
  }
  srv.join();
}

TEST(HttpClient, MovableAndUsableAfterMove) {
  uint16_t port = stk::http::test::unused_port();
  Client a("http://127.0.0.1:" + std::to_string(port));
  Client b = std::move(a);
  EXPECT_THROW(b.request("GET", "/"), stk::Error);
}
