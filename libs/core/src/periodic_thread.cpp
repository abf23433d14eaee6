#include "stk/core/periodic_thread.hpp"

namespace stk {

void PeriodicThread::start(std::chrono::milliseconds interval, std::function<void()> tick) {
  if (thread_.joinable()) return;
  stopping_ = false;
  tick_ = std::move(tick);
  thread_ = std::thread([this, interval] {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait_for(lock, interval, [this] { return stopping_; });
      if (stopping_) return;
      lock.unlock();
      tick_();
      lock.lock();
    }
  });
}

void PeriodicThread::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  tick_ = nullptr;
}

}  // namespace stk
