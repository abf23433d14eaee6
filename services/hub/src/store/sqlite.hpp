#pragma once
// Thin RAII wrapper over the SQLite C API: one connection, prepared statements, typed binds.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace stk::hub {

using SqlValue = std::variant<std::nullptr_t, int64_t, std::string>;

class SqliteStmt {
 public:
  SqliteStmt(sqlite3* db, std::string_view sql);
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  SqliteStmt& bind(int idx, const SqlValue& v);
  SqliteStmt& bind_all(const std::vector<SqlValue>& vs);
  bool step();  // true while a row is available
  void run();   // step to completion
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int col) const;
  std::optional<std::string> opt_text(int col) const;
  int64_t integer(int col) const;
  bool is_null(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  explicit SqliteDb(const std::string& path);  // creates the file; WAL; foreign keys on
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(std::string_view sql);  // multiple statements, no binds
  SqliteStmt prepare(std::string_view sql) { return SqliteStmt(db_, sql); }
  int64_t changes() const { return sqlite3_changes64(db_); }
  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace stk::hub
