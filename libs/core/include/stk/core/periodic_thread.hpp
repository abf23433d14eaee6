#pragma once
// A background thread that calls `tick` every `interval` until stop(). stop() wakes it at once (it never
// waits out the interval), lets a running tick finish, joins, and drops `tick` (and whatever it captured).
// Restartable after stop(). start/stop are for one owning thread; `tick` runs only on the background thread.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace stk {

class PeriodicThread {
 public:
  PeriodicThread() = default;
  ~PeriodicThread() { stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // No-op while running.
  void start(std::chrono::milliseconds interval, std::function<void()> tick);
  // No-op when not running.
  void stop();
  bool running() const { return thread_.joinable(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::function<void()> tick_;
  std::thread thread_;
};

}  // namespace stk
