#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "stk/pg/connection.hpp"

extern char** environ;

namespace stk::e2e {

namespace fs = std::filesystem;

ProcResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& cwd, const std::string& stdin_data, int timeout_seconds) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe)) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!stdin_data.empty()) {
    ssize_t w = write(in_pipe[1], stdin_data.data(), stdin_data.size());
    (void)w;
  }
  close(in_pipe[1]);
  ProcResult r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int n = poll(fds, 2, 200);
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      r.err += "\n[harness] timed out after " + std::to_string(timeout_seconds) + " s";
      break;
    }
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        (i == 0 ? out_open : err_open) = false;
      } else {
        (i == 0 ? r.out : r.err).append(buf, size_t(got));
      }
    }
  }
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

void write_file(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string pg_admin_url() {
  static std::string url = [] {
    if (const char* u = std::getenv("STK_TEST_PG_URL"); u && *u) return std::string(u);
    auto r = run({std::string(STK_SOURCE_DIR) + "/scripts/test-pg", "start"});
    if (r.exit_code != 0) throw std::runtime_error("scripts/test-pg start failed: " + r.err);
    auto out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }();
  return url;
}

std::string create_database(const std::string& prefix) {
  static std::mt19937_64 rng(std::random_device{}());
  std::string name = prefix + "_" + std::to_string(rng() % 1000000000ULL);
  auto admin = pg::Connection::connect(pg_admin_url(), 10);
  admin.exec("CREATE DATABASE \"" + name + "\"");
  std::string url = pg_admin_url();
  auto slash = url.rfind('/');
  return url.substr(0, slash + 1) + name;
}

std::vector<std::string> psql(const std::string& url, const std::string& sql) {
  auto conn = pg::Connection::connect(url, 10);
  auto res = conn.exec(sql);
  std::vector<std::string> rows;
  for (int r = 0; r < res.rows(); ++r) {
    std::string line;
    for (int c = 0; c < res.cols(); ++c) {
      if (c) line += '\t';
      line += std::string(res.value(r, c));
    }
    rows.push_back(line);
  }
  return rows;
}

Hub::Hub(std::map<std::string, std::string> extra_env) {
  dir_ = make_temp_dir("stk-hub");
  std::map<std::string, std::string> env = {
      {"STK_SECRET_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
      {"STK_HUB_DB_URL", "sqlite://" + dir_ + "/hub.db"},
      {"STK_HUB_PORT", "0"},
      {"STK_HUB_HOST", "127.0.0.1"},
      {"STK_HUB_BOOTSTRAP_OWNER_EMAIL", kOwnerEmail},
      {"STK_HUB_BOOTSTRAP_OWNER_PASSWORD", kOwnerPassword},
      {"STK_BRIDGE_TOKENS", kTestBridgeToken},
  };
  for (auto& [k, v] : extra_env) env[k] = v;
  std::string log_path = dir_ + "/hub.log";
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    close(fd);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    execl(STK_HUB_BIN, STK_HUB_BIN, nullptr);
    _exit(127);
  }
  // The Hub logs {"msg":"santokit-hub listening",...,"port":N} once it accepts connections.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(log_path);
    auto at = text.find("santokit-hub listening");
    if (at != std::string::npos) {
      auto p = text.find("\"port\":", at);
      if (p != std::string::npos) {
        port_ = std::atoi(text.c_str() + p + 7);
        return;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("santokit-hub exited at start:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("santokit-hub did not start within 20 s:\n" + read_file(log_path));
}

Hub::~Hub() {
  stop();
}

std::string Hub::log() const {
  return read_file(dir_ + "/hub.log");
}

void Hub::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool Bridge::available() {
  return access(binary().c_str(), X_OK) == 0;
}

std::string Bridge::binary() {
  return STK_BRIDGE_BIN;
}

Bridge::Bridge(std::string hub_url, std::map<std::string, std::string> extra_env) {
  dir_ = make_temp_dir("stk-bridge");
  env_ = {
      {"STK_HUB_URL", std::move(hub_url)}, {"STK_BRIDGE_TOKEN", kTestBridgeToken},
      {"STK_BRIDGE_HOST", "127.0.0.1"},    {"STK_BRIDGE_PORT", "0"},
      {"STK_BRIDGE_THREADS", "2"},         {"STK_BRIDGE_CACHE_DIR", cache_dir()},
  };
  for (auto& [k, v] : extra_env) env_[k] = v;
  start();
}

Bridge::~Bridge() {
  stop();
}

void Bridge::start() {
  if (!available()) throw std::runtime_error("santokit-bridge is not built: " + binary());
  std::string log_path = dir_ + "/bridge-" + std::to_string(++starts_) + ".log";
  port_ = 0;
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    close(fd);
    for (const auto& [k, v] : env_) setenv(k.c_str(), v.c_str(), 1);
    std::string bin = binary();
    execl(bin.c_str(), bin.c_str(), nullptr);
    _exit(127);
  }
  // The Bridge logs {"msg":"santokit-bridge listening",...,"port":N} once it accepts connections.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(log_path);
    auto at = text.find("santokit-bridge listening");
    if (at != std::string::npos) {
      auto p = text.find("\"port\":", at);
      if (p != std::string::npos) {
        port_ = std::atoi(text.c_str() + p + 7);
        if (port_ > 0) return;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("santokit-bridge exited at start:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill();
  throw std::runtime_error("santokit-bridge did not start within 20 s:\n" + read_file(log_path));
}

std::string Bridge::log() const {
  std::string all;
  for (int i = 1; i <= starts_; ++i) all += read_file(dir_ + "/bridge-" + std::to_string(i) + ".log");
  return all;
}

void Bridge::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill();
}

void Bridge::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void Bridge::restart() {
  stop();
  start();
}

bool RedisServer::available() {
  return access(binary().c_str(), X_OK) == 0;
}

std::string RedisServer::binary() {
  const char* env = std::getenv("STK_TEST_REDIS_SERVER");
  return env && *env ? env : "/usr/bin/redis-server";
}

namespace {

int free_tcp_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

bool tcp_accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

}  // namespace

RedisServer::RedisServer(std::string password) : password_(std::move(password)) {
  if (!available()) throw std::runtime_error("redis-server is not installed: " + binary());
  dir_ = make_temp_dir("stk-redis");
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_tcp_port();
    std::vector<std::string> args = {binary(), "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                     "--save", "",       "--appendonly",        "no",     "--dir",
                                     dir_};
    if (!password_.empty()) {
      args.push_back("--requirepass");
      args.push_back(password_);
    }
    const std::string log_path = dir_ + "/redis.log";
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (tcp_accepts(port_)) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // port taken meanwhile, or a bad argument: try again, then report
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
  }
  throw std::runtime_error("redis-server did not start:\n" + read_file(dir_ + "/redis.log"));
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string RedisServer::url() const {
  return "redis://" + (password_.empty() ? std::string() : ":" + password_ + "@") +
         "127.0.0.1:" + std::to_string(port_) + "/0";
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

Cli::Cli(std::string hub_url, std::string cwd) : hub_url_(std::move(hub_url)), cwd_(std::move(cwd)) {
  config_dir_ = make_temp_dir("stk-cli");
}

ProcResult Cli::operator()(const std::vector<std::string>& args, const std::string& stdin_data) const {
  std::vector<std::string> argv = {STK_CLI_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, {{"STK_HUB_URL", hub_url_}, {"STK_CONFIG_DIR", config_dir_}, {"STK_AUTH_TOKEN", ""}}, cwd_,
             stdin_data);
}

void Cli::login(const std::string& email, const std::string& password) const {
  auto r = (*this)({"login", "--email", email, "--password-stdin"}, password + "\n");
  if (r.exit_code != 0) throw std::runtime_error("stk login failed: " + r.all());
}

}  // namespace stk::e2e
