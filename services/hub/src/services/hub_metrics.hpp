#pragma once
// The Hub's Prometheus series (spec sdk-mcp-observability §5, seed §4.1). One registry per process: services
// count into it wherever the event happens; HubApp renders it on GET /metrics together with the gauges it
// reads from the store at scrape time (tables per connection, API keys per project/env).
#include "stk/core/metrics.hpp"

namespace stk::hub {

struct HubMetrics {
  metrics::Registry registry;
  metrics::CounterFamily& requests =
      registry.counter("stk_hub_requests_total", "Requests answered, by route template and status class",
                       {"method", "path", "status"});
  metrics::HistogramFamily& request_duration =
      registry.histogram("stk_hub_request_duration_seconds", "Time from a request's arrival to its response",
                         {"method", "path"}, metrics::request_buckets());
  metrics::CounterFamily& releases_created =
      registry.counter("stk_hub_releases_created_total",
                       "New releases stored (a reused release is not counted)", {"project", "env"});
  metrics::CounterFamily& schema_applies =
      registry.counter("stk_hub_schema_applies_total", "stk apply runs (dry runs excluded), by result",
                       {"project", "env", "result"});
  metrics::HistogramFamily& schema_apply_duration = registry.histogram(
      "stk_hub_schema_apply_duration_seconds", "Duration of stk apply on the Hub (dry runs excluded)",
      {"project", "env"}, metrics::apply_buckets());
  metrics::CounterFamily& audit_entries =
      registry.counter("stk_hub_audit_log_entries_total", "Audit entries written to the store");
  metrics::HistogramFamily& audit_write_duration =
      registry.histogram("stk_hub_audit_log_write_duration_seconds",
                         "Per audit entry: time from being recorded until its batch is committed (batched "
                         "every 100 ms / 100 entries)",
                         {}, metrics::db_buckets());
};

// The process's Hub metrics (one Hub per process).
inline HubMetrics& hub_metrics() {
  static HubMetrics m;
  return m;
}

}  // namespace stk::hub
