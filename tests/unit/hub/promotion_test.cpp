// Rollback target selection (spec hub-cli-schema §6): the release current before the current one.
#include <gtest/gtest.h>

#include "services/promotion_service.hpp"

using namespace stk::hub;

namespace {
// History rows newest first, as Store::release_history returns them.
std::vector<ReleaseHistoryRow> history(std::initializer_list<const char*> newest_first) {
  std::vector<ReleaseHistoryRow> out;
  for (const char* id : newest_first) out.push_back({id, "apply", "2026-01-01T00:00:00Z", "op_1"});
  return out;
}
}  // namespace

TEST(PreviousRelease, NoneWithoutAnEarlierRelease) {
  EXPECT_EQ(previous_release({}, "rel_a"), std::nullopt);
  EXPECT_EQ(previous_release(history({"rel_a"}), "rel_a"), std::nullopt);
}

TEST(PreviousRelease, TheOneActivatedBeforeTheCurrentOne) {
  EXPECT_EQ(previous_release(history({"rel_c", "rel_b", "rel_a"}), "rel_c"), "rel_b");
}

TEST(PreviousRelease, RollingBackTwiceReturnsToTheStart) {
  // c was current, rollback -> b (history gains b); a second rollback goes back to c.
  auto h = history({"rel_b", "rel_c", "rel_b", "rel_a"});
  EXPECT_EQ(previous_release(h, "rel_b"), "rel_c");
}

TEST(PreviousRelease, SkipsRowsOfTheCurrentReleaseIfHistoryIsAhead) {
  // Defensive: a history whose newest rows already name the current release more than once.
  EXPECT_EQ(previous_release(history({"rel_b", "rel_b", "rel_a"}), "rel_b"), "rel_a");
  // A pointer not at the newest row (never written that way, but never a wrong answer either).
  EXPECT_EQ(previous_release(history({"rel_a", "rel_b"}), "rel_b"), "rel_a");
}
