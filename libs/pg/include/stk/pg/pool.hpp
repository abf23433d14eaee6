#pragma once
// stk::pg::Pool — the Bridge's asynchronous PostgreSQL pool (DESIGN "The Bridge request path", step 6).
//
// One Pool per worker thread, bound to that worker's io_context. Single-threaded by contract: construct, call
// and destroy it on the io_context's thread only; every callback runs there too. No locks inside.
//
// Each connection runs libpq in non-blocking pipeline mode. A query is sent as
//   [Parse (first use of the SQL on that connection)] + Bind/Execute of the named statement + Sync
// so many queries are in flight per connection while each one is its own implicit transaction: an error in
// one query never affects the queries pipelined before or after it. Prepared statements are cached per
// connection, keyed by a 64-bit hash of the SQL text (statement name "stk_<16 hex>"), and reused.
// Read-only queries (Access::ReadOnly) of statements already prepared on the connection share one Sync with
// the other read-only queries sent to it in the same event-loop turn (up to max_read_group): a read group. A
// member that fails gets its error; the members after it, which PostgreSQL then skips, are sent again each
// with its own Sync, so an error still never reaches another query. A statement that is not read-only, or
// a first use (Parse), ends the open group and is sent as above; so does a statement not yet timed alone on
// the connection, or timed slow (read_group_max_statement_us).
//
// Failure model (errors are reported, never thrown; the callback always gets a QueryResult):
//   * SQL errors: ok=false, sqlstate/message/detail/constraint from the server.
//   * Connection lost: every query in flight on it fails with sqlstate "08006", message "database connection
//     lost"; the connection reconnects in the background (first retry at once, then exponential backoff).
//   * No connection can be established: queued queries fail with "08001" and a message that says why (the
//     conninfo and password are never part of it); while every connection is down, new queries fail at once
//     with the same error; the pool keeps retrying in the background.
//   * Queue full (more than max_queue queries waiting for a connection): "53300" "database pool queue is
//   full".
//   * Pool closed: "08003" "database pool is closed".
//   * Schema change under a cached statement ("cached plan must not change result type", 0A000): that query
//     fails once, the statement is deallocated and the next use prepares it again.
// Callbacks are never invoked from inside query() or close(): immediate errors are deferred to the
// io_context. Callbacks must not throw (an exception escaping one is caught and logged).
//
// Which connection: the least outstanding of the first few (in order) that keep up — idle, or its oldest
// query in flight younger than spill_after_us — else the least outstanding of all. "Few" is one, widened up
// to spread_max while every one of them stays busy and the worker thread mostly waits
// (stk/pg/load_spread.hpp). Load concentrates on few backends (fewer processes competing for the cores,
// fuller batches) and spills past a connection stuck behind a slow statement.
//
// Performance notes: construct the worker's io_context with concurrency hint 1 (`io_context io{1}`). Queries
// sent to one connection within one event-loop turn are batched (TCP_CORK until the end of the turn), results
// are drained in bulk per wake-up, and nothing is allocated per query on the steady path besides libpq's own
// PGresult (callbacks up to QueryCallback::kInline bytes are stored inline).
//
// Not supported on pool connections: COPY, LISTEN (use a dedicated connection), multi-statement SQL text,
// transaction-mode PgBouncer (named prepared statements are per server session).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

struct pg_result;  // libpq's PGresult

namespace boost::asio {
class io_context;
}

namespace stk::pg {

struct PoolOptions {
  std::string conninfo;              // "postgres://…" URL or "key=value …"; never logged or reported
  int size = 4;                      // connections
  int statement_timeout_ms = 30000;  // sent as options=-c statement_timeout=…; <= 0 leaves the server default
  int max_queue = 10000;             // queries waiting for a connection; beyond ⇒ 53300 at once
  int connect_timeout_seconds = 5;  // per connection attempt (enforced by the pool)
  int max_pipeline_depth = 512;     // queries in flight per connection; more wait in the queue
  int spill_after_us = 50000;  // a connection whose oldest query in flight is older gets no new ones while
                               // another keeps up (load concentrates on few backends; 0 = least outstanding)
  int spread_max = 1;  // connections that may share the load at once (LoadSpread): more only while every
                       // one of them stays busy and the worker thread mostly waits for PostgreSQL
  int max_prepared_per_connection = 2000;  // past it the connection sends DEALLOCATE ALL and starts over
  // Read-only queries per Sync (Access::ReadOnly): the backend then commits, flushes and reports
  // ReadyForQuery once per group instead of once per query (measured: ~60 → ~30 µs of PostgreSQL per select
  // by PK at 4 per Sync). Results of a group arrive together when its last member is done. 1 = a Sync each.
  int max_read_group = 8;
  // Only statements that took at most this long when they last ran alone join read groups, so a slow select
  // does not hold back the answers of the group members sent before it. A group that takes longer sends its
  // members back to running alone until each is timed again.
  int read_group_max_statement_us = 5000;
  int reconnect_initial_ms = 100;             // backoff after a failed attempt, doubling ...
  int reconnect_max_ms = 5000;                // ... up to this
  std::string application_name = "santokit";  // used unless the conninfo sets one
  // Session settings sent at connect (options=-c name=value, after any the conninfo has, so these win; they
  // also override ALTER DATABASE/ROLE … SET). Names and values must not contain spaces or backslashes.
  std::vector<std::pair<std::string, std::string>> settings;
};

// The answer to one query. Values are in text format and are read in place from libpq's result (no copy):
// the views stay valid as long as this object lives.
class QueryResult {
 public:
  QueryResult() = default;
  QueryResult(QueryResult&&) noexcept = default;
  QueryResult& operator=(QueryResult&&) noexcept = default;
  ~QueryResult() = default;

  bool ok = false;
  std::string sqlstate;    // "" when ok; five characters otherwise (e.g. "23505", "57014", "08006")
  std::string message;     // primary message; sanitised (never the conninfo or password)
  std::string detail;      // server DETAIL, when any (may contain row values: show with care)
  std::string constraint;  // constraint name for integrity errors, when any
  int rows = 0;
  int cols = 0;
  long affected = 0;  // PQcmdTuples: rows affected / returned by the command; 0 when not applicable

  std::string_view value(int row, int col) const;
  bool is_null(int row, int col) const;
  // value and is_null at once (nullopt for NULL or out of range), cheaper per field: libpq's null flag is
  // only asked for empty values.
  std::optional<std::string_view> text(int row, int col) const;
  std::string_view column_name(int col) const;
  int column_index(std::string_view name) const;  // -1 when absent
  std::vector<std::string> column_names() const;  // convenience (allocates)
  pg_result* raw() const { return res_.get(); }   // libpq's PGresult, or nullptr (pool-made errors)

  // Builders (used by the pool; handy in tests).
  static QueryResult error(std::string_view sqlstate, std::string_view message);
  static QueryResult from_pg(pg_result* res);  // takes ownership

 private:
  struct Clear {
    void operator()(pg_result* r) const noexcept;
  };
  std::unique_ptr<pg_result, Clear> res_;
};

// Move-only callable `void(QueryResult&&)` with inline storage: a callback capturing up to 48 bytes (e.g. a
// shared_ptr and a few pointers) costs no allocation. Larger callables are kept on the heap.
class QueryCallback {
 public:
  static constexpr std::size_t kInline = 48;

  QueryCallback() noexcept = default;
  QueryCallback(std::nullptr_t) noexcept {}
  template <
      class F, class D = std::decay_t<F>,
      class = std::enable_if_t<!std::is_same_v<D, QueryCallback> && std::is_invocable_v<D&, QueryResult&&>>>
  QueryCallback(F&& f) {  // NOLINT(google-explicit-constructor)
    if constexpr (fits<D>) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      vt_ = &kInlineVt<D>;
    } else {
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      vt_ = &kHeapVt<D>;
    }
  }
  QueryCallback(QueryCallback&& o) noexcept : vt_(o.vt_) {
    if (vt_) vt_->move(buf_, o.buf_);
    o.vt_ = nullptr;
  }
  QueryCallback& operator=(QueryCallback&& o) noexcept {
    if (this != &o) {
      reset();
      vt_ = o.vt_;
      if (vt_) vt_->move(buf_, o.buf_);
      o.vt_ = nullptr;
    }
    return *this;
  }
  QueryCallback(const QueryCallback&) = delete;
  QueryCallback& operator=(const QueryCallback&) = delete;
  ~QueryCallback() { reset(); }

  explicit operator bool() const noexcept { return vt_ != nullptr; }
  void operator()(QueryResult&& r) { vt_->invoke(buf_, std::move(r)); }
  void reset() noexcept {
    if (vt_) vt_->destroy(buf_);
    vt_ = nullptr;
  }

 private:
  struct VTable {
    void (*invoke)(void*, QueryResult&&);
    void (*move)(void* dst, void* src) noexcept;  // move-constructs into dst and destroys src
    void (*destroy)(void*) noexcept;
  };
  template <class D>
  static constexpr bool fits =
      sizeof(D) <= kInline &&
      alignof(D) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<D>;
  template <class D>
  static constexpr VTable kInlineVt = {[](void* p, QueryResult&& r) { (*static_cast<D*>(p))(std::move(r)); },
                                       [](void* dst, void* src) noexcept {
                                         ::new (dst) D(std::move(*static_cast<D*>(src)));
                                         static_cast<D*>(src)->~D();
                                       },
                                       [](void* p) noexcept { static_cast<D*>(p)->~D(); }};
  template <class D>
  static constexpr VTable kHeapVt = {
      [](void* p, QueryResult&& r) { (**static_cast<D**>(p))(std::move(r)); },
      [](void* dst, void* src) noexcept { *static_cast<D**>(dst) = *static_cast<D**>(src); },
      [](void* p) noexcept { delete *static_cast<D**>(p); }};

  alignas(std::max_align_t) unsigned char buf_[kInline];
  const VTable* vt_ = nullptr;
};

// A text-format parameter: nullopt is SQL NULL.
using Param = std::optional<std::string_view>;

// Write: anything (the default). ReadOnly: a statement that changes nothing and has no side effects (a plain
// SELECT); such queries may share one Sync — one implicit transaction — with other read-only queries sent to
// the same connection in the same event-loop turn (PoolOptions::max_read_group). Each still gets its own
// result or error: one that is skipped because an earlier member of its group failed is sent again alone.
enum class Access : std::uint8_t { Write, ReadOnly };

class Pool {
 public:
  Pool(boost::asio::io_context& io, PoolOptions opts);
  ~Pool();  // close()
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Opens the connections asynchronously (PQconnectStartParams/PQconnectPoll); queries issued before they are
  // up wait in the queue.
  void start();

  // Runs `sql` (one statement, $1..$n placeholders) with text parameters; `cb` is called exactly once, on the
  // io_context thread, never from inside this call. Per connection, callbacks run in the order queries were
  // issued — except a read-only query re-sent because a neighbour in its read group failed (it comes later).
  void query(std::string_view sql, std::vector<std::optional<std::string>> params, QueryCallback cb,
             Access access = Access::Write);
  void query(std::string_view sql, std::span<const Param> params, QueryCallback cb,
             Access access = Access::Write);
  // Same, with the hash of `sql` computed once by the caller (sql_hash) — e.g. at release compile time.
  void query(std::string_view sql, std::uint64_t hash, std::span<const Param> params, QueryCallback cb,
             Access access = Access::Write);
  static std::uint64_t sql_hash(std::string_view sql) noexcept;

  int active() const;            // queries sent and not yet answered (stk_bridge_db_pool_active)
  int queued() const;            // queries waiting for a connection
  int idle_connections() const;  // connected, nothing in flight
  int connected() const;         // connections up
  int size() const;              // configured connections

  // Closes every connection: queries in flight or queued fail with 08003; later queries too. Idempotent.
  void close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace stk::pg
