// Synchronous HTTP/1.1 client: Beast's asynchronous operations run on a private io_context, so that every
// step (connect, write, read) obeys the request's deadline through beast::tcp_stream's timer.
#include <utility>

#include "stk/http/client.hpp"

#include <poll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>

#include "detail.hpp"
#include "stk/core/error.hpp"

namespace stk::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr uint32_t kHeaderLimit = 64 * 1024;
constexpr std::uint64_t kBodyLimit = std::uint64_t(1) << 30;

bool retriable(const error_code& ec) {
  return ec == asio::error::eof || ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
         ec == bhttp::error::partial_message;
}

}  // namespace

struct Client::Impl {
  Url url;
  std::string where;  // "host:port" for messages and the Host header
  asio::io_context ioc{1};
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buf;
  bool connected = false;

  void close() {
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
    connected = false;
    buf.clear();
  }

  // A kept-alive connection that is readable before we sent anything was closed by the server (or is
  // out of sync): do not reuse it.
  bool usable() {
    if (!connected || !stream.socket().is_open()) return false;
    pollfd p{stream.socket().native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  // Runs one asynchronous operation to completion on the private io_context.
  template <class Start>
  error_code run(Start&& start) {
    error_code result = asio::error::would_block;
    start([&result](const error_code& ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  void set_deadline(std::chrono::steady_clock::time_point deadline, bool has_deadline) {
    if (has_deadline)
      stream.expires_at(deadline);
    else
      stream.expires_never();
  }

  void connect(std::chrono::steady_clock::time_point deadline, bool has_deadline, int timeout_ms) {
    close();
    error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(url.host, std::to_string(url.port), tcp::resolver::numeric_service, ec);
    if (ec) throw stk::Error(stk::Code::Unavailable, "cannot reach " + where + ": " + ec.message());
    set_deadline(deadline, has_deadline);
    ec = run([&](auto&& h) { stream.async_connect(results, std::move(h)); });
    if (ec == beast::error::timeout)
      throw stk::Error(stk::Code::Unavailable, "cannot reach " + where + ": connect timed out after " +
                                                   std::to_string(timeout_ms) + " ms");
    if (ec) {
      close();
      throw stk::Error(stk::Code::Unavailable, "cannot reach " + where + ": " + ec.message());
    }
    stream.socket().set_option(tcp::no_delay(true), ec);
    connected = true;
  }
};

Client::Client(std::string base_url) : impl_(std::make_unique<Impl>()) {
  impl_->url = parse_url(base_url);
  bool v6 = impl_->url.host.find(':') != std::string::npos;
  impl_->where = (v6 ? "[" + impl_->url.host + "]" : impl_->url.host) + ":" + std::to_string(impl_->url.port);
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

ClientResponse Client::request(std::string_view method, std::string_view target,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view body, int timeout_ms) {
  Impl& im = *impl_;
  const bool has_deadline = timeout_ms > 0;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(has_deadline ? timeout_ms : 0);

  bhttp::request<bhttp::string_body> req;
  auto verb = bhttp::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb != bhttp::verb::unknown)
    req.method(verb);
  else
    req.method_string(beast::string_view(method.data(), method.size()));
  std::string full_target = im.url.base_path;
  if (target.empty() || target.front() != '/') full_target.push_back('/');
  full_target.append(target);
  req.target(full_target);
  req.version(11);
  req.set(bhttp::field::host, im.where);
  req.set(bhttp::field::user_agent, "santokit-client");
  for (const auto& [k, v] : headers) {
    beast::string_view name(k.data(), k.size());
    if (detail::iequals(k, "host") || detail::iequals(k, "user-agent"))
      req.set(name, v);  // replaces the default
    else
      req.insert(name, v);  // repeated names stay repeated
  }
  req.body().assign(body.data(), body.size());
  req.prepare_payload();
  const bool head = verb == bhttp::verb::head;

  for (int attempt = 0;; ++attempt) {
    bool reused = im.usable();
    if (!reused) im.connect(deadline, has_deadline, timeout_ms);

    im.set_deadline(deadline, has_deadline);
    error_code ec = im.run([&](auto&& h) { bhttp::async_write(im.stream, req, std::move(h)); });
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    if (!ec) {
      parser.emplace();
      parser->header_limit(kHeaderLimit);
      parser->body_limit(kBodyLimit);
      if (head) parser->skip(true);
      ec = im.run([&](auto&& h) { bhttp::async_read(im.stream, im.buf, *parser, std::move(h)); });
    }
    if (ec) {
      bool nothing_received = !parser || !parser->got_some();
      im.close();
      if (ec == beast::error::timeout)
        throw stk::Error(stk::Code::GatewayTimeout, "no complete answer from " + im.where + " within " +
                                                        std::to_string(timeout_ms) + " ms");
      if (reused && attempt == 0 && nothing_received && retriable(ec)) continue;  // stale keep-alive
      throw stk::Error(stk::Code::Unavailable, "request to " + im.where + " failed: " + ec.message());
    }

    auto& msg = parser->get();
    ClientResponse out;
    out.status = int(msg.result_int());
    out.headers.reserve(size_t(std::distance(msg.begin(), msg.end())));
    for (const auto& f : msg) {
      auto name = f.name_string();
      std::string lower(name.size(), '\0');
      for (size_t i = 0; i < name.size(); ++i) lower[i] = detail::ascii_lower(name[i]);
      out.headers.emplace_back(std::move(lower), std::string(f.value()));
    }
    out.body = std::move(msg.body());
    if (!parser->keep_alive()) im.close();
    return out;
  }
}

void Client::interrupt() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->close(); });
}

}  // namespace stk::http
