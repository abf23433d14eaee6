// stk::pg::Pool against a real PostgreSQL (STK_TEST_PG_URL, or scripts/test-pg start). Each run creates its
// own database and drops it at the end.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>  // before Boost.Asio

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "stk/pg/pool.hpp"

using stk::pg::Access;
using stk::pg::Param;
using stk::pg::Pool;
using stk::pg::PoolOptions;
using stk::pg::QueryResult;
using Params = std::vector<std::optional<std::string>>;
using Clock = std::chrono::steady_clock;

namespace {

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string base_url() {
  if (const char* u = std::getenv("STK_TEST_PG_URL"); u && *u) return u;
  std::string cmd = std::string(STK_SOURCE_DIR) + "/scripts/test-pg start";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return {};
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  ::pclose(f);
  return trim(out);
}

// postgres://user:pw@host:port/db?x -> same with another database
std::string with_db(const std::string& url, const std::string& db) {
  auto q = url.find('?');
  std::string head = url.substr(0, q), tail = q == std::string::npos ? "" : url.substr(q);
  auto scheme = head.find("://");
  auto slash = head.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash != std::string::npos) head.resize(slash);
  return head + "/" + db + tail;
}

std::string with_password(const std::string& url, const std::string& pw) {
  auto scheme = url.find("://");
  auto at = url.find('@');
  auto colon = url.find(':', scheme + 3);
  return url.substr(0, colon + 1) + pw + url.substr(at);
}

void exec_sync(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql.c_str());
  EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
      << sql << ": " << PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
}

// The first value of a one-off query.
std::string value_sync(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string out;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

// Runs the io_context until `done` or the deadline; true when done.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    io.restart();
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

// True when every query of a batch has its answer.
bool all_answered(const std::vector<std::optional<QueryResult>>& results) {
  for (const auto& r : results)
    if (!r) return false;
  return true;
}

// A TCP listener that accepts nothing and never answers: connection attempts hang until the timeout.
struct BlackHole {
  int fd = -1;
  int port = 0;
  BlackHole() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~BlackHole() { ::close(fd); }
};

// A TCP forwarder to PostgreSQL on a fixed local port that can be started later: the database "comes up".
struct Forwarder {
  int listen_fd = -1;
  int port = 0;
  int target_port = 0;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;

  explicit Forwarder(int target) : target_port(target) {
    BlackHole probe;  // a free port, closed again when probe goes
    port = probe.port;
  }
  void start() {
    listen_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ADD_FAILURE() << "bind";
    ::listen(listen_fd, 16);
    threads.emplace_back([this] { accept_loop(); });
  }
  void accept_loop() {
    while (!stop) {
      pollfd p{listen_fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(listen_fd, nullptr, nullptr);
      if (c < 0) continue;
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(target_port));
      if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(c);
        ::close(s);
        continue;
      }
      threads.emplace_back([this, c, s] { pump(c, s); });
    }
  }
  void pump(int a, int b) {
    char buf[65536];
    pollfd ps[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    while (!stop) {
      if (::poll(ps, 2, 50) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (!(ps[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(ps[i].fd, buf, sizeof buf);
        if (n <= 0 || ::write(ps[1 - i].fd, buf, static_cast<size_t>(n)) != n) {
          ::close(a);
          ::close(b);
          return;
        }
      }
    }
    ::close(a);
    ::close(b);
  }
  ~Forwarder() {
    stop = true;
    for (auto& t : threads) t.join();
    if (listen_fd >= 0) ::close(listen_fd);
  }
};

int url_port(const std::string& url) {
  auto at = url.find('@');
  auto colon = url.find(':', at);
  return std::atoi(url.c_str() + colon + 1);
}

class PoolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = base_url();
    ASSERT_FALSE(base_.empty()) << "no PostgreSQL: set STK_TEST_PG_URL or install postgresql-15";
    std::mt19937_64 rng(std::random_device{}());
    db_ = "stk_pool_test_" + std::to_string(rng() % 1000000000ULL);
    exec_sync(base_, "CREATE DATABASE " + db_);
    url_ = with_db(base_, db_);
  }
  static void TearDownTestSuite() {
    if (!db_.empty()) exec_sync(base_, "DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
  }

  PoolOptions opts(int size = 4) {
    PoolOptions o;
    o.conninfo = url_;
    o.size = size;
    return o;
  }

  // Issues every query of `batch` (SQL, one parameter) in one turn and waits for all answers; each answer
  // with the time its callback ran.
  struct Answer {
    std::optional<QueryResult> result;
    Clock::time_point at;
  };
  std::vector<Answer> run_batch(Pool& pool,
                                const std::vector<std::pair<const std::string*, std::string>>& batch,
                                Access access) {
    std::vector<Answer> out(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i)
      pool.query(
          *batch[i].first, Params{batch[i].second},
          [&out, i](QueryResult&& r) {
            out[i].at = Clock::now();
            out[i].result = std::move(r);
          },
          access);
    EXPECT_TRUE(run_until(io_, [&] {
      for (auto& a : out)
        if (!a.result) return false;
      return true;
    }));
    return out;
  }

  static inline std::string base_, db_, url_;
  boost::asio::io_context io_;
};

TEST_F(PoolTest, SelectWithParamsAndNulls) {
  Pool pool(io_, opts(2));
  pool.start();
  std::optional<QueryResult> got;
  pool.query("SELECT $1::int + 1 AS a, $2::text AS b, $3::text IS NULL AS c, 'x' || $4 AS d",
             Params{"41", std::nullopt, std::nullopt, "yz"}, [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok) << got->sqlstate << " " << got->message;
  EXPECT_EQ(got->rows, 1);
  EXPECT_EQ(got->cols, 4);
  EXPECT_EQ(got->value(0, 0), "42");
  EXPECT_TRUE(got->is_null(0, 1));
  EXPECT_FALSE(got->is_null(0, 0));
  EXPECT_EQ(got->value(0, 2), "t");
  EXPECT_EQ(got->value(0, 3), "xyz");
  EXPECT_EQ(got->column_name(1), "b");
  EXPECT_EQ(got->column_index("d"), 3);
  EXPECT_EQ((got->column_names()), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(got->affected, 1);

  // The string_view overload, with values that are not NUL-terminated.
  std::string backing = "123456";
  std::vector<Param> ps{std::string_view(backing).substr(0, 3), std::nullopt};
  got.reset();
  pool.query("SELECT $1::int * 2, $2::int", ps, [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok) << got->message;
  EXPECT_EQ(got->value(0, 0), "246");
  EXPECT_TRUE(got->is_null(0, 1));
}

TEST_F(PoolTest, TenThousandAtOnceAnsweredInPerConnectionOrder) {
  Pool pool(io_, opts(4));
  pool.start();
  ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 4; }));
  constexpr int kN = 10000;
  int answered = 0, bad = 0;
  std::map<std::string, std::vector<int>> by_pid;
  for (int i = 0; i < kN; ++i) {
    pool.query("SELECT $1::int, pg_backend_pid()", Params{std::to_string(i)}, [&, i](QueryResult&& r) {
      ++answered;
      if (!r.ok || r.value(0, 0) != std::to_string(i)) {
        ++bad;
        return;
      }
      by_pid[std::string(r.value(0, 1))].push_back(i);
    });
  }
  EXPECT_GT(pool.active(), 0);
  ASSERT_TRUE(run_until(io_, [&] { return answered == kN; }));
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(by_pid.size(), 4u);
  for (auto& [pid, seq] : by_pid) {
    EXPECT_TRUE(std::is_sorted(seq.begin(), seq.end())) << "connection " << pid << " answered out of order";
    EXPECT_GT(seq.size(), 1000u);
  }
  EXPECT_EQ(pool.active(), 0);
  EXPECT_EQ(pool.idle_connections(), 4);
}

TEST_F(PoolTest, PipelinesOverTheUnixSocket) {
  // A co-located PostgreSQL is reached over its Unix-domain socket (no TCP_CORK there: every Sync is written
  // at once). postgres://user:pw@/db?host=<socket dir>&port=<port>
  std::string dir = value_sync(url_, "SHOW unix_socket_directories");
  dir = dir.substr(0, dir.find(','));
  const std::string port = value_sync(url_, "SHOW port");
  ASSERT_FALSE(dir.empty());
  const auto at = url_.find('@'), slash = url_.find('/', at);
  auto o = opts(2);
  o.conninfo = url_.substr(0, at + 1) + url_.substr(slash) + "?host=" + dir + "&port=" + port;
  Pool pool(io_, o);
  pool.start();
  ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 2; })) << o.conninfo;
  constexpr int kN = 2000;
  int answered = 0, bad = 0, unix_socket = 0;
  for (int i = 0; i < kN; ++i)
    pool.query("SELECT $1::int, inet_client_addr() IS NULL", Params{std::to_string(i)},
               [&, i](QueryResult&& r) {
                 ++answered;
                 if (!r.ok || r.value(0, 0) != std::to_string(i)) ++bad;
                 if (r.ok && r.value(0, 1) == "t") ++unix_socket;
               });
  ASSERT_TRUE(run_until(io_, [&] { return answered == kN; }));
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(unix_socket, kN) << "some queries went over TCP";
}

TEST_F(PoolTest, ErrorDoesNotAffectNeighboursInThePipeline) {
  Pool pool(io_, opts(1));
  pool.start();
  ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 1; }));
  std::vector<std::optional<QueryResult>> res(8);
  auto keep = [&](int i) { return [&res, i](QueryResult&& r) { res[i] = std::move(r); }; };
  pool.query("CREATE TABLE iso (id int PRIMARY KEY, v text)", Params{}, keep(0));
  pool.query("SELECT 1 / $1::int", Params{"0"}, keep(1));
  pool.query("INSERT INTO iso VALUES ($1, $2)", Params{"1", "a"}, keep(2));
  pool.query("INSERT INTO iso VALUES ($1, $2)", Params{"1", "b"}, keep(3));
  pool.query("INSERT INTO iso VALUES ($1, $2)", Params{"2", "c"}, keep(4));
  pool.query("SELECT 1 / $1::int", Params{"1"}, keep(5));
  pool.query("SELECT count(*) FROM iso", Params{}, keep(6));
  pool.query("UPDATE iso SET v = v || 'x'", Params{}, keep(7));
  EXPECT_EQ(pool.active(), 8);  // all pipelined on the one connection
  ASSERT_TRUE(run_until(io_, [&] { return res[7].has_value(); }));
  for (int i : {0, 2, 4, 5, 6, 7}) EXPECT_TRUE(res[i]->ok) << i << ": " << res[i]->message;
  EXPECT_FALSE(res[1]->ok);
  EXPECT_EQ(res[1]->sqlstate, "22012");
  EXPECT_EQ(res[1]->message, "division by zero");
  EXPECT_FALSE(res[3]->ok);
  EXPECT_EQ(res[3]->sqlstate, "23505");
  EXPECT_EQ(res[3]->constraint, "iso_pkey");
  EXPECT_NE(res[3]->detail.find("already exists"), std::string::npos);
  EXPECT_EQ(res[5]->value(0, 0), "1");
  EXPECT_EQ(res[6]->value(0, 0), "2");
  EXPECT_EQ(res[7]->affected, 2);
  EXPECT_EQ(res[2]->affected, 1);
}

TEST_F(PoolTest, CommitTimeErrorReachesItsQuery) {
  exec_sync(url_,
            "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int, parent_id int REFERENCES "
            "parent DEFERRABLE INITIALLY DEFERRED)");
  Pool pool(io_, opts(1));
  pool.start();
  std::vector<std::optional<QueryResult>> res(3);
  pool.query("SELECT 1", Params{}, [&](QueryResult&& r) { res[0] = std::move(r); });
  pool.query("INSERT INTO child VALUES (1, $1::int)", Params{"99"},
             [&](QueryResult&& r) { res[1] = std::move(r); });
  pool.query("SELECT 3", Params{}, [&](QueryResult&& r) { res[2] = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return res[2].has_value(); }));
  EXPECT_TRUE(res[0]->ok);
  EXPECT_FALSE(res[1]->ok);
  EXPECT_EQ(res[1]->sqlstate, "23503");
  EXPECT_TRUE(res[2]->ok);
  EXPECT_EQ(res[2]->value(0, 0), "3");
}

TEST_F(PoolTest, PreparedOncePerConnectionAndReused) {
  Pool pool(io_, opts(1));
  pool.start();
  const std::string sql = "SELECT $1::int * 3 AS reuse_probe";
  int answered = 0;
  for (int i = 0; i < 50; ++i)
    pool.query(sql, Params{std::to_string(i)}, [&](QueryResult&& r) { answered += r.ok ? 1 : 0; });
  ASSERT_TRUE(run_until(io_, [&] { return answered == 50; }));
  for (int i = 0; i < 50; ++i)
    pool.query(sql, Params{std::to_string(i)}, [&](QueryResult&& r) { answered += r.ok ? 1 : 0; });
  ASSERT_TRUE(run_until(io_, [&] { return answered == 100; }));
  std::optional<QueryResult> got;
  pool.query(
      "SELECT count(*), sum(generic_plans + custom_plans), min(name) FROM pg_prepared_statements WHERE "
      "statement = "
      "$1",
      Params{sql}, [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok) << got->message;
  EXPECT_EQ(got->value(0, 0), "1");    // prepared once
  EXPECT_EQ(got->value(0, 1), "100");  // executed 100 times
  EXPECT_EQ(got->value(0, 2).substr(0, 4), "stk_");
}

TEST_F(PoolTest, FailedPrepareIsReportedToEveryQueryBehindIt) {
  Pool pool(io_, opts(1));
  pool.start();
  ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 1; }));
  std::vector<std::optional<QueryResult>> res(4);
  for (int i = 0; i < 3; ++i)
    pool.query("SELECT x FROM no_such_table", Params{}, [&, i](QueryResult&& r) { res[i] = std::move(r); });
  pool.query("SELECT 4", Params{}, [&](QueryResult&& r) { res[3] = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return res[3].has_value(); }));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(res[i]->sqlstate, "42P01") << i << ": " << res[i]->message;
    EXPECT_NE(res[i]->message.find("no_such_table"), std::string::npos);
  }
  EXPECT_TRUE(res[3]->ok);
  // Once the table exists the same SQL is prepared again and works.
  exec_sync(url_, "CREATE TABLE no_such_table (x int); INSERT INTO no_such_table VALUES (7)");
  std::optional<QueryResult> got;
  pool.query("SELECT x FROM no_such_table", Params{}, [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok) << got->message;
  EXPECT_EQ(got->value(0, 0), "7");
}

TEST_F(PoolTest, SchemaChangeUnderAPreparedStatementHealsAfterOneError) {
  exec_sync(url_, "CREATE TABLE drift (a int); INSERT INTO drift VALUES (1)");
  Pool pool(io_, opts(1));
  pool.start();
  std::optional<QueryResult> got;
  auto run = [&] {
    got.reset();
    pool.query("SELECT * FROM drift", Params{}, [&](QueryResult&& r) { got = std::move(r); });
    EXPECT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  };
  run();
  ASSERT_TRUE(got->ok);
  EXPECT_EQ(got->cols, 1);
  exec_sync(url_, "ALTER TABLE drift ADD COLUMN b int DEFAULT 2");
  run();
  EXPECT_FALSE(got->ok);
  EXPECT_EQ(got->sqlstate, "0A000") << got->message;  // cached plan must not change result type
  run();
  ASSERT_TRUE(got->ok) << got->message;
  EXPECT_EQ(got->cols, 2);
  EXPECT_EQ(got->value(0, 1), "2");
}

TEST_F(PoolTest, DestroyedWithQueriesOutstanding) {
  std::vector<std::optional<QueryResult>> res(20);
  {
    Pool pool(io_, opts(2));
    pool.start();
    ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 2; }));
    for (int i = 0; i < 20; ++i)
      pool.query("SELECT pg_sleep(0.01)", Params{}, [&, i](QueryResult&& r) { res[i] = std::move(r); });
  }
  ASSERT_TRUE(run_until(io_, [&] { return all_answered(res); }));
  for (auto& r : res) EXPECT_EQ(r->sqlstate, "08003");
}

TEST_F(PoolTest, LoadConcentratesOnOneBackendAndSpillsPastASlowStatement) {
  Pool pool(io_, opts(3));
  pool.start();
  ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 3; }));
  // A burst that one backend keeps up with goes to one backend.
  std::set<std::string> pids;
  int done = 0;
  for (int i = 0; i < 20; ++i)
    pool.query("SELECT pg_backend_pid()", Params{}, [&](QueryResult&& r) {
      ++done;
      if (r.ok) pids.insert(std::string(r.value(0, 0)));
    });
  ASSERT_TRUE(run_until(io_, [&] { return done == 20; }));
  EXPECT_EQ(pids.size(), 1u);
  // A slow statement at the head of that connection: once it is older than spill_after_us, new queries go to
  // another connection and finish long before it.
  std::optional<QueryResult> slow;
  pool.query("SELECT pg_sleep(1.5)", Params{}, [&](QueryResult&& r) { slow = std::move(r); });
  run_until(
      io_, [] { return false; }, std::chrono::milliseconds(PoolOptions{}.spill_after_us / 1000 * 3));
  const auto t0 = Clock::now();
  std::vector<std::optional<QueryResult>> fast(10);
  for (int i = 0; i < 10; ++i)
    pool.query("SELECT pg_backend_pid()", Params{}, [&, i](QueryResult&& r) { fast[i] = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return all_answered(fast); }));
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1000));
  EXPECT_FALSE(slow.has_value());
  for (auto& r : fast) {
    ASSERT_TRUE(r->ok) << r->message;
    EXPECT_EQ(pids.count(std::string(r->value(0, 0))), 0u) << "a fast query waited behind the slow one";
  }
  ASSERT_TRUE(run_until(
      io_, [&] { return slow.has_value(); }, std::chrono::seconds(5)));
  EXPECT_TRUE(slow->ok);
}

// Keeps `depth` short statements in flight for `span`; returns the backends that answered in its last third.
std::set<std::string> backends_under_steady_load(boost::asio::io_context& io, Pool& pool, int depth,
                                                 std::chrono::milliseconds span) {
  std::set<std::string> late;
  const auto t0 = Clock::now();
  int outstanding = 0;
  std::function<void()> next = [&] {
    ++outstanding;
    pool.query("SELECT pg_backend_pid(), pg_sleep(0.002)", Params{}, [&](QueryResult&& r) {
      --outstanding;
      const auto age = Clock::now() - t0;
      if (r.ok && age > span * 2 / 3) late.insert(std::string(r.value(0, 0)));
      if (age < span) next();
    });
  };
  for (int i = 0; i < depth; ++i) next();
  run_until(
      io, [&] { return outstanding == 0; }, span + std::chrono::seconds(5));
  return late;
}

TEST_F(PoolTest, LoadSpreadsToASecondBackendWhileTheFirstIsTheLimit) {
  // Statements that keep a backend busy while this thread waits: after a few load windows (100 ms each) the
  // pool spreads them over spread_max backends — and not over more, nor with spread_max at its default of 1.
  auto o = opts(3);
  o.spread_max = 2;
  Pool spread(io_, o);
  spread.start();
  Pool single(io_, opts(3));
  single.start();
  ASSERT_TRUE(run_until(io_, [&] { return spread.connected() == 3 && single.connected() == 3; }));
  EXPECT_EQ(backends_under_steady_load(io_, spread, 8, std::chrono::milliseconds(1500)).size(), 2u);
  EXPECT_EQ(backends_under_steady_load(io_, single, 8, std::chrono::milliseconds(1500)).size(), 1u);
}

TEST_F(PoolTest, PreparedCacheIsBounded) {
  auto o = opts(1);
  o.max_prepared_per_connection = 3;
  Pool pool(io_, std::move(o));
  pool.start();
  int ok = 0, done = 0;
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 10; ++i)
      pool.query("SELECT " + std::to_string(i) + " + $1::int", Params{"1"}, [&, i](QueryResult&& r) {
        ++done;
        ok += (r.ok && r.value(0, 0) == std::to_string(i + 1)) ? 1 : 0;
      });
  ASSERT_TRUE(run_until(io_, [&] { return done == 30; }));
  EXPECT_EQ(ok, 30);
  std::optional<QueryResult> got;
  pool.query("SELECT count(*) FROM pg_prepared_statements", Params{},
             [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  EXPECT_LE(std::stoi(std::string(got->value(0, 0))), 3);
}

TEST_F(PoolTest, StatementTimeout) {
  auto o = opts(1);
  o.statement_timeout_ms = 200;
  Pool pool(io_, std::move(o));
  pool.start();
  std::vector<std::optional<QueryResult>> res(3);
  pool.query("SHOW statement_timeout", Params{}, [&](QueryResult&& r) { res[0] = std::move(r); });
  pool.query("SELECT pg_sleep(3)", Params{}, [&](QueryResult&& r) { res[1] = std::move(r); });
  pool.query("SELECT 'after'", Params{}, [&](QueryResult&& r) { res[2] = std::move(r); });
  auto t0 = Clock::now();
  ASSERT_TRUE(run_until(io_, [&] { return res[2].has_value(); }));
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(res[0]->value(0, 0), "200ms");
  EXPECT_FALSE(res[1]->ok);
  EXPECT_EQ(res[1]->sqlstate, "57014");
  EXPECT_TRUE(res[2]->ok);
}

// Read-only queries sent in one turn share a Sync (one implicit transaction: the same transaction_timestamp),
// and a failing member does not touch the others: each gets its own answer, in full.
TEST_F(PoolTest, ReadGroupsShareASyncAndKeepErrorsToThemselves) {
  auto o = opts(1);
  o.max_read_group = 8;
  o.read_group_max_statement_us = 10'000'000;  // a busy machine must not make these statements "slow"
  Pool pool(io_, std::move(o));
  pool.start();
  const std::string ts = "SELECT transaction_timestamp()::text, $1::int";
  const std::string div = "SELECT 10 / $1::int";
  auto run = [&](const std::vector<std::pair<const std::string*, std::string>>& batch, Access access) {
    std::vector<std::optional<QueryResult>> res;
    for (auto& a : run_batch(pool, batch, access)) res.push_back(std::move(a.result));
    return res;
  };
  run({{&ts, "0"}, {&div, "1"}}, Access::ReadOnly);  // first uses prepare, alone

  auto same = run({{&ts, "1"}, {&ts, "2"}, {&ts, "3"}, {&ts, "4"}}, Access::ReadOnly);
  for (std::size_t i = 0; i < same.size(); ++i) {
    ASSERT_TRUE(same[i]->ok) << same[i]->message;
    EXPECT_EQ(same[i]->value(0, 1), std::to_string(i + 1));
    EXPECT_EQ(same[i]->value(0, 0), same[0]->value(0, 0)) << "one transaction for the group";
  }
  auto apart = run({{&ts, "1"}, {&ts, "2"}}, Access::Write);
  ASSERT_TRUE(apart[0]->ok && apart[1]->ok);
  EXPECT_NE(apart[0]->value(0, 0), apart[1]->value(0, 0)) << "writes: a Sync each";

  // The third fails (division by zero); PostgreSQL skips the rest of its group, which the pool sends again.
  auto mixed =
      run({{&div, "5"}, {&ts, "7"}, {&div, "0"}, {&ts, "8"}, {&div, "2"}, {&ts, "9"}}, Access::ReadOnly);
  ASSERT_TRUE(mixed[0]->ok);
  EXPECT_EQ(mixed[0]->value(0, 0), "2");
  ASSERT_TRUE(mixed[1]->ok);
  EXPECT_EQ(mixed[1]->value(0, 1), "7");
  EXPECT_FALSE(mixed[2]->ok);
  EXPECT_EQ(mixed[2]->sqlstate, "22012");
  ASSERT_TRUE(mixed[3]->ok) << mixed[3]->sqlstate << " " << mixed[3]->message;
  EXPECT_EQ(mixed[3]->value(0, 1), "8");
  ASSERT_TRUE(mixed[4]->ok) << mixed[4]->message;
  EXPECT_EQ(mixed[4]->value(0, 0), "5");
  ASSERT_TRUE(mixed[5]->ok) << mixed[5]->message;
  EXPECT_EQ(mixed[5]->value(0, 1), "9");
  EXPECT_EQ(pool.active(), 0);

  // A write between reads ends the open group; more reads than max_read_group start another.
  std::vector<std::pair<const std::string*, std::string>> many;
  for (int i = 0; i < 20; ++i) many.emplace_back(&ts, std::to_string(i));
  auto big = run(many, Access::ReadOnly);
  std::set<std::string> txns;
  for (std::size_t i = 0; i < big.size(); ++i) {
    ASSERT_TRUE(big[i]->ok);
    EXPECT_EQ(big[i]->value(0, 1), std::to_string(i));
    txns.insert(std::string(big[i]->value(0, 0)));
  }
  EXPECT_GE(txns.size(), 3u) << "at most 8 per Sync";
}

// max_read_group = 1 (STK_BRIDGE_DB_READ_GROUP=1): every read-only query gets its own Sync again.
TEST_F(PoolTest, ReadGroupOfOneSyncsEveryQuery) {
  auto o = opts(1);
  o.max_read_group = 1;
  Pool pool(io_, std::move(o));
  pool.start();
  const std::string ts = "SELECT transaction_timestamp()::text, $1::int";
  run_batch(pool, {{&ts, "0"}}, Access::ReadOnly);  // prepared and timed alone
  auto answers = run_batch(pool, {{&ts, "1"}, {&ts, "2"}, {&ts, "3"}}, Access::ReadOnly);
  std::set<std::string> txns;
  for (auto& a : answers) {
    ASSERT_TRUE(a.result && a.result->ok);
    txns.insert(std::string(a.result->value(0, 0)));
  }
  EXPECT_EQ(txns.size(), 3u) << "one transaction per query";
}

// A select that ran slow alone never joins a read group, so it cannot hold back the answers of the reads sent
// before it in the same turn.
TEST_F(PoolTest, SlowReadsStayOutOfReadGroups) {
  auto o = opts(1);
  o.read_group_max_statement_us = 20000;
  Pool pool(io_, std::move(o));
  pool.start();
  const std::string fast = "SELECT $1::int + 1";
  const std::string slow = "SELECT pg_sleep(0.2)::text, $1::int";
  auto run = [&](const std::vector<const std::string*>& batch) {
    std::vector<std::pair<const std::string*, std::string>> with_params;
    for (std::size_t i = 0; i < batch.size(); ++i) with_params.emplace_back(batch[i], std::to_string(i));
    std::vector<Clock::time_point> done;
    for (auto& a : run_batch(pool, with_params, Access::ReadOnly)) {
      EXPECT_TRUE(a.result && a.result->ok) << (a.result ? a.result->message : "no answer");
      done.push_back(a.at);
    }
    return done;
  };
  run({&fast, &slow});  // each timed alone once
  auto done = run({&fast, &fast, &slow, &fast});
  // The two reads before the slow one are answered when they are done, not when the slow one is.
  EXPECT_GT(done[2] - done[1], std::chrono::milliseconds(100));
  EXPECT_GT(done[2] - done[0], std::chrono::milliseconds(100));
}

// Session settings win over the database's own (ALTER DATABASE … SET) and over the conninfo's options.
TEST_F(PoolTest, SessionSettingsOverrideDatabaseDefaults) {
  exec_sync(url_, "ALTER DATABASE " + db_ + " SET TimeZone = 'Asia/Kolkata'");
  exec_sync(url_, "ALTER DATABASE " + db_ + " SET DateStyle = 'SQL, DMY'");
  auto o = opts(1);
  o.conninfo +=
      (o.conninfo.find('?') == std::string::npos ? "?" : "&") + std::string("options=-c%20TimeZone%3DEST");
  o.settings = {{"TimeZone", "UTC"}, {"DateStyle", "ISO"}};
  Pool pool(io_, std::move(o));
  pool.start();
  std::optional<QueryResult> got;
  pool.query(
      "SELECT current_setting('TimeZone'), current_setting('DateStyle'), "
      "'2024-05-01 10:00:00+02'::timestamptz::text",
      Params{}, [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  exec_sync(url_, "ALTER DATABASE " + db_ + " RESET ALL");
  ASSERT_TRUE(got->ok) << got->message;
  EXPECT_EQ(got->value(0, 0), "UTC");
  EXPECT_EQ(got->value(0, 1).substr(0, 5), "ISO, ");
  EXPECT_EQ(got->value(0, 2), "2024-05-01 08:00:00+00");
}

TEST_F(PoolTest, KilledBackendFailsInFlightAndReconnects) {
  Pool pool(io_, opts(1));
  pool.start();
  std::optional<QueryResult> pid;
  pool.query("SELECT pg_backend_pid()", Params{}, [&](QueryResult&& r) { pid = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return pid.has_value(); }));
  ASSERT_TRUE(pid->ok);
  std::vector<std::optional<QueryResult>> res(5);
  for (int i = 0; i < 5; ++i)
    pool.query(i == 0 ? "SELECT pg_sleep(10)" : "SELECT 1", Params{},
               [&, i](QueryResult&& r) { res[i] = std::move(r); });
  ASSERT_EQ(pool.active(), 5);
  // Let the backend start the sleep, then kill it from a side connection.
  run_until(
      io_, [] { return false; }, std::chrono::milliseconds(100));
  exec_sync(url_, "SELECT pg_terminate_backend(" + std::string(pid->value(0, 0)) + ")");
  ASSERT_TRUE(run_until(io_, [&] { return res[4].has_value(); }));
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(res[i]->ok);
    EXPECT_EQ(res[i]->sqlstate, "08006");
    EXPECT_EQ(res[i]->message, "database connection lost");
  }
  EXPECT_EQ(pool.active(), 0);
  // Issued right away: waits for the reconnect, then succeeds on a new backend.
  std::optional<QueryResult> after;
  pool.query("SELECT pg_backend_pid()", Params{}, [&](QueryResult&& r) { after = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return after.has_value(); }));
  ASSERT_TRUE(after->ok) << after->sqlstate << " " << after->message;
  EXPECT_NE(after->value(0, 0), pid->value(0, 0));
  EXPECT_EQ(pool.connected(), 1);
}

TEST_F(PoolTest, KilledIdleConnectionIsReplaced) {
  Pool pool(io_, opts(2));
  pool.start();
  ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 2; }));
  exec_sync(url_,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND "
            "pid <> pg_backend_pid() AND application_name = 'santokit'");
  ASSERT_TRUE(run_until(
      io_, [&] { return pool.connected() < 2; }, std::chrono::seconds(5)));
  ASSERT_TRUE(run_until(
      io_, [&] { return pool.connected() == 2; }, std::chrono::seconds(10)));
  int ok = 0;
  for (int i = 0; i < 20; ++i) pool.query("SELECT 1", Params{}, [&](QueryResult&& r) { ok += r.ok; });
  ASSERT_TRUE(run_until(io_, [&] { return ok == 20; }));
}

TEST_F(PoolTest, BadPasswordIsReportedWithoutThePassword) {
  const std::string wrong = "Wr0ngPassw0rd_xyzzy";
  auto o = opts(2);
  o.conninfo = with_password(url_, wrong);
  Pool pool(io_, std::move(o));
  pool.start();
  std::optional<QueryResult> got;
  pool.query("SELECT 1", Params{}, [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  EXPECT_FALSE(got->ok);
  EXPECT_EQ(got->sqlstate, "08001");
  EXPECT_NE(got->message.find("password authentication failed"), std::string::npos) << got->message;
  EXPECT_EQ(got->message.find(wrong), std::string::npos);
  EXPECT_EQ(got->message.find(url_), std::string::npos);
  // While every connection is down, later queries fail at once.
  std::optional<QueryResult> fast;
  pool.query("SELECT 1", Params{}, [&](QueryResult&& r) { fast = std::move(r); });
  ASSERT_TRUE(run_until(
      io_, [&] { return fast.has_value(); }, std::chrono::milliseconds(50)));
  EXPECT_EQ(fast->sqlstate, "08001");
}

TEST_F(PoolTest, UnresponsiveServerTimesOutAndKeepsRetrying) {
  BlackHole hole;
  auto o = opts(2);
  o.conninfo =
      "host=127.0.0.1 port=" + std::to_string(hole.port) + " user=nobody password=SecretSecret dbname=x";
  o.connect_timeout_seconds = 1;
  o.reconnect_initial_ms = 50;
  Pool pool(io_, std::move(o));
  pool.start();
  std::optional<QueryResult> got;
  auto t0 = Clock::now();
  pool.query("SELECT 1", Params{}, [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(
      io_, [&] { return got.has_value(); }, std::chrono::seconds(5)));
  auto waited = Clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  EXPECT_EQ(got->sqlstate, "08001");
  EXPECT_NE(got->message.find("timeout"), std::string::npos) << got->message;
  EXPECT_EQ(got->message.find("SecretSecret"), std::string::npos);
}

TEST_F(PoolTest, RefusedConnectionFailsQuickly) {
  int port = 0;
  {
    BlackHole hole;  // take a free port, then close it: nothing listens there any more
    port = hole.port;
  }
  auto o = opts(1);
  o.conninfo = "postgresql://u:SecretSecret@127.0.0.1:" + std::to_string(port) + "/x";
  Pool pool(io_, std::move(o));
  pool.start();
  std::optional<QueryResult> got;
  pool.query("SELECT 1", Params{}, [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(
      io_, [&] { return got.has_value(); }, std::chrono::seconds(3)));
  EXPECT_EQ(got->sqlstate, "08001");
  EXPECT_EQ(got->message.find("SecretSecret"), std::string::npos) << got->message;
  EXPECT_NE(got->message.find("could not connect"), std::string::npos) << got->message;
}

TEST_F(PoolTest, RecoversWhenTheDatabaseComesUp) {
  Forwarder fwd(url_port(url_));
  auto o = opts(2);
  std::string url = url_;
  const std::string from = ":" + std::to_string(url_port(url_)) + "/";
  url.replace(url.find(from), from.size(), ":" + std::to_string(fwd.port) + "/");
  o.conninfo = url;
  o.reconnect_initial_ms = 20;
  o.reconnect_max_ms = 100;
  Pool pool(io_, std::move(o));
  pool.start();
  std::optional<QueryResult> got;
  pool.query("SELECT 1", Params{}, [&](QueryResult&& r) { got = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
  EXPECT_EQ(got->sqlstate, "08001");
  fwd.start();
  // The pool retries in the background; queries fail at once until a connection is back, then succeed.
  bool ok = false;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!ok && Clock::now() < deadline) {
    got.reset();
    pool.query("SELECT 2", Params{}, [&](QueryResult&& r) { got = std::move(r); });
    ASSERT_TRUE(run_until(io_, [&] { return got.has_value(); }));
    ok = got->ok;
    if (!ok) {
      EXPECT_EQ(got->sqlstate, "08001");
      run_until(
          io_, [] { return false; }, std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(ok);
  EXPECT_GE(pool.connected(), 1);
}

TEST_F(PoolTest, QueueFull) {
  auto o = opts(1);
  o.max_queue = 5;
  Pool pool(io_, std::move(o));  // not started: every query waits in the queue
  std::vector<std::optional<QueryResult>> res(7);
  for (int i = 0; i < 7; ++i)
    pool.query("SELECT 1", Params{}, [&, i](QueryResult&& r) { res[i] = std::move(r); });
  EXPECT_EQ(pool.queued(), 5);
  EXPECT_FALSE(res[5].has_value());  // never called from inside query()
  ASSERT_TRUE(run_until(io_, [&] { return res[5].has_value() && res[6].has_value(); }));
  EXPECT_EQ(res[5]->sqlstate, "53300");
  EXPECT_EQ(res[6]->message, "database pool queue is full");
  EXPECT_FALSE(res[0].has_value());
  pool.start();  // the queued ones run once connected
  ASSERT_TRUE(run_until(io_, [&] { return res[4].has_value(); }));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(res[i]->ok);
}

TEST_F(PoolTest, CallbacksMayIssueQueriesAndClose) {
  Pool pool(io_, opts(2));
  pool.start();
  int chain = 0;
  std::function<void(QueryResult &&)> next = [&](QueryResult&& r) {
    if (!r.ok) return;
    if (++chain < 500) pool.query("SELECT $1::int", Params{std::to_string(chain)}, next);
  };
  pool.query("SELECT 0", Params{}, next);
  ASSERT_TRUE(run_until(io_, [&] { return chain == 500; }));

  std::vector<std::optional<QueryResult>> res(50);
  for (int i = 0; i < 50; ++i)
    pool.query("SELECT $1::int", Params{std::to_string(i)}, [&, i](QueryResult&& r) {
      res[i] = std::move(r);
      if (i == 10) pool.close();
    });
  ASSERT_TRUE(run_until(io_, [&] { return all_answered(res); }));
  int closed = 0;
  for (auto& r : res) closed += (!r->ok && r->sqlstate == "08003");
  EXPECT_TRUE(res[10]->ok);
  EXPECT_GT(closed, 0);
  std::optional<QueryResult> late;
  pool.query("SELECT 1", Params{}, [&](QueryResult&& r) { late = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return late.has_value(); }));
  EXPECT_EQ(late->sqlstate, "08003");
}

TEST_F(PoolTest, LargeResultsAndLargeParameters) {
  Pool pool(io_, opts(2));
  pool.start();
  std::string big(300000, 'q');
  std::vector<std::optional<QueryResult>> res(20);
  for (int i = 0; i < 20; ++i)
    pool.query("SELECT length($1), repeat('z', 200000) || $2", Params{big, std::to_string(i)},
               [&, i](QueryResult&& r) { res[i] = std::move(r); });
  ASSERT_TRUE(run_until(io_, [&] { return res[19].has_value(); }));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(res[i]->ok) << res[i]->message;
    EXPECT_EQ(res[i]->value(0, 0), "300000");
    EXPECT_EQ(res[i]->value(0, 1).size(), 200000 + std::to_string(i).size());
  }
}

TEST_F(PoolTest, PipelineDepthIsBounded) {
  auto o = opts(2);
  o.max_pipeline_depth = 3;
  Pool pool(io_, std::move(o));
  pool.start();
  ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 2; }));
  int done = 0, ok = 0, max_active = 0;
  for (int i = 0; i < 200; ++i)
    pool.query("SELECT $1::int", Params{std::to_string(i)}, [&, i](QueryResult&& r) {
      ++done;
      ok += (r.ok && r.value(0, 0) == std::to_string(i)) ? 1 : 0;
      max_active = std::max(max_active, pool.active());
    });
  EXPECT_EQ(pool.active(), 6);
  EXPECT_EQ(pool.queued(), 194);
  ASSERT_TRUE(run_until(io_, [&] { return done == 200; }));
  EXPECT_EQ(ok, 200);
  EXPECT_LE(max_active, 6);
  EXPECT_EQ(pool.queued(), 0);
}

// Printed, not asserted: pipelined pool vs. one synchronous connection.
TEST_F(PoolTest, Throughput) {
  const int kN = std::getenv("STK_POOL_BENCH_N") ? std::atoi(std::getenv("STK_POOL_BENCH_N")) : 100000;
  {
    Pool pool(io_, opts(4));
    pool.start();
    ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 4; }));
    const int window = 2000;
    int issued = 0, done = 0, bad = 0;
    std::function<void()> issue;
    std::vector<Param> p(1);
    std::string v;
    auto on_result = [&](QueryResult&& r) {
      ++done;
      bad += r.ok ? 0 : 1;
      if (issued < kN) issue();
    };
    issue = [&] {
      v = std::to_string(issued++);
      p[0] = v;
      pool.query("SELECT $1::int", p, on_result);
    };
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    for (int i = 0; i < window && issued < kN; ++i) issue();
    io_.restart();
    while (done < kN) io_.run_one();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_EQ(bad, 0);
    double cpu = cpu_seconds() - c0;
    std::printf(
        "[throughput] pool (4 connections, pipelined, %d outstanding): %d queries in %.3f s = %.0f q/s; "
        "client CPU "
        "%.2f us/query\n",
        window, kN, s, kN / s, cpu * 1e6 / kN);
  }
  {
    // One query at a time through the pool: the round trip plus the pool's own overhead.
    Pool pool(io_, opts(1));
    pool.start();
    ASSERT_TRUE(run_until(io_, [&] { return pool.connected() == 1; }));
    const int n = kN / 10;
    int done = 0;
    std::string v;
    std::vector<Param> p(1);
    std::function<void(QueryResult &&)> next = [&](QueryResult&& r) {
      if (!r.ok) ADD_FAILURE() << r.message;
      if (++done < n) {
        v = std::to_string(done);
        p[0] = v;
        pool.query("SELECT $1::int", p, std::ref(next));
      }
    };
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    p[0] = "0";
    pool.query("SELECT $1::int", p, std::ref(next));
    io_.restart();
    while (done < n) io_.run_one();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    double cpu = cpu_seconds() - c0;
    std::printf(
        "[throughput] pool, 1 outstanding: %d queries in %.3f s = %.0f q/s (%.1f us round trip); client CPU "
        "%.2f "
        "us/query\n",
        n, s, n / s, s * 1e6 / n, cpu * 1e6 / n);
  }
  if (const char* sync = std::getenv("STK_POOL_BENCH_SYNC"); !sync || std::string(sync) != "0") {
    PGconn* c = PQconnectdb(url_.c_str());
    ASSERT_EQ(PQstatus(c), CONNECTION_OK);
    PQclear(PQprepare(c, "s", "SELECT $1::int", 0, nullptr));
    const int n = kN / 4;
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    for (int i = 0; i < n; ++i) {
      std::string v = std::to_string(i);
      const char* vals[1] = {v.c_str()};
      PGresult* r = PQexecPrepared(c, "s", 1, vals, nullptr, nullptr, 0);
      if (PQresultStatus(r) != PGRES_TUPLES_OK) ADD_FAILURE() << PQresultErrorMessage(r);
      PQclear(r);
    }
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    double cpu = cpu_seconds() - c0;
    std::printf(
        "[throughput] synchronous PQexecPrepared, one connection: %d queries in %.3f s = %.0f q/s; client "
        "CPU %.2f "
        "us/query\n",
        n, s, n / s, cpu * 1e6 / n);
    PQfinish(c);
  }
}

}  // namespace
