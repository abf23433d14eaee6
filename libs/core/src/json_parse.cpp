// Request bodies are parsed on every call: simdjson reads the text (DESIGN hot path step 1) and the result is
// built as the OrderedJson the planners work on. nlohmann's own parser stays the reference: whatever simdjson
// declines goes through it, so both the accepted language and the errors stay nlohmann's.
#include <simdjson.h>

#include <algorithm>
#include <new>
#include <string>

#include "stk/core/error.hpp"
#include "stk/core/json.hpp"

namespace stk {
namespace {

namespace dom = simdjson::dom;

// Bodies up to this size reuse the thread's parser (its buffers grow to the largest body seen); larger ones
// get a parser of their own, so one big request does not pin its memory to the thread.
constexpr size_t kReusedParserMaxBytes = 1 << 20;

// The deepest nesting of arrays/objects in `text` (strings skipped), counted without parsing: JSON deeper
// than kMaxJsonDepth is refused before nlohmann or any recursive walk (dump, compare, convert) sees it, so a
// body of ten million '[' cannot exhaust a thread's stack.
size_t max_nesting(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

void convert(dom::element e, OrderedJson& out) {
  switch (e.type()) {
    case dom::element_type::OBJECT: {
      out = OrderedJson::object();
      for (dom::key_value_pair field : dom::object(e))
        convert(field.value, out[std::string(field.key)]);  // a repeated key: first position, last value
      return;
    }
    case dom::element_type::ARRAY: {
      out = OrderedJson::array();
      for (dom::element item : dom::array(e)) {
        out.push_back(nullptr);
        convert(item, out.back());
      }
      return;
    }
    case dom::element_type::INT64: {
      const int64_t v = int64_t(e);
      if (v >= 0)
        out = uint64_t(v);  // as nlohmann: non-negative integers are unsigned
      else
        out = v;
      return;
    }
    case dom::element_type::UINT64:
      out = uint64_t(e);
      return;
    case dom::element_type::DOUBLE:
      out = double(e);
      return;
    case dom::element_type::STRING:
      out = std::string(std::string_view(e));
      return;
    case dom::element_type::BOOL:
      out = bool(e);
      return;
    case dom::element_type::NULL_VALUE:
      out = nullptr;
      return;
  }
}

[[noreturn]] void too_deep() {
  throw Error(Code::BadRequest,
              "JSON nests arrays/objects deeper than " + std::to_string(kMaxJsonDepth) + " levels");
}

// simdjson refuses nesting beyond the parser's max depth itself (DEPTH_ERROR), so the common path reads the
// text once; nlohmann, for what simdjson declines, gets the separate depth scan first.
dom::parser make_parser() {
  dom::parser parser;
  if (parser.allocate(4096, kMaxJsonDepth) != simdjson::SUCCESS) throw std::bad_alloc();
  return parser;
}

std::optional<OrderedJson> parse_with(dom::parser& parser, std::string_view text) {
  dom::element root;
  const auto error = parser.parse(text.data(), text.size(), true).get(root);
  if (error == simdjson::DEPTH_ERROR) too_deep();
  if (error != simdjson::SUCCESS) {
    // Numbers beyond 64 bits and invalid text: nlohmann decides.
    check_json_depth(text);
    auto doc = OrderedJson::parse(text.begin(), text.end(), nullptr, false);
    if (doc.is_discarded()) return std::nullopt;
    return doc;
  }
  OrderedJson out;
  convert(root, out);
  return out;
}

}  // namespace

void check_json_depth(std::string_view text) {
  if (max_nesting(text) > kMaxJsonDepth) too_deep();
}

std::optional<OrderedJson> parse_json(std::string_view text) {
  if (text.size() <= kReusedParserMaxBytes) {
    thread_local dom::parser parser = make_parser();
    return parse_with(parser, text);
  }
  dom::parser parser = make_parser();
  return parse_with(parser, text);
}

}  // namespace stk
