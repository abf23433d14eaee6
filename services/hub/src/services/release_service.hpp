#pragma once
// Immutable releases (spec hub §6): canonical JSON whose releaseId is a content hash, per-env current
// pointers with history, and the read side for operators and Bridges.
#include <string>

#include <nlohmann/json.hpp>

#include "services/auth_service.hpp"
#include "services/feed.hpp"
#include "store/store.hpp"

namespace stk::hub {

struct ReleaseContent {
  std::string project, env, ref;
  // Ordered JSON: the stored payload keeps declaration order (columns, storage policies); the ids hash the
  // canonical (sorted) form.
  nlohmann::ordered_json ir_by_connection;  // {"main": IR}
  nlohmann::ordered_json permissions;       // compiled permissions
  nlohmann::ordered_json storage;
  nlohmann::ordered_json logics;
  // config/limits.yaml in its release form (model::limits_to_json); null when the project has no such file,
  // and then left out of the release so that releases without it keep their ids.
  nlohmann::ordered_json limits;
};

struct BuiltRelease {
  std::string release_id;
  std::string digest;
  std::string payload;  // JSON served to Bridges (declaration order kept)
};

// Pure: same content => same bytes => same releaseId.
BuiltRelease build_release(const ReleaseContent& content);

class ReleaseService {
 public:
  ReleaseService(Store& store, AuthService& auth, Feed& feed);

  // Stores the release unless it exists (reused=true). Does not move any pointer.
  bool store_release(const BuiltRelease& r, const ReleaseContent& c, const std::string& actor_id);
  // Moves env's pointer; wakes Bridges long-polling the env. Returns false if it already pointed there.
  bool activate(const std::string& project, const std::string& env, const std::string& release_id,
                const std::string& action, const std::string& actor_id);

  nlohmann::json current(const std::string& project, const std::string& env, RequestContext& ctx);
  nlohmann::json list(const std::string& project, const std::string& env, int limit, RequestContext& ctx);
  nlohmann::json show(const std::string& release_id, const std::string& project, RequestContext& ctx);

  // Internal feed (Bridges): pointer only, and the payload by id.
  std::optional<nlohmann::json> pointer(const std::string& project, const std::string& env);
  std::optional<std::string> payload(const std::string& release_id);

 private:
  nlohmann::json metadata(const ReleaseRow& r);

  Store& store_;
  AuthService& auth_;
  Feed& feed_;
};

}  // namespace stk::hub
