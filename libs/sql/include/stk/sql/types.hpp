#pragma once
// Logical schema types (spec hub-cli-schema §4.3) → PostgreSQL types.
#include <string>
#include <string_view>

namespace stk::sql {

// The type written in DDL: string→text, int→integer, bigint→bigint, float→double precision, decimal→numeric,
// boolean→boolean, json→jsonb, timestamp→timestamptz, bytes→bytea, file→text, array→jsonb.
// Throws stk::Error(BadRequest) for an unknown logical type.
const std::string& pg_type(std::string_view logical);

// How a column of a logical type is written in its JSON wire format (spec bridge-crud §7) by SQL: the text to
// put before and after the qualified column reference. bigint/decimal become strings, timestamps RFC 3339 UTC
// with microseconds, bytes base64 without line breaks; every other type is itself (both parts empty).
struct JsonWireFormat {
  std::string_view before, after;
};
JsonWireFormat json_wire_format(std::string_view logical);

// The same type as PostgreSQL reports it through format_type() ("timestamp with time zone", …): compare live
// columns against this.
const std::string& pg_type_reported(std::string_view logical);

// Maps common spellings of a PostgreSQL type to the format_type() form ("timestamptz" → "timestamp with time
// zone", "int4"/"int" → "integer", "float8" → "double precision", "bool" → "boolean", "int8" → "bigint",
// "varchar" → "character varying", …). Unknown names are returned unchanged.
std::string normalize_pg_type(std::string_view pg);

// True when changing a column from `from` to `to` (both format_type() forms) keeps every value exactly and
// needs no USING clause: only integer → bigint.
bool is_lossless_widening(std::string_view from, std::string_view to);

}  // namespace stk::sql
