#pragma once
// config/permissions.yaml (spec bridge-crud §8) as typed rules. Conditions are CEL strings checked by
// libs/cel.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/model/diagnostics.hpp"

namespace stk::model {

struct Rule {
  std::vector<std::string> roles;        // non-empty
  std::optional<std::string> condition;  // CEL source text
  bool all_columns = true;               // `columns` absent or contains "*"
  std::vector<std::string> columns;      // explicit list when !all_columns
  SourcePos pos;                         // position of the rule
  SourcePos condition_pos;               // position of the condition string
  // 1-based column of the condition's first character when its text appears verbatim on one source line
  // (plain or quoted scalar without escapes): offsets inside the expression then map to condition_text_col +
  // offset. 0 when unknown (block scalar, escapes, multi-line).
  int condition_text_col = 0;
};

struct TablePermissions {
  std::map<std::string, std::vector<Rule>> ops;  // "select"|"insert"|"update"|"delete" -> ordered rules
};

struct Permissions {
  std::map<std::string, TablePermissions> tables;
};

}  // namespace stk::model
