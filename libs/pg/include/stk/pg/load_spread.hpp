#pragma once
// How many of a pool's connections share its load. Pool::pick() sends to the least outstanding of the first
// `width()` ready connections; the rest stay idle unless a statement at a head is slow (spill_after_us).
//
// Why not always all: on a small machine every busy backend is another process competing for the cores, and
// requests spread thin over many pipelines wait on more context switches (measured on 2 shared cores: p99
// halved with the load on one backend). Why not always one: a heavy statement mix keeps that one backend's
// core full while the rest of the machine idles (a page of 20 rows capped at 0.8x of pgbench).
//
// The signal, once per load window (the pool's 100 ms watchdog tick): every active backend was busy (had
// something in flight) nearly all the window AND the worker thread itself used under half a core — the
// worker mostly waits for PostgreSQL, so another backend adds capacity. Widen after kVotes such windows in a
// row. Narrow after kVotes windows where the worker used most of a core (it, not PostgreSQL, is what limits:
// another backend only adds a competing process) or where the load would fit on one backend fewer. The gap
// between the two CPU thresholds and the votes keep one noisy window from flipping the width.
#include <algorithm>

namespace stk::pg {

class LoadSpread {
 public:
  static constexpr double kSaturatedBusy = 0.9;  // a backend busy this share of the window is saturated
  static constexpr double kWaitingCpu = 0.5;  // worker CPU share below which it mostly waits for PostgreSQL
  static constexpr double kBusyCpu = 0.65;    // worker CPU share above which the worker is the limit
  static constexpr double kFitsBusy = 0.75;   // width-1 backends this busy would carry the load
  static constexpr int kVotes = 3;            // windows in a row before the width changes

  explicit LoadSpread(int max_width) : max_(std::max(1, max_width)) {}

  int width() const { return width_; }
  int max_width() const { return max_; }

  // One load window. worker_cpu: the worker thread's CPU time ÷ the window; min_busy / sum_busy: over the
  // active connections, the smallest busy share and their sum; ready: connections ready to take queries.
  void observe(double worker_cpu, double min_busy, double sum_busy, int ready) {
    if (width_ > std::max(1, ready)) width_ = std::max(1, ready);
    const bool widen =
        width_ < std::min(max_, ready) && min_busy >= kSaturatedBusy && worker_cpu < kWaitingCpu;
    const bool narrow = width_ > 1 && (worker_cpu >= kBusyCpu || sum_busy < (width_ - 1) * kFitsBusy);
    widen_votes_ = widen ? widen_votes_ + 1 : 0;
    narrow_votes_ = narrow ? narrow_votes_ + 1 : 0;
    if (widen_votes_ >= kVotes) {
      ++width_;
      widen_votes_ = 0;
    } else if (narrow_votes_ >= kVotes) {
      --width_;
      narrow_votes_ = 0;
    }
  }

 private:
  int max_;
  int width_ = 1;
  int widen_votes_ = 0;
  int narrow_votes_ = 0;
};

}  // namespace stk::pg
