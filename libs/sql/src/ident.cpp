#include "stk/sql/ident.hpp"

#include <cstdint>
#include <cstdio>

#include "stk/core/error.hpp"

namespace stk::sql {

std::string quote_ident(std::string_view name) {
  if (name.empty()) throw Error(Code::BadRequest, "empty SQL identifier");
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char c : name) {
    if (c == '\0') throw Error(Code::BadRequest, "SQL identifier contains a NUL byte");
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string quote_literal(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  for (char c : text) {
    if (c == '\0') throw Error(Code::BadRequest, "SQL literal contains a NUL byte");
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string shorten_identifier(std::string_view name) {
  if (name.size() <= kMaxIdentifierBytes) return std::string(name);
  uint32_t h = 2166136261u;  // FNV-1a 32
  for (unsigned char c : name) {
    h ^= c;
    h *= 16777619u;
  }
  char suffix[10];
  std::snprintf(suffix, sizeof suffix, "_%08x", h);
  size_t cut = kMaxIdentifierBytes - 9;
  // Never split a UTF-8 sequence: back off over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return std::string(name.substr(0, cut)) + suffix;
}

}  // namespace stk::sql
