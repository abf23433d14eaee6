#pragma once
// A fixed pool of threads for the Hub's blocking work (store, argon2, DDL).
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace stk::hub {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  void post(std::function<void()> job);
  void stop();  // runs what is queued, then joins

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace stk::hub
