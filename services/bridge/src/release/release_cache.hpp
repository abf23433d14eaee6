#pragma once
// The one shared, mutable thing on the hot path: which Snapshot is current. Writers (the Hub sync thread)
// publish under a mutex; readers keep a per-thread copy and only take the mutex when the generation moved,
// so a request costs one relaxed atomic load, not a contended shared_ptr copy.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "release/snapshot.hpp"

namespace stk::bridge {

class ReleaseCache {
 public:
  // A reader's private copy (one per worker thread).
  struct Local {
    uint64_t generation = 0;
    std::shared_ptr<const Snapshot> snapshot;
  };

  void publish(std::shared_ptr<const Snapshot> s) {
    std::lock_guard lock(mu_);
    snap_ = std::move(s);
    confirmed_ms_.store(snap_ ? snap_->confirmed_at_ms : 0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  // The Hub confirmed the current state is unchanged (304): restarts the max-stale clock.
  void confirm(int64_t now_ms) { confirmed_ms_.store(now_ms, std::memory_order_relaxed); }
  int64_t confirmed_ms() const { return confirmed_ms_.load(std::memory_order_relaxed); }

  const std::shared_ptr<const Snapshot>& current(Local& local) const {
    uint64_t g = generation_.load(std::memory_order_acquire);
    if (g != local.generation) {
      std::lock_guard lock(mu_);
      local.snapshot = snap_;
      local.generation = generation_.load(std::memory_order_relaxed);
    }
    return local.snapshot;
  }
  std::shared_ptr<const Snapshot> current() const {
    std::lock_guard lock(mu_);
    return snap_;
  }
  bool loaded() const { return generation_.load(std::memory_order_acquire) > 0; }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snap_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> confirmed_ms_{0};
};

}  // namespace stk::bridge
