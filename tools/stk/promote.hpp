#pragma once
// Pure parts of `stk release promote|rollback` (spec hub-cli-schema §6, DESIGN Decision 5): the request
// bodies and the text rendering of the Hub's answers and refusals.
#include <optional>
#include <string>

#include "context.hpp"
#include "hub_client.hpp"

namespace stk::cli {

struct PromoteRequest {
  std::string project;
  std::string to;
  std::string from;        // empty = not given
  std::string release_id;  // empty = not given; wins over `from` on the Hub
  bool apply_schema = false;
  bool force = false;
};

// {project, to, from?, releaseId?, applySchema, force}; absent optional fields are left out.
J build_promote_body(const PromoteRequest& req);
// {project, env, toReleaseId?}
J build_rollback_body(const std::string& project, const std::string& env, const std::string& to_release_id);

// promoted rel_x (ref r1) from dev to prod            | prod already runs rel_x (ref r1); nothing changed
// <plan, when the schema was applied>
// releaseId: rel_x
// previous: rel_y                                       (or none)
// schema: unchanged (the database already matches)     | applied (N statement(s))
std::string render_promote_result(const J& response);

// rolled back prod to rel_x (ref r1)                   | prod already runs rel_x (ref r1); nothing changed
// releaseId: rel_x
// previous: rel_y
// warning: ...                                          (one line per warning)
std::string render_rollback_result(const J& response);

// stderr text for a refused promotion: a 409 with details.plan prints the plan, the error line and one hint
// (drift -> reconcile with `stk apply --env <to> --only schema`; unsupported; destructive -> --force;
// otherwise -> --apply-schema or `stk apply --env <to> --only schema`); anything else is format_error().
std::string render_promote_error(const HubError& e, const PromoteRequest& req);

}  // namespace stk::cli
