#pragma once
// Private helpers shared by the schema, permissions and project loaders: positions, map iteration with
// duplicate-key detection, YAML 1.2 core-schema scalar resolution and YAML -> JSON conversion.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/model/diagnostics.hpp"

namespace stk::model::detail {

// 1-based position of a node; a node without a mark (empty document) maps to 1:1.
SourcePos pos_of(const std::string& file, const YAML::Node& node);
SourcePos pos_of(const std::string& file, const YAML::Mark& mark);

// Reports the first invalid UTF-8 sequence (YAML and the release JSON need valid UTF-8); true when valid.
bool check_utf8(const std::string& file, const std::string& content, Diagnostics& diags);

// Parses a whole document; a syntax error becomes one diagnostic at the parser's position and nullopt.
std::optional<YAML::Node> parse_yaml(const std::string& file, const std::string& content, Diagnostics& diags,
                                     int line_offset = 0);

struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  SourcePos key_pos;
  SourcePos value_pos;  // the key's position when the value is an empty (null) node
};

// Entries of a mapping in document order. Duplicate keys are reported (error, naming the first place) and
// skipped; non-scalar keys are reported and skipped. `what` prefixes messages ("table 'orders': ").
std::vector<Entry> map_entries(const std::string& file, const YAML::Node& map, Diagnostics& diags,
                               const std::string& what);

enum class ScalarKind { Null, Bool, Int, Float, String };
struct Scalar {
  ScalarKind kind = ScalarKind::Null;
  bool b = false;
  int64_t i = 0;
  bool int_overflow = false;  // Int whose magnitude does not fit int64
  double d = 0;
  std::string text;  // the scalar's text as written (after YAML unquoting)
  bool plain = false;
};
// YAML 1.2 core schema for plain scalars; quoted/block scalars and !!str are strings.
Scalar resolve_scalar(const YAML::Node& node);

// YAML value -> JSON (maps keep document order in ordered_json). Non-finite floats keep their text.
nlohmann::ordered_json to_ordered_json(const YAML::Node& node);
nlohmann::json to_json(const YAML::Node& node);

bool is_identifier(std::string_view s);       // ^[A-Za-z_][A-Za-z0-9_]{0,62}$
bool is_connection_name(std::string_view s);  // ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$
std::string describe(
    const YAML::Node& node);  // short text of a node for messages: scalar text or "a mapping"

}  // namespace stk::model::detail
