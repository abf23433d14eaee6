#include "promote.hpp"

#include <algorithm>
#include <cctype>

#include "apply.hpp"
#include "output.hpp"

namespace stk::cli {

namespace {

std::string str(const J& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return (it != obj.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "rel_x (ref r1)", or "rel_x" when the answer has no ref.
std::string release_label(const J& r) {
  std::string ref = str(r, "ref");
  return cell(r, "releaseId") + (ref.empty() ? "" : " (ref " + ref + ")");
}

bool plan_has(const J& plan, const char* what) {
  if (!plan.is_object()) return false;
  for (const auto& [conn, p] : plan.items()) {
    if (!p.is_object()) continue;
    if (std::string(what) == "drift") {
      if (auto d = p.find("drift"); d != p.end() && d->is_array() && !d->empty()) return true;
      continue;
    }
    if (auto ops = p.find("operations"); ops != p.end() && ops->is_array())
      for (const auto& op : *ops)
        if (str(op, "class") == what) return true;
  }
  return false;
}

}  // namespace

J build_promote_body(const PromoteRequest& req) {
  J body = {{"project", req.project}, {"to", req.to}};
  if (!req.from.empty()) body["from"] = req.from;
  if (!req.release_id.empty()) body["releaseId"] = req.release_id;
  body["applySchema"] = req.apply_schema;
  body["force"] = req.force;
  return body;
}

J build_rollback_body(const std::string& project, const std::string& env, const std::string& to_release_id) {
  J body = {{"project", project}, {"env", env}};
  if (!to_release_id.empty()) body["toReleaseId"] = to_release_id;
  return body;
}

std::string render_promote_result(const J& r) {
  std::string out;
  const bool moved = r.is_object() && r.value("moved", true);
  const std::string env = cell(r, "env");
  if (moved) {
    out += "promoted " + release_label(r);
    if (std::string from = str(r, "fromEnv"); !from.empty()) out += " from " + from;
    out += " to " + env + "\n";
  } else {
    out += env + " already runs " + release_label(r) + "; nothing changed\n";
  }
  const bool applied = str(r, "schema") == "applied";
  if (applied && r.is_object() && r.contains("plan")) out += render_plan(r["plan"], false);
  out += "releaseId: " + cell(r, "releaseId") + "\n";
  out += "previous: " +
         (cell(r, "previousReleaseId") == "-" ? std::string("none") : cell(r, "previousReleaseId")) + "\n";
  if (applied) {
    out += "schema: applied (" + cell(r, "statements") + " statement(s))\n";
  } else {
    out += "schema: unchanged (the database already matches the release)\n";
  }
  return out;
}

std::string render_rollback_result(const J& r) {
  std::string out;
  const bool moved = r.is_object() && r.value("moved", true);
  const std::string env = cell(r, "env");
  if (moved)
    out += "rolled back " + env + " to " + release_label(r) + "\n";
  else
    out += env + " already runs " + release_label(r) + "; nothing changed\n";
  out += "releaseId: " + cell(r, "releaseId") + "\n";
  out += "previous: " + cell(r, "previousReleaseId") + "\n";
  if (r.is_object())
    if (auto w = r.find("warnings"); w != r.end() && w->is_array())
      for (const auto& item : *w)
        out += "warning: " + (item.is_string() ? item.get<std::string>() : item.dump()) + "\n";
  return out;
}

std::string render_promote_error(const HubError& e, const PromoteRequest& req) {
  const J& details = e.details_json();
  if (e.http_status() != 409 || !details.is_object() || !details.contains("plan"))
    return format_error(e, req.project);
  const J& plan = details["plan"];
  std::string out = render_plan(plan, false);
  out += hub_error_line(e);
  const std::string m = lower(e.what());
  const std::string schema_cmd = "stk apply --env " + req.to + " --only schema";
  if (m.find("drift") != std::string::npos || plan_has(plan, "drift")) {
    out += "hint: the database of " + req.to +
           " was changed outside Santokit; check out the release's ref and run '" + schema_cmd +
           "' (with --force if it must drop something) to reconcile, then promote again\n";
  } else if (m.find("unsupported") != std::string::npos || plan_has(plan, "unsupported")) {
    out +=
        "hint: unsupported changes cannot be applied: drop and re-create the column or table "
        "(destructive), or fix the data by hand\n";
  } else if (m.find("destructive") != std::string::npos) {
    out +=
        "hint: re-run with --apply-schema --force to allow destructive changes (this drops data; needs "
        "project admin)\n";
  } else if (!req.apply_schema) {
    out += "hint: re-run with --apply-schema to migrate " + req.to +
           " as part of the promotion, or check out the release's ref and run '" + schema_cmd + "'\n";
  }
  return out;
}

}  // namespace stk::cli
