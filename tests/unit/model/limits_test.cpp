// config/limits.yaml loading: the rate limits per API key, end user and client IP.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stk/model/project.hpp"

using namespace stk::model;

namespace {

struct LoadedLimits {
  Limits limits;
  Diagnostics diags;
  std::vector<std::string> errors() const {
    std::vector<std::string> out;
    for (const auto& d : diags.errors()) out.push_back(d.str());
    return out;
  }
};

LoadedLimits load_limits_yaml(const std::string& yaml) {
  LoadedLimits l;
  l.limits = load_limits("config/limits.yaml", yaml, l.diags);
  return l;
}

std::string one_error(const std::string& yaml) {
  auto l = load_limits_yaml(yaml);
  EXPECT_EQ(l.errors().size(), 1u) << yaml;
  return l.errors().empty() ? "" : l.errors().front();
}

}  // namespace

TEST(Limits, TheDocumentedFormat) {
  auto l = load_limits_yaml(R"(rateLimits:
  apiKey:  { requests: 1000, per: 1m }
  endUser: { requests: 100, per: 1m, burst: 20 }
  ip:      { requests: 0 }
)");
  ASSERT_TRUE(l.errors().empty()) << l.errors()[0];
  ASSERT_TRUE(l.limits.api_key && l.limits.end_user && l.limits.ip);
  EXPECT_EQ(l.limits.api_key->requests, 1000);
  EXPECT_EQ(l.limits.api_key->per_seconds, 60);
  EXPECT_EQ(l.limits.api_key->capacity(), 1000);  // burst defaults to requests
  EXPECT_EQ(l.limits.end_user->requests, 100);
  EXPECT_EQ(l.limits.end_user->capacity(), 20);
  EXPECT_EQ(l.limits.ip->requests, 0);      // unlimited
  EXPECT_EQ(l.limits.ip->per_seconds, 60);  // per defaults to 1m
}

TEST(Limits, EmptyOrPartialFilesLeaveTheRestToTheBridge) {
  EXPECT_FALSE(load_limits_yaml("").limits.api_key);
  EXPECT_TRUE(load_limits_yaml("").errors().empty());
  EXPECT_TRUE(load_limits_yaml("rateLimits:\n").errors().empty());
  auto l = load_limits_yaml("rateLimits:\n  ip: { requests: 30, per: 10s }\n");
  ASSERT_TRUE(l.errors().empty());
  EXPECT_FALSE(l.limits.api_key);
  EXPECT_FALSE(l.limits.end_user);
  ASSERT_TRUE(l.limits.ip);
  EXPECT_EQ(l.limits.ip->per_seconds, 10);
}

TEST(Limits, Durations) {
  EXPECT_EQ(parse_rate_period("1s"), 1);
  EXPECT_EQ(parse_rate_period("90s"), 90);
  EXPECT_EQ(parse_rate_period("5m"), 300);
  EXPECT_EQ(parse_rate_period("24h"), 86400);
  for (const char* bad : {"", "m", "0s", "1d", "1.5m", "-1m", "25h", "60", " 1m", "1M"})
    EXPECT_FALSE(parse_rate_period(bad)) << bad;
  EXPECT_EQ(format_rate_period(60), "1m");
  EXPECT_EQ(format_rate_period(90), "90s");
  EXPECT_EQ(format_rate_period(7200), "2h");
}

TEST(Limits, ErrorsNameTheFileThePlaceAndTheFix) {
  EXPECT_EQ(
      one_error("rateLimits:\n  apiKey: { requests: -1 }\n"),
      "config/limits.yaml:2:23: rateLimits.apiKey: 'requests' must be a whole number from 0 (unlimited) "
      "to 1000000000, not '-1'");
  EXPECT_EQ(
      one_error("rateLimits:\n  apiKey: { requests: 10, per: 60 }\n"),
      "config/limits.yaml:2:32: rateLimits.apiKey: 'per' must be a duration like 30s, 1m or 1h (at most "
      "24h), not '60'");
  EXPECT_EQ(
      one_error("rateLimits:\n  endUser: { requests: 10, burst: -3 }\n"),
      "config/limits.yaml:2:35: rateLimits.endUser: 'burst' must be a whole number from 1 to 1000000000 "
      "(the bucket size; omit it to use 'requests'), not '-3'");
  EXPECT_EQ(
      one_error("rateLimits:\n  apiKey: { per: 1m }\n"),
      "config/limits.yaml:2:3: rateLimits.apiKey: 'requests' is required (0 = unlimited) (e.g. 'apiKey: { "
      "requests: 1000, per: 1m, burst: 100 }')");
  EXPECT_EQ(one_error("rateLimits:\n  apiKey: { requests: 10, perMinute: 3 }\n"),
            "config/limits.yaml:2:27: rateLimits.apiKey: unknown key 'perMinute' (expected requests, per or "
            "burst)");
  EXPECT_EQ(one_error("rateLimits:\n  apikey: { requests: 10 }\n"),
            "config/limits.yaml:2:3: rateLimits: unknown limiter 'apikey' (expected apiKey, endUser or ip)");
  EXPECT_EQ(one_error("rateLimit:\n  apiKey: { requests: 10 }\n"),
            "config/limits.yaml:1:1: unknown top-level key 'rateLimit' (only 'rateLimits' is allowed)");
  EXPECT_EQ(
      one_error("rateLimits:\n  apiKey: 1000\n"),
      "config/limits.yaml:2:11: rateLimits.apiKey: expected a mapping with 'requests', 'per' and optionally "
      "'burst' (e.g. 'apiKey: { requests: 1000, per: 1m, burst: 100 }'), not '1000'");
  EXPECT_EQ(
      one_error("rateLimits: [1]\n"),
      "config/limits.yaml:1:13: 'rateLimits' must be a mapping with apiKey, endUser and/or ip, not a list");
  EXPECT_EQ(one_error("- 1\n"),
            "config/limits.yaml:1:1: the limits file must be a mapping with 'rateLimits', not a list");
  EXPECT_EQ(
      one_error("rateLimits:\n  apiKey: { requests: 1.5 }\n"),
      "config/limits.yaml:2:23: rateLimits.apiKey: 'requests' must be a whole number from 0 (unlimited) "
      "to 1000000000, not '1.5'");
}

TEST(Limits, BurstZeroMeansNotSet) {
  auto l = load_limits_yaml(
      "rateLimits:\n  apiKey: { requests: 0, per: 1m, burst: 0 }\n  ip: { requests: 7, burst: 0 }\n");
  ASSERT_TRUE(l.errors().empty()) << l.errors()[0];
  EXPECT_EQ(l.limits.api_key->requests, 0);
  EXPECT_EQ(l.limits.ip->capacity(), 7);
}

TEST(Limits, AllErrorsAtOnce) {
  auto l =
      load_limits_yaml("rateLimits:\n  apiKey: { requests: x, per: 1y }\n  ip: { burst: -2 }\n  other: {}\n");
  EXPECT_EQ(l.errors().size(), 5u);
}

TEST(Limits, ReleaseFormRoundTrips) {
  auto l = load_limits_yaml(
      "rateLimits:\n  endUser: { requests: 100, per: 1m, burst: 20 }\n  apiKey: { requests: 5 }\n");
  ASSERT_TRUE(l.errors().empty());
  auto j = limits_to_json(l.limits);
  EXPECT_EQ(
      j.dump(),
      R"({"rateLimits":{"apiKey":{"requests":5,"perSeconds":60,"burst":5},"endUser":{"requests":100,"perSeconds":60,"burst":20}}})");
  auto back = limits_from_json(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.api_key && back.end_user);
  EXPECT_FALSE(back.ip);
  EXPECT_EQ(back.end_user->capacity(), 20);
  EXPECT_EQ(back.api_key->requests, 5);
  EXPECT_THROW(limits_from_json(nlohmann::json::parse(R"({"rateLimits":{"ip":{"requests":-1}}})")),
               std::exception);
}

TEST(Limits, LoadProjectReadsTheFile) {
  ProjectFiles f;
  f.limits = "rateLimits:\n  apiKey: { requests: 5 }\n";
  Diagnostics d;
  auto p = load_project(f, {}, d);
  ASSERT_FALSE(d.has_errors());
  ASSERT_TRUE(p.limits && p.limits->api_key);
  EXPECT_EQ(p.limits->api_key->requests, 5);
  f.limits = "rateLimits:\n  apiKey: { requests: five }\n";
  Diagnostics d2;
  load_project(f, {}, d2);
  ASSERT_TRUE(d2.has_errors());
  EXPECT_NE(d2.errors()[0].str().find("config/limits.yaml:2:"), std::string::npos);
  ProjectFiles none;
  Diagnostics d3;
  EXPECT_FALSE(load_project(none, {}, d3).limits);
}

TEST(Limits, TheExampleProjectsFileIsValid) {
  ProjectFiles f = read_project_dir(std::string(STK_SOURCE_DIR) + "/examples/blog");
  ASSERT_TRUE(f.limits);
  Diagnostics d;
  auto l = load_limits("config/limits.yaml", *f.limits, d);
  EXPECT_FALSE(d.has_errors()) << d.errors()[0].str();
  ASSERT_TRUE(l.api_key && l.end_user);
  EXPECT_FALSE(l.ip);
  EXPECT_EQ(l.end_user->capacity(), 20);
}
