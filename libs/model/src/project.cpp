// Project folder reading and the whole-project loader (spec hub-cli-schema §3).
#include "stk/model/project.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stk/core/error.hpp"
#include "yaml_util.hpp"

namespace stk::model {

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw stk::Error(stk::Code::BadRequest, "cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw stk::Error(stk::Code::BadRequest, "cannot read " + p.string());
  return ss.str();
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

}  // namespace

ProjectFiles read_project_dir(const std::string& root_str) {
  const fs::path root(root_str);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw stk::Error(stk::Code::BadRequest, "project folder '" + root_str + "' does not exist");
  }
  ProjectFiles out;
  const fs::path schema_dir = root / "schema";
  if (fs::is_directory(schema_dir, ec)) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(schema_dir)) {
      const auto ext = entry.path().extension().string();
      if ((ext == ".yaml" || ext == ".yml") && is_file(entry.path()))
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) out.schema.push_back({"schema/" + n, read_file(schema_dir / n)});
  }
  if (is_file(root / "config" / "permissions.yaml")) {
    out.permissions = read_file(root / "config" / "permissions.yaml");
  }
  if (is_file(root / "config" / "storage.yaml")) out.storage = read_file(root / "config" / "storage.yaml");
  if (is_file(root / "config" / "limits.yaml")) out.limits = read_file(root / "config" / "limits.yaml");
  const fs::path logics_dir = root / "logics";
  if (fs::is_directory(logics_dir, ec)) {
    for (auto it = fs::recursive_directory_iterator(logics_dir); it != fs::recursive_directory_iterator();
         ++it) {
      if (it->path().extension() != ".sql" || !is_file(it->path())) continue;
      std::string rel = it->path().lexically_relative(logics_dir).generic_string();
      rel.resize(rel.size() - 4);
      out.logics[rel] = read_file(it->path());
    }
  }
  return out;
}

namespace {

// Splits `content` into lines keeping the offset of each line start.
bool take_line(const std::string& s, size_t& pos, std::string& line) {
  if (pos >= s.size()) return false;
  size_t nl = s.find('\n', pos);
  size_t end = nl == std::string::npos ? s.size() : nl;
  line = s.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  pos = nl == std::string::npos ? s.size() : nl + 1;
  return true;
}

nlohmann::json load_logic(const std::string& name, const std::string& content, Diagnostics& diags) {
  const std::string file = "logics/" + name + ".sql";
  nlohmann::json out = nlohmann::json::object();
  size_t pos = 0;
  std::string line;
  if (!take_line(content, pos, line) || line != "---") {
    out["meta"] = nlohmann::json::object();
    out["sql"] = content;
    return out;
  }
  const size_t fm_start = pos;
  size_t fm_end = std::string::npos;
  while (true) {
    size_t line_start = pos;
    if (!take_line(content, pos, line)) break;
    if (line == "---") {
      fm_end = line_start;
      break;
    }
  }
  auto raw = [&](const SourcePos& p, const std::string& why) {
    diags.warning(p,
                  "logic '" + name + "': " + why + "; the Bridge will reject calls to it until it is fixed");
    nlohmann::json r = nlohmann::json::object();
    r["raw"] = content;
    return r;
  };
  if (fm_end == std::string::npos)
    return raw(SourcePos{file, 1, 1}, "front matter is not closed by a '---' line");
  Diagnostics yaml_diags;
  auto node = detail::parse_yaml(file, content.substr(fm_start, fm_end - fm_start), yaml_diags, 1);
  if (!node)
    return raw(yaml_diags.items.front().pos,
               "front matter is not valid YAML: " + yaml_diags.items.front().message);
  nlohmann::json meta;
  if (node->IsNull()) {
    meta = nlohmann::json::object();
  } else if (!node->IsMap()) {
    SourcePos p = detail::pos_of(file, *node);
    p.line += 1;
    return raw(p, "front matter must be a mapping");
  } else {
    try {
      meta = detail::to_json(*node);
    } catch (const std::exception& e) {
      return raw(SourcePos{file, 2, 1}, std::string("front matter: ") + e.what());
    }
  }
  out["meta"] = std::move(meta);
  out["sql"] = content.substr(pos);
  return out;
}

}  // namespace

Project load_project(const ProjectFiles& files, const LoadOptions& options, Diagnostics& diags) {
  Project p;
  LoadOptions opts = options;
  if (files.storage) {
    const std::string path = "config/storage.yaml";
    if (auto node = detail::parse_yaml(path, *files.storage, diags)) {
      if (node->IsNull()) {
        // empty file = {}
      } else if (!node->IsMap()) {
        diags.error(detail::pos_of(path, *node),
                    "config/storage.yaml must be a mapping, not " + detail::describe(*node));
      } else {
        try {
          p.storage_ordered = detail::to_ordered_json(*node);
          p.storage = nlohmann::json::parse(p.storage_ordered.dump());
        } catch (const std::exception& e) {
          diags.error(detail::pos_of(path, *node), std::string("config/storage.yaml: ") + e.what());
        }
        if (!opts.known_buckets && p.storage.contains("buckets") && p.storage["buckets"].is_object()) {
          std::set<std::string> names;
          for (auto it = p.storage["buckets"].begin(); it != p.storage["buckets"].end(); ++it)
            names.insert(it.key());
          opts.known_buckets = std::move(names);
        }
      }
    }
  }
  p.schema = load_schema(files.schema, opts, diags);
  if (files.permissions) {
    p.permissions = load_permissions("config/permissions.yaml", *files.permissions, p.schema, diags);
  }
  if (files.limits) p.limits = load_limits("config/limits.yaml", *files.limits, diags);
  for (const auto& [name, content] : files.logics) {
    if (!detail::check_utf8("logics/" + name + ".sql", content, diags)) continue;  // cannot go into a release
    p.logics[name] = load_logic(name, content, diags);
  }
  return p;
}

}  // namespace stk::model
