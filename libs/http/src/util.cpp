// Plain-C++ parts of libs/http: URL parsing, percent-coding, header/query lookup.
#include <charconv>
#include <string>

#include "detail.hpp"
#include "stk/core/error.hpp"
#include "stk/http/client.hpp"
#include "stk/http/server.hpp"

namespace stk::http {

namespace detail {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(char((hi << 4) | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

void split_target(std::string_view target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query) {
  // absolute-form: scheme://authority/path?query
  if (!target.empty() && target[0] != '/') {
    auto scheme_end = target.find("://");
    if (scheme_end != std::string_view::npos) {
      auto slash = target.find_first_of("/?", scheme_end + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  auto hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  auto q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  path = percent_decode(raw_path, false);
  if (path.empty()) path = "/";
  query.clear();
  if (q == std::string_view::npos) return;
  std::string_view qs = target.substr(q + 1);
  while (!qs.empty()) {
    auto amp = qs.find('&');
    std::string_view part = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      query.emplace_back(percent_decode(part, true), std::string());
    } else {
      query.emplace_back(percent_decode(part.substr(0, eq), true), percent_decode(part.substr(eq + 1), true));
    }
  }
}

}  // namespace detail

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (detail::iequals(k, name)) return v;
  return {};
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return v;
  return std::nullopt;
}

std::string_view ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (detail::iequals(k, name)) return v;
  return {};
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(char(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Url parse_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return stk::Error(stk::Code::BadRequest, "invalid URL \"" + std::string(url) + "\": " + std::string(why) +
                                                 " (expected http://host[:port][/prefix])");
  };
  std::string_view s = url;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  if (s.empty()) throw bad("it is empty");
  auto sep = s.find("://");
  if (sep == std::string_view::npos) throw bad("the scheme is missing");
  std::string scheme;
  for (char c : s.substr(0, sep)) scheme.push_back(detail::ascii_lower(c));
  if (scheme == "https") {
    throw stk::Error(
        stk::Code::BadRequest,
        "https:// is not supported in \"" + std::string(url) +
            "\": this client speaks plain HTTP; TLS termination belongs in a reverse proxy or load "
            "balancer in front of the Hub. Use http://host[:port] to reach the Hub directly.");
  }
  if (scheme != "http") throw bad("unsupported scheme \"" + scheme + "\"");
  s.remove_prefix(sep + 3);
  if (s.find_first_of("?#") != std::string_view::npos) throw bad("a query or fragment is not allowed");
  auto slash = s.find('/');
  std::string_view authority = s.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : s.substr(slash);
  if (authority.find('@') != std::string_view::npos) throw bad("credentials in the URL are not supported");
  Url out;
  out.scheme = "http";
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw bad("unterminated IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw bad("unexpected text after the IPv6 literal");
      port_text = rest.substr(1);
      if (port_text.empty()) throw bad("the port is empty");
    }
  } else {
    auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) throw bad("the port is empty");
    }
  }
  if (out.host.empty()) throw bad("the host is missing");
  for (char c : out.host)
    if (c == ' ' || c == '\t' || c == '/' || c == '\\') throw bad("the host is invalid");
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 || value > 65535)
      throw bad("the port must be a number from 1 to 65535");
    out.port = uint16_t(value);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.base_path = std::string(path);
  return out;
}

}  // namespace stk::http
