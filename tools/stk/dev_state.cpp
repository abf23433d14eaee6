#include "dev_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "output.hpp"
#include "stk/core/encoding.hpp"
#include "stk/core/ids.hpp"

namespace stk::cli::dev {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void write_all(int fd, const std::string& data, const fs::path& file) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw CliError("cannot write " + file.string() + ": " + std::strerror(errno));
    done += size_t(w);
  }
}

}  // namespace

StateDir::StateDir(fs::path dir, bool traversable) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw CliError("cannot create the state directory " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), traversable ? 0711 : 0700);
  fs::path lock = dir_ / "lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw CliError("cannot open " + lock.string() + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw CliError("another 'stk dev' is running with the state directory " + dir_.string(),
                   "stop it (Ctrl-C in its terminal) or pass another --state-dir");
  }
}

StateDir::~StateDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

std::optional<std::string> read_trimmed(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::ifstream f(file, std::ios::binary);
  if (!f) throw CliError("cannot read " + file.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string value = trimmed(ss.str());
  if (value.empty()) throw CliError(file.string() + " is empty", "delete it to generate a new one");
  return value;
}

std::optional<std::string> StateDir::read_secret(const std::string& name) const {
  auto value = read_trimmed(dir_ / name);
  if (value) ::chmod((dir_ / name).c_str(), 0600);  // state written by older scripts/dev was 0644
  return value;
}

std::string StateDir::create_secret(const std::string& name, const std::string& value) {
  fs::path file = dir_ / name;
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw CliError("cannot create " + file.string() + ": " + std::strerror(errno));
  try {
    write_all(fd, value + "\n", file);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return value;
}

void StateDir::write_secret(const std::string& name, const std::string& value) {
  fs::path file = dir_ / name;
  fs::path tmp = dir_ / (name + ".tmp");
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw CliError("cannot create " + tmp.string() + ": " + std::strerror(errno));
  try {
    write_all(fd, value + "\n", tmp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0)
    throw CliError("cannot write " + file.string() + ": " + std::strerror(errno));
}

std::string random_secret_key() {
  return base64_encode(random_bytes(32));
}

std::string random_token(size_t bytes) {
  return base64url_encode(random_bytes(bytes));
}

}  // namespace stk::cli::dev
