#pragma once
// Local state of `stk`: the repo-local context file (.stk/context.json, found by walking up like git), the
// per-user credentials file, and the precedence rules that turn flags + environment + context into the Hub
// URL, project, env and token a command uses (spec hub-cli-schema §12.1).
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace stk::cli {

using J = nlohmann::ordered_json;  // keeps the Hub's key order when we print its responses
namespace fs = std::filesystem;

// Environment lookup; injectable for tests. Unset and empty both read as nullopt.
using EnvFn = std::function<std::optional<std::string>(const char*)>;
EnvFn process_env();

inline constexpr const char* kDefaultHubUrl = "http://127.0.0.1:4000";

// ---- context
// -------------------------------------------------------------------------------------------------

struct Context {
  std::optional<std::string> hub_url;  // "hubUrl"
  std::optional<std::string> project;
  std::optional<std::string> env;
  std::optional<std::string> connection;
  J extra = J::object();  // keys we do not know, preserved on rewrite

  // Throws stk::Error(BadRequest) when a known key is not a string or `j` is not an object.
  static Context from_json(const J& j);
  J to_json() const;
  // Every field set in `update` replaces ours; unset fields leave ours alone.
  void merge(const Context& update);
  bool empty() const;
};

// The first `<dir>/.stk/context.json` (a regular file) from `start` up to the filesystem root.
std::optional<fs::path> find_context_file(const fs::path& start);
// The first ancestor of `start` (inclusive) that holds a `.stk` directory.
std::optional<fs::path> find_stk_root(const fs::path& start);
// Where `context set` writes: the file found above `start`, else `<start>/.stk/context.json`.
fs::path context_file_for_write(const fs::path& start);
// The project folder `apply`/`schema validate` read by default: the directory holding the context's `.stk/`,
// else the first ancestor holding a `.stk/` directory, else `start`.
fs::path default_project_dir(const fs::path& start);

Context read_context(const fs::path& file);  // throws stk::Error(BadRequest) naming the file when malformed
void write_context(const fs::path& file, const Context& ctx);  // creates `.stk/` when missing

// ---- credentials
// ---------------------------------------------------------------------------------------------

// $STK_CONFIG_DIR/credentials.json, else $XDG_CONFIG_HOME/santokit/credentials.json, else
// $HOME/.config/santokit/credentials.json. Throws stk::Error(BadRequest) when none of them is set.
fs::path credentials_path(const EnvFn& env);

struct Credential {
  std::string token;
  std::string email;
};

// {"<hubUrl>": {"token": "...", "email": "..."}}; the file is written with mode 0600 (its directory 0700 when
// we create it), atomically (temp file + rename).
class CredentialStore {
 public:
  explicit CredentialStore(fs::path file);
  const fs::path& path() const { return path_; }
  std::optional<Credential> get(const std::string& hub_url) const;
  void set(const std::string& hub_url, const Credential& cred);  // saves
  bool erase(const std::string& hub_url);                        // saves when something was removed

 private:
  J load() const;
  void save(const J& data) const;
  fs::path path_;
};

// "http://h:4000/" -> "http://h:4000": the key of a Hub in the credentials file and the base URL we call.
std::string normalize_hub_url(std::string url);

// ---- precedence
// ----------------------------------------------------------------------------------------------

// --hub > STK_HUB_URL > context hubUrl > http://127.0.0.1:4000
std::string resolve_hub(const std::string& flag, const EnvFn& env, const Context& ctx);
// --project > STK_PROJECT > context project; nullopt when none is set.
std::optional<std::string> find_project(const std::string& flag, const EnvFn& env, const Context& ctx);
std::optional<std::string> find_env(const std::string& flag, const EnvFn& env, const Context& ctx);
// As above but throws stk::Error(BadRequest) "context not set: pass --project or run 'stk context set ...'".
std::string resolve_project(const std::string& flag, const EnvFn& env, const Context& ctx);
std::string resolve_env(const std::string& flag, const EnvFn& env, const Context& ctx);
// STK_AUTH_TOKEN > stored login for `hub_url`.
std::optional<std::string> resolve_token(const std::string& hub_url, const EnvFn& env,
                                         const CredentialStore* store);

// Project/env/connection names (spec §2): ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$
bool valid_name(const std::string& name);

}  // namespace stk::cli
