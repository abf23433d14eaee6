#include "api/hub_app.hpp"

#include <chrono>
#include <cmath>
#include <set>

#include "api/worker_pool.hpp"
#include "stk/core/error.hpp"
#include "stk/core/ids.hpp"
#include "stk/core/json.hpp"
#include "stk/core/log.hpp"
#include "stk/core/time.hpp"
#include "stk/crypto/crypto.hpp"

#ifndef STK_VERSION
#define STK_VERSION "0.0.0"
#endif
#ifndef STK_COMMIT_SHA
#define STK_COMMIT_SHA "unknown"
#endif

namespace stk::hub {

namespace {

http::Response json_response(int status, const nlohmann::json& body) {
  http::Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::string query(const http::Request& req, const char* name) {
  auto v = req.query_param(name);
  if (!v || v->empty()) throw Error(Code::BadRequest, std::string("missing query parameter '") + name + "'");
  return *v;
}

std::string query_or(const http::Request& req, const char* name, std::string fallback) {
  auto v = req.query_param(name);
  return v && !v->empty() ? *v : std::move(fallback);
}

int query_int(const http::Request& req, const char* name, int fallback) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return fallback;
  try {
    size_t used = 0;
    int n = std::stoi(*v, &used);
    if (used == v->size()) return n;
  } catch (...) {
  }
  throw Error(Code::BadRequest, std::string("query parameter '") + name + "' must be an integer");
}

nlohmann::json parse_body(const http::Request& req) {
  if (req.body.empty()) return nlohmann::json::object();
  check_json_depth(req.body);  // later walks (canonical dumps, comparisons) recurse
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw Error(Code::BadRequest, "request body is not valid JSON");
  if (!j.is_object()) throw Error(Code::BadRequest, "request body must be a JSON object");
  return j;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// The `path` label of a request (spec sdk-mcp-observability §5: the route template, never the raw URL, so a
// caller cannot mint series). Keep in step with dispatch() and internal().
std::string route_template(const std::string& path) {
  static const std::set<std::string, std::less<>> kRoutes = {"/api/apikeys/create",
                                                             "/api/apikeys/list",
                                                             "/api/apikeys/revoke",
                                                             "/api/apply",
                                                             "/api/audit",
                                                             "/api/auth/login",
                                                             "/api/auth/logout",
                                                             "/api/auth/whoami",
                                                             "/api/connections",
                                                             "/api/connections/set",
                                                             "/api/connections/show",
                                                             "/api/connections/test",
                                                             "/api/envs",
                                                             "/api/invites/accept",
                                                             "/api/org/invite",
                                                             "/api/org/members",
                                                             "/api/org/members/set-role",
                                                             "/api/org/remove",
                                                             "/api/project/invite",
                                                             "/api/project/members",
                                                             "/api/project/members/set-role",
                                                             "/api/project/remove",
                                                             "/api/projects",
                                                             "/api/releases",
                                                             "/api/releases/current",
                                                             "/api/releases/promote",
                                                             "/api/releases/rollback",
                                                             "/api/schema/snapshot",
                                                             "/health",
                                                             "/healthz",
                                                             "/internal/healthz",
                                                             "/readyz",
                                                             "/version",
                                                             "/metrics",
                                                             "/internal/releases/current",
                                                             "/internal/bridge/state",
                                                             "/internal/apikeys/used"};
  if (kRoutes.count(path)) return path;
  auto parts = split_path(path);
  if (parts.size() == 3 && parts[0] == "api" && parts[1] == "releases") return "/api/releases/{id}";
  if (parts.size() == 3 && parts[0] == "internal" && parts[1] == "releases") return "/internal/releases/{id}";
  if (parts.size() == 4 && parts[0] == "internal" &&
      (parts[1] == "releases" || parts[1] == "apikeys" || parts[1] == "connections"))
    return "/internal/" + parts[1] + "/{project}/{env}";
  return "unknown";
}

std::string etag_of(const std::string& v) {
  return "\"" + v + "\"";
}

std::chrono::milliseconds wait_of(const http::Request& req, int cap_seconds) {
  int w = query_int(req, "wait", 0);
  if (w < 0) w = 0;
  if (w > cap_seconds) w = cap_seconds;
  return std::chrono::milliseconds(int64_t(w) * 1000);
}

}  // namespace

HubApp::HubApp(HubConfig config)
    : config_(std::move(config)),
      store_(open_sqlite_store(config_.db_url)),
      box_(config_.secret_key),
      audit_(*store_),
      auth_(*store_, audit_, config_),
      tenancy_(*store_, audit_, auth_, feed_, box_),
      releases_(*store_, auth_, feed_),
      apply_(*store_, audit_, auth_, tenancy_, releases_),
      promotions_(*store_, audit_, auth_, tenancy_, releases_, apply_),
      workers_(std::make_unique<WorkerPool>(config_.threads)) {
  if (!config_.bootstrap_email.empty() &&
      auth_.bootstrap_owner(config_.bootstrap_email, config_.bootstrap_password))
    log::info("bootstrap owner created", {{"email", config_.bootstrap_email}});
  if (store_->operator_count() == 0)
    log::warn(
        "no operator exists yet: set STK_HUB_BOOTSTRAP_OWNER_EMAIL and STK_HUB_BOOTSTRAP_OWNER_PASSWORD and "
        "restart, "
        "or use 'stk dev'");
  if (config_.bridge_tokens.empty())
    log::warn(
        "STK_BRIDGE_TOKENS is not set: /internal release and key feeds accept calls without a token "
        "(development "
        "only) and /internal/connections is disabled");
  // Audit retention: purge once at start; long-running Hubs also purge daily from the feed thread's cadence.
  auto cutoff = rfc3339(unix_ms() - int64_t(config_.audit_retention_days) * 86'400'000);
  store_->purge_audit_before(cutoff);
}

HubApp::~HubApp() {
  shutdown();
}

void HubApp::shutdown() {
  feed_.stop();
  if (workers_) workers_->stop();
  audit_.stop();
}

bool HubApp::bridge_token_ok(const http::Request& req) const {
  if (config_.bridge_tokens.empty()) return true;
  auto auth = req.header("authorization");
  if (auth.size() < 8) return false;
  auto token = auth.substr(7);
  for (const auto& t : config_.bridge_tokens)
    if (crypto::equal_ct(t, token)) return true;
  return false;
}

void HubApp::handle(http::Request&& req_in, http::Respond respond_in) {
  auto req = std::make_shared<http::Request>(std::move(req_in));
  auto started = std::chrono::steady_clock::now();
  auto ctx = std::make_shared<RequestContext>();
  ctx->request_id = ulid();
  ctx->ip = req->remote_ip;
  // Every response gets X-Request-Id and one log line.
  http::Respond respond = [respond_in = std::move(respond_in), req, ctx, started](http::Response r) {
    r.headers.emplace_back("X-Request-Id", ctx->request_id);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const bool probe = req->path == "/healthz" || req->path == "/readyz" || req->path == "/metrics" ||
                       req->path == "/internal/healthz" || req->path == "/health";
    if (!probe) {  // probes and scrapes would drown the request series and the log
      const std::string route = route_template(req->path);
      const std::string_view method = req->method.size() <= 7 ? std::string_view(req->method) : "other";
      auto& m = hub_metrics();
      m.requests.labels({method, route, metrics::status_class(r.status)}).inc();
      m.request_duration.labels({method, route}).observe(seconds);
    }
    // One line per request (spec sdk-mcp-observability §6); /internal/keys bodies and tokens never appear.
    nlohmann::json fields = {{"requestId", ctx->request_id},
                             {"method", req->method.substr(0, 16)},
                             {"path", req->path.substr(0, 200)},
                             {"status", r.status},
                             {"durationMs", std::round(seconds * 1e5) / 100}};
    if (ctx->op) {
      fields["actorId"] = ctx->op->id;
      fields["actorType"] = "operator";
    } else if (req->path.rfind("/internal/", 0) == 0) {
      fields["actorType"] = "bridge";
    }
    if (probe)
      log::debug("request completed", fields);
    else
      log::info("request completed", fields);
    respond_in(std::move(r));
  };
  workers_->post([this, req, ctx, respond]() mutable {
    try {
      dispatch(*req, respond, *ctx);
    } catch (const Error& e) {
      respond(json_response(e.status(), error_envelope(e.code(), e.what(), ctx->request_id, e.details())));
    } catch (const std::exception& e) {
      log::error("unhandled error", {{"requestId", ctx->request_id}, {"error", e.what()}});
      respond(json_response(500, error_envelope(Code::Internal, "internal error", ctx->request_id)));
    }
  });
}

void HubApp::dispatch(http::Request& req, http::Respond& respond, RequestContext& ctx) {
  const std::string& m = req.method;
  const std::string& p = req.path;
  auto ok = [&](const nlohmann::json& body, int status = 200) { respond(json_response(status, body)); };

  if (m == "GET" && (p == "/healthz" || p == "/health" || p == "/internal/healthz"))
    return ok({{"ok", true}});
  if (m == "GET" && p == "/readyz") {
    bool up = store_->ping();
    return ok({{"ok", up}}, up ? 200 : 503);
  }
  if (m == "GET" && p == "/metrics") {
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = render_metrics();
    return respond(std::move(r));
  }
  if (m == "GET" && p == "/version")
    return ok({{"version", STK_VERSION}, {"build", "release"}, {"commitSha", STK_COMMIT_SHA}});
  if (p.rfind("/internal/", 0) == 0) return internal(req, respond, ctx);
  if (m == "POST" && p == "/api/auth/login") return ok(auth_.login(parse_body(req), ctx));
  if (p.rfind("/api/", 0) != 0) throw Error(Code::NotFound, "no route for " + m + " " + p);

  ctx.op = auth_.authenticate(req.header("authorization"));

  if (m == "POST" && p == "/api/auth/logout") {
    auth_.logout(req.header("authorization"));
    return ok({{"ok", true}});
  }
  if (m == "GET" && p == "/api/auth/whoami") return ok(auth_.whoami(ctx));
  if (m == "POST" && p == "/api/projects") return ok(tenancy_.create_project(parse_body(req), ctx), 201);
  if (m == "GET" && p == "/api/projects") return ok(tenancy_.list_projects(ctx));
  if (m == "POST" && p == "/api/envs") return ok(tenancy_.create_env(parse_body(req), ctx), 201);
  if (m == "GET" && p == "/api/envs") return ok(tenancy_.list_envs(query(req, "project"), ctx));
  if (m == "POST" && p == "/api/connections/set") return ok(tenancy_.set_connection(parse_body(req), ctx));
  if (m == "POST" && p == "/api/connections/test") return ok(tenancy_.test_connection(parse_body(req), ctx));
  if (m == "GET" && (p == "/api/connections" || p == "/api/connections/show"))
    return ok(tenancy_.list_connections(
        query(req, "project"), query(req, "env"),
        p == "/api/connections/show" ? query(req, "name") : query_or(req, "name", ""), ctx));
  if (m == "POST" && p == "/api/apply") return ok(apply_.apply(parse_body(req), ctx));
  if (m == "POST" && p == "/api/schema/snapshot") return ok(apply_.snapshot(parse_body(req), ctx));
  if (m == "GET" && p == "/api/releases")
    return ok(releases_.list(query(req, "project"), query(req, "env"), query_int(req, "limit", 20), ctx));
  if (m == "GET" && p == "/api/releases/current")
    return ok(releases_.current(query(req, "project"), query(req, "env"), ctx));
  if (m == "POST" && p == "/api/releases/promote") return ok(promotions_.promote(parse_body(req), ctx));
  if (m == "POST" && p == "/api/releases/rollback") return ok(promotions_.rollback(parse_body(req), ctx));
  if (m == "GET" && p.rfind("/api/releases/", 0) == 0) {
    auto id = p.substr(std::string("/api/releases/").size());
    if (!id.empty() && id.find('/') == std::string::npos)
      return ok(releases_.show(id, query(req, "project"), ctx));
  }
  if (m == "POST" && p == "/api/apikeys/create") return ok(tenancy_.create_api_key(parse_body(req), ctx));
  if (m == "GET" && p == "/api/apikeys/list")
    return ok(tenancy_.list_api_keys(query(req, "project"), query(req, "env"), ctx));
  if (m == "POST" && p == "/api/apikeys/revoke") return ok(tenancy_.revoke_api_key(parse_body(req), ctx));
  if (m == "POST" && p == "/api/org/invite") return ok(auth_.org_invite(parse_body(req), ctx));
  if (m == "GET" && p == "/api/org/members") return ok(auth_.org_members(ctx, query_or(req, "role", "")));
  if (m == "POST" && p == "/api/org/members/set-role") return ok(auth_.org_set_role(parse_body(req), ctx));
  if (m == "POST" && p == "/api/org/remove") return ok(auth_.org_remove(parse_body(req), ctx));
  if (m == "POST" && p == "/api/project/invite") return ok(auth_.project_invite(parse_body(req), ctx));
  if (m == "GET" && p == "/api/project/members") return ok(auth_.project_members(query(req, "project"), ctx));
  if (m == "POST" && p == "/api/project/members/set-role")
    return ok(auth_.project_set_role(parse_body(req), ctx));
  if (m == "POST" && p == "/api/project/remove") return ok(auth_.project_remove(parse_body(req), ctx));
  if (m == "POST" && p == "/api/invites/accept") return ok(auth_.accept_invite(parse_body(req), ctx));
  if (m == "GET" && p == "/api/audit") {
    AuditQuery q;
    auto project = query_or(req, "project", "");
    if (project.empty()) {
      auth_.require_org(ctx, OrgRole::Admin);  // org-wide audit
    } else {
      auth_.require_project(ctx, project, ProjectRole::Viewer);
      q.project = project;
    }
    if (auto env = query_or(req, "env", ""); !env.empty()) q.env = env;
    if (auto action = query_or(req, "action", ""); !action.empty()) q.action = action;
    if (auto since = query_or(req, "since", ""); !since.empty()) {
      if (auto d = parse_duration_ms(since)) {
        q.since = rfc3339(unix_ms() - *d);
      } else if (auto t = parse_rfc3339(since)) {
        q.since = rfc3339(*t);
      } else {
        throw Error(Code::BadRequest, "since must be a duration like 24h or an RFC 3339 time");
      }
    }
    q.limit = query_int(req, "limit", 100);
    if (q.limit < 1 || q.limit > 1000) throw Error(Code::BadRequest, "limit must be between 1 and 1000");
    audit_.flush();  // reads see every entry written before them
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : store_->audit(q)) {
      nlohmann::json item = {
          {"id", r.id},
          {"ts", r.ts},
          {"actorId", r.actor_id},
          {"actorType", r.actor_type},
          {"action", r.action},
          {"project", r.project.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.project)},
          {"env", r.env.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.env)},
          {"detail", nlohmann::json::parse(r.detail, nullptr, false)}};
      items.push_back(std::move(item));
    }
    return ok({{"items", items}});
  }
  throw Error(Code::NotFound, "no route for " + m + " " + p);
}

std::string HubApp::render_metrics() {
  std::string out = hub_metrics().registry.render();
  metrics::TextWriter w(out);
  // Capacity gauges read from the store at scrape time (spec §5): tables per connection as last applied, and
  // active API keys per project/env.
  const std::string_view pec[] = {"project", "env", "connection"};
  const std::string_view pe[] = {"project", "env"};
  std::string tables, keys;
  metrics::TextWriter tw(tables), kw(keys);
  for (const auto& [project, created] : store_->projects()) {
    (void)created;
    for (const auto& env : store_->envs(project)) {
      for (const auto& conn : store_->applied_connections(project, env.name)) {
        auto applied = store_->applied_schema(project, env.name, conn);
        if (!applied) continue;
        auto ir = nlohmann::json::parse(applied->ir, nullptr, false);
        const double n = ir.is_object() && ir.contains("tables") ? double(ir["tables"].size()) : 0;
        const std::string_view values[] = {project, env.name, conn};
        tw.sample("stk_hub_tables_per_connection", pec, values, n);
      }
      double active = 0;
      for (const auto& k : store_->api_keys(project, env.name)) active += k.status == "active";
      const std::string_view values[] = {project, env.name};
      kw.sample("stk_hub_api_keys_per_project", pe, values, active);
    }
  }
  w.begin("stk_hub_tables_per_connection", "Tables in each connection's last applied schema",
          metrics::Type::Gauge);
  out += tables;
  w.begin("stk_hub_api_keys_per_project", "Active API keys per project and env", metrics::Type::Gauge);
  out += keys;
  return out;
}

void HubApp::internal(http::Request& req, http::Respond& respond, RequestContext& ctx) {
  if (!bridge_token_ok(req))
    throw Error(Code::Unauthorized, "invalid or missing service token (STK_BRIDGE_TOKEN)");
  if (req.method == "POST" && req.path == "/internal/apikeys/used")
    return respond(json_response(200, tenancy_.record_api_key_use(parse_body(req))));
  if (req.method != "GET") throw Error(Code::NotFound, "no route for " + req.method + " " + req.path);
  auto parts = split_path(req.path);  // ["internal", kind, ...]
  if (parts.size() == 3 && parts[1] == "releases" && parts[2] == "current")
    return long_poll_release(req, respond, ctx, query(req, "project"), query(req, "env"));
  if (parts.size() == 4 && parts[1] == "releases")
    return long_poll_release(req, respond, ctx, parts[2], parts[3]);
  if (parts.size() == 3 && parts[1] == "releases") {
    auto payload = releases_.payload(parts[2]);
    if (!payload) throw Error(Code::NotFound, "release '" + parts[2] + "' does not exist");
    http::Response r;
    r.body = *payload;
    r.headers.emplace_back("ETag", etag_of(parts[2]));
    return respond(std::move(r));
  }
  if (parts.size() == 3 && parts[1] == "bridge" && parts[2] == "state")
    return long_poll_bridge_state(req, respond, ctx);
  if (parts.size() == 4 && parts[1] == "apikeys")
    return long_poll_keys(req, respond, ctx, parts[2], parts[3]);
  if (parts.size() == 4 && parts[1] == "connections") {
    if (config_.bridge_tokens.empty())
      throw Error(Code::Forbidden, "connection secrets are only served when STK_BRIDGE_TOKENS is configured");
    nlohmann::json conns = nlohmann::json::object();
    for (const auto& c : store_->connections(parts[2], parts[3]))
      conns[c.name] = {{"engine", c.engine}, {"dbUrl", tenancy_.connection_url(parts[2], parts[3], c.name)}};
    log::info("connections served to bridge",
              {{"requestId", ctx.request_id}, {"project", parts[2]}, {"env", parts[3]}});
    return respond(json_response(200, {{"project", parts[2]}, {"env", parts[3]}, {"connections", conns}}));
  }
  throw Error(Code::NotFound, "no route for GET " + req.path);
}

void HubApp::long_poll_release(http::Request& req, http::Respond respond, RequestContext& ctx,
                               const std::string& project, const std::string& env) {
  const bool with_payload = req.path != "/internal/releases/current";
  auto answer = [this, project, env, with_payload, ctx = ctx](const std::string& if_none_match,
                                                              const http::Respond& respond) -> bool {
    auto ptr = releases_.pointer(project, env);
    if (!ptr) return false;
    std::string etag = etag_of((*ptr)["releaseId"].get<std::string>());
    if (etag == if_none_match) return false;
    nlohmann::json body = *ptr;
    if (with_payload)
      body["release"] = nlohmann::json::parse(*releases_.payload((*ptr)["releaseId"].get<std::string>()));
    http::Response r = json_response(200, body);
    r.headers.emplace_back("ETag", etag);
    respond(std::move(r));
    return true;
  };
  std::string inm(req.header("if-none-match"));
  if (answer(inm, respond)) return;
  auto wait = wait_of(req, config_.long_poll_max_seconds);
  auto unchanged = [this, project, env, inm, ctx = ctx](const http::Respond& respond) {
    if (releases_.pointer(project, env)) {
      http::Response r;
      r.status = 304;
      r.headers.emplace_back("ETag", inm);
      respond(std::move(r));
    } else {
      respond(json_response(
          404,
          error_envelope(Code::NotFound, "no current release for " + project + "/" + env, ctx.request_id)));
    }
  };
  if (wait.count() == 0) return unchanged(respond);
  feed_.wait("releases:" + project + "/" + env, wait, [this, answer, unchanged, inm, respond](bool) {
    workers_->post([answer, unchanged, inm, respond] {
      try {
        if (!answer(inm, respond)) unchanged(respond);
      } catch (const std::exception&) {
        respond(json_response(503, error_envelope(Code::Unavailable, "hub store unavailable", "")));
      }
    });
  });
}

// Everything a Bridge needs to serve every env, in one document: per env with a current release, its
// releaseId (the payload is fetched once per id from /internal/releases/{id}), its API keys (digests only)
// and, when service tokens are configured, its connections. Long-polled like the release feed; any change
// anywhere (pointer moved, key created or revoked, connection set) wakes it.
nlohmann::json HubApp::bridge_state() {
  nlohmann::json envs = nlohmann::json::array();
  for (const auto& [project, created] : store_->projects()) {
    (void)created;
    for (const auto& e : store_->envs(project)) {
      auto cur = store_->current_release(project, e.name);
      if (!cur) continue;
      nlohmann::json item = {{"project", project},
                             {"env", e.name},
                             {"releaseId", cur->release_id},
                             {"keys", tenancy_.api_key_digests(project, e.name)["keys"]}};
      nlohmann::json conns = nlohmann::json::object();
      if (!config_.bridge_tokens.empty())
        for (const auto& c : store_->connections(project, e.name))
          conns[c.name] = {{"engine", c.engine}, {"dbUrl", tenancy_.connection_url(project, e.name, c.name)}};
      item["connections"] = conns;
      envs.push_back(std::move(item));
    }
  }
  return {{"envs", envs}};
}

void HubApp::long_poll_bridge_state(http::Request& req, http::Respond respond, RequestContext& ctx) {
  (void)ctx;
  long_poll_document(req, std::move(respond), Feed::kAnyTopic, [this] { return bridge_state(); });
}

void HubApp::long_poll_keys(http::Request& req, http::Respond respond, RequestContext& ctx,
                            const std::string& project, const std::string& env) {
  (void)ctx;
  long_poll_document(req, std::move(respond), "apikeys:" + project + "/" + env,
                     [this, project, env] { return tenancy_.api_key_digests(project, env); });
}

// A JSON document whose ETag is a hash of its content: 200 at once when it differs from If-None-Match,
// otherwise parked on `topic` until a bump (200 if it changed) or the wait ends (304).
void HubApp::long_poll_document(http::Request& req, http::Respond respond, const std::string& topic,
                                std::function<nlohmann::json()> document) {
  auto answer = [document](const std::string& inm, const http::Respond& respond) -> bool {
    auto doc = document();
    std::string etag = etag_of(crypto::sha256_hex(canonical_dump(doc)).substr(0, 32));
    if (etag == inm) return false;
    http::Response r = json_response(200, doc);
    r.headers.emplace_back("ETag", etag);
    respond(std::move(r));
    return true;
  };
  std::string inm(req.header("if-none-match"));
  if (answer(inm, respond)) return;
  auto wait = wait_of(req, config_.long_poll_max_seconds);
  auto unchanged = [inm](const http::Respond& respond) {
    http::Response r;
    r.status = 304;
    r.headers.emplace_back("ETag", inm);
    respond(std::move(r));
  };
  if (wait.count() == 0) return unchanged(respond);
  feed_.wait(topic, wait, [this, answer, unchanged, inm, respond](bool) {
    workers_->post([answer, unchanged, inm, respond] {
      try {
        if (!answer(inm, respond)) unchanged(respond);
      } catch (const std::exception&) {
        respond(json_response(503, error_envelope(Code::Unavailable, "hub store unavailable", "")));
      }
    });
  });
}

}  // namespace stk::hub
