#include "release/snapshot.hpp"

#include <atomic>

#include "stk/core/error.hpp"
#include "stk/sql/ident.hpp"
#include "stk/sql/types.hpp"

namespace stk::bridge {
namespace {

CompiledRule compile_rule(const nlohmann::ordered_json& r, const model::Table& table) {
  CompiledRule out;
  if (r.contains("roles") && r["roles"].is_array())
    for (const auto& role : r["roles"])
      if (role.is_string()) out.roles.push_back(role.get<std::string>());
  if (r.contains("columns") && r["columns"].is_array()) {
    bool star = false;
    for (const auto& c : r["columns"]) {
      if (!c.is_string()) continue;
      auto name = c.get<std::string>();
      if (name == "*") {
        star = true;
      } else if (!table.has_column(name)) {
        out.columns_error =
            "permission rule for table '" + table.name + "' lists unknown column '" + name + "'";
      } else {
        out.columns.insert(name);
      }
    }
    out.all_columns = star;
  }
  if (r.contains("condition") && r["condition"].is_string()) {
    const auto src = r["condition"].get<std::string>();
    auto parsed = cel::parse(src);
    if (!parsed.problems.empty()) {
      out.condition_error = "condition '" + src + "': " + parsed.problems.front().message;
    } else {
      auto problems = cel::check(*parsed.expr, table);
      if (!problems.empty())
        out.condition_error = "condition '" + src + "': " + problems.front().message;
      else
        out.condition = parsed.expr;
    }
  }
  return out;
}

// `"name" : `: a key of a row the Bridge writes, spaced as json_build_object spaces it.
std::string json_key(const std::string& name) {
  std::string k;
  sql::append_pg_json_string(k, name);
  k += " : ";
  return k;
}

}  // namespace

std::shared_ptr<const EnvRelease> compile_release(const nlohmann::ordered_json& payload,
                                                  const nlohmann::json& connections) {
  auto rel = std::make_shared<EnvRelease>();
  try {
    rel->project = payload.at("project").get<std::string>();
    rel->env = payload.at("env").get<std::string>();
    rel->release_id = payload.at("releaseId").get<std::string>();
    rel->schema = model::schema_from_ir(payload.at("schema").at("irByConnection"));
    if (auto cfg = payload.find("config");
        cfg != payload.end() && cfg->is_object() && cfg->contains("limits"))
      rel->limits = model::limits_from_json(nlohmann::json::parse((*cfg)["limits"].dump()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(Code::Internal, std::string("release payload is malformed: ") + e.what());
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const Error*>(&e)) throw;
    throw Error(Code::Internal, std::string("release payload is malformed: ") + e.what());
  }
  for (const auto& t : rel->schema.tables) {
    TableView v;
    v.table = &t;
    v.all_columns.push_back(t.id.name);
    for (const auto& c : t.columns) {
      v.all_columns.push_back(c.name);
      if (c.references && !c.references->as.empty())
        v.relations[c.references->as] = Relation{c.references->as,
                                                 c.name,
                                                 c.references->table,
                                                 c.references->column,
                                                 sql::quote_literal(c.references->as),
                                                 sql::quote_ident(c.references->table),
                                                 sql::quote_ident(c.references->column),
                                                 sql::quote_ident(c.name),
                                                 json_key(c.references->as)};
    }
    for (const auto& name : v.all_columns) {
      const auto wire = sql::json_wire_format(t.type_of(name));
      const std::string quoted = sql::quote_ident(name);
      v.outputs[name] = ColumnOutput{sql::quote_literal(name),
                                     std::string(wire.before),
                                     "." + quoted + std::string(wire.after),
                                     quoted,
                                     json_key(name),
                                     sql::wire_kind(t.type_of(name))};
    }
    for (const auto& name : v.all_columns) {
      const ColumnOutput& o = v.outputs.at(name);  // the map's nodes stay put when the view is moved
      v.all_columns_select += (v.all_columns_select.empty() ? "t0." : ", t0.") + o.quoted;
      v.all_outputs.push_back(&o);
    }
    rel->tables.emplace(t.name, std::move(v));
  }
  const auto perms = payload.value("permissions", nlohmann::ordered_json::object());
  if (perms.contains("tables") && perms["tables"].is_object()) {
    for (const auto& [tname, ops] : perms["tables"].items()) {
      auto it = rel->tables.find(tname);
      if (it == rel->tables.end() || !ops.is_object()) continue;
      for (const auto& [op, rules] : ops.items()) {
        auto& list = it->second.ops[op];
        if (rules.is_array())
          for (const auto& r : rules) list.push_back(compile_rule(r, *it->second.table));
        else if (rules.is_object())
          list.push_back(compile_rule(rules, *it->second.table));
      }
    }
  }
  if (connections.is_object())
    for (const auto& [name, c] : connections.items())
      if (c.is_object() && c.contains("dbUrl") && c["dbUrl"].is_string())
        rel->db_urls[name] = c["dbUrl"].get<std::string>();
  return rel;
}

std::shared_ptr<const Snapshot> build_snapshot(
    const nlohmann::json& state, const std::map<std::string, std::shared_ptr<const EnvRelease>>& by_env,
    int64_t confirmed_at_ms, std::string etag, const Snapshot* previous) {
  static std::atomic<uint64_t> serials{0};
  auto snap = std::make_shared<Snapshot>();
  snap->serial = ++serials;
  snap->confirmed_at_ms = confirmed_at_ms;
  snap->etag = std::move(etag);
  for (const auto& [key, rel] : by_env) snap->envs[key] = rel;
  for (const auto& e : state.value("envs", nlohmann::json::array())) {
    auto key = e.value("project", "") + "/" + e.value("env", "");
    auto it = by_env.find(key);
    if (it == by_env.end()) continue;
    for (const auto& k : e.value("keys", nlohmann::json::array())) {
      if (k.value("status", "") != "active") continue;
      ApiKeyEntry entry;
      entry.key_id = k.value("keyId", "");
      entry.digest = k.value("digest", "");
      for (const auto& r : k.value("roles", nlohmann::json::array()))
        if (r.is_string()) entry.roles.push_back(r.get<std::string>());
      entry.env = it->second;
      if (previous) {
        auto before = previous->keys.find(entry.key_id);
        if (before != previous->keys.end()) entry.use = before->second.use;
      }
      if (!entry.key_id.empty()) snap->keys[entry.key_id] = std::move(entry);
    }
  }
  return snap;
}

}  // namespace stk::bridge
