#pragma once
// Accumulates one statement's SQL text and its bind parameters. Text only ever receives identifiers from the
// release (quoted) and fixed keywords; caller values only ever become parameters.
#include <optional>
#include <string>
#include <vector>

#include "stk/core/error.hpp"
#include "stk/sql/ident.hpp"

namespace stk::bridge {

struct SqlBuilder {
  std::string sql;
  std::vector<std::optional<std::string>> params;

  // Adds a parameter and returns its number ($n).
  // PostgreSQL text cannot hold NUL and libpq passes parameters as C strings: a NUL would silently cut the
  // value, so it is rejected (400) instead.
  int add(std::optional<std::string> value) {
    if (value && value->find('\0') != std::string::npos)
      throw Error(Code::BadRequest, "text values cannot contain the NUL character (\\u0000)");
    params.push_back(std::move(value));
    return int(params.size());
  }
  int next() const { return int(params.size()) + 1; }
};

inline std::string q(const std::string& ident) {
  return sql::quote_ident(ident);
}

}  // namespace stk::bridge
