#include "apply.hpp"

#include <algorithm>
#include <cctype>

#include "output.hpp"

namespace stk::cli {

namespace {

constexpr const char* kDestructiveHint = "re-run with --force to allow destructive changes (this drops data)";
constexpr const char* kDriftHint =
    "the database was changed outside Santokit; review the drift, then run 'stk apply --only schema' (with "
    "--force "
    "if needed) to reconcile";
constexpr const char* kUnsupportedHint =
    "unsupported changes cannot be applied: drop and re-create the column or table (destructive), or fix the "
    "data "
    "by hand";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string str(const J& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

const J& array_at(const J& obj, const char* key) {
  static const J empty = J::array();
  if (!obj.is_object()) return empty;
  auto it = obj.find(key);
  return (it != obj.end() && it->is_array()) ? *it : empty;
}

std::string op_line(const J& op) {
  std::string klass = str(op, "class");
  std::string target = str(op, "table");
  if (std::string col = str(op, "column"); !col.empty()) target += "." + col;
  std::string line = "  [" + (klass.empty() ? std::string("?") : klass) + "] " + str(op, "op");
  if (!target.empty()) line += " " + target;
  return line;
}

std::string drift_message(const J& d) {
  if (d.is_string()) return d.get<std::string>();
  std::string msg = str(d, "message");
  if (!msg.empty()) return msg;
  std::string target = str(d, "table");
  if (std::string col = str(d, "column"); !col.empty()) target += "." + col;
  return target.empty() ? d.dump() : target;
}

bool plan_has_class(const J& plan, const std::string& klass) {
  if (!plan.is_object()) return false;
  for (const auto& [conn, p] : plan.items())
    for (const auto& op : array_at(p, "operations"))
      if (str(op, "class") == klass) return true;
  return false;
}

bool plan_has_drift(const J& plan) {
  if (!plan.is_object()) return false;
  for (const auto& [conn, p] : plan.items())
    if (!array_at(p, "drift").empty()) return true;
  return false;
}

// details.drift may be {connection: [items]} or [items] (items possibly carrying `connection`): fold it into
// the plan so each connection prints once.
J merge_drift(J plan, const J& drift) {
  if (!plan.is_object()) plan = J::object();
  auto add = [&plan](const std::string& conn, const J& item) {
    J& p = plan[conn];
    if (!p.is_object()) p = J::object();
    if (!p.contains("operations")) p["operations"] = J::array();
    J& list = p["drift"];
    if (!list.is_array()) list = J::array();
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
  };
  if (drift.is_object()) {
    for (const auto& [conn, items] : drift.items()) {
      if (items.is_array())
        for (const auto& item : items) add(conn, item);
      else if (items.is_object() && items.contains("drift"))  // {conn: {drift:[...]}}
        for (const auto& item : array_at(items, "drift")) add(conn, item);
    }
  } else if (drift.is_array()) {
    for (const auto& item : drift) {
      std::string conn = str(item, "connection");
      add(conn.empty() ? "main" : conn, item);
    }
  }
  return plan;
}

// At most one remedy: drift first (a plain --force cannot get past the release gate; the drift hint already
// says to add --force to the schema-only apply), then unsupported changes (they cannot be forced; their
// message mentions "destructive" only as a way out), then destructive changes.
std::string hints(const std::string& message, const J& plan, bool force) {
  std::string m = lower(message);
  if (m.find("drift") != std::string::npos || plan_has_drift(plan))
    return std::string("hint: ") + kDriftHint + "\n";
  if (m.find("unsupported") != std::string::npos || plan_has_class(plan, "unsupported"))
    return std::string("hint: ") + kUnsupportedHint + "\n";
  if (!force && (m.find("destructive") != std::string::npos || plan_has_class(plan, "destructive")))
    return std::string("hint: ") + kDestructiveHint + "\n";
  return {};
}

std::string warning_line(const J& w) {
  std::string text = diagnostic_text(w);
  if (lower(text).rfind("warning", 0) == 0) return text;
  return "warning: " + text;
}

}  // namespace

const std::vector<std::string>& apply_steps() {
  static const std::vector<std::string> k = {"schema", "permissions", "release"};
  return k;
}

std::vector<std::string> parse_only(std::string_view text) {
  std::vector<bool> seen(apply_steps().size(), false);
  size_t start = 0;
  bool any = false;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item =
        trim(std::string(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start)));
    if (!item.empty()) {
      auto it = std::find(apply_steps().begin(), apply_steps().end(), item);
      if (it == apply_steps().end())
        throw UsageError("unknown step '" + item + "' in --only (expected schema, permissions, release)");
      seen[static_cast<size_t>(it - apply_steps().begin())] = true;
      any = true;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (!any) throw UsageError("--only needs at least one of schema, permissions, release");
  std::vector<std::string> out;
  for (size_t i = 0; i < seen.size(); ++i)
    if (seen[i]) out.push_back(apply_steps()[i]);
  return out;
}

J build_apply_body(const ApplyRequest& req, const model::ProjectFiles& files) {
  J schema = J::array();
  for (const auto& f : files.schema) schema.push_back(J{{"path", f.path}, {"content", f.content}});
  J logics = J::object();
  for (const auto& [name, content] : files.logics) logics[name] = content;
  J only = J::array();
  for (const auto& step : req.only.empty() ? apply_steps() : req.only) only.push_back(step);
  return J{{"project", req.project},
           {"env", req.env},
           {"ref", req.ref},
           {"only", only},
           {"dryRun", req.dry_run},
           {"force", req.force},
           {"noSchemaApply", req.no_schema_apply},
           {"schema", schema},
           {"permissions", files.permissions ? J(*files.permissions) : J(nullptr)},
           {"storage", files.storage ? J(*files.storage) : J(nullptr)},
           {"limits", files.limits ? J(*files.limits) : J(nullptr)},
           {"logics", logics}};
}

std::string render_plan(const J& plan, bool with_sql) {
  std::string out;
  if (!plan.is_object()) return out;
  for (const auto& [conn, p] : plan.items()) {
    out += "connection " + conn + ":\n";
    const J& ops = array_at(p, "operations");
    const J& drift = array_at(p, "drift");
    if (ops.empty() && drift.empty()) out += "  no changes\n";
    for (const auto& op : ops) out += op_line(op) + "\n";
    for (const auto& d : drift) out += "  drift: " + drift_message(d) + "\n";
    if (!with_sql) continue;
    std::string sql;
    for (const auto& op : ops) {
      std::string stmt = trim(str(op, "sql"));
      if (stmt.empty()) continue;
      if (stmt.back() != ';') stmt += ';';
      sql += stmt + "\n";
    }
    if (!sql.empty()) out += "-- SQL for connection " + conn + "\n" + sql;
  }
  return out;
}

std::string render_apply_result(const J& response, bool dry_run) {
  bool dry = dry_run || (response.is_object() && response.value("dryRun", false));
  std::string out;
  if (response.is_object()) {
    if (auto it = response.find("plan"); it != response.end()) out += render_plan(*it, dry);
  }
  for (const auto& w : array_at(response, "warnings")) out += warning_line(w) + "\n";

  std::string steps;
  if (response.is_object()) {
    if (auto it = response.find("steps"); it != response.end() && it->is_object()) {
      for (const auto& step : apply_steps())
        if (it->contains(step)) steps += " " + step + "=" + cell((*it)[step]);
      for (const auto& [step, status] : it->items())
        if (std::find(apply_steps().begin(), apply_steps().end(), step) == apply_steps().end())
          steps += " " + step + "=" + cell(status);
    }
  }
  if (!steps.empty()) out += "steps:" + steps + "\n";

  std::string id = str(response, "releaseId");
  if (id.empty())
    out += "releaseId: none\n";
  else
    out += "releaseId: " + id + (response.value("reused", false) ? " (reused)" : " (new)") + "\n";
  if (dry) out += "dry run: nothing was applied\n";
  return out;
}

std::vector<std::string> blocked_steps(const J& response) {
  std::vector<std::string> out;
  if (!response.is_object()) return out;
  auto it = response.find("steps");
  if (it == response.end() || !it->is_object()) return out;
  for (const auto& [step, status] : it->items()) {
    if (!status.is_string()) continue;
    const std::string s = status.get<std::string>();
    if (s == "blocked" || s == "failed") out.push_back(step + "=" + s);
  }
  return out;
}

std::string render_apply_blocked(const J& response, bool force) {
  std::string list;
  for (const auto& b : blocked_steps(response)) list += (list.empty() ? "" : ", ") + b;
  std::string out = "error: apply blocked: " + list + "\n";
  J plan = response.is_object() ? response.value("plan", J::object()) : J::object();
  out += hints("", plan, force);
  return out;
}

std::string render_apply_error(const HubError& e, bool dry_run, bool force,
                               const std::optional<std::string>& project) {
  const J& details = e.details_json();
  const int status = e.http_status();
  const std::string rid = request_id_suffix(e.request_id());

  if ((status == 400 || status == 422) && details.is_object() && details.contains("errors") &&
      details["errors"].is_array()) {
    std::string out;
    for (const auto& err : details["errors"]) out += diagnostic_text(err) + "\n";
    for (const auto& w : array_at(details, "warnings")) out += warning_line(w) + "\n";
    out += "error: validation failed: " + std::to_string(details["errors"].size()) +
           " error(s); nothing was applied" + rid + "\n";
    return out;
  }

  if (status == 409 && details.is_object() && (details.contains("plan") || details.contains("drift"))) {
    J plan = details.value("plan", J::object());
    if (auto it = details.find("drift"); it != details.end()) plan = merge_drift(plan, *it);
    std::string out = render_plan(plan, dry_run);
    for (const auto& w : array_at(details, "warnings")) out += warning_line(w) + "\n";
    out += hub_error_line(e);
    out += hints(e.what(), plan, force);
    return out;
  }

  std::string out;
  // DDL that failed on a later connection: the earlier ones stay committed (no cross-connection atomicity).
  if (details.is_object()) {
    const J& committed = array_at(details, "committedConnections");
    if (!committed.empty())
      out += "note: DDL was already committed on connection(s): " + cell(committed) + "\n";
  }
  out += format_error(e, project);
  if (status == 409) out += hints(e.what(), J::object(), force);
  return out;
}

}  // namespace stk::cli
