#include "stk/sql/wire_json.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "stk/core/encoding.hpp"
#include "stk/core/json_scan.hpp"

namespace stk::sql {

WireKind wire_kind(std::string_view logical) {
  if (logical == "int") return WireKind::Integer;
  if (logical == "float") return WireKind::Float;
  if (logical == "bigint" || logical == "decimal") return WireKind::Quoted;
  if (logical == "boolean") return WireKind::Boolean;
  if (logical == "json" || logical == "array") return WireKind::Json;
  if (logical == "timestamp") return WireKind::Timestamp;
  if (logical == "bytes") return WireKind::Bytes;
  return WireKind::Text;
}

namespace {

bool needs_escape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

}  // namespace

char* write_pg_json_string(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* in = s.data();
  const char* const end = in + s.size();
  *p++ = '"';
  while (in < end) {
    // Most text needs no escape at all: copy 8 bytes at a time while none of them does.
    if (end - in >= 8) {
      uint64_t w;
      std::memcpy(&w, in, 8);
      if (!json_escape_in8(w)) {
        std::memcpy(p, &w, 8);
        p += 8;
        in += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(*in++);
    if (!needs_escape(c)) {
      *p++ = char(c);
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"':
      case '\\':
        *p++ = char(c);
        break;
      case '\b':
        *p++ = 'b';
        break;
      case '\f':
        *p++ = 'f';
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\r':
        *p++ = 'r';
        break;
      case '\t':
        *p++ = 't';
        break;
      default:
        std::memcpy(p, "u00", 3);
        p[3] = kHex[c >> 4];
        p[4] = kHex[c & 15];
        p += 5;
    }
  }
  *p++ = '"';
  return p;
}

void append_pg_json_string(std::string& out, std::string_view s) {
  const size_t old = out.size();
  out.resize(old + 6 * s.size() + 2);
  out.resize(size_t(write_pg_json_string(out.data() + old, s) - out.data()));
}

namespace {

// Reads `n` (or, with n = 0, one or more) decimal digits at `i`.
bool digits(std::string_view s, size_t& i, size_t n, int64_t& v) {
  const size_t start = i;
  v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && (n == 0 || i - start < n) && i - start < 12)
    v = v * 10 + (s[i++] - '0');
  return n ? i - start == n : i > start;
}

bool expect(std::string_view s, size_t& i, char c) {
  if (i >= s.size() || s[i] != c) return false;
  ++i;
  return true;
}

// Proleptic Gregorian calendar with astronomical years (1 BC = 0), after H. Hinnant's days_from_civil.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y = yoe + era * 400 + (m <= 2);
}

void append_padded(std::string& out, int64_t v, int width) {
  std::array<char, 24> buf{};
  int n = 0;
  do {
    buf[n++] = char('0' + v % 10);
    v /= 10;
  } while (v > 0);
  for (int k = n; k < width; ++k) out += '0';
  while (n > 0) out += buf[--n];
}

// The form every timestamp takes on connections with TimeZone=UTC (the Bridge's): "YYYY-MM-DD HH:MM:SS+00"
// with up to six fractional digits, a four-digit year and no era. Written without arithmetic (29 bytes at
// `p`); nullptr for anything else, which is left to append_timestamp.
char* write_utc_timestamp(char* p, std::string_view s) {
  const size_t n = s.size();
  if (n < 22 || n > 29 || s.substr(n - 3) != "+00") return nullptr;
  static constexpr char kShape[] = "dddd-dd-dd dd:dd:dd";
  for (size_t k = 0; k < 19; ++k) {
    const char c = s[k];
    if (kShape[k] == 'd' ? c < '0' || c > '9' : c != kShape[k]) return nullptr;
  }
  const size_t fraction = n - 22 == 0 ? 0 : n - 23;  // digits after '.'
  if (fraction) {
    if (s[19] != '.' || fraction > 6) return nullptr;
    for (size_t k = 20; k < 20 + fraction; ++k)
      if (s[k] < '0' || s[k] > '9') return nullptr;
  } else if (n != 22) {
    return nullptr;
  }
  auto two = [&](size_t k) { return (s[k] - '0') * 10 + (s[k + 1] - '0'); };
  const int month = two(5), day = two(8), hour = two(11), minute = two(14), second = two(17);
  if (s.substr(0, 4) == "0000" || month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 ||
      minute > 59 || second > 60)
    return nullptr;
  *p++ = '"';
  std::memcpy(p, s.data(), 10);
  p[10] = 'T';
  std::memcpy(p + 11, s.data() + 11, 8);
  p[19] = '.';
  p += 20;
  for (size_t k = 0; k < 6; ++k) *p++ = k < fraction ? s[20 + k] : '0';
  std::memcpy(p, "Z\"", 2);
  return p + 2;
}

// timestamptz_out with DateStyle ISO: "2024-05-01 08:00:00.5+00", "-0044-…" never (BC is a suffix),
// "12345-01-01 00:00:00+05:30", "0044-03-15 12:00:00+00 BC", "infinity". Written as to_char(… AT TIME ZONE
// 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') writes it: year at least four digits and without its era, six
// fractional digits; infinite timestamps are null (to_char returns NULL for them).
bool append_timestamp(std::string& out, std::string_view s) {
  if (s == "infinity" || s == "-infinity") {
    out += "null";
    return true;
  }
  size_t i = 0;
  int64_t year, month, day, hour, minute, second;
  if (!digits(s, i, 0, year) || i < 4 || !expect(s, i, '-') || !digits(s, i, 2, month) ||
      !expect(s, i, '-') || !digits(s, i, 2, day) || !expect(s, i, ' ') || !digits(s, i, 2, hour) ||
      !expect(s, i, ':') || !digits(s, i, 2, minute) || !expect(s, i, ':') || !digits(s, i, 2, second))
    return false;
  if (year > 9999999 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 ||
      second > 60)
    return false;  // not timestamptz_out's (PostgreSQL's years end at 294276): keep the arithmetic in range
  std::string_view fraction;
  if (i < s.size() && s[i] == '.') {
    const size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    fraction = s.substr(start, i - start);
    if (fraction.empty() || fraction.size() > 6) return false;
  }
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
  const int sign = s[i++] == '-' ? -1 : 1;
  int64_t oh = 0, om = 0, os = 0;
  if (!digits(s, i, 2, oh)) return false;
  for (int64_t* part : {&om, &os}) {  // "+05:30", "+00:53:28" (historical local mean time)
    if (i >= s.size() || s[i] != ':') break;
    ++i;
    if (!digits(s, i, 2, *part)) return false;
  }
  bool bc = false;
  if (s.substr(i) == " BC") {
    bc = true;
    i = s.size();
  }
  if (i != s.size()) return false;
  const int64_t offset = sign * (oh * 3600 + om * 60 + os);
  if (bc) year = 1 - year;  // astronomical numbering for the arithmetic
  if (offset != 0) {
    int64_t t = (days_from_civil(year, month, day) * 24 + hour) * 3600 + minute * 60 + second - offset;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t rest = t - days * 86400;
    civil_from_days(days, year, month, day);
    hour = rest / 3600;
    minute = rest / 60 % 60;
    second = rest % 60;
  }
  if (year <= 0) year = 1 - year;  // to_char's YYYY drops the era
  const struct {
    int64_t value;
    int width;
    char after;
  } parts[] = {{year, 4, '-'}, {month, 2, '-'},  {day, 2, 'T'},
               {hour, 2, ':'}, {minute, 2, ':'}, {second, 2, '.'}};
  out += '"';
  for (const auto& p : parts) {
    append_padded(out, p.value, p.width);
    out += p.after;
  }
  out += fraction;
  for (size_t k = fraction.size(); k < 6; ++k) out += '0';
  out += "Z\"";
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// byteaout: "\x68656c6c6f" (bytea_output hex) or the escape format ("hello\000\\").
bool append_bytes(std::string& out, std::string_view s) {
  std::string bytes;
  if (s.size() >= 2 && s[0] == '\\' && s[1] == 'x') {
    if (s.size() % 2) return false;
    bytes.reserve((s.size() - 2) / 2);
    for (size_t i = 2; i < s.size(); i += 2) {
      const int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
      if (hi < 0 || lo < 0) return false;
      bytes += char(hi << 4 | lo);
    }
  } else {
    bytes.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '\\') {
        bytes += s[i];
      } else if (i + 1 < s.size() && s[i + 1] == '\\') {
        bytes += '\\';
        ++i;
      } else if (i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                 s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
        bytes += char((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
        i += 3;
      } else {
        return false;
      }
    }
  }
  out += '"';
  out += base64_encode(bytes);
  out += '"';
  return true;
}

}  // namespace

bool split_record(std::string_view text, std::vector<RecordField>& out, std::string& scratch) {
  out.clear();
  scratch.clear();
  scratch.reserve(text.size());  // unquoted text is never longer than the input: the views stay valid
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') return false;
  const std::string_view body = text.substr(1, text.size() - 2);
  if (body.empty()) return true;  // ROW(): no fields
  size_t i = 0;
  while (true) {
    RecordField f;
    if (i < body.size() && body[i] == '"') {
      const size_t start = scratch.size();
      ++i;
      while (true) {
        // The run up to the next quote or backslash goes over in one piece (nested records are mostly runs).
        size_t special = i;
        while (special < body.size() && body[special] != '"' && body[special] != '\\') ++special;
        if (special == body.size()) return false;  // unterminated quote
        scratch.append(body.data() + i, special - i);
        i = special;
        const char c = body[i++];
        if (c == '\\') {
          if (i >= body.size()) return false;
          scratch += body[i++];
        } else if (c == '"') {
          if (i < body.size() && body[i] == '"') {
            scratch += '"';
            ++i;
          } else {
            break;
          }
        }
      }
      f.text = std::string_view(scratch).substr(start);
    } else {
      const size_t start = i;
      while (i < body.size() && body[i] != ',') ++i;
      f.text = body.substr(start, i - start);
      f.null = f.text.empty();
    }
    out.push_back(f);
    if (i == body.size()) return true;
    if (body[i] != ',') return false;
    ++i;
  }
}

namespace {

char* copy(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

}  // namespace

char* write_wire_json(char* p, WireKind kind, std::string_view pg_text) {
  switch (kind) {
    case WireKind::Integer:
    case WireKind::Json:
      return copy(p, pg_text);
    case WireKind::Float:
      if (pg_text == "NaN" || pg_text == "Infinity" || pg_text == "-Infinity")
        return write_pg_json_string(p, pg_text);
      return copy(p, pg_text);
    case WireKind::Boolean:
      return copy(p, pg_text == "t" ? std::string_view("true") : std::string_view("false"));
    case WireKind::Timestamp: {
      if (char* end = write_utc_timestamp(p, pg_text)) return end;
      std::string other;  // another offset, an era, infinity: rare, written by the general parser
      if (append_timestamp(other, pg_text)) return copy(p, other);
      return write_pg_json_string(p, pg_text);
    }
    case WireKind::Bytes: {
      std::string base64;
      if (append_bytes(base64, pg_text)) return copy(p, base64);
      return write_pg_json_string(p, pg_text);
    }
    case WireKind::Quoted:
    case WireKind::Text:
      return write_pg_json_string(p, pg_text);
  }
  return p;
}

void append_wire_json(std::string& out, WireKind kind, std::string_view pg_text) {
  const size_t old = out.size();
  out.resize(old + wire_json_max_size(kind, pg_text.size()));
  out.resize(size_t(write_wire_json(out.data() + old, kind, pg_text) - out.data()));
}

}  // namespace stk::sql
