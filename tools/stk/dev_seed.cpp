#include "dev_seed.hpp"

#include <algorithm>
#include <thread>

#include "dev_process.hpp"
#include "output.hpp"
#include "stk/core/error.hpp"
#include "stk/http/client.hpp"
#include "version.hpp"

namespace stk::cli::dev {

BridgeCaller::BridgeCaller(std::string base_url, std::string api_key)
    : base_url_(std::move(base_url)), api_key_(std::move(api_key)) {}
BridgeCaller::~BridgeCaller() = default;
BridgeCaller::BridgeCaller(BridgeCaller&&) noexcept = default;
BridgeCaller& BridgeCaller::operator=(BridgeCaller&&) noexcept = default;

CallResult BridgeCaller::call(const std::string& path, const J& params) {
  CallResult r;
  try {
    if (!client_) client_ = std::make_unique<http::Client>(base_url_);
    J body = {{"path", path}, {"params", params}};
    auto resp = client_->request("POST", "/call",
                                 {{"Content-Type", "application/json"},
                                  {"X-Santokit-Api-Key", api_key_},
                                  {"User-Agent", std::string("stk/") + kCliVersion}},
                                 body.dump(), 10000);
    r.status = resp.status;
    r.body = J::parse(resp.body, nullptr, false);
    if (r.body.is_discarded()) r.body = nullptr;
  } catch (const stk::Error& e) {
    r.status = 0;
    r.error = e.what();
    client_.reset();
  }
  return r;
}

CallFn caller_for(BridgeCaller& bridge) {
  return [&bridge](const std::string& path, const J& params) { return bridge.call(path, params); };
}

std::string describe(const CallResult& r) {
  if (r.status == 0) return r.error.empty() ? "no answer" : r.error;
  std::string out = std::to_string(r.status);
  if (r.body.is_object() && r.body.contains("error") && r.body["error"].is_object()) {
    const J& e = r.body["error"];
    out += " " + e.value("code", std::string()) + ": " + e.value("message", std::string());
  } else if (!r.body.is_null()) {
    std::string text = r.body.dump();
    out += " " + (text.size() > 300 ? text.substr(0, 300) + "..." : text);
  }
  return out;
}

CallResult wait_until_serving(const CallFn& call, const std::string& path, const J& params,
                              std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    CallResult r = call(path, params);
    bool waiting = r.status == 0 || r.status == 401 || r.status == 404 || r.status == 503;
    if (!waiting) return r;
    if (stop_requested()) throw Interrupted{};
    if (std::chrono::steady_clock::now() > deadline)
      throw CliError("the Bridge did not serve the release within " + std::to_string(timeout.count()) +
                     " s; its last answer to " + path + ": " + describe(r));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool has_blog_tables(const std::vector<std::string>& tables) {
  for (const char* t : {"orgs", "teams", "users", "posts"})
    if (std::find(tables.begin(), tables.end(), t) == tables.end()) return false;
  return true;
}

namespace {

// Inserts `rows` into `table` in one batch; returns the inserted rows (input order, ids filled in).
J insert(const CallFn& call, const std::string& table, const J& rows) {
  CallResult r = call("db/" + table + "/insert", J{{"values", rows}});
  if (r.status != 200 || !r.body.is_object() || !r.body.contains("data") || !r.body["data"].is_array() ||
      r.body["data"].size() != rows.size())
    throw CliError("seeding " + table + " through the Bridge failed: " + describe(r));
  for (const auto& row : r.body["data"])
    if (!row.is_object() || !row.contains("id") || !row["id"].is_string())
      throw CliError("seeding " + table + ": the Bridge's answer has a row without an id: " + row.dump());
  return r.body["data"];
}

std::string id_at(const J& rows, size_t i) {
  return rows.at(i).at("id").get<std::string>();
}

}  // namespace

SeedCounts seed_blog(const CallFn& call) {
  SeedCounts n;
  J orgs = insert(call, "orgs", J::array({{{"name", "Acme"}}, {{"name", "Globex"}}}));
  n.orgs = orgs.size();
  const std::string acme = id_at(orgs, 0), globex = id_at(orgs, 1);

  J teams = insert(call, "teams",
                   J::array({{{"org_id", acme}, {"name", "Platform"}},
                             {{"org_id", acme}, {"name", "Growth"}},
                             {{"org_id", globex}, {"name", "Research"}}}));
  n.teams = teams.size();

  J users = insert(
      call, "users",
      J::array(
          {{{"email", "ada@acme.test"}, {"display_name", "Ada Lovelace"}, {"team_id", id_at(teams, 0)}},
           {{"email", "grace@acme.test"}, {"display_name", "Grace Hopper"}, {"team_id", id_at(teams, 1)}},
           {{"email", "alan@globex.test"}, {"display_name", "Alan Turing"}, {"team_id", id_at(teams, 2)}},
           {{"email", "edsger@globex.test"}, {"display_name", "Edsger Dijkstra"}, {"team_id", nullptr}}}));
  n.users = users.size();

  auto post = [](const std::string& author, const char* title, const char* body, const char* status, J tags,
                 const char* published_at) {
    J p = {{"author_id", author}, {"title", title}, {"body", body}, {"status", status}, {"tags", tags}};
    p["published_at"] = published_at ? J(published_at) : J(nullptr);
    return p;
  };
  J posts = insert(
      call, "posts",
      J::array({post(id_at(users, 0), "Notes on the Analytical Engine", "It weaves algebraic patterns.",
                     "published", J::array({"engines", "history"}), "2024-03-01T09:00:00Z"),
                post(id_at(users, 1), "Finding the first bug", "A moth, taped into the log book.",
                     "published", J::array({"debugging"}), "2024-03-05T14:30:00Z"),
                post(id_at(users, 2), "Can machines think?", "The imitation game.", "published",
                     J::array({"ai"}), "2024-03-09T08:15:00Z"),
                post(id_at(users, 0), "Draft: loops", "Unfinished.", "draft", J::array(), nullptr),
                post(id_at(users, 3), "Go To considered harmful", "A letter to the editor.", "draft",
                     J::array({"structured-programming"}), nullptr)}));
  n.posts = posts.size();
  return n;
}

}  // namespace stk::cli::dev
