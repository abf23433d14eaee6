#pragma once
// Synchronous libpq connection for the Hub (plan/apply, introspection). The Bridge's hot path uses the async
// pool (pool.hpp), not this.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stk/core/error.hpp"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace stk::pg {

// DESIGN Decision 9: 23505 → Conflict; other 23xxx (integrity) and 22xxx (data) → BadRequest; 57014
// (statement timeout / cancel) → GatewayTimeout; 08xxx (connection), 57P0x (shutdown, cannot connect now) and
// 53xxx (insufficient resources, e.g. too many connections) → Unavailable; anything else → Internal.
Code code_for_sqlstate(std::string_view sqlstate);

// A PostgreSQL failure. what() is PostgreSQL's primary message (or a sanitised connection reason); it never
// holds the connection URL or a password.
class PgError : public Error {
 public:
  PgError(Code code, std::string message, std::string sqlstate = "", std::string detail = "",
          std::string constraint = "")
      : Error(code, std::move(message)),
        sqlstate_(std::move(sqlstate)),
        detail_(std::move(detail)),
        constraint_(std::move(constraint)) {}
  const std::string& sqlstate() const { return sqlstate_; }  // empty for client-side failures
  const std::string& detail() const { return detail_; }
  const std::string& constraint() const { return constraint_; }

 private:
  std::string sqlstate_, detail_, constraint_;
};

// Result of one statement (text format). Move-only; owns the PGresult.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* res) : res_(res) {}
  Result(Result&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
  Result& operator=(Result&& o) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  int rows() const;
  int cols() const;
  std::string column_name(int c) const;
  std::string_view value(int r, int c) const;  // "" for NULL; valid while the Result lives
  bool is_null(int r, int c) const;
  int64_t affected_rows() const;  // INSERT/UPDATE/DELETE/…; 0 when not applicable

 private:
  PGresult* res_ = nullptr;
};

class Connection {
 public:
  // Opens a connection from a postgres:// URL (or key=value conninfo). `timeout_seconds` bounds connecting.
  // Throws PgError(Unavailable) with a reason that never contains the URL or the password, e.g.
  // "cannot connect to database: connection to server at "127.0.0.1", port 1 failed: Connection refused" or
  // "cannot connect to database: … password authentication failed for user "x"", and PgError(BadRequest) for
  // a malformed URL.
  static Connection connect(const std::string& url, int timeout_seconds = 5);

  Connection(Connection&& o) noexcept : conn_(o.conn_) { o.conn_ = nullptr; }
  Connection& operator=(Connection&& o) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one SQL text (simple protocol: may hold several statements; the last result is returned).
  Result exec(const std::string& sql);
  // One statement with $1..$n text parameters (nullopt = NULL).
  Result exec_params(const std::string& sql, const std::vector<std::optional<std::string>>& params);

  void begin() { exec("BEGIN"); }
  void commit() { exec("COMMIT"); }
  void rollback() { exec("ROLLBACK"); }
  bool in_transaction() const;  // inside BEGIN … (also when the transaction has failed)
  bool ok() const;              // connection usable (not broken)
  int server_version() const;   // e.g. 150004
  PGconn* native() { return conn_; }

 private:
  explicit Connection(PGconn* c) : conn_(c) {}
  Result check(PGresult* res);
  PGconn* conn_ = nullptr;
};

// Rolls back on scope exit unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Connection& c) : c_(c) { c_.begin(); }
  // Starts with a custom statement, e.g. "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".
  Transaction(Connection& c, const std::string& begin_sql) : c_(c) { c_.exec(begin_sql); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit() {
    c_.commit();
    done_ = true;
  }

 private:
  Connection& c_;
  bool done_ = false;
};

}  // namespace stk::pg
