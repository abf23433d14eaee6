#pragma once
// A thin wrapper over stk::http::Client for the Hub's operator API: base URL + bearer token, JSON bodies, and
// the error envelope {"error":{code,message,requestId,details?}} turned into HubError.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "context.hpp"
#include "stk/core/error.hpp"

namespace stk::http {
class Client;
}

namespace stk::cli {

// The Hub answered with a non-2xx status.
class HubError : public stk::Error {
 public:
  HubError(int status, std::string code, std::string message, std::string request_id, J details, J body);
  int http_status() const { return status_; }
  const std::string& code_name() const { return code_; }  // "CONFLICT"; empty when the body had no envelope
  const std::string& request_id() const { return request_id_; }
  const J& details_json() const { return details_; }  // null when absent
  const J& body() const { return body_; }             // the whole parsed body (null when it was not JSON)

 private:
  int status_;
  std::string code_;
  std::string request_id_;
  J details_;
  J body_;
};

// No HTTP answer at all (connection refused, DNS, reset, timeout).
class HubUnreachable : public stk::Error {
 public:
  HubUnreachable(std::string url, std::string reason, bool timed_out);
  const std::string& url() const { return url_; }
  const std::string& reason() const { return reason_; }
  bool timed_out() const { return timed_out_; }

 private:
  std::string url_;
  std::string reason_;
  bool timed_out_;
};

// Builds the HubError for a non-2xx answer; tolerant of bodies that are not the envelope.
HubError error_from_response(int status, std::string_view body);

// Query parameters; entries whose value is nullopt or empty are left out.
using Query = std::vector<std::pair<std::string, std::optional<std::string>>>;
std::string build_target(std::string_view path, const Query& query);

class HubClient {
 public:
  static constexpr int kDefaultTimeoutMs = 30000;

  // No `token` = unauthenticated calls (login, /version); with `require_token` every request then fails with
  // "not logged in" before anything is sent (so argument errors of a command surface first).
  HubClient(std::string base_url, std::optional<std::string> token, bool require_token = false);
  ~HubClient();
  HubClient(HubClient&&) noexcept;
  HubClient& operator=(HubClient&&) noexcept;

  const std::string& url() const { return url_; }

  J get(std::string_view path, const Query& query = {}, int timeout_ms = kDefaultTimeoutMs);
  J post(std::string_view path, const J& body, int timeout_ms = kDefaultTimeoutMs);
  // Returns the parsed 2xx body (null when empty); throws HubError / HubUnreachable / stk::Error.
  J request(std::string_view method, std::string_view target, const J* body, int timeout_ms);

 private:
  std::string url_;
  std::optional<std::string> token_;
  bool require_token_ = false;
  std::unique_ptr<stk::http::Client> client_;  // created at the first request
};

}  // namespace stk::cli
