// select (spec bridge-crud §5.1, §6; DESIGN Decisions 1 and 4).
#include <set>

#include "call/bad_request.hpp"
#include "call/plan.hpp"
#include "call/plan_common.hpp"
#include "call/row_json.hpp"
#include "call/rules.hpp"
#include "call/values.hpp"
#include "call/where.hpp"
#include "stk/core/encoding.hpp"
#include "stk/core/error.hpp"

namespace stk::bridge {
namespace {

bool is_star(const nlohmann::ordered_json* sel) {
  return !sel || (sel->is_string() && sel->get_ref<const std::string&>() == "*");
}

std::vector<std::string> requested_columns(const nlohmann::ordered_json* sel, const TableView& t) {
  if (is_star(sel)) return t.all_columns;
  if (!sel->is_array()) bad("'select' must be \"*\" or a non-empty array of column names");
  if (sel->empty()) bad("'select' must not be empty; use \"*\" for every column");
  if (sel->size() == 1 && (*sel)[0].is_string() && (*sel)[0].get<std::string>() == "*") return t.all_columns;
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& c : *sel) {
    if (!c.is_string()) bad("'select' entries must be column names (strings)");
    auto name = c.get<std::string>();
    if (!t.table->has_column(name))
      bad("unknown column '" + name.substr(0, 100) + "' in 'select' of table '" + t.table->name + "'");
    if (seen.insert(name).second) out.push_back(name);
  }
  return out;
}

// Builds the expand tree from dotted paths; each hop is authorized with its own select rule.
std::vector<ExpandChild> expand_tree(const nlohmann::ordered_json* ex, const EnvRelease& env,
                                     const TableView& root, const Principal& who, const Limits& limits) {
  std::vector<ExpandChild> roots;
  if (!ex || ex->is_null()) return roots;
  if (!ex->is_array()) bad("'expand' must be an array of relation names, e.g. [\"author\", \"author.team\"]");
  for (const auto& e : *ex) {
    if (!e.is_string()) bad("'expand' entries must be relation names (strings)");
    const auto path = e.get<std::string>();
    std::vector<std::string> hops;
    size_t i = 0;
    while (true) {
      size_t j = path.find('.', i);
      hops.push_back(path.substr(i, j == std::string::npos ? std::string::npos : j - i));
      if (j == std::string::npos) break;
      i = j + 1;
    }
    if (int(hops.size()) > limits.max_expand_depth)
      bad("expand '" + path.substr(0, 200) + "' is " + std::to_string(hops.size()) +
          " levels deep; the limit is " + std::to_string(limits.max_expand_depth));
    const TableView* table = &root;
    auto* level = &roots;
    for (const auto& hop : hops) {
      auto rel = table->relations.find(hop);
      if (hop.empty() || rel == table->relations.end())
        bad("unknown relation '" + hop.substr(0, 100) + "' in expand '" + path.substr(0, 200) + "': table '" +
            table->table->name + "' has no reference with as: " + hop.substr(0, 100));
      ExpandNode* node = nullptr;
      for (auto& [name, n] : *level)
        if (name == hop) node = &n;
      if (!node) {
        ExpandNode n;
        n.relation = &rel->second;
        n.target = env.table(rel->second.target);
        if (!n.target) bad("relation '" + hop + "' points to a table missing from the release");
        n.rule = select_rule(*n.target, "select", who);
        if (!n.rule)
          throw Error(Code::Forbidden, "expand '" + hop + "': no rule grants select on " +
                                           n.target->table->name + " to this caller");
        level->push_back(ExpandChild{hop, std::move(n)});
        node = &level->back().node;
      }
      table = node->target;
      level = &node->children;
    }
  }
  return roots;
}

struct SortKey {
  std::string column;
  bool desc = false;
};

std::vector<SortKey> order_keys(const nlohmann::ordered_json* ob, const TableView& t) {
  std::vector<SortKey> keys;
  if (!ob || ob->is_null()) return keys;
  if (!ob->is_object()) bad("'orderBy' must be an object: {\"column\": \"asc\" | \"desc\"}");
  for (const auto& [col, dir] : ob->items()) {
    if (!t.table->has_column(col))
      bad("unknown column '" + col.substr(0, 100) + "' in 'orderBy' of table '" + t.table->name + "'");
    if (!dir.is_string() || (dir.get<std::string>() != "asc" && dir.get<std::string>() != "desc"))
      bad("'orderBy' direction for '" + col + "' must be \"asc\" or \"desc\"");
    auto type = t.table->type_of(col);
    if (type == "json" || type == "array") bad("cannot order by " + type + " column '" + col + "'");
    keys.push_back({col, dir.get<std::string>() == "desc"});
  }
  return keys;
}

std::vector<std::optional<std::string>> decode_cursor(const std::string& cursor, const std::string& order,
                                                      size_t expected) {
  auto raw = base64url_decode(cursor);
  size_t nl = raw ? raw->find('\n') : std::string::npos;
  if (nl == std::string::npos || raw->substr(0, nl) != order)
    bad("'after' is not a cursor of this query; pass meta.nextCursor of the previous page with the same "
        "orderBy");
  nlohmann::json arr = nlohmann::json::parse(raw->substr(nl + 1), nullptr, false);
  if (arr.is_discarded() || !arr.is_array() || arr.size() != expected)
    bad("'after' is not a cursor of this query; pass meta.nextCursor of the previous page with the same "
        "orderBy");
  std::vector<std::optional<std::string>> out;
  for (const auto& v : arr) {
    if (v.is_null())
      out.emplace_back(std::nullopt);
    else if (v.is_string())
      out.emplace_back(v.get<std::string>());
    else
      bad("'after' is not a valid cursor");
  }
  return out;
}

}  // namespace

Statement plan_select(const EnvRelease& env, const TableView& t, const CompiledRule& rule,
                      const nlohmann::ordered_json& params, const Principal& who, const Limits& limits) {
  check_keys(params, {"where", "select", "orderBy", "limit", "offset", "expand", "count", "after"}, "select");
  Statement st;
  st.connection = t.table->connection;
  st.read_only = true;
  SqlBuilder b;
  const auto* sel = find(params, "select");
  // Every column is the table's own list (row_columns_sql has its select list ready); otherwise the requested
  // ones the rule lets the caller read.
  std::vector<std::string> some;
  if (!rule.all_columns || !is_star(sel))
    for (const auto& c : requested_columns(sel, t))
      if (rule.allows(c)) some.push_back(c);
  const std::vector<std::string>& columns = rule.all_columns && is_star(sel) ? t.all_columns : some;
  auto keys = order_keys(find(params, "orderBy"), t);
  auto limit = non_negative_int(params, "limit");
  auto offset = non_negative_int(params, "offset");
  if (limit && *limit > limits.select_max_rows)
    bad("'limit' " + std::to_string(*limit) + " is above the maximum of " +
        std::to_string(limits.select_max_rows) + " rows per select; paginate with limit/offset or after");
  const auto* count = find(params, "count");
  if (count && !(count->is_string() && count->get<std::string>() == "exact"))
    bad("'count' must be \"exact\"");
  st.want_count = count != nullptr;
  const auto* after = find(params, "after");
  st.want_cursor = after != nullptr;
  if (after && !after->is_null() && !after->is_string())
    bad("'after' must be a cursor string from meta.nextCursor (or null for the first page)");
  if (after && offset) bad("'after' and 'offset' cannot be combined; keyset pagination replaces offset");

  // Deterministic order: requested keys, then the PK (DESIGN Decision 4; required for keyset pages).
  const std::string pk = t.table->id.name;
  bool has_pk = false;
  for (const auto& k : keys) has_pk |= k.column == pk;
  if ((!keys.empty() || after) && !has_pk) keys.push_back({pk, false});
  if (after)
    for (const auto& k : keys) {
      auto ct = column_type(*t.table, k.column);
      if (ct && ct->nullable)
        bad("'after' cannot page over nullable column '" + k.column +
            "' in orderBy; order by non-null columns");
    }

  auto tree = expand_tree(find(params, "expand"), env, t, who, limits);

  // WHERE: rule condition AND caller filter (callers can only narrow).
  std::string where;
  std::string cond = condition_sql(rule, *t.table, who, b);
  std::string filter = where_sql(find_or_null(params, "where"), *t.table, "t0", limits, b);
  if (!cond.empty()) where = "(" + cond + ")";
  if (!filter.empty()) where += (where.empty() ? "" : " AND ") + ("(" + filter + ")");
  const std::string total_where = where;
  if (after)
    for (const auto& k : keys)
      st.cursor_order += (st.cursor_order.empty() ? "" : ",") + k.column + (k.desc ? ":desc" : ":asc");
  if (after && !after->is_null()) {
    auto values = decode_cursor(after->get<std::string>(), st.cursor_order, keys.size());
    std::string ks;
    for (size_t i = 0; i < keys.size(); ++i) {
      std::string term;
      for (size_t j = 0; j <= i; ++j) {
        auto ct = *column_type(*t.table, keys[j].column);
        int n = b.add(values[j]);
        std::string ref = "t0." + q(keys[j].column);
        std::string op = j < i ? " = " : (keys[j].desc ? " < " : " > ");
        term += (j ? " AND " : "") + ref + op + typed_placeholder(ct, n);
      }
      ks += (i ? " OR " : "") + ("(" + term + ")");
    }
    where += (where.empty() ? "" : " AND ") + ("(" + ks + ")");
  }

  // Without count the rows go out as they are and the Bridge writes their JSON (call/row_json): cheaper for
  // PostgreSQL than json_agg over a subquery and far cheaper than json_build_object per row.
  st.rowset = !st.want_count;
  int next_alias = 1;
  const std::string row = st.rowset ? row_columns_sql(t, "t0", columns, tree, who, b, next_alias, st.fields)
                                    : row_json_sql(t, "t0", columns, tree, who, b, next_alias) + " AS _j";
  const std::string table_ref = q(t.table->name) + " t0";
  // The rows themselves, in order; one buffer written front to back (this runs for every select).
  std::string rows;
  rows.reserve(row.size() + where.size() + 128);
  rows += "SELECT ";
  rows += row;
  if (st.want_cursor) {
    rows += st.fields.empty() && st.rowset ? "json_build_array(" : ", json_build_array(";
    for (size_t i = 0; i < keys.size(); ++i) rows += (i ? ", " : "") + ("t0." + q(keys[i].column) + "::text");
    rows += ") AS _c";
  }
  rows += " FROM ";
  rows += table_ref;
  if (!where.empty()) rows += " WHERE ", rows += where;
  if (!keys.empty()) {
    rows += " ORDER BY ";
    for (size_t i = 0; i < keys.size(); ++i)
      rows += (i ? ", " : "") + ("t0." + q(keys[i].column) + (keys[i].desc ? " DESC" : " ASC"));
  }
  int64_t lim = limit ? *limit : limits.select_max_rows + 1;
  if (!limit) st.row_cap = limits.select_max_rows;
  st.page_limit = limit ? *limit : -1;
  rows += " LIMIT $";
  rows += std::to_string(b.add(std::to_string(lim)));
  rows += "::bigint";
  if (offset) {
    rows += " OFFSET $";
    rows += std::to_string(b.add(std::to_string(*offset)));
    rows += "::bigint";
  }
  if (st.rowset) {
    st.sql = std::move(rows);
    st.params = std::move(b.params);
    return st;
  }
  std::string sql;
  sql.reserve(rows.size() + total_where.size() + 160);
  sql += "SELECT coalesce(json_agg(q._j), '[]'::json), count(*), ";
  sql += st.want_cursor ? "(array_agg(q._c))[count(*)]" : "NULL::json";
  sql += ", (SELECT count(*) FROM ";
  sql += table_ref;
  if (!total_where.empty()) sql += " WHERE ", sql += total_where;
  sql += ") FROM (";
  sql += rows;
  sql += ") q";
  st.sql = std::move(sql);
  st.params = std::move(b.params);
  return st;
}

std::string encode_cursor(std::string_view order, std::string_view json_array_text) {
  std::string raw(order);
  raw += '\n';
  raw += json_array_text;
  return base64url_encode(raw);
}

}  // namespace stk::bridge
