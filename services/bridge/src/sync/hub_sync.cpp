#include "sync/hub_sync.hpp"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "stk/core/error.hpp"
#include "stk/core/files.hpp"
#include "stk/core/json.hpp"
#include "stk/core/log.hpp"
#include "stk/core/time.hpp"
#include "stk/crypto/crypto.hpp"
#include "sync/hub_client.hpp"

namespace stk::bridge {

namespace fs = std::filesystem;

namespace {

bool safe_release_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

}  // namespace

HubSync::HubSync(const BridgeConfig& config, ReleaseCache& cache) : config_(config), cache_(cache) {}

HubSync::~HubSync() {
  stop();
}

void HubSync::start() {
  std::error_code ec;
  fs::create_directories(fs::path(config_.cache_dir) / "releases", ec);
  ::chmod(config_.cache_dir.c_str(), 0700);
  try {
    load_disk_cache();
  } catch (const std::exception& e) {
    log::warn("release disk cache unreadable; waiting for the Hub", {{"reason", e.what()}});
  }
  thread_ = std::thread([this] { run(); });
}

void HubSync::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (active_) active_->interrupt();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HubSync::load_disk_cache() {
  auto state_path = fs::path(config_.cache_dir) / "state.json";
  if (!fs::exists(state_path)) return;
  auto doc = nlohmann::json::parse(read_file(state_path.string()));
  auto snap =
      assemble(doc.at("state"), nullptr, doc.value("confirmedAtMs", int64_t(0)), doc.value("etag", ""));
  cache_.publish(snap);
  log::info("serving releases from the disk cache until the Hub answers",
            {{"envs", snap->envs.size()}, {"confirmedAtMs", snap->confirmed_at_ms}});
}

std::shared_ptr<const Snapshot> HubSync::assemble(const nlohmann::json& state, HubClient* hub,
                                                  int64_t confirmed_ms, const std::string& etag) {
  std::map<std::string, std::shared_ptr<const EnvRelease>> by_env;
  decltype(compiled_) next;
  for (const auto& e : state.value("envs", nlohmann::json::array())) {
    const std::string key = e.value("project", "") + "/" + e.value("env", "");
    const std::string id = e.value("releaseId", "");
    const auto conns = e.value("connections", nlohmann::json::object());
    const std::string version = id + "|" + crypto::sha256_hex(canonical_dump(conns));
    auto old = compiled_.find(key);
    if (old != compiled_.end() && old->second.first == version) {
      by_env[key] = old->second.second;
      next[key] = old->second;
      continue;
    }
    if (!safe_release_id(id)) throw Error(Code::Internal, "hub state names an invalid release id");
    auto file = fs::path(config_.cache_dir) / "releases" / (id + ".json");
    std::string text;
    if (fs::exists(file)) {
      text = read_file(file.string());
    } else {
      if (!hub) throw Error(Code::Internal, "release " + id + " is missing from the disk cache");
      auto r = hub->get("/internal/releases/" + id, "", 10000);
      if (r.status != 200)
        throw Error(Code::Unavailable, "hub answered " + std::to_string(r.status) + " for release " + id);
      text = r.body;
      write_file_atomic(file.string(), text, 0600);
    }
    auto rel = compile_release(nlohmann::ordered_json::parse(text), conns);
    by_env[key] = rel;
    next[key] = {version, rel};
    log::info("release loaded",
              {{"project", rel->project}, {"env", rel->env}, {"releaseId", rel->release_id}});
  }
  compiled_ = std::move(next);
  return build_snapshot(state, by_env, confirmed_ms, etag, cache_.current().get());
}

bool HubSync::poll_once(HubClient& hub) {
  const int wait = etag_.empty() ? 0 : config_.poll_wait_seconds;
  auto r = hub.get("/internal/bridge/state?wait=" + std::to_string(wait), etag_, (wait + 15) * 1000);
  if (r.status == 304) {
    cache_.confirm(unix_ms());
    return true;
  }
  if (r.status != 200) {
    log::warn("hub release feed answered with an error",
              {{"status", r.status}, {"hint", r.status == 401 ? "check STK_BRIDGE_TOKEN" : ""}});
    return false;
  }
  auto state = nlohmann::json::parse(r.body);
  std::string etag(r.header("etag"));
  int64_t now = unix_ms();
  auto snap = assemble(state, &hub, now, etag);
  cache_.publish(snap);
  etag_ = etag;
  nlohmann::json doc = {{"etag", etag}, {"confirmedAtMs", now}, {"state", state}};
  write_file_atomic((fs::path(config_.cache_dir) / "state.json").string(), doc.dump(), 0600);
  return true;
}

void HubSync::run() {
  std::unique_ptr<HubClient> hub;
  int backoff_ms = 250;
  bool warned = false;
  while (!stopping_) {
    bool ok = false;
    try {
      if (!hub) {
        auto fresh = std::make_unique<HubClient>(config_.hub_url, config_.bridge_token);
        std::lock_guard lock(mu_);
        if (stopping_) break;
        hub = std::move(fresh);
        active_ = hub.get();
      }
      ok = poll_once(*hub);
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(mu_);
        active_ = nullptr;
      }
      hub.reset();
      if (stopping_) break;
      if (!warned)
        log::warn("hub unreachable; serving the cached releases",
                  {{"hub", log::redact_url(config_.hub_url)}, {"reason", e.what()}});
      warned = true;
    }
    hub_ok_ = ok;
    if (!ok) poll_failures_.fetch_add(1, std::memory_order_relaxed);
    if (ok) {
      if (warned) log::info("hub reachable again");
      warned = false;
      backoff_ms = 250;
      continue;
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stopping_.load(); });
    backoff_ms = std::min(backoff_ms * 2, 5000);
  }
  std::lock_guard lock(mu_);
  active_ = nullptr;
}

}  // namespace stk::bridge
