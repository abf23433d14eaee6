#pragma once
// The planners' one way to refuse a request: 400 BAD_REQUEST with a message that says what to fix.
#include <string>

#include "stk/core/error.hpp"

namespace stk::bridge {

[[noreturn]] inline void bad(const std::string& message) {
  throw Error(Code::BadRequest, message);
}

}  // namespace stk::bridge
