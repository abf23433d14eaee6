#include "services/audit_log.hpp"

#include "services/hub_metrics.hpp"
#include "stk/core/log.hpp"
#include "stk/core/time.hpp"

namespace stk::hub {

AuditLog::AuditLog(Store& store, int flush_ms, size_t batch)
    : store_(store), flush_ms_(flush_ms), batch_(batch), writer_([this] { run(); }) {}

AuditLog::~AuditLog() {
  stop();
}

void AuditLog::record(AuditEntry e) {
  AuditRow row;
  row.ts = now_rfc3339();
  row.actor_id = std::move(e.actor_id);
  row.actor_type = std::move(e.actor_type);
  row.action = std::move(e.action);
  row.project = std::move(e.project);
  row.env = std::move(e.env);
  row.detail = e.detail.dump();
  row.ip = std::move(e.ip);
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(row));
    recorded_.push_back(Clock::now());
    wake = queue_.size() >= batch_;
  }
  if (wake) cv_.notify_one();
}

void AuditLog::write_batch(std::deque<AuditRow>& rows, std::deque<Clock::time_point>& recorded) {
  if (rows.empty()) return;
  std::vector<AuditRow> v(std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
  rows.clear();
  try {
    store_.insert_audit(v);
    auto& m = hub_metrics();
    const auto now = Clock::now();
    for (auto t : recorded)
      m.audit_write_duration.labels().observe(std::chrono::duration<double>(now - t).count());
    m.audit_entries.labels().inc(v.size());
  } catch (const std::exception& e) {
    // The store is the only durable place; report loudly with what was lost (no details: they may be large).
    log::error("audit log write failed", {{"entries", v.size()}, {"error", e.what()}});
  }
}

void AuditLog::flush() {
  std::lock_guard wl(write_mu_);
  std::deque<AuditRow> rows;
  std::deque<Clock::time_point> recorded;
  {
    std::lock_guard lock(mu_);
    rows.swap(queue_);
    recorded.swap(recorded_);
  }
  write_batch(rows, recorded);
}

void AuditLog::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_for(lock, std::chrono::milliseconds(flush_ms_),
                 [&] { return stopping_ || queue_.size() >= batch_; });
    bool stop = stopping_;
    lock.unlock();
    flush();
    lock.lock();
    if (stop && queue_.empty()) return;
  }
}

void AuditLog::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (writer_.joinable()) writer_.join();
  flush();
}

}  // namespace stk::hub
