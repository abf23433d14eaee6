#pragma once
// A project snapshot (the files `stk apply` uploads) and the loader that validates it into typed IR.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stk/model/diagnostics.hpp"
#include "stk/model/limits.hpp"
#include "stk/model/permissions.hpp"
#include "stk/model/schema.hpp"

namespace stk::model {

struct SourceFile {
  std::string path;  // relative to the project root: "schema/catalog.yaml"
  std::string content;
};

struct ProjectFiles {
  std::vector<SourceFile> schema;             // schema/*.yaml|*.yml (not recursive), sorted by path
  std::optional<std::string> permissions;     // config/permissions.yaml
  std::optional<std::string> storage;         // config/storage.yaml
  std::optional<std::string> limits;          // config/limits.yaml
  std::map<std::string, std::string> logics;  // logic name ("orders/list") -> file content
};

// Reads a project folder from disk (schema/, config/, logics/). Throws stk::Error(BadRequest) when the folder
// does not exist or a file cannot be read.
ProjectFiles read_project_dir(const std::string& root);

struct LoadOptions {
  // When set, a table whose `connection` is not in this set is an error (spec §4.5).
  std::optional<std::set<std::string>> known_connections;
  // When set, a file column whose `bucket` is not in this set is a warning (spec §4.3). load_project fills it
  // from config/storage.yaml `buckets` when that section is declared.
  std::optional<std::set<std::string>> known_buckets;
};

struct Project {
  Schema schema;
  Permissions permissions;
  std::optional<Limits> limits;                       // config/limits.yaml when present
  nlohmann::json storage = nlohmann::json::object();  // parsed config/storage.yaml (shape not validated yet)
  // The same document with map order kept (storage `policies` are ordered: first matching pattern wins).
  nlohmann::ordered_json storage_ordered = nlohmann::ordered_json::object();
  nlohmann::json logics = nlohmann::json::object();  // name -> {"meta":{...},"sql":"..."} | {"raw":...}
};
// CEL conditions are checked and compiled by libs/cel (cel::compile_permissions), which depends on this lib.

// Loads and validates everything; all problems are collected (never stops at the first one).
// `out` is meaningful only when !diags.has_errors().
Project load_project(const ProjectFiles& files, const LoadOptions& options, Diagnostics& diags);

// Parts, usable on their own:
Schema load_schema(const std::vector<SourceFile>& files, const LoadOptions& options, Diagnostics& diags);
Permissions load_permissions(const std::string& path, const std::string& content, const Schema& schema,
                             Diagnostics& diags);

}  // namespace stk::model
