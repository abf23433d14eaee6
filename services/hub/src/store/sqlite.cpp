#include "store/sqlite.hpp"

#include "stk/core/error.hpp"

namespace stk::hub {

namespace {
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
  int code = sqlite3_extended_errcode(db);
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(db);
  if ((code & 0xFF) == SQLITE_CONSTRAINT) throw Error(Code::Conflict, msg);
  if ((code & 0xFF) == SQLITE_BUSY || (code & 0xFF) == SQLITE_LOCKED) throw Error(Code::Unavailable, msg);
  throw Error(Code::Internal, msg);
}
}  // namespace

SqliteStmt::SqliteStmt(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), int(sql.size()), &stmt_, nullptr) != SQLITE_OK)
    fail(db, "hub store: cannot prepare statement");
}

SqliteStmt::~SqliteStmt() {
  sqlite3_finalize(stmt_);
}

SqliteStmt& SqliteStmt::bind(int idx, const SqlValue& v) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<std::nullptr_t>(v)) {
    rc = sqlite3_bind_null(stmt_, idx);
  } else if (auto* i = std::get_if<int64_t>(&v)) {
    rc = sqlite3_bind_int64(stmt_, idx, *i);
  } else {
    const auto& s = std::get<std::string>(v);
    rc = sqlite3_bind_text(stmt_, idx, s.data(), int(s.size()), SQLITE_TRANSIENT);
  }
  if (rc != SQLITE_OK) fail(db_, "hub store: cannot bind value");
  return *this;
}

SqliteStmt& SqliteStmt::bind_all(const std::vector<SqlValue>& vs) {
  for (size_t i = 0; i < vs.size(); ++i) bind(int(i + 1), vs[i]);
  return *this;
}

bool SqliteStmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "hub store: statement failed");
}

void SqliteStmt::run() {
  while (step()) {
  }
}

std::string SqliteStmt::text(int col) const {
  auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(stmt_, col))) : "";
}

std::optional<std::string> SqliteStmt::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

int64_t SqliteStmt::integer(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
bool SqliteStmt::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

SqliteDb::SqliteDb(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(Code::Unavailable, "cannot open hub store '" + path + "': " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
}

SqliteDb::~SqliteDb() {
  sqlite3_close(db_);
}

void SqliteDb::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error(Code::Internal, "hub store: " + msg);
  }
}

}  // namespace stk::hub
