// Hub benchmark (issue 2, "Measure"): apply of 10 and 100 tables into an empty database, re-apply when
// nothing changed, project creation, audit write. Each figure comes with a baseline measured in the same run:
//   apply      vs the same DDL executed directly on PostgreSQL in one transaction (the floor for any tool)
//   project    vs GET /healthz on the same Hub (the HTTP + worker-pool floor)
//   audit      vs one SQLite INSERT transaction per entry (what batching saves)
// Usage: bench_hub [--out DIR] [--quick]      (writes hub.json and hub.md into DIR, default bench/out)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "services/audit_log.hpp"
#include "stk/http/client.hpp"
#include "stk/pg/connection.hpp"
#include "store/store.hpp"

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Stats {
  std::vector<double> v;
  double pct(double p) const {
    if (v.empty()) return 0;
    auto s = v;
    std::sort(s.begin(), s.end());
    size_t i = std::min(s.size() - 1, size_t(p / 100.0 * double(s.size())));
    return s[i];
  }
  json to_json() const { return {{"n", v.size()}, {"p50", pct(50)}, {"p95", pct(95)}, {"max", pct(100)}}; }
};

std::string schema_yaml(int tables) {
  std::string y = "version: 1\ntables:\n";
  for (int i = 0; i < tables; ++i) {
    std::string t = "t" + std::to_string(i);
    y += "  " + t + ":\n    columns:\n";
    y += "      name: { type: string }\n      qty: { type: int, default: 0 }\n";
    y += "      price: { type: decimal, nullable: true }\n      active: { type: boolean, default: true }\n";
    y += "      meta: { type: json, nullable: true }\n      created_at: { type: timestamp, default: now }\n";
    if (i > 0)
      y += "      parent_id:\n        type: string\n        nullable: true\n        references: { table: t" +
           std::to_string(i - 1) + ", as: parent, onDelete: set_null }\n";
    y += "    indexes:\n      - columns: [name, created_at]\n";
  }
  return y;
}

class Api {
 public:
  explicit Api(const std::string& url) : client_(url) {}
  json call(const std::string& method, const std::string& target, const json& body = nullptr,
            int* status = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    auto r = client_.request(method, target, headers, body.is_null() ? "" : body.dump(), 120000);
    if (status) *status = r.status;
    if (r.status >= 300 && !status)
      throw std::runtime_error(method + " " + target + " -> " + std::to_string(r.status) + " " + r.body);
    return r.body.empty() ? json() : json::parse(r.body);
  }
  std::string token;

 private:
  stk::http::Client client_;
};

json bench_apply(Api& api, int tables, int iterations) {
  Stats hub, raw;
  std::string yaml = schema_yaml(tables);
  for (int i = 0; i < iterations; ++i) {
    std::string env = "e" + std::to_string(tables) + "_" + std::to_string(i);
    api.call("POST", "/api/envs", {{"project", "bench"}, {"env", env}});
    std::string db = stk::e2e::create_database("bench_hub");
    api.call("POST", "/api/connections/set",
             {{"project", "bench"}, {"env", env}, {"name", "main"}, {"dbUrl", db}});
    json body = {{"project", "bench"},
                 {"env", env},
                 {"ref", "bench"},
                 {"schema", json::array({{{"path", "schema/bench.yaml"}, {"content", yaml}}})}};
    auto t = Clock::now();
    auto resp = api.call("POST", "/api/apply", body);
    hub.v.push_back(ms_since(t));
    // Baseline: the same DDL straight into a fresh database, one transaction, one round trip.
    std::string script = "BEGIN;\n";
    for (auto& op : resp["plan"]["main"]["operations"]) script += op["sql"].get<std::string>() + ";\n";
    script += "COMMIT;";
    std::string db2 = stk::e2e::create_database("bench_raw");
    auto conn = stk::pg::Connection::connect(db2, 10);
    auto t2 = Clock::now();
    conn.exec(script);
    raw.v.push_back(ms_since(t2));
  }
  return {{"tables", tables},
          {"hub_ms", hub.to_json()},
          {"raw_ddl_ms", raw.to_json()},
          {"ratio_p50", raw.pct(50) > 0 ? hub.pct(50) / raw.pct(50) : 0}};
}

json bench_unchanged(Api& api, int iterations) {
  Stats s;
  api.call("POST", "/api/envs", {{"project", "bench"}, {"env", "unchanged"}});
  std::string db = stk::e2e::create_database("bench_hub");
  api.call("POST", "/api/connections/set",
           {{"project", "bench"}, {"env", "unchanged"}, {"name", "main"}, {"dbUrl", db}});
  json body = {{"project", "bench"},
               {"env", "unchanged"},
               {"ref", "bench"},
               {"schema", json::array({{{"path", "schema/bench.yaml"}, {"content", schema_yaml(10)}}})}};
  api.call("POST", "/api/apply", body);
  for (int i = 0; i < iterations; ++i) {
    auto t = Clock::now();
    auto r = api.call("POST", "/api/apply", body);
    s.v.push_back(ms_since(t));
    if (!r["reused"].get<bool>()) throw std::runtime_error("unchanged apply did not reuse the release");
  }
  return {{"tables", 10}, {"hub_ms", s.to_json()}};
}

json bench_projects(Api& api, int iterations) {
  Stats create, health;
  for (int i = 0; i < iterations; ++i) {
    auto t = Clock::now();
    api.call("POST", "/api/projects", {{"project", "p" + std::to_string(i)}});
    create.v.push_back(ms_since(t));
    auto t2 = Clock::now();
    api.call("GET", "/healthz");
    health.v.push_back(ms_since(t2));
  }
  return {{"create_ms", create.to_json()},
          {"healthz_ms", health.to_json()},
          {"ratio_p50", health.pct(50) > 0 ? create.pct(50) / health.pct(50) : 0}};
}

json bench_audit(int entries) {
  namespace fs = std::filesystem;
  auto dir = stk::e2e::make_temp_dir("bench-audit");
  Stats record_us, durable_ms, direct_us;
  {
    auto store = stk::hub::open_sqlite_store(dir + "/batched.db");
    stk::hub::AuditLog log(*store);
    for (int i = 0; i < entries; ++i) {
      auto t = Clock::now();
      log.record({"op_bench", "operator", "bench.write", "bench", "dev", {{"i", i}}, "127.0.0.1"});
      record_us.v.push_back(ms_since(t) * 1000);
    }
    // Durability latency: time until an entry recorded now is readable from the store.
    for (int i = 0; i < 20; ++i) {
      auto t = Clock::now();
      log.record({"op_bench", "operator", "bench.durable", "bench", "dev", {{"i", i}}, ""});
      stk::hub::AuditQuery q;
      q.action = "bench.durable";
      q.limit = 1000;
      while (int(store->audit(q).size()) < i + 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      durable_ms.v.push_back(ms_since(t));
    }
    log.stop();
  }
  {
    auto store = stk::hub::open_sqlite_store(dir + "/direct.db");
    for (int i = 0; i < std::min(entries, 2000); ++i) {
      stk::hub::AuditRow row{0,     "2026-01-01T00:00:00Z", "op_bench", "operator", "bench.write", "bench",
                             "dev", json{{"i", i}}.dump(),  ""};
      auto t = Clock::now();
      store->insert_audit({row});
      direct_us.v.push_back(ms_since(t) * 1000);
    }
  }
  fs::remove_all(dir);
  return {{"entries", entries},
          {"record_us", record_us.to_json()},
          {"durable_ms", durable_ms.to_json()},
          {"unbatched_insert_us", direct_us.to_json()},
          {"ratio_p50", direct_us.pct(50) > 0 ? record_us.pct(50) / direct_us.pct(50) : 0}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir = std::string(STK_BENCH_OUT);
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out" && i + 1 < argc)
      out_dir = argv[++i];
    else if (a == "--quick")
      quick = true;
    else {
      std::cerr << "usage: bench_hub [--out DIR] [--quick]\n";
      return 2;
    }
  }
  stk::e2e::Hub hub;
  Api api(hub.url());
  api.token =
      api.call("POST", "/api/auth/login",
               {{"email", stk::e2e::Hub::kOwnerEmail}, {"password", stk::e2e::Hub::kOwnerPassword}})["token"];
  api.call("POST", "/api/projects", {{"project", "bench"}});

  json report;
  report["machine"] = {{"cores", std::thread::hardware_concurrency()}};
  std::cerr << "project creation...\n";
  report["project_create"] = bench_projects(api, quick ? 50 : 300);
  std::cerr << "apply 10 tables...\n";
  report["apply_10"] = bench_apply(api, 10, quick ? 3 : 10);
  std::cerr << "apply 100 tables...\n";
  report["apply_100"] = bench_apply(api, 100, quick ? 2 : 5);
  std::cerr << "unchanged release...\n";
  report["apply_unchanged"] = bench_unchanged(api, quick ? 10 : 30);
  std::cerr << "audit write...\n";
  report["audit"] = bench_audit(quick ? 2000 : 20000);

  std::filesystem::create_directories(out_dir);
  std::ofstream(out_dir + "/hub.json") << report.dump(2) << "\n";
  auto f2 = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", v);
    return std::string(b);
  };
  std::string md =
      "# Hub benchmark\n\nAll times in ms unless noted; p50 / p95 over n runs. Target column: our goal "
      "(issue 2); the seed allows far more.\n\n| operation | n | p50 | p95 | baseline (same run) | "
      "baseline p50 | ratio | target |\n|---|---|---|---|---|---|---|---|\n";
  auto row = [&](const std::string& name, const json& s, const std::string& base_name, const json& base,
                 double ratio, const std::string& target) {
    md += "| " + name + " | " + std::to_string(s["n"].get<int>()) + " | " + f2(s["p50"]) + " | " +
          f2(s["p95"]) + " | " + base_name + " | " + (base.is_null() ? "-" : f2(base["p50"])) + " | " +
          (ratio > 0 ? f2(ratio) + "×" : "-") + " | " + target + " |\n";
  };
  row("apply, 10 tables, empty DB", report["apply_10"]["hub_ms"], "same DDL via libpq",
      report["apply_10"]["raw_ddl_ms"], report["apply_10"]["ratio_p50"], "< 500");
  row("apply, 100 tables, empty DB", report["apply_100"]["hub_ms"], "same DDL via libpq",
      report["apply_100"]["raw_ddl_ms"], report["apply_100"]["ratio_p50"], "< 2000");
  row("apply, nothing changed (release reused)", report["apply_unchanged"]["hub_ms"], "-", nullptr, 0,
      "< 50");
  row("project creation", report["project_create"]["create_ms"], "GET /healthz",
      report["project_create"]["healthz_ms"], report["project_create"]["ratio_p50"], "< 20");
  row("audit record (µs, caller side)", report["audit"]["record_us"], "unbatched SQLite insert (µs)",
      report["audit"]["unbatched_insert_us"], report["audit"]["ratio_p50"], "-");
  row("audit record → durable", report["audit"]["durable_ms"], "-", nullptr, 0, "≤ 100 (flush period)");
  std::ofstream(out_dir + "/hub.md") << md;
  std::cout << md;
  return 0;
}
