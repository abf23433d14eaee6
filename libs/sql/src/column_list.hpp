#pragma once
// "(a, b)": a column list as migration plans and drift reports print it.
#include <string>
#include <vector>

namespace stk::sql {

inline std::string cols_text(const std::vector<std::string>& cols) {
  std::string out = "(";
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) out += ", ";
    out += cols[i];
  }
  return out + ")";
}

}  // namespace stk::sql
