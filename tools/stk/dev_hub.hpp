#pragma once
// The Hub side of `stk dev`: the bootstrap owner's login, the project/env/connection, the apply of the
// project folder, API keys, and seeding the example through the Bridge with a short-lived admin key.
#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "hub_client.hpp"
#include "stk/model/project.hpp"

namespace stk::cli::dev {

inline constexpr const char* kRef = "dev";                // the ref of every apply stk dev runs
inline constexpr std::chrono::seconds kServeTimeout{60};  // for the Bridge to serve a release or know a key

// The session token of the bootstrap owner; a 401 becomes a CliError naming <state>/owner.password.
std::string login_owner(const std::string& hub_url, const std::string& password, const std::string& state);

// Creates the project and env unless they exist, sets connection `main` to `db_url` and tests it (CliError
// with `db_hint` when the database does not answer).
void bootstrap_env(HubClient& hub, const std::string& project, const std::string& env,
                   const std::string& db_url, const std::string& db_hint);

// `stk apply --ref dev` of the project folder, printing the result under an "apply" heading. A database that
// is new to the Hub (`db_is_new`: created now, or another --db-url than last time) differs from what the Hub
// applied before: that drift is reconciled with `apply --only schema` (never --force) before the full apply.
// Returns the release id; nullopt after printing (on `err`) why the apply failed.
std::optional<std::string> apply_project(std::ostream& out, std::ostream& err, HubClient& hub,
                                         const std::string& project, const std::string& env,
                                         const model::ProjectFiles& files, bool db_is_new,
                                         const std::string& dir);

// A key name unique per run: dev-YYYYMMDD-HHMMSS-xxxx.
std::string key_name();

struct ApiKey {
  std::string key_id;
  std::string secret;  // <keyId>.<secret>, what apps send
};
ApiKey create_key(HubClient& hub, const std::string& project, const std::string& env, const std::string& name,
                  const std::vector<std::string>& roles);

// Inserts the example rows through the Bridge with a temporary admin key (revoked afterwards, also on
// failure); returns "2 orgs, 3 teams, 4 users, 5 posts".
std::string seed_through_bridge(HubClient& hub, const std::string& project, const std::string& env,
                                const std::string& bridge_url);

}  // namespace stk::cli::dev
