#include "dev_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "output.hpp"

extern char** environ;

namespace stk::cli::dev {

namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) {
  g_stop = 1;
}

bool is_executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::optional<fs::path> on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return std::nullopt;
  std::string all(path);
  size_t start = 0;
  while (start <= all.size()) {
    size_t colon = all.find(':', start);
    std::string dir = all.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() && is_executable(fs::path(dir) / name)) return fs::path(dir) / name;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return std::nullopt;
}

// Writes a prepared message in the forked child (async-signal-safe) and exits.
[[noreturn]] void child_fail(const std::string& message, int code) {
  ssize_t w = ::write(STDERR_FILENO, message.data(), message.size());
  (void)w;
  ::_exit(code);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a sleep or poll returns at once
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
}

bool stop_requested() {
  return g_stop != 0;
}

fs::path find_binary(const std::string& name, const std::string& flag, const std::string& build_subdir) {
  if (!flag.empty()) {
    fs::path p = fs::absolute(flag);
    if (!is_executable(p)) throw CliError(p.string() + " is not an executable file");
    return p;
  }
  std::vector<fs::path> tried;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = self.parent_path();
    for (const fs::path& p : {(dir / ".." / ".." / build_subdir / name).lexically_normal(), dir / name}) {
      if (is_executable(p)) return p;
      tried.push_back(p);
    }
  }
  if (auto p = on_path(name)) return *p;
  std::string where;
  for (const auto& p : tried) where += p.string() + ", ";
  throw CliError(name + " not found (looked at " + where + "and on PATH)",
                 "build it (cmake --build build --target " + name + ") or pass --" +
                     name.substr(name.find('-') + 1) + "-bin <path>");
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw CliError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw CliError(std::string("cannot find a free port: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// ---- Child
// -------------------------------------------------------------------------------------------------------

Child::Child(std::string name, const SpawnOptions& o)
    : name_(std::move(name)), log_(o.log), stop_signal_(o.stop_signal), stop_grace_(o.stop_grace) {
  // Everything the child needs is prepared here: between fork and exec only async-signal-safe calls.
  std::vector<std::string> argv_s = {o.binary.string()};
  argv_s.insert(argv_s.end(), o.args.begin(), o.args.end());
  std::map<std::string, std::string> overrides(o.env.begin(), o.env.end());
  std::vector<std::string> env_s;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    if (!overrides.count(kv.substr(0, kv.find('=')))) env_s.push_back(std::move(kv));
  }
  for (const auto& [k, v] : overrides) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string exec_failed = "stk dev: cannot execute " + o.binary.string() + "\n";
  const std::string cwd_failed = "stk dev: cannot enter " + o.cwd.string() + " as the child's user\n";
  const std::string user_failed = "stk dev: cannot switch to the child's user\n";

  int log_fd = ::open(o.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) throw CliError("cannot open " + o.log.string() + ": " + std::strerror(errno));
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw CliError("cannot start " + name_ + ": fork: " + std::strerror(err));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::umask(077);  // the Hub store, logs and caches are for this user only
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (o.run_as) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(o.run_as->gid) != 0 || ::setuid(o.run_as->uid) != 0)
        child_fail(user_failed, 126);
    }
    // After the user switch (it clears the setting): SIGTERM when stk dev dies, even by SIGKILL.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) child_fail(cwd_failed, 126);
    ::execve(argv[0], argv.data(), envp.data());
    child_fail(exec_failed, 127);
  }
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  pid_ = pid;
}

Child::~Child() {
  stop();
}

Child::Child(Child&& other) noexcept {
  *this = std::move(other);
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    stop();
    name_ = std::move(other.name_);
    pid_ = std::exchange(other.pid_, -1);
    status_ = other.status_;
    exited_ = other.exited_;
    log_ = std::move(other.log_);
    stop_signal_ = other.stop_signal_;
    stop_grace_ = other.stop_grace_;
  }
  return *this;
}

bool Child::running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    status_ = status;
    exited_ = true;
    return false;
  }
  return true;
}

std::string Child::exit_description() const {
  if (!exited_) return "is running";
  if (WIFEXITED(status_)) return "exited with status " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return "was killed by signal " + std::to_string(WTERMSIG(status_));
  return "exited";
}

int Child::exit_code() const {
  return exited_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

void Child::stop() {
  if (!running()) return;
  ::kill(pid_, stop_signal_);
  auto deadline = std::chrono::steady_clock::now() + stop_grace_;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = status;
  exited_ = true;
}

// ---- logs
// --------------------------------------------------------------------------------------------------------

std::uintmax_t file_size_or_zero(const fs::path& file) {
  std::error_code ec;
  auto n = fs::file_size(file, ec);
  return ec ? 0 : n;
}

namespace {
std::string read_from(const fs::path& file, std::uintmax_t offset) {
  std::ifstream f(file, std::ios::binary);
  if (!f) return {};
  f.seekg(std::streamoff(offset));
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

std::string log_tail(const fs::path& file, std::uintmax_t offset, int lines) {
  std::string text = read_from(file, offset);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t at = text.size();
  for (int i = 0; i < lines && at != std::string::npos && at > 0; ++i) at = text.rfind('\n', at - 1);
  std::string tail = (at == std::string::npos || at == 0) ? text : text.substr(at + 1);
  std::string out;
  std::istringstream in(tail);
  for (std::string line; std::getline(in, line);) out += "  | " + line + "\n";
  return out;
}

std::string wait_for_log_line(Child& child, std::uintmax_t offset, const std::string& marker,
                              std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::string text = read_from(child.log(), offset);
    if (auto at = text.find(marker); at != std::string::npos) {
      size_t begin = text.rfind('\n', at);
      begin = begin == std::string::npos ? 0 : begin + 1;
      size_t end = text.find('\n', at);
      return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    }
    if (!child.running())
      throw CliError(child.name() + " " + child.exit_description() + " during start; the end of " +
                     child.log().string() + ":\n" + log_tail(child.log(), offset));
    if (stop_requested()) throw Interrupted{};
    if (std::chrono::steady_clock::now() > deadline)
      throw CliError(child.name() + " did not start within " + std::to_string(timeout.count()) +
                     " s; the end of " + child.log().string() + ":\n" + log_tail(child.log(), offset));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int port_in_log_line(const std::string& line) {
  auto at = line.find("\"port\":");
  if (at == std::string::npos) return 0;
  return std::atoi(line.c_str() + at + 7);
}

}  // namespace stk::cli::dev
