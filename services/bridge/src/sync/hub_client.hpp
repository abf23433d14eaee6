#pragma once
// The Hub's /internal endpoints through one kept-alive connection, with the service token (STK_BRIDGE_TOKEN)
// as Bearer: the release feed (sync/hub_sync) and the API key usage report (sync/key_usage_report).
#include <string>
#include <utility>
#include <vector>

#include "stk/http/client.hpp"

namespace stk::bridge {

class HubClient {
 public:
  HubClient(const std::string& url, const std::string& token) : client_(url) {
    if (!token.empty()) headers_.emplace_back("Authorization", "Bearer " + token);
  }
  http::ClientResponse get(const std::string& target, const std::string& if_none_match, int timeout_ms) {
    auto h = headers_;
    if (!if_none_match.empty()) h.emplace_back("If-None-Match", if_none_match);
    return client_.request("GET", target, h, {}, timeout_ms);
  }
  http::ClientResponse post_json(const std::string& target, const std::string& body, int timeout_ms) {
    auto h = headers_;
    h.emplace_back("Content-Type", "application/json");
    return client_.request("POST", target, h, body, timeout_ms);
  }
  void interrupt() { client_.interrupt(); }

 private:
  http::Client client_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace stk::bridge
