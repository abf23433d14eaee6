#include "yaml_util.hpp"

#include "types.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>

#include <yaml-cpp/depthguard.h>

#include "stk/core/error.hpp"

namespace stk::model::detail {

SourcePos pos_of(const std::string& file, const YAML::Mark& mark) {
  SourcePos p;
  p.file = file;
  if (mark.line < 0 || mark.column < 0) {
    p.line = 1;
    p.col = 1;
  } else {
    p.line = mark.line + 1;
    p.col = mark.column + 1;
  }
  return p;
}

SourcePos pos_of(const std::string& file, const YAML::Node& node) {
  return pos_of(file, node.Mark());
}

bool check_utf8(const std::string& file, const std::string& s, Diagnostics& diags) {
  size_t i = 0;
  int line = 1;
  size_t line_start = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\n') {
        ++line;
        line_start = i + 1;
      }
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    }
    bool ok = n > 0;
    for (size_t k = 1; ok && k <= n; ++k) {
      if (i + k >= s.size()) {
        ok = false;
        break;
      }
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok && ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
               (cp >= 0xD800 && cp <= 0xDFFF))) {
      ok = false;
    }
    if (!ok) {
      diags.error(SourcePos{file, line, int(i - line_start) + 1},
                  "the file is not valid UTF-8 (invalid byte sequence)");
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::optional<YAML::Node> parse_yaml(const std::string& file, const std::string& content, Diagnostics& diags,
                                     int line_offset) {
  if (line_offset == 0 && !check_utf8(file, content, diags)) return std::nullopt;
  try {
    return YAML::Load(content);
  } catch (const YAML::DeepRecursion& e) {  // yaml-cpp reports it as "bad file"
    SourcePos p = pos_of(file, e.mark);
    p.line += line_offset;
    diags.error(p, "YAML syntax error: nested too deeply (max " + std::to_string(e.depth()) + " levels)");
  } catch (const YAML::Exception& e) {
    SourcePos p = pos_of(file, e.mark);
    p.line += line_offset;
    diags.error(p, "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    diags.error(SourcePos{file, 1 + line_offset, 1}, std::string("YAML syntax error: ") + e.what());
  }
  return std::nullopt;
}

std::vector<Entry> map_entries(const std::string& file, const YAML::Node& map, Diagnostics& diags,
                               const std::string& what) {
  std::vector<Entry> out;
  if (!map.IsMap()) return out;
  std::map<std::string, SourcePos> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    Entry e;
    e.key_node = it->first;
    e.value = it->second;
    e.key_pos = pos_of(file, e.key_node);
    if (!e.key_node.IsScalar()) {
      diags.error(e.key_pos, what + "keys must be plain names, not " + describe(e.key_node));
      continue;
    }
    e.key = e.key_node.Scalar();
    const YAML::Mark vm = e.value.Mark();
    const YAML::Mark km = e.key_node.Mark();
    const bool before_key = vm.line < km.line || (vm.line == km.line && vm.column < km.column);  // an alias
    if (before_key || (e.value.IsNull() && (vm.line < 0 || vm.line != km.line))) {
      e.value_pos = e.key_pos;
    } else {
      e.value_pos = pos_of(file, e.value);
    }
    auto [prev, inserted] = seen.emplace(e.key, e.key_pos);
    if (!inserted) {
      diags.error(e.key_pos, what + "duplicate key '" + e.key + "' (first defined at line " +
                                 std::to_string(prev->second.line) + ")");
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

bool all_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      return false;
    }
    if (v >= base) return false;
  }
  return true;
}

void set_int(Scalar& out, std::string_view digits, int base, bool negative) {
  out.kind = ScalarKind::Int;
  uint64_t mag = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), mag, base);
  const uint64_t limit = negative ? (uint64_t(INT64_MAX) + 1) : uint64_t(INT64_MAX);
  if (r.ec != std::errc() || mag > limit) {
    out.int_overflow = true;
    return;
  }
  out.i = negative ? int64_t(0 - mag) : int64_t(mag);
}

}  // namespace

Scalar resolve_scalar(const YAML::Node& node) {
  Scalar out;
  if (!node.IsDefined() || node.IsNull()) return out;  // Null
  if (!node.IsScalar()) {
    out.kind = ScalarKind::String;
    return out;
  }
  out.text = node.Scalar();
  const std::string& tag = node.Tag();
  out.plain = (tag == "?");
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {
    out.kind = ScalarKind::String;
    return out;
  }
  const std::string& s = out.text;
  if (s == "~" || s == "null" || s == "Null" || s == "NULL" || s.empty()) {
    out.kind = ScalarKind::Null;
    return out;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    out.kind = ScalarKind::Bool;
    out.b = true;
    return out;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    out.kind = ScalarKind::Bool;
    out.b = false;
    return out;
  }
  {
    std::string_view v = s;
    bool negative = false;
    if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
      negative = v[0] == '-';
      v.remove_prefix(1);
    }
    if (all_digits(v, 10)) {
      set_int(out, v, 10, negative);
      return out;
    }
    if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && all_digits(std::string_view(s).substr(2), 16)) {
      set_int(out, std::string_view(s).substr(2), 16, false);
      return out;
    }
    if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && all_digits(std::string_view(s).substr(2), 8)) {
      set_int(out, std::string_view(s).substr(2), 8, false);
      return out;
    }
  }
  if (is_decimal_text(s)) {  // YAML core-schema float: same grammar as a decimal
    out.kind = ScalarKind::Float;
    out.d = std::strtod(s.c_str(), nullptr);
    return out;
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF") {
    out.kind = ScalarKind::Float;
    out.d = HUGE_VAL;
    return out;
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") {
    out.kind = ScalarKind::Float;
    out.d = -HUGE_VAL;
    return out;
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    out.kind = ScalarKind::Float;
    out.d = std::nan("");
    return out;
  }
  out.kind = ScalarKind::String;
  return out;
}

namespace {

constexpr int kMaxDepth = 128;
constexpr size_t kMaxNodes = 200'000;

template <typename J>
J convert(const YAML::Node& node, int depth, size_t& budget) {
  if (depth > kMaxDepth || budget == 0) {
    throw stk::Error(stk::Code::BadRequest, "YAML value is too large or too deeply nested");
  }
  --budget;
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      J obj = J::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
        if (obj.contains(key)) continue;  // first one wins, like YAML::Node::operator[]
        obj[key] = convert<J>(it->second, depth + 1, budget);
      }
      return obj;
    }
    case YAML::NodeType::Sequence: {
      J arr = J::array();
      for (const auto& item : node) arr.push_back(convert<J>(item, depth + 1, budget));
      return arr;
    }
    case YAML::NodeType::Scalar: {
      Scalar s = resolve_scalar(node);
      switch (s.kind) {
        case ScalarKind::Null:
          return J(nullptr);
        case ScalarKind::Bool:
          return J(s.b);
        case ScalarKind::Int:
          if (s.int_overflow) return J(s.text);
          return J(s.i);
        case ScalarKind::Float:
          if (!std::isfinite(s.d)) return J(s.text);
          return J(s.d);
        case ScalarKind::String:
          return J(s.text);
      }
      return J(s.text);
    }
    default:
      return J(nullptr);
  }
}

}  // namespace

nlohmann::ordered_json to_ordered_json(const YAML::Node& node) {
  size_t budget = kMaxNodes;
  return convert<nlohmann::ordered_json>(node, 0, budget);
}

nlohmann::json to_json(const YAML::Node& node) {
  size_t budget = kMaxNodes;
  return convert<nlohmann::json>(node, 0, budget);
}

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(s[0])) return false;
  for (char c : s) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool is_connection_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(s[0])) return false;
  for (char c : s) {
    if (!alnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "an empty value";
  }
}

}  // namespace stk::model::detail
