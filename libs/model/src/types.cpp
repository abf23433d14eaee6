#include "types.hpp"

#include <charconv>
#include <cstdint>

#include "stk/core/encoding.hpp"
#include "stk/core/time.hpp"
#include "stk/model/schema.hpp"

namespace stk::model::detail {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Returns the normalised type string, or fills `out` with the failure. depth bounds "array<array<...>>".
std::optional<std::string> parse_inner(std::string_view text, TypeParse& out, int depth) {
  text = trim(text);
  if (depth > 16) {
    out.error = "array types are nested too deeply (max 16 levels)";
    return std::nullopt;
  }
  if (text.size() >= 5 && text.substr(0, 5) == "array") {
    std::string_view rest = trim(text.substr(5));
    if (rest.empty()) {
      out.error = "nested array type needs its item type: array<T>";
      return std::nullopt;
    }
    if (rest.front() == '<' && rest.back() == '>') {
      auto inner = parse_inner(rest.substr(1, rest.size() - 2), out, depth + 1);
      if (!inner) return std::nullopt;
      return "array<" + *inner + ">";
    }
  }
  if (scalar_types().count(std::string(text))) {
    if (depth > 0 && text == "file") {
      out.error = "arrays of file are not supported (use one file column per object)";
      return std::nullopt;
    }
    return std::string(text);
  }
  out.unknown = std::string(text);
  return std::nullopt;
}

}  // namespace

TypeParse parse_type(std::string_view text) {
  TypeParse out;
  std::string_view t = trim(text);
  if (t == "array") {
    out.ok = true;
    out.type = "array";
    return out;
  }
  auto norm = parse_inner(t, out, 0);
  if (!norm) {
    if (out.unknown.empty() && out.error.empty()) out.unknown = std::string(t);
    return out;
  }
  out.ok = true;
  auto [type, items] = split_type(*norm);
  out.type = type;
  out.items = items;
  return out;
}

std::pair<std::string, std::string> split_type(const std::string& s) {
  if (s.size() > 7 && s.compare(0, 6, "array<") == 0 && s.back() == '>') {
    return {"array", s.substr(6, s.size() - 7)};
  }
  return {s, ""};
}

std::string join_type(const std::string& type, const std::string& items) {
  if (type == "array") return "array<" + items + ">";
  return type;
}

bool is_decimal_text(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

std::optional<std::string> canonical_bigint(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t start = (s[0] == '-') ? 1 : 0;
  if (start == s.size()) return std::nullopt;
  for (size_t i = start; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return std::to_string(v);
}

bool is_bigint_text(std::string_view s) {
  return canonical_bigint(s).has_value();
}

}  // namespace stk::model::detail

namespace stk::model {

bool is_valid_value(const std::string& type, const std::string& items, const nlohmann::json& v) {
  if (type == "json") return true;
  if (v.is_null()) return false;
  if (type == "string" || type == "file") return v.is_string();
  if (type == "int") {
    if (v.is_number_unsigned()) return v.get<uint64_t>() <= uint64_t(INT32_MAX);
    if (!v.is_number_integer()) return false;
    int64_t i = v.get<int64_t>();
    return i >= INT32_MIN && i <= INT32_MAX;
  }
  if (type == "bigint") {
    if (v.is_number_unsigned()) return v.get<uint64_t>() <= uint64_t(INT64_MAX);
    if (v.is_number_integer()) return true;
    return v.is_string() && detail::is_bigint_text(v.get_ref<const std::string&>());
  }
  if (type == "float") return v.is_number();
  if (type == "decimal") {
    if (v.is_number()) return true;
    return v.is_string() && detail::is_decimal_text(v.get_ref<const std::string&>());
  }
  if (type == "boolean") return v.is_boolean();
  if (type == "timestamp") return v.is_string() && parse_rfc3339(v.get_ref<const std::string&>()).has_value();
  if (type == "bytes") return v.is_string() && base64_decode(v.get_ref<const std::string&>()).has_value();
  if (type == "array") {
    if (!v.is_array()) return false;
    auto [it, ii] = detail::split_type(items);
    for (const auto& e : v) {
      if (!is_valid_value(it, ii, e)) return false;
    }
    return true;
  }
  return false;
}

}  // namespace stk::model
