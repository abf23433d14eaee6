// fuzz-link: stk::sql
// libFuzzer target for the readers of PostgreSQL's text output the Bridge writes rows from (libs/sql
// wire_json): arbitrary bytes as a column's text in every wire kind, and as a record, split recursively the
// way the Bridge splits expanded rows. Invariants (a violation aborts, which libFuzzer reports as a crash):
//   - append_wire_json never throws and only appends;
//   - write_wire_json writes the same bytes into a heap block of exactly wire_json_max_size bytes (the room
//     the Bridge sizes rows by; AddressSanitizer aborts on a write past it);
//   - for kinds whose output is always a JSON string or literal (Text, Quoted, Boolean, Timestamp, Bytes),
//   the
//     appended text is one valid JSON value (nlohmann parses it);
//   - split_record either rejects the text or returns fields whose views lie inside the input or the scratch
//     buffer, and a split field that is a record splits again without error or is rejected.
// Build and run: see tests/fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/sql/wire_json.hpp"

namespace {

using stk::sql::WireKind;

[[noreturn]] void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_wire invariant broken: %s\n%.*s\n", what, int(detail.size()), detail.data());
  std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// PostgreSQL's text is valid UTF-8 (escape_json, and so the Bridge, passes it on as it is).
bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80                ? 1
                     : c >= 0xc2 && c < 0xe0 ? 2
                     : c >= 0xe0 && c < 0xf0 ? 3
                     : c >= 0xf0 && c < 0xf5 ? 4
                                             : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    const auto d = n > 1 ? static_cast<unsigned char>(s[i + 1]) : 0;
    if ((c == 0xe0 && d < 0xa0) || (c == 0xed && d > 0x9f) || (c == 0xf0 && d < 0x90) ||
        (c == 0xf4 && d > 0x8f))
      return false;  // overlong, surrogate or beyond U+10FFFF
    i += n;
  }
  return true;
}

void split(std::string_view text, int depth) {
  std::vector<stk::sql::RecordField> parts;
  std::string scratch;
  if (!stk::sql::split_record(text, parts, scratch)) return;
  for (const auto& p : parts) {
    if (!inside(p.text, text) && !inside(p.text, scratch)) fail("field outside input and scratch", text);
    if (depth < 4 && !p.null && !p.text.empty() && p.text.front() == '(') split(p.text, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (WireKind k : {WireKind::Text, WireKind::Integer, WireKind::Float, WireKind::Quoted, WireKind::Boolean,
                     WireKind::Json, WireKind::Timestamp, WireKind::Bytes}) {
    std::string out = "x";
    stk::sql::append_wire_json(out, k, text);
    if (out.empty() || out[0] != 'x') fail("append_wire_json changed what was there", text);
    const size_t room = stk::sql::wire_json_max_size(k, text.size());
    auto block = std::make_unique<char[]>(room);
    const char* end = stk::sql::write_wire_json(block.get(), k, text);
    if (size_t(end - block.get()) > room ||
        std::string_view(block.get(), size_t(end - block.get())) != out.substr(1))
      fail("write_wire_json differs from append_wire_json or overran its room", text);
    const bool always_json = k == WireKind::Text || k == WireKind::Quoted || k == WireKind::Boolean ||
                             k == WireKind::Timestamp || k == WireKind::Bytes;
    if (always_json && valid_utf8(text) && !nlohmann::json::accept(std::string_view(out).substr(1)))
      fail("not one JSON value", out);
  }
  split(text, 0);
  return 0;
}
