#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stk {

int64_t unix_ms();                     // wall clock, milliseconds since epoch
std::string rfc3339(int64_t unix_ms);  // "2026-03-01T10:00:00.123Z"
std::string now_rfc3339();
std::optional<int64_t> parse_rfc3339(std::string_view text);  // -> unix ms; "Z" or ±hh:mm offsets
// "90s", "15m", "24h", "7d" -> milliseconds; nullopt when malformed.
std::optional<int64_t> parse_duration_ms(std::string_view text);

}  // namespace stk
