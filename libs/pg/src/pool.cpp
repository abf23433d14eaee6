// stk::pg::Pool — async libpq in pipeline mode on Asio. See pool.hpp for the contract.
//
// Per connection, every query is sent as [Parse] + Bind/Describe/Execute + Sync. libpq then reports, in
// order:
//   Parse:   one result (COMMAND_OK or FATAL_ERROR), then NULL
//   Execute: one result (TUPLES_OK / COMMAND_OK / FATAL_ERROR / PIPELINE_ABORTED), then NULL
//   Sync:    PGRES_PIPELINE_SYNC (not followed by NULL)
// InFlight::phase walks these steps; the callback runs at the Sync, i.e. once the implicit transaction of the
// query is over (a commit-time error reaches the query that caused it).
//
// Socket readiness (DESIGN "Pitfalls"): Asio's epoll reactor is edge-triggered and libpq reads at most one
// buffer per PQconsumeInput, and also reads inside PQflush when the send buffer is full. So after consuming,
// results are drained until PQisBusy, and the socket is polled once before waiting again; after a send that
// left results in libpq's buffer, a drain is posted.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <utility>  // before Boost.Asio (DESIGN "Pitfalls")

#include <boost/asio/defer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <random>
#include <unordered_map>

#include <libpq-fe.h>

#include "stk/core/log.hpp"
#include "stk/pg/load_spread.hpp"
#include "stk/pg/pool.hpp"

namespace asio = boost::asio;

namespace stk::pg {

// ---------------------------------------------------------------------------------------------------------------
// QueryResult

void QueryResult::Clear::operator()(pg_result* r) const noexcept {
  PQclear(r);
}

std::string_view QueryResult::value(int row, int col) const {
  if (!res_ || row < 0 || row >= rows || col < 0 || col >= cols) return {};
  return {PQgetvalue(res_.get(), row, col), static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
}

std::optional<std::string_view> QueryResult::text(int row, int col) const {
  if (!res_ || row < 0 || row >= rows || col < 0 || col >= cols) return std::nullopt;
  PGresult* r = res_.get();
  const int len = PQgetlength(r, row, col);
  if (len == 0 && PQgetisnull(r, row, col)) return std::nullopt;
  return std::string_view(PQgetvalue(r, row, col), static_cast<std::size_t>(len));
}

bool QueryResult::is_null(int row, int col) const {
  if (!res_ || row < 0 || row >= rows || col < 0 || col >= cols) return true;
  return PQgetisnull(res_.get(), row, col) != 0;
}

std::string_view QueryResult::column_name(int col) const {
  if (!res_ || col < 0 || col >= cols) return {};
  const char* n = PQfname(res_.get(), col);
  return n ? std::string_view(n) : std::string_view();
}

int QueryResult::column_index(std::string_view name) const {
  for (int c = 0; c < cols; ++c)
    if (column_name(c) == name) return c;
  return -1;
}

std::vector<std::string> QueryResult::column_names() const {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(cols));
  for (int c = 0; c < cols; ++c) out.emplace_back(column_name(c));
  return out;
}

QueryResult QueryResult::error(std::string_view sqlstate, std::string_view message) {
  QueryResult q;
  q.ok = false;
  q.sqlstate = sqlstate;
  q.message = message;
  return q;
}

namespace {

std::string trim_message(const char* m) {
  if (!m) return {};
  std::string s(m);
  for (char& ch : s)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

QueryResult QueryResult::from_pg(pg_result* r) {
  QueryResult q;
  q.res_.reset(r);
  if (!r) {
    q.sqlstate = "XX000";
    q.message = "no result from the database";
    return q;
  }
  switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_SINGLE_TUPLE:
    case PGRES_EMPTY_QUERY: {
      q.ok = true;
      q.rows = PQntuples(r);
      q.cols = PQnfields(r);
      const char* t = PQcmdTuples(r);
      q.affected = (t && *t) ? std::strtol(t, nullptr, 10) : 0;
      return q;
    }
    case PGRES_PIPELINE_ABORTED:
      q.sqlstate = "25P02";
      q.message = "query not executed: an earlier command in its pipeline segment failed";
      return q;
    case PGRES_COPY_IN:
    case PGRES_COPY_OUT:
    case PGRES_COPY_BOTH:
      q.sqlstate = "0A000";
      q.message = "COPY is not supported on pooled connections";
      return q;
    default: {
      const char* st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      q.sqlstate = (st && *st) ? st : "XX000";
      const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
      q.message = primary ? trim_message(primary) : trim_message(PQresultErrorMessage(r));
      if (const char* d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) q.detail = d;
      if (const char* c = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME)) q.constraint = c;
      return q;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pool internals

namespace {

constexpr const char* kLostState = "08006";
constexpr const char* kLostMessage = "database connection lost";
constexpr const char* kClosedState = "08003";
constexpr const char* kClosedMessage = "database pool is closed";
constexpr const char* kConnectState = "08001";
constexpr const char* kQueueFullState = "53300";
constexpr const char* kQueueFullMessage = "database pool queue is full";

// Growable ring buffer: FIFO without per-element allocation once warmed up.
template <class T>
class Ring {
 public:
  bool empty() const { return n_ == 0; }
  std::size_t size() const { return n_; }
  T& front() { return buf_[head_]; }
  void push_back(T&& v) {
    if (n_ == buf_.size()) grow();
    buf_[(head_ + n_) & (buf_.size() - 1)] = std::move(v);
    ++n_;
  }
  T pop_front() {
    T v = std::move(buf_[head_]);
    head_ = (head_ + 1) & (buf_.size() - 1);
    --n_;
    return v;
  }

 private:
  void grow() {
    std::vector<T> nb(std::max<std::size_t>(16, buf_.size() * 2));
    for (std::size_t i = 0; i < n_; ++i) nb[i] = std::move(buf_[(head_ + i) & (buf_.size() - 1)]);
    buf_.swap(nb);
    head_ = 0;
  }
  std::vector<T> buf_;
  std::size_t head_ = 0;
  std::size_t n_ = 0;
};

enum Phase : std::uint8_t { kPrepare, kPrepareEnd, kExec, kExecEnd, kSync };

// A query waiting for a connection: owns copies of its SQL and parameters.
struct Pending {
  std::string sql;
  std::uint64_t hash = 0;
  std::string buf;        // parameter values, each followed by '\0'
  std::vector<int> offs;  // offset into buf, -1 = NULL
  QueryCallback cb;
  bool read_only = false;

  // Copies the SQL and the NUL-terminated parameter values (nullptr = NULL) out of the caller's buffers.
  static Pending copy_of(std::string_view sql, std::uint64_t hash, const char* const* values, int n) {
    Pending p;
    p.sql.assign(sql);
    p.hash = hash;
    p.offs.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      if (!values[i]) {
        p.offs[i] = -1;
        continue;
      }
      p.offs[i] = static_cast<int>(p.buf.size());
      p.buf.append(values[i]);
      p.buf.push_back('\0');
    }
    return p;
  }
};

struct InFlight {
  QueryCallback cb;
  PGresult* res = nullptr;  // the answer so far (owned)
  std::uint64_t hash = 0;
  Phase phase = kExec;
  bool internal = false;                       // pool-issued (DEALLOCATE ALL): no callback
  bool own_sync = true;                        // false: in a read group, answered without waiting for a Sync
  std::chrono::steady_clock::time_point sent;  // when it entered the pipeline (pick() spills past slow heads)
  std::unique_ptr<Pending> retry;      // read group member: sent again if a neighbour's error aborts it
  std::vector<std::uint64_t> members;  // a read group's Sync (internal): its members' statements

  InFlight() = default;
  InFlight(InFlight&& o) noexcept
      : cb(std::move(o.cb)),
        res(std::exchange(o.res, nullptr)),
        hash(o.hash),
        phase(o.phase),
        internal(o.internal),
        own_sync(o.own_sync),
        sent(o.sent),
        retry(std::move(o.retry)),
        members(std::move(o.members)) {}
  InFlight& operator=(InFlight&& o) noexcept {
    if (this != &o) {
      if (res) PQclear(res);
      cb = std::move(o.cb);
      res = std::exchange(o.res, nullptr);
      hash = o.hash;
      phase = o.phase;
      internal = o.internal;
      own_sync = o.own_sync;
      sent = o.sent;
      retry = std::move(o.retry);
      members = std::move(o.members);
    }
    return *this;
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ~InFlight() {
    if (res) PQclear(res);
  }
};

bool socket_readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

void statement_name(std::uint64_t h, char (&out)[24]) {
  static constexpr char hex[] = "0123456789abcdef";
  std::memcpy(out, "stk_", 4);
  for (int i = 0; i < 16; ++i) out[4 + i] = hex[(h >> (60 - 4 * i)) & 0xF];
  out[20] = '\0';
}

void invoke(QueryCallback& cb, QueryResult&& r) {
  if (!cb) return;
  try {
    cb(std::move(r));
  } catch (const std::exception& e) {
    stk::log::error("pg pool: query callback threw", {{"error", e.what()}});
  } catch (...) {
    stk::log::error("pg pool: query callback threw");
  }
}

struct Conn {
  enum class State { Down, Connecting, Ready, Closed };

  Conn(asio::io_context& io, int i) : sock(io), timer(io), index(i) {}

  PGconn* pg = nullptr;
  asio::posix::stream_descriptor sock;
  asio::steady_timer timer;
  int index;
  State state = State::Down;
  std::uint64_t epoch = 0;  // bumped whenever `pg` is torn down: handlers of an older epoch do nothing
  int failures = 0;         // consecutive failed attempts
  bool read_waiting = false;
  bool write_waiting = false;
  bool drain_posted = false;
  bool draining = false;
  bool tcp = false;     // TCP socket (TCP_CORK applies)
  bool corked = false;  // TCP_CORK set for the current tick
  int tick_sends = 0;   // queries sent during the current tick
  int read_group = 0;   // read-only queries sent since the last Sync (an open read group)
  std::vector<std::uint64_t> group_members;           // statements of the open read group
  std::chrono::steady_clock::time_point group_start;  // when its first member was sent
  // When the backend last finished a Sync's worth of work (one statement alone, or a read group): the next
  // one started no earlier, so its time is measured from here.
  std::chrono::steady_clock::time_point last_boundary;
  // Statements timed alone (their own Sync) on this connection; only those that ran fast join read groups,
  // and a group that took long sends its members back to running alone until each is timed again.
  struct Timing {
    std::chrono::steady_clock::duration alone{};
    bool suspect = false;
  };
  std::unordered_map<std::uint64_t, Timing> timing;
  bool in_tick = false;             // listed in tick_conns
  std::uint64_t progress = 0;       // results taken from libpq so far
  std::uint64_t sent_seq = 0;       // queries sent on this PGconn
  std::uint64_t done_seq = 0;       // queries answered on this PGconn
  std::uint64_t progress_seen = 0;  // value at the last watchdog check
  Ring<InFlight> inflight;
  // Time with something in flight since the last load window (LoadSpread).
  std::chrono::steady_clock::time_point busy_since;
  std::chrono::steady_clock::duration busy{};
  std::unordered_map<std::uint64_t, std::string> stmts;  // prepared on this connection: hash -> SQL
  std::unordered_map<std::uint64_t, std::pair<std::string, std::string>>
      failed_prepares;  // hash -> state, msg
};

}  // namespace

struct Pool::Impl : std::enable_shared_from_this<Pool::Impl> {
  Impl(asio::io_context& io_, PoolOptions o)
      : io(io_), opts(std::move(o)), rng(std::random_device{}()), watchdog(io_) {
    if (opts.size < 1) opts.size = 1;
    if (opts.max_pipeline_depth < 1) opts.max_pipeline_depth = 1;
    if (opts.max_queue < 0) opts.max_queue = 0;
    if (opts.connect_timeout_seconds < 1) opts.connect_timeout_seconds = 1;
    if (opts.max_prepared_per_connection < 1) opts.max_prepared_per_connection = 1;
    build_params();
    for (int i = 0; i < opts.size; ++i) conns.push_back(std::make_unique<Conn>(io, i));
  }

  ~Impl() {
    for (auto& c : conns) teardown(*c);
  }

  asio::io_context& io;
  PoolOptions opts;
  std::vector<std::unique_ptr<Conn>> conns;
  std::deque<Pending> pending;
  bool started = false;
  bool closed = false;
  std::optional<std::string> down_error;  // set while every connection failed its last attempt
  int ready_count = 0;
  int connecting_count = 0;
  int active_count = 0;
  std::minstd_rand rng;

  // Connection parameters (PQconnectStartParams), built once.
  std::vector<std::string> kw_store, val_store;
  std::vector<const char*> kws, vals;
  std::string password;        // to scrub from messages
  std::string conninfo_error;  // non-empty when the conninfo does not parse

  // Scratch buffers (single-threaded; never used across a callback).
  std::vector<const char*> scratch_ptrs;
  std::vector<const char*> dispatch_ptrs;
  std::string scratch_buf;
  std::vector<int> scratch_offs;
  std::string scratch_sql;

  // Send batching. libpq 15's PQpipelineSync writes to the socket at once, so N queries sent in one
  // event-loop tick would be N TCP segments (and N wake-ups of the backend). From the second query sent to a
  // connection in the same tick on, the socket is corked; the end of the tick uncorks it, sending the batch
  // in full segments.
  bool tick_open = false;
  std::vector<Conn*> tick_conns;

  // Belt and braces against a lost readiness edge (e.g. TLS data decrypted and buffered inside OpenSSL, which
  // the socket poll cannot see): every 100 ms, a connection with queries in flight and no result since the
  // last look reads its socket once more.
  asio::steady_timer watchdog;

  // ---- setup ----------------------------------------------------------------------------------------------

  void build_params() {
    char* err = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(opts.conninfo.c_str(), &err);
    if (!parsed) {
      if (err) PQfreemem(err);
      conninfo_error = "invalid database connection string";
      return;
    }
    std::string options;
    bool has_keepalives_idle = false;
    for (PQconninfoOption* o = parsed; o->keyword; ++o) {
      if (!o->val) continue;
      std::string_view k = o->keyword;
      if (k == "password") password = o->val;
      if (k == "options") options = o->val;
      if (k == "keepalives_idle") has_keepalives_idle = true;
    }
    PQconninfoFree(parsed);
    auto add = [&](std::string k, std::string v) {
      kw_store.push_back(std::move(k));
      val_store.push_back(std::move(v));
    };
    add("dbname", opts.conninfo);  // expanded (expand_dbname=1); the keywords below override it
    if (opts.statement_timeout_ms > 0) {
      if (!options.empty()) options += ' ';
      options += "-c statement_timeout=" + std::to_string(opts.statement_timeout_ms);
    }
    for (const auto& [name, value] : opts.settings) {
      if (!options.empty()) options += ' ';
      options += "-c " + name + "=" + value;
    }
    if (!options.empty()) add("options", options);
    if (!opts.application_name.empty()) add("fallback_application_name", opts.application_name);
    if (!has_keepalives_idle) {
      add("keepalives", "1");
      add("keepalives_idle", "30");
      add("keepalives_interval", "10");
      add("keepalives_count", "3");
    }
    for (std::size_t i = 0; i < kw_store.size(); ++i) {
      kws.push_back(kw_store[i].c_str());
      vals.push_back(val_store[i].c_str());
    }
    kws.push_back(nullptr);
    vals.push_back(nullptr);
  }

  // Removes the conninfo and the password from a libpq message.
  std::string sanitize(std::string_view raw) const {
    std::string s(raw);
    auto scrub = [&s](const std::string& secret) {
      if (secret.size() < 4) return;
      for (std::size_t p = s.find(secret); p != std::string::npos; p = s.find(secret, p))
        s.replace(p, secret.size(), "***");
    };
    scrub(opts.conninfo);
    scrub(password);
    for (char& ch : s)
      if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
    std::string out;
    out.reserve(s.size());
    for (char ch : s)
      if (!(ch == ' ' && !out.empty() && out.back() == ' ')) out.push_back(ch);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

  // ---- posting callbacks
  // --------------------------------------------------------------------------------------

  void post_error(QueryCallback cb, const char* state, std::string message) {
    asio::defer(io, [cb = std::move(cb), state, message = std::move(message)]() mutable {
      invoke(cb, QueryResult::error(state, message));
    });
  }

  void post_errors(std::vector<QueryCallback> cbs, const char* state, std::string message) {
    if (cbs.empty()) return;
    asio::defer(io, [cbs = std::move(cbs), state, message = std::move(message)]() mutable {
      for (auto& cb : cbs) invoke(cb, QueryResult::error(state, message));
    });
  }

  std::vector<QueryCallback> take_pending() {
    std::vector<QueryCallback> cbs;
    cbs.reserve(pending.size());
    for (auto& p : pending) cbs.push_back(std::move(p.cb));
    pending.clear();
    return cbs;
  }

  std::vector<QueryCallback> take_inflight(Conn& c) {
    std::vector<QueryCallback> cbs;
    while (!c.inflight.empty()) {
      InFlight e = c.inflight.pop_front();
      --active_count;
      if (!e.internal) cbs.push_back(std::move(e.cb));
    }
    return cbs;
  }

  // ---- connection lifecycle
  // -----------------------------------------------------------------------------------

  // Forgets the socket (Asio must not close libpq's fd) and the PGconn. No callbacks.
  void teardown(Conn& c) {
    c.timer.cancel();
    if (c.sock.is_open()) c.sock.release();
    if (c.pg) PQfinish(c.pg);
    c.pg = nullptr;
    ++c.epoch;
    c.read_waiting = c.write_waiting = c.drain_posted = c.draining = false;
    c.corked = false;
    c.tick_sends = 0;
    c.read_group = 0;
    c.group_members.clear();
    c.timing.clear();
    c.sent_seq = c.done_seq = 0;
    c.stmts.clear();
    c.failed_prepares.clear();
  }

  void start() {
    if (started || closed) return;
    started = true;
    for (auto& c : conns) start_connect(*c);
    arm_watchdog();
  }

  // ---- load spread: how many backends share the load (stk/pg/load_spread.hpp)
  LoadSpread spread{opts.spread_max};
  std::chrono::steady_clock::time_point window_start = std::chrono::steady_clock::now();
  std::int64_t window_cpu_ns = thread_cpu_ns();

  static std::int64_t thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }

  // Closes a load window (watchdog tick, on the worker's thread): each connection's busy share and the
  // worker thread's CPU share since the last one.
  void close_load_window() {
    const auto now = std::chrono::steady_clock::now();
    const double wall = std::chrono::duration<double>(now - window_start).count();
    const std::int64_t cpu_now = thread_cpu_ns();
    if (wall <= 0) return;
    const double cpu = double(cpu_now - window_cpu_ns) / 1e9 / wall;
    window_start = now;
    window_cpu_ns = cpu_now;
    int ready = 0;
    double min_busy = 1, sum_busy = 0;
    for (auto& c : conns) {
      if (!c->inflight.empty()) {
        c->busy += now - c->busy_since;
        c->busy_since = now;
      }
      const double busy = std::chrono::duration<double>(std::exchange(c->busy, {})).count() / wall;
      if (c->state != Conn::State::Ready) continue;
      if (ready++ < spread.width()) {
        min_busy = std::min(min_busy, busy);
        sum_busy += busy;
      }
    }
    const int before = spread.width();
    spread.observe(cpu, min_busy, sum_busy, ready);
    if (spread.width() != before)
      stk::log::debug("pg pool: load spread changed",
                      {{"backends", spread.width()}, {"worker_cpu_percent", int(cpu * 100)}});
  }

  void arm_watchdog() {
    watchdog.expires_after(std::chrono::milliseconds(100));
    watchdog.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->closed) return;
      self->close_load_window();
      for (auto& c : self->conns) {
        if (c->state != Conn::State::Ready) continue;
        if (c->inflight.empty() || c->progress != c->progress_seen) {
          c->progress_seen = c->progress;
          continue;
        }
        self->on_readable(*c);  // consumes and drains whatever libpq can get now; keeps the read wait
        if (self->closed) return;
      }
      self->arm_watchdog();
    });
  }

  void start_connect(Conn& c) {
    if (closed) return;
    if (!conninfo_error.empty()) {
      c.state = Conn::State::Connecting;
      ++connecting_count;
      attempt_failed(c, conninfo_error);
      return;
    }
    c.pg = PQconnectStartParams(kws.data(), vals.data(), 1);
    c.state = Conn::State::Connecting;
    ++connecting_count;
    if (!c.pg) {
      attempt_failed(c, "out of memory");
      return;
    }
    PQsetNoticeProcessor(
        c.pg, [](void*, const char*) {}, nullptr);  // notices are not errors
    if (PQstatus(c.pg) == CONNECTION_BAD) {
      attempt_failed(c, PQerrorMessage(c.pg));
      return;
    }
    c.timer.expires_after(std::chrono::seconds(opts.connect_timeout_seconds));
    c.timer.async_wait(
        [self = shared_from_this(), cp = &c, epoch = c.epoch](const boost::system::error_code& ec) {
          if (ec || self->closed || cp->epoch != epoch || cp->state != Conn::State::Connecting) return;
          self->attempt_failed(
              *cp, "timeout expired after " + std::to_string(self->opts.connect_timeout_seconds) + " s");
        });
    connect_wait(c, PGRES_POLLING_WRITING);
  }

  void connect_wait(Conn& c, PostgresPollingStatusType st) {
    int fd = PQsocket(c.pg);
    boost::system::error_code ec;
    if (fd >= 0) c.sock.assign(fd, ec);
    if (fd < 0 || ec) {
      attempt_failed(c, "could not watch the database socket");
      return;
    }
    auto wt = st == PGRES_POLLING_READING ? asio::posix::descriptor_base::wait_read
                                          : asio::posix::descriptor_base::wait_write;
    c.sock.async_wait(
        wt, [self = shared_from_this(), cp = &c, epoch = c.epoch](const boost::system::error_code&) {
          Conn& c = *cp;
          if (self->closed || c.epoch != epoch || c.state != Conn::State::Connecting) return;
          // libpq may close and reopen its socket inside PQconnectPoll: stop watching the old fd first.
          c.sock.release();
          PostgresPollingStatusType next = PQconnectPoll(c.pg);
          if (next == PGRES_POLLING_OK)
            self->on_connected(c);
          else if (next == PGRES_POLLING_FAILED)
            self->attempt_failed(c, PQerrorMessage(c.pg));
          else
            self->connect_wait(c, next);
        });
  }

  void on_connected(Conn& c) {
    c.timer.cancel();
    if (PQsetnonblocking(c.pg, 1) != 0 || PQenterPipelineMode(c.pg) != 1) {
      attempt_failed(c, PQerrorMessage(c.pg));
      return;
    }
    boost::system::error_code ec;
    c.sock.assign(PQsocket(c.pg), ec);
    if (ec) {
      attempt_failed(c, "could not watch the database socket");
      return;
    }
    {
      int v = 0;
      socklen_t len = sizeof v;
      c.tcp = ::getsockopt(PQsocket(c.pg), IPPROTO_TCP, TCP_CORK, &v, &len) == 0;
    }
    c.state = Conn::State::Ready;
    --connecting_count;
    ++ready_count;
    c.failures = 0;
    down_error.reset();
    start_read(c);
    dispatch_pending();
  }

  void attempt_failed(Conn& c, std::string_view raw_reason) {
    std::string reason = "could not connect to the database: " + sanitize(raw_reason);
    if (c.state == Conn::State::Connecting) --connecting_count;
    teardown(c);
    c.state = Conn::State::Down;
    ++c.failures;
    stk::log::warn("pg pool: connection attempt failed",
                   {{"connection", c.index}, {"attempt", c.failures}, {"reason", reason}});
    if (ready_count == 0 && connecting_count == 0) {
      down_error = reason;
      post_errors(take_pending(), kConnectState, reason);
    }
    schedule_reconnect(c);
  }

  void schedule_reconnect(Conn& c) {
    if (closed) return;
    long delay = 0;
    if (c.failures > 0) {
      long base = std::max(1, opts.reconnect_initial_ms);
      for (int i = 1; i < c.failures && base < opts.reconnect_max_ms; ++i) base *= 2;
      base = std::min<long>(base, std::max(1, opts.reconnect_max_ms));
      delay =
          base / 2 + static_cast<long>(rng() % static_cast<unsigned long>(base / 2 + 1));  // jitter 50..100%
    }
    c.timer.expires_after(std::chrono::milliseconds(delay));
    c.timer.async_wait(
        [self = shared_from_this(), cp = &c, epoch = c.epoch](const boost::system::error_code& ec) {
          if (ec || self->closed || cp->epoch != epoch || cp->state != Conn::State::Down) return;
          self->start_connect(*cp);
        });
  }

  // The connection broke while Ready: fail what is in flight, reconnect at once.
  void lost(Conn& c) {
    if (c.state != Conn::State::Ready) return;
    stk::log::warn("pg pool: connection lost", {{"connection", c.index},
                                                {"in_flight", c.inflight.size()},
                                                {"reason", sanitize(c.pg ? PQerrorMessage(c.pg) : "")}});
    auto cbs = take_inflight(c);
    teardown(c);
    c.state = Conn::State::Down;
    --ready_count;
    c.failures = 0;
    post_errors(std::move(cbs), kLostState, kLostMessage);
    schedule_reconnect(c);
  }

  // ---- reading
  // ----------------------------------------------------------------------------------------------

  void start_read(Conn& c) {
    if (c.read_waiting || c.state != Conn::State::Ready) return;
    c.read_waiting = true;
    c.sock.async_wait(
        asio::posix::descriptor_base::wait_read,
        [self = shared_from_this(), cp = &c, epoch = c.epoch](const boost::system::error_code& ec) {
          if (self->closed || cp->epoch != epoch) return;
          cp->read_waiting = false;
          if (ec) {
            self->lost(*cp);
            return;
          }
          self->on_readable(*cp);
        });
  }

  void on_readable(Conn& c) {
    const std::uint64_t epoch = c.epoch;
    const int fd = PQsocket(c.pg);
    for (;;) {
      const std::uint64_t sent_before_read = c.sent_seq;
      if (!PQconsumeInput(c.pg) || PQstatus(c.pg) == CONNECTION_BAD) {
        lost(c);
        return;
      }
      while (PGnotify* n = PQnotifies(c.pg)) PQfreemem(n);
      drain(c);
      if (closed || c.epoch != epoch || c.state != Conn::State::Ready) return;
      // libpq reads one buffer per PQconsumeInput and the reactor is edge-triggered: unless every query sent
      // before that read is answered (then what is left to come arrives after it, with a new edge), look at
      // the socket again before waiting.
      if (c.done_seq >= sent_before_read || !socket_readable(fd)) break;
    }
    start_read(c);
  }

  // Hands out every result libpq can give without blocking. Callbacks may re-enter the pool (query, close).
  void drain(Conn& c) {
    if (c.draining) return;
    c.draining = true;
    const std::uint64_t epoch = c.epoch;
    int stray_nulls = 0;
    while (!c.inflight.empty()) {
      if (PQstatus(c.pg) == CONNECTION_BAD) {
        c.draining = false;
        lost(c);
        return;
      }
      if (PQisBusy(c.pg)) break;
      PGresult* r = PQgetResult(c.pg);
      InFlight& e = c.inflight.front();
      if (!r) {
        if (e.phase == kPrepareEnd) {
          e.phase = kExec;
        } else if (e.phase == kExecEnd && !e.own_sync) {
          complete_front(c);  // a read group member: its answer is complete, the group's Sync comes later
          if (closed || c.epoch != epoch) return;
        } else if (e.phase == kExecEnd) {
          e.phase = kSync;
        } else if (++stray_nulls >= 2) {
          // libpq is idle although we expect results: the two queues disagree. Start over.
          stk::log::error("pg pool: pipeline out of step with libpq", {{"connection", c.index}});
          c.draining = false;
          lost(c);
          return;
        }
        continue;
      }
      stray_nulls = 0;
      ++c.progress;
      const ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        complete_front(c);
        if (closed || c.epoch != epoch) return;  // a callback closed the pool or broke this connection
        continue;
      }
      switch (e.phase) {
        case kPrepare:
          if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED) {
            prepare_failed(c, e.hash, r);
            e.res = r;  // the answer: why the statement could not be prepared
          } else {
            PQclear(r);
          }
          e.phase = kPrepareEnd;
          break;
        case kExec:
          if (e.res)
            PQclear(r);  // the Parse failed: this is PIPELINE_ABORTED
          else
            e.res = r;
          e.phase = kExecEnd;
          break;
        default:
          // Extra result (e.g. an error raised at commit, when the Sync ends the implicit transaction):
          // an error replaces a success.
          if (!e.res || (PQresultStatus(e.res) != PGRES_FATAL_ERROR && st == PGRES_FATAL_ERROR)) {
            if (e.res) PQclear(e.res);
            e.res = r;
          } else {
            PQclear(r);
          }
          break;
      }
    }
    c.draining = false;
    if (c.inflight.empty()) c.failed_prepares.clear();
    if (!pending.empty()) dispatch_pending();
  }

  // At a Sync boundary: how long the backend took for a statement sent alone (it may join read groups when
  // that is under read_group_max_statement_us), or for a whole read group (over the limit, its members run
  // alone again until each is timed).
  void note_timing(Conn& c, const InFlight& e) {
    const auto now = std::chrono::steady_clock::now();
    const auto took = now - std::max(e.sent, c.last_boundary);
    c.last_boundary = now;
    const auto limit = std::chrono::microseconds(opts.read_group_max_statement_us);
    if (!e.internal) {
      c.timing[e.hash] = Conn::Timing{took, false};
    } else if (took > limit) {
      for (std::uint64_t h : e.members)
        if (auto it = c.timing.find(h); it != c.timing.end()) it->second.suspect = true;
    }
  }

  bool groupable(const Conn& c, std::uint64_t hash) const {
    auto it = c.timing.find(hash);
    return it != c.timing.end() && !it->second.suspect &&
           it->second.alone <= std::chrono::microseconds(opts.read_group_max_statement_us);
  }

  void prepare_failed(Conn& c, std::uint64_t hash, PGresult* r) {
    c.stmts.erase(hash);  // the next query with this SQL prepares again
    const char* st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char* msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    c.failed_prepares[hash] = {st ? st : "XX000",
                               msg ? trim_message(msg) : "could not prepare the statement"};
  }

  void complete_front(Conn& c) {
    InFlight e = c.inflight.pop_front();
    --active_count;
    ++c.done_seq;
    if (e.own_sync) note_timing(c, e);
    if (c.inflight.empty()) c.busy += std::chrono::steady_clock::now() - c.busy_since;
    if (e.internal) return;
    if (e.retry && e.res && PQresultStatus(e.res) == PGRES_PIPELINE_ABORTED) {
      // A read group member skipped because an earlier member failed: it never ran, so it is sent again,
      // with a Sync of its own, before anything still waiting for a connection.
      e.retry->cb = std::move(e.cb);
      e.retry->read_only = false;
      pending.push_front(std::move(*e.retry));
      return;
    }
    QueryResult q = QueryResult::from_pg(std::exchange(e.res, nullptr));
    if (!q.ok && q.sqlstate == "0A000" && q.message.find("cached plan") != std::string::npos) {
      // The schema changed under a prepared statement: drop it, the next use prepares it again.
      auto it = c.stmts.find(e.hash);
      if (it != c.stmts.end()) {
        c.stmts.erase(it);
        char name[24];
        statement_name(e.hash, name);
        send_internal(c, (std::string("DEALLOCATE ") + name).c_str());
      }
    }
    if (!q.ok && q.sqlstate == "26000") {
      // Queries sent right behind a Parse that failed find no statement: report the Parse's error.
      auto it = c.failed_prepares.find(e.hash);
      if (it != c.failed_prepares.end()) q = QueryResult::error(it->second.first, it->second.second);
    }
    invoke(e.cb, std::move(q));
  }

  void post_drain(Conn& c) {
    if (c.drain_posted) return;
    c.drain_posted = true;
    asio::defer(io, [self = shared_from_this(), cp = &c, epoch = c.epoch] {
      if (self->closed || cp->epoch != epoch) return;
      cp->drain_posted = false;
      if (cp->state == Conn::State::Ready) self->drain(*cp);
    });
  }

  // ---- writing
  // ----------------------------------------------------------------------------------------------

  void start_write(Conn& c) {
    if (c.write_waiting || c.state != Conn::State::Ready) return;
    c.write_waiting = true;
    c.sock.async_wait(
        asio::posix::descriptor_base::wait_write,
        [self = shared_from_this(), cp = &c, epoch = c.epoch](const boost::system::error_code& ec) {
          if (self->closed || cp->epoch != epoch) return;
          cp->write_waiting = false;
          if (ec) {
            self->lost(*cp);
            return;
          }
          self->after_send(*cp);
        });
  }

  // After data was queued in libpq: push it out, wait for writability if the socket is full, and pick up any
  // input libpq read meanwhile (it reads when a send would block).
  // `writes`: the query goes out at once (its own Sync); a read group member waits for the end of the tick.
  void note_send(Conn& c, bool writes) {
    if (!tick_open) {
      tick_open = true;
      asio::defer(io, [self = shared_from_this()] { self->end_tick(); });
    }
    if (c.tick_sends == 0 && !c.in_tick) {
      c.in_tick = true;
      tick_conns.push_back(&c);
    }
    if (!writes) return;
    if (c.tick_sends++ == 0) {
      // the first write of the tick goes out uncorked
    } else if (!c.corked && c.tcp) {
      int one = 1;
      ::setsockopt(PQsocket(c.pg), IPPROTO_TCP, TCP_CORK, &one, sizeof one);
      c.corked = true;
    }
  }

  void end_tick() {
    tick_open = false;
    for (std::size_t i = 0; i < tick_conns.size(); ++i) close_read_group(*tick_conns[i]);
    for (Conn* c : tick_conns) {
      c->in_tick = false;
      if (c->corked && c->pg && c->state == Conn::State::Ready) {
        int zero = 0;
        ::setsockopt(PQsocket(c->pg), IPPROTO_TCP, TCP_CORK, &zero, sizeof zero);
      }
      c->corked = false;
      c->tick_sends = 0;
    }
    tick_conns.clear();
  }

  void after_send(Conn& c) {
    const int f = PQflush(c.pg);
    if (f < 0 || PQstatus(c.pg) == CONNECTION_BAD) {
      lost(c);
      return;
    }
    if (f == 1) start_write(c);
    if (!c.draining && !c.inflight.empty() && !PQisBusy(c.pg)) post_drain(c);
  }

  // The least outstanding of the first spread.width() ready connections that keep up — idle, or whose oldest
  // query in flight is younger than spill_after_us. Load thus concentrates on as few backends as keep up
  // (LoadSpread says how many): on a small machine every extra busy backend is another process competing for
  // the cores, and requests spread thin over many pipelines wait on more context switches (measured: p99
  // halved with the load on one backend per worker instead of four). A slow statement at a connection's head
  // makes the next requests spill to the next connection. When none keeps up: the least outstanding.
  Conn* pick() {
    Conn* best = nullptr;
    Conn* least = nullptr;
    int taken = 0;
    std::chrono::steady_clock::time_point now{};
    for (auto& c : conns) {
      if (c->state != Conn::State::Ready) continue;
      const std::size_t n = c->inflight.size();
      if (n >= static_cast<std::size_t>(opts.max_pipeline_depth)) continue;
      if (n == 0) return c.get();
      if (opts.spill_after_us > 0) {
        if (now == std::chrono::steady_clock::time_point{}) now = std::chrono::steady_clock::now();
        if (now - c->inflight.front().sent >= std::chrono::microseconds(opts.spill_after_us)) {
          if (!least || n < least->inflight.size()) least = c.get();
          continue;
        }
      }
      if (!best || n < best->inflight.size()) best = c.get();
      if (opts.spill_after_us > 0 && ++taken >= spread.width()) break;  // 0: least outstanding of all
    }
    return best ? best : least;
  }

  void send_internal(Conn& c, const char* sql) {
    close_read_group(c);
    if (c.state != Conn::State::Ready) return;
    InFlight e;
    e.internal = true;
    e.phase = kExec;
    e.sent = std::chrono::steady_clock::now();
    const bool ok =
        PQsendQueryParams(c.pg, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) && PQpipelineSync(c.pg);
    push_inflight(c, std::move(e));
    if (!ok) lost(c);
  }

  // Accounts for an entry whose messages were just queued in libpq.
  void push_inflight(Conn& c, InFlight&& e) {
    if (c.inflight.empty()) c.busy_since = e.sent;
    c.inflight.push_back(std::move(e));
    ++active_count;
    ++c.sent_seq;
  }

  // Ends an open read group with its Sync. The Sync is answered as a pool-internal entry, so the group's
  // members complete on their own results.
  void close_read_group(Conn& c) {
    if (c.read_group == 0 || c.state != Conn::State::Ready) return;
    c.read_group = 0;
    InFlight e;
    e.internal = true;
    e.phase = kSync;
    e.sent = c.group_start;
    e.members = std::move(c.group_members);
    c.group_members.clear();
    const bool ok = PQpipelineSync(c.pg);
    push_inflight(c, std::move(e));
    if (!ok) {
      lost(c);
      return;
    }
    after_send(c);
  }

  void send(Conn& c, std::string_view sql, std::uint64_t hash, const char* const* values, int n,
            QueryCallback&& cb, bool read_only = false) {
    char name[24];
    statement_name(hash, name);
    bool prepare = false;
    bool named = true;
    auto it = c.stmts.find(hash);
    if (it == c.stmts.end()) {
      if (c.stmts.size() >= static_cast<std::size_t>(opts.max_prepared_per_connection)) {
        send_internal(c, "DEALLOCATE ALL");
        if (c.state != Conn::State::Ready) {
          post_error(std::move(cb), kLostState, kLostMessage);
          return;
        }
        c.stmts.clear();
        c.timing.clear();
      }
      it = c.stmts.emplace(hash, std::string(sql)).first;
      prepare = true;
    } else if (it->second != sql) {
      named = false;  // 64-bit hash collision: run this one unprepared
    }
    // Read-only queries of statements already prepared here join the connection's read group: one Sync (one
    // implicit transaction, one flush and one ReadyForQuery of the backend) for up to max_read_group of them.
    // A Parse never joins (a neighbour's error would abort it and leave the statement half-known).
    const bool grouped = read_only && named && !prepare && opts.max_read_group > 1 && groupable(c, hash);
    if (!grouped) close_read_group(c);
    if (c.state != Conn::State::Ready) {
      post_error(std::move(cb), kLostState, kLostMessage);
      return;
    }
    note_send(c, !grouped);
    int ok = 1;
    if (prepare) ok = PQsendPrepare(c.pg, name, it->second.c_str(), 0, nullptr);
    if (ok) {
      if (named) {
        ok = PQsendQueryPrepared(c.pg, name, n, values, nullptr, nullptr, 0);
      } else {
        scratch_sql.assign(sql);
        ok = PQsendQueryParams(c.pg, scratch_sql.c_str(), n, nullptr, values, nullptr, nullptr, 0);
      }
    }
    if (ok && !grouped) ok = PQpipelineSync(c.pg);
    InFlight e;
    e.cb = std::move(cb);
    e.hash = hash;
    e.phase = prepare ? kPrepare : kExec;
    e.sent = std::chrono::steady_clock::now();
    if (grouped) {
      if (c.read_group == 0) c.group_start = e.sent;
      c.group_members.push_back(hash);
      e.own_sync = false;
      e.retry = std::make_unique<Pending>(Pending::copy_of(sql, hash, values, n));
    }
    push_inflight(c, std::move(e));
    if (!ok) {
      lost(c);
      return;
    }
    if (!grouped) {
      after_send(c);
    } else if (++c.read_group >= opts.max_read_group) {
      close_read_group(c);  // sent now; otherwise the end of the tick closes it
    }
  }

  void dispatch_pending() {
    while (!pending.empty() && !closed) {
      Conn* c = pick();
      if (!c) return;
      Pending p = std::move(pending.front());
      pending.pop_front();
      dispatch_ptrs.resize(p.offs.size());
      for (std::size_t i = 0; i < p.offs.size(); ++i)
        dispatch_ptrs[i] = p.offs[i] < 0 ? nullptr : p.buf.data() + p.offs[i];
      send(*c, p.sql, p.hash, dispatch_ptrs.data(), static_cast<int>(p.offs.size()), std::move(p.cb),
           p.read_only);
    }
  }

  // ---- entry point
  // ------------------------------------------------------------------------------------------

  void submit(std::string_view sql, std::uint64_t hash, const char* const* values, int n, QueryCallback&& cb,
              bool read_only) {
    if (closed) {
      post_error(std::move(cb), kClosedState, kClosedMessage);
      return;
    }
    if (n > 65535) {
      post_error(std::move(cb), "54023", "too many query parameters (at most 65535)");
      return;
    }
    if (pending.empty()) {
      if (Conn* c = pick()) {
        send(*c, sql, hash, values, n, std::move(cb), read_only);
        return;
      }
    }
    if (down_error) {
      post_error(std::move(cb), kConnectState, *down_error);
      return;
    }
    if (pending.size() >= static_cast<std::size_t>(opts.max_queue)) {
      post_error(std::move(cb), kQueueFullState, kQueueFullMessage);
      return;
    }
    Pending p = Pending::copy_of(sql, hash, values, n);
    p.cb = std::move(cb);
    p.read_only = read_only;
    pending.push_back(std::move(p));
  }

  void close() {
    if (closed) return;
    closed = true;
    watchdog.cancel();
    std::vector<QueryCallback> cbs;
    for (auto& c : conns) {
      auto part = take_inflight(*c);
      for (auto& cb : part) cbs.push_back(std::move(cb));
      teardown(*c);
      c->state = Conn::State::Closed;
    }
    for (auto& cb : take_pending()) cbs.push_back(std::move(cb));
    ready_count = connecting_count = active_count = 0;
    post_errors(std::move(cbs), kClosedState, kClosedMessage);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Pool

Pool::Pool(asio::io_context& io, PoolOptions opts) : impl_(std::make_shared<Impl>(io, std::move(opts))) {}

Pool::~Pool() {
  if (impl_) impl_->close();
}

void Pool::start() {
  impl_->start();
}

std::uint64_t Pool::sql_hash(std::string_view sql) noexcept {
  return std::hash<std::string_view>{}(sql);
}

void Pool::query(std::string_view sql, std::vector<std::optional<std::string>> params, QueryCallback cb,
                 Access access) {
  auto& ptrs = impl_->scratch_ptrs;
  ptrs.resize(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) ptrs[i] = params[i] ? params[i]->c_str() : nullptr;
  impl_->submit(sql, sql_hash(sql), ptrs.data(), static_cast<int>(params.size()), std::move(cb),
                access == Access::ReadOnly);
}

void Pool::query(std::string_view sql, std::span<const Param> params, QueryCallback cb, Access access) {
  query(sql, sql_hash(sql), params, std::move(cb), access);
}

void Pool::query(std::string_view sql, std::uint64_t hash, std::span<const Param> params, QueryCallback cb,
                 Access access) {
  // Text parameters must be NUL-terminated for libpq: copy them into one reused buffer.
  auto& buf = impl_->scratch_buf;
  auto& offs = impl_->scratch_offs;
  auto& ptrs = impl_->scratch_ptrs;
  buf.clear();
  offs.resize(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!params[i]) {
      offs[i] = -1;
      continue;
    }
    offs[i] = static_cast<int>(buf.size());
    buf.append(*params[i]);
    buf.push_back('\0');
  }
  ptrs.resize(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) ptrs[i] = offs[i] < 0 ? nullptr : buf.data() + offs[i];
  impl_->submit(sql, hash, ptrs.data(), static_cast<int>(params.size()), std::move(cb),
                access == Access::ReadOnly);
}

int Pool::active() const {
  return impl_->active_count;
}
int Pool::queued() const {
  return static_cast<int>(impl_->pending.size());
}
int Pool::connected() const {
  return impl_->ready_count;
}
int Pool::size() const {
  return static_cast<int>(impl_->conns.size());
}

int Pool::idle_connections() const {
  int n = 0;
  for (auto& c : impl_->conns)
    if (c->state == Conn::State::Ready && c->inflight.empty()) ++n;
  return n;
}

void Pool::close() {
  impl_->close();
}

}  // namespace stk::pg
