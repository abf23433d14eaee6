#pragma once
// Versioned migrations of the Hub's own store. Append new versions; never edit a released one.
#include <string_view>
#include <vector>

namespace stk::hub {

struct Migration {
  int version;
  std::string_view sql;
};

const std::vector<Migration>& sqlite_migrations();

}  // namespace stk::hub
