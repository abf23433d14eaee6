#pragma once
// Private helpers shared by server.cpp, client.cpp and util.cpp (no Beast/Asio here).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stk::http::detail {

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}
bool iequals(std::string_view a, std::string_view b);
// Percent-decodes `s`; with plus_as_space, '+' becomes ' ' (query strings). Invalid escapes are kept as is.
std::string percent_decode(std::string_view s, bool plus_as_space);
// Splits a request target into decoded path and query parameters. Accepts origin-form ("/a?b=c") and
// absolute-form ("http://host/a?b=c").
void split_target(std::string_view target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query);

}  // namespace stk::http::detail
