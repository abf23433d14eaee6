#include "context.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "stk/core/env.hpp"
#include "stk/core/error.hpp"
#include "stk/core/files.hpp"

namespace stk::cli {

EnvFn process_env() {
  return [](const char* name) { return stk::env(name); };
}

namespace {

std::optional<std::string>* slot(Context& c, std::string_view key) {
  if (key == "hubUrl") return &c.hub_url;
  if (key == "project") return &c.project;
  if (key == "env") return &c.env;
  if (key == "connection") return &c.connection;
  return nullptr;
}

J parse_json_file(const fs::path& file) {
  std::string text = stk::read_file(file.string());
  J j = J::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error(Code::BadRequest, file.string() + " is not valid JSON");
  return j;
}

void write_file_atomic(const fs::path& file, const std::string& content, mode_t mode) {
  stk::write_file_atomic(file.string(), content, mode);
}

fs::path absolute_start(const fs::path& start) {
  std::error_code ec;
  fs::path p = fs::absolute(start, ec);
  if (ec) p = start;
  return p.lexically_normal();
}

}  // namespace

// ---- context
// -------------------------------------------------------------------------------------------------

Context Context::from_json(const J& j) {
  if (!j.is_object()) throw Error(Code::BadRequest, "context must be a JSON object");
  Context c;
  for (const auto& [key, value] : j.items()) {
    if (auto* s = slot(c, key)) {
      if (value.is_null()) continue;
      if (!value.is_string()) throw Error(Code::BadRequest, "context '" + key + "' must be a string");
      *s = value.get<std::string>();
    } else {
      c.extra[key] = value;
    }
  }
  return c;
}

J Context::to_json() const {
  J j = J::object();
  auto put = [&j](const char* key, const std::optional<std::string>& v) {
    if (v) j[key] = *v;
  };
  put("hubUrl", hub_url);
  put("project", project);
  put("env", env);
  put("connection", connection);
  for (const auto& [key, value] : extra.items()) j[key] = value;
  return j;
}

void Context::merge(const Context& update) {
  if (update.hub_url) hub_url = update.hub_url;
  if (update.project) project = update.project;
  if (update.env) env = update.env;
  if (update.connection) connection = update.connection;
  for (const auto& [key, value] : update.extra.items()) extra[key] = value;
}

bool Context::empty() const {
  return !hub_url && !project && !env && !connection && extra.empty();
}

std::optional<fs::path> find_context_file(const fs::path& start) {
  fs::path dir = absolute_start(start);
  while (true) {
    std::error_code ec;
    fs::path candidate = dir / ".stk" / "context.json";
    if (fs::is_regular_file(candidate, ec)) return candidate;
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

std::optional<fs::path> find_stk_root(const fs::path& start) {
  fs::path dir = absolute_start(start);
  while (true) {
    std::error_code ec;
    if (fs::is_directory(dir / ".stk", ec)) return dir;
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

fs::path context_file_for_write(const fs::path& start) {
  if (auto found = find_context_file(start)) return *found;
  return absolute_start(start) / ".stk" / "context.json";
}

fs::path default_project_dir(const fs::path& start) {
  if (auto found = find_context_file(start)) return found->parent_path().parent_path();
  if (auto root = find_stk_root(start)) return *root;
  return absolute_start(start);
}

Context read_context(const fs::path& file) {
  J j = parse_json_file(file);
  try {
    return Context::from_json(j);
  } catch (const Error& e) {
    throw Error(Code::BadRequest, file.string() + ": " + e.what());
  }
}

void write_context(const fs::path& file, const Context& ctx) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) throw Error(Code::BadRequest, "cannot create " + file.parent_path().string() + ": " + ec.message());
  write_file_atomic(file, ctx.to_json().dump(2) + "\n", 0644);
}

// ---- credentials
// ---------------------------------------------------------------------------------------------

fs::path credentials_path(const EnvFn& env) {
  if (auto dir = env("STK_CONFIG_DIR")) return fs::path(*dir) / "credentials.json";
  if (auto xdg = env("XDG_CONFIG_HOME")) return fs::path(*xdg) / "santokit" / "credentials.json";
  if (auto home = env("HOME")) return fs::path(*home) / ".config" / "santokit" / "credentials.json";
  throw Error(Code::BadRequest, "cannot locate the credentials file: set STK_CONFIG_DIR or HOME");
}

CredentialStore::CredentialStore(fs::path file) : path_(std::move(file)) {}

J CredentialStore::load() const {
  std::error_code ec;
  if (!fs::exists(path_, ec)) return J::object();
  J j = parse_json_file(path_);
  if (!j.is_object()) throw Error(Code::BadRequest, path_.string() + " must hold a JSON object");
  return j;
}

void CredentialStore::save(const J& data) const {
  fs::path dir = path_.parent_path();
  std::error_code ec;
  if (!dir.empty() && !fs::exists(dir, ec)) {
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      throw Error(Code::BadRequest, "cannot create " + dir.string() + ": " + std::strerror(errno));
    ::chmod(dir.c_str(), 0700);
  }
  write_file_atomic(path_, data.dump(2) + "\n", 0600);
}

std::optional<Credential> CredentialStore::get(const std::string& hub_url) const {
  J data = load();
  auto it = data.find(normalize_hub_url(hub_url));
  if (it == data.end() || !it->is_object()) return std::nullopt;
  Credential c;
  if (auto t = it->find("token"); t != it->end() && t->is_string()) c.token = t->get<std::string>();
  if (auto e = it->find("email"); e != it->end() && e->is_string()) c.email = e->get<std::string>();
  if (c.token.empty()) return std::nullopt;
  return c;
}

void CredentialStore::set(const std::string& hub_url, const Credential& cred) {
  J data = load();
  data[normalize_hub_url(hub_url)] = J{{"token", cred.token}, {"email", cred.email}};
  save(data);
}

bool CredentialStore::erase(const std::string& hub_url) {
  J data = load();
  if (data.erase(normalize_hub_url(hub_url)) == 0) return false;
  save(data);
  return true;
}

std::string normalize_hub_url(std::string url) {
  while (!url.empty() && (url.back() == '/' || url.back() == ' ')) url.pop_back();
  while (!url.empty() && url.front() == ' ') url.erase(url.begin());
  return url;
}

// ---- precedence
// ----------------------------------------------------------------------------------------------

namespace {
std::optional<std::string> first_of(const std::string& flag, const EnvFn& env, const char* var,
                                    const std::optional<std::string>& ctx) {
  if (!flag.empty()) return flag;
  if (auto v = env(var)) return v;
  if (ctx && !ctx->empty()) return ctx;
  return std::nullopt;
}
}  // namespace

std::string resolve_hub(const std::string& flag, const EnvFn& env, const Context& ctx) {
  auto v = first_of(flag, env, "STK_HUB_URL", ctx.hub_url);
  return normalize_hub_url(v ? *v : kDefaultHubUrl);
}

std::optional<std::string> find_project(const std::string& flag, const EnvFn& env, const Context& ctx) {
  return first_of(flag, env, "STK_PROJECT", ctx.project);
}

std::optional<std::string> find_env(const std::string& flag, const EnvFn& env, const Context& ctx) {
  return first_of(flag, env, "STK_ENV", ctx.env);
}

std::string resolve_project(const std::string& flag, const EnvFn& env, const Context& ctx) {
  if (auto v = find_project(flag, env, ctx)) return *v;
  throw Error(Code::BadRequest, "context not set: pass --project or run 'stk context set --project <name>'");
}

std::string resolve_env(const std::string& flag, const EnvFn& env, const Context& ctx) {
  if (auto v = find_env(flag, env, ctx)) return *v;
  throw Error(Code::BadRequest, "context not set: pass --env or run 'stk context set --env <name>'");
}

std::optional<std::string> resolve_token(const std::string& hub_url, const EnvFn& env,
                                         const CredentialStore* store) {
  if (auto t = env("STK_AUTH_TOKEN")) return t;
  if (!store) return std::nullopt;
  if (auto c = store->get(hub_url)) return c->token;
  return std::nullopt;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name)
    if (!alnum(c) && c != '_' && c != '-') return false;
  return true;
}

}  // namespace stk::cli
