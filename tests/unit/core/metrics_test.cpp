#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "stk/core/metrics.hpp"

using namespace stk::metrics;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

}  // namespace

TEST(Metrics, CounterSumsEveryThread) {
  Registry r;
  auto& f = r.counter("stk_test_requests_total", "Requests", {"project", "status"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) f.labels({"shop", "2xx"}).inc();
      f.labels({"shop", "5xx"}).inc(3);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.labels({"shop", "2xx"}).value(), 80000u);
  const auto text = r.render();
  EXPECT_TRUE(has_line(text, "# TYPE stk_test_requests_total counter")) << text;
  EXPECT_TRUE(has_line(text, R"(stk_test_requests_total{project="shop",status="2xx"} 80000)")) << text;
  EXPECT_TRUE(has_line(text, R"(stk_test_requests_total{project="shop",status="5xx"} 24)")) << text;
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry r;
  auto& f = r.histogram("stk_test_duration_seconds", "Latency", {"path"}, request_buckets());
  auto& h = f.labels({"db/users/select"});
  h.observe(0.003);  // <= .005
  h.observe(0.005);  // le is inclusive
  h.observe(0.2);    // <= .25
  h.observe(60);     // +Inf only
  const auto text = r.render();
  EXPECT_TRUE(has_line(text, R"(stk_test_duration_seconds_bucket{path="db/users/select",le="0.005"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(stk_test_duration_seconds_bucket{path="db/users/select",le="0.1"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(stk_test_duration_seconds_bucket{path="db/users/select",le="0.25"} 3)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(stk_test_duration_seconds_bucket{path="db/users/select",le="10"} 3)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(stk_test_duration_seconds_bucket{path="db/users/select",le="+Inf"} 4)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(stk_test_duration_seconds_count{path="db/users/select"} 4)")) << text;
  auto snap = h.snapshot();
  EXPECT_NEAR(snap.sum, 60.208, 1e-6);
}

TEST(Metrics, LabelValuesAreEscapedAndUnlabelledSeriesStartAtZero) {
  Registry r;
  r.counter("stk_test_plain_total", "No labels");
  auto& g = r.gauge("stk_test_gauge", "A \"gauge\"\nwith two lines", {"name"});
  g.labels({"a\"b\\c\nd"}).set(2.5);
  g.labels({"a\"b\\c\nd"}).add(-1);
  const auto text = r.render();
  EXPECT_TRUE(has_line(text, "stk_test_plain_total 0")) << text;
  EXPECT_TRUE(has_line(text, R"(stk_test_gauge{name="a\"b\\c\nd"} 1.5)")) << text;
  EXPECT_TRUE(has_line(text, R"(# HELP stk_test_gauge A "gauge"\nwith two lines)")) << text;
}

TEST(Metrics, WrongLabelCountIsAProgrammingError) {
  Registry r;
  auto& f = r.counter("stk_test_x_total", "x", {"a", "b"});
  EXPECT_THROW(f.labels({"only-one"}), std::invalid_argument);
}

TEST(Metrics, SeriesPastTheCapShareOneOverflowSeries) {
  Registry r;
  auto& f = r.counter("stk_test_many_total", "x", {"k"});
  for (size_t i = 0; i < kMaxSeriesPerFamily + 10; ++i) f.labels({std::to_string(i)}).inc();
  const auto text = r.render();
  EXPECT_TRUE(has_line(text, R"(stk_test_many_total{k="other"} 10)")) << text.substr(text.size() - 500);
}

TEST(Metrics, CollectorsAndProcessMetricsAreRendered) {
  Registry r;
  r.collector([](TextWriter& w) {
    w.begin("stk_test_pool_active", "Active", Type::Gauge);
    std::string_view names[] = {"connection"};
    std::string_view values[] = {"main"};
    w.sample("stk_test_pool_active", names, values, 3);
  });
  const auto text = r.render();
  EXPECT_TRUE(has_line(text, R"(stk_test_pool_active{connection="main"} 3)")) << text;
  EXPECT_NE(text.find("\nprocess_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(text.find("\nprocess_cpu_seconds_total "), std::string::npos);
  EXPECT_EQ(status_class(204), "2xx");
  EXPECT_EQ(status_class(429), "4xx");
  EXPECT_EQ(status_class(503), "5xx");
}
