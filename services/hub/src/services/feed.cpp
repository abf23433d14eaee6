#include "services/feed.hpp"

#include <algorithm>

namespace stk::hub {

Feed::Feed() : thread_([this] { run(); }) {}
Feed::~Feed() {
  stop();
}

void Feed::wait(const std::string& topic, std::chrono::milliseconds wait, Waiter w) {
  auto p = std::make_unique<Parked>(Parked{topic, std::chrono::steady_clock::now() + wait, std::move(w)});
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      ready_.emplace_back(std::move(p->w), false);
    } else {
      by_topic_.emplace(topic, p.get());
      parked_.push_back(std::move(p));
    }
  }
  cv_.notify_one();
}

void Feed::bump(const std::string& topic) {
  {
    std::lock_guard lock(mu_);
    auto wake = [this](const std::string& t) {
      auto [b, e] = by_topic_.equal_range(t);
      for (auto it = b; it != e; ++it) {
        ready_.emplace_back(std::move(it->second->w), true);
        it->second->w = nullptr;
      }
      by_topic_.erase(b, e);
    };
    wake(topic);
    if (topic != kAnyTopic) wake(kAnyTopic);
    std::erase_if(parked_, [](const auto& p) { return !p->w; });
  }
  cv_.notify_one();
}

size_t Feed::waiting() const {
  std::lock_guard lock(mu_);
  return parked_.size();
}

void Feed::run() {
  std::unique_lock lock(mu_);
  while (true) {
    auto now = std::chrono::steady_clock::now();
    for (auto it = by_topic_.begin(); it != by_topic_.end();) {
      if (stopping_ || it->second->deadline <= now) {
        ready_.emplace_back(std::move(it->second->w), false);
        it->second->w = nullptr;
        it = by_topic_.erase(it);
      } else {
        ++it;
      }
    }
    std::erase_if(parked_, [](const auto& p) { return !p->w; });
    if (!ready_.empty()) {
      auto batch = std::move(ready_);
      ready_.clear();
      lock.unlock();
      for (auto& [w, changed] : batch)
        if (w) w(changed);
      lock.lock();
      continue;
    }
    if (stopping_) return;
    auto next = now + std::chrono::seconds(1);
    for (const auto& p : parked_) next = std::min(next, p->deadline);
    cv_.wait_until(lock, next);
  }
}

void Feed::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

}  // namespace stk::hub
