#include "stk/core/error.hpp"

namespace stk {

namespace {
struct CodeInfo {
  Code code;
  std::string_view name;
  int status;
};
constexpr CodeInfo kCodes[] = {
    {Code::BadRequest, "BAD_REQUEST", 400},
    {Code::Unauthorized, "UNAUTHORIZED", 401},
    {Code::Forbidden, "FORBIDDEN", 403},
    {Code::NotFound, "NOT_FOUND", 404},
    {Code::Conflict, "CONFLICT", 409},
    {Code::InvalidRole, "INVALID_ROLE", 422},
    {Code::ValidationFailed, "VALIDATION_FAILED", 422},
    {Code::PayloadTooLarge, "PAYLOAD_TOO_LARGE", 413},
    {Code::TooManyRequests, "TOO_MANY_REQUESTS", 429},
    {Code::Internal, "INTERNAL_ERROR", 500},
    {Code::Unavailable, "SERVICE_UNAVAILABLE", 503},
    {Code::GatewayTimeout, "GATEWAY_TIMEOUT", 504},
};
const CodeInfo& info(Code c) {
  for (const auto& i : kCodes)
    if (i.code == c) return i;
  return kCodes[9];
}
}  // namespace

std::string_view code_name(Code c) {
  return info(c).name;
}
int http_status(Code c) {
  return info(c).status;
}
Code code_from_name(std::string_view name) {
  for (const auto& i : kCodes)
    if (i.name == name) return i.code;
  return Code::Internal;
}

nlohmann::json error_envelope(Code code, std::string_view message, std::string_view request_id,
                              const nlohmann::json& details) {
  nlohmann::json e = {{"code", code_name(code)}, {"message", message}, {"requestId", request_id}};
  if (!details.is_null()) e["details"] = details;
  return {{"error", std::move(e)}};
}

}  // namespace stk
