#include "config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "stk/core/error.hpp"

namespace {

using stk::bridge::BridgeConfig;

// Sets the given variables for one test and clears them again.
class BridgeConfigEnv : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* n : {"STK_BRIDGE_THREADS", "STK_BRIDGE_DB_POOL_SIZE", "STK_BRIDGE_DB_SPREAD"})
      unsetenv(n);
  }
  static int cores() { return int(std::max(1u, std::thread::hardware_concurrency())); }
};

TEST_F(BridgeConfigEnv, SpreadDefaultsToTheCoresEachWorkerHasToItself) {
  setenv("STK_BRIDGE_DB_POOL_SIZE", "64", 1);
  EXPECT_EQ(BridgeConfig::from_env().db_spread, 1) << "a worker per core: one backend each";
  setenv("STK_BRIDGE_THREADS", "1", 1);
  EXPECT_EQ(BridgeConfig::from_env().db_spread, cores());
  setenv("STK_BRIDGE_THREADS", std::to_string(cores() * 4).c_str(), 1);
  EXPECT_EQ(BridgeConfig::from_env().db_spread, 1) << "never below one";
}

TEST_F(BridgeConfigEnv, SpreadIsSetAndCappedByThePoolSize) {
  setenv("STK_BRIDGE_DB_SPREAD", "3", 1);
  EXPECT_EQ(BridgeConfig::from_env().db_spread, 3);
  setenv("STK_BRIDGE_DB_POOL_SIZE", "2", 1);
  EXPECT_EQ(BridgeConfig::from_env().db_spread, 2);
}

TEST_F(BridgeConfigEnv, SpreadOutOfRangeSaysWhatIsAllowed) {
  setenv("STK_BRIDGE_DB_SPREAD", "-1", 1);
  try {
    BridgeConfig::from_env();
    FAIL() << "accepted -1";
  } catch (const stk::Error& e) {
    EXPECT_NE(std::string(e.what()).find("STK_BRIDGE_DB_SPREAD must be between 0 and 1000"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
