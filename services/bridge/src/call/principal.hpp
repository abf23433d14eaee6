#pragma once
// Credential resolution (spec bridge-crud §3): which caller, which roles, which project/env. The principal
// is the pipeline's only notion of "who": API keys now, end-user tokens later fill the same struct.
#include <string>
#include <utility>
#include <vector>

#include "release/snapshot.hpp"

namespace stk::bridge {

struct Principal {
  enum class Kind { ApiKey, EndUser };
  Kind kind = Kind::ApiKey;
  std::string id;   // keyId (API key) or sub (end user): rate-limit and log identity
  std::string sub;  // end users only; empty for API keys
  std::vector<std::string> roles;
  const EnvRelease* env = nullptr;  // the credential's binding (lives as long as the Snapshot)
  bool all_access = false;          // STK_DISABLE_AUTH: every rule check is bypassed (development only)
};

// Request headers as the HTTP server hands them over (names lowercased).
using Headers = std::vector<std::pair<std::string, std::string>>;

// Applies the slot precedence (X-Santokit-Api-Key > Authorization: Bearer > cookie) and the context rules.
// 401 when no credential or an invalid one; 403 when a hint header contradicts the binding; 503 when no
// release cache exists yet. `disable_auth` (STK_DISABLE_AUTH) admits callers without credentials to the env
// named by the hint headers, with every role.
Principal resolve_principal(const Headers& headers, const Snapshot& snap, bool disable_auth);

}  // namespace stk::bridge
