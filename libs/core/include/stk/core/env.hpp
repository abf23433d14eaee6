#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace stk {

std::optional<std::string> env(const char* name);  // unset or empty -> nullopt
std::string env_or(const char* name, std::string fallback);
int64_t env_int(const char* name, int64_t fallback);  // throws stk::Error(BadRequest) when not an integer
bool env_bool(const char* name, bool fallback);       // true|1|yes / false|0|no

}  // namespace stk
