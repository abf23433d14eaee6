#pragma once
// Private: logical type strings ("int", "array<array<string>>") and literal values checked against them.
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace stk::model::detail {

struct TypeParse {
  bool ok = false;
  std::string type;     // "int", "array", ...
  std::string items;    // arrays: normalised item type ("int", "array<int>")
  std::string unknown;  // when !ok because of an unknown name: that name (e.g. "uuidish")
  std::string error;    // when !ok for another reason
};

// Parses "int" | "array<T>" | "array" (items then come from elsewhere: type="array", items=""), whitespace
// around '<' '>' allowed. `file` is not allowed as an array item type.
TypeParse parse_type(std::string_view text);

// "array<int>" -> {"array","int"}; "int" -> {"int",""}. Input must be normalised.
std::pair<std::string, std::string> split_type(const std::string& type_string);
// {"array","int"} -> "array<int>"; {"int",""} -> "int".
std::string join_type(const std::string& type, const std::string& items);

// Literal checks shared with the CEL checker (which sees JSON values).
bool is_decimal_text(std::string_view s);                         // -?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?
bool is_bigint_text(std::string_view s);                          // -?\d+ within int64
std::optional<std::string> canonical_bigint(std::string_view s);  // "007" -> "7"; nullopt if invalid

}  // namespace stk::model::detail
