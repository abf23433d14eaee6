// schema/*.yaml -> Schema (spec hub-cli-schema §4). Two passes: each file is parsed into tables (per-node
// checks), then cross-table checks run on the merged set (references, indexes, connections, caps).
#include "stk/model/schema.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "stk/core/encoding.hpp"
#include "stk/core/time.hpp"
#include "stk/model/project.hpp"
#include "types.hpp"
#include "yaml_util.hpp"

namespace stk::model {

using detail::Entry;
using detail::Scalar;
using detail::ScalarKind;

const Column* Table::column(const std::string& n) const {
  for (const auto& c : columns) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

bool Table::has_column(const std::string& n) const {
  return n == id.name || column(n) != nullptr;
}

std::string Table::type_of(const std::string& n) const {
  if (n == id.name) return id.type;
  if (const Column* c = column(n)) return c->type;
  return "";
}

const Table* Schema::table(const std::string& n) const {
  auto it = std::lower_bound(tables.begin(), tables.end(), n,
                             [](const Table& t, const std::string& key) { return t.name < key; });
  if (it != tables.end() && it->name == n) return &*it;
  for (const auto& t : tables) {  // not sorted (hand-built schema)
    if (t.name == n) return &t;
  }
  return nullptr;
}

std::set<std::string> Schema::connections() const {
  std::set<std::string> out;
  for (const auto& t : tables) out.insert(t.connection);
  return out;
}

std::string default_index_name(const std::string& table, const std::vector<std::string>& columns,
                               bool unique) {
  std::string name = unique ? "ux_" : "ix_";
  name += table;
  for (const auto& c : columns) name += "_" + c;
  if (name.size() <= 63) return name;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(name.data()), name.size());
  std::string hex = hex_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  return name.substr(0, 54) + "_" + hex.substr(0, 8);
}

namespace {

constexpr size_t kMaxColumnsPerTable = 200;
constexpr size_t kMaxTablesPerConnection = 500;

const std::set<std::string> kGenerate = {"ulid", "nanoid", "uuid_v4", "uuid_v7", "auto_increment", "client"};
const std::set<std::string> kRefActions = {"restrict", "no_action", "cascade", "set_null", "set_default"};

std::string quote(const std::string& s) {
  return "'" + s + "'";
}

// ---- literal values -------------------------------------------------------------------------------------

// Checks a YAML value against a logical type; fills `out` with its JSON form. On failure fills `why`
// (empty = the generic "is not a valid <type>").
bool yaml_value(const YAML::Node& node, const std::string& type, const std::string& items,
                nlohmann::json& out, std::string& why, int depth) {
  if (depth > 32) {
    why = "nested too deeply";
    return false;
  }
  if (type == "json") {
    try {
      out = detail::to_json(node);
    } catch (const std::exception& e) {
      why = e.what();
      return false;
    }
    return true;
  }
  if (type == "array") {
    if (!node.IsSequence()) return false;
    auto [it_type, it_items] = detail::split_type(items);
    out = nlohmann::json::array();
    size_t index = 0;
    for (const auto& item : node) {
      nlohmann::json v;
      std::string inner_why;
      if (!yaml_value(item, it_type, it_items, v, inner_why, depth + 1)) {
        std::string text = item.IsScalar() ? quote(item.Scalar()) : detail::describe(item);
        why = "item " + std::to_string(index) + " " + text + " is not a valid " + items;
        if (!inner_why.empty()) why += " (" + inner_why + ")";
        return false;
      }
      out.push_back(std::move(v));
      ++index;
    }
    return true;
  }
  if (!node.IsScalar()) return false;
  Scalar s = detail::resolve_scalar(node);
  if (s.kind == ScalarKind::Null) return false;
  if (type == "string" || type == "file") {
    if (s.kind != ScalarKind::String) {
      why = "quote it to use it as a string";
      return false;
    }
    out = s.text;
    return true;
  }
  if (type == "int") {
    if (s.kind != ScalarKind::Int) return false;
    if (s.int_overflow || s.i < INT32_MIN || s.i > INT32_MAX) {
      why = "out of the 32-bit range; use bigint";
      return false;
    }
    out = s.i;
    return true;
  }
  if (type == "bigint") {
    if (s.kind == ScalarKind::Int) {
      if (s.int_overflow) {
        why = "out of the 64-bit range";
        return false;
      }
      out = std::to_string(s.i);
      return true;
    }
    if (s.kind != ScalarKind::String) return false;
    auto c = detail::canonical_bigint(s.text);
    if (!c) return false;
    out = *c;
    return true;
  }
  if (type == "float") {
    if (s.kind == ScalarKind::Int && !s.int_overflow) {
      out = double(s.i);
      return true;
    }
    if (s.kind != ScalarKind::Float || !std::isfinite(s.d)) return false;
    out = s.d;
    return true;
  }
  if (type == "decimal") {
    if (s.kind == ScalarKind::Bool || s.kind == ScalarKind::Null) return false;
    if (!detail::is_decimal_text(s.text)) return false;
    std::string t = s.text;
    if (!t.empty() && t[0] == '+') t.erase(0, 1);
    out = t;
    return true;
  }
  if (type == "boolean") {
    if (s.kind != ScalarKind::Bool) return false;
    out = s.b;
    return true;
  }
  if (type == "timestamp") {
    if (s.kind != ScalarKind::String || !parse_rfc3339(s.text)) return false;
    out = s.text;
    return true;
  }
  if (type == "bytes") {
    if (s.kind != ScalarKind::String || !base64_decode(s.text)) return false;
    out = s.text;
    return true;
  }
  return false;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

// ---- per-file parsing -----------------------------------------------------------------------------------

struct RefAux {
  SourcePos whole, table, column, as, on_delete, on_update;
  bool explicit_column = false;
};

struct ColAux {
  RefAux ref;
  SourcePos bucket;
};

struct IndexAux {
  SourcePos pos;
  SourcePos name;
  std::vector<SourcePos> columns;
  bool explicit_name = false;
  bool valid = true;
};

struct ParsedTable {
  Table t;
  std::string file;
  SourcePos connection_pos;  // the `connection` value, or the table key when omitted
  std::vector<ColAux> col_aux;
  std::vector<IndexAux> idx_aux;
};

class FileParser {
 public:
  FileParser(const std::string& file, const std::optional<std::set<std::string>>& known_buckets,
             Diagnostics& diags)
      : file_(file), known_buckets_(known_buckets), diags_(diags) {}

  void parse(const std::string& content, std::vector<ParsedTable>& out) {
    auto root = detail::parse_yaml(file_, content, diags_);
    if (!root) return;
    if (root->IsNull()) {
      diags_.error(SourcePos{file_, 1, 1}, "missing 'version: 1' (the file is empty)");
      return;
    }
    if (!root->IsMap()) {
      diags_.error(
          detail::pos_of(file_, *root),
          "a schema file must be a mapping with 'version: 1' and 'tables', not " + detail::describe(*root));
      return;
    }
    bool has_version = false;
    for (const Entry& e : detail::map_entries(file_, *root, diags_, "")) {
      if (e.key == "version") {
        has_version = true;
        Scalar s = detail::resolve_scalar(e.value);
        if (s.kind != ScalarKind::Int || s.i != 1) {
          diags_.error(e.value_pos, "unsupported schema version " + detail::describe(e.value) +
                                        " (only 'version: 1' is supported)");
        }
      } else if (e.key == "tables") {
        if (e.value.IsNull()) continue;
        if (!e.value.IsMap()) {
          diags_.error(e.value_pos, "'tables' must be a mapping of table name to definition, not " +
                                        detail::describe(e.value));
          continue;
        }
        for (const Entry& te : detail::map_entries(file_, e.value, diags_, "")) parse_table(te, out);
      } else {
        diags_.warning(e.key_pos, "unknown top-level key '" + e.key + "' (ignored)");
      }
    }
    if (!has_version) {
      diags_.error(detail::pos_of(file_, *root), "missing 'version: 1'");
    }
  }

 private:
  void err(const SourcePos& p, const std::string& msg) { diags_.error(p, msg); }
  void warn(const SourcePos& p, const std::string& msg) { diags_.warning(p, msg); }

  // A string scalar (plain or quoted); reports and returns nullopt otherwise.
  std::optional<std::string> string_value(const Entry& e, const std::string& what) {
    Scalar s = detail::resolve_scalar(e.value);
    if (!e.value.IsScalar() || s.kind != ScalarKind::String || s.text.empty()) {
      err(e.value_pos, what + "'" + e.key + "' must be a string, not " + detail::describe(e.value));
      return std::nullopt;
    }
    return s.text;
  }

  std::optional<bool> bool_value(const Entry& e, const std::string& what) {
    Scalar s = detail::resolve_scalar(e.value);
    if (!e.value.IsScalar() || s.kind != ScalarKind::Bool) {
      err(e.value_pos, what + "'" + e.key + "' must be true or false, not " + detail::describe(e.value));
      return std::nullopt;
    }
    return s.b;
  }

  void parse_table(const Entry& te, std::vector<ParsedTable>& out) {
    ParsedTable pt;
    pt.file = file_;
    Table& t = pt.t;
    t.name = te.key;
    t.pos = te.key_pos;
    pt.connection_pos = te.key_pos;
    const std::string what = "table '" + t.name + "': ";
    if (!detail::is_identifier(t.name)) {
      err(te.key_pos, "invalid table name '" + t.name + "' (must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$)");
    } else if (t.name.size() >= 4 &&
               std::equal(t.name.begin(), t.name.begin() + 4, "stk_",
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
      err(te.key_pos,
          "table name '" + t.name + "' is reserved (names starting with 'stk_' belong to Santokit)");
    }
    if (!te.value.IsMap()) {
      err(te.value_pos, what +
                            "expected a mapping with 'columns' (and optionally 'connection', 'id', "
                            "'indexes'), not " +
                            detail::describe(te.value));
      out.push_back(std::move(pt));
      return;
    }
    const YAML::Node* columns = nullptr;
    const Entry* columns_entry = nullptr;
    const Entry* indexes_entry = nullptr;
    auto entries = detail::map_entries(file_, te.value, diags_, what);
    for (const Entry& e : entries) {
      if (e.key == "connection") {
        pt.connection_pos = e.value_pos;
        if (auto v = string_value(e, what)) {
          if (!detail::is_connection_name(*v)) {
            err(e.value_pos,
                what + "invalid connection name '" + *v + "' (must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$)");
          }
          t.connection = *v;
        }
      } else if (e.key == "id") {
        parse_id(e, t, what);
      } else if (e.key == "columns") {
        columns = &e.value;
        columns_entry = &e;
      } else if (e.key == "indexes") {
        indexes_entry = &e;
      } else {
        warn(e.key_pos, what + "unknown key '" + e.key + "' (ignored)");
      }
    }
    if (columns && !columns->IsNull()) {
      if (!columns->IsMap()) {
        err(columns_entry->value_pos, what +
                                          "'columns' must be a mapping of column name to definition, not " +
                                          detail::describe(*columns));
      } else {
        auto col_entries = detail::map_entries(file_, *columns, diags_, what);
        if (col_entries.size() > kMaxColumnsPerTable) {
          err(columns_entry->key_pos, what + "too many columns (" + std::to_string(col_entries.size()) +
                                          ", max " + std::to_string(kMaxColumnsPerTable) + ")");
        }
        for (const Entry& ce : col_entries) parse_column(ce, pt);
      }
    }
    if (indexes_entry) parse_indexes(*indexes_entry, pt, what);
    out.push_back(std::move(pt));
  }

  void parse_id(const Entry& e, Table& t, const std::string& what) {
    if (e.value.IsNull()) return;
    if (!e.value.IsMap()) {
      err(e.value_pos, what + "'id' must be a mapping like { name: id, generate: ulid }, not " +
                           detail::describe(e.value));
      return;
    }
    std::optional<std::string> type;
    SourcePos type_pos, generate_pos = e.value_pos;
    for (const Entry& k : detail::map_entries(file_, e.value, diags_, what)) {
      if (k.key == "name") {
        if (auto v = string_value(k, what + "id ")) {
          if (!detail::is_identifier(*v)) {
            err(k.value_pos,
                what + "invalid id column name '" + *v + "' (must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$)");
          }
          t.id.name = *v;
        }
      } else if (k.key == "generate") {
        generate_pos = k.value_pos;
        if (auto v = string_value(k, what + "id ")) {
          if (!kGenerate.count(*v)) {
            err(k.value_pos, what + "unknown id generate '" + *v +
                                 "' (expected ulid, nanoid, uuid_v4, uuid_v7, auto_increment or client)");
          } else {
            t.id.generate = *v;
          }
        }
      } else if (k.key == "type") {
        type_pos = k.value_pos;
        if (auto v = string_value(k, what + "id ")) {
          if (*v != "string" && *v != "bigint") {
            err(k.value_pos,
                what + "id type '" + *v + "' is not allowed (a primary key is string or bigint)");
          } else {
            type = *v;
          }
        }
      } else {
        warn(k.key_pos, what + "id: unknown key '" + k.key + "' (ignored)");
      }
    }
    const std::string& g = t.id.generate;
    if (g == "auto_increment") {
      t.id.type = "bigint";
      if (type && *type != "bigint") {
        err(type_pos,
            what + "id type '" + *type + "' is not allowed with generate 'auto_increment' (always bigint)");
      }
    } else if (g == "client") {
      t.id.type = type.value_or("string");
    } else {
      t.id.type = "string";
      if (type && *type != "string") {
        err(type_pos,
            what + "id type '" + *type + "' is not allowed with generate '" + g + "' (always string)");
      }
    }
  }

  // `items` value: a type string or { type: array, items: ... } (recursively). Returns the normalised string.
  std::optional<std::string> parse_items(const YAML::Node& node, const SourcePos& pos,
                                         const std::string& what, const std::string& col, int depth) {
    if (depth > 16) {
      err(pos, what + "array types are nested too deeply (max 16 levels)");
      return std::nullopt;
    }
    if (node.IsMap()) {
      std::optional<std::string> type;
      SourcePos type_pos = pos;
      std::optional<YAML::Node> items;
      SourcePos items_pos = pos;
      for (const Entry& e : detail::map_entries(file_, node, diags_, what)) {
        if (e.key == "type") {
          type_pos = e.value_pos;
          if (auto v = string_value(e, what + "items ")) type = *v;
        } else if (e.key == "items") {
          items = e.value;
          items_pos = e.value_pos;
        } else {
          warn(e.key_pos, what + "items: unknown key '" + e.key + "' (ignored)");
        }
      }
      if (!type) {
        err(pos, what + "items: missing 'type'");
        return std::nullopt;
      }
      detail::TypeParse tp = detail::parse_type(*type);
      if (!tp.ok) return report_type(tp, type_pos, what, col), std::nullopt;
      if (tp.type == "file") {
        err(type_pos, what + "arrays of file are not supported (use one file column per object)");
        return std::nullopt;
      }
      if (tp.type != "array") {
        if (items) warn(items_pos, what + "'items' applies only to arrays (ignored)");
        return tp.type;
      }
      if (!tp.items.empty()) {
        if (items) err(items_pos, what + "'items' given twice (array<...> and items)");
        return "array<" + tp.items + ">";
      }
      if (!items || items->IsNull()) {
        err(type_pos, what + "an array requires 'items'");
        return std::nullopt;
      }
      auto inner = parse_items(*items, items_pos, what, col, depth + 1);
      if (!inner) return std::nullopt;
      return "array<" + *inner + ">";
    }
    Scalar s = detail::resolve_scalar(node);
    if (!node.IsScalar() || s.kind != ScalarKind::String) {
      err(pos, what + "'items' must be a type name or a mapping with 'type', not " + detail::describe(node));
      return std::nullopt;
    }
    detail::TypeParse tp = detail::parse_type(s.text);
    if (!tp.ok) return report_type(tp, pos, what, col), std::nullopt;
    if (tp.type == "file") {
      err(pos, what + "arrays of file are not supported (use one file column per object)");
      return std::nullopt;
    }
    if (tp.type == "array" && tp.items.empty()) {
      err(pos, what + "nested array type needs its item type: array<T> or { type: array, items: T }");
      return std::nullopt;
    }
    return detail::join_type(tp.type, tp.items);
  }

  void report_type(const detail::TypeParse& tp, const SourcePos& pos, const std::string& what,
                   const std::string& col) {
    if (!tp.unknown.empty()) {
      err(pos, "unknown schema type '" + tp.unknown + "' for column '" + col + "'");
    } else {
      err(pos, what + tp.error);
    }
  }

  void parse_column(const Entry& ce, ParsedTable& pt) {
    Table& t = pt.t;
    const std::string what = "table '" + t.name + "' column '" + ce.key + "': ";
    if (!detail::is_identifier(ce.key)) {
      err(ce.key_pos, "table '" + t.name + "': invalid column name '" + ce.key +
                          "' (must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$)");
    }
    if (ce.key == t.id.name) {
      err(ce.key_pos, what + "redefines the primary key '" + t.id.name +
                          "' (configure it in the table's 'id' block instead)");
      return;
    }
    Column c;
    ColAux aux;
    c.name = ce.key;
    c.pos = ce.key_pos;
    if (!ce.value.IsMap()) {
      err(ce.value_pos, what + "expected a mapping with at least 'type', not " + detail::describe(ce.value));
      return;
    }
    const Entry* default_e = nullptr;
    const Entry* items_e = nullptr;
    const Entry* bucket_e = nullptr;
    const Entry* on_delete_e = nullptr;
    const Entry* refs_e = nullptr;
    bool has_type = false, type_ok = false;
    SourcePos type_pos;
    auto entries = detail::map_entries(file_, ce.value, diags_, what);
    for (const Entry& e : entries) {
      if (e.key == "type") {
        has_type = true;
        type_pos = e.value_pos;
        Scalar s = detail::resolve_scalar(e.value);
        if (!e.value.IsScalar() || s.kind != ScalarKind::String) {
          err(e.value_pos, what + "'type' must be a type name, not " + detail::describe(e.value));
          continue;
        }
        detail::TypeParse tp = detail::parse_type(s.text);
        if (!tp.ok) {
          report_type(tp, e.value_pos, what, c.name);
          continue;
        }
        c.type = tp.type;
        c.items = tp.items;
        type_ok = true;
      } else if (e.key == "nullable") {
        if (auto b = bool_value(e, what)) c.nullable = *b;
      } else if (e.key == "unique") {
        if (auto b = bool_value(e, what)) c.unique = *b;
      } else if (e.key == "default") {
        default_e = &e;
      } else if (e.key == "items") {
        items_e = &e;
      } else if (e.key == "bucket") {
        bucket_e = &e;
      } else if (e.key == "onDelete") {
        on_delete_e = &e;
      } else if (e.key == "references") {
        refs_e = &e;
      } else {
        warn(e.key_pos, what + "unknown key '" + e.key + "' (ignored)");
      }
    }
    if (!has_type) {
      err(ce.key_pos, what + "missing 'type'");
    }
    // items
    if (type_ok && c.type == "array") {
      if (!c.items.empty()) {
        if (items_e) {
          err(items_e->key_pos, what + "'items' given twice (type array<...> and items)");
        }
      } else if (!items_e || items_e->value.IsNull()) {
        err(items_e ? items_e->key_pos : type_pos, what + "an array column requires 'items'");
        type_ok = false;
      } else if (auto items = parse_items(items_e->value, items_e->value_pos, what, c.name, 0)) {
        c.items = *items;
      } else {
        type_ok = false;
      }
    } else if (items_e && type_ok) {
      warn(items_e->key_pos, what + "'items' applies only to array columns (ignored)");
    }
    // file
    if (type_ok && c.type == "file") {
      c.file_on_delete = "preserve";
      if (!bucket_e) {
        err(type_pos, what + "a file column requires 'bucket'");
      } else if (auto v = string_value(*bucket_e, what)) {
        c.bucket = *v;
        aux.bucket = bucket_e->value_pos;
        if (known_buckets_ && !known_buckets_->count(*v)) {
          warn(bucket_e->value_pos, what + "bucket '" + *v + "' is not declared in config/storage.yaml (" +
                                        (known_buckets_->empty() ? std::string("no buckets are declared")
                                                                 : "declared: " + join(*known_buckets_)) +
                                        ")");
        }
      }
      if (on_delete_e) {
        if (auto v = string_value(*on_delete_e, what)) {
          if (*v != "preserve" && *v != "cascade") {
            err(on_delete_e->value_pos,
                what + "onDelete '" + *v + "' is not valid for a file (preserve or cascade)");
          } else {
            c.file_on_delete = *v;
          }
        }
      }
    } else if (type_ok) {
      if (bucket_e) warn(bucket_e->key_pos, what + "'bucket' applies only to file columns (ignored)");
      if (on_delete_e) {
        warn(on_delete_e->key_pos, what +
                                       "'onDelete' applies only to file columns (ignored); referential "
                                       "actions go under 'references'");
      }
    }
    // default
    if (default_e && type_ok) parse_default(*default_e, c, what);
    // references
    if (refs_e) parse_reference(*refs_e, c, aux.ref, what);
    if (!type_ok) c.type.clear();
    pt.t.columns.push_back(std::move(c));
    pt.col_aux.push_back(std::move(aux));
  }

  void parse_default(const Entry& e, Column& c, const std::string& what) {
    const YAML::Node& v = e.value;
    Scalar s = detail::resolve_scalar(v);
    if (v.IsNull() || (v.IsScalar() && s.kind == ScalarKind::Null)) {
      if (!c.nullable) err(e.value_pos, what + "default null is not allowed on a non-nullable column");
      return;  // DEFAULT NULL is the same as no default
    }
    if (v.IsScalar() && s.text == "now" && (s.plain || c.type == "timestamp")) {
      if (c.type != "timestamp") {
        err(e.value_pos,
            what + "default 'now' is only valid for timestamp columns (quote it for the literal string)");
        return;
      }
      c.default_now = true;
      return;
    }
    nlohmann::json out;
    std::string why;
    if (!yaml_value(v, c.type, c.items, out, why, 0)) {
      std::string type = detail::join_type(c.type, c.items);
      std::string msg = v.IsScalar() ? "default '" + v.Scalar() + "' is not a valid " + type
                                     : "default " + detail::describe(v) + " is not a valid " + type;
      if (!why.empty()) msg += " (" + why + ")";
      err(e.value_pos, what + msg);
      return;
    }
    c.default_value = std::move(out);
  }

  void parse_reference(const Entry& e, Column& c, RefAux& aux, const std::string& what) {
    aux.whole = e.value_pos;
    if (!e.value.IsMap()) {
      err(e.value_pos,
          what + "'references' must be a mapping like { table: authors }, not " + detail::describe(e.value));
      return;
    }
    Reference r;
    bool has_table = false;
    for (const Entry& k : detail::map_entries(file_, e.value, diags_, what)) {
      if (k.key == "table") {
        if (auto v = string_value(k, what + "references ")) {
          r.table = *v;
          has_table = true;
          aux.table = k.value_pos;
        }
      } else if (k.key == "column") {
        if (auto v = string_value(k, what + "references ")) {
          r.column = *v;
          aux.explicit_column = true;
          aux.column = k.value_pos;
        }
      } else if (k.key == "as") {
        if (auto v = string_value(k, what + "references ")) {
          aux.as = k.value_pos;
          if (!detail::is_identifier(*v)) {
            err(k.value_pos,
                what + "invalid relation name '" + *v + "' (must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$)");
          } else {
            r.as = *v;
          }
        }
      } else if (k.key == "onDelete" || k.key == "onUpdate") {
        if (auto v = string_value(k, what + "references ")) {
          if (!kRefActions.count(*v)) {
            err(k.value_pos,
                what + k.key + " '" + *v +
                    "' is not a valid action (restrict, no_action, cascade, set_null or set_default)");
            continue;
          }
          if (*v == "set_null" && !c.nullable) {
            err(k.value_pos, what + k.key + " set_null requires a nullable column (add 'nullable: true')");
          }
          (k.key == "onDelete" ? r.on_delete : r.on_update) = *v;
          (k.key == "onDelete" ? aux.on_delete : aux.on_update) = k.value_pos;
        }
      } else {
        warn(k.key_pos, what + "references: unknown key '" + k.key + "' (ignored)");
      }
    }
    if (!has_table) {
      err(e.value_pos, what + "references: missing 'table'");
      return;
    }
    c.references = std::move(r);
  }

  void parse_indexes(const Entry& e, ParsedTable& pt, const std::string& what) {
    if (e.value.IsNull()) return;
    if (!e.value.IsSequence()) {
      err(e.value_pos, what + "'indexes' must be a list, not " + detail::describe(e.value));
      return;
    }
    int n = 0;
    for (const auto& item : e.value) {
      ++n;
      const std::string iw = "table '" + pt.t.name + "' index " + std::to_string(n) + ": ";
      Index idx;
      IndexAux aux;
      aux.pos = detail::pos_of(file_, item);
      if (!item.IsMap()) {
        err(aux.pos, iw + "expected a mapping with 'columns', not " + detail::describe(item));
        continue;
      }
      bool has_columns = false;
      for (const Entry& k : detail::map_entries(file_, item, diags_, iw)) {
        if (k.key == "columns") {
          has_columns = true;
          if (!k.value.IsSequence()) {
            err(k.value_pos,
                iw + "'columns' must be a list of column names, not " + detail::describe(k.value));
            aux.valid = false;
            continue;
          }
          if (k.value.size() == 0) {
            err(k.value_pos, iw + "'columns' must not be empty");
            aux.valid = false;
          }
          for (const auto& cn : k.value) {
            Scalar s = detail::resolve_scalar(cn);
            if (!cn.IsScalar() || s.kind == ScalarKind::Null) {
              err(detail::pos_of(file_, cn), iw + "a column name is expected, not " + detail::describe(cn));
              aux.valid = false;
              continue;
            }
            idx.columns.push_back(s.text);
            aux.columns.push_back(detail::pos_of(file_, cn));
          }
        } else if (k.key == "unique") {
          if (auto b = bool_value(k, iw)) idx.unique = *b;
        } else if (k.key == "name") {
          if (auto v = string_value(k, iw)) {
            if (!detail::is_identifier(*v)) {
              err(k.value_pos,
                  iw + "invalid index name '" + *v + "' (must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$)");
            } else {
              idx.name = *v;
              aux.explicit_name = true;
              aux.name = k.value_pos;
            }
          }
        } else {
          warn(k.key_pos, iw + "unknown key '" + k.key + "' (ignored)");
        }
      }
      if (!has_columns) {
        err(aux.pos, iw + "missing 'columns'");
        aux.valid = false;
      }
      pt.t.indexes.push_back(std::move(idx));
      pt.idx_aux.push_back(std::move(aux));
    }
  }

  const std::string& file_;
  const std::optional<std::set<std::string>>& known_buckets_;
  Diagnostics& diags_;
};

std::string pos_text(const SourcePos& p) {
  return p.file + ":" + std::to_string(p.line) + ":" + std::to_string(p.col);
}

}  // namespace

Schema load_schema(const std::vector<SourceFile>& files, const LoadOptions& options, Diagnostics& diags) {
  std::vector<ParsedTable> parsed;
  for (const auto& f : files) {
    FileParser(f.path, options.known_buckets, diags).parse(f.content, parsed);
  }
  // Merge: the first definition of a name wins; later ones are errors naming the first.
  std::map<std::string, size_t> by_name;
  std::vector<ParsedTable> tables;
  for (auto& pt : parsed) {
    auto it = by_name.find(pt.t.name);
    if (it != by_name.end()) {
      diags.error(pt.t.pos,
                  "table '" + pt.t.name + "' is already defined at " + pos_text(tables[it->second].t.pos));
      continue;
    }
    by_name.emplace(pt.t.name, tables.size());
    tables.push_back(std::move(pt));
  }
  auto find = [&](const std::string& name) -> ParsedTable* {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &tables[it->second];
  };

  // Connections.
  std::map<std::string, std::vector<ParsedTable*>> per_connection;
  for (auto& pt : tables) per_connection[pt.t.connection].push_back(&pt);
  for (auto& [conn, list] : per_connection) {
    if (options.known_connections && !options.known_connections->count(conn)) {
      for (ParsedTable* pt : list) {
        std::string known = options.known_connections->empty()
                                ? "no connections are registered"
                                : "registered: " + join(*options.known_connections);
        diags.error(pt->connection_pos, "table '" + pt->t.name + "' uses connection '" + conn +
                                            "', which is not registered for this env (" + known +
                                            "); register it with: stk connections set --name " + conn +
                                            " --engine postgres --db-url <postgres://...>");
      }
    }
    if (list.size() > kMaxTablesPerConnection) {
      std::vector<ParsedTable*> sorted = list;
      std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->t.name < b->t.name; });
      diags.error(sorted[kMaxTablesPerConnection]->t.pos, "connection '" + conn + "' has too many tables (" +
                                                              std::to_string(list.size()) + ", max " +
                                                              std::to_string(kMaxTablesPerConnection) + ")");
    }
  }

  // References, relation names, indexes.
  std::map<std::string, std::map<std::string, SourcePos>> index_names;  // connection -> name -> first place
  for (auto& pt : tables) {
    Table& t = pt.t;
    std::map<std::string, SourcePos> relations;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      Column& c = t.columns[i];
      if (!c.references) continue;
      Reference& r = *c.references;
      const RefAux& aux = pt.col_aux[i].ref;
      const std::string what = "table '" + t.name + "' column '" + c.name + "': ";
      if (!r.as.empty()) {
        if (t.has_column(r.as)) {
          diags.error(aux.as, what + "relation name '" + r.as + "' clashes with column '" + r.as + "'");
        } else if (auto [it, inserted] = relations.emplace(r.as, aux.as); !inserted) {
          diags.error(aux.as,
                      what + "relation name '" + r.as + "' is already used at " + pos_text(it->second));
        }
      }
      ParsedTable* target = find(r.table);
      if (!target) {
        diags.error(aux.table, what + "references unknown table '" + r.table + "'");
        continue;
      }
      const Table& tt = target->t;
      if (tt.connection != t.connection) {
        diags.error(aux.table, what + "references table '" + r.table + "' on connection '" + tt.connection +
                                   "', but this table is on connection '" + t.connection +
                                   "' (references across connections are not allowed)");
        continue;
      }
      if (!aux.explicit_column) r.column = tt.id.name;
      SourcePos cpos = aux.explicit_column ? aux.column : aux.table;
      if (!tt.has_column(r.column)) {
        diags.error(cpos, what + "references unknown column '" + r.column + "' of table '" + r.table + "'");
        continue;
      }
      std::string mine = detail::join_type(c.type, c.items);
      std::string theirs;
      bool target_unique = false;
      if (r.column == tt.id.name) {
        theirs = tt.id.type;
        target_unique = true;
      } else {
        const Column* tc = tt.column(r.column);
        theirs = detail::join_type(tc->type, tc->items);
        target_unique = tc->unique;
        for (const auto& idx : tt.indexes) {
          if (idx.unique && idx.columns.size() == 1 && idx.columns[0] == r.column) target_unique = true;
        }
      }
      if (!c.type.empty() && mine != theirs) {
        diags.error(cpos, what + "type " + mine + " does not match the referenced column '" + r.table + "." +
                              r.column + "' (" + theirs + ")");
      }
      if (!target_unique) {
        diags.error(cpos, what + "the referenced column '" + r.table + "." + r.column +
                              "' is neither the primary key nor unique");
      }
    }
    for (size_t i = 0; i < t.indexes.size(); ++i) {
      Index& idx = t.indexes[i];
      IndexAux& aux = pt.idx_aux[i];
      const std::string what = "table '" + t.name + "' index " + std::to_string(i + 1) + ": ";
      std::set<std::string> seen;
      for (size_t k = 0; k < idx.columns.size(); ++k) {
        const std::string& cn = idx.columns[k];
        if (!t.has_column(cn)) {
          diags.error(aux.columns[k], what + "unknown column '" + cn + "'");
          aux.valid = false;
        } else if (!seen.insert(cn).second) {
          diags.error(aux.columns[k], what + "column '" + cn + "' is listed twice");
          aux.valid = false;
        }
      }
      if (!aux.explicit_name) idx.name = default_index_name(t.name, idx.columns, idx.unique);
      if (!aux.valid) continue;
      auto& names = index_names[t.connection];
      if (auto [it, inserted] = names.emplace(idx.name, aux.explicit_name ? aux.name : aux.pos); !inserted) {
        diags.error(aux.explicit_name ? aux.name : aux.pos,
                    what + "index name '" + idx.name + "' is already used at " + pos_text(it->second));
      }
    }
  }

  Schema schema;
  for (auto& pt : tables) schema.tables.push_back(std::move(pt.t));
  std::sort(schema.tables.begin(), schema.tables.end(),
            [](const Table& a, const Table& b) { return a.name < b.name; });
  return schema;
}

}  // namespace stk::model
