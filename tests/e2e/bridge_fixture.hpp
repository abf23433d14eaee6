#pragma once
// End-to-end fixture for santokit-bridge: one Hub + one fresh project database + one Bridge per test suite
// (SetUpTestSuite), a test project covering every CRUD feature of spec bridge-crud.md, API keys per role, and
// helpers to call the Bridge as a client would. Tests assert what a caller sees: status, error code, body.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "stk/http/client.hpp"

namespace stk::e2e {

using OJ = nlohmann::ordered_json;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Every PK generator, every logical type, a 4-hop reference chain books→authors→teams→orgs→regions, a
// relation to a table nobody may read (vaults), and a table without any permission entry (ledger).
inline const char* kBridgeSchema = R"(version: 1
tables:
  regions:
    id: { name: id, generate: ulid }
    columns:
      name: { type: string }
  orgs:
    id: { name: id, generate: ulid }
    columns:
      name: { type: string }
      billing_email: { type: string, nullable: true }
      region_id:
        type: string
        nullable: true
        references: { table: regions, as: region }
  teams:
    id: { name: id, generate: uuid_v7 }
    columns:
      name: { type: string }
      org_id:
        type: string
        nullable: true
        references: { table: orgs, as: org }
  vaults:
    id: { name: id, generate: client }
    columns:
      secret: { type: string }
  authors:
    id: { name: id, generate: uuid_v4 }
    columns:
      handle: { type: string, unique: true }
      email: { type: string, nullable: true }
      team_id:
        type: string
        nullable: true
        references: { table: teams, as: team }
      vault_id:
        type: string
        nullable: true
        references: { table: vaults, as: vault }
  books:
    id: { name: id, generate: nanoid }
    columns:
      title: { type: string }
      genre: { type: string, nullable: true }
      pages: { type: int, nullable: true }
      rating: { type: float, nullable: true }
      price: { type: decimal, nullable: true }
      sold: { type: bigint, default: 0 }
      in_print: { type: boolean, default: true }
      published_at: { type: timestamp, nullable: true }
      labels: { type: array, items: string, nullable: true }
      scores: { type: array, items: int, nullable: true }
      grid: { type: array, items: array<int>, nullable: true }
      meta: { type: json, nullable: true }
      cover: { type: bytes, nullable: true }
      status: { type: string, default: "draft" }
      isbn: { type: string, nullable: true, unique: true }
      batch: { type: string, nullable: true }
      author_id:
        type: string
        nullable: true
        references: { table: authors, as: author }
  counters:
    id: { name: id, type: bigint, generate: auto_increment }
    columns:
      grp: { type: string }
      n: { type: int }
      batch: { type: string, nullable: true }
  tickets:
    id: { name: id, type: bigint, generate: client }
    columns:
      subject: { type: string }
  docs:
    id: { name: id, generate: ulid }
    columns:
      title: { type: string }
      status: { type: string, default: "draft" }
      level: { type: int, default: 0 }
      owner: { type: string, nullable: true }
      batch: { type: string, nullable: true }
  ledger:
    id: { name: id, generate: ulid }
    columns:
      amount: { type: decimal }
)";

// Roles: admin (everything), writer, reader, any other role only reaches `public` rules; docs carries one
// rule per CEL shape (roles c_*). Rule order matters: on authors `reader` comes before `admin`.
inline const char* kBridgePermissions = R"(tables:
  regions:
    select:
      - roles: [admin, reader]
    insert:
      - roles: [admin]
  orgs:
    select:
      - roles: [admin]
      - roles: [reader]
        condition: 'resource.name != "hidden-org"'
        columns: [id, name, region_id]
    insert:
      - roles: [admin]
  teams:
    select:
      - roles: [admin]
      - roles: [reader]
        columns: [id, name, org_id]
    insert:
      - roles: [admin]
  vaults:
    select:
      - roles: [vaultkeeper]
    insert:
      - roles: [admin]
  authors:
    select:
      - roles: [reader]
        columns: [id, handle, team_id, vault_id]
      - roles: [admin]
      - roles: [public]
        columns: [id, handle]
    insert:
      - roles: [admin]
    update:
      - roles: [admin]
    delete:
      - roles: [admin]
  books:
    select:
      - roles: [admin]
      - roles: [writer]
        columns: ["*"]
      - roles: [reader]
        columns: [id, title, genre, pages, sold, published_at, author_id, batch]
      - roles: [public]
        condition: "resource.status == 'published'"
        columns: [id, title, status, batch]
    insert:
      - roles: [admin]
      - roles: [writer]
        columns: [title, genre, pages, status, batch]
    update:
      - roles: [admin]
      - roles: [writer]
        columns: [title, genre, pages]
    delete:
      - roles: [admin]
      - roles: [writer]
        condition: "resource.status == 'draft'"
  counters:
    select: { roles: [admin] }
    insert: { roles: [admin] }
    update: { roles: [admin] }
    delete: { roles: [admin] }
  tickets:
    select:
      - roles: [authenticated]
      - roles: [admin]
    insert:
      - roles: [admin]
      - roles: [writer]
        columns: [subject]
  docs:
    select:
      - roles: [admin]
      - roles: [c_eq]
        condition: 'resource.status == "published"'
      - roles: [c_cmp]
        condition: "resource.level >= 2 && resource.level < 5"
      - roles: [c_or]
        condition: "resource.status == 'archived' || resource.level > 8"
      - roles: [c_in]
        condition: "resource.status in ['draft', 'review']"
      - roles: [c_not]
        condition: "!(resource.status == 'draft') && resource.level != 9"
      - roles: [c_null]
        condition: "resource.owner == null"
      - roles: [c_role]
        condition: "'boss' in request.auth.roles || resource.status == 'published'"
      - roles: [c_sub]
        condition: "resource.owner == request.auth.sub"
    insert:
      - roles: [admin]
      - roles: [c_eq]
        condition: "resource.status == 'published'"
        columns: [title, status, level, batch]
      - roles: [inserter]
        columns: [title, batch]
      - roles: [c_sub]
        condition: "resource.owner == request.auth.sub"
    update:
      - roles: [admin]
      - roles: [c_cmp]
        condition: "resource.level >= 2 && resource.level < 5"
        columns: [title]
    delete:
      - roles: [admin]
      - roles: [c_cmp]
        condition: "resource.level >= 2 && resource.level < 5"
)";

// API keys the fixture can create: name -> roles.
inline const std::map<std::string, std::vector<std::string>>& bridge_key_roles() {
  static const std::map<std::string, std::vector<std::string>> roles = {
      {"admin", {"admin"}},
      {"reader", {"reader"}},
      {"writer", {"writer"}},
      {"guest", {"guest"}},
      {"reader_admin", {"reader", "admin"}},
      {"inserter", {"inserter"}},
      {"c_eq", {"c_eq"}},
      {"c_cmp", {"c_cmp"}},
      {"c_or", {"c_or"}},
      {"c_in", {"c_in"}},
      {"c_not", {"c_not"}},
      {"c_null", {"c_null"}},
      {"c_role", {"c_role"}},
      {"c_boss", {"c_role", "boss"}},
      {"c_sub", {"c_sub"}},
  };
  return roles;
}

// Parses a JSON text; every "@T" is replaced by `tag` first (tests tag their rows to stay independent).
inline OJ J(std::string text, const std::string& tag = "") {
  for (auto at = text.find("@T"); at != std::string::npos; at = text.find("@T", at + tag.size()))
    text.replace(at, 2, tag);
  return OJ::parse(text);
}

struct Reply {
  int status = 0;
  std::string raw;
  OJ body;                 // discarded value when the body is not JSON
  std::string request_id;  // X-Request-Id header
  Headers headers;

  bool is_json() const { return !body.is_discarded(); }
  const OJ& data() const {
    static const OJ none;
    return is_json() && body.is_object() && body.contains("data") ? body["data"] : none;
  }
  std::string code() const {
    if (!is_json() || !body.is_object() || !body.contains("error") || !body["error"].is_object()) return "";
    const auto& c = body["error"]["code"];
    return c.is_string() ? c.get<std::string>() : "";
  }
  std::string message() const {
    if (!is_json() || !body.is_object() || !body.contains("error") || !body["error"].is_object()) return "";
    const auto& m = body["error"]["message"];
    return m.is_string() ? m.get<std::string>() : "";
  }
  // For assertion messages.
  std::string describe() const { return "HTTP " + std::to_string(status) + " " + raw.substr(0, 2000); }
};

class BridgeStack {
 public:
  struct Options {
    // A constructor (not an aggregate) so suites can pass just the first fields.
    Options(std::map<std::string, std::string> env = {}, std::vector<std::string> k = {},
            std::string limits = "")
        : bridge_env(std::move(env)), keys(std::move(k)), limits_yaml(std::move(limits)) {}
    std::map<std::string, std::string> bridge_env;  // extra Bridge environment (limits)
    std::vector<std::string> keys;                  // API keys to create (names of bridge_key_roles())
    std::string limits_yaml = {};                   // config/limits.yaml of the project ("" = no such file)
  };

  explicit BridgeStack(Options o) : keys_wanted_(std::move(o.keys)) {
    write_file(project_dir + "/schema/library.yaml", kBridgeSchema);
    write_file(project_dir + "/config/permissions.yaml", kBridgePermissions);
    if (!o.limits_yaml.empty()) write_file(project_dir + "/config/limits.yaml", o.limits_yaml);
    // The suites send hundreds of requests per key within seconds, beyond the product default (1000 per
    // minute per API key): off unless a suite sets it (bridge_limits_test.cpp tests the limits).
    o.bridge_env.emplace("STK_RATE_LIMIT_PER_API_KEY", "0");
    cli.login(Hub::kOwnerEmail, Hub::kOwnerPassword);
    must(cli({"project", "create", "lib"}), "project create");
    must(cli({"context", "set", "--project", "lib", "--env", "dev"}), "context set");
    must(cli({"env", "create", "dev"}), "env create");
    must(cli({"connections", "set", "--name", "main", "--engine", "postgres", "--db-url", db_url}),
         "connections set");
    must(cli({"apply", "--ref", "r1"}), "apply");
    if (std::find(keys_wanted_.begin(), keys_wanted_.end(), "admin") == keys_wanted_.end())
      keys_wanted_.push_back("admin");
    for (const auto& name : keys_wanted_) create_key(name, bridge_key_roles().at(name));
    bridge = std::make_unique<Bridge>(hub.url(), o.bridge_env);
    wait_until_serving();
  }

  Hub hub;
  std::string project_dir = make_temp_dir("stk-bridge-project");
  Cli cli{hub.url(), project_dir};
  std::string db_url = create_database("stk_bridge");
  std::unique_ptr<Bridge> bridge;

  // The full API key ("key_….secret") and its id for a key name.
  const std::string& key(const std::string& name) const { return keys_.at(name).first; }
  const std::string& key_id(const std::string& name) const { return keys_.at(name).second; }

  // Creates a key with `stk apikey create`; returns the full key.
  std::string create_key(const std::string& name, const std::vector<std::string>& roles) {
    std::string joined;
    for (const auto& r : roles) joined += (joined.empty() ? "" : ",") + r;
    auto r = cli({"apikey", "create", "--name", name, "--roles", joined, "--output", "json"});
    must(r, "apikey create " + name);
    auto j = OJ::parse(r.out);
    keys_[name] = {j.at("apiKey").get<std::string>(), j.at("keyId").get<std::string>()};
    return keys_[name].first;
  }

  // Raw HTTP to the Bridge.
  Reply http(const std::string& method, const std::string& target, const std::string& body,
             const Headers& headers = {}) {
    if (!client_ || client_url_ != bridge->url()) {
      client_ = std::make_unique<http::Client>(bridge->url());
      client_url_ = bridge->url();
    }
    auto res = client_->request(method, target, headers, body, 15000);
    Reply r;
    r.status = res.status;
    r.raw = res.body;
    r.body = OJ::parse(res.body, nullptr, false);
    r.request_id = std::string(res.header("x-request-id"));
    r.headers = res.headers;
    return r;
  }

  // POST /call with an explicit credential header set (nothing added).
  Reply post_call(const std::string& body, Headers headers) {
    headers.emplace_back("Content-Type", "application/json");
    return http("POST", "/call", body, headers);
  }

  // POST /call {"path": path, "params": params} as the API key named `key_name` ("" = no credential).
  Reply call(const std::string& key_name, const std::string& path, const OJ& params = OJ::object(),
             Headers extra = {}) {
    OJ body = {{"path", path}, {"params", params}};
    return post_call(body.dump(), with_key(key_name, std::move(extra)));
  }

  Headers with_key(const std::string& key_name, Headers extra = {}) const {
    if (!key_name.empty()) extra.emplace_back("X-Santokit-Api-Key", key(key_name));
    return extra;
  }

  // Shorthands for db/<table>/<op>.
  Reply select(const std::string& k, const std::string& table, const OJ& params = OJ::object()) {
    return call(k, "db/" + table + "/select", params);
  }
  Reply insert(const std::string& k, const std::string& table, const OJ& values) {
    return call(k, "db/" + table + "/insert", OJ{{"values", values}});
  }
  Reply update(const std::string& k, const std::string& table, const OJ& where, const OJ& data) {
    return call(k, "db/" + table + "/update", OJ{{"where", where}, {"data", data}});
  }
  Reply remove(const std::string& k, const std::string& table, const OJ& where) {
    return call(k, "db/" + table + "/delete", OJ{{"where", where}});
  }

  std::vector<std::string> sql(const std::string& q) const { return psql(db_url, q); }

  // Polls `probe` every 10 ms until it returns true or `limit` passes; returns the elapsed time.
  template <class Probe>
  static std::chrono::milliseconds wait_for(Probe probe, std::chrono::milliseconds limit) {
    auto t0 = std::chrono::steady_clock::now();
    while (true) {
      bool ok = probe();
      auto el = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
      if (ok || el > limit) return ok ? el : limit + std::chrono::milliseconds(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Waits until the Bridge has the release and the admin key (a select answers 200).
  void wait_until_serving() {
    Reply last;
    auto el = wait_for(
        [&] {
          try {
            last = select("admin", "counters", OJ{{"limit", 0}});
          } catch (const std::exception& e) {
            last.raw = e.what();
            return false;
          }
          return last.status == 200;
        },
        std::chrono::milliseconds(15000));
    if (el > std::chrono::milliseconds(15000))
      throw std::runtime_error("santokit-bridge did not serve the release within 15 s; last answer: " +
                               last.describe() + "\nbridge log:\n" + bridge->log());
  }

  static void must(const ProcResult& r, const std::string& what) {
    if (r.exit_code != 0) throw std::runtime_error("stk " + what + " failed: " + r.all());
  }

 private:
  std::vector<std::string> keys_wanted_;
  std::map<std::string, std::pair<std::string, std::string>> keys_;
  std::unique_ptr<http::Client> client_;
  std::string client_url_;
};

// Base for a suite sharing one BridgeStack: `class BridgeX : public BridgeSuite<BridgeX>` with a static
// `options()`.
template <class Derived>
class BridgeSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!Bridge::available()) return;
    try {
      stack_ = std::make_unique<BridgeStack>(Derived::options());
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  static void TearDownTestSuite() { stack_.reset(); }
  void SetUp() override {
    if (!Bridge::available()) GTEST_SKIP() << "santokit-bridge is not built (" << Bridge::binary() << ")";
    ASSERT_TRUE(stack_) << "fixture failed: " << error_;
  }
  static BridgeStack& s() { return *stack_; }

  // A tag unique to the running test, for rows it creates (column `batch`).
  static std::string tag() {
    static std::atomic<int> n{0};
    return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
           std::to_string(++n);
  }

  static inline std::unique_ptr<BridgeStack> stack_;
  static inline std::string error_;
};

// Column names of a row object, in order.
inline std::vector<std::string> keys_of(const OJ& row) {
  std::vector<std::string> k;
  for (auto it = row.begin(); it != row.end(); ++it) k.push_back(it.key());
  return k;
}

inline std::vector<std::string> sorted_keys(const OJ& row) {
  auto k = keys_of(row);
  std::sort(k.begin(), k.end());
  return k;
}

// Values of `column` across the rows of a select answer, as JSON dumps ("\"x\"", "3", "null").
inline std::vector<std::string> column_values(const OJ& rows, const std::string& column) {
  std::vector<std::string> v;
  if (!rows.is_array()) return v;
  for (const auto& r : rows) v.push_back(r.contains(column) ? r[column].dump() : "<absent>");
  return v;
}

inline std::vector<std::string> strings_of(const OJ& rows, const std::string& column) {
  std::vector<std::string> v;
  if (!rows.is_array()) return v;
  for (const auto& r : rows)
    v.push_back(r.contains(column) && r[column].is_string() ? r[column].get<std::string>() : r.dump());
  return v;
}

// `r` is an error answer with this status and code, in the spec's envelope (no `data`).
inline ::testing::AssertionResult IsError(const Reply& r, int status, const std::string& code) {
  if (r.status != status || r.code() != code)
    return ::testing::AssertionFailure()
           << "expected HTTP " << status << " " << code << ", got " << r.describe();
  if (!r.body["error"].contains("message") || !r.body["error"]["message"].is_string())
    return ::testing::AssertionFailure() << "error without a message: " << r.describe();
  if (r.body.contains("data"))
    return ::testing::AssertionFailure() << "error combined with data: " << r.describe();
  return ::testing::AssertionSuccess();
}

// `r` is a success answer (HTTP 200 with `data`).
inline ::testing::AssertionResult IsOk(const Reply& r) {
  if (r.status != 200 || !r.is_json() || !r.body.is_object() || !r.body.contains("data"))
    return ::testing::AssertionFailure() << "expected HTTP 200 with data, got " << r.describe();
  return ::testing::AssertionSuccess();
}

// JSON equality ignoring object key order (the spec fixes the keys of a row, not their order).
inline nlohmann::json U(const OJ& j) {
  return nlohmann::json::parse(j.dump());
}
#define EXPECT_JSON_EQ(a, b) EXPECT_EQ(::stk::e2e::U(a), ::stk::e2e::U(b))

#define EXPECT_ERROR(reply, status, code) EXPECT_TRUE(::stk::e2e::IsError((reply), (status), (code)))
#define ASSERT_OK(reply) ASSERT_TRUE(::stk::e2e::IsOk(reply))
#define EXPECT_OK(reply) EXPECT_TRUE(::stk::e2e::IsOk(reply))

inline bool matches(const std::string& s, const std::string& re) {
  return std::regex_match(s, std::regex(re));
}

}  // namespace stk::e2e
