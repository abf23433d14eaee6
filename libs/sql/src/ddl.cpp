#include "stk/sql/ddl.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <optional>

#include "stk/core/encoding.hpp"
#include "stk/core/error.hpp"
#include "stk/core/time.hpp"
#include "stk/sql/ident.hpp"
#include "stk/sql/types.hpp"

namespace stk::sql {

using nlohmann::json;

namespace {

std::string join_idents(const std::vector<std::string>& cols) {
  std::string out;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) out += ", ";
    out += quote_ident(cols[i]);
  }
  return out;
}

std::string alter(std::string_view table) {
  return "ALTER TABLE " + quote_ident(table) + " ";
}
std::string alter_col(std::string_view table, std::string_view column) {
  return alter(table) + "ALTER COLUMN " + quote_ident(column) + " ";
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// -?[0-9]+
bool is_integer_text(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return is_digits(s);
}

// [+-]?(digits[.digits?] | .digits)([eE][+-]?digits)?
bool is_decimal_text(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  size_t int_digits = i - int_start, frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t f = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    frac_digits = i - f;
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t e = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == e) return false;
  }
  return i == s.size();
}

std::optional<int64_t> to_int64(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> json_int64(const json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() &&
        v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return v.get<int64_t>();
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d != d || d < -9.2e18 || d > 9.2e18 || static_cast<double>(static_cast<int64_t>(d)) != d)
      return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (v.is_string() && is_integer_text(v.get<std::string>())) return to_int64(v.get<std::string>());
  return std::nullopt;
}

[[noreturn]] void bad_default(const model::Column& c, const std::string& why) {
  throw Error(Code::BadRequest, "column '" + c.name + "': default " + why);
}

bool has_value_default(const model::Column& c) {
  return c.default_value.has_value() && !c.default_value->is_null();
}

// Number text of a decimal/float default (JSON number or numeric string), validated.
std::string numeric_text(const model::Column& c, const json& v) {
  std::string text;
  if (v.is_number_integer()) {
    text = v.dump();
  } else if (v.is_number_float()) {
    text = v.dump();
  } else if (v.is_string()) {
    text = v.get<std::string>();
  } else {
    bad_default(c, "must be a number for type " + c.type);
  }
  if (!is_decimal_text(text)) bad_default(c, "'" + text + "' is not a number");
  if (text[0] == '+') text.erase(0, 1);
  return text;
}

// Canonical form of a decimal number text: sign, significant digits, exponent ("-15e-1"); nullopt when not
// one.
std::optional<std::string> canonical_decimal(std::string_view s) {
  if (!is_decimal_text(s)) return std::nullopt;
  bool neg = false;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
  std::string digits;
  long exp = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) digits.push_back(s[i++]);
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      digits.push_back(s[i++]);
      --exp;
    }
  }
  if (i < s.size()) exp += std::strtol(std::string(s.substr(i + 1)).c_str(), nullptr, 10);
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return std::string("0");
  digits.erase(0, first);
  while (digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    ++exp;
  }
  return (neg ? "-" : "") + digits + "e" + std::to_string(exp);
}

// The value of a literal default as pg_get_expr prints it: 'text'::type, 42, true, 1.5, (-42) → its text.
std::optional<std::string> parse_literal(std::string_view s) {
  while (s.size() >= 2 && s.front() == '(' && s.back() == ')') s = s.substr(1, s.size() - 2);
  if (s.empty()) return std::nullopt;
  std::string value;
  size_t i = 0;
  if (s[0] == '\'') {
    for (i = 1;; ++i) {
      if (i >= s.size()) return std::nullopt;
      if (s[i] == '\'') {
        if (i + 1 < s.size() && s[i + 1] == '\'') {
          value.push_back('\'');
          ++i;
          continue;
        }
        ++i;
        break;
      }
      value.push_back(s[i]);
    }
  } else {
    while (i < s.size() &&
           (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.' || s[i] == '-' || s[i] == '+')) {
      value.push_back(s[i++]);
    }
    if (value.empty()) return std::nullopt;
  }
  std::string_view rest = s.substr(i);
  if (!rest.empty() && rest.substr(0, 2) != "::") return std::nullopt;
  return value;
}

std::optional<int64_t> parse_pg_timestamp(std::string text) {
  // "2024-01-01 00:00:00.123+00" (DateStyle ISO) → RFC 3339
  if (text.size() >= 3) {
    char sign = text[text.size() - 3];
    if ((sign == '+' || sign == '-') && std::isdigit(static_cast<unsigned char>(text.back())) &&
        std::isdigit(static_cast<unsigned char>(text[text.size() - 2])))
      text += ":00";
  }
  return parse_rfc3339(text);
}

}  // namespace

std::string unique_constraint_name(std::string_view table, std::string_view column) {
  return shorten_identifier("ux_" + std::string(table) + "_" + std::string(column));
}

std::string foreign_key_name(std::string_view table, std::string_view column) {
  return shorten_identifier("fk_" + std::string(table) + "_" + std::string(column));
}

std::string fk_action_sql(std::string_view action) {
  if (action == "restrict") return "RESTRICT";
  if (action == "no_action") return "NO ACTION";
  if (action == "cascade") return "CASCADE";
  if (action == "set_null") return "SET NULL";
  if (action == "set_default") return "SET DEFAULT";
  throw Error(Code::BadRequest, "unknown referential action '" + std::string(action) + "'");
}

const std::string& column_type_sql(const model::Column& c) {
  return pg_type(c.type);
}

std::string default_sql(const model::Column& c) {
  if (c.default_now) {
    if (c.type != "timestamp") bad_default(c, "'now' is only allowed on timestamp columns");
    return "now()";
  }
  if (!has_value_default(c)) return "";
  const json& v = *c.default_value;
  const std::string& t = c.type;
  if (t == "string" || t == "file") {
    if (!v.is_string()) bad_default(c, "must be a string");
    return quote_literal(v.get<std::string>());
  }
  if (t == "int") {
    auto i = json_int64(v);
    if (!i || v.is_string() || *i < std::numeric_limits<int32_t>::min() ||
        *i > std::numeric_limits<int32_t>::max())
      bad_default(c, "must be a 32-bit integer");
    return std::to_string(*i);
  }
  if (t == "bigint") {
    auto i = json_int64(v);
    if (!i) bad_default(c, "must be a 64-bit integer");
    return std::to_string(*i);
  }
  if (t == "decimal" || t == "float") return numeric_text(c, v);
  if (t == "boolean") {
    if (!v.is_boolean()) bad_default(c, "must be true or false");
    return v.get<bool>() ? "true" : "false";
  }
  if (t == "json" || t == "array") {
    if (t == "array" && !v.is_array()) bad_default(c, "must be an array");
    std::string text;
    try {
      text = v.dump();
    } catch (const json::exception&) {
      bad_default(c, "is not valid UTF-8");
    }
    return quote_literal(text) + "::jsonb";
  }
  if (t == "timestamp") {
    if (!v.is_string() || !parse_rfc3339(v.get<std::string>()))
      bad_default(c, "must be an RFC 3339 timestamp or now");
    return quote_literal(v.get<std::string>()) + "::timestamptz";
  }
  if (t == "bytes") {
    std::optional<std::string> bytes;
    if (v.is_string()) bytes = base64_decode(v.get<std::string>());
    if (!bytes) bad_default(c, "must be base64 text");
    return "'\\x" + hex_encode(*bytes) + "'::bytea";
  }
  pg_type(t);  // throws for an unknown type
  bad_default(c, "is not supported for type " + t);
}

bool default_matches(const model::Column& c, std::string_view live) {
  if (c.default_now)
    return live == "now()" || live == "CURRENT_TIMESTAMP" || live == "transaction_timestamp()";
  if (!has_value_default(c)) return live.empty();
  if (live.empty()) return false;
  auto lit = parse_literal(live);
  if (!lit) return false;
  const json& v = *c.default_value;
  const std::string& t = c.type;
  if (t == "string" || t == "file") return v.is_string() && v.get<std::string>() == *lit;
  if (t == "int" || t == "bigint") {
    auto want = json_int64(v);
    auto got = is_integer_text(*lit) ? to_int64(*lit) : std::nullopt;
    return want && got && *want == *got;
  }
  if (t == "decimal" || t == "float") {
    std::string want_text = v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : "";
    if (t == "decimal") {
      auto a = canonical_decimal(want_text), b = canonical_decimal(*lit);
      return a && b && *a == *b;
    }
    if (!is_decimal_text(want_text) || !is_decimal_text(*lit)) return false;
    return std::strtod(want_text.c_str(), nullptr) == std::strtod(lit->c_str(), nullptr);
  }
  if (t == "boolean") return v.is_boolean() && *lit == (v.get<bool>() ? "true" : "false");
  if (t == "json" || t == "array") {
    json got = json::parse(*lit, nullptr, false);
    return !got.is_discarded() && got == v;
  }
  if (t == "timestamp") {
    if (!v.is_string()) return false;
    auto want = parse_rfc3339(v.get<std::string>());
    auto got = parse_pg_timestamp(*lit);
    return want && got && *want == *got;
  }
  if (t == "bytes") {
    auto bytes = v.is_string() ? base64_decode(v.get<std::string>()) : std::nullopt;
    if (!bytes) return false;
    std::string got = *lit;
    std::transform(got.begin(), got.end(), got.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return got == "\\x" + hex_encode(*bytes);
  }
  return false;
}

std::string column_definition(const model::Column& c) {
  std::string out = quote_ident(c.name) + " " + column_type_sql(c);
  if (!c.nullable) out += " NOT NULL";
  std::string d = default_sql(c);
  if (!d.empty()) out += " DEFAULT " + d;
  return out;
}

std::string primary_key_definition(const model::PrimaryKey& pk) {
  if (pk.generate == "auto_increment")
    return quote_ident(pk.name) + " bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
  if (pk.type != "string" && pk.type != "bigint")
    throw Error(Code::BadRequest, "primary key type must be string or bigint, not '" + pk.type + "'");
  return quote_ident(pk.name) + " " + pg_type(pk.type) + " PRIMARY KEY";
}

std::string create_table(const model::Table& t) {
  std::string out = "CREATE TABLE " + quote_ident(t.name) + " (" + primary_key_definition(t.id);
  for (const auto& c : t.columns) out += ", " + column_definition(c);
  for (const auto& c : t.columns)
    if (c.unique)
      out += ", CONSTRAINT " + quote_ident(unique_constraint_name(t.name, c.name)) + " UNIQUE (" +
             quote_ident(c.name) + ")";
  return out + ")";
}

std::string create_index(std::string_view table, const model::Index& index) {
  if (index.columns.empty()) throw Error(Code::BadRequest, "index '" + index.name + "' has no columns");
  return std::string(index.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ") + quote_ident(index.name) +
         " ON " + quote_ident(table) + " (" + join_idents(index.columns) + ")";
}

std::string drop_index(std::string_view index) {
  return "DROP INDEX " + quote_ident(index);
}
std::string drop_table(std::string_view table) {
  return "DROP TABLE " + quote_ident(table);
}

std::string add_column(std::string_view table, const model::Column& c) {
  return alter(table) + "ADD COLUMN " + column_definition(c);
}
std::string drop_column(std::string_view table, std::string_view column) {
  return alter(table) + "DROP COLUMN " + quote_ident(column);
}
std::string alter_column_type(std::string_view table, std::string_view column, std::string_view pg_type) {
  return alter_col(table, column) + "TYPE " + std::string(pg_type);
}
std::string set_not_null(std::string_view table, std::string_view column) {
  return alter_col(table, column) + "SET NOT NULL";
}
std::string drop_not_null(std::string_view table, std::string_view column) {
  return alter_col(table, column) + "DROP NOT NULL";
}
std::string set_default(std::string_view table, const model::Column& c) {
  std::string d = default_sql(c);
  if (d.empty()) throw Error(Code::BadRequest, "column '" + c.name + "' has no default");
  return alter_col(table, c.name) + "SET DEFAULT " + d;
}
std::string drop_default(std::string_view table, std::string_view column) {
  return alter_col(table, column) + "DROP DEFAULT";
}
std::string add_unique(std::string_view table, std::string_view constraint,
                       const std::vector<std::string>& columns) {
  return alter(table) + "ADD CONSTRAINT " + quote_ident(constraint) + " UNIQUE (" + join_idents(columns) +
         ")";
}
std::string drop_constraint(std::string_view table, std::string_view constraint) {
  return alter(table) + "DROP CONSTRAINT " + quote_ident(constraint);
}

std::string foreign_key_clause(std::string_view table, const model::Column& c, std::string_view ref_column) {
  if (!c.references) throw Error(Code::BadRequest, "column '" + c.name + "' has no reference");
  const auto& r = *c.references;
  return "CONSTRAINT " + quote_ident(foreign_key_name(table, c.name)) + " FOREIGN KEY (" +
         quote_ident(c.name) + ") REFERENCES " + quote_ident(r.table) + " (" + quote_ident(ref_column) +
         ") ON DELETE " + fk_action_sql(r.on_delete) + " ON UPDATE " + fk_action_sql(r.on_update);
}

std::string add_foreign_key(std::string_view table, const model::Column& c, std::string_view ref_column) {
  return alter(table) + "ADD " + foreign_key_clause(table, c, ref_column);
}

std::string referenced_column(const model::Column& c, const model::Schema& schema) {
  if (!c.references) return "";
  if (!c.references->column.empty()) return c.references->column;
  for (const auto& t : schema.tables)
    if (t.name == c.references->table) return t.id.name;
  return "id";
}

std::vector<std::string> create_schema(const model::Schema& schema) {
  std::vector<const model::Table*> tables;
  for (const auto& t : schema.tables) tables.push_back(&t);
  std::sort(tables.begin(), tables.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::vector<std::string> out;
  for (auto* t : tables) out.push_back(create_table(*t));
  for (auto* t : tables)
    for (const auto& i : t->indexes) out.push_back(create_index(t->name, i));
  for (auto* t : tables)
    for (const auto& c : t->columns)
      if (c.references) out.push_back(add_foreign_key(t->name, c, referenced_column(c, schema)));
  return out;
}

}  // namespace stk::sql
