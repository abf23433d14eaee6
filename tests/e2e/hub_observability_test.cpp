// santokit-hub operations end to end (issue 4; spec sdk-mcp-observability §4–§6, seed §4.1): /metrics is
// valid Prometheus text whose apply/release/audit/request series move with what an operator does, health
// bodies are exact, and the request log has one JSON line per request without passwords or tokens.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"
#include "project_fixture.hpp"
#include "service_output.hpp"
#include "stk/http/client.hpp"

using namespace stk::e2e;
using nlohmann::json;

namespace {

double sample(const std::string& text, const std::string& series) {
  return metric_sample(text, series).value_or(0);
}

std::string scrape(const Hub& hub) {
  stk::http::Client c(hub.url());
  auto r = c.request("GET", "/metrics", {}, "", 10000);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.header("content-type").find("text/plain"), std::string::npos);
  return r.body;
}

TEST(HubObservability, MetricsCountAppliesReleasesAuditAndRequests) {
  Hub hub;
  const std::string dir = make_temp_dir("stk-hub-metrics");
  Cli cli{hub.url(), dir};
  write_file(dir + "/schema/shop.yaml", kShopSchema);
  write_file(dir + "/config/permissions.yaml", kShopPermissions);
  cli.login(Hub::kOwnerEmail, Hub::kOwnerPassword);
  ASSERT_EQ(cli({"project", "create", "shop"}).exit_code, 0);
  ASSERT_EQ(cli({"context", "set", "--project", "shop", "--env", "dev"}).exit_code, 0);
  ASSERT_EQ(cli({"env", "create", "dev"}).exit_code, 0);
  const std::string db = create_database("stk_hub_metrics");
  ASSERT_EQ(cli({"connections", "set", "--name", "main", "--engine", "postgres", "--db-url", db}).exit_code,
            0);
  const std::string before = scrape(hub);

  auto first = cli({"apply", "--ref", "r1"});
  ASSERT_EQ(first.exit_code, 0) << first.all();
  ASSERT_EQ(cli({"apply", "--ref", "r1"}).exit_code, 0);  // same input: the release is reused, not created
  write_file(dir + "/schema/shop.yaml",
             std::string(kShopSchema) + "  notes:\n    columns:\n      body: { type: string }\n");
  ASSERT_EQ(cli({"apply", "--ref", "r2"}).exit_code, 0);
  write_file(dir + "/schema/shop.yaml", "version: 1\ntables: [this is not a table map\n");
  EXPECT_NE(cli({"apply", "--ref", "r3"}).exit_code, 0);  // the Hub refuses it: a failed apply
  ASSERT_EQ(cli({"apikey", "create", "--name", "app", "--roles", "admin"}).exit_code, 0);

  std::string after;
  // Audit entries are batched (100 ms): wait for the writer.
  for (int i = 0; i < 50; ++i) {
    after = scrape(hub);
    if (sample(after, "stk_hub_audit_log_entries_total") > sample(before, "stk_hub_audit_log_entries_total"))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string file = make_temp_dir("stk-hub-metrics-out") + "/metrics.txt";
  write_file(file, after);
  auto check = run({"sh", "-c", "promtool check metrics < '" + file + "'"});
  EXPECT_EQ(check.exit_code, 0) << "promtool check metrics:\n" << check.all();

  EXPECT_EQ(sample(after, R"(stk_hub_schema_applies_total{project="shop",env="dev",result="success"})"), 3)
      << after;
  EXPECT_EQ(sample(after, R"(stk_hub_schema_applies_total{project="shop",env="dev",result="failure"})"), 1);
  EXPECT_EQ(sample(after, R"(stk_hub_schema_apply_duration_seconds_count{project="shop",env="dev"})"), 4);
  EXPECT_GT(sample(after, R"(stk_hub_schema_apply_duration_seconds_sum{project="shop",env="dev"})"), 0);
  EXPECT_EQ(sample(after, R"(stk_hub_releases_created_total{project="shop",env="dev"})"), 2);
  EXPECT_GT(sample(after, "stk_hub_audit_log_entries_total"),
            sample(before, "stk_hub_audit_log_entries_total"));
  EXPECT_EQ(sample(after, "stk_hub_audit_log_write_duration_seconds_count"),
            sample(after, "stk_hub_audit_log_entries_total"));
  EXPECT_GE(sample(after, R"(stk_hub_requests_total{method="POST",path="/api/apply",status="2xx"})"), 3);
  EXPECT_GE(sample(after, R"(stk_hub_request_duration_seconds_count{method="POST",path="/api/apply"})"), 3);
  EXPECT_EQ(sample(after, R"(stk_hub_api_keys_per_project{project="shop",env="dev"})"), 1);
  EXPECT_GE(sample(after, R"(stk_hub_tables_per_connection{project="shop",env="dev",connection="main"})"), 2);
  EXPECT_GT(sample(after, "process_resident_memory_bytes"), 1e6);

  // A made-up path is counted under "unknown", never as its own series.
  stk::http::Client c(hub.url());
  EXPECT_EQ(c.request("GET", "/api/no-such-route-xyz", {}, "", 5000).status, 401);
  EXPECT_EQ(scrape(hub).find("no-such-route-xyz"), std::string::npos);
}

TEST(HubObservability, HealthBodiesAreExactAndLogsCarryNoSecrets) {
  Hub hub;
  stk::http::Client c(hub.url());
  for (const char* path : {"/healthz", "/readyz", "/internal/healthz"}) {
    auto r = c.request("GET", path, {}, "", 5000);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, R"({"ok":true})") << path;
  }
  const std::string dir = make_temp_dir("stk-hub-logs");
  Cli cli{hub.url(), dir};
  cli.login(Hub::kOwnerEmail, Hub::kOwnerPassword);
  ASSERT_EQ(cli({"project", "create", "logs"}).exit_code, 0);
  ASSERT_EQ(cli({"context", "set", "--project", "logs", "--env", "dev"}).exit_code, 0);
  ASSERT_EQ(cli({"env", "create", "dev"}).exit_code, 0);
  auto key = cli({"apikey", "create", "--name", "k", "--roles", "admin", "--output", "json"});
  ASSERT_EQ(key.exit_code, 0) << key.all();
  const std::string secret = json::parse(key.out).value("apiKey", "");
  ASSERT_NE(secret.find('.'), std::string::npos);
  auto bad =
      c.request("GET", "/api/projects", {{"Authorization", "Bearer not-a-session-token-secret"}}, "", 5000);
  EXPECT_EQ(bad.status, 401);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string log = hub.log();
  const LogLines lines = json_lines(log);
  EXPECT_TRUE(lines.not_json.empty()) << "not a JSON line: " << lines.not_json.front();
  size_t completed = 0;
  for (const auto& j : lines.objects) {
    if (j.value("msg", "") != "request completed") continue;
    ++completed;
    EXPECT_TRUE(j.contains("requestId") && j.contains("status") && j.contains("durationMs")) << j.dump();
  }
  EXPECT_GE(completed, 3u) << log;
  EXPECT_EQ(log.find(Hub::kOwnerPassword), std::string::npos) << "the Hub log holds the owner's password";
  EXPECT_EQ(log.find("not-a-session-token-secret"), std::string::npos);
  EXPECT_EQ(log.find(secret.substr(secret.find('.') + 1)), std::string::npos)
      << "the Hub log holds an API key";
  EXPECT_EQ(log.find(kTestBridgeToken), std::string::npos);
  EXPECT_GT(lines.objects.size(), completed);
}

// Request bodies nested deeper than stk::kMaxJsonDepth are refused before parsing, also where no login is
// needed yet, and the Hub keeps serving.
TEST(HubRequests, DeeplyNestedBodyIsABadRequest) {
  Hub hub;
  stk::http::Client c(hub.url());
  const std::string deep = "{\"email\": " + std::string(200000, '[') + std::string(200000, ']') + "}";
  auto r = c.request("POST", "/api/auth/login", {{"Content-Type", "application/json"}}, deep, 10000);
  EXPECT_EQ(r.status, 400) << r.body;
  auto body = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body["error"]["code"], "BAD_REQUEST");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("deeper than 512 levels"), std::string::npos)
      << r.body;
  EXPECT_EQ(c.request("GET", "/healthz", {}, "", 5000).status, 200);
}

}  // namespace
