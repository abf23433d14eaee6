#include "stk/core/env.hpp"

#include <cstdlib>

#include "stk/core/error.hpp"

namespace stk {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::string env_or(const char* name, std::string fallback) {
  auto v = env(name);
  return v ? *v : std::move(fallback);
}

int64_t env_int(const char* name, int64_t fallback) {
  auto v = env(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    int64_t n = std::stoll(*v, &used);
    if (used == v->size()) return n;
  } catch (...) {
  }
  throw Error(Code::BadRequest, std::string(name) + " must be an integer, got '" + *v + "'");
}

bool env_bool(const char* name, bool fallback) {
  auto v = env(name);
  if (!v) return fallback;
  if (*v == "true" || *v == "1" || *v == "yes") return true;
  if (*v == "false" || *v == "0" || *v == "no") return false;
  throw Error(Code::BadRequest, std::string(name) + " must be true or false, got '" + *v + "'");
}

}  // namespace stk
