// stk: rendering of Hub answers and errors, --only parsing, apply request body.
#include <gtest/gtest.h>

#include "apply.hpp"
#include "hub_client.hpp"
#include "output.hpp"

using namespace stk::cli;

namespace {

const char* kApplyResponse = R"J({
  "releaseId": "rel_abc", "reused": false, "dryRun": false, "ref": "9f3c2e1",
  "steps": {"schema": "applied", "permissions": "validated", "release": "created"},
  "plan": {"main": {
    "operations": [
      {"op": "create_table", "table": "posts", "class": "safe", "sql": "CREATE TABLE \"posts\" (\"id\" text)",
       "description": "create table posts"},
      {"op": "add_column", "table": "users", "column": "bio", "class": "safe",
       "sql": "ALTER TABLE \"users\" ADD COLUMN \"bio\" text;"}
    ],
    "drift": []}},
  "warnings": [{"file": "schema/a.yaml", "line": 3, "col": 5, "message": "unused", "text": "schema/a.yaml:3:5: unused"}]
})J";

}  // namespace

TEST(StkOnly, ParsesInExecutionOrder) {
  EXPECT_EQ(parse_only("schema"), (std::vector<std::string>{"schema"}));
  EXPECT_EQ(parse_only("release,permissions"), (std::vector<std::string>{"permissions", "release"}));
  EXPECT_EQ(parse_only(" schema , schema,release"), (std::vector<std::string>{"schema", "release"}));
}

TEST(StkOnly, RejectsUnknownAndEmpty) {
  try {
    parse_only("schema,deploy");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "unknown step 'deploy' in --only (expected schema, permissions, release)");
  }
  EXPECT_THROW(parse_only(""), UsageError);
  EXPECT_THROW(parse_only(" , "), UsageError);
  EXPECT_THROW(parse_only("Schema"), UsageError);
}

TEST(StkApply, RequestBody) {
  stk::model::ProjectFiles files;
  files.schema.push_back({"schema/catalog.yaml", "version: 1\ntables: {}"});
  files.permissions = "tables: {}";
  files.logics["orders/list"] = "---\nauth: public\n---\nSELECT 1";
  ApplyRequest req{"shop", "dev", "9f3c2e1", {"schema", "release"}, true, false, true};
  J body = build_apply_body(req, files);
  EXPECT_EQ(
      body.dump(),
      R"({"project":"shop","env":"dev","ref":"9f3c2e1","only":["schema","release"],"dryRun":true,)"
      R"("force":false,"noSchemaApply":true,"schema":[{"path":"schema/catalog.yaml","content":"version: 1\ntables: {}"}],)"
      R"("permissions":"tables: {}","storage":null,"limits":null,"logics":{"orders/list":"---\nauth: public\n---\nSELECT 1"}})");
  req.only.clear();
  EXPECT_EQ(build_apply_body(req, files)["only"].dump(), R"(["schema","permissions","release"])");
}

TEST(StkApply, RendersSuccess) {
  EXPECT_EQ(render_apply_result(J::parse(kApplyResponse), false),
            "connection main:\n"
            "  [safe] create_table posts\n"
            "  [safe] add_column users.bio\n"
            "warning: schema/a.yaml:3:5: unused\n"
            "steps: schema=applied permissions=validated release=created\n"
            "releaseId: rel_abc (new)\n");
  J reused = J::parse(kApplyResponse);
  reused["reused"] = true;
  reused["plan"]["main"]["operations"] = J::array();
  reused["warnings"] = J::array();
  EXPECT_EQ(render_apply_result(reused, false),
            "connection main:\n"
            "  no changes\n"
            "steps: schema=applied permissions=validated release=created\n"
            "releaseId: rel_abc (reused)\n");
}

TEST(StkApply, RendersDryRunWithSql) {
  J r = J::parse(kApplyResponse);
  r["dryRun"] = true;
  r["releaseId"] = nullptr;
  r["steps"] = J::parse(R"({"schema":"planned","permissions":"validated","release":"skipped"})");
  r["plan"]["main"]["drift"] =
      J::parse(R"([{"table":"users","column":"age","message":"column users.age was added"}])");
  r["warnings"] = J::array();
  EXPECT_EQ(render_apply_result(r, true),
            "connection main:\n"
            "  [safe] create_table posts\n"
            "  [safe] add_column users.bio\n"
            "  drift: column users.age was added\n"
            "-- SQL for connection main\n"
            "CREATE TABLE \"posts\" (\"id\" text);\n"
            "ALTER TABLE \"users\" ADD COLUMN \"bio\" text;\n"
            "steps: schema=planned permissions=validated release=skipped\n"
            "releaseId: none\n"
            "dry run: nothing was applied\n");
}

TEST(StkApply, BlockedSteps) {
  J r = J::parse(
      R"({"releaseId":null,"steps":{"schema":"blocked","permissions":"validated","release":"skipped"},
    "plan":{"main":{"operations":[{"op":"drop_column","table":"users","column":"bio","class":"destructive"}]}}})");
  EXPECT_EQ(blocked_steps(r), (std::vector<std::string>{"schema=blocked"}));
  EXPECT_EQ(render_apply_blocked(r, false),
            "error: apply blocked: schema=blocked\n"
            "hint: re-run with --force to allow destructive changes (this drops data)\n");
  EXPECT_TRUE(blocked_steps(J::parse(kApplyResponse)).empty());
}

TEST(StkApply, RendersValidationFailure) {
  HubError e = error_from_response(400, R"({"error":{"code":"BAD_REQUEST","message":"validation failed",
    "requestId":"01JREQ","details":{
      "errors":[{"file":"schema/a.yaml","line":12,"col":7,"message":"unknown type 'strng'","text":"schema/a.yaml:12:7: unknown type 'strng'"},
                {"file":"config/permissions.yaml","line":4,"col":18,"message":"unsupported function call 'startsWith'"}],
      "warnings":[{"text":"schema/b.yaml:1:1: empty file"}]}}})");
  EXPECT_EQ(render_apply_error(e, false, false, "shop"),
            "schema/a.yaml:12:7: unknown type 'strng'\n"
            "config/permissions.yaml:4:18: unsupported function call 'startsWith'\n"
            "warning: schema/b.yaml:1:1: empty file\n"
            "error: validation failed: 2 error(s); nothing was applied (requestId 01JREQ)\n");
}

TEST(StkApply, RendersDestructiveConflict) {
  HubError e = error_from_response(409, R"({"error":{"code":"CONFLICT",
    "message":"the plan contains destructive operations; pass --force","requestId":"01JX",
    "details":{"plan":{"main":{"operations":[
      {"op":"drop_column","table":"users","column":"bio","class":"destructive","sql":"ALTER TABLE \"users\" DROP COLUMN \"bio\""}],
      "drift":[]}}}}})");
  EXPECT_EQ(render_apply_error(e, false, false, "shop"),
            "connection main:\n"
            "  [destructive] drop_column users.bio\n"
            "error: request failed: 409 CONFLICT: the plan contains destructive operations; pass --force "
            "(requestId 01JX)\n"
            "hint: re-run with --force to allow destructive changes (this drops data)\n");
  // A dry run also shows the SQL.
  EXPECT_NE(render_apply_error(e, true, false, "shop").find("ALTER TABLE \"users\" DROP COLUMN \"bio\";\n"),
            std::string::npos);
}

TEST(StkApply, RendersDriftConflict) {
  HubError e =
      error_from_response(409, R"({"error":{"code":"CONFLICT","message":"release gate: schema mismatch",
    "requestId":"01JY","details":{"drift":{"main":[{"table":"users","column":"age","message":"column users.age is not declared"}]}}}})");
  EXPECT_EQ(
      render_apply_error(e, false, true, "shop"),
      "connection main:\n"
      "  drift: column users.age is not declared\n"
      "error: request failed: 409 CONFLICT: release gate: schema mismatch (requestId 01JY)\n"
      "hint: the database was changed outside Santokit; review the drift, then run 'stk apply --only schema' "
      "(with --force if needed) to reconcile\n");
}

TEST(StkErrors, EnvelopeAndHints) {
  HubError e = error_from_response(
      403, R"({"error":{"code":"FORBIDDEN","message":"insufficient role","requestId":"01JZ"}})");
  EXPECT_EQ(e.http_status(), 403);
  EXPECT_EQ(e.code_name(), "FORBIDDEN");
  EXPECT_EQ(e.request_id(), "01JZ");
  EXPECT_EQ(e.code(), stk::Code::Forbidden);
  EXPECT_EQ(format_error(e, std::string("shop")),
            "error: request failed: 403 FORBIDDEN: insufficient role (requestId 01JZ)\n"
            "hint: ask a project admin for a role on 'shop'\n");

  HubError u = error_from_response(
      401, R"({"error":{"code":"UNAUTHORIZED","message":"session expired","requestId":"r1"}})");
  EXPECT_EQ(
      format_error(u, std::nullopt),
      "error: request failed: 401 UNAUTHORIZED: session expired (requestId r1)\nhint: run 'stk login'\n");

  HubError html = error_from_response(502, "<html>\nBad gateway\n</html>");
  EXPECT_EQ(html.code_name(), "");
  EXPECT_EQ(format_error(html, std::nullopt), "error: request failed: 502: <html> Bad gateway </html>\n");

  HubUnreachable down("http://127.0.0.1:4000", "connection refused", false);
  EXPECT_EQ(format_error(down, std::nullopt),
            "error: cannot reach the Hub at http://127.0.0.1:4000: connection refused\n"
            "hint: start it with 'santokit-hub' or pass --hub\n");

  CliError c("not logged in to the Hub at http://h:4000", "run 'stk login' (or set STK_AUTH_TOKEN)");
  EXPECT_EQ(
      format_error(c, std::nullopt),
      "error: not logged in to the Hub at http://h:4000\nhint: run 'stk login' (or set STK_AUTH_TOKEN)\n");
}

TEST(StkOutput, Tables) {
  J items = J::parse(
      R"([{"keyId":"key_1","name":"web","roles":["user","admin"],"status":"active","lastUsedAt":null},
                         {"keyId":"key_22","name":"backend","roles":[],"status":"revoked"}])");
  EXPECT_EQ(
      render_list(items,
                  {{"KEY_ID", "keyId"}, {"NAME", "name"}, {"ROLES", "roles"}, {"LAST_USED", "lastUsedAt"}}),
      "KEY_ID  NAME     ROLES       LAST_USED\n"
      "key_1   web      user,admin  -\n"
      "key_22  backend  -           -\n");
  EXPECT_EQ(render_list(J::array(), {{"A", "a"}}), "A\n");
  EXPECT_EQ(cell(J(true)), "true");
  EXPECT_EQ(cell(J(3)), "3");
}

TEST(StkOutput, PayloadSummary) {
  J payload = J::parse(
      R"({"schema":{"irByConnection":{"main":{"tables":{"users":{},"posts":{}}},"logs":{"tables":{"events":{}}}}},
    "permissions":{"version":1,"tables":{"posts":{"select":[{},{}],"insert":[{}]}}},
    "config":{"storage":{},"logics":{"a":{},"b":{}}}})");
  PayloadSummary s = summarize_payload(payload);
  EXPECT_EQ(s.tables, (std::vector<std::string>{"events", "posts", "users"}));
  EXPECT_EQ(s.rules, 3u);
  EXPECT_EQ(s.logics, 2u);
}

TEST(StkHubClient, QueryStringSkipsUnsetValues) {
  EXPECT_EQ(build_target("/api/audit",
                         {{"project", "shop"}, {"env", std::nullopt}, {"since", "24h"}, {"action", ""}}),
            "/api/audit?project=shop&since=24h");
  EXPECT_EQ(build_target("/api/projects", {}), "/api/projects");
}

TEST(StkApply, UnsupportedChangeIsNotForceable) {
  HubError e = error_from_response(409, R"({"error":{"code":"CONFLICT",
    "message":"the plan contains unsupported changes (see details.plan); drop and recreate the table or column (destructive) or fix the data by hand",
    "requestId":"01U","details":{"plan":{"main":{"operations":[
      {"op":"alter_column_type","table":"users","column":"age","class":"unsupported","sql":""}],"drift":[]}}}}})");
  std::string text = render_apply_error(e, false, false, "shop");
  EXPECT_NE(text.find("  [unsupported] alter_column_type users.age\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("--force"), std::string::npos) << text;
  EXPECT_NE(text.find("hint: unsupported changes cannot be applied"), std::string::npos) << text;
}

TEST(StkApply, PartialDdlFailureNamesCommittedConnections) {
  HubError e = error_from_response(400, R"({"error":{"code":"BAD_REQUEST",
    "message":"DDL failed on connection 'logs' and was rolled back there: boom","requestId":"01D",
    "details":{"plan":{},"warnings":[],"committedConnections":["main"]}}})");
  EXPECT_EQ(
      render_apply_error(e, false, false, "shop"),
      "note: DDL was already committed on connection(s): main\n"
      "error: request failed: 400 BAD_REQUEST: DDL failed on connection 'logs' and was rolled back there: "
      "boom (requestId 01D)\n");
}

TEST(StkApply, DriftWithDestructiveFixOnlySuggestsReconciling) {
  HubError e = error_from_response(
      409, R"({"error":{"code":"CONFLICT","message":"schema drift: the database was changed outside Santokit",
    "requestId":"01W","details":{"plan":{"main":{"operations":[{"op":"drop_column","table":"posts","column":"sneaky","class":"destructive"}],
    "drift":[{"table":"posts","message":"table 'posts': column 'sneaky' exists in the database but not in the last applied schema"}]}},"warnings":[]}}})");
  std::string text = render_apply_error(e, false, false, "shop");
  EXPECT_EQ(text.find("re-run with --force"), std::string::npos) << text;
  EXPECT_NE(text.find("hint: the database was changed outside Santokit"), std::string::npos) << text;
  EXPECT_NE(text.find("  drift: table 'posts': column 'sneaky'"), std::string::npos) << text;
}
