#pragma once
// Structured logging: one JSON object per line ({"ts","level","msg",...fields}) on stderr, or on stdout for
// the services (spec sdk-mcp-observability §6: `set_sink(Sink::Stdout)` in santokit-hub / santokit-bridge).
// STK_LOG_LEVEL = debug|info|warn|error (default info); STK_LOG_FORMAT = json|pretty (default json).
// Never pass secrets, tokens, API keys or DB URLs as fields: `redact_url` exists for the rare case a URL
// must be mentioned (it keeps scheme, host and database only).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace stk::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

enum class Sink { Stderr, Stdout };

void init_from_env();
void set_sink(Sink s);
bool enabled(Level l);
bool pretty();  // STK_LOG_FORMAT=pretty
void write(Level l, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

inline void debug(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  if (enabled(Level::Debug)) write(Level::Debug, m, f);
}
inline void info(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::Info, m, f);
}
inline void warn(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::Warn, m, f);
}
inline void error(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) {
  write(Level::Error, m, f);
}

std::string redact_url(std::string_view url);

// For hot paths that build their JSON lines by hand: appends `s` as a JSON string literal (quotes included;
// invalid UTF-8 bytes become U+FFFD), and writes complete, newline-terminated lines in one write.
void append_json_string(std::string& out, std::string_view s);
void write_lines(std::string_view lines);
// How many bytes of lines a hot path may gather before write_lines: 64 KiB when the log goes to a regular
// file, 3500 (whole lines within PIPE_BUF) when it goes to a pipe or terminal. Looked up once after set_sink.
size_t line_batch_bytes();
const char* level_name(Level l);

}  // namespace stk::log
