#pragma once
// Append-only audit log, written in batches (seed §5.3): entries queue in memory and a writer thread flushes
// every 100 ms or at 100 entries, whichever comes first. stop() (and the destructor) flush what is queued, so
// a clean shutdown loses nothing. Entries never carry secrets, tokens, URLs or key material.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace stk::hub {

struct AuditEntry {
  std::string actor_id;
  std::string actor_type = "operator";  // operator|system|bridge
  std::string action;                   // domain.verb
  std::string project, env;
  nlohmann::json detail = nlohmann::json::object();  // includes requestId and result
  std::string ip;
};

class AuditLog {
 public:
  explicit AuditLog(Store& store, int flush_ms = 100, size_t batch = 100);
  ~AuditLog();
  void record(AuditEntry e);  // never blocks on the store
  void flush();               // writes everything queued now (used before audit reads)
  void stop();

 private:
  void run();
  using Clock = std::chrono::steady_clock;
  void write_batch(std::deque<AuditRow>& rows, std::deque<Clock::time_point>& recorded);

  Store& store_;
  int flush_ms_;
  size_t batch_;
  std::mutex mu_;
  std::mutex write_mu_;
  std::condition_variable cv_;
  std::deque<AuditRow> queue_;
  std::deque<Clock::time_point> recorded_;  // when each queued entry was recorded (write latency metric)
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace stk::hub
