#pragma once
// Reading what a running service reports about itself: Prometheus text from /metrics and JSON-lines logs.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stk::e2e {

// The value of the sample whose line starts with `series` (metric name + exact label set, as rendered), or
// nullopt when there is no such line.
std::optional<double> metric_sample(const std::string& text, const std::string& series);

// A log split into lines: those that parse as JSON objects, and any that do not (a JSON-lines log has none).
struct LogLines {
  std::vector<nlohmann::json> objects;
  std::vector<std::string> not_json;
};
LogLines json_lines(const std::string& log);

// The JSON line whose "requestId" is `request_id`; null when there is none.
nlohmann::json log_line_of(const std::string& log, const std::string& request_id);

}  // namespace stk::e2e
