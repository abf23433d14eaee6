#pragma once
// The CLI's own version, from CMake (PROJECT_VERSION and the git commit at configure time).

namespace stk::cli {

extern const char* const kCliVersion;    // "0.1.0"
extern const char* const kCliCommitSha;  // short SHA or "unknown"

}  // namespace stk::cli
