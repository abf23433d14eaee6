#include "services/validate.hpp"

#include <regex>

#include "stk/core/error.hpp"
#include "stk/core/json.hpp"

namespace stk::hub {

std::string require_string(const nlohmann::json& body, const char* name) {
  const auto* v = field(body, name);
  if (!v || v->is_null()) throw Error(Code::BadRequest, std::string("missing required field '") + name + "'");
  if (!v->is_string()) throw Error(Code::BadRequest, std::string("field '") + name + "' must be a string");
  auto s = v->get<std::string>();
  if (s.empty()) throw Error(Code::BadRequest, std::string("field '") + name + "' must not be empty");
  return s;
}

std::string optional_string(const nlohmann::json& body, const char* name, std::string fallback) {
  const auto* v = field(body, name);
  if (!v || v->is_null()) return fallback;
  if (!v->is_string()) throw Error(Code::BadRequest, std::string("field '") + name + "' must be a string");
  return v->get<std::string>();
}

bool optional_bool(const nlohmann::json& body, const char* name, bool fallback) {
  const auto* v = field(body, name);
  if (!v || v->is_null()) return fallback;
  if (!v->is_boolean())
    throw Error(Code::BadRequest, std::string("field '") + name + "' must be true or false");
  return v->get<bool>();
}

std::vector<std::string> optional_string_list(const nlohmann::json& body, const char* name) {
  const auto* v = field(body, name);
  std::vector<std::string> out;
  if (!v || v->is_null()) return out;
  if (!v->is_array())
    throw Error(Code::BadRequest, std::string("field '") + name + "' must be an array of strings");
  for (const auto& e : *v) {
    if (!e.is_string())
      throw Error(Code::BadRequest, std::string("field '") + name + "' must be an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

void check_resource_name(const std::string& kind, const std::string& value) {
  static const std::regex re("^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$");
  if (!std::regex_match(value, re))
    throw Error(Code::BadRequest,
                kind + " name '" + value.substr(0, 80) +
                    "' is invalid: use 1-63 letters, digits, '_' or '-', starting with a letter "
                    "or digit");
}

void check_role_name(const std::string& value) {
  static const std::regex re("^[A-Za-z_][A-Za-z0-9_-]{0,62}$");
  if (value == "public" || value == "authenticated")
    throw Error(Code::InvalidRole,
                "role '" + value + "' is a pseudo-role and cannot be assigned to an API key");
  if (!std::regex_match(value, re))
    throw Error(Code::InvalidRole,
                "role '" + value.substr(0, 80) +
                    "' is invalid: use letters, digits, '_' or '-', starting with a letter");
}

void check_email(const std::string& value) {
  static const std::regex re(R"(^[^@\s]{1,64}@[^@\s]{1,255}$)");
  if (!std::regex_match(value, re))
    throw Error(Code::BadRequest, "'" + value.substr(0, 80) + "' is not an e-mail address");
}

}  // namespace stk::hub
