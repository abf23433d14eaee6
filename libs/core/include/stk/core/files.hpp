#pragma once
// Small file helpers shared by the CLI (profile, context) and the Bridge (release disk cache).
#include <sys/types.h>

#include <string>

namespace stk {

// Whole file; throws stk::Error(BadRequest, "cannot read <path>: <reason>").
std::string read_file(const std::string& path);
// Writes through a temp file in the same directory with `mode`, fsyncs, then renames over `path`: readers
// see the old or the new content, never a torn one. Throws stk::Error(BadRequest, "cannot write …").
void write_file_atomic(const std::string& path, const std::string& content, mode_t mode);

}  // namespace stk
