#pragma once
// config/permissions.yaml (spec bridge-crud §8) as typed rules. Conditions are CEL strings checked by libs/cel.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/model/diagnostics.hpp"

namespace stk::model {

struct Rule {
  std::vector<std::string> roles;         // non-empty
  std::optional<std::string> condition;   // CEL source text
  bool all_columns = true;                // `columns` absent or contains "*"
  std::vector<std::string> columns;       // explicit list when !all_columns
  SourcePos pos;                          // position of the rule
  SourcePos condition_pos;                // position of the condition string
};

struct TablePermissions {
  std::map<std::string, std::vector<Rule>> ops;  // "select"|"insert"|"update"|"delete" -> ordered rules
};

struct Permissions {
  std::map<std::string, TablePermissions> tables;
};

}  // namespace stk::model
