#include "stk/core/metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace stk::metrics {

namespace {

constexpr std::array<double, 11> kRequest = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
constexpr std::array<double, 10> kDb = {.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5};
constexpr std::array<double, 10> kApply = {.5, 1, 2.5, 5, 10, 15, 30, 45, 60, 120};

std::atomic<uint64_t> g_next_slot{0};
std::atomic<uint64_t> g_next_family{1};

// The calling thread's slot. Threads beyond kThreadSlots share slots; the adds stay atomic, so sharing only
// costs contention, never a lost count.
size_t slot() noexcept {
  thread_local const size_t s = g_next_slot.fetch_add(1, std::memory_order_relaxed) % kThreadSlots;
  return s;
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Label value escaping of the text format: backslash, double quote and newline.
void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

// HELP text escaping: backslash and newline.
void append_help(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void append_labels(std::string& out, std::span<const std::string> names, std::span<const std::string> values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    append_escaped(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

const char* type_name(Type t) {
  switch (t) {
    case Type::Counter:
      return "counter";
    case Type::Gauge:
      return "gauge";
    case Type::Histogram:
      return "histogram";
  }
  return "untyped";
}

void append_header(std::string& out, std::string_view name, std::string_view help, Type type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  append_help(out, help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type_name(type);
  out += '\n';
}

}  // namespace

std::span<const double> request_buckets() {
  return kRequest;
}
std::span<const double> db_buckets() {
  return kDb;
}
std::span<const double> apply_buckets() {
  return kApply;
}

std::string_view status_class(int status) noexcept {
  switch (status / 100) {
    case 1:
      return "1xx";
    case 2:
      return "2xx";
    case 3:
      return "3xx";
    case 4:
      return "4xx";
    default:
      return "5xx";
  }
}

// ---- Counter / Gauge / Histogram
// ----------------------------------------------------------------------------

Counter::Counter() : cells_(new Cell[kThreadSlots]) {}

void Counter::inc(uint64_t n) noexcept {
  cells_[slot()].v.fetch_add(n, std::memory_order_relaxed);
}

uint64_t Counter::value() const noexcept {
  uint64_t sum = 0;
  for (size_t i = 0; i < kThreadSlots; ++i) sum += cells_[i].v.load(std::memory_order_relaxed);
  return sum;
}

void Gauge::set(double v) noexcept {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits_.store(bits, std::memory_order_relaxed);
}

void Gauge::add(double v) noexcept {
  uint64_t old = bits_.load(std::memory_order_relaxed);
  for (;;) {
    double cur;
    std::memcpy(&cur, &old, sizeof cur);
    double next = cur + v;
    uint64_t bits;
    std::memcpy(&bits, &next, sizeof bits);
    if (bits_.compare_exchange_weak(old, bits, std::memory_order_relaxed)) return;
  }
}

double Gauge::value() const noexcept {
  uint64_t bits = bits_.load(std::memory_order_relaxed);
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds),
      lines_per_slot_((bounds.size() + 2 + 7) / 8),
      lines_(new Line[lines_per_slot_ * kThreadSlots]) {
  for (size_t i = 0; i < lines_per_slot_ * kThreadSlots; ++i)
    for (auto& w : lines_[i].w) w.store(0, std::memory_order_relaxed);
}

std::atomic<uint64_t>& Histogram::word(size_t s, size_t i) const noexcept {
  return lines_[s * lines_per_slot_ + i / 8].w[i % 8];
}

void Histogram::observe(double seconds) noexcept {
  if (!(seconds >= 0)) seconds = 0;  // also NaN
  size_t b = 0;
  while (b < bounds_.size() && seconds > bounds_[b]) ++b;  // b == size() is +Inf
  const size_t s = slot();
  word(s, b).fetch_add(1, std::memory_order_relaxed);
  const double ns = std::min(seconds * 1e9, 1.8e19);
  word(s, bounds_.size() + 1).fetch_add(uint64_t(ns), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  std::vector<uint64_t> per(bounds_.size() + 1, 0);
  uint64_t sum_ns = 0;
  for (size_t s = 0; s < kThreadSlots; ++s) {
    for (size_t b = 0; b <= bounds_.size(); ++b) per[b] += word(s, b).load(std::memory_order_relaxed);
    sum_ns += word(s, bounds_.size() + 1).load(std::memory_order_relaxed);
  }
  uint64_t running = 0;
  snap.cumulative.reserve(per.size());
  for (uint64_t c : per) snap.cumulative.push_back(running += c);
  snap.count = running;
  snap.sum = double(sum_ns) / 1e9;
  return snap;
}

// ---- TextWriter
// ------------------------------------------------------------------------------------------------

void TextWriter::begin(std::string_view name, std::string_view help, Type type) {
  append_header(out_, name, help, type);
}

void TextWriter::sample(std::string_view name, std::span<const std::string_view> label_names,
                        std::span<const std::string_view> label_values, double value) {
  out_ += name;
  if (!label_names.empty()) {
    out_ += '{';
    for (size_t i = 0; i < label_names.size(); ++i) {
      if (i) out_ += ',';
      out_ += label_names[i];
      out_ += "=\"";
      append_escaped(out_, i < label_values.size() ? label_values[i] : std::string_view());
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  append_number(out_, value);
  out_ += '\n';
}

// ---- Family
// -----------------------------------------------------------------------------------------------------

template <class Series>
Family<Series>::Family(std::string name, std::string help, Type type, std::vector<std::string> label_names,
                       std::span<const double> bounds)
    : id_(g_next_family.fetch_add(1)),
      name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(bounds) {}

template <class Series>
Series& Family<Series>::labels(std::initializer_list<std::string_view> values) {
  return labels(std::span<const std::string_view>(values.begin(), values.size()));
}

template <class Series>
Series& Family<Series>::labels(std::span<const std::string_view> values) {
  if (values.size() != label_names_.size())
    throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(label_names_.size()) +
                                " label values");
  // Per-thread cache: family id + values joined by an unprintable separator.
  thread_local std::string key;
  thread_local std::unordered_map<std::string, void*> cache;
  key.assign(reinterpret_cast<const char*>(&id_), sizeof id_);
  for (auto v : values) {
    key.append(v);
    key.push_back('\x1f');
  }
  if (auto it = cache.find(key); it != cache.end()) return *static_cast<Series*>(it->second);
  Series& s = create(key, values);
  if (&s != overflow_) cache.emplace(key, &s);
  return s;
}

template <class Series>
Series& Family<Series>::create(std::string_view key, std::span<const std::string_view> values) {
  std::lock_guard lock(mu_);
  if (auto it = index_.find(std::string(key)); it != index_.end()) return *it->second;
  auto make = [&]() {
    if constexpr (std::is_same_v<Series, Histogram>)
      return std::make_unique<Histogram>(bounds_);
    else
      return std::make_unique<Series>();
  };
  if (entries_.size() >= kMaxSeriesPerFamily) {
    if (!overflow_) {
      Entry e{std::vector<std::string>(label_names_.size(), "other"), make()};
      overflow_ = e.series.get();
      entries_.push_back(std::move(e));
    }
    return *overflow_;
  }
  Entry e{std::vector<std::string>(values.begin(), values.end()), make()};
  Series& s = *e.series;
  entries_.push_back(std::move(e));
  index_.emplace(std::string(key), &s);
  return s;
}

template <class Series>
void Family<Series>::render(std::string& out) const {
  append_header(out, name_, help_, type_);
  std::vector<const Entry*> sorted;
  {
    std::lock_guard lock(mu_);
    for (auto& e : entries_) sorted.push_back(&e);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const Entry* a, const Entry* b) { return a->values < b->values; });
  for (const Entry* e : sorted) {
    if constexpr (std::is_same_v<Series, Histogram>) {
      auto snap = e->series->snapshot();
      for (size_t b = 0; b <= bounds_.size(); ++b) {
        out += name_;
        out += "_bucket";
        std::string le;
        if (b < bounds_.size())
          append_number(le, bounds_[b]);
        else
          le = "+Inf";
        append_labels(out, label_names_, e->values, "le", le);
        out += ' ';
        append_uint(out, snap.cumulative[b]);
        out += '\n';
      }
      out += name_;
      out += "_sum";
      append_labels(out, label_names_, e->values);
      out += ' ';
      append_number(out, snap.sum);
      out += '\n';
      out += name_;
      out += "_count";
      append_labels(out, label_names_, e->values);
      out += ' ';
      append_uint(out, snap.count);
      out += '\n';
    } else {
      out += name_;
      append_labels(out, label_names_, e->values);
      out += ' ';
      if constexpr (std::is_same_v<Series, Counter>)
        append_uint(out, e->series->value());
      else
        append_number(out, e->series->value());
      out += '\n';
    }
  }
}

template class Family<Counter>;
template class Family<Histogram>;
template class Family<Gauge>;

// ---- Registry
// -----------------------------------------------------------------------------------------------------

struct Registry::Impl {
  std::vector<std::unique_ptr<CounterFamily>> counters;
  std::vector<std::unique_ptr<GaugeFamily>> gauges;
  std::vector<std::unique_ptr<HistogramFamily>> histograms;
  std::vector<std::function<void(std::string&)>> order;  // render calls in registration order
  std::vector<std::function<void(TextWriter&)>> collectors;
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

CounterFamily& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  const bool unlabelled = label_names.empty();
  auto* f = new CounterFamily(std::move(name), std::move(help), Type::Counter, std::move(label_names), {});
  impl_->counters.emplace_back(f);
  impl_->order.emplace_back([f](std::string& out) { f->render(out); });
  if (unlabelled) f->labels(std::span<const std::string_view>());  // shows 0 before the first event
  return *f;
}

GaugeFamily& Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  const bool unlabelled = label_names.empty();
  auto* f = new GaugeFamily(std::move(name), std::move(help), Type::Gauge, std::move(label_names), {});
  impl_->gauges.emplace_back(f);
  impl_->order.emplace_back([f](std::string& out) { f->render(out); });
  if (unlabelled) f->labels(std::span<const std::string_view>());
  return *f;
}

HistogramFamily& Registry::histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                     std::span<const double> bounds) {
  const bool unlabelled = label_names.empty();
  auto* f =
      new HistogramFamily(std::move(name), std::move(help), Type::Histogram, std::move(label_names), bounds);
  impl_->histograms.emplace_back(f);
  impl_->order.emplace_back([f](std::string& out) { f->render(out); });
  if (unlabelled) f->labels(std::span<const std::string_view>());
  return *f;
}

void Registry::collector(std::function<void(TextWriter&)> fn) {
  impl_->collectors.push_back(std::move(fn));
}

std::string Registry::render() const {
  std::string out;
  out.reserve(16 * 1024);
  for (auto& r : impl_->order) r(out);
  TextWriter w(out);
  for (auto& c : impl_->collectors) c(w);
  write_process_metrics(w);
  return out;
}

// ---- process metrics
// ---------------------------------------------------------------------------------------------

void write_process_metrics(TextWriter& w) {
  const double ticks = double(sysconf(_SC_CLK_TCK));
  double cpu = 0, start = 0;
  {
    std::ifstream f("/proc/self/stat");
    std::string line;
    std::getline(f, line);
    // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15, starttime 22.
    auto close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream in(line.substr(close + 2));
      std::vector<std::string> fields;
      for (std::string t; in >> t;) fields.push_back(t);
      if (fields.size() > 19) {
        cpu = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
        double boot = 0;
        std::ifstream st("/proc/stat");
        for (std::string l; std::getline(st, l);)
          if (l.rfind("btime ", 0) == 0) boot = std::stod(l.substr(6));
        start = boot + std::stod(fields[19]) / ticks;
      }
    }
  }
  double rss = 0;
  {
    std::ifstream f("/proc/self/statm");
    double size = 0, resident = 0;
    if (f >> size >> resident) rss = resident * double(sysconf(_SC_PAGESIZE));
  }
  double fds = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (auto* e = readdir(d))
      if (e->d_name[0] != '.') ++fds;
    closedir(d);
    fds -= 1;  // the directory stream itself
  }
  w.begin("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Type::Counter);
  w.sample("process_cpu_seconds_total", cpu);
  w.begin("process_resident_memory_bytes", "Resident memory size in bytes.", Type::Gauge);
  w.sample("process_resident_memory_bytes", rss);
  w.begin("process_open_fds", "Number of open file descriptors.", Type::Gauge);
  w.sample("process_open_fds", fds);
  w.begin("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
          Type::Gauge);
  w.sample("process_start_time_seconds", start);
}

}  // namespace stk::metrics
