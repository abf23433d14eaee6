#include "stk/core/json.hpp"

#include <cctype>

namespace stk {

std::string canonical_dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}
std::string canonical_dump(const OrderedJson& j) {
  return canonical_dump(Json::parse(j.dump()));
}

namespace {
std::string snake(const char* camel) {
  std::string out;
  for (const char* p = camel; *p; ++p) {
    if (std::isupper(static_cast<unsigned char>(*p))) {
      out.push_back('_');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(*p))));
    } else {
      out.push_back(*p);
    }
  }
  return out;
}
}  // namespace

const Json* field(const Json& obj, const char* camel) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(camel);
  if (it != obj.end()) return &*it;
  it = obj.find(snake(camel));
  if (it != obj.end()) return &*it;
  return nullptr;
}

}  // namespace stk
