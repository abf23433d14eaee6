#pragma once
// Insert conditions (spec bridge-crud §9.4 with the Decision 3 subset): there is no stored row yet, so the
// rule's condition is evaluated in the Bridge against each incoming row; a row that does not satisfy it
// makes the whole request 403. Columns absent from the payload count as null.
#include <nlohmann/json.hpp>

#include "call/principal.hpp"
#include "stk/cel/ast.hpp"

namespace stk::bridge {

bool insert_row_satisfies(const cel::Expr& condition, const nlohmann::ordered_json& row,
                          const Principal& who);

}  // namespace stk::bridge
