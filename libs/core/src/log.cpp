#include "stk/core/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "stk/core/json_scan.hpp"
#include "stk/core/time.hpp"

namespace stk::log {

namespace {
std::atomic<int> g_level{int(Level::Info)};
std::atomic<bool> g_pretty{false};
std::atomic<bool> g_stdout{false};
std::mutex g_mu;
std::atomic<int> g_batch_stdout{0},
    g_batch_stderr{0};  // line_batch_bytes: 0 = not looked at yet, 1 = pipe/tty, 2 = file
const char* name(Level l) {
  switch (l) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "info";
}
}  // namespace

void init_from_env() {
  if (const char* v = std::getenv("STK_LOG_LEVEL")) {
    std::string s(v);
    if (s == "debug")
      g_level = int(Level::Debug);
    else if (s == "warn")
      g_level = int(Level::Warn);
    else if (s == "error")
      g_level = int(Level::Error);
    else
      g_level = int(Level::Info);
  }
  if (const char* v = std::getenv("STK_LOG_FORMAT")) g_pretty = std::string(v) == "pretty";
}

void set_sink(Sink s) {
  g_stdout = s == Sink::Stdout;
  g_batch_stdout = 0;  // look at what the stream is again (line_batch_bytes)
  g_batch_stderr = 0;
}

bool pretty() {
  return g_pretty.load(std::memory_order_relaxed);
}

const char* level_name(Level l) {
  return name(l);
}

bool enabled(Level l) {
  return int(l) >= g_level.load(std::memory_order_relaxed);
}

void write(Level l, std::string_view msg, const nlohmann::json& fields) {
  if (!enabled(l)) return;
  std::string line;
  if (g_pretty) {
    line = now_rfc3339() + " " + name(l) + " " + std::string(msg);
    if (fields.is_object() && !fields.empty())
      line += " " + fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    nlohmann::json j = {{"ts", now_rfc3339()}, {"level", name(l)}, {"msg", msg}};
    if (fields.is_object())
      for (auto it = fields.begin(); it != fields.end(); ++it) j[it.key()] = it.value();
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  line.push_back('\n');
  write_lines(line);
}

void write_lines(std::string_view lines) {
  std::FILE* f = g_stdout.load(std::memory_order_relaxed) ? stdout : stderr;
  std::lock_guard lock(g_mu);
  std::fflush(f);  // whatever stdio still holds goes first
  // One write(2) for the whole batch (stdio would cut a batch larger than its buffer into several).
  const int fd = fileno(f);
  const char* p = lines.data();
  size_t left = lines.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to: the lines are dropped, never the request
    p += n;
    left -= size_t(n);
  }
}

size_t line_batch_bytes() {
  // Decided once per sink: a regular file takes any size in one write (this process is its only writer
  // of interleaved lines, under g_mu); a pipe or terminal keeps writes of up to PIPE_BUF (4096) whole,
  // so lines from other processes on the same pipe never cut into ours.
  static constexpr size_t kPipe = 3500, kFile = 64 * 1024;
  const bool out = g_stdout.load(std::memory_order_relaxed);
  std::atomic<int>& cached = out ? g_batch_stdout : g_batch_stderr;
  int kind = cached.load(std::memory_order_relaxed);
  if (kind == 0) {
    struct stat st {};
    kind = ::fstat(fileno(out ? stdout : stderr), &st) == 0 && S_ISREG(st.st_mode) ? 2 : 1;
    cached.store(kind, std::memory_order_relaxed);
  }
  return kind == 2 ? kFile : kPipe;
}

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    // Copy runs of characters that need no escaping in one append (the common case: whole values).
    size_t run = i;
    while (run + 8 <= s.size()) {  // 8 plain ASCII bytes at a time
      uint64_t w;
      std::memcpy(&w, s.data() + run, 8);
      if (json_escape_in8(w) || non_ascii_in8(w)) break;
      run += 8;
    }
    while (run < s.size()) {
      unsigned char r = static_cast<unsigned char>(s[run]);
      if (r < 0x20 || r >= 0x80 || r == '"' || r == '\\') break;
      ++run;
    }
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else if (c < 0x80) {
      out += char(c);
    } else {
      // Copy a well-formed UTF-8 sequence; anything else becomes U+FFFD.
      size_t n = c >= 0xf5 ? 0 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
      bool ok = n > 0 && i + n <= s.size();
      for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
      if (ok) {
        out.append(s.substr(i, n));
        i += n - 1;
      } else {
        out += "\xef\xbf\xbd";
      }
    }
  }
  out += '"';
}

std::string redact_url(std::string_view url) {
  // scheme://user:pass@host:port/db?params -> scheme://***@host:port/db
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "<redacted>";
  std::string_view rest = url.substr(scheme_end + 3);
  auto at = rest.rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  auto q = rest.find('?');
  if (q != std::string_view::npos) rest = rest.substr(0, q);
  return std::string(url.substr(0, scheme_end + 3)) + "***@" + std::string(rest);
}

}  // namespace stk::log
