#pragma once
// Error codes shared by Hub, Bridge and stk: the spec's envelope
// `{"error":{code,message,requestId,details?}}`.
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace stk {

enum class Code {
  BadRequest,        // 400 BAD_REQUEST
  Unauthorized,      // 401 UNAUTHORIZED
  Forbidden,         // 403 FORBIDDEN
  NotFound,          // 404 NOT_FOUND
  Conflict,          // 409 CONFLICT
  InvalidRole,       // 422 INVALID_ROLE
  ValidationFailed,  // 422 VALIDATION_FAILED
  PayloadTooLarge,   // 413 PAYLOAD_TOO_LARGE (request body cap on the Hub)
  TooManyRequests,   // 429 TOO_MANY_REQUESTS
  Internal,          // 500 INTERNAL_ERROR
  Unavailable,       // 503 SERVICE_UNAVAILABLE
  GatewayTimeout,    // 504 GATEWAY_TIMEOUT (statement timeout, DESIGN Decision 9)
};

std::string_view code_name(Code c);
int http_status(Code c);
// Parses a code name ("NOT_FOUND") back; Internal when unknown.
Code code_from_name(std::string_view name);

// The one exception type that crosses layers. `message` is shown to the caller: never put secrets in it.
class Error : public std::runtime_error {
 public:
  Error(Code code, std::string message, nlohmann::json details = nullptr)
      : std::runtime_error(std::move(message)), code_(code), details_(std::move(details)) {}
  Code code() const { return code_; }
  int status() const { return http_status(code_); }
  const nlohmann::json& details() const { return details_; }

 private:
  Code code_;
  nlohmann::json details_;
};

// {"error":{"code","message","requestId"[,"details"]}}
nlohmann::json error_envelope(Code code, std::string_view message, std::string_view request_id,
                              const nlohmann::json& details = nullptr);

}  // namespace stk
