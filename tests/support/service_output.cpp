#include "service_output.hpp"

namespace stk::e2e {

std::optional<double> metric_sample(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + series.size() + 1));
    at += series.size();
  }
  return std::nullopt;
}

LogLines json_lines(const std::string& log) {
  LogLines out;
  for (size_t at = 0; at < log.size();) {
    size_t end = log.find('\n', at);
    if (end == std::string::npos) end = log.size();
    std::string text = log.substr(at, end - at);
    if (!text.empty()) {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_object())
        out.objects.push_back(std::move(j));
      else
        out.not_json.push_back(std::move(text));
    }
    at = end + 1;
  }
  return out;
}

nlohmann::json log_line_of(const std::string& log, const std::string& request_id) {
  for (auto& j : json_lines(log).objects)
    if (j.value("requestId", "") == request_id) return j;
  return nullptr;
}

}  // namespace stk::e2e
