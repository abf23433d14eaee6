#include "api/bridge_app.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "call/db_errors.hpp"
#include "call/plan.hpp"
#include "call/principal.hpp"
#include "call/request.hpp"
#include "call/rules.hpp"
#include "limits/rate_limiter.hpp"
#include "stk/core/error.hpp"
#include "stk/core/ids.hpp"
#include "stk/core/json.hpp"
#include "stk/core/log.hpp"
#include "stk/core/time.hpp"
#include "stk/pg/pool.hpp"
#include "stk/sql/wire_json.hpp"
#include "sync/hub_sync.hpp"

namespace stk::bridge {

struct BridgeApp::Worker {
  boost::asio::io_context* io = nullptr;
  std::unordered_map<std::string, std::unique_ptr<pg::Pool>> pools;  // by database URL
  ReleaseCache::Local local;
  // Request log lines wait here and leave in one write (at ~4 KB, or when the flush timer fires): one
  // syscall per line would cost more than the rest of the request's logging.
  std::string log_buffer;
  std::unique_ptr<boost::asio::steady_timer> log_timer;
};

// What the metrics and the request log line need to know about one request, filled in as the pipeline
// learns it. Label values come only from the release (project, env, table, op) or fixed sets, never from
// caller text that did not resolve.
struct BridgeApp::RequestInfo {
  std::string rid;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::string method, http_path;
  std::string path = "unknown";  // normalized call path label: db/<table>/<op>
  std::string table, op;         // set once the table exists in the release
  std::string project = "unknown", env = "unknown", release_id;
  const char* auth_type = "none";
  std::string_view code;     // error code name; empty on success
  std::string_view limiter;  // the limiter that refused a 429
};

namespace {

thread_local BridgeApp::Worker* tl_worker = nullptr;

http::Response json_response(int status, std::string body, const std::string& rid) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("X-Request-Id", rid);
  return r;
}

http::Response error_response(const Error& e, BridgeApp::RequestInfo& info) {
  const std::string& rid = info.rid;
  info.code = code_name(e.code());
  auto r = json_response(e.status(), error_envelope(e.code(), e.what(), rid).dump(), rid);
  if (e.code() == Code::Unavailable) r.headers.emplace_back("Retry-After", "1");
  if (auto* rl = dynamic_cast<const limits::RateLimitExceeded*>(&e)) {
    r.headers.emplace_back("Retry-After", std::to_string(rl->retry_after_seconds));
    info.limiter = rl->limiter;
  }
  return r;
}

// What the response needs to know about the statement once its result arrives (copied out of Statement,
// whose SQL and parameters have gone to the pool by then).
struct ResultShape {
  bool affected, rowset, want_count, want_cursor;
  int64_t page_limit, row_cap;
  std::string cursor_order;
  std::vector<RowField> fields;  // rowset: how each result column is written
};

bool append_field(std::string& body, const RowField& f, bool null, std::string_view text);

// `{"key" : value, ...}` for `fields`, spaced as json_build_object spaces it; value(i) gives field i as
// {is null, text}. False when an expanded row's record does not have the fields the statement selected (never
// expected).
template <class Value>
bool append_object(std::string& body, const std::vector<RowField>& fields, Value value) {
  body += '{';
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) body.append(", ", 2);
    body += *fields[i].json_key;
    const auto [null, text] = value(i);
    if (!append_field(body, fields[i], null, text)) return false;
  }
  body += '}';
  return true;
}

// An expanded row from its record text (RowField::record). ROW(NULL) and ROW() both print "()".
bool append_record(std::string& body, std::string_view text, const std::vector<RowField>& fields) {
  std::vector<sql::RecordField> parts;
  std::string scratch;
  if (!sql::split_record(text, parts, scratch)) return false;
  if (parts.empty() && fields.size() == 1) parts.push_back(sql::RecordField{true, {}});
  if (parts.size() != fields.size()) return false;
  return append_object(body, fields, [&](size_t i) { return std::pair(parts[i].null, parts[i].text); });
}

// A field's value: its text in its wire kind, or, for an expanded relation, its record as an object.
bool append_field(std::string& body, const RowField& f, bool null, std::string_view text) {
  if (null) {
    body.append("null", 4);
    return true;
  }
  if (f.is_record) return append_record(body, text, f.record);
  sql::append_wire_json(body, f.wire, text);
  return true;
}

// One result row of a row set as JSON.
bool append_row(std::string& body, const pg::QueryResult& r, int row, const std::vector<RowField>& fields) {
  return append_object(body, fields, [&](size_t c) {
    const auto text = r.text(row, int(c));
    return std::pair(!text, text.value_or(std::string_view()));
  });
}

// The same for a row without expanded relations, written by pointer into room sized for the row's largest
// JSON and then trimmed (append_object's per-value appends were most of the cost of a page of rows).
// `texts` is scratch space kept across rows.
void write_flat_row(std::string& body, const pg::QueryResult& r, int row, const std::vector<RowField>& fields,
                    std::vector<std::optional<std::string_view>>& texts) {
  texts.clear();
  size_t room = 2 + 2 * fields.size();
  for (size_t c = 0; c < fields.size(); ++c) {
    const auto& text = texts.emplace_back(r.text(row, int(c)));
    room += fields[c].json_key->size() + (text ? sql::wire_json_max_size(fields[c].wire, text->size()) : 4);
  }
  const size_t start = body.size();
  body.resize(start + room);
  char* p = body.data() + start;
  *p++ = '{';
  for (size_t c = 0; c < fields.size(); ++c) {
    if (c) *p++ = ',', *p++ = ' ';
    const std::string& key = *fields[c].json_key;
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    if (texts[c]) {
      p = sql::write_wire_json(p, fields[c].wire, *texts[c]);
    } else {
      std::memcpy(p, "null", 4);
      p += 4;
    }
  }
  *p++ = '}';
  body.resize(size_t(p - body.data()));
}

// A select over the row cap (400) or over STK_RESPONSE_BODY_MAX_SIZE_MB (500): both result forms check here.
std::optional<Error> select_limit_error(const ResultShape& shape, int64_t rows, size_t bytes,
                                        size_t max_response) {
  if (shape.row_cap >= 0 && rows > shape.row_cap)
    return Error(Code::BadRequest, "the select matches more than " + std::to_string(shape.row_cap) +
                                       " rows; add a 'limit' and paginate");
  if (bytes > max_response)
    return Error(Code::Internal,
                 "the response is larger than STK_RESPONSE_BODY_MAX_SIZE_MB; select fewer rows or columns");
  return std::nullopt;
}

// "nextCursor": a cursor when a keyset page came back full (its last row's sort values), else null.
void append_next_cursor(std::string& body, const ResultShape& shape, int64_t rows,
                        std::optional<std::string_view> last_values) {
  body += "\"nextCursor\":";
  if (shape.page_limit > 0 && rows == shape.page_limit && last_values)
    body += "\"" + encode_cursor(shape.cursor_order, *last_values) + "\"";
  else
    body += "null";
}

// The response body for a successful statement, in either result form (Statement::rowset).
http::Response result_response(const pg::QueryResult& r, const ResultShape& shape, size_t max_response,
                               BridgeApp::RequestInfo& info) {
  auto unexpected = [&] { return error_response(Error(Code::Internal, "unexpected query result"), info); };
  std::string body;
  if (shape.rowset) {  // one row per data row: written and joined here
    const int cursor_col = int(shape.fields.size());
    if (r.cols != cursor_col + (shape.want_cursor ? 1 : 0)) return unexpected();
    if (auto e = select_limit_error(shape, r.rows, 0, max_response)) return error_response(*e, info);
    // Room for every row at the first row's size, plus the room a row is written into before it is trimmed
    // (an estimate: the buffer still grows when rows differ).
    size_t first = 32, first_room = 32;
    if (r.rows > 0)
      for (int c = 0; c < cursor_col; ++c) {
        const RowField& f = shape.fields[size_t(c)];
        const size_t n = r.value(0, c).size();
        first += n + f.json_key->size() + 8;
        first_room += sql::wire_json_max_size(f.wire, n) + f.json_key->size() + 8;
      }
    body.reserve(std::min(32 + first * size_t(r.rows) + first_room, max_response + 64));
    body += "{\"data\":[";
    const bool flat =
        std::none_of(shape.fields.begin(), shape.fields.end(), [](const RowField& f) { return f.is_record; });
    std::vector<std::optional<std::string_view>> texts;
    if (flat) texts.reserve(shape.fields.size());
    for (int i = 0; i < r.rows; ++i) {
      if (i) body += ',';
      if (flat)
        write_flat_row(body, r, i, shape.fields, texts);
      else if (!append_row(body, r, i, shape.fields))
        return unexpected();
      if (body.size() > max_response) break;
    }
    body += ']';
    if (auto e = select_limit_error(shape, r.rows, body.size(), max_response))
      return error_response(*e, info);
    if (shape.want_cursor) {
      const int last = r.rows - 1;
      body += ",\"meta\":{";
      append_next_cursor(body, shape, r.rows,
                         last >= 0 && !r.is_null(last, cursor_col) ? std::optional(r.value(last, cursor_col))
                                                                   : std::nullopt);
      body += '}';
    }
    body += '}';
    return json_response(200, std::move(body), info.rid);
  }
  // One row: data array (or affected count), row count, last row's cursor values, meta.count.
  if (r.rows != 1 || r.cols != 4) return unexpected();
  if (shape.affected) {
    body = "{\"data\":{\"affected\":";
    body += r.value(0, 0);
    body += "}}";
    return json_response(200, std::move(body), info.rid);
  }
  const auto data = r.value(0, 0);
  const int64_t rows = std::stoll(std::string(r.value(0, 1)));
  if (auto e = select_limit_error(shape, rows, data.size(), max_response)) return error_response(*e, info);
  body.reserve(data.size() + 64);
  body += "{\"data\":";
  body += data;
  if (shape.want_count || shape.want_cursor) {
    body += ",\"meta\":{";
    if (shape.want_count) {
      body += "\"count\":";
      body += r.value(0, 3);
      if (shape.want_cursor) body += ',';
    }
    if (shape.want_cursor)
      append_next_cursor(body, shape, rows, r.is_null(0, 2) ? std::nullopt : std::optional(r.value(0, 2)));
    body += '}';
  }
  body += '}';
  return json_response(200, std::move(body), info.rid);
}

// Which credential slot the caller used (log field authType, label auth_type), by the §3 precedence.
const char* auth_type_of(const http::Request& req) {
  if (!req.header("x-santokit-api-key").empty()) return "api_key";
  auto auth = req.header("authorization");
  if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) return "bearer";
  if (req.header("cookie").find("stk_access_") != std::string_view::npos) return "cookie";
  return "none";
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void flush_log(BridgeApp::Worker& w) {
  if (w.log_buffer.empty()) return;
  log::write_lines(w.log_buffer);
  w.log_buffer.clear();
}

void arm_log_timer(BridgeApp::Worker& w) {
  w.log_timer->expires_after(std::chrono::milliseconds(200));
  w.log_timer->async_wait([&w](const boost::system::error_code& ec) {
    if (ec) return;
    flush_log(w);
    arm_log_timer(w);
  });
}

http::Response health_response(bool ok, const std::string& rid) {
  return json_response(ok ? 200 : 503, ok ? R"({"ok":true})" : R"({"ok":false})", rid);
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
  auto& w = *workers_.at(size_t(worker));
  w.io = &io;
  w.log_timer = std::make_unique<boost::asio::steady_timer>(io);
  arm_log_timer(w);
  tl_worker = &w;
}

void BridgeApp::worker_stopped(int worker) {
  auto& w = *workers_.at(size_t(worker));
  for (auto& [url, pool] : w.pools) pool->close();
  w.pools.clear();
  if (w.log_timer) w.log_timer->cancel();
  flush_log(w);
  tl_worker = nullptr;
}

pg::Pool& BridgeApp::pool_for(Worker& w, const std::string& url) {
  auto& pool = w.pools[url];
  if (!pool) {
    pg::PoolOptions o;
    o.conninfo = url;
    o.size = config_.db_pool_size;
    o.statement_timeout_ms = config_.query_timeout_seconds * 1000;
    o.application_name = "santokit-bridge";
    o.spread_max = config_.db_spread;
    o.max_read_group = config_.db_read_group;
    // Rows are written from PostgreSQL's text output (sql/wire_json): fix the settings that shape it,
    // whatever the server's or the database's defaults. UTC also makes a timestamp without an offset mean
    // UTC.
    o.settings = {
        {"DateStyle", "ISO"}, {"TimeZone", "UTC"}, {"bytea_output", "hex"}, {"extra_float_digits", "1"}};
    pool = std::make_unique<pg::Pool>(*w.io, o);
    pool->start();
  }
  return *pool;
}

void BridgeApp::request_shed(const http::Request&) {
  metrics_.rate_limit_exceeded.labels({"unknown", "unknown", "concurrency"}).inc();
  metrics_.rate_limited.labels({"unknown", "unknown", "concurrency"}).inc();
}

void BridgeApp::finish(RequestInfo& info, int status) {
  const double seconds = seconds_since(info.started);
  auto& m = metrics_;
  m.requests.labels({info.project, info.env, info.path, metrics::status_class(status)}).inc();
  m.request_duration.labels({info.project, info.env, info.path}).observe(seconds);
  if (!info.code.empty()) {
    m.errors.labels({info.project, info.env, info.path, info.code}).inc();
    if (status == 403 && !info.table.empty())
      m.permission_denials.labels({info.project, info.env, info.table, info.op}).inc();
    if (status == 401) m.auth_failures.labels({info.project, info.env, info.auth_type}).inc();
    if (status == 429) {
      std::string_view limiter = info.limiter.empty() ? "unknown" : info.limiter;
      m.rate_limit_exceeded.labels({info.project, info.env, limiter}).inc();
      m.rate_limited.labels({info.project, info.env, limiter}).inc();
    }
  }
  if (!log::enabled(log::Level::Info)) return;
  // One line per request (spec sdk-mcp-observability §6). Never headers, keys, bodies or SQL values.
  const double ms = std::round(seconds * 1e5) / 100;
  if (log::pretty()) {
    nlohmann::json f = {{"requestId", info.rid}, {"project", info.project},   {"env", info.env},
                        {"method", info.method}, {"path", info.http_path},    {"status", status},
                        {"durationMs", ms},      {"authType", info.auth_type}};
    if (!info.release_id.empty()) f["releaseId"] = info.release_id;
    if (!info.table.empty()) f["table"] = info.table, f["op"] = info.op;
    if (!info.code.empty()) f["code"] = info.code;
    return log::info("request completed", f);
  }
  Worker* w = tl_worker;
  std::string local;
  std::string& out = w ? w->log_buffer : local;
  out += R"({"ts":)";
  log::append_json_string(out, now_rfc3339());
  out += R"(,"level":"info","msg":"request completed","requestId":)";
  log::append_json_string(out, info.rid);
  out += R"(,"project":)";
  log::append_json_string(out, info.project);
  out += R"(,"env":)";
  log::append_json_string(out, info.env);
  if (!info.release_id.empty()) {
    out += R"(,"releaseId":)";
    log::append_json_string(out, info.release_id);
  }
  out += R"(,"method":)";
  log::append_json_string(out, info.method);
  out += R"(,"path":)";
  log::append_json_string(out, info.http_path);
  out += R"(,"status":)";
  out += std::to_string(status);
  out += R"(,"durationMs":)";
  const auto hundredths = std::llround(seconds * 1e5);  // == ms with two decimals, without printf
  out += std::to_string(hundredths / 100);
  out += '.';
  out += char('0' + hundredths / 10 % 10);
  out += char('0' + hundredths % 10);
  out += R"(,"authType":")";
  out += info.auth_type;
  out += '"';
  if (!info.table.empty()) {
    out += R"(,"table":)";
    log::append_json_string(out, info.table);
    out += R"(,"op":")";
    out += info.op;
    out += '"';
  }
  if (!info.code.empty()) {
    out += R"(,"code":")";
    out += info.code;
    out += '"';
  }
  out += "}\n";
  if (!w || out.size() >= log::line_batch_bytes()) {
    log::write_lines(out);
    out.clear();
  }
}

void BridgeApp::handle(http::Request&& req, http::Respond respond_in) {
  if (req.method == "GET") {  // operational endpoints: no metrics, no request log line
    if (req.path == "/healthz" || req.path == "/health")
      return respond_in(health_response(true, request_id()));
    if (req.path == "/readyz") return readiness(req, std::move(respond_in));
    if (req.path == "/metrics") return scrape(std::move(respond_in));
  }
  auto info = std::make_shared<RequestInfo>();
  info->rid = request_id();
  info->method = req.method;
  info->http_path = req.path.substr(0, 200);
  info->auth_type = auth_type_of(req);
  http::Respond respond = [this, info, respond_in = std::move(respond_in)](http::Response r) {
    finish(*info, r.status);
    respond_in(std::move(r));
  };
  const std::string& rid = info->rid;
  try {
    const auto& path = req.path;
    if (path == "/call") {
      if (req.method != "POST") throw Error(Code::NotFound, "use POST /call");
      if (req.body.size() > config_.limits.request_body_max_bytes)
        throw Error(Code::BadRequest, "request body is larger than " +
                                          std::to_string(config_.limits.request_body_max_bytes >> 20) +
                                          " MB");
      auto c = parse_call_body(req.body);
      return call(req, c.path, std::move(c.params), info, respond);
    }
    if (path.rfind("/db/", 0) == 0) {                        // REST aliases (DESIGN Decision 2)
      auto parts = split(std::string_view(path).substr(1));  // db, table, op
      const std::string route = path.substr(1);
      if (req.method == "GET") {
        if (parts.size() != 3 || parts[2] != "select")
          throw Error(Code::NotFound, "GET is only for /db/<table>/select; other operations use POST");
        return call(req, route, params_from_query(req.query), info, respond);
      }
      if (req.method == "POST") {
        if (req.body.size() > config_.limits.request_body_max_bytes)
          throw Error(Code::BadRequest, "request body is larger than " +
                                            std::to_string(config_.limits.request_body_max_bytes >> 20) +
                                            " MB");
        nlohmann::ordered_json params = nlohmann::ordered_json::object();
        if (!req.body.empty()) {
          auto parsed = parse_json(req.body);
          if (!parsed) throw Error(Code::BadRequest, "request body is not valid JSON");
          params = std::move(*parsed);
          if (params.is_null()) params = nlohmann::ordered_json::object();
          if (!params.is_object()) throw Error(Code::BadRequest, "request body must be the params object");
        }
        return call(req, route, std::move(params), info, respond);
      }
    }
    throw Error(Code::NotFound, "no route for " + req.method + " " + path.substr(0, 200));
  } catch (const Error& e) {
    respond(error_response(e, *info));
  } catch (const std::exception& e) {
    log::error("request failed", {{"requestId", rid}, {"reason", e.what()}});
    respond(error_response(Error(Code::Internal, "internal error"), *info));
  }
}

void BridgeApp::call(http::Request& req, std::string_view path, nlohmann::ordered_json params,
                     const std::shared_ptr<RequestInfo>& info, http::Respond& respond) {
  Route route = parse_route(path);
  Worker* w = tl_worker;
  if (!w) throw Error(Code::Internal, "request outside a worker thread");
  std::shared_ptr<const Snapshot> snap = cache_.current(w->local);
  if (!snap)
    throw Error(Code::Unavailable,
                "no releases yet: this Bridge has not reached the Hub and has no disk cache");
  if (unix_ms() - cache_.confirmed_ms() > config_.max_stale_seconds * 1000)
    throw Error(Code::Unavailable,
                "the release cache is older than STK_BRIDGE_MAX_STALE and the Hub is unreachable");
  if (auto hp = req.header("x-santokit-project"), he = req.header("x-santokit-env");
      !hp.empty() && !he.empty())
    if (const EnvRelease* hinted = snap->env(std::string(hp), std::string(he))) {  // labels for a 401
      info->project = hinted->project;
      info->env = hinted->env;
    }
  Principal who = resolve_principal(req.headers, *snap, config_.disable_auth);
  info->project = who.env->project;
  info->env = who.env->env;
  info->release_id = who.env->release_id;
  if (who.env->table(route.table)) {
    info->table = route.table;
    info->op = op_name(route.op);
    info->path = "db/" + info->table + "/" + info->op;
  }
  if (config_.rate_limiter) {  // IP, then API key / end user (429 + Retry-After; docs/configuration.md)
    auto d = config_.rate_limiter->check_request(who.env->limits, who.env->project, who.env->env,
                                                 req.remote_ip, who.kind == Principal::Kind::EndUser, who.id,
                                                 limits::RateLimiter::now_ns());
    if (!d.allowed) throw limits::RateLimitExceeded(d);
  }
  take_permission_eval_ns();
  struct ObservePermissions {  // also when planning throws (a 403 is an evaluation too)
    metrics::Histogram& h;
    ~ObservePermissions() { h.observe(double(take_permission_eval_ns()) / 1e9); }
  } observe{metrics_.permission_eval_duration.labels({info->project, info->env})};
  Statement st = plan_call(*who.env, route, params, who, config_.limits);
  auto url = who.env->db_urls.find(st.connection);
  if (url == who.env->db_urls.end())
    throw Error(Code::Unavailable,
                "connection '" + st.connection + "' of " + who.env->project + "/" + who.env->env +
                    " is not available to this Bridge (the Hub serves DB URLs "
                    "only to Bridges with a STK_BRIDGE_TOKEN listed in STK_BRIDGE_TOKENS)");
  pg::Pool& pool = pool_for(*w, url->second);
  metrics::Histogram& db_time = metrics_.db_query_duration.labels({info->project, info->env, st.connection});
  metrics::Counter& db_conn_errors =
      metrics_.db_connection_errors.labels({info->project, info->env, st.connection});
  const auto sent = std::chrono::steady_clock::now();
  ResultShape shape{st.affected,
                    st.rowset,
                    st.want_count,
                    st.want_cursor,
                    st.page_limit,
                    st.row_cap,
                    std::move(st.cursor_order),
                    std::move(st.fields)};
  const size_t max_response = config_.limits.response_body_max_bytes;
  pool.query(
      st.sql, std::move(st.params),
      [respond = std::move(respond), info, shape, max_response, snap, &db_time, &db_conn_errors,
       sent](pg::QueryResult&& r) {
        db_time.observe(seconds_since(sent));
        const std::string& rid = info->rid;
        if (!r.ok) {
          if (r.sqlstate.rfind("08", 0) == 0) db_conn_errors.inc();
          Error e = map_db_error(r.sqlstate, r.constraint);
          if (e.code() == Code::Internal || e.code() == Code::Unavailable)
            log::error("query failed",
                       {{"requestId", rid}, {"sqlstate", r.sqlstate}, {"message", r.message}});
          return respond(error_response(e, *info));
        }
        respond(result_response(r, shape, max_response, *info));
      },
      st.read_only ? pg::Access::ReadOnly : pg::Access::Write);
}

}  // namespace stk::bridge

namespace stk::bridge {

BridgeApp::CacheState BridgeApp::cache_state(const Snapshot* snap) const {
  if (!snap) return CacheState::Empty;
  const int64_t age_ms = unix_ms() - cache_.confirmed_ms();
  if (age_ms > config_.max_stale_seconds * 1000) return CacheState::Expired;
  // A healthy long-poll is answered (200 or 304) at least every poll interval; allow its timeout on top.
  if (age_ms <= (int64_t(config_.poll_wait_seconds) + 15) * 1000) return CacheState::Fresh;
  return CacheState::Stale;
}

void BridgeApp::readiness(const http::Request& req, http::Respond respond) {
  const std::string rid = request_id();
  auto not_ready = [&](const std::string& why) {
    log::warn("not ready", {{"requestId", rid}, {"reason", why}});
    respond(health_response(false, rid));
  };
  auto snap = cache_.current();
  switch (cache_state(snap.get())) {
    case CacheState::Empty:
      return not_ready("no release loaded: the Hub has not been reached and there is no disk cache");
    case CacheState::Expired:
      return not_ready(
          "release cache expired: the Hub has been unreachable for longer than STK_BRIDGE_MAX_STALE");
    default:
      break;
  }
  // Databases to check: database URL -> "project/env connection" (URLs are never logged).
  std::map<std::string, std::string> dbs;
  auto project = req.query_param("project"), env = req.query_param("env");
  if (project || env) {
    if (!project || !env) return not_ready("readyz needs both ?project= and &env=, or neither");
    const EnvRelease* rel = snap->env(*project, *env);
    if (!rel) return not_ready("no release for " + project->substr(0, 100) + "/" + env->substr(0, 100));
    for (const auto& [name, url] : rel->db_urls) dbs.emplace(url, rel->project + "/" + rel->env + " " + name);
  } else {
    for (const auto& [key, rel] : snap->envs)
      for (const auto& [name, url] : rel->db_urls) dbs.emplace(url, key + " " + name);
  }
  Worker* w = tl_worker;
  if (dbs.empty() || !w) return respond(health_response(true, rid));

  struct Check {
    explicit Check(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    http::Respond respond;
    std::string rid;
    size_t remaining = 0;
    bool done = false;
    std::vector<std::string> failed;
  };
  auto check = std::make_shared<Check>(*w->io);
  check->respond = std::move(respond);
  check->rid = rid;
  check->remaining = dbs.size();
  // Each dependency check gives up after 2 s (spec §4).
  check->timer.expires_after(std::chrono::seconds(2));
  check->timer.async_wait([check](const boost::system::error_code& ec) {
    if (ec || check->done) return;
    check->done = true;
    log::warn("not ready", {{"requestId", check->rid}, {"reason", "a database did not answer within 2 s"}});
    check->respond(health_response(false, check->rid));
  });
  for (const auto& [url, name] : dbs) {
    pool_for(*w, url).query(
        "SELECT 1", std::vector<std::optional<std::string>>{}, [check, name = name](pg::QueryResult&& r) {
          if (check->done) return;
          if (!r.ok) check->failed.push_back(name + " (" + r.sqlstate + ")");
          if (--check->remaining > 0) return;
          check->done = true;
          check->timer.cancel();
          if (!check->failed.empty()) {
            std::string list;
            for (const auto& f : check->failed) list += (list.empty() ? "" : ", ") + f;
            log::warn("not ready", {{"requestId", check->rid}, {"reason", "database unreachable: " + list}});
          }
          check->respond(health_response(check->failed.empty(), check->rid));
        });
  }
}

void BridgeApp::scrape(http::Respond respond) {
  // Pools belong to their worker threads: ask each worker for its numbers, answer when the last one did.
  struct PoolUse {
    double active = 0, idle = 0;
  };
  struct Gather {
    std::mutex mu;
    std::map<std::string, PoolUse> by_url;
    std::atomic<size_t> remaining{0};
    http::Respond respond;
  };
  auto g = std::make_shared<Gather>();
  g->respond = std::move(respond);
  g->remaining = workers_.size();
  auto render = [this](Gather& g) {
    std::string out = metrics_.registry.render();
    metrics::TextWriter tw(out);
    auto snap = cache_.current();
    const CacheState state = cache_state(snap.get());
    const double age = snap ? double(unix_ms() - cache_.confirmed_ms()) / 1000 : 0;
    const double capacity = double(config_.threads) * config_.db_pool_size;
    const std::string_view pe[] = {"project", "env"};
    const std::string_view pec[] = {"project", "env", "connection"};
    std::vector<std::pair<const EnvRelease*, std::pair<std::string, std::string>>> conns;  // env, (name, url)
    if (snap)
      for (const auto& [key, rel] : snap->envs)
        for (const auto& [name, url] : rel->db_urls) conns.push_back({rel.get(), {name, url}});
    struct PoolGauge {
      const char *name, *help;
      int which;
    };
    for (auto [name, help, which] :
         {PoolGauge{"stk_bridge_db_pool_active", "Connections with statements in flight, over all workers",
                    0},
          PoolGauge{"stk_bridge_db_pool_idle", "Connections up with nothing in flight, over all workers", 1},
          PoolGauge{"stk_bridge_db_pool_max", "Configured connections (workers x STK_BRIDGE_DB_POOL_SIZE)",
                    2}}) {
      tw.begin(name, help, metrics::Type::Gauge);
      for (const auto& [rel, c] : conns) {
        const std::string_view values[] = {rel->project, rel->env, c.first};
        auto it = g.by_url.find(c.second);
        double v = which == 2             ? capacity
                   : it == g.by_url.end() ? 0
                   : which == 0           ? it->second.active
                                          : it->second.idle;
        tw.sample(name, pec, values, v);
      }
    }
    tw.begin("stk_bridge_release_cache_age_seconds", "Seconds since the Hub last confirmed the release state",
             metrics::Type::Gauge);
    if (snap)
      for (const auto& [key, rel] : snap->envs) {
        const std::string_view values[] = {rel->project, rel->env};
        tw.sample("stk_bridge_release_cache_age_seconds", pe, values, age);
      }
    tw.begin("stk_bridge_release_cache_state", "Release cache state: 0 EMPTY, 1 FRESH, 2 STALE, 3 EXPIRED",
             metrics::Type::Gauge);
    if (snap)
      for (const auto& [key, rel] : snap->envs) {
        const std::string_view values[] = {rel->project, rel->env};
        tw.sample("stk_bridge_release_cache_state", pe, values, double(int(state)));
      }
    tw.begin("stk_bridge_hub_poll_failures_total",
             "Failed release polls (one poll serves every project/env this Bridge holds)",
             metrics::Type::Counter);
    if (snap)
      for (const auto& [key, rel] : snap->envs) {
        const std::string_view values[] = {rel->project, rel->env};
        tw.sample("stk_bridge_hub_poll_failures_total", pe, values,
                  double(sync_ ? sync_->poll_failures() : 0));
      }
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = std::move(out);
    g.respond(std::move(r));
  };
  for (auto& wp : workers_) {
    Worker* w = wp.get();
    auto done_one = [g, render] {
      if (g->remaining.fetch_sub(1) == 1) render(*g);
    };
    if (!w->io) {
      done_one();
      continue;
    }
    boost::asio::post(*w->io, [g, w, done_one] {
      {
        std::lock_guard lock(g->mu);
        for (const auto& [url, pool] : w->pools) {
          auto& u = g->by_url[url];
          u.active += pool->connected() - pool->idle_connections();
          u.idle += pool->idle_connections();
        }
      }
      done_one();
    });
  }
}

}  // namespace stk::bridge
