// `stk dev` end to end (DESIGN Decision 6): one command brings up Hub + Bridge on free ports against a test
// database, applies and seeds the example, prints an API key and a curl that works; SIGTERM stops every
// child; a second run with the same state directory reuses everything.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"
#include "stk/http/client.hpp"

using namespace stk::e2e;
using nlohmann::json;
namespace fs = std::filesystem;

#ifndef STK_DEV_BRIDGE_BIN
#define STK_DEV_BRIDGE_BIN ""
#endif

namespace {

// `stk dev` running in the background with its stdout+stderr captured.
class DevProcess {
 public:
  DevProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      close(fds[0]);
      close(fds[1]);
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv;
      std::string bin = STK_DEV_CLI_BIN;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
  }
  ~DevProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  const std::string& output() const { return out_; }

  // Reads output until it contains `text`; false on timeout or when the process ended first.
  bool wait_for(const std::string& text, int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (out_.find(text) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !read_some(200)) return false;
    }
    return true;
  }

  // SIGTERM, then the exit code (reads the remaining output); -1 when it did not exit within `seconds`.
  int terminate(int seconds) {
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      read_some(100);
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        while (read_some(0)) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return -1;
  }

  // The rest of the line after `prefix` (first occurrence).
  std::string line_after(const std::string& prefix) const {
    auto at = out_.find(prefix);
    if (at == std::string::npos) return {};
    at += prefix.size();
    return out_.substr(at, out_.find('\n', at) - at);
  }

 private:
  bool read_some(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return true;  // nothing yet, still open
    char buf[8192];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    out_.append(buf, size_t(n));
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string out_;
};

struct CallAnswer {
  int status = 0;
  json body;
};

CallAnswer call(const std::string& bridge_url, const std::string& key, const json& body) {
  stk::http::Client client(bridge_url);
  auto r = client.request("POST", "/call",
                          {{"X-Santokit-Api-Key", key}, {"Content-Type", "application/json"}}, body.dump());
  return {r.status, json::parse(r.body, nullptr, false)};
}

bool process_gone(pid_t pid) {
  return kill(pid, 0) != 0 && errno == ESRCH;
}

pid_t read_pid(const std::string& file) {
  return pid_t(std::atoi(read_file(file).c_str()));
}

struct DevRun {
  std::string key;
  std::string bridge_url;
  std::string curl_body;
};

// Starts `stk dev`, waits for its curl line and returns the key, the Bridge URL and the curl's JSON body.
DevRun parse_banner(DevProcess& dev) {
  EXPECT_TRUE(dev.wait_for("curl -s http://", 180)) << dev.output();
  DevRun banner;
  banner.key = dev.line_after("export STK_API_KEY=");
  std::string curl = dev.line_after("curl -s ");
  banner.bridge_url = curl.substr(0, curl.find("/call"));
  auto body_at = curl.find("-d '");
  if (body_at != std::string::npos)
    banner.curl_body = curl.substr(body_at + 4, curl.rfind('\'') - body_at - 4);
  return banner;
}

// The Bridge binary: $STK_DEV_BRIDGE_BIN (a build tree without the Bridge target), else the build's.
std::string bridge_binary() {
  const char* env = std::getenv("STK_DEV_BRIDGE_BIN");
  std::string bin = env && *env ? env : STK_DEV_BRIDGE_BIN;
  return !bin.empty() && fs::exists(bin) ? bin : "";
}

// A copy of examples/blog (stk dev writes .stk/context.json into the project folder).
std::string copy_example() {
  const std::string project = make_temp_dir("stk-dev-project");
  for (const char* sub : {"/schema", "/config"})
    fs::copy(std::string(STK_DEV_SOURCE_DIR) + "/examples/blog" + sub, project + sub,
             fs::copy_options::recursive);
  return project;
}

}  // namespace

TEST(Dev, OneCommandStackServesTheExampleAndStopsCleanly) {
  const std::string bridge_bin = bridge_binary();
  if (bridge_bin.empty()) GTEST_SKIP() << "santokit-bridge is not built";
  const std::string db_url = create_database("stk_dev");
  const std::string state = make_temp_dir("stk-dev-state");
  const std::string config = make_temp_dir("stk-dev-config");
  const std::string project = copy_example();
  const std::vector<std::string> args = {"dev",
                                         "--state-dir",
                                         state,
                                         "--db-url",
                                         db_url,
                                         "--hub-port",
                                         "0",
                                         "--bridge-port",
                                         "0",
                                         "--project-dir",
                                         project,
                                         "--hub-bin",
                                         STK_DEV_HUB_BIN,
                                         "--bridge-bin",
                                         bridge_bin};
  const std::map<std::string, std::string> env = {{"STK_CONFIG_DIR", config}, {"STK_AUTH_TOKEN", ""}};

  {
    DevProcess dev(args, env);
    DevRun banner = parse_banner(dev);
    ASSERT_EQ(banner.key.rfind("key_", 0), 0u) << dev.output();
    ASSERT_EQ(banner.bridge_url.rfind("http://127.0.0.1:", 0), 0u) << dev.output();
    EXPECT_NE(dev.output().find("seed      2 orgs, 3 teams, 4 users, 5 posts"), std::string::npos)
        << dev.output();

    // The printed curl, as an app would send it: 2 posts with author -> team -> org expanded.
    json body = json::parse(banner.curl_body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << banner.curl_body;
    CallAnswer r = call(banner.bridge_url, banner.key, body);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    ASSERT_EQ(r.body["data"].size(), 2u) << r.body.dump();
    for (const auto& row : r.body["data"]) {
      EXPECT_TRUE(row.contains("title")) << row.dump();
      ASSERT_TRUE(row["author"].is_object()) << row.dump();
      EXPECT_FALSE(row["author"].contains("email")) << "writer keys must not see e-mails: " << row.dump();
    }

    // The three hops of the seed's scenario, with each hop's permitted columns.
    r = call(banner.bridge_url, banner.key,
             {{"path", "db/posts/select"},
              {"params",
               {{"where", {{"title", "Notes on the Analytical Engine"}}}, {"expand", {"author.team.org"}}}}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    ASSERT_EQ(r.body["data"].size(), 1u) << r.body.dump();
    const json& author = r.body["data"][0]["author"];
    EXPECT_EQ(author["display_name"], "Ada Lovelace") << r.body.dump();
    EXPECT_EQ(author["team"]["name"], "Platform") << r.body.dump();
    EXPECT_EQ(author["team"]["org"]["name"], "Acme") << r.body.dump();

    // The writer key inserts drafts but may not delete.
    json draft = {{"author_id", r.body["data"][0]["author_id"]}, {"title", "From the test"}};
    r = call(banner.bridge_url, banner.key, {{"path", "db/posts/insert"}, {"params", {{"values", draft}}}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["data"][0]["status"], "draft") << r.body.dump();
    r = call(banner.bridge_url, banner.key,
             {{"path", "db/posts/delete"}, {"params", {{"where", {{"title", "From the test"}}}}}});
    EXPECT_EQ(r.status, 403) << r.body.dump();
    EXPECT_EQ(psql(db_url, "SELECT count(*) FROM posts"), std::vector<std::string>{"6"});

    // The operator session is stored like `stk login`, the project folder has its context: `stk` works there
    // without flags, and `stk apikey list` shows the printed key as used (the dev Bridge reports every 2 s).
    EXPECT_NE(read_file(config + "/credentials.json").find("http://127.0.0.1:"), std::string::npos);
    std::string last_used;
    for (int i = 0; i < 60 && last_used.empty(); ++i) {
      auto list = run({STK_DEV_CLI_BIN, "apikey", "list", "--output", "json"}, env, project);
      ASSERT_EQ(list.exit_code, 0) << list.all();
      for (const auto& k : json::parse(list.out))
        if (banner.key.rfind(k["keyId"].get<std::string>() + ".", 0) == 0 && k["lastUsedAt"].is_string())
          last_used = k["lastUsedAt"].get<std::string>();
      if (last_used.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_FALSE(last_used.empty()) << "the key stk dev printed has no lastUsedAt after 6 s";
    EXPECT_NE(read_file(project + "/.stk/context.json").find("\"project\": \"blog\""), std::string::npos)
        << read_file(project + "/.stk/context.json");
    // The secrets stay private.
    for (const char* f : {"/secret.key", "/bridge.token", "/owner.password", "/db.url"})
      EXPECT_EQ(fs::status(state + f).permissions() & fs::perms::all,
                fs::perms::owner_read | fs::perms::owner_write)
          << f;

    pid_t hub = read_pid(state + "/hub.pid"), bridge = read_pid(state + "/bridge.pid");
    ASSERT_GT(hub, 0);
    ASSERT_GT(bridge, 0);
    EXPECT_FALSE(process_gone(hub));
    EXPECT_EQ(dev.terminate(60), 0) << dev.output();
    EXPECT_TRUE(process_gone(hub));
    EXPECT_TRUE(process_gone(bridge));
    EXPECT_FALSE(fs::exists(state + "/hub.pid"));
  }

  // Same state directory again: same Hub store and data, no second seed, a fresh key that works.
  {
    DevProcess dev(args, env);
    DevRun banner = parse_banner(dev);
    EXPECT_NE(dev.output().find("seed      skipped"), std::string::npos) << dev.output();
    EXPECT_NE(dev.output().find("(reused)"), std::string::npos) << dev.output();
    CallAnswer r = call(banner.bridge_url, banner.key, json::parse(banner.curl_body));
    EXPECT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(psql(db_url, "SELECT count(*) FROM posts"), std::vector<std::string>{"6"});
    EXPECT_EQ(dev.terminate(60), 0) << dev.output();
  }
  for (const auto& dir : {state, config, project}) fs::remove_all(dir);
}

// Without --db-url: the private PostgreSQL (initdb at the first run, as the user postgres when root) is
// started, used and stopped with the rest.
TEST(Dev, PrivatePostgresIsStartedAndStopped) {
  const std::string bridge_bin = bridge_binary();
  if (bridge_bin.empty()) GTEST_SKIP() << "santokit-bridge is not built";
  const std::string state = make_temp_dir("stk-dev-state");
  const std::string config = make_temp_dir("stk-dev-config");
  const std::string project = copy_example();
  DevProcess dev({"dev", "--state-dir", state, "--hub-port", "0", "--bridge-port", "0", "--project-dir",
                  project, "--hub-bin", STK_DEV_HUB_BIN, "--bridge-bin", bridge_bin},
                 {{"STK_CONFIG_DIR", config}, {"STK_AUTH_TOKEN", ""}});
  DevRun banner = parse_banner(dev);
  EXPECT_NE(dev.output().find("database blog_dev"), std::string::npos) << dev.output();
  CallAnswer r = call(banner.bridge_url, banner.key, json::parse(banner.curl_body, nullptr, false));
  ASSERT_EQ(r.status, 200) << r.body.dump() << dev.output();
  EXPECT_EQ(r.body["data"].size(), 2u) << r.body.dump();
  // The full URL is kept for psql (README tour) and works.
  EXPECT_EQ(psql(read_file(state + "/db.url").substr(0, read_file(state + "/db.url").find('\n')),
                 "SELECT count(*) FROM orgs"),
            std::vector<std::string>{"2"});
  pid_t postgres = read_pid(state + "/postgres.pid");
  ASSERT_GT(postgres, 0);
  EXPECT_EQ(dev.terminate(60), 0) << dev.output();
  EXPECT_TRUE(process_gone(postgres));
  for (const auto& dir : {state, config, project}) fs::remove_all(dir);
}
