#pragma once
// `stk dev` talking to its Bridge: POST /call with an API key, waiting until the Bridge serves the env's
// release and knows a key, and the example data of examples/blog (orgs -> teams -> users -> posts) inserted
// through /call — the same path an app takes.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"

namespace stk::http {
class Client;
}

namespace stk::cli::dev {

struct CallResult {
  int status = 0;     // 0: no HTTP answer (connection refused, timeout)
  J body;             // parsed JSON; null when not JSON
  std::string error;  // the transport error when status == 0
};

class BridgeCaller {
 public:
  BridgeCaller(std::string base_url, std::string api_key);
  ~BridgeCaller();
  BridgeCaller(BridgeCaller&&) noexcept;
  BridgeCaller& operator=(BridgeCaller&&) noexcept;

  CallResult call(const std::string& path, const J& params);

 private:
  std::string base_url_;
  std::string api_key_;
  std::unique_ptr<http::Client> client_;
};

using CallFn = std::function<CallResult(const std::string& path, const J& params)>;
CallFn caller_for(BridgeCaller& bridge);  // `bridge` must outlive the function

// Calls `path` with `params` until the answer means "the release is loaded and the key is known": anything
// but no answer, 401 (key not synced yet), 404 (no release yet) and 503. Returns that answer. Throws
// CliError with the last answer after `timeout`, Interrupted on Ctrl-C.
CallResult wait_until_serving(const CallFn& call, const std::string& path, const J& params,
                              std::chrono::seconds timeout);

// The message of an error answer: "403 FORBIDDEN: no rule grants delete on posts", or the transport error.
std::string describe(const CallResult& r);

// True when the project has the tables the example data needs (orgs, teams, users, posts).
bool has_blog_tables(const std::vector<std::string>& tables);

struct SeedCounts {
  size_t orgs = 0, teams = 0, users = 0, posts = 0;
};
// Inserts the example rows, each table in one batch, using the ids the Bridge returns for the references.
// `call` must carry a key that may insert into the four tables. Throws CliError naming the failed step.
SeedCounts seed_blog(const CallFn& call);

}  // namespace stk::cli::dev
