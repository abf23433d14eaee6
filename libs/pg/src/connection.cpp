#include "stk/pg/connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace stk::pg {

Code code_for_sqlstate(std::string_view s) {
  if (s == "23505") return Code::Conflict;
  if (s.size() != 5) return Code::Internal;
  std::string_view cls = s.substr(0, 2);
  if (cls == "23" || cls == "22") return Code::BadRequest;
  if (s == "57014") return Code::GatewayTimeout;
  if (cls == "08" || cls == "53" || s.substr(0, 4) == "57P0") return Code::Unavailable;
  return Code::Internal;
}

namespace {

void replace_all(std::string& s, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
    s.replace(pos, what.size(), with);
}

// libpq's connection failure text without the parts that must not leave the process: the URL and the
// password. Keeps host, port, user and the reason; drops hint lines and "FATAL:" prefixes; one line.
std::string sanitize_connect_error(std::string raw, const std::string& url, const std::string& password,
                                   const std::string& raw_userinfo) {
  replace_all(raw, url, "<database url>");
  replace_all(raw, raw_userinfo, "***");
  replace_all(raw, password, "***");
  std::string out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('\n', start);
    if (end == std::string::npos) end = raw.size();
    std::string line = raw.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '\t' || line[0] == ' ') continue;  // "\tIs the server running …" hints
    replace_all(line, "FATAL:  ", "");
    replace_all(line, "FATAL: ", "");
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out.empty() ? "unknown error" : out;
}

// The "user:password" part of a URL, as written (possibly percent-encoded).
std::string url_userinfo(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t begin = scheme + 3;
  size_t at = url.find('@', begin);
  size_t slash = url.find('/', begin);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return "";
  return url.substr(begin, at - begin);
}

std::string field(const PGresult* res, int code) {
  const char* v = PQresultErrorField(res, code);
  return v ? std::string(v) : std::string();
}

}  // namespace

// ---- Result ----

Result& Result::operator=(Result&& o) noexcept {
  if (this != &o) {
    if (res_) PQclear(res_);
    res_ = o.res_;
    o.res_ = nullptr;
  }
  return *this;
}
Result::~Result() {
  if (res_) PQclear(res_);
}
int Result::rows() const {
  return res_ ? PQntuples(res_) : 0;
}
int Result::cols() const {
  return res_ ? PQnfields(res_) : 0;
}
std::string Result::column_name(int c) const {
  const char* n = res_ ? PQfname(res_, c) : nullptr;
  return n ? n : "";
}
std::string_view Result::value(int r, int c) const {
  if (!res_ || r < 0 || c < 0 || r >= rows() || c >= cols()) return {};
  return {PQgetvalue(res_, r, c), static_cast<size_t>(PQgetlength(res_, r, c))};
}
bool Result::is_null(int r, int c) const {
  if (!res_ || r < 0 || c < 0 || r >= rows() || c >= cols()) return true;
  return PQgetisnull(res_, r, c) != 0;
}
int64_t Result::affected_rows() const {
  const char* n = res_ ? PQcmdTuples(res_) : nullptr;
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

// ---- Connection ----

Connection Connection::connect(const std::string& url, int timeout_seconds) {
  std::string password;
  {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
    if (!opts) {
      if (err) PQfreemem(err);  // its text may quote parts of the URL: never shown
      throw PgError(Code::BadRequest,
                    "invalid database URL (expected postgres://user:password@host:port/database)", "08001");
    }
    for (PQconninfoOption* o = opts; o->keyword; ++o)
      if (std::strcmp(o->keyword, "password") == 0 && o->val) password = o->val;
    PQconninfoFree(opts);
  }
  std::string timeout = std::to_string(std::max(1, timeout_seconds));
  const char* keys[] = {"fallback_application_name", "dbname", "connect_timeout", nullptr};
  const char* vals[] = {"santokit", url.c_str(), timeout.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, vals, 1);
  if (!c) throw PgError(Code::Unavailable, "cannot connect to database: out of memory", "08001");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string reason = sanitize_connect_error(PQerrorMessage(c), url, password, url_userinfo(url));
    PQfinish(c);
    throw PgError(Code::Unavailable, "cannot connect to database: " + reason, "08001");
  }
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);  // notices are not errors
  return Connection(c);
}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    if (conn_) PQfinish(conn_);
    conn_ = o.conn_;
    o.conn_ = nullptr;
  }
  return *this;
}

Connection::~Connection() {
  if (conn_) PQfinish(conn_);
}

Result Connection::check(PGresult* res) {
  if (!res) {
    if (!ok()) throw PgError(Code::Unavailable, "database connection lost", "08006");
    throw PgError(Code::Internal, "database call failed: out of memory");
  }
  switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return Result(res);
    default:
      break;
  }
  std::string sqlstate = field(res, PG_DIAG_SQLSTATE);
  std::string message = field(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string detail = field(res, PG_DIAG_MESSAGE_DETAIL);
  std::string constraint = field(res, PG_DIAG_CONSTRAINT_NAME);
  if (message.empty()) {
    const char* m = PQresultErrorMessage(res);
    message = m && *m ? m : "database error";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  }
  PQclear(res);
  if (sqlstate.empty() && !ok()) throw PgError(Code::Unavailable, "database connection lost", "08006");
  Code code = code_for_sqlstate(sqlstate);  // before sqlstate is moved from
  throw PgError(code, std::move(message), std::move(sqlstate), std::move(detail), std::move(constraint));
}

Result Connection::exec(const std::string& sql) {
  if (!conn_) throw PgError(Code::Internal, "database connection is closed");
  return check(PQexec(conn_, sql.c_str()));
}

Result Connection::exec_params(const std::string& sql,
                               const std::vector<std::optional<std::string>>& params) {
  if (!conn_) throw PgError(Code::Internal, "database connection is closed");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                            nullptr, nullptr, 0));
}

bool Connection::in_transaction() const {
  if (!conn_) return false;
  auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

bool Connection::ok() const {
  return conn_ && PQstatus(conn_) == CONNECTION_OK;
}
int Connection::server_version() const {
  return conn_ ? PQserverVersion(conn_) : 0;
}

Transaction::~Transaction() {
  if (done_ || !c_.in_transaction()) return;
  try {
    c_.rollback();
  } catch (...) {
  }
}

}  // namespace stk::pg
