#pragma once
// A column's JSON wire value (spec bridge-crud §7) written from PostgreSQL's text output of the column, so a
// select can return plain columns and leave the JSON to its caller: json_build_object costs PostgreSQL ~7 µs
// per row of ten columns, the same JSON written here well under one (bench/README.md).
//
// The bytes match what json_build_object writes for the column's json_wire_format() expression (types.hpp):
// strings escaped as PostgreSQL's escape_json does, bigint and decimal as strings, float as a number unless
// it is NaN or ±Infinity (then a string), timestamps "YYYY-MM-DDTHH:MM:SS.ffffffZ" (infinite ones null),
// bytes base64 without line breaks, json as PostgreSQL prints jsonb.
//
// The text must come from a session with DateStyle ISO, bytea_output hex and extra_float_digits ≥ 1 (the
// Bridge's pool sets them at connect; they are PostgreSQL's defaults). Timestamps in any time zone offset are
// converted to UTC; text in any other shape is passed on as a JSON string rather than guessed at.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stk::sql {

enum class WireKind : std::uint8_t {
  Text,       // string, file: a JSON string
  Integer,    // int: the digits
  Float,      // float: a number; NaN and ±Infinity as strings
  Quoted,     // bigint, decimal: the text as a JSON string
  Boolean,    // t/f → true/false
  Json,       // json, array (jsonb) and already-built JSON (expanded rows): as it is
  Timestamp,  // timestamptz → RFC 3339 UTC with microseconds
  Bytes,      // bytea (hex output) → base64
};

// The kind for a logical schema type (types.hpp); unknown types are Text.
WireKind wire_kind(std::string_view logical);

// Appends the wire value of a non-null column whose PostgreSQL text output is `pg_text`.
void append_wire_json(std::string& out, WireKind kind, std::string_view pg_text);

// The same value written at `out`, which must have room for wire_json_max_size(kind, pg_text.size()) bytes;
// returns the end of what was written. For callers that size a buffer once for many values (a row) and
// write them by pointer: per-value appends to a std::string were most of the cost of a page of rows.
char* write_wire_json(char* out, WireKind kind, std::string_view pg_text);

// At most this many bytes come out of write_wire_json for `n` bytes of text of `kind`: a string escapes a
// byte into at most 6 ("\u001f"), a timestamp is at most 32 bytes, bytes' base64 is shorter than their hex.
constexpr std::size_t wire_json_max_size(WireKind kind, std::size_t n) {
  switch (kind) {
    case WireKind::Integer:
    case WireKind::Json:
      return n;
    case WireKind::Boolean:
      return 5;
    case WireKind::Timestamp:
      return 6 * n + 32;
    case WireKind::Float:
    case WireKind::Quoted:
    case WireKind::Text:
    case WireKind::Bytes:
      break;
  }
  return 6 * n + 8;
}

// One field of a record's text output: NULL, or its text (unquoted).
struct RecordField {
  bool null = false;
  std::string_view text;
};

// Splits PostgreSQL's text output of a record — "(1,\"a b\",,\"\")": fields separated by commas, NULL as
// nothing, a field with a space, quote, backslash, comma or parenthesis (or empty) in double quotes with "
// and \ doubled or backslash-escaped — into `out`. Unquoted text is written to `scratch`, which the views
// then point into: keep it alive and unchanged while using them. A field that is itself a record comes out as
// record text again. False for text that is not a record.
bool split_record(std::string_view text, std::vector<RecordField>& out, std::string& scratch);

// Appends `s` as a JSON string exactly as PostgreSQL's escape_json writes it (\" \\ \b \f \n \r \t, other
// control characters \u00xx, everything else as it is: the text is already UTF-8).
void append_pg_json_string(std::string& out, std::string_view s);
// The same at `out`, which must have room for 6 * s.size() + 2 bytes; returns the end of what was written.
char* write_pg_json_string(char* out, std::string_view s);

}  // namespace stk::sql
