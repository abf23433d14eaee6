#include "output.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "hub_client.hpp"

namespace stk::cli {

std::string pretty_json(const J& j) {
  return j.dump(2, ' ', false, J::error_handler_t::replace) + "\n";
}

std::string cell(const J& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    return s.empty() ? "-" : s;
  }
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_array()) {
    if (v.empty()) return "-";
    std::string out;
    for (const auto& item : v) {
      if (!out.empty()) out += ",";
      out += item.is_string() ? item.get<std::string>() : item.dump();
    }
    return out;
  }
  return v.dump(-1, ' ', false, J::error_handler_t::replace);
}

std::string cell(const J& obj, const char* key) {
  if (!obj.is_object()) return "-";
  auto it = obj.find(key);
  return it == obj.end() ? "-" : cell(*it);
}

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size(), 0);
  for (size_t i = 0; i < headers.size(); ++i) width[i] = headers[i].size();
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < headers.size(); ++i) {
      const std::string& c = i < cells.size() ? cells[i] : std::string("-");
      l += c;
      if (i + 1 < headers.size()) l += std::string(width[i] - c.size() + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(headers);
  for (const auto& row : rows) line(row);
  return out;
}

std::string render_list(const J& items, const std::vector<Column>& columns) {
  const J* arr = &items;
  if (items.is_object()) {
    auto it = items.find("items");
    if (it != items.end()) arr = &*it;
  }
  std::vector<std::string> headers;
  for (const auto& c : columns) headers.push_back(c.header);
  std::vector<std::vector<std::string>> rows;
  if (arr->is_array()) {
    for (const auto& item : *arr) {
      std::vector<std::string> row;
      for (const auto& c : columns) row.push_back(cell(item, c.key.c_str()));
      rows.push_back(std::move(row));
    }
  }
  return render_table(headers, rows);
}

std::string request_id_suffix(const std::string& request_id) {
  return request_id.empty() ? std::string() : " (requestId " + request_id + ")";
}

std::string hub_error_line(const HubError& e) {
  std::string out = "error: request failed: " + std::to_string(e.http_status());
  if (!e.code_name().empty()) out += " " + e.code_name();
  if (std::string msg = e.what(); !msg.empty()) out += ": " + msg;
  return out + request_id_suffix(e.request_id()) + "\n";
}

std::string format_error(const std::exception& e, const std::optional<std::string>& project) {
  std::string out;
  if (const auto* h = dynamic_cast<const HubError*>(&e)) {
    out = hub_error_line(*h);
    if (h->http_status() == 401) out += "hint: run 'stk login'\n";
    if (h->http_status() == 403) {
      if (project)
        out += "hint: ask a project admin for a role on '" + *project + "'\n";
      else
        out += "hint: ask an org admin for the required role\n";
    }
    return out;
  }
  if (const auto* u = dynamic_cast<const HubUnreachable*>(&e)) {
    out = std::string("error: ") + u->what() + "\n";
    if (!u->timed_out()) out += "hint: start it with 'santokit-hub' or pass --hub\n";
    return out;
  }
  out = std::string("error: ") + e.what() + "\n";
  if (const auto* c = dynamic_cast<const CliError*>(&e); c && !c->hint().empty())
    out += "hint: " + c->hint() + "\n";
  return out;
}

std::string diagnostic_text(const J& item) {
  if (item.is_string()) return item.get<std::string>();
  if (!item.is_object()) return item.dump();
  if (auto t = item.find("text"); t != item.end() && t->is_string() && !t->get<std::string>().empty())
    return t->get<std::string>();
  std::string out = item.value("file", std::string());
  auto num = [&](const char* key) -> long {
    auto it = item.find(key);
    return (it != item.end() && it->is_number_integer()) ? it->get<long>() : 0;
  };
  if (long line = num("line"); line > 0) {
    out += ":" + std::to_string(line);
    if (long col = num("col"); col > 0) out += ":" + std::to_string(col);
  }
  std::string msg = item.value("message", std::string());
  if (out.empty()) return msg;
  return out + ": " + msg;
}

PayloadSummary summarize_payload(const J& payload) {
  PayloadSummary s;
  if (!payload.is_object()) return s;
  std::set<std::string> tables;
  if (auto sch = payload.find("schema"); sch != payload.end() && sch->is_object()) {
    if (auto ibc = sch->find("irByConnection"); ibc != sch->end() && ibc->is_object()) {
      for (const auto& [conn, ir] : ibc->items()) {
        if (!ir.is_object()) continue;
        if (auto t = ir.find("tables"); t != ir.end() && t->is_object())
          for (const auto& [name, _] : t->items()) tables.insert(name);
      }
    }
  }
  s.tables.assign(tables.begin(), tables.end());
  if (auto perms = payload.find("permissions"); perms != payload.end() && perms->is_object()) {
    if (auto t = perms->find("tables"); t != perms->end() && t->is_object())
      for (const auto& [table, ops] : t->items()) {
        if (!ops.is_object()) continue;
        for (const auto& [op, rules] : ops.items())
          if (rules.is_array()) s.rules += rules.size();
      }
  }
  if (auto cfg = payload.find("config"); cfg != payload.end() && cfg->is_object())
    if (auto l = cfg->find("logics"); l != cfg->end() && l->is_object()) s.logics = l->size();
  return s;
}

}  // namespace stk::cli
