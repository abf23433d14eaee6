// Schema <-> IR JSON (spec hub-cli-schema §4.6).
#include <algorithm>

#include "stk/core/error.hpp"
#include "stk/model/schema.hpp"
#include "types.hpp"

namespace stk::model {

namespace {

nlohmann::ordered_json column_ir(const Column& c) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["type"] = c.type;
  if (c.type == "array") j["items"] = c.items;
  j["nullable"] = c.nullable;
  j["unique"] = c.unique;
  if (c.default_now) {
    j["defaultNow"] = true;
  } else if (c.default_value) {
    j["default"] = nlohmann::ordered_json::parse(c.default_value->dump());
  }
  if (c.type == "file") {
    j["bucket"] = c.bucket;
    j["onDelete"] = c.file_on_delete.empty() ? "preserve" : c.file_on_delete;
  }
  if (c.references) {
    const Reference& r = *c.references;
    nlohmann::ordered_json ref = nlohmann::ordered_json::object();
    ref["table"] = r.table;
    ref["column"] = r.column;
    if (!r.as.empty()) ref["as"] = r.as;
    ref["onDelete"] = r.on_delete;
    ref["onUpdate"] = r.on_update;
    j["references"] = std::move(ref);
  }
  return j;
}

nlohmann::ordered_json table_ir(const Table& t) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["connection"] = t.connection;
  j["id"] = {{"name", t.id.name}, {"type", t.id.type}, {"generate", t.id.generate}};
  nlohmann::ordered_json cols = nlohmann::ordered_json::object();
  for (const auto& c : t.columns) cols[c.name] = column_ir(c);
  j["columns"] = std::move(cols);
  nlohmann::ordered_json idx = nlohmann::ordered_json::array();
  for (const auto& i : t.indexes) {
    nlohmann::ordered_json ij = nlohmann::ordered_json::object();
    ij["name"] = i.name;
    ij["columns"] = i.columns;
    ij["unique"] = i.unique;
    idx.push_back(std::move(ij));
  }
  j["indexes"] = std::move(idx);
  return j;
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw stk::Error(stk::Code::BadRequest, "schema IR: " + where + what);
}

template <typename J>
const J& member(const J& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) bad(where, std::string("missing '") + key + "'");
  return *it;
}

template <typename J>
std::string str(const J& obj, const char* key, const std::string& where) {
  const J& v = member(obj, key, where);
  if (!v.is_string()) bad(where, std::string("'") + key + "' must be a string");
  return v.template get<std::string>();
}

template <typename J>
bool boolean(const J& obj, const char* key, const std::string& where, bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_boolean()) bad(where, std::string("'") + key + "' must be a boolean");
  return it->template get<bool>();
}

template <typename J>
Table table_from_ir(const std::string& name, const J& j, const std::string& connection_hint) {
  const std::string where = "table '" + name + "': ";
  if (!j.is_object()) bad(where, "must be an object");
  Table t;
  t.name = name;
  t.connection = j.contains("connection") ? str(j, "connection", where)
                                          : (connection_hint.empty() ? std::string("main") : connection_hint);
  if (!connection_hint.empty() && t.connection != connection_hint) {
    bad(where,
        "connection '" + t.connection + "' does not match its IR connection '" + connection_hint + "'");
  }
  const J& id = member(j, "id", where);
  if (!id.is_object()) bad(where, "'id' must be an object");
  t.id.name = str(id, "name", where + "id: ");
  t.id.type = str(id, "type", where + "id: ");
  t.id.generate = str(id, "generate", where + "id: ");
  if (t.id.type != "string" && t.id.type != "bigint") bad(where, "id type '" + t.id.type + "' is not valid");
  const J& cols = member(j, "columns", where);
  if (!cols.is_object()) bad(where, "'columns' must be an object");
  for (auto it = cols.begin(); it != cols.end(); ++it) {
    const std::string cw = where + "column '" + it.key() + "': ";
    const J& cj = it.value();
    if (!cj.is_object()) bad(cw, "must be an object");
    Column c;
    c.name = it.key();
    c.type = str(cj, "type", cw);
    if (c.type == "array") {
      c.items = str(cj, "items", cw);
      detail::TypeParse tp = detail::parse_type("array<" + c.items + ">");
      if (!tp.ok) bad(cw, "items '" + c.items + "' is not a valid type");
    } else if (!scalar_types().count(c.type)) {
      bad(cw, "type '" + c.type + "' is not valid");
    }
    c.nullable = boolean(cj, "nullable", cw, false);
    c.unique = boolean(cj, "unique", cw, false);
    c.default_now = boolean(cj, "defaultNow", cw, false);
    if (auto d = cj.find("default"); d != cj.end()) c.default_value = nlohmann::json::parse(d->dump());
    if (c.type == "file") {
      c.bucket = str(cj, "bucket", cw);
      c.file_on_delete = cj.contains("onDelete") ? str(cj, "onDelete", cw) : "preserve";
    }
    if (auto r = cj.find("references"); r != cj.end()) {
      if (!r->is_object()) bad(cw, "'references' must be an object");
      Reference ref;
      ref.table = str(*r, "table", cw + "references: ");
      ref.column = str(*r, "column", cw + "references: ");
      if (r->contains("as")) ref.as = str(*r, "as", cw + "references: ");
      if (r->contains("onDelete")) ref.on_delete = str(*r, "onDelete", cw + "references: ");
      if (r->contains("onUpdate")) ref.on_update = str(*r, "onUpdate", cw + "references: ");
      c.references = std::move(ref);
    }
    t.columns.push_back(std::move(c));
  }
  if (auto ix = j.find("indexes"); ix != j.end()) {
    if (!ix->is_array()) bad(where, "'indexes' must be an array");
    for (const auto& ij : *ix) {
      if (!ij.is_object()) bad(where, "each index must be an object");
      Index idx;
      idx.name = str(ij, "name", where + "index: ");
      const J& ic = member(ij, "columns", where + "index '" + idx.name + "': ");
      if (!ic.is_array()) bad(where, "index '" + idx.name + "': 'columns' must be an array");
      for (const auto& c : ic) {
        if (!c.is_string()) bad(where, "index '" + idx.name + "': column names must be strings");
        idx.columns.push_back(c.template get<std::string>());
      }
      idx.unique = boolean(ij, "unique", where, false);
      t.indexes.push_back(std::move(idx));
    }
  }
  return t;
}

template <typename J>
void tables_from_ir(const J& ir, const std::string& connection, Schema& out) {
  if (!ir.is_object()) bad("", "connection '" + connection + "' must be an object");
  if (auto v = ir.find("version");
      v != ir.end() && !(v->is_number_integer() && v->template get<int64_t>() == 1)) {
    bad("", "unsupported version (expected 1)");
  }
  const J& tables = member(ir, "tables", "");
  if (!tables.is_object()) bad("", "'tables' must be an object");
  for (auto it = tables.begin(); it != tables.end(); ++it) {
    if (out.table(it.key())) bad("", "table '" + it.key() + "' appears twice");
    out.tables.push_back(table_from_ir(it.key(), it.value(), connection));
  }
}

template <typename J>
Schema from_ir(const J& j) {
  if (!j.is_object()) bad("", "must be an object");
  Schema s;
  auto v = j.find("version");
  if (v != j.end() && v->is_number() && j.contains("tables")) {
    tables_from_ir(j, "", s);
  } else {
    for (auto it = j.begin(); it != j.end(); ++it) tables_from_ir(it.value(), it.key(), s);
  }
  std::sort(s.tables.begin(), s.tables.end(), [](const Table& a, const Table& b) { return a.name < b.name; });
  return s;
}

}  // namespace

nlohmann::ordered_json schema_to_ir(const Schema& schema, const std::string& connection) {
  nlohmann::ordered_json ir = nlohmann::ordered_json::object();
  ir["version"] = 1;
  nlohmann::ordered_json tables = nlohmann::ordered_json::object();
  std::vector<const Table*> sorted;
  for (const auto& t : schema.tables) {
    if (t.connection == connection) sorted.push_back(&t);
  }
  std::sort(sorted.begin(), sorted.end(), [](const Table* a, const Table* b) { return a->name < b->name; });
  for (const Table* t : sorted) tables[t->name] = table_ir(*t);
  ir["tables"] = std::move(tables);
  return ir;
}

nlohmann::ordered_json schema_to_ir_by_connection(const Schema& schema) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& conn : schema.connections()) out[conn] = schema_to_ir(schema, conn);
  return out;
}

Schema schema_from_ir(const nlohmann::json& ir) {
  return from_ir(ir);
}
Schema schema_from_ir(const nlohmann::ordered_json& ir) {
  return from_ir(ir);
}

}  // namespace stk::model
