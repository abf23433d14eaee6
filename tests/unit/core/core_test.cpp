#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "stk/core/encoding.hpp"
#include "stk/core/error.hpp"
#include "stk/core/ids.hpp"
#include "stk/core/json.hpp"
#include "stk/core/log.hpp"
#include "stk/core/periodic_thread.hpp"
#include "stk/core/time.hpp"

using namespace stk;

TEST(Encoding, Base64RoundTrip) {
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(*base64_decode("Zm8="), "fo");
  EXPECT_EQ(*base64_decode("Zm8"), "fo");
  EXPECT_FALSE(base64_decode("Z!8=").has_value());
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff", 2)), "-_8");
}

TEST(Encoding, Base32MatchesRfc4648) {
  EXPECT_EQ(base32_lower("foobar"), "mzxw6ytboi");
  EXPECT_EQ(base32_lower("f"), "my");
}

TEST(Ids, FormatsAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(ulid());
  EXPECT_EQ(seen.size(), 1000u);
  std::string u = ulid();
  EXPECT_EQ(u.size(), 26u);
  EXPECT_LE(u[0], '7');
  std::string v7 = uuid_v7();
  EXPECT_EQ(v7.size(), 36u);
  EXPECT_EQ(v7[14], '7');
  EXPECT_EQ(uuid_v4()[14], '4');
  EXPECT_EQ(nanoid().size(), 21u);
}

TEST(Ids, RequestIdsAreUniqueV4ShapedUuids) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(request_id());
  EXPECT_EQ(seen.size(), 10000u);
  std::string r = request_id();
  ASSERT_EQ(r.size(), 36u);
  EXPECT_EQ(r[14], '4');
  EXPECT_TRUE(r[19] == '8' || r[19] == '9' || r[19] == 'a' || r[19] == 'b');
  EXPECT_EQ(r[8], '-');
  EXPECT_EQ(r[23], '-');
}

TEST(Time, Rfc3339RoundTrip) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00.000Z");
  // The per-thread cache of the seconds part must follow every change of second, in either direction.
  EXPECT_EQ(rfc3339(1772359200123), "2026-03-01T10:00:00.123Z");
  EXPECT_EQ(rfc3339(1772359200999), "2026-03-01T10:00:00.999Z");
  EXPECT_EQ(rfc3339(1772359201005), "2026-03-01T10:00:01.005Z");
  EXPECT_EQ(rfc3339(1772359200050), "2026-03-01T10:00:00.050Z");
  EXPECT_EQ(rfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(rfc3339(4102444799999), "2099-12-31T23:59:59.999Z");
  EXPECT_EQ(*parse_rfc3339("2026-03-01T10:00:00Z"), 1772359200000);
  EXPECT_EQ(*parse_rfc3339("2026-03-01T11:00:00.5+01:00"), 1772359200500);
  EXPECT_FALSE(parse_rfc3339("2026-13-01T10:00:00Z").has_value());
  EXPECT_FALSE(parse_rfc3339("yesterday").has_value());
  EXPECT_EQ(*parse_duration_ms("24h"), 86'400'000);
  EXPECT_FALSE(parse_duration_ms("24").has_value());
}

TEST(Json, CanonicalSortsKeysAndFieldAcceptsSnakeCase) {
  OrderedJson o;
  o["b"] = 1;
  o["a"] = {{"z", 1}, {"y", 2}};
  EXPECT_EQ(canonical_dump(o), R"({"a":{"y":2,"z":1},"b":1})");
  Json j = {{"db_url", "x"}};
  ASSERT_NE(field(j, "dbUrl"), nullptr);
  EXPECT_EQ(*field(j, "dbUrl"), "x");
  EXPECT_EQ(field(j, "keyId"), nullptr);
}

TEST(Errors, EnvelopeAndStatus) {
  EXPECT_EQ(http_status(Code::Conflict), 409);
  EXPECT_EQ(code_name(Code::ValidationFailed), "VALIDATION_FAILED");
  auto e = error_envelope(Code::NotFound, "no such project 'x'", "01ABC");
  EXPECT_EQ(e["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(e["error"]["requestId"], "01ABC");
  EXPECT_FALSE(e["error"].contains("details"));
}

TEST(Log, RedactUrlDropsCredentials) {
  EXPECT_EQ(log::redact_url("postgres://u:secret@db:5432/app?sslmode=require"), "postgres://***@db:5432/app");
}

// Points stderr at `fd` for the test's lifetime, then back (the log's sink is stderr by default).
struct StderrTo {
  int saved;
  explicit StderrTo(int fd) : saved(::dup(2)) {
    std::fflush(stderr);
    ::dup2(fd, 2);
    log::set_sink(log::Sink::Stderr);
  }
  ~StderrTo() {
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    log::set_sink(log::Sink::Stderr);
  }
};

TEST(Log, BatchesOfLinesGoWholeToAFileAndWithinPipeBufToAPipe) {
  std::string lines;
  for (int i = 0; lines.size() < 100000; ++i) lines += R"({"msg":"line )" + std::to_string(i) + "\"}\n";

  char path[] = "/tmp/stk-log-test.XXXXXX";
  const int file = ::mkstemp(path);
  ASSERT_GE(file, 0);
  {
    StderrTo to(file);
    EXPECT_EQ(log::line_batch_bytes(), 64u * 1024);
    log::write_lines(lines);
  }
  ::close(file);
  std::ifstream in(path);
  std::stringstream got;
  got << in.rdbuf();
  ::unlink(path);
  EXPECT_EQ(got.str(), lines);  // all of it, in order, nothing cut

  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  {
    StderrTo to(p[1]);
    EXPECT_EQ(log::line_batch_bytes(), 3500u);  // a pipe keeps writes ≤ PIPE_BUF whole
    log::write_lines("{\"msg\":\"to a pipe\"}\n");
  }
  ::close(p[1]);
  char buf[64] = {};
  const ssize_t n = ::read(p[0], buf, sizeof buf - 1);
  ::close(p[0]);
  EXPECT_EQ(std::string(buf, n > 0 ? size_t(n) : 0), "{\"msg\":\"to a pipe\"}\n");
}

// Plain runs are found 8 bytes at a time: every byte value at every position of 1–24-byte strings must come
// back from a JSON parser as it went in (ASCII), or as U+FFFD (a lone byte ≥ 0x80 is not UTF-8).
TEST(Log, JsonStringEscapingHoldsForEveryByteAtEveryPosition) {
  for (size_t len = 1; len <= 24; ++len)
    for (size_t pos = 0; pos < len; ++pos)
      for (int b = 0; b < 256; ++b) {
        std::string s(len, 'x');
        s[pos] = char(b);
        std::string out;
        log::append_json_string(out, s);
        std::string expected = s;
        if (b >= 0x80) expected.replace(pos, 1, "\xef\xbf\xbd");
        auto parsed = nlohmann::json::parse(out, nullptr, false);
        ASSERT_TRUE(parsed.is_string()) << out;
        ASSERT_EQ(parsed.get<std::string>(), expected) << "length " << len << ", byte " << b << " at " << pos;
      }
}

TEST(Log, JsonStringEscapingMatchesAJsonParser) {
  EXPECT_EQ(
      [] {
        std::string plain;
        log::append_json_string(plain, "plain text, no escapes");
        log::append_json_string(plain, "");
        log::append_json_string(plain, "tail\\");
        return plain;
      }(),
      R"("plain text, no escapes""""tail\\")");
  static const char kRaw[] = "a\"b\\c\n\t\x01 é 日本 \xff\xc3";
  const std::string raw(kRaw, sizeof kRaw - 1);
  std::string out;
  log::append_json_string(out, raw);
  auto parsed = nlohmann::json::parse(out);  // throws on invalid JSON or invalid UTF-8
  const std::string back = parsed.get<std::string>();
  EXPECT_EQ(back.substr(0, 9), std::string("a\"b\\c\n\t\x01 ", 9));
  EXPECT_NE(back.find("é 日本"), std::string::npos);
  EXPECT_NE(back.find("\xef\xbf\xbd"), std::string::npos);  // the invalid bytes became U+FFFD
}

// Ticks come every interval; stop() wakes the thread at once (an hour-long interval does not hold it up),
// drops the tick's captures, and the thread can start again.
TEST(PeriodicThread, TicksUntilStoppedAndStopsWithoutWaitingOutTheInterval) {
  stk::PeriodicThread t;
  std::atomic<int> ticks{0};
  auto captured = std::make_shared<int>(0);
  t.start(std::chrono::milliseconds(1), [&ticks, captured] { ++ticks; });
  EXPECT_TRUE(t.running());
  for (int i = 0; i < 5000 && ticks < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_GE(ticks.load(), 3);
  t.stop();
  EXPECT_FALSE(t.running());
  EXPECT_EQ(captured.use_count(), 1);  // the tick (and its captures) went with the thread
  const int after_stop = ticks.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ticks.load(), after_stop);

  t.start(std::chrono::hours(1), [&ticks] { ++ticks; });
  EXPECT_TRUE(t.running());
  t.stop();  // returns at once: the test would time out otherwise
  EXPECT_EQ(ticks.load(), after_stop);
  t.stop();  // a second stop is a no-op
}
