#include "api/bridge_app.hpp"

#include <chrono>
#include <unordered_map>

#include "call/db_errors.hpp"
#include "call/plan.hpp"
#include "call/principal.hpp"
#include "call/request.hpp"
#include "limits/rate_limiter.hpp"
#include "stk/core/error.hpp"
#include "stk/core/ids.hpp"
#include "stk/core/log.hpp"
#include "stk/pg/pool.hpp"

namespace stk::bridge {

struct BridgeApp::Worker {
  boost::asio::io_context* io = nullptr;
  std::unordered_map<std::string, std::unique_ptr<pg::Pool>> pools;  // by database URL
  ReleaseCache::Local local;
};

namespace {

thread_local BridgeApp::Worker* tl_worker = nullptr;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::Response json_response(int status, std::string body, const std::string& rid) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("X-Request-Id", rid);
  return r;
}

http::Response error_response(const Error& e, const std::string& rid) {
  auto r = json_response(e.status(), error_envelope(e.code(), e.what(), rid).dump(), rid);
  if (e.code() == Code::Unavailable) r.headers.emplace_back("Retry-After", "1");
  if (auto* rl = dynamic_cast<const limits::RateLimitExceeded*>(&e))
    r.headers.emplace_back("Retry-After", std::to_string(rl->retry_after_seconds));
  return r;
}

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

BridgeApp::BridgeApp(const BridgeConfig& config, ReleaseCache& cache) : config_(config), cache_(cache) {
  for (int i = 0; i < config_.threads; ++i) workers_.push_back(std::make_unique<Worker>());
}

BridgeApp::~BridgeApp() = default;

void BridgeApp::worker_started(int worker, boost::asio::io_context& io) {
  workers_.at(size_t(worker))->io = &io;
  tl_worker = workers_[size_t(worker)].get();
}

void BridgeApp::worker_stopped(int worker) {
  auto& w = *workers_.at(size_t(worker));
  for (auto& [url, pool] : w.pools) pool->close();
  w.pools.clear();
  tl_worker = nullptr;
}

void BridgeApp::handle(http::Request&& req, http::Respond respond) {
  const std::string rid = request_id();
  try {
    const auto& path = req.path;
    if (req.method == "GET" && (path == "/healthz" || path == "/health"))
      return respond(json_response(200, R"({"status":"ok"})", rid));
    if (req.method == "GET" && path == "/readyz") {
      auto snap = cache_.current();
      const bool fresh = snap && now_ms() - cache_.confirmed_ms() <= config_.max_stale_seconds * 1000;
      nlohmann::json body = {{"status", fresh ? "ready" : "not_ready"},
                             {"releases", snap ? snap->envs.size() : 0},
                             {"releaseCache", !snap   ? "empty"
                                              : fresh ? "fresh"
                                                      : "stale"}};
      return respond(json_response(fresh ? 200 : 503, body.dump(), rid));
    }
    if (path == "/call") {
      if (req.method != "POST") throw Error(Code::NotFound, "use POST /call");
      if (req.body.size() > config_.limits.request_body_max_bytes)
        throw Error(Code::BadRequest, "request body is larger than " +
                                          std::to_string(config_.limits.request_body_max_bytes >> 20) +
                                          " MB");
      auto c = parse_call_body(req.body);
      return call(req, c.path, std::move(c.params), rid, respond);
    }
    if (path.rfind("/db/", 0) == 0) {                        // REST aliases (DESIGN Decision 2)
      auto parts = split(std::string_view(path).substr(1));  // db, table, op
      const std::string route = path.substr(1);
      if (req.method == "GET") {
        if (parts.size() != 3 || parts[2] != "select")
          throw Error(Code::NotFound, "GET is only for /db/<table>/select; other operations use POST");
        return call(req, route, params_from_query(req.query), rid, respond);
      }
      if (req.method == "POST") {
        if (req.body.size() > config_.limits.request_body_max_bytes)
          throw Error(Code::BadRequest, "request body is larger than " +
                                            std::to_string(config_.limits.request_body_max_bytes >> 20) +
                                            " MB");
        nlohmann::ordered_json params = nlohmann::ordered_json::object();
        if (!req.body.empty()) {
          params = nlohmann::ordered_json::parse(req.body, nullptr, false);
          if (params.is_discarded()) throw Error(Code::BadRequest, "request body is not valid JSON");
          if (params.is_null()) params = nlohmann::ordered_json::object();
          if (!params.is_object()) throw Error(Code::BadRequest, "request body must be the params object");
        }
        return call(req, route, std::move(params), rid, respond);
      }
    }
    throw Error(Code::NotFound, "no route for " + req.method + " " + path.substr(0, 200));
  } catch (const Error& e) {
    respond(error_response(e, rid));
  } catch (const std::exception& e) {
    log::error("request failed", {{"requestId", rid}, {"reason", e.what()}});
    respond(error_response(Error(Code::Internal, "internal error"), rid));
  }
}

void BridgeApp::call(http::Request& req, std::string_view path, nlohmann::ordered_json params,
                     const std::string& rid, http::Respond& respond) {
  Route route = parse_route(path);
  Worker* w = tl_worker;
  if (!w) throw Error(Code::Internal, "request outside a worker thread");
  std::shared_ptr<const Snapshot> snap = cache_.current(w->local);
  if (!snap)
    throw Error(Code::Unavailable,
                "no releases yet: this Bridge has not reached the Hub and has no disk cache");
  if (now_ms() - cache_.confirmed_ms() > config_.max_stale_seconds * 1000)
    throw Error(Code::Unavailable,
                "the release cache is older than STK_BRIDGE_MAX_STALE and the Hub is unreachable");
  Principal who = resolve_principal(req.headers, *snap, config_.disable_auth);
  if (config_.rate_limiter) {  // IP, then API key / end user (429 + Retry-After; docs/configuration.md)
    auto d = config_.rate_limiter->check_request(who.env->limits, who.env->project, who.env->env,
                                                 req.remote_ip, who.kind == Principal::Kind::EndUser, who.id,
                                                 limits::RateLimiter::now_ns());
    if (!d.allowed) throw limits::RateLimitExceeded(d);
  }
  Statement st = plan_call(*who.env, route, params, who, config_.limits);
  auto url = who.env->db_urls.find(st.connection);
  if (url == who.env->db_urls.end())
    throw Error(Code::Unavailable,
                "connection '" + st.connection + "' of " + who.env->project + "/" + who.env->env +
                    " is not available to this Bridge (the Hub serves DB URLs "
                    "only to Bridges with a STK_BRIDGE_TOKEN listed in STK_BRIDGE_TOKENS)");
  auto& pool = w->pools[url->second];
  if (!pool) {
    pg::PoolOptions o;
    o.conninfo = url->second;
    o.size = config_.db_pool_size;
    o.statement_timeout_ms = config_.query_timeout_seconds * 1000;
    o.application_name = "santokit-bridge";
    pool = std::make_unique<pg::Pool>(*w->io, o);
    pool->start();
  }
  struct Shape {
    bool affected, want_count, want_cursor;
    int64_t page_limit, row_cap;
    std::string cursor_order;
  };
  Shape shape{st.affected,   st.want_count, st.want_cursor,
              st.page_limit, st.row_cap,    std::move(st.cursor_order)};
  const size_t max_response = config_.limits.response_body_max_bytes;
  pool->query(
      st.sql, std::move(st.params),
      [respond = std::move(respond), rid, shape, max_response, snap](pg::QueryResult&& r) {
        if (!r.ok) {
          Error e = map_db_error(r.sqlstate, r.constraint);
          if (e.code() == Code::Internal || e.code() == Code::Unavailable)
            log::error("query failed",
                       {{"requestId", rid}, {"sqlstate", r.sqlstate}, {"message", r.message}});
          return respond(error_response(e, rid));
        }
        if (r.rows != 1 || r.cols != 4)
          return respond(error_response(Error(Code::Internal, "unexpected query result"), rid));
        std::string body;
        if (shape.affected) {
          body = "{\"data\":{\"affected\":";
          body += r.value(0, 0);
          body += "}}";
          return respond(json_response(200, std::move(body), rid));
        }
        const auto data = r.value(0, 0);
        const int64_t rows = std::stoll(std::string(r.value(0, 1)));
        if (shape.row_cap >= 0 && rows > shape.row_cap)
          return respond(error_response(
              Error(Code::BadRequest, "the select matches more than " + std::to_string(shape.row_cap) +
                                          " rows; add a 'limit' and paginate"),
              rid));
        if (data.size() > max_response)
          return respond(
              error_response(Error(Code::Internal,
                                   "the response is larger than STK_RESPONSE_BODY_MAX_SIZE_MB; select "
                                   "fewer rows or columns"),
                             rid));
        body.reserve(data.size() + 64);
        body += "{\"data\":";
        body += data;
        if (shape.want_count || shape.want_cursor) {
          body += ",\"meta\":{";
          bool first = true;
          if (shape.want_count) {
            body += "\"count\":";
            body += r.value(0, 3);
            first = false;
          }
          if (shape.want_cursor) {
            if (!first) body += ",";
            body += "\"nextCursor\":";
            if (shape.page_limit > 0 && rows == shape.page_limit && !r.is_null(0, 2))
              body += "\"" + encode_cursor(shape.cursor_order, r.value(0, 2)) + "\"";
            else
              body += "null";
          }
          body += "}";
        }
        body += "}";
        respond(json_response(200, std::move(body), rid));
      });
}

}  // namespace stk::bridge
