// santokit-bridge operations end to end (issue 4; spec sdk-mcp-observability §4–§6): /metrics is valid
// Prometheus text (promtool) whose numbers move with the requests made, pool gauges show a statement really
// in flight, one JSON log line per request without any secret, and readiness follows the release cache and
// the database.
#include <algorithm>
#include <regex>
#include <thread>

#include "bridge_fixture.hpp"
#include "service_output.hpp"

using namespace stk::e2e;

namespace {

class BridgeObservability : public BridgeSuite<BridgeObservability> {
 public:
  static BridgeStack::Options options() {
    BridgeStack::Options o;
    o.keys = {"admin", "reader"};
    return o;
  }

 protected:
  static std::string metrics_text() {
    auto r = s().http("GET", "/metrics", "");
    EXPECT_EQ(r.status, 200) << r.raw.substr(0, 500);
    return r.raw;
  }
  // The value of the sample whose line starts with `series` (name + exact label set), or -1 when absent.
  static double sample(const std::string& text, const std::string& series) {
    return metric_sample(text, series).value_or(-1);
  }
  static double value_or_zero(const std::string& text, const std::string& series) {
    return metric_sample(text, series).value_or(0);
  }
};

TEST_F(BridgeObservability, MetricsAreValidPrometheusTextAndCountWhatHappened) {
  const std::string t = tag();
  ASSERT_OK(s().insert("admin", "books", J(R"({"title": "m", "batch": "@T"})", t)));
  const std::string before = metrics_text();

  for (int i = 0; i < 3; ++i) ASSERT_OK(s().select("admin", "books", J(R"({"where": {"batch": "@T"}})", t)));
  EXPECT_EQ(s().select("reader", "ledger").status, 403);
  EXPECT_EQ(s().post_call(R"({"path": "db/books/select"})", {}).status, 401);
  EXPECT_EQ(s().post_call("{", s().with_key("admin")).status, 400);

  const std::string after = metrics_text();
  // promtool (package prometheus) validates the whole exposition: names, types, HELP, histogram series.
  const std::string file = make_temp_dir("stk-metrics") + "/metrics.txt";
  write_file(file, after);
  auto check = run({"sh", "-c", "promtool check metrics < '" + file + "'"});
  EXPECT_EQ(check.exit_code, 0) << "promtool check metrics:\n" << check.all();

  const std::string ok_select =
      R"(stk_bridge_requests_total{project="lib",env="dev",path="db/books/select",status="2xx"})";
  EXPECT_EQ(value_or_zero(after, ok_select) - value_or_zero(before, ok_select), 3) << after;
  const std::string lat =
      R"(stk_bridge_request_duration_seconds_count{project="lib",env="dev",path="db/books/select"})";
  EXPECT_EQ(value_or_zero(after, lat) - value_or_zero(before, lat), 3);
  const std::string lat_inf =
      R"(stk_bridge_request_duration_seconds_bucket{project="lib",env="dev",path="db/books/select",le="+Inf"})";
  EXPECT_EQ(sample(after, lat_inf), sample(after, lat));
  const std::string denied =
      R"(stk_bridge_permission_denials_total{project="lib",env="dev",table="ledger",op="select"})";
  EXPECT_EQ(value_or_zero(after, denied) - value_or_zero(before, denied), 1) << after;
  const std::string forbidden =
      R"(stk_bridge_errors_total{project="lib",env="dev",path="db/ledger/select",code="FORBIDDEN"})";
  EXPECT_EQ(value_or_zero(after, forbidden) - value_or_zero(before, forbidden), 1);
  // No credential and no project hint: the request cannot be attributed to a project.
  const std::string unauth =
      R"(stk_bridge_auth_failures_total{project="unknown",env="unknown",auth_type="none"})";
  EXPECT_EQ(value_or_zero(after, unauth) - value_or_zero(before, unauth), 1);
  const std::string bad =
      R"(stk_bridge_errors_total{project="unknown",env="unknown",path="unknown",code="BAD_REQUEST"})";
  EXPECT_EQ(value_or_zero(after, bad) - value_or_zero(before, bad), 1);
  // Every statement is timed (insert + 3 selects before/after), and so is every permission evaluation.
  const std::string db =
      R"(stk_bridge_db_query_duration_seconds_count{project="lib",env="dev",connection="main"})";
  EXPECT_EQ(value_or_zero(after, db) - value_or_zero(before, db), 3);
  const std::string perm = R"(stk_bridge_permission_eval_duration_seconds_count{project="lib",env="dev"})";
  EXPECT_EQ(value_or_zero(after, perm) - value_or_zero(before, perm), 4);  // 3 selects + the 403
  EXPECT_GT(sample(after, R"(stk_bridge_permission_eval_duration_seconds_sum{project="lib",env="dev"})"), 0);

  EXPECT_EQ(sample(after, R"(stk_bridge_release_cache_state{project="lib",env="dev"})"), 1);  // FRESH
  EXPECT_GE(sample(after, R"(stk_bridge_release_cache_age_seconds{project="lib",env="dev"})"), 0);
  EXPECT_GT(sample(after, R"(stk_bridge_db_pool_max{project="lib",env="dev",connection="main"})"), 0);
  EXPECT_GE(sample(after, R"(stk_bridge_db_pool_idle{project="lib",env="dev",connection="main"})"), 1);
  EXPECT_GE(sample(after, R"(stk_bridge_hub_poll_failures_total{project="lib",env="dev"})"), 0);
  EXPECT_GT(sample(after, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(sample(after, "process_cpu_seconds_total"), 0);
  for (const char* name : {"stk_bridge_rate_limit_exceeded_total", "stk_bridge_rate_limited_total",
                           "stk_bridge_db_connection_errors_total"})
    EXPECT_NE(after.find(std::string("# TYPE ") + name + " counter"), std::string::npos) << name;
  // Never a request id, key or SQL in a label.
  EXPECT_EQ(after.find(s().key_id("admin")), std::string::npos);
  EXPECT_EQ(after.find("SELECT"), std::string::npos);
}

TEST_F(BridgeObservability, PoolGaugeShowsAStatementReallyInFlight) {
  // Hold a lock on `books` in another session so the Bridge's select waits inside PostgreSQL.
  std::thread locker(
      [&] { s().sql("BEGIN; LOCK TABLE books IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  std::thread caller([&] {
    stk::http::Client c(s().bridge->url());
    auto r = c.request("POST", "/call", {{"X-Santokit-Api-Key", s().key("admin")}},
                       R"({"path": "db/books/select", "params": {"limit": 1}})", 15000);
    EXPECT_EQ(r.status, 200) << r.body;
  });
  const std::string active = R"(stk_bridge_db_pool_active{project="lib",env="dev",connection="main"})";
  double seen = 0;
  BridgeStack::wait_for(
      [&] {
        seen = sample(metrics_text(), active);
        return seen >= 1;
      },
      std::chrono::milliseconds(1500));
  caller.join();
  locker.join();
  EXPECT_GE(seen, 1) << "the blocked select was not visible as an active pool connection";
  double later = -1;
  BridgeStack::wait_for(
      [&] {
        later = sample(metrics_text(), active);
        return later == 0;
      },
      std::chrono::milliseconds(3000));
  EXPECT_EQ(later, 0) << "the connection stayed active after its statement finished";
}

TEST_F(BridgeObservability, OneJsonLinePerRequestAndNeverASecret) {
  const std::string t = tag();
  auto ok = s().select("admin", "books", J(R"({"where": {"batch": "@T"}})", t));
  ASSERT_OK(ok);
  auto denied = s().post_call(R"({"path": "db/books/select"})",
                              {{"Authorization", "Bearer end-user-token-must-not-be-logged"},
                               {"Cookie", "stk_access_lib_dev=cookie-token-must-not-be-logged"}});
  EXPECT_EQ(denied.status, 401);
  auto bad_key =
      s().post_call(R"({"path": "db/books/select"})",
                    {{"X-Santokit-Api-Key", s().key_id("admin") + ".wrong-secret-must-not-be-logged"}});
  EXPECT_EQ(bad_key.status, 401);

  std::string log;
  BridgeStack::wait_for(
      [&] {
        log = s().bridge->log();
        return log.find(bad_key.request_id) != std::string::npos &&
               log.find(ok.request_id) != std::string::npos;
      },
      std::chrono::milliseconds(3000));
  auto line = log_line_of(log, ok.request_id);
  ASSERT_TRUE(line.is_object()) << "no JSON log line for request " << ok.request_id << "\n"
                                << log.substr(0, 3000);
  EXPECT_EQ(line.value("msg", ""), "request completed");
  EXPECT_EQ(line.value("level", ""), "info");
  EXPECT_TRUE(std::regex_match(line.value("ts", ""), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << line.dump();
  EXPECT_EQ(line.value("project", ""), "lib");
  EXPECT_EQ(line.value("env", ""), "dev");
  EXPECT_FALSE(line.value("releaseId", "").empty());
  EXPECT_EQ(line.value("method", ""), "POST");
  EXPECT_EQ(line.value("path", ""), "/call");
  EXPECT_EQ(line.value("status", 0), 200);
  EXPECT_TRUE(line.contains("durationMs") && line["durationMs"].is_number());
  EXPECT_EQ(line.value("authType", ""), "api_key");
  EXPECT_EQ(line.value("table", ""), "books");
  EXPECT_EQ(line.value("op", ""), "select");

  auto refused = log_line_of(log, denied.request_id);
  ASSERT_TRUE(refused.is_object());
  EXPECT_EQ(refused.value("status", 0), 401);
  EXPECT_EQ(refused.value("code", ""), "UNAUTHORIZED");
  EXPECT_EQ(refused.value("authType", ""), "bearer");

  // Every line is JSON; no credential, token, DB URL or password appears anywhere in the log.
  const LogLines lines = json_lines(log);
  EXPECT_TRUE(lines.not_json.empty()) << "not a JSON line: " << lines.not_json.front();
  EXPECT_GE(lines.objects.size(), 4u);
  // The start line says what serves it, including the allocator: mimalloc, which must really have replaced
  // malloc (services/bridge/CMakeLists.txt; e2e tests never run in the sanitizer build, which keeps libc's).
  const auto started = std::find_if(lines.objects.begin(), lines.objects.end(), [](const nlohmann::json& l) {
    return l.value("msg", "") == "santokit-bridge listening";
  });
  ASSERT_NE(started, lines.objects.end()) << log.substr(0, 2000);
  EXPECT_EQ(started->value("allocator", ""), "mimalloc") << started->dump();
  EXPECT_GT(started->value("port", 0), 0) << started->dump();
  const std::string key = s().key("admin");
  for (const std::string& secret :
       {key, key.substr(key.find('.') + 1), std::string("end-user-token-must-not-be-logged"),
        std::string("cookie-token-must-not-be-logged"), std::string("wrong-secret-must-not-be-logged"),
        s().db_url, std::string(kTestBridgeToken)})
    EXPECT_EQ(log.find(secret), std::string::npos) << "the Bridge log contains a secret: " << secret;
}

TEST_F(BridgeObservability, ReadinessFollowsTheDatabase) {
  auto ready = s().http("GET", "/readyz", "");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.raw, R"({"ok":true})");
  EXPECT_EQ(s().http("GET", "/readyz?project=lib&env=dev", "").status, 200);
  auto unknown = s().http("GET", "/readyz?project=lib&env=nope", "");
  EXPECT_EQ(unknown.status, 503);
  EXPECT_EQ(unknown.raw, R"({"ok":false})");
  EXPECT_EQ(s().http("GET", "/readyz?project=lib", "").status, 503);

  // Take the project database away: refuse new connections and end the Bridge's sessions.
  const std::string db = s().db_url.substr(s().db_url.rfind('/') + 1);
  psql(pg_admin_url(), "ALTER DATABASE \"" + db + "\" WITH ALLOW_CONNECTIONS false");
  psql(pg_admin_url(),
       "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + db + "'");
  int status = 0;
  auto el = BridgeStack::wait_for(
      [&] {
        status = s().http("GET", "/readyz?project=lib&env=dev", "").status;
        return status == 503;
      },
      std::chrono::milliseconds(8000));
  EXPECT_EQ(status, 503) << "readiness stayed 200 with the database gone";
  EXPECT_LT(el.count(), 8000);
  EXPECT_EQ(s().http("GET", "/healthz", "").status, 200);  // liveness does not depend on the database
  const std::string m = metrics_text();
  EXPECT_GE(sample(m, R"(stk_bridge_db_pool_idle{project="lib",env="dev",connection="main"})"), 0);

  psql(pg_admin_url(), "ALTER DATABASE \"" + db + "\" WITH ALLOW_CONNECTIONS true");
  BridgeStack::wait_for(
      [&] {
        status = s().http("GET", "/readyz", "").status;
        return status == 200;
      },
      std::chrono::milliseconds(15000));
  EXPECT_EQ(status, 200) << "readiness did not come back with the database";
}

}  // namespace

namespace {

TEST_F(BridgeObservability, AFreshBridgeBecomesReadyOnceItHasTheReleaseAndTheDatabase) {
  Bridge fresh(s().hub.url());
  stk::http::Client c(fresh.url());
  int status = 0;
  std::string body, error;
  auto el = BridgeStack::wait_for(
      [&] {
        try {
          auto r = c.request("GET", "/readyz?project=lib&env=dev", {}, "", 5000);
          status = r.status;
          body = r.body;
        } catch (const std::exception& e) {
          error = e.what();
        }
        return status == 200;
      },
      std::chrono::milliseconds(10000));
  EXPECT_EQ(status, 200) << body << " " << error << "\n" << fresh.log();
  EXPECT_EQ(body, R"({"ok":true})");
  EXPECT_LT(el.count(), 5000);
}

}  // namespace
