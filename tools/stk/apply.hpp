#pragma once
// Pure parts of `stk apply` (spec hub-cli-schema §5, §10.4): `--only` parsing, the request body, and the text
// rendering of the Hub's answer (success, validation failure, conflict).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "context.hpp"
#include "hub_client.hpp"
#include "stk/model/project.hpp"

namespace stk::cli {

// The steps in their fixed execution order.
const std::vector<std::string>& apply_steps();

// "permissions,release" -> {"permissions","release"} (execution order, duplicates removed).
// Throws UsageError for an empty list or an unknown step.
std::vector<std::string> parse_only(std::string_view text);

struct ApplyRequest {
  std::string project;
  std::string env;
  std::string ref;
  std::vector<std::string> only;  // empty = all steps
  bool dry_run = false;
  bool force = false;
  bool no_schema_apply = false;
};

// {project, env, ref, only, dryRun, force, noSchemaApply, schema:[{path,content}], permissions, storage,
// logics}
J build_apply_body(const ApplyRequest& req, const model::ProjectFiles& files);

// Per connection:
//   connection main:
//     [safe] create_table posts
//     [destructive] drop_column posts.legacy
//     drift: <message>
// and, with `with_sql`, the statements an apply would run:
//   -- SQL for connection main
//   CREATE TABLE ...;
std::string render_plan(const J& plan, bool with_sql);

// Plan (SQL too when dry-run), `warning: ` lines, `steps: schema=... permissions=... release=...`,
// `releaseId: rel_... (new|reused)` (or `releaseId: none`), and `dry run: nothing was applied` for dry runs.
std::string render_apply_result(const J& response, bool dry_run);

// Steps of a 200 answer whose status is blocked or failed ("release=blocked").
std::vector<std::string> blocked_steps(const J& response);
// stderr text for a 200 answer with blocked steps: `error: apply blocked: ...` + hints.
std::string render_apply_blocked(const J& response, bool force);

// stderr text for an apply the Hub refused:
//   400/422 with details.errors: every diagnostic line (warnings prefixed `warning: `), then
//     `error: validation failed: N error(s); nothing was applied (requestId ...)`
//   409: the plan and drift from details, the error line, and hints (--force / drift reconciliation)
//   other: format_error()
std::string render_apply_error(const HubError& e, bool dry_run, bool force,
                               const std::optional<std::string>& project);

}  // namespace stk::cli
