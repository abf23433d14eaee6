#pragma once
// Hub settings, read from the environment (docs/configuration.md lists every variable).
#include <string>
#include <vector>

namespace stk::hub {

struct HubConfig {
  std::string host = "0.0.0.0";
  int port = 4000;                                  // STK_HUB_PORT
  std::string db_url = "sqlite://santokit-hub.db";  // STK_HUB_DB_URL
  std::string secret_key;                           // STK_SECRET_KEY (required)
  std::vector<std::string> bridge_tokens;           // STK_BRIDGE_TOKENS (comma list)
  bool dev_mode = false;                            // STK_HUB_DEV_MODE
  std::string bootstrap_email;                      // STK_HUB_BOOTSTRAP_OWNER_EMAIL
  std::string bootstrap_password;                   // STK_HUB_BOOTSTRAP_OWNER_PASSWORD
  int session_ttl_hours = 12;                       // STK_HUB_SESSION_TTL_HOURS
  int audit_retention_days = 90;                    // STK_AUDIT_RETENTION_DAYS
  int threads = 4;                 // STK_HUB_THREADS: request workers (blocking work: DB, argon2)
  int max_body_mb = 32;            // STK_HUB_MAX_BODY_MB: an apply uploads the whole project
  int long_poll_max_seconds = 60;  // cap on ?wait= of the feeds

  // Throws stk::Error(BadRequest) with the variable's name when a value is invalid or STK_SECRET_KEY is
  // missing.
  static HubConfig from_env();
};

}  // namespace stk::hub
