#pragma once
// Permission rules at request time (spec bridge-crud §8.2, §9; DESIGN Decision 3): "first role match wins",
// the rule's own errors (400), and its condition bound to the caller as a SQL predicate.
#include <cstdint>
#include <string>

#include "call/principal.hpp"
#include "call/sql_builder.hpp"
#include "release/snapshot.hpp"

namespace stk::bridge {

// The selected rule for (table, op), or nullptr when no rule matches (the caller answers 403). Throws 400
// when the selected rule names unknown columns or carries an unusable condition, and 403 when its condition
// needs request.auth.sub and the caller is an API key.
const CompiledRule* select_rule(const TableView& table, const std::string& op, const Principal& who);

// Same, but 403 "no rule grants <op> on <table>" instead of nullptr.
const CompiledRule& require_rule(const TableView& table, const std::string& op, const Principal& who);

// The rule's condition as a predicate on unqualified columns of `table`, its values appended to `b`; empty
// when the rule has none.
std::string condition_sql(const CompiledRule& rule, const model::Table& table, const Principal& who,
                          SqlBuilder& b);

// Nanoseconds this thread spent in select_rule and condition_sql since the last call (then resets): the
// permission-evaluation time of the request being planned.
uint64_t take_permission_eval_ns();

// A PostgreSQL array literal ({"a","b"}) for text parameters.
std::string pg_array_literal(const std::vector<std::string>& items);

}  // namespace stk::bridge
