#pragma once
// Test harness for end-to-end tests: child processes with captured output, a private PostgreSQL, a real Hub.
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace stk::e2e {

struct ProcResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

// Runs argv[0] with args; `env` entries are added to (and override) the current environment.
ProcResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
               const std::string& cwd = "", const std::string& stdin_data = "", int timeout_seconds = 120);

std::string make_temp_dir(const std::string& prefix);
void write_file(const std::string& path, const std::string& content);  // creates parent dirs
std::string read_file(const std::string& path);

// URL of the shared test PostgreSQL: $STK_TEST_PG_URL, else `scripts/test-pg start`.
std::string pg_admin_url();
// Creates a fresh database and returns its URL.
std::string create_database(const std::string& name_prefix);
// Runs SQL (simple query) against a database URL; returns rows as tab-separated lines.
std::vector<std::string> psql(const std::string& url, const std::string& sql);

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Service token shared by the test Hub (STK_BRIDGE_TOKENS) and test Bridges (STK_BRIDGE_TOKEN).
inline constexpr const char* kTestBridgeToken = "bridge-token-for-tests";

// A santokit-hub process on a free port with its own SQLite store and bootstrap owner.
class Hub {
 public:
  static constexpr const char* kOwnerEmail = "owner@example.com";
  static constexpr const char* kOwnerPassword = "owner-password-1";

  explicit Hub(std::map<std::string, std::string> extra_env = {});
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  std::string log() const;  // everything the Hub wrote to stderr so far
  void stop();              // SIGTERM + wait
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A santokit-bridge process on a free port, syncing from a Hub, with its own release cache directory.
// stop()/kill() end the process; restart() starts it again with the same environment and cache directory
// (possibly on another port). The Bridge's stderr goes to <dir>/bridge-<n>.log, one file per start.
class Bridge {
 public:
  // True when the santokit-bridge binary has been built.
  static bool available();
  static std::string binary();

  explicit Bridge(std::string hub_url, std::map<std::string, std::string> extra_env = {});
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  bool running() const { return pid_ > 0; }
  std::string log() const;  // everything every start of this Bridge wrote to stderr
  void stop();              // SIGTERM + wait (SIGKILL after 5 s)
  void kill();              // SIGKILL + wait
  void restart();           // stop() if running, then start again (same env, same cache dir)
  const std::string& dir() const { return dir_; }
  std::string cache_dir() const { return dir_ + "/cache"; }

 private:
  void start();
  std::string dir_;
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
};

// A private redis-server (/usr/bin/redis-server, or $STK_TEST_REDIS_SERVER) on a free port: no persistence,
// its own temp dir, optional password. Killed by stop() or the destructor.
class RedisServer {
 public:
  static bool available();
  static std::string binary();

  explicit RedisServer(std::string password = "");
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // redis://[:password@]127.0.0.1:<port>/0
  std::string url() const;
  bool running() const { return pid_ > 0; }
  void stop();  // SIGKILL + wait (a crash, as far as the Bridges can tell)

 private:
  std::string dir_, password_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Runs `stk` against a Hub with its own config dir (credentials) and working directory.
class Cli {
 public:
  Cli(std::string hub_url, std::string cwd);
  ProcResult operator()(const std::vector<std::string>& args, const std::string& stdin_data = "") const;
  void login(const std::string& email, const std::string& password) const;  // asserts success
  const std::string& config_dir() const { return config_dir_; }

 private:
  std::string hub_url_, cwd_, config_dir_;
};

}  // namespace stk::e2e
