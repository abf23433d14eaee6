#include "stk/pg/load_spread.hpp"

#include <gtest/gtest.h>

namespace {

using stk::pg::LoadSpread;

// A window where the one active backend was busy all along while the worker mostly waited for it.
void pg_bound(LoadSpread& s, int ready = 4) {
  s.observe(0.3, 1.0, 1.0 * s.width(), ready);
}

TEST(LoadSpread, StartsWithOneBackend) {
  EXPECT_EQ(LoadSpread(4).width(), 1);
  EXPECT_EQ(LoadSpread(0).max_width(), 1);
}

TEST(LoadSpread, WidensAfterEnoughWindowsWherePostgresIsTheLimit) {
  LoadSpread s(2);
  for (int i = 1; i < LoadSpread::kVotes; ++i) pg_bound(s);
  EXPECT_EQ(s.width(), 1) << "one window too few";
  pg_bound(s);
  EXPECT_EQ(s.width(), 2);
  for (int i = 0; i < 3 * LoadSpread::kVotes; ++i) pg_bound(s);
  EXPECT_EQ(s.width(), 2) << "never beyond max_width";
}

TEST(LoadSpread, NeverWiderThanTheReadyConnections) {
  LoadSpread s(4);
  for (int i = 0; i < 5 * LoadSpread::kVotes; ++i) pg_bound(s, 2);
  EXPECT_EQ(s.width(), 2);
  s.observe(0.3, 1.0, 1.0, 1);  // a connection went down
  EXPECT_EQ(s.width(), 1);
}

TEST(LoadSpread, StaysAtOneWhenTheWorkerIsTheLimit) {
  LoadSpread s(2);
  // The backend is always busy, but the worker uses 70 % of a core: the machine's cores are taken.
  for (int i = 0; i < 5 * LoadSpread::kVotes; ++i) s.observe(0.7, 1.0, 1.0, 4);
  EXPECT_EQ(s.width(), 1);
  // The backend idles part of the time: one backend keeps up.
  for (int i = 0; i < 5 * LoadSpread::kVotes; ++i) s.observe(0.2, 0.6, 0.6, 4);
  EXPECT_EQ(s.width(), 1);
}

TEST(LoadSpread, AnInterruptedRunOfWindowsStartsOver) {
  LoadSpread s(2);
  for (int round = 0; round < 5; ++round) {
    for (int i = 1; i < LoadSpread::kVotes; ++i) pg_bound(s);
    s.observe(0.9, 1.0, 1.0, 4);  // one busy window in between
  }
  EXPECT_EQ(s.width(), 1);
}

TEST(LoadSpread, NarrowsWhenTheWorkerBecomesTheLimit) {
  LoadSpread s(2);
  for (int i = 0; i < LoadSpread::kVotes; ++i) pg_bound(s);
  ASSERT_EQ(s.width(), 2);
  s.observe(0.6, 1.0, 2.0, 4);  // between the thresholds: no change either way
  for (int i = 0; i < 3 * LoadSpread::kVotes; ++i) s.observe(0.6, 1.0, 2.0, 4);
  EXPECT_EQ(s.width(), 2);
  for (int i = 1; i < LoadSpread::kVotes; ++i) s.observe(0.8, 1.0, 2.0, 4);
  EXPECT_EQ(s.width(), 2);
  s.observe(0.8, 1.0, 2.0, 4);
  EXPECT_EQ(s.width(), 1);
}

TEST(LoadSpread, NarrowsWhenFewerBackendsWouldCarryTheLoad) {
  LoadSpread s(3);
  for (int i = 0; i < 2 * LoadSpread::kVotes; ++i) pg_bound(s);
  ASSERT_EQ(s.width(), 3);
  // Three backends busy 40 % each: 1.2 backends' worth of work, fits on two at 60 %.
  for (int i = 0; i < LoadSpread::kVotes; ++i) s.observe(0.3, 0.4, 1.2, 4);
  EXPECT_EQ(s.width(), 2);
  for (int i = 0; i < LoadSpread::kVotes; ++i) s.observe(0.3, 0.5, 1.0, 4);
  EXPECT_EQ(s.width(), 2) << "1.0 of work does not fit on one backend at 75 %";
  for (int i = 0; i < LoadSpread::kVotes; ++i) s.observe(0.3, 0.2, 0.4, 4);
  EXPECT_EQ(s.width(), 1);
}

}  // namespace
