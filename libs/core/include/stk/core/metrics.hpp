#pragma once
// Prometheus metrics (text exposition format 0.0.4) for the Hub and the Bridge — spec sdk-mcp-observability
// §5, DESIGN.md Decision 8.
//
// Hot path: a series (one label combination) keeps one cache-line-sized cell per thread slot, so counting is
// an uncontended relaxed atomic add on the caller's own line; a scrape sums the slots. Looking a series up by
// its label values goes through a per-thread cache (no lock once a thread has seen the combination). Series
// are never freed, so a Counter& / Histogram& may be kept for the life of the process.
//
//   auto& requests = registry.counter("stk_bridge_requests_total", "Requests answered",
//                                     {"project", "env", "path", "status"});
//   requests.labels({"shop", "prod", "db/users/select", "2xx"}).inc();
//   std::string text = registry.render();   // GET /metrics
//
// Label values must come from a bounded set (release names, error codes, status classes), never from request
// ids, user ids, SQL or raw URLs. A family caps its series (kMaxSeriesPerFamily); past it, new combinations
// are counted in one series whose label values are all "other".
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace stk::metrics {

// Bucket upper bounds in seconds (spec §5).
std::span<const double> request_buckets();  // .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10
std::span<const double> db_buckets();       // .001 .005 .01 .025 .05 .1 .25 .5 1 2.5 (also CEL, audit)
std::span<const double> apply_buckets();    // .5 1 2.5 5 10 15 30 45 60 120

inline constexpr size_t kThreadSlots = 32;
inline constexpr size_t kMaxSeriesPerFamily = 5000;

class Counter {
 public:
  Counter();
  void inc(uint64_t n = 1) noexcept;
  uint64_t value() const noexcept;  // sum over thread slots

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> v{0};
  };
  std::unique_ptr<Cell[]> cells_;
};

class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double seconds) noexcept;
  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  std::span<const double> bounds() const { return bounds_; }

 private:
  struct alignas(64) Line {
    std::atomic<uint64_t> w[8];
  };
  std::atomic<uint64_t>& word(size_t slot, size_t i) const noexcept;

  std::span<const double> bounds_;
  size_t lines_per_slot_;  // per thread slot: a count per bound, +Inf, then the sum in ns; cache-line padded
  std::unique_ptr<Line[]> lines_;
};

// A value set by its owner (last write wins); for values that are only known at scrape time use a collector.
class Gauge {
 public:
  Gauge() = default;
  void set(double v) noexcept;
  void add(double v) noexcept;
  double value() const noexcept;

 private:
  std::atomic<uint64_t> bits_{0};  // the double's bit pattern
};

enum class Type { Counter, Gauge, Histogram };

// Writes families whose samples are computed at scrape time (pool gauges, process metrics, store counts):
// begin() once per family, then sample() per label combination.
class TextWriter {
 public:
  explicit TextWriter(std::string& out) : out_(out) {}
  void begin(std::string_view name, std::string_view help, Type type);
  void sample(std::string_view name, std::span<const std::string_view> label_names,
              std::span<const std::string_view> label_values, double value);
  void sample(std::string_view name, double value) { sample(name, {}, {}, value); }

 private:
  std::string& out_;
};

template <class Series>
class Family {
 public:
  // Finds or creates the series; `values` pair with the family's label names, in order.
  Series& labels(std::initializer_list<std::string_view> values);
  Series& labels(std::span<const std::string_view> values);
  Series& labels() { return labels(std::span<const std::string_view>()); }  // a family without labels

  std::string_view name() const { return name_; }

 private:
  friend class Registry;
  Family(std::string name, std::string help, Type type, std::vector<std::string> label_names,
         std::span<const double> bounds);
  void render(std::string& out) const;
  Series& create(std::string_view key, std::span<const std::string_view> values);

  uint64_t id_;  // process-unique (never reused), keys the per-thread lookup cache
  std::string name_, help_;
  Type type_;
  std::vector<std::string> label_names_;
  std::span<const double> bounds_;
  mutable std::mutex mu_;
  struct Entry {
    std::vector<std::string> values;
    std::unique_ptr<Series> series;
  };
  std::vector<Entry> entries_;                      // guarded by mu_; Series addresses stay stable
  std::unordered_map<std::string, Series*> index_;  // by cache key; guarded by mu_
  Series* overflow_ = nullptr;
};

using CounterFamily = Family<Counter>;
using HistogramFamily = Family<Histogram>;
using GaugeFamily = Family<Gauge>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Register at start-up (not thread-safe against render()). Names must follow Prometheus rules.
  CounterFamily& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string name, std::string help, std::vector<std::string> label_names,
                             std::span<const double> bounds);
  // Scrape-time families, rendered after the registered ones, in registration order.
  void collector(std::function<void(TextWriter&)> fn);

  // The whole exposition: every family, then collectors, then process_cpu_seconds_total,
  // process_resident_memory_bytes, process_open_fds and process_start_time_seconds.
  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// process_* families of the calling process (Linux /proc).
void write_process_metrics(TextWriter& w);

// "2xx", "4xx", "5xx" ... for an HTTP status.
std::string_view status_class(int status) noexcept;

}  // namespace stk::metrics
