#pragma once
// Quoting for PostgreSQL text. Identifiers are always double-quoted (so reserved words and any case survive);
// literals are for DDL defaults that come from validated operator YAML only — caller data is always a bind
// parameter, never a literal.
#include <string>
#include <string_view>

namespace stk::sql {

// "name" with embedded double quotes doubled. Throws stk::Error(BadRequest) on an empty name or a NUL byte.
std::string quote_ident(std::string_view name);
// 'text' with embedded single quotes doubled (standard_conforming_strings = on: backslashes stay literal).
// Throws stk::Error(BadRequest) on a NUL byte (PostgreSQL text cannot hold one).
std::string quote_literal(std::string_view text);

// PostgreSQL keeps identifiers up to 63 bytes (NAMEDATALEN - 1).
inline constexpr size_t kMaxIdentifierBytes = 63;
// `name` when it fits in 63 bytes; otherwise a prefix cut at a UTF-8 boundary + "_" + 8 hex digits of a hash
// of the full name, so distinct long names stay distinct and the result is stable across runs and platforms.
std::string shorten_identifier(std::string_view name);

}  // namespace stk::sql
