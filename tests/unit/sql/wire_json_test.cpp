// The inputs are PostgreSQL 15's text output and the expectations what json_build_object writes for the same
// value through json_wire_format (both taken from psql).
#include "stk/sql/wire_json.hpp"

#include <gtest/gtest.h>

#include <memory>

using stk::sql::append_pg_json_string;
using stk::sql::append_wire_json;
using stk::sql::wire_json_max_size;
using stk::sql::wire_kind;
using stk::sql::WireKind;
using stk::sql::write_wire_json;

namespace {

// Both ways of writing a value — appended to a string, and by pointer into a heap block of exactly
// wire_json_max_size bytes (AddressSanitizer stops a write past it) — must agree.
std::string wire(WireKind k, std::string_view text) {
  std::string out;
  append_wire_json(out, k, text);
  const size_t room = wire_json_max_size(k, text.size());
  auto block = std::make_unique<char[]>(room);
  const char* end = write_wire_json(block.get(), k, text);
  EXPECT_LE(size_t(end - block.get()), room) << "text " << text;
  EXPECT_EQ(std::string_view(block.get(), size_t(end - block.get())), out) << "text " << text;
  return out;
}

constexpr WireKind kAllKinds[] = {WireKind::Text,    WireKind::Integer, WireKind::Float,     WireKind::Quoted,
                                  WireKind::Boolean, WireKind::Json,    WireKind::Timestamp, WireKind::Bytes};

}  // namespace

TEST(WireJson, KindFollowsTheLogicalType) {
  EXPECT_EQ(wire_kind("string"), WireKind::Text);
  EXPECT_EQ(wire_kind("file"), WireKind::Text);
  EXPECT_EQ(wire_kind("int"), WireKind::Integer);
  EXPECT_EQ(wire_kind("float"), WireKind::Float);
  EXPECT_EQ(wire_kind("bigint"), WireKind::Quoted);
  EXPECT_EQ(wire_kind("decimal"), WireKind::Quoted);
  EXPECT_EQ(wire_kind("boolean"), WireKind::Boolean);
  EXPECT_EQ(wire_kind("json"), WireKind::Json);
  EXPECT_EQ(wire_kind("array"), WireKind::Json);
  EXPECT_EQ(wire_kind("timestamp"), WireKind::Timestamp);
  EXPECT_EQ(wire_kind("bytes"), WireKind::Bytes);
}

TEST(WireJson, StringsAreEscapedAsPostgresEscapesThem) {
  std::string out;
  append_pg_json_string(out, "a\"b\\c\b\f\n\r\t\x01\x1f\x7f é");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\x7f é\"");
  out.clear();
  append_pg_json_string(out, "");
  EXPECT_EQ(out, "\"\"");
  EXPECT_EQ(wire(WireKind::Text, "plain"), "\"plain\"");
  EXPECT_EQ(wire(WireKind::Text, "\"\""), R"("\"\"")");
}

// The escaping scans 8 bytes at a time: every byte value at every position of strings of 1–40 bytes must come
// out as the byte-by-byte rule writes it (escape_json: \" \\ \b \f \n \r \t, other controls as \u00XX).
TEST(WireJson, StringEscapingMatchesTheByteByByteRuleAtEveryPosition) {
  auto reference = [](std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += char(c);
      } else if (c == '\b') {
        out += "\\b";
      } else if (c == '\f') {
        out += "\\f";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20) {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += char(c);
      }
    }
    return out + "\"";
  };
  int checked = 0;
  for (size_t len = 1; len <= 40; ++len)
    for (size_t pos = 0; pos < len; ++pos)
      for (int b = 0; b < 256; ++b) {
        std::string s(len, 'x');
        s[pos] = char(b);
        if (len > 9) s[len - 1 - pos % 7] = char((b * 7) & 0xff);  // a second byte elsewhere
        std::string out;
        append_pg_json_string(out, s);
        ASSERT_EQ(out, reference(s)) << "length " << len << ", byte " << b << " at " << pos;
        ++checked;
      }
  EXPECT_EQ(checked, 256 * 40 * 41 / 2);
}

// The Bridge sizes a row's room from wire_json_max_size before writing: the worst text of every kind — every
// byte escaped, the longest timestamps, bytes in either output format — must stay within it.
TEST(WireJson, WrittenValuesStayWithinTheirMaximumSize) {
  std::vector<std::string> texts = {"",
                                    "t",
                                    "NaN",
                                    "-Infinity",
                                    "infinity",
                                    "\\x",
                                    "\\x00ff",
                                    "\\000\\001",
                                    "2024-05-01 08:00:00+00",
                                    "0044-03-15 12:00:00+00 BC",
                                    "294276-12-31 23:59:59.999999+00",
                                    "9999999-12-31 23:59:59.999999-14:59:59",
                                    "1-01-01 00:00:00+00"};
  for (size_t len = 1; len <= 40; ++len) {
    texts.emplace_back(len, '\x01');  // \u0001 each: six bytes per byte
    texts.emplace_back(len, '"');
    texts.emplace_back(len, '\\');
    texts.emplace_back(len, 'a');
  }
  for (WireKind k : kAllKinds)
    for (const auto& t : texts) wire(k, t);  // checks the size and that both ways agree
}

TEST(WireJson, NumbersBooleansAndJson) {
  EXPECT_EQ(wire(WireKind::Integer, "-42"), "-42");
  EXPECT_EQ(wire(WireKind::Quoted, "9007199254740993"), "\"9007199254740993\"");
  EXPECT_EQ(wire(WireKind::Quoted, "112.5900000000000000"), "\"112.5900000000000000\"");
  EXPECT_EQ(wire(WireKind::Quoted, "NaN"), "\"NaN\"");
  EXPECT_EQ(wire(WireKind::Float, "25.9"), "25.9");
  EXPECT_EQ(wire(WireKind::Float, "1e+100"), "1e+100");
  EXPECT_EQ(wire(WireKind::Float, "1.5e-07"), "1.5e-07");
  EXPECT_EQ(wire(WireKind::Float, "-0"), "-0");
  EXPECT_EQ(wire(WireKind::Float, "NaN"), "\"NaN\"");
  EXPECT_EQ(wire(WireKind::Float, "Infinity"), "\"Infinity\"");
  EXPECT_EQ(wire(WireKind::Float, "-Infinity"), "\"-Infinity\"");
  EXPECT_EQ(wire(WireKind::Boolean, "t"), "true");
  EXPECT_EQ(wire(WireKind::Boolean, "f"), "false");
  EXPECT_EQ(wire(WireKind::Json, R"({"k": [1, {"x": null}], "s": "v"})"),
            R"({"k": [1, {"x": null}], "s": "v"})");
  EXPECT_EQ(wire(WireKind::Json, R"("just a string")"), R"("just a string")");
}

TEST(WireJson, TimestampsBecomeUtcWithMicroseconds) {
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-05-01 08:00:00+00"), "\"2024-05-01T08:00:00.000000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-05-01 08:00:00.000001+00"), "\"2024-05-01T08:00:00.000001Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "9999-12-31 23:59:59.99999+00"), "\"9999-12-31T23:59:59.999990Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-05-01 08:00:00.+00"), "\"2024-05-01 08:00:00.+00\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-05-01T08:00:00+00"), "\"2024-05-01T08:00:00+00\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-05-01 08:00:00+00 BC"), "\"2024-05-01T08:00:00.000000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-05-01 08:00:00.5+00"), "\"2024-05-01T08:00:00.500000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2026-11-19 22:14:57.405388+00"), "\"2026-11-19T22:14:57.405388Z\"");
  // Another session time zone: the offset is taken out, across days, months, years and leap days.
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-05-01 10:00:00.123456+02"), "\"2024-05-01T08:00:00.123456Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-01-01 03:00:00+05:30"), "\"2023-12-31T21:30:00.000000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2023-12-31 22:00:00-03"), "\"2024-01-01T01:00:00.000000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-02-28 22:00:00-02"), "\"2024-02-29T00:00:00.000000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "1900-01-01 00:19:32+00:19:32"), "\"1900-01-01T00:00:00.000000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "0001-01-01 00:49:32+00:19:32"), "\"0001-01-01T00:30:00.000000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "0001-01-01 00:30:00+01"), "\"0001-12-31T23:30:00.000000Z\"");  // 1 BC
  // Eras and five-digit years as to_char's YYYY writes them; infinite timestamps are null.
  EXPECT_EQ(wire(WireKind::Timestamp, "0044-03-15 12:00:00+00 BC"), "\"0044-03-15T12:00:00.000000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "10000-01-01 00:00:00+00"), "\"10000-01-01T00:00:00.000000Z\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "infinity"), "null");
  EXPECT_EQ(wire(WireKind::Timestamp, "-infinity"), "null");
  // Text in another DateStyle is passed on as a string, not guessed at.
  EXPECT_EQ(wire(WireKind::Timestamp, "Wed May 01 08:00:00 2024 UTC"), "\"Wed May 01 08:00:00 2024 UTC\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-05-01 08:00:00"), "\"2024-05-01 08:00:00\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-05-01 08:00:00.1234567+00"),
            "\"2024-05-01 08:00:00.1234567+00\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "999999999999-01-01 00:00:00+05"),
            "\"999999999999-01-01 00:00:00+05\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "2024-13-01 00:00:00+05"), "\"2024-13-01 00:00:00+05\"");
  EXPECT_EQ(wire(WireKind::Timestamp, "294276-12-31 23:59:59.999999+00"),
            "\"294276-12-31T23:59:59.999999Z\"");
}

TEST(WireJson, BytesBecomeBase64) {
  EXPECT_EQ(wire(WireKind::Bytes, "\\x68656c6c6f"), "\"aGVsbG8=\"");
  EXPECT_EQ(wire(WireKind::Bytes, "\\x"), "\"\"");
  EXPECT_EQ(wire(WireKind::Bytes, "\\xFF00"), "\"/wA=\"");
  // bytea_output = escape, should a session have it.
  EXPECT_EQ(wire(WireKind::Bytes, "hello\\000\\\\x"), "\"aGVsbG8AXHg=\"");
  EXPECT_EQ(wire(WireKind::Bytes, "\\303\\251"), "\"w6k=\"");
  EXPECT_EQ(wire(WireKind::Bytes, "\\xZZ"), "\"\\\\xZZ\"");
  EXPECT_EQ(wire(WireKind::Bytes, "\\x123"), "\"\\\\x123\"");
}

namespace {

// "null" or the field's text, for comparing split records.
std::vector<std::string> fields_of(std::string_view record) {
  std::vector<stk::sql::RecordField> parts;
  std::string scratch;
  if (!stk::sql::split_record(record, parts, scratch)) return {"<not a record>"};
  std::vector<std::string> out;
  for (const auto& p : parts) out.push_back(p.null ? "null" : "'" + std::string(p.text) + "'");
  return out;
}

}  // namespace

// Inputs as record_out writes them (psql: SELECT ROW(…)).
TEST(WireJson, RecordsSplitIntoFields) {
  using V = std::vector<std::string>;
  EXPECT_EQ(fields_of("(1,abc,t)"), (V{"'1'", "'abc'", "'t'"}));
  EXPECT_EQ(fields_of("(1,,\"\")"), (V{"'1'", "null", "''"}));  // NULL vs empty string
  EXPECT_EQ(fields_of("(,)"), (V{"null", "null"}));
  EXPECT_EQ(fields_of("()"), V{});  // ROW() — and ROW(NULL): the caller knows how many fields it asked for
  EXPECT_EQ(fields_of(R"x(("a b","x,y","(p)","say ""hi""","back\\slash"))x"),
            (V{"'a b'", "'x,y'", "'(p)'", "'say \"hi\"'", "'back\\slash'"}));
  EXPECT_EQ(fields_of("(\"2024-05-01 08:00:00+00\",\"{\"\"a\"\": [1, 2]}\")"),
            (V{"'2024-05-01 08:00:00+00'", "'{\"a\": [1, 2]}'"}));
  // A record inside a record is quoted once more; splitting the field again gives its fields
  // (SELECT ROW(1, ROW(2, 'x y', ROW(3, 'q "z"')))).
  EXPECT_EQ(fields_of(R"x((1,"(2,""x y"",""(3,""""q """"""""z"""""""""""")"")"))x"),
            (V{"'1'", R"x('(2,"x y","(3,""q """"z"""""")")')x"}));
  EXPECT_EQ(fields_of(R"x((2,"x y","(3,""q """"z"""""")"))x"), (V{"'2'", "'x y'", R"x('(3,"q ""z""")')x"}));
  EXPECT_EQ(fields_of(R"x((3,"q ""z"""))x"), (V{"'3'", "'q \"z\"'"}));
  for (const char* bad : {"", "(", "1,2", "(\"open)", "(\"a\"b)", "(\"a\\"})
    EXPECT_EQ(fields_of(bad), V{"<not a record>"}) << bad;
}
