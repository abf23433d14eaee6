#pragma once
// Request-field helpers shared by the Hub's services: every failure is a 400 that names the field.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stk::hub {

// Required string field (camelCase or snake_case spelling).
std::string require_string(const nlohmann::json& body, const char* name);
std::string optional_string(const nlohmann::json& body, const char* name, std::string fallback = "");
bool optional_bool(const nlohmann::json& body, const char* name, bool fallback = false);
std::vector<std::string> optional_string_list(const nlohmann::json& body, const char* name);

// Spec hub §2 names: project/env/connection ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$.
void check_resource_name(const std::string& kind, const std::string& value);
// Role names for API keys: identifiers; `public`/`authenticated` are not assignable (422).
void check_role_name(const std::string& value);
void check_email(const std::string& value);

}  // namespace stk::hub
