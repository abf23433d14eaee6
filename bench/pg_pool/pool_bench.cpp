// Micro-benchmark for stk::pg::Pool (not part of the CMake build; see build.sh beside this file).
//   pool_bench URL MODE N [CONNS] [WINDOW]
//   MODE: pool   — N x `SELECT $1::int` with WINDOW outstanding over CONNS pipelined connections
//         sync   — N x PQexecPrepared, one at a time on one connection
// Prints queries/s and the client's CPU time per query (user+sys of this process).
#include <sys/resource.h>

#include <utility>

#include <boost/asio/io_context.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "stk/pg/pool.hpp"

namespace {
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s URL pool|sync N [CONNS] [WINDOW]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1], mode = argv[2];
  const int n = std::atoi(argv[3]);
  const int conns = argc > 4 ? std::atoi(argv[4]) : 4;
  const int window = argc > 5 ? std::atoi(argv[5]) : 1000;
  using Clock = std::chrono::steady_clock;
  if (mode == "sync") {
    PGconn* c = PQconnectdb(url.c_str());
    if (PQstatus(c) != CONNECTION_OK) return 1;
    PQclear(PQprepare(c, "s", "SELECT $1::int", 0, nullptr));
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    for (int i = 0; i < n; ++i) {
      std::string v = std::to_string(i);
      const char* vals[1] = {v.c_str()};
      PQclear(PQexecPrepared(c, "s", 1, vals, nullptr, nullptr, 0));
    }
    double s = std::chrono::duration<double>(Clock::now() - t0).count(), cpu = cpu_seconds() - c0;
    std::printf("sync: %d queries, %.0f q/s, %.1f us/query wall, %.2f us/query client CPU\n", n, n / s,
                s * 1e6 / n, cpu * 1e6 / n);
    PQfinish(c);
    return 0;
  }
  boost::asio::io_context io;
  stk::pg::PoolOptions o;
  o.conninfo = url;
  o.size = conns;
  o.max_queue = n + window;
  stk::pg::Pool pool(io, o);
  pool.start();
  while (pool.connected() < conns) io.run_one();
  int issued = 0, done = 0, bad = 0;
  std::string v;
  std::vector<stk::pg::Param> p(1);
  std::function<void()> issue;
  auto on_result = [&](stk::pg::QueryResult&& r) {
    ++done;
    bad += r.ok ? 0 : 1;
    if (issued < n) issue();
  };
  issue = [&] {
    v = std::to_string(issued++);
    p[0] = v;
    pool.query("SELECT $1::int", p, on_result);
  };
  auto t0 = Clock::now();
  double c0 = cpu_seconds();
  for (int i = 0; i < window && issued < n; ++i) issue();
  while (done < n) io.run_one();
  double s = std::chrono::duration<double>(Clock::now() - t0).count(), cpu = cpu_seconds() - c0;
  std::printf(
      "pool: %d connections, %d outstanding: %d queries (%d failed), %.0f q/s, %.2f us/query client CPU\n",
      conns, window, n, bad, n / s, cpu * 1e6 / n);
  return 0;
}
