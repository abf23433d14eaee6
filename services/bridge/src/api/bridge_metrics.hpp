#pragma once
// The Bridge's Prometheus series (spec sdk-mcp-observability §5, DESIGN Decision 8). Counting happens on the
// worker threads through stk::metrics' per-thread slots; values known only at scrape time (pools, release
// cache, Hub polls) are gathered by BridgeApp when /metrics is asked for.
#include "stk/core/metrics.hpp"

namespace stk::bridge {

struct BridgeMetrics {
  metrics::Registry registry;
  metrics::CounterFamily& requests = registry.counter(
      "stk_bridge_requests_total", "Requests answered on /call and the REST aliases, by status class",
      {"project", "env", "path", "status"});
  metrics::HistogramFamily& request_duration =
      registry.histogram("stk_bridge_request_duration_seconds",
                         "Time from a request's arrival to its response being handed over",
                         {"project", "env", "path"}, metrics::request_buckets());
  metrics::CounterFamily& errors =
      registry.counter("stk_bridge_errors_total", "Error envelopes answered, by error code",
                       {"project", "env", "path", "code"});
  metrics::HistogramFamily& db_query_duration =
      registry.histogram("stk_bridge_db_query_duration_seconds",
                         "Time from handing a statement to the connection pool until its result is complete",
                         {"project", "env", "connection"}, metrics::db_buckets());
  metrics::CounterFamily& db_connection_errors = registry.counter(
      "stk_bridge_db_connection_errors_total",
      "Statements that failed because the database could not be reached or the connection broke",
      {"project", "env", "connection"});
  metrics::CounterFamily& permission_denials =
      registry.counter("stk_bridge_permission_denials_total", "Requests denied by permissions (403)",
                       {"project", "env", "table", "op"});
  metrics::HistogramFamily& permission_eval_duration = registry.histogram(
      "stk_bridge_permission_eval_duration_seconds",
      "Time spent selecting permission rules and binding their CEL conditions, per request",
      {"project", "env"}, metrics::db_buckets());
  metrics::CounterFamily& auth_failures = registry.counter(
      "stk_bridge_auth_failures_total", "Requests refused for missing or invalid credentials (401)",
      {"project", "env", "auth_type"});
  metrics::CounterFamily& rate_limit_exceeded = registry.counter(
      "stk_bridge_rate_limit_exceeded_total", "Requests refused by a rate or concurrency limit (spec name)",
      {"project", "env", "limiter"});
  metrics::CounterFamily& rate_limited = registry.counter(
      "stk_bridge_rate_limited_total",
      "Requests refused by a rate or concurrency limit (same count as stk_bridge_rate_limit_exceeded_total)",
      {"project", "env", "limiter"});
};

}  // namespace stk::bridge
