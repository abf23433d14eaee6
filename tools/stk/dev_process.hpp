#pragma once
// Child processes of `stk dev` (PostgreSQL, santokit-hub, santokit-bridge): locating their binaries, starting
// them with a private environment and a log file, waiting for their "listening" line, and stopping them.
// Each child runs in its own process group (a terminal Ctrl-C reaches only `stk dev`, which then stops the
// children in order) and gets SIGTERM from the kernel if `stk dev` itself dies (PR_SET_PDEATHSIG).
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "context.hpp"

namespace stk::cli::dev {

// Ctrl-C / SIGTERM handling: the handlers only set a flag; every wait loop of `stk dev` polls it.
void install_stop_handlers();
bool stop_requested();
// Thrown by a wait loop when stop_requested() became true.
struct Interrupted {};

// A binary for `stk dev`: `flag` when given (must be executable), else the build-tree sibling
// (<dir of stk>/../../<build_subdir>/<name>, i.e. build/tools/stk/stk -> build/services/hub/santokit-hub),
// else <dir of stk>/<name> (installed side by side), else `name` on PATH. Throws CliError naming where it
// looked and how to build it.
fs::path find_binary(const std::string& name, const std::string& flag, const std::string& build_subdir);

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
};

struct SpawnOptions {
  fs::path binary;
  std::vector<std::string> args;                         // after argv[0]
  std::vector<std::pair<std::string, std::string>> env;  // added to (and overriding) our environment
  fs::path log;                                          // stdout + stderr are appended here
  fs::path cwd;                                          // empty: ours
  std::optional<RunAs> run_as;                           // drop to this user first (we are root)
  int stop_signal = SIGTERM;                             // what stop() sends first
  std::chrono::milliseconds stop_grace{15000};           // then SIGKILL
};

class Child {
 public:
  Child() = default;
  Child(std::string name, const SpawnOptions& options);  // forks + execs; throws stk::Error on fork failure
  ~Child();                                              // stop()
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  const fs::path& log() const { return log_; }
  // Reaps the child when it has exited; false from then on.
  bool running();
  // "exited with status 1" / "was killed by signal 9" once !running().
  std::string exit_description() const;
  // The exit status once !running(); -1 when killed by a signal or still running.
  int exit_code() const;
  // stop_signal, wait up to stop_grace, then SIGKILL; waits for the exit. No-op when not running.
  void stop();

 private:
  std::string name_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  fs::path log_;
  int stop_signal_ = SIGTERM;
  std::chrono::milliseconds stop_grace_{15000};
};

// Size of a file (0 when missing): where a child's new log lines start.
std::uintmax_t file_size_or_zero(const fs::path& file);
// The last `lines` lines of the log from `offset` on, for error messages.
std::string log_tail(const fs::path& file, std::uintmax_t offset, int lines = 15);

// Waits until the child's log (from `offset`) has a line containing `marker`; returns that line. Throws
// CliError with the log tail when the child exits or `timeout` passes, Interrupted on Ctrl-C.
std::string wait_for_log_line(Child& child, std::uintmax_t offset, const std::string& marker,
                              std::chrono::seconds timeout);
// The `"port":N` field of a JSON log line ("santokit-hub listening"); 0 when absent.
int port_in_log_line(const std::string& line);

}  // namespace stk::cli::dev
