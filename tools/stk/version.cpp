#include "version.hpp"

#ifndef STK_CLI_VERSION
#define STK_CLI_VERSION "0.0.0"
#endif
#ifndef STK_CLI_COMMIT_SHA
#define STK_CLI_COMMIT_SHA "unknown"
#endif

namespace stk::cli {

const char* const kCliVersion = STK_CLI_VERSION;
const char* const kCliCommitSha = STK_CLI_COMMIT_SHA;

}  // namespace stk::cli
