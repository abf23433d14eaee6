#pragma once
// The state directory of `stk dev` (default ./.stk-dev): the secrets generated at the first run and kept
// for the next ones, and a lock so two `stk dev` never share one directory.
//
//   secret.key       STK_SECRET_KEY of the Hub (32 random bytes, base64)      mode 0600
//   bridge.token     the service token shared by the Hub and the Bridge        mode 0600
//   owner.password   the password of the bootstrap owner dev@santokit.local   mode 0600
//   db.url           the URL of the project database (connection `main`)      mode 0600
//   hub.db           the Hub's SQLite store
//   hub.log, bridge.log, pg/ (the private PostgreSQL: data, server.log), bridge-cache/
#include <string>

#include "context.hpp"

namespace stk::cli::dev {

inline constexpr const char* kOwnerEmail = "dev@santokit.local";

class StateDir {
 public:
  // Creates the directory (mode 0700, or 0711 when `traversable`: the private PostgreSQL runs as the user
  // `postgres` and must reach pg/ inside it) and takes its lock; throws CliError when another `stk dev`
  // holds it.
  StateDir(fs::path dir, bool traversable);
  ~StateDir();
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  const fs::path& path() const { return dir_; }
  fs::path operator/(const std::string& name) const { return dir_ / name; }

  // The content of `name`; created with `generate()`'s value (mode 0600) when it does not exist yet.
  template <class Gen>
  std::string secret(const std::string& name, Gen generate) {
    if (auto v = read_secret(name)) return *v;
    return create_secret(name, generate());
  }
  // Replaces the file (mode 0600).
  void write_secret(const std::string& name, const std::string& value);

 private:
  std::optional<std::string> read_secret(const std::string& name) const;
  std::string create_secret(const std::string& name, const std::string& value);
  fs::path dir_;
  int lock_fd_ = -1;
};

// The file's content without trailing newlines; nullopt when it does not exist. Throws CliError when it
// exists but is empty or unreadable.
std::optional<std::string> read_trimmed(const fs::path& file);

// 32 random bytes, base64 (a Hub STK_SECRET_KEY).
std::string random_secret_key();
// `bytes` random bytes, base64url without padding (passwords, tokens).
std::string random_token(size_t bytes = 24);

}  // namespace stk::cli::dev
