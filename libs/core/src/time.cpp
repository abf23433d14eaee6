#include "stk/core/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace stk {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(int64_t ms) {
  time_t secs = time_t(ms / 1000);
  int millis = int(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  // Request log lines stamp every request: the "YYYY-MM-DDTHH:MM:SS." part changes once a second, so each
  // thread keeps the last one (gmtime_r + snprintf cost more than the rest of a log line).
  thread_local time_t cached_secs = -1;
  thread_local char cached[32];
  thread_local int cached_len = 0;
  if (secs != cached_secs) {
    struct tm tm {};
    gmtime_r(&secs, &tm);
    cached_len = std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (cached_len < 0 || cached_len >= int(sizeof cached)) cached_len = 0;
    cached_secs = secs;
  }
  std::string out;
  out.reserve(size_t(cached_len) + 4);
  out.append(cached, size_t(cached_len));
  out += char('0' + millis / 100);
  out += char('0' + millis / 10 % 10);
  out += char('0' + millis % 10);
  out += 'Z';
  return out;
}

std::string now_rfc3339() {
  return rfc3339(unix_ms());
}

std::optional<int64_t> parse_rfc3339(std::string_view t) {
  int y, mo, d, h, mi, s;
  if (t.size() < 20) return std::nullopt;
  std::string str(t);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6 &&
      std::sscanf(str.c_str(), "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
    return std::nullopt;
  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < str.size() && str[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < str.size() && str[pos] >= '0' && str[pos] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (str[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) frac_ms *= 10;
  }
  int64_t offset_min = 0;
  if (pos >= str.size()) return std::nullopt;
  if (str[pos] == 'Z' || str[pos] == 'z') {
    ++pos;
  } else if (str[pos] == '+' || str[pos] == '-') {
    int oh, om;
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset_min = (oh * 60 + om) * (str[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != str.size()) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  int64_t secs = int64_t(timegm(&tm)) - offset_min * 60;
  return secs * 1000 + frac_ms;
}

std::optional<int64_t> parse_duration_ms(std::string_view t) {
  if (t.size() < 2) return std::nullopt;
  int64_t n = 0;
  size_t i = 0;
  for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
    n = n * 10 + (t[i] - '0');
    if (n > 1'000'000'000) return std::nullopt;
  }
  if (i == 0 || i + 1 != t.size()) return std::nullopt;
  switch (t[i]) {
    case 's':
      return n * 1000;
    case 'm':
      return n * 60'000;
    case 'h':
      return n * 3'600'000;
    case 'd':
      return n * 86'400'000;
    default:
      return std::nullopt;
  }
}

}  // namespace stk
