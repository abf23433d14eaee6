// stk release promote|rollback: request bodies and the rendering of the Hub's answers and refusals.
#include <gtest/gtest.h>

#include "hub_client.hpp"
#include "promote.hpp"

using namespace stk::cli;

TEST(StkPromote, RequestBodies) {
  PromoteRequest req{"shop", "prod", "stg", "", false, false};
  EXPECT_EQ(build_promote_body(req).dump(),
            R"J({"project":"shop","to":"prod","from":"stg","applySchema":false,"force":false})J");
  req.release_id = "rel_abc";
  req.apply_schema = true;
  EXPECT_EQ(build_promote_body(req)["releaseId"], "rel_abc");
  EXPECT_EQ(build_promote_body(req)["applySchema"], true);
  EXPECT_EQ(build_rollback_body("shop", "prod", "").dump(), R"J({"project":"shop","env":"prod"})J");
  EXPECT_EQ(build_rollback_body("shop", "prod", "rel_a")["toReleaseId"], "rel_a");
}

TEST(StkPromote, RendersPromotion) {
  J r = J::parse(R"J({"releaseId":"rel_abc","env":"prod","fromEnv":"stg","ref":"9f3c2e1",
    "previousReleaseId":"rel_old","moved":true,"schema":"unchanged","statements":0,
    "plan":{"main":{"operations":[],"drift":[]}}})J");
  EXPECT_EQ(render_promote_result(r),
            "promoted rel_abc (ref 9f3c2e1) from stg to prod\n"
            "releaseId: rel_abc\n"
            "previous: rel_old\n"
            "schema: unchanged (the database already matches the release)\n");
  r["moved"] = false;
  r["fromEnv"] = nullptr;
  r["previousReleaseId"] = nullptr;
  r["schema"] = "applied";
  r["statements"] = 1;
  r["plan"]["main"]["operations"] = J::parse(
      R"J([{"op":"create_table","table":"posts","class":"safe","sql":"CREATE TABLE \"posts\" (\"id\" text)"}])J");
  EXPECT_EQ(render_promote_result(r),
            "prod already runs rel_abc (ref 9f3c2e1); nothing changed\n"
            "connection main:\n"
            "  [safe] create_table posts\n"
            "releaseId: rel_abc\n"
            "previous: none\n"
            "schema: applied (1 statement(s))\n");
}

TEST(StkPromote, RendersRollbackWithWarnings) {
  J r = J::parse(R"J({"releaseId":"rel_a","env":"prod","ref":"v1","previousReleaseId":"rel_b","moved":true,
    "warnings":["connection 'main': the database does not match release rel_a (1 schema change(s) pending)"]})J");
  EXPECT_EQ(render_rollback_result(r),
            "rolled back prod to rel_a (ref v1)\n"
            "releaseId: rel_a\n"
            "previous: rel_b\n"
            "warning: connection 'main': the database does not match release rel_a (1 schema change(s) "
            "pending)\n");
}

TEST(StkPromote, GateRefusalShowsPlanAndHint) {
  PromoteRequest req{"shop", "prod", "stg", "", false, false};
  HubError e = error_from_response(409, R"J({"error":{"code":"CONFLICT",
    "message":"the database of env 'prod' is not at the schema of release rel_abc","requestId":"01JX",
    "details":{"plan":{"main":{"operations":[
      {"op":"create_table","table":"posts","class":"safe","sql":"CREATE TABLE \"posts\" (\"id\" text)"}],
      "drift":[]}}}}})J");
  EXPECT_EQ(render_promote_error(e, req),
            "connection main:\n"
            "  [safe] create_table posts\n"
            "error: request failed: 409 CONFLICT: the database of env 'prod' is not at the schema of release "
            "rel_abc (requestId 01JX)\n"
            "hint: re-run with --apply-schema to migrate prod as part of the promotion, or check out the "
            "release's ref and run 'stk apply --env prod --only schema'\n");

  HubError drift =
      error_from_response(409, R"J({"error":{"code":"CONFLICT","message":"schema drift in env 'prod'",
    "requestId":"01JY","details":{"plan":{"main":{"operations":[],"drift":[{"table":"posts","message":"column posts.x is not declared"}]}}}}})J");
  std::string text = render_promote_error(drift, req);
  EXPECT_NE(text.find("  drift: column posts.x is not declared\n"), std::string::npos) << text;
  EXPECT_NE(text.find("hint: the database of prod was changed outside Santokit"), std::string::npos) << text;

  HubError forbidden = error_from_response(
      403, R"J({"error":{"code":"FORBIDDEN","message":"insufficient role","requestId":"01JZ"}})J");
  EXPECT_EQ(render_promote_error(forbidden, req),
            "error: request failed: 403 FORBIDDEN: insufficient role (requestId 01JZ)\n"
            "hint: ask a project admin for a role on 'shop'\n");
}
