#include "stk/sql/types.hpp"

#include <array>
#include <utility>

#include "stk/core/error.hpp"

namespace stk::sql {

namespace {

struct TypeRow {
  std::string_view logical;
  std::string ddl;
  std::string reported;
};

const std::array<TypeRow, 11>& rows() {
  static const std::array<TypeRow, 11> k = {{
      {"string", "text", "text"},
      {"int", "integer", "integer"},
      {"bigint", "bigint", "bigint"},
      {"float", "double precision", "double precision"},
      {"decimal", "numeric", "numeric"},
      {"boolean", "boolean", "boolean"},
      {"json", "jsonb", "jsonb"},
      {"timestamp", "timestamptz", "timestamp with time zone"},
      {"bytes", "bytea", "bytea"},
      {"file", "text", "text"},
      {"array", "jsonb", "jsonb"},
  }};
  return k;
}

const TypeRow& row(std::string_view logical) {
  for (const auto& r : rows())
    if (r.logical == logical) return r;
  throw Error(Code::BadRequest, "unknown schema type '" + std::string(logical) + "'");
}

}  // namespace

const std::string& pg_type(std::string_view logical) {
  return row(logical).ddl;
}
const std::string& pg_type_reported(std::string_view logical) {
  return row(logical).reported;
}

std::string normalize_pg_type(std::string_view pg) {
  static const std::pair<std::string_view, std::string_view> k[] = {
      {"timestamptz", "timestamp with time zone"},
      {"timestamp", "timestamp without time zone"},
      {"int", "integer"},
      {"int4", "integer"},
      {"int8", "bigint"},
      {"int2", "smallint"},
      {"float8", "double precision"},
      {"float4", "real"},
      {"bool", "boolean"},
      {"varchar", "character varying"},
      {"decimal", "numeric"},
      {"timetz", "time with time zone"},
      {"time", "time without time zone"},
  };
  for (const auto& [from, to] : k)
    if (pg == from) return std::string(to);
  return std::string(pg);
}

bool is_lossless_widening(std::string_view from, std::string_view to) {
  return from == "integer" && to == "bigint";
}

JsonWireFormat json_wire_format(std::string_view logical) {
  if (logical == "bigint" || logical == "decimal") return {"", "::text"};
  if (logical == "timestamp")
    return {"to_char(", " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"};
  if (logical == "bytes") return {"translate(encode(", ", 'base64'), E'\\n', '')"};
  return {};
}

}  // namespace stk::sql
