#pragma once
// Long-poll support for the release and API-key feeds (DESIGN "Hub -> Bridge propagation"): a Bridge asks
// with the version it has; if that is still current the request parks here and is answered the moment the
// version moves (or with "unchanged" at its deadline). Waiters never hold a thread.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stk::hub {

class Feed {
 public:
  // Called with changed=true when the topic moved, false at the deadline. Runs on the feed's thread.
  using Waiter = std::function<void(bool changed)>;
  // Waiters on this topic wake on every bump of any topic (the Bridge's whole-state feed).
  static constexpr const char* kAnyTopic = "*";

  Feed();
  ~Feed();
  // Parks `w` until `topic` is bumped or `wait` elapses.
  void wait(const std::string& topic, std::chrono::milliseconds wait, Waiter w);
  // Wakes every waiter of `topic` (call after the change is committed).
  void bump(const std::string& topic);
  void stop();
  size_t waiting() const;

 private:
  struct Parked {
    std::string topic;
    std::chrono::steady_clock::time_point deadline;
    Waiter w;
  };
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::string, Parked*> by_topic_;
  std::vector<std::unique_ptr<Parked>> parked_;
  std::vector<std::pair<Waiter, bool>> ready_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace stk::hub
