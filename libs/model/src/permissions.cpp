// config/permissions.yaml -> Permissions (spec bridge-crud §8). Conditions stay text here; libs/cel checks
// them.
#include "stk/model/permissions.hpp"

#include <sstream>

#include "stk/model/project.hpp"
#include "yaml_util.hpp"

namespace stk::model {

using detail::Entry;
using detail::Scalar;
using detail::ScalarKind;

namespace {

const char* const kOps[] = {"select", "insert", "update", "delete"};

std::vector<std::string> split_lines(const std::string& content) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(content);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// 1-based column of the condition's first character when the scalar's text appears verbatim on its line
// (plain or quoted without escapes), so offsets inside the expression map onto source columns; 0 otherwise.
int text_column(const std::vector<std::string>& lines, const YAML::Node& node, const std::string& text) {
  const YAML::Mark m = node.Mark();
  if (m.line < 0 || m.column < 0 || size_t(m.line) >= lines.size()) return 0;
  const std::string& line = lines[size_t(m.line)];
  size_t col = size_t(m.column);
  if (col >= line.size()) return 0;
  size_t start = col;
  char q = line[col];
  if (node.Tag() == "!") {
    if (q != '"' && q != '\'') return 0;  // block scalar
    start = col + 1;
    if (start + text.size() >= line.size() || line[start + text.size()] != q) return 0;
  }
  if (line.compare(start, text.size(), text) != 0) return 0;
  return int(start) + 1;
}

class PermissionsLoader {
 public:
  PermissionsLoader(const std::string& path, const std::string& content, const Schema& schema,
                    Diagnostics& diags)
      : path_(path), lines_(split_lines(content)), schema_(schema), diags_(diags) {}

  Permissions load(const YAML::Node& root) {
    Permissions out;
    if (root.IsNull()) return out;
    if (!root.IsMap()) {
      diags_.error(detail::pos_of(path_, root),
                   "the permissions file must be a mapping with 'tables', not " + detail::describe(root));
      return out;
    }
    for (const Entry& e : detail::map_entries(path_, root, diags_, "")) {
      if (e.key == "version") {
        Scalar s = detail::resolve_scalar(e.value);
        if (s.kind != ScalarKind::Int || s.i != 1) {
          diags_.error(e.value_pos, "unsupported permissions version " + detail::describe(e.value) +
                                        " (only 'version: 1' is supported)");
        }
      } else if (e.key == "tables") {
        if (e.value.IsNull()) continue;
        if (!e.value.IsMap()) {
          diags_.error(e.value_pos, "'tables' must be a mapping of table name to operations, not " +
                                        detail::describe(e.value));
          continue;
        }
        for (const Entry& te : detail::map_entries(path_, e.value, diags_, "")) load_table(te, out);
      } else {
        diags_.error(e.key_pos,
                     "unknown top-level key '" + e.key + "' (only 'tables' and 'version' are allowed)");
      }
    }
    return out;
  }

 private:
  void load_table(const Entry& te, Permissions& out) {
    const Table* table = schema_.table(te.key);
    if (!table) {
      diags_.error(te.key_pos, "unknown table '" + te.key + "' (not declared in schema/)");
      return;
    }
    const std::string what = "table '" + te.key + "': ";
    if (te.value.IsNull()) return;
    if (!te.value.IsMap()) {
      diags_.error(te.value_pos, what +
                                     "expected a mapping of operation (select, insert, update, delete) to "
                                     "rules, not " +
                                     detail::describe(te.value));
      return;
    }
    TablePermissions tp;
    for (const Entry& oe : detail::map_entries(path_, te.value, diags_, what)) {
      bool known = false;
      for (const char* op : kOps) known = known || oe.key == op;
      if (!known) {
        diags_.error(oe.key_pos,
                     what + "unknown operation '" + oe.key + "' (expected select, insert, update or delete)");
        continue;
      }
      std::vector<Rule> rules;
      if (oe.value.IsSequence()) {
        if (oe.value.size() == 0) {
          diags_.warning(oe.value_pos, what + oe.key + ": no rules (every " + oe.key + " is denied)");
        }
        int n = 0;
        for (const auto& rn : oe.value) {
          if (auto r = load_rule(*table, oe.key, ++n, rn)) rules.push_back(std::move(*r));
        }
      } else if (oe.value.IsMap()) {
        if (auto r = load_rule(*table, oe.key, 1, oe.value)) rules.push_back(std::move(*r));
      } else {
        diags_.error(oe.value_pos, what + oe.key + ": expected a rule or a list of rules, not " +
                                       detail::describe(oe.value));
        continue;
      }
      tp.ops[oe.key] = std::move(rules);
    }
    out.tables[te.key] = std::move(tp);
  }

  std::optional<Rule> load_rule(const Table& table, const std::string& op, int n, const YAML::Node& node) {
    const std::string what = "table '" + table.name + "' " + op + " rule " + std::to_string(n) + ": ";
    Rule r;
    r.pos = detail::pos_of(path_, node);
    if (!node.IsMap()) {
      diags_.error(r.pos, what + "expected a mapping with 'roles', not " + detail::describe(node));
      return std::nullopt;
    }
    bool has_roles = false;
    for (const Entry& e : detail::map_entries(path_, node, diags_, what)) {
      if (e.key == "roles") {
        has_roles = true;
        if (!e.value.IsSequence()) {
          diags_.error(e.value_pos,
                       what + "'roles' must be a list of role names, not " + detail::describe(e.value));
          continue;
        }
        if (e.value.size() == 0) diags_.error(e.value_pos, what + "'roles' must not be empty");
        for (const auto& item : e.value) {
          Scalar s = detail::resolve_scalar(item);
          if (!item.IsScalar() || s.kind != ScalarKind::String || s.text.empty()) {
            diags_.error(detail::pos_of(path_, item),
                         what + "a role must be a non-empty string, not " + detail::describe(item));
            continue;
          }
          r.roles.push_back(s.text);
        }
      } else if (e.key == "condition") {
        if (!e.value.IsScalar()) {
          diags_.error(e.value_pos, what + "'condition' must be a CEL expression string, not " +
                                        detail::describe(e.value));
          continue;
        }
        r.condition = e.value.Scalar();
        r.condition_pos = e.value_pos;
        r.condition_text_col = text_column(lines_, e.value, *r.condition);
      } else if (e.key == "columns") {
        if (op == "delete") {
          diags_.warning(e.key_pos, what + "'columns' is ignored on delete rules");
          continue;
        }
        if (!e.value.IsSequence()) {
          diags_.error(e.value_pos, what + "'columns' must be a list of column names or [\"*\"], not " +
                                        detail::describe(e.value));
          continue;
        }
        if (e.value.size() == 0) {
          diags_.error(e.value_pos,
                       what + "'columns' must not be empty (omit it or use [\"*\"] for all columns)");
          continue;
        }
        bool star = false;
        std::vector<std::string> cols;
        for (const auto& item : e.value) {
          Scalar s = detail::resolve_scalar(item);
          SourcePos ip = detail::pos_of(path_, item);
          if (!item.IsScalar() || s.kind == ScalarKind::Null) {
            diags_.error(ip, what + "a column name is expected, not " + detail::describe(item));
            continue;
          }
          if (s.text == "*") {
            star = true;
            continue;
          }
          if (!table.has_column(s.text)) {
            diags_.error(ip, what + "unknown column '" + s.text + "'");
            continue;
          }
          cols.push_back(s.text);
        }
        r.all_columns = star;
        if (!star) r.columns = std::move(cols);
      } else {
        diags_.error(e.key_pos,
                     what + "unknown rule key '" + e.key + "' (expected roles, condition or columns)");
      }
    }
    if (!has_roles) diags_.error(r.pos, what + "missing 'roles'");
    return r;
  }

  const std::string& path_;
  std::vector<std::string> lines_;
  const Schema& schema_;
  Diagnostics& diags_;
};

}  // namespace

Permissions load_permissions(const std::string& path, const std::string& content, const Schema& schema,
                             Diagnostics& diags) {
  auto root = detail::parse_yaml(path, content, diags);
  if (!root) return {};
  return PermissionsLoader(path, content, schema, diags).load(*root);
}

}  // namespace stk::model
