#include "hub_client.hpp"

#include "output.hpp"
#include "stk/http/client.hpp"
#include "version.hpp"

namespace stk::cli {

namespace {

Code code_for_status(int status, const std::string& name) {
  if (!name.empty()) {
    Code c = code_from_name(name);
    if (c != Code::Internal || name == "INTERNAL_ERROR") return c;
  }
  switch (status) {
    case 400:
      return Code::BadRequest;
    case 401:
      return Code::Unauthorized;
    case 403:
      return Code::Forbidden;
    case 404:
      return Code::NotFound;
    case 409:
      return Code::Conflict;
    case 413:
      return Code::PayloadTooLarge;
    case 422:
      return Code::ValidationFailed;
    case 429:
      return Code::TooManyRequests;
    case 503:
      return Code::Unavailable;
    case 504:
      return Code::GatewayTimeout;
    default:
      return Code::Internal;
  }
}

std::string string_field(const J& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// A printable one-line excerpt of a non-JSON error body (e.g. a proxy's HTML page).
std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : body) {
    if (out.size() >= 200) {
      out += "...";
      break;
    }
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

HubError::HubError(int status, std::string code, std::string message, std::string request_id, J details,
                   J body)
    : stk::Error(code_for_status(status, code), std::move(message)),
      status_(status),
      code_(std::move(code)),
      request_id_(std::move(request_id)),
      details_(std::move(details)),
      body_(std::move(body)) {}

HubUnreachable::HubUnreachable(std::string url, std::string reason, bool timed_out)
    : stk::Error(
          timed_out ? Code::GatewayTimeout : Code::Unavailable,
          (timed_out ? "no answer from the Hub at " : "cannot reach the Hub at ") + url + ": " + reason),
      url_(std::move(url)),
      reason_(std::move(reason)),
      timed_out_(timed_out) {}

HubError error_from_response(int status, std::string_view body) {
  J parsed = J::parse(body.begin(), body.end(), nullptr, false);
  if (parsed.is_discarded()) parsed = nullptr;
  const J* err = nullptr;
  if (parsed.is_object()) {
    auto it = parsed.find("error");
    if (it != parsed.end() && it->is_object()) err = &*it;
  }
  if (!err) {
    std::string msg = excerpt(body);
    return HubError(status, "", msg, "", nullptr, parsed);
  }
  J details = nullptr;
  if (auto it = err->find("details"); it != err->end()) details = *it;
  return HubError(status, string_field(*err, "code"), string_field(*err, "message"),
                  string_field(*err, "requestId"), std::move(details), parsed);
}

std::string build_target(std::string_view path, const Query& query) {
  std::string target(path);
  char sep = target.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [key, value] : query) {
    if (!value || value->empty()) continue;
    target += sep;
    target += http::url_encode(key);
    target += '=';
    target += http::url_encode(*value);
    sep = '&';
  }
  return target;
}

HubClient::HubClient(std::string base_url, std::optional<std::string> token, bool require_token)
    : url_(normalize_hub_url(std::move(base_url))), token_(std::move(token)), require_token_(require_token) {}
HubClient::~HubClient() = default;
HubClient::HubClient(HubClient&&) noexcept = default;
HubClient& HubClient::operator=(HubClient&&) noexcept = default;

J HubClient::get(std::string_view path, const Query& query, int timeout_ms) {
  return request("GET", build_target(path, query), nullptr, timeout_ms);
}

J HubClient::post(std::string_view path, const J& body, int timeout_ms) {
  return request("POST", path, &body, timeout_ms);
}

J HubClient::request(std::string_view method, std::string_view target, const J* body, int timeout_ms) {
  if (require_token_ && (!token_ || token_->empty()))
    throw CliError("not logged in to the Hub at " + url_, "run 'stk login' (or set STK_AUTH_TOKEN)");
  if (!client_) client_ = std::make_unique<http::Client>(url_);  // throws BadRequest for a malformed URL
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Accept", "application/json"},
      {"User-Agent", std::string("stk/") + kCliVersion},
  };
  if (token_ && !token_->empty()) headers.emplace_back("Authorization", "Bearer " + *token_);
  std::string payload;
  if (body) {
    payload = body->dump(-1, ' ', false, J::error_handler_t::replace);
    headers.emplace_back("Content-Type", "application/json");
  }

  http::ClientResponse resp;
  try {
    resp = client_->request(method, target, headers, payload, timeout_ms);
  } catch (const stk::Error& e) {
    if (e.code() != Code::Unavailable && e.code() != Code::GatewayTimeout) throw;
    std::string reason = e.what();
    // The client says "cannot reach host:port: <reason>"; we name the Hub URL ourselves.
    if (reason.rfind("cannot reach ", 0) == 0) {
      auto colon = reason.find(": ");
      if (colon != std::string::npos) reason = reason.substr(colon + 2);
    }
    if (e.code() == Code::GatewayTimeout)
      reason = "timed out after " + std::to_string(timeout_ms / 1000) + " s (" + reason + ")";
    throw HubUnreachable(url_, reason, e.code() == Code::GatewayTimeout);
  }

  if (resp.status < 200 || resp.status >= 300) throw error_from_response(resp.status, resp.body);
  if (resp.body.empty()) return nullptr;
  J parsed = J::parse(resp.body, nullptr, false);
  if (parsed.is_discarded())
    throw stk::Error(Code::Internal, "the Hub at " + url_ + " returned a response that is not JSON (HTTP " +
                                         std::to_string(resp.status) + ")");
  return parsed;
}

}  // namespace stk::cli
