#include "services/config.hpp"

#include "stk/core/env.hpp"
#include "stk/core/error.hpp"

namespace stk::hub {

HubConfig HubConfig::from_env() {
  HubConfig c;
  c.host = env_or("STK_HUB_HOST", c.host);
  c.port = int(env_int("STK_HUB_PORT", c.port));
  if (c.port < 0 || c.port > 65535) throw Error(Code::BadRequest, "STK_HUB_PORT must be 0..65535");
  c.db_url = env_or("STK_HUB_DB_URL", c.db_url);
  if (c.db_url.rfind("postgres", 0) == 0)
    throw Error(
        Code::BadRequest,
        "STK_HUB_DB_URL: the PostgreSQL store is not available in this build; use sqlite:///path/hub.db");
  auto key = env("STK_SECRET_KEY");
  if (!key)
    throw Error(Code::BadRequest,
                "STK_SECRET_KEY is required (32 bytes, raw or base64); create one with: "
                "export STK_SECRET_KEY=$(head -c 32 /dev/urandom | base64)");
  c.secret_key = *key;
  if (auto t = env("STK_BRIDGE_TOKENS")) {
    size_t start = 0;
    while (start <= t->size()) {
      size_t comma = t->find(',', start);
      std::string tok = t->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!tok.empty()) c.bridge_tokens.push_back(tok);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  c.dev_mode = env_bool("STK_HUB_DEV_MODE", false);
  c.bootstrap_email = env_or("STK_HUB_BOOTSTRAP_OWNER_EMAIL", "");
  c.bootstrap_password = env_or("STK_HUB_BOOTSTRAP_OWNER_PASSWORD", "");
  c.session_ttl_hours = int(env_int("STK_HUB_SESSION_TTL_HOURS", c.session_ttl_hours));
  c.audit_retention_days = int(env_int("STK_AUDIT_RETENTION_DAYS", c.audit_retention_days));
  c.threads = int(env_int("STK_HUB_THREADS", c.threads));
  if (c.threads < 1) c.threads = 1;
  c.max_body_mb = int(env_int("STK_HUB_MAX_BODY_MB", c.max_body_mb));
  return c;
}

}  // namespace stk::hub
