// Permissions document compilation: every condition parsed and checked against its table.
#include <string>

#include "stk/cel/ast.hpp"
#include "stk/cel/cel.hpp"

namespace stk::cel {

namespace {

// The expression as shown in messages: one line, trailing whitespace dropped, long ones cut.
std::string shown(const std::string& src) {
  std::string s = src;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return s;
}

}  // namespace

nlohmann::json compile_permissions(const model::Permissions& permissions, const model::Schema& schema,
                                   const std::string& permissions_path, model::Diagnostics& diags) {
  nlohmann::json out = {{"version", 1}, {"tables", nlohmann::json::object()}};
  for (const auto& [table_name, tp] : permissions.tables) {
    const model::Table* table = schema.table(table_name);
    if (!table) {
      model::SourcePos pos{permissions_path, 1, 1};
      for (const auto& [op, rules] : tp.ops) {
        if (!rules.empty()) {
          pos = rules.front().pos;
          break;
        }
      }
      diags.error(pos, "unknown table '" + table_name + "' (not declared in schema/)");
      continue;
    }
    nlohmann::json ops = nlohmann::json::object();
    for (const auto& [op, rules] : tp.ops) {
      nlohmann::json list = nlohmann::json::array();
      int n = 0;
      for (const auto& rule : rules) {
        ++n;
        nlohmann::json r = nlohmann::json::object();
        r["roles"] = rule.roles;
        if (rule.all_columns || op == "delete") {
          r["columns"] = nlohmann::json::array({"*"});
        } else {
          nlohmann::json cols = nlohmann::json::array();
          for (const auto& c : rule.columns) {
            if (!table->has_column(c)) {
              diags.error(rule.pos, "table '" + table_name + "' " + op + " rule " + std::to_string(n) +
                                        ": unknown column '" + c + "'");
              continue;
            }
            cols.push_back(c);
          }
          r["columns"] = std::move(cols);
        }
        if (rule.condition) {
          const std::string& src = *rule.condition;
          std::vector<Problem> problems;
          ParseResult pr = parse(src);
          if (pr.expr) {
            problems = check(*pr.expr, *table);
          } else {
            problems = std::move(pr.problems);
          }
          for (const auto& p : problems) {
            model::SourcePos pos = rule.condition_pos;
            if (pos.file.empty()) pos = rule.pos;
            if (pos.file.empty()) pos.file = permissions_path;
            if (rule.condition_text_col > 0) pos.col = rule.condition_text_col + p.offset;
            diags.error(pos, "condition \"" + shown(src) + "\": " + p.message);
          }
          r["condition"] = src;
          if (problems.empty()) r["conditionAst"] = to_json(*pr.expr);
        }
        list.push_back(std::move(r));
      }
      ops[op] = std::move(list);
    }
    out["tables"][table_name] = std::move(ops);
  }
  return out;
}

}  // namespace stk::cel
