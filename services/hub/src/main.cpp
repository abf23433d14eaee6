// santokit-hub: the control plane. Configuration comes from the environment (docs/configuration.md).
#include <pthread.h>
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "api/hub_app.hpp"
#include "stk/core/error.hpp"
#include "stk/core/log.hpp"
#include "stk/http/server.hpp"

namespace {
const char* kHelp = R"(santokit-hub — Santokit control plane

Usage: santokit-hub [--help] [--version]

Configuration is read from the environment:
  STK_SECRET_KEY                    required: 32 bytes (raw or base64) encrypting DB URLs at rest
  STK_HUB_PORT                      listen port (default 4000; 0 = pick a free port, printed at start)
  STK_HUB_HOST                      listen address (default 0.0.0.0)
  STK_HUB_DB_URL                    store: sqlite:///abs/path.db (default sqlite://santokit-hub.db)
  STK_HUB_BOOTSTRAP_OWNER_EMAIL     first owner, created at first start
  STK_HUB_BOOTSTRAP_OWNER_PASSWORD  its password (at least 8 characters)
  STK_BRIDGE_TOKENS                 comma list of service tokens Bridges use for /internal
  STK_HUB_SESSION_TTL_HOURS         operator session lifetime (default 12)
  STK_AUDIT_RETENTION_DAYS          audit log retention (default 90)
  STK_HUB_THREADS                   request worker threads (default 4)
  STK_LOG_LEVEL / STK_LOG_FORMAT    debug|info|warn|error / json|pretty
)";

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::cout << kHelp;
      return 0;
    }
    if (!std::strcmp(argv[i], "--version")) {
      std::cout << "santokit-hub " << STK_VERSION << " (" << STK_COMMIT_SHA << ")\n";
      return 0;
    }
    std::cerr << "santokit-hub: unknown argument '" << argv[i]
              << "' (configuration is read from STK_* environment "
              << "variables; see --help)\n";
    return 2;
  }
  stk::log::init_from_env();
  stk::log::set_sink(stk::log::Sink::Stdout);  // spec sdk-mcp-observability §6
  // Block SIGINT/SIGTERM in every thread (they inherit the mask) and wait for them here, in main only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    auto config = stk::hub::HubConfig::from_env();
    stk::hub::HubApp app(config);
    stk::http::ServerOptions opts;
    opts.host = config.host;
    opts.port = uint16_t(config.port);
    opts.threads = 2;
    opts.max_body_bytes = size_t(config.max_body_mb) * 1024 * 1024;
    stk::http::Server server(opts, [&app](stk::http::Request&& req, stk::http::Respond respond) {
      app.handle(std::move(req), std::move(respond));
    });
    server.start();
    stk::log::info("santokit-hub listening",
                   {{"host", config.host}, {"port", int(server.port())}, {"version", STK_VERSION}});
    int sig = 0;
    sigwait(&signals, &sig);
    stk::log::info("santokit-hub shutting down");
    server.stop();
    app.shutdown();
    return 0;
  } catch (const stk::Error& e) {
    stk::log::error(e.what());
    std::cerr << "santokit-hub: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "santokit-hub: " << e.what() << "\n";
    return 1;
  }
}
