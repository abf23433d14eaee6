#pragma once
// The `POST /call` envelope and routes (spec bridge-crud §2, §4 steps 1–2; REST aliases, DESIGN Decision 2).
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace stk::bridge {

enum class Op { Select, Insert, Update, Delete };
const char* op_name(Op op);

struct CallRequest {
  std::string path;
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
};

struct Route {
  std::string table;
  Op op = Op::Select;
};

// Body → envelope. 400 BAD_REQUEST for: invalid JSON, not an object, missing/non-string `path`, `params`
// neither absent, null nor an object. Keys other than path/params are ignored (clients may add tracing keys).
CallRequest parse_call_body(std::string_view body);
// `db/{table}/{op}` → Route; anything else (wrong segment count, unknown op, other prefixes) ⇒ 404.
Route parse_route(std::string_view path);
// REST alias `GET /db/{t}/select?...`: query parameters → params. JSON-valued parameters (where, orderBy,
// select, expand, after) are parsed as JSON; `select`/`expand` also accept comma lists; limit/offset must be
// integers. 400 on malformed values.
nlohmann::ordered_json params_from_query(const std::vector<std::pair<std::string, std::string>>& query);

}  // namespace stk::bridge
