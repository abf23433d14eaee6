#include "call/principal.hpp"

#include <cctype>
#include <unordered_map>

#include "stk/core/error.hpp"
#include "stk/core/time.hpp"
#include "stk/crypto/crypto.hpp"

namespace stk::bridge {
namespace {

std::string_view header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void check_hints(const Headers& req, const EnvRelease& env) {
  auto p = trim(header(req, "x-santokit-project"));
  auto e = trim(header(req, "x-santokit-env"));
  if (!p.empty() && p != env.project)
    throw Error(Code::Forbidden, "X-Santokit-Project does not match the credential's project");
  if (!e.empty() && e != env.env)
    throw Error(Code::Forbidden, "X-Santokit-Env does not match the credential's env");
}

// Verified keys per worker thread: the SHA-256 of the secret runs once per key and snapshot, not per request.
// The cache holds the snapshot it was built for, so a new snapshot (e.g. a revocation) empties it.
struct VerifiedKeys {
  uint64_t serial = 0;
  std::unordered_map<std::string, const ApiKeyEntry*> by_value;
};

const ApiKeyEntry* verify_key(std::string_view key, const Snapshot& snap) {
  thread_local VerifiedKeys cache;
  if (cache.serial != snap.serial || cache.by_value.size() > 4096) {
    cache.by_value.clear();
    cache.serial = snap.serial;
  }
  std::string value(key);
  auto hit = cache.by_value.find(value);
  if (hit != cache.by_value.end()) return hit->second;
  auto dot = key.find('.');
  auto it = snap.keys.find(std::string(key.substr(0, dot)));
  if (it == snap.keys.end() ||
      !crypto::equal_ct(crypto::sha256_hex(std::string(key.substr(dot + 1))), it->second.digest))
    return nullptr;
  cache.by_value.emplace(std::move(value), &it->second);
  return &it->second;
}

}  // namespace

Principal resolve_principal(const Headers& req, const Snapshot& snap, bool disable_auth) {
  auto key = trim(header(req, "x-santokit-api-key"));
  if (!key.empty()) {
    auto dot = key.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 >= key.size())
      throw Error(Code::Unauthorized,
                  "invalid API key: expected the '<keyId>.<secret>' value 'stk apikey create' printed");
    const ApiKeyEntry* entry = verify_key(key, snap);
    if (!entry) throw Error(Code::Unauthorized, "invalid or revoked API key");
    check_hints(req, *entry->env);
    entry->use->note(unix_ms() / 1000);
    Principal p;
    p.kind = Principal::Kind::ApiKey;
    p.id = entry->key_id;
    p.roles = entry->roles;
    p.env = entry->env.get();
    return p;
  }
  auto auth = trim(header(req, "authorization"));
  if (iequals_prefix(auth, "bearer ") && !trim(auth.substr(7)).empty())
    throw Error(Code::Unauthorized,
                "end-user access tokens are not accepted by this Bridge yet; use an API key");
  auto hp = trim(header(req, "x-santokit-project"));
  auto he = trim(header(req, "x-santokit-env"));
  if (!hp.empty() && !he.empty()) {
    std::string cookie_name = "stk_access_" + std::string(hp) + "_" + std::string(he) + "=";
    auto cookies = header(req, "cookie");
    if (cookies.find(cookie_name) != std::string_view::npos)
      throw Error(Code::Unauthorized,
                  "end-user access tokens are not accepted by this Bridge yet; use an API key");
  }
  if (disable_auth && !hp.empty() && !he.empty()) {
    const EnvRelease* env = snap.env(std::string(hp), std::string(he));
    if (!env) throw Error(Code::NotFound, "no release for " + std::string(hp) + "/" + std::string(he));
    Principal p;
    p.kind = Principal::Kind::ApiKey;
    p.id = "auth-disabled";
    p.all_access = true;
    p.env = env;
    return p;
  }
  throw Error(Code::Unauthorized, "missing credentials: send the header X-Santokit-Api-Key: <key>");
}

}  // namespace stk::bridge
