#pragma once
// Byte encodings: base64 (RFC 4648, padded), base64url (no padding), lowercase base32 (RFC 4648, no padding),
// Crockford base32 (ULID), hex.
#include <optional>
#include <string>
#include <string_view>

namespace stk {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);  // accepts padded or unpadded, std alphabet
std::string base64url_encode(std::string_view bytes);             // no padding
std::optional<std::string> base64url_decode(std::string_view text);
std::string base32_lower(std::string_view bytes);  // RFC 4648 alphabet, lowercase, no padding
std::string hex_encode(std::string_view bytes);

}  // namespace stk
