#include "call/request.hpp"

#include "stk/core/error.hpp"
#include "stk/core/json.hpp"

namespace stk::bridge {

const char* op_name(Op op) {
  switch (op) {
    case Op::Select:
      return "select";
    case Op::Insert:
      return "insert";
    case Op::Update:
      return "update";
    case Op::Delete:
      return "delete";
  }
  return "?";
}

CallRequest parse_call_body(std::string_view body) {
  auto parsed = parse_json(body);
  if (!parsed)
    throw Error(Code::BadRequest,
                "request body is not valid JSON; send {\"path\": \"db/<table>/<op>\", \"params\": {...}}");
  auto& doc = *parsed;
  if (!doc.is_object())
    throw Error(Code::BadRequest,
                "request body must be a JSON object: {\"path\": \"db/<table>/<op>\", \"params\": {...}}");
  CallRequest out;
  auto p = doc.find("path");
  if (p == doc.end() || !p->is_string())
    throw Error(Code::BadRequest, "request body needs a string 'path', e.g. \"db/books/select\"");
  out.path = p->get<std::string>();
  auto params = doc.find("params");
  if (params != doc.end() && !params->is_null()) {
    if (!params->is_object()) throw Error(Code::BadRequest, "'params' must be an object");
    out.params = std::move(*params);
  }
  return out;
}

Route parse_route(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (true) {
    size_t j = path.find('/', i);
    parts.push_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  if (parts.empty() || parts[0] != "db")
    throw Error(Code::NotFound, "no route for path '" + std::string(path.substr(0, 200)) +
                                    "'; CRUD paths look like db/<table>/<select|insert|update|delete>");
  if (parts.size() != 3 || parts[1].empty() || parts[2].empty())
    throw Error(Code::NotFound, "CRUD paths have three segments: db/<table>/<select|insert|update|delete>");
  Route r;
  r.table = std::string(parts[1]);
  if (parts[2] == "select")
    r.op = Op::Select;
  else if (parts[2] == "insert")
    r.op = Op::Insert;
  else if (parts[2] == "update")
    r.op = Op::Update;
  else if (parts[2] == "delete")
    r.op = Op::Delete;
  else
    throw Error(Code::NotFound, "unknown operation '" + std::string(parts[2].substr(0, 50)) +
                                    "'; use select, insert, update or delete");
  return r;
}

nlohmann::ordered_json params_from_query(const std::vector<std::pair<std::string, std::string>>& query) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [k, v] : query) {
    if (out.contains(k)) throw Error(Code::BadRequest, "query parameter '" + k + "' is given twice");
    if (k == "limit" || k == "offset") {
      auto j = parse_json(v);
      if (!j || !j->is_number_integer())
        throw Error(Code::BadRequest, "query parameter '" + k + "' must be a non-negative integer");
      out[k] = std::move(*j);
    } else if (k == "select" || k == "expand") {
      if (v == "*") {
        out[k] = v;
        continue;
      }
      auto j = parse_json(v);
      if (j && (j->is_array() || j->is_string())) {
        out[k] = std::move(*j);
        continue;
      }
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      size_t i = 0;
      while (i <= v.size()) {
        size_t j2 = v.find(',', i);
        if (j2 == std::string::npos) j2 = v.size();
        list.push_back(v.substr(i, j2 - i));
        i = j2 + 1;
      }
      out[k] = list;
    } else if (k == "where" || k == "orderBy") {
      auto j = parse_json(v);
      if (!j) throw Error(Code::BadRequest, "query parameter '" + k + "' must be JSON");
      out[k] = std::move(*j);
    } else if (k == "after") {
      auto j = parse_json(v);
      out[k] = j ? std::move(*j) : nlohmann::ordered_json(v);
    } else {
      out[k] = v;  // count=exact and unknown keys (rejected by the planner with the key's name)
    }
  }
  return out;
}

}  // namespace stk::bridge
