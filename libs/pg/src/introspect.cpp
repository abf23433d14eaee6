#include "stk/pg/introspect.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace stk::pg {

namespace {

constexpr const char* kTableFilter =
    " AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname NOT LIKE 'stk\\_%'";

const std::string kColumnsSql =
    std::string(R"(SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
  a.attnotnull, COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity, a.attgenerated
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = 'public')") +
    kTableFilter + " ORDER BY c.relname, a.attnum";

const std::string kConstraintsSql = std::string(R"(SELECT c.relname, con.conname, con.contype,
  to_json(ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord))::text,
  COALESCE(CASE WHEN fn.nspname = 'public' THEN fc.relname::text ELSE fn.nspname || '.' || fc.relname END, ''),
  to_json(ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord))::text,
  con.confdeltype, con.confupdtype
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE n.nspname = 'public' AND con.contype IN ('p', 'u', 'f'))") +
                                    kTableFilter + " ORDER BY c.relname, con.conname";

const std::string kIndexesSql = std::string(R"(SELECT c.relname, i.relname, ix.indisunique,
  ix.indexrelid IN (SELECT con.conindid FROM pg_catalog.pg_constraint con WHERE con.contype IN ('p', 'u', 'x')),
  am.amname, COALESCE(pg_get_expr(ix.indpred, ix.indrelid), ''),
  to_json(ARRAY(SELECT CASE WHEN ix.indkey[k] = 0 THEN pg_get_indexdef(ix.indexrelid, k + 1, true)
      ELSE (SELECT a.attname::text FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k]) END
    FROM generate_series(0, ix.indnkeyatts - 1) AS k ORDER BY k))::text
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = ix.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = i.relam
WHERE n.nspname = 'public')") + kTableFilter +
                                " ORDER BY c.relname, i.relname";

std::string str(const Result& r, int row, int col) {
  return std::string(r.value(row, col));
}
bool boolean(const Result& r, int row, int col) {
  return r.value(row, col) == "t";
}

std::vector<std::string> names(const Result& r, int row, int col) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(r.value(row, col), nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& x : j)
    if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

std::string fk_action(std::string_view code) {
  if (code == "r") return "restrict";
  if (code == "c") return "cascade";
  if (code == "n") return "set_null";
  if (code == "d") return "set_default";
  return "no_action";  // 'a'
}

sql::LiveTable& table(sql::LiveSchema& s, const std::string& name) {
  auto [it, fresh] = s.tables.try_emplace(name);
  if (fresh) it->second.name = name;
  return it->second;
}

sql::LiveSchema read(Connection& conn) {
  sql::LiveSchema s;
  Result cols = conn.exec(kColumnsSql);
  for (int r = 0; r < cols.rows(); ++r) {
    sql::LiveTable& t = table(s, str(cols, r, 0));
    if (cols.is_null(r, 1)) continue;  // a table without columns
    sql::LiveColumn c;
    c.name = str(cols, r, 1);
    c.type = str(cols, r, 2);
    c.not_null = boolean(cols, r, 3);
    c.default_expr = str(cols, r, 4);
    std::string_view identity = cols.value(r, 5);
    c.identity = identity == "a" ? "always" : identity == "d" ? "by_default" : "";
    if (cols.value(r, 6) == "s") c.default_expr = "GENERATED ALWAYS AS (" + c.default_expr + ") STORED";
    t.columns.push_back(std::move(c));
  }

  Result cons = conn.exec(kConstraintsSql);
  for (int r = 0; r < cons.rows(); ++r) {
    auto it = s.tables.find(str(cons, r, 0));
    if (it == s.tables.end()) continue;
    sql::LiveTable& t = it->second;
    std::string_view type = cons.value(r, 2);
    if (type == "p") {
      t.primary_key_name = str(cons, r, 1);
      t.primary_key = names(cons, r, 3);
    } else if (type == "u") {
      t.uniques.push_back({str(cons, r, 1), names(cons, r, 3)});
    } else {
      sql::LiveForeignKey f;
      f.name = str(cons, r, 1);
      f.columns = names(cons, r, 3);
      f.ref_table = str(cons, r, 4);
      f.ref_columns = names(cons, r, 5);
      f.on_delete = fk_action(cons.value(r, 6));
      f.on_update = fk_action(cons.value(r, 7));
      t.foreign_keys.push_back(std::move(f));
    }
  }

  Result idx = conn.exec(kIndexesSql);
  for (int r = 0; r < idx.rows(); ++r) {
    auto it = s.tables.find(str(idx, r, 0));
    if (it == s.tables.end()) continue;
    sql::LiveIndex i;
    i.name = str(idx, r, 1);
    i.unique = boolean(idx, r, 2);
    i.constraint = boolean(idx, r, 3);
    i.method = str(idx, r, 4);
    i.predicate = str(idx, r, 5);
    i.columns = names(idx, r, 6);
    it->second.indexes.push_back(std::move(i));
  }

  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  for (auto& [_, t] : s.tables) {
    std::sort(t.uniques.begin(), t.uniques.end(), by_name);
    std::sort(t.indexes.begin(), t.indexes.end(), by_name);
    std::sort(t.foreign_keys.begin(), t.foreign_keys.end(), by_name);
  }
  return s;
}

// jit off: the catalog queries are cheap, but their cost estimates can cross jit_above_cost and compiling
// them then takes seconds.
constexpr const char* kSettings =
    "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 1; "
    "SET LOCAL jit = off";

}  // namespace

sql::LiveSchema introspect(Connection& conn) {
  if (!conn.in_transaction()) {
    Transaction tx(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    conn.exec(kSettings);
    sql::LiveSchema s = read(conn);
    tx.commit();
    return s;
  }
  // Inside the caller's transaction: change the settings for our queries only, then put them back.
  Result saved = conn.exec_params(
      "SELECT current_setting('TimeZone'), current_setting('DateStyle'), "
      "current_setting('extra_float_digits'), current_setting('jit')",
      {});
  std::vector<std::optional<std::string>> old = {str(saved, 0, 0), str(saved, 0, 1), str(saved, 0, 2),
                                                 str(saved, 0, 3)};
  conn.exec(kSettings);
  sql::LiveSchema s = read(conn);
  conn.exec_params(
      "SELECT set_config('TimeZone', $1, true), set_config('DateStyle', $2, true), "
      "set_config('extra_float_digits', $3, true), set_config('jit', $4, true)",
      old);
  return s;
}

}  // namespace stk::pg
