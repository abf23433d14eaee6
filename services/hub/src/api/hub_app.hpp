#pragma once
// The Hub as one object: store, services and the HTTP routing table. main.cpp wires it to an http::Server;
// tests can run it in-process the same way.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/apply_service.hpp"
#include "services/audit_log.hpp"
#include "services/auth_service.hpp"
#include "services/config.hpp"
#include "services/feed.hpp"
#include "services/hub_metrics.hpp"
#include "services/promotion_service.hpp"
#include "services/release_service.hpp"
#include "services/tenancy_service.hpp"
#include "stk/crypto/crypto.hpp"
#include "stk/http/server.hpp"
#include "store/store.hpp"

namespace stk::hub {

class WorkerPool;

class HubApp {
 public:
  explicit HubApp(HubConfig config);
  ~HubApp();

  // Entry point for every HTTP request (called on a server worker thread; blocking work is moved to the
  // Hub's own worker pool so long-polls and slow applies never stall the accept loop).
  void handle(http::Request&& req, http::Respond respond);
  // Flushes the audit log, wakes long-polls, stops workers. Idempotent.
  void shutdown();
  const HubConfig& config() const { return config_; }

 private:
  struct Route;
  void dispatch(http::Request& req, http::Respond& respond, RequestContext& ctx);
  void internal(http::Request& req, http::Respond& respond, RequestContext& ctx);
  void long_poll_release(http::Request& req, http::Respond respond, RequestContext& ctx,
                         const std::string& project, const std::string& env);
  void long_poll_bridge_state(http::Request& req, http::Respond respond, RequestContext& ctx);
  nlohmann::json bridge_state();
  void long_poll_document(http::Request& req, http::Respond respond, const std::string& topic,
                          std::function<nlohmann::json()> document);
  void long_poll_keys(http::Request& req, http::Respond respond, RequestContext& ctx,
                      const std::string& project, const std::string& env);
  bool bridge_token_ok(const http::Request& req) const;
  std::string render_metrics();  // GET /metrics

  HubConfig config_;
  std::unique_ptr<Store> store_;
  crypto::SecretBox box_;
  AuditLog audit_;
  Feed feed_;
  AuthService auth_;
  TenancyService tenancy_;
  ReleaseService releases_;
  ApplyService apply_;
  PromotionService promotions_;
  std::unique_ptr<WorkerPool> workers_;
};

}  // namespace stk::hub
