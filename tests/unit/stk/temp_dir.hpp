#pragma once
// Scratch files for the CLI tests.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

// A fresh directory under $TMPDIR for one test, removed with everything in it when the test ends.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "stk-cli-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Writes `content` to `p`, creating the parent directories.
inline void write(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << content;
}
