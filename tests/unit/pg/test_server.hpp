#pragma once
// The PostgreSQL the pg unit tests run against: STK_TEST_PG_URL, or the private instance of scripts/test-pg.
#include <cstdio>
#include <cstdlib>
#include <string>

namespace stk::test {

inline std::string server_url() {
  if (const char* u = std::getenv("STK_TEST_PG_URL"); u && *u) return u;
  std::string cmd = std::string(STK_SOURCE_DIR) + "/scripts/test-pg start";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return "";
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// Same server, another database: replaces the URL path.
inline std::string url_for_db(const std::string& url, const std::string& db) {
  size_t authority = url.find("://") + 3;
  size_t slash = url.find('/', authority);
  size_t query = url.find('?', authority);
  std::string head =
      url.substr(0, slash == std::string::npos ? (query == std::string::npos ? url.size() : query) : slash);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return head + "/" + db + tail;
}

}  // namespace stk::test
