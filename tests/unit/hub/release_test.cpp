#include <gtest/gtest.h>

#include "services/release_service.hpp"

using namespace stk::hub;

namespace {
ReleaseContent sample(const std::string& ref) {
  ReleaseContent c{"shop", "dev", ref, nullptr, nullptr, nullptr, nullptr, nullptr};
  c.ir_by_connection = {{"main", {{"version", 1}, {"tables", {{"b", 1}, {"a", 2}}}}}};
  c.permissions = {{"version", 1}, {"tables", nlohmann::ordered_json::object()}};
  c.storage = nlohmann::ordered_json::object();
  c.logics = nlohmann::ordered_json::object();
  return c;
}
}  // namespace

TEST(BuildRelease, SameContentSameIdAndBytes) {
  auto a = build_release(sample("r1"));
  auto b = build_release(sample("r1"));
  EXPECT_EQ(a.release_id, b.release_id);
  EXPECT_EQ(a.payload, b.payload);
  EXPECT_EQ(a.release_id.size(), 30u);
  EXPECT_EQ(a.release_id.substr(0, 4), "rel_");
}

TEST(BuildRelease, RefOrContentChangesTheId) {
  auto a = build_release(sample("r1"));
  EXPECT_NE(a.release_id, build_release(sample("r2")).release_id);
  auto c = sample("r1");
  c.logics["x"] = "SELECT 1";
  auto d = build_release(c);
  EXPECT_NE(a.release_id, d.release_id);
  EXPECT_NE(a.digest, d.digest);
}

TEST(BuildRelease, PayloadKeepsDeclarationOrderButIdIgnoresKeyOrder) {
  auto a = build_release(sample("r1"));
  EXPECT_LT(a.payload.find("\"b\":1"), a.payload.find("\"a\":2"));
  auto swapped = sample("r1");
  swapped.ir_by_connection = {{"main", {{"tables", {{"a", 2}, {"b", 1}}}, {"version", 1}}}};
  EXPECT_EQ(build_release(swapped).release_id, a.release_id);
  EXPECT_EQ(nlohmann::json::parse(a.payload)["releaseId"], a.release_id);
}
