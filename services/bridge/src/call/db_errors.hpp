#pragma once
// PostgreSQL failures → the spec's error catalogue (DESIGN Decision 9): 409 unique, 400 other constraint or
// value errors, 503 unavailable, 504 statement timeout, 500 otherwise. Messages never carry parameter values
// or server text that could echo them.
#include <string_view>

#include "stk/core/error.hpp"

namespace stk::bridge {

Error map_db_error(std::string_view sqlstate, std::string_view constraint);

}  // namespace stk::bridge
