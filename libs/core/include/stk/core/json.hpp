#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace stk {

using Json = nlohmann::json;                 // keys sorted: canonical by construction
using OrderedJson = nlohmann::ordered_json;  // keys in insertion order (declaration order of YAML)

// Canonical serialisation: sorted keys, no whitespace, UTF-8 kept as is. Used for content hashes.
std::string canonical_dump(const Json& j);
std::string canonical_dump(const OrderedJson& j);

// Parses JSON text as nlohmann::ordered_json::parse would (same accepted language; keys in document order, a
// repeated key keeps its first position and last value; integers >= 0 unsigned — also "-0"), several times
// faster on request-sized bodies (simdjson). nullopt when the text is not JSON. Nesting deeper than
// kMaxJsonDepth throws stk::Error(BadRequest) instead of building a value: later walks of it may recurse.
inline constexpr size_t kMaxJsonDepth = 512;
std::optional<OrderedJson> parse_json(std::string_view text);
// The same depth check alone, for callers that parse with nlohmann themselves (the Hub's request bodies).
void check_json_depth(std::string_view text);

// Reads a field accepting camelCase or its snake_case spelling (spec hub §10.1: both MUST be accepted).
// Returns nullptr json when absent.
const Json* field(const Json& obj, const char* camel);

}  // namespace stk
