#include "stk/sql/plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "column_list.hpp"
#include "stk/sql/ddl.hpp"
#include "stk/sql/ident.hpp"
#include "stk/sql/types.hpp"

namespace stk::sql {

using nlohmann::json;

namespace {

const std::string kSafeS(kSafe), kDestructiveS(kDestructive), kUnsupportedS(kUnsupported);

std::string qc(const std::string& table, const std::string& column) {
  return "'" + table + "." + column + "'";
}

bool has_default(const model::Column& c) {
  return c.default_now || (c.default_value.has_value() && !c.default_value->is_null());
}

bool same_default(const model::Column& a, const model::Column& b) {
  if (a.default_now != b.default_now) return false;
  if (a.default_now) return true;
  bool ha = has_default(a), hb = has_default(b);
  if (ha != hb) return false;
  return !ha || *a.default_value == *b.default_value;
}

bool any_in(const std::vector<std::string>& cols, const std::set<std::string>& set) {
  return std::any_of(cols.begin(), cols.end(), [&](const std::string& c) { return set.count(c) > 0; });
}

using TableMap = std::map<std::string, const model::Table*>;

TableMap by_name(const model::Schema* s) {
  TableMap m;
  if (s)
    for (const auto& t : s->tables) m.emplace(t.name, &t);
  return m;
}

const model::Column* find_column(const model::Table* t, const std::string& name) {
  if (!t) return nullptr;
  for (const auto& c : t->columns)
    if (c.name == name) return &c;
  return nullptr;
}

class Planner {
 public:
  Planner(const model::Schema& desired, const LiveSchema& live, const LiveSchema* snapshot)
      : desired_(desired), live_(live), snapshot_(snapshot) {}

  void create(const model::Table& d) {
    const std::string& t = d.name;
    create_tables_.push_back({"create_table", t, "", kSafeS, create_table(d), "create table '" + t + "'"});
    for (const auto& i : d.indexes)
      create_indexes_.push_back({"create_index", t, "", kSafeS, create_index(t, i),
                                 "create " + std::string(i.unique ? "unique " : "") + "index '" + i.name +
                                     "' on '" + t + "' " + cols_text(i.columns)});
    for (const auto& c : d.columns)
      if (c.references) add_fk(t, c, kSafeS);
  }

  void unsupported_table(const std::string& t, const std::string& why) {
    alters_.push_back({"create_table", t, "", kUnsupportedS, "", why});
  }

  void drop(const LiveTable& l) {
    dropped_tables_.insert(l.name);
    drop_tables_.push_back({"drop_table", l.name, "", kDestructiveS, drop_table(l.name),
                            "drop table '" + l.name + "' and all its data"});
  }

  // Foreign keys between tables dropped in this plan would make DROP TABLE order matter: drop them first.
  void finish_drops() {
    for (const auto& t : dropped_tables_) {
      const LiveTable* l = live_.table(t);
      for (const auto& f : l->foreign_keys)
        if (f.ref_table != t && dropped_tables_.count(f.ref_table))
          drop_fks_.push_back({"drop_foreign_key", t, f.columns.size() == 1 ? f.columns[0] : "",
                               kDestructiveS, drop_constraint(t, f.name),
                               "drop foreign key '" + f.name + "' of '" + t + "' (both tables are dropped)"});
    }
  }

  void diff(const model::Table& d, const model::Table* a, const LiveTable& l) {
    const std::string& t = d.name;
    const LiveTable* s = snapshot_ ? snapshot_->table(t) : nullptr;

    std::set<std::string> skip = {d.id.name};  // PK columns: handled by diff_pk
    for (const auto& p : l.primary_key) skip.insert(p);
    diff_pk(d, a, l);

    std::set<std::string> new_columns, dropped_columns;
    for (const auto& c : d.columns) {
      if (skip.count(c.name)) continue;
      const LiveColumn* lc = l.column(c.name);
      if (!lc) {
        new_columns.insert(c.name);
        bool safe = c.nullable || has_default(c);
        alters_.push_back({"add_column", t, c.name, safe ? kSafeS : kDestructiveS, add_column(t, c),
                           safe ? "add column " + qc(t, c.name)
                                : "add NOT NULL column " + qc(t, c.name) +
                                      " without a default (fails if the table has rows)"});
        continue;
      }
      diff_column(t, c, *lc, find_column(a, c.name), s ? s->column(c.name) : nullptr);
    }
    for (const auto& lc : l.columns) {
      if (skip.count(lc.name) || find_column(&d, lc.name)) continue;
      dropped_columns.insert(lc.name);
      drop_columns_.push_back({"drop_column", t, lc.name, kDestructiveS, drop_column(t, lc.name),
                               "drop column " + qc(t, lc.name) + " and its data"});
    }

    // Unique constraints (unique: true columns).
    std::map<std::string, std::string> uniques;  // constraint name → column
    for (const auto& c : d.columns)
      if (c.unique) uniques.emplace(unique_constraint_name(t, c.name), c.name);
    for (const auto& [name, col] : uniques) {
      const LiveUnique* lu = l.unique(name);
      if (!lu) {
        bool fresh = new_columns.count(col) > 0;
        alters_.push_back({"add_unique", t, col, fresh ? kSafeS : kDestructiveS, add_unique(t, name, {col}),
                           fresh ? "add unique constraint '" + name + "' on new column " + qc(t, col)
                                 : "add unique constraint '" + name + "' on existing column " + qc(t, col) +
                                       " (fails on duplicate values)"});
      } else if (lu->columns != std::vector<std::string>{col}) {
        alters_.push_back({"recreate_unique", t, col, kDestructiveS,
                           drop_constraint(t, name) + ", ADD CONSTRAINT " + quote_ident(name) + " UNIQUE (" +
                               quote_ident(col) + ")",
                           "re-create unique constraint '" + name + "' on " + qc(t, col) + " (was on " +
                               cols_text(lu->columns) + ")"});
      }
    }
    for (const auto& lu : l.uniques) {
      if (uniques.count(lu.name) || any_in(lu.columns, dropped_columns)) continue;
      drop_uniques_.push_back({"drop_unique", t, lu.columns.size() == 1 ? lu.columns[0] : "", kDestructiveS,
                               drop_constraint(t, lu.name),
                               "drop unique constraint '" + lu.name + "' " + cols_text(lu.columns)});
    }

    // Indexes.
    std::set<std::string> index_names;
    for (const auto& i : d.indexes) {
      index_names.insert(i.name);
      const LiveIndex* li = l.index(i.name);
      std::string what = std::string(i.unique ? "unique " : "") + "index '" + i.name + "' on '" + t + "' " +
                         cols_text(i.columns);
      if (!li) {
        alters_.push_back({"create_index", t, "", kSafeS, create_index(t, i), "create " + what});
      } else if (li->constraint) {
        alters_.push_back({"create_index", t, "", kUnsupportedS, "",
                           "cannot create " + what + ": the name is used by a constraint in the database"});
      } else if (li->columns != i.columns || li->unique != i.unique || !li->predicate.empty() ||
                 li->method != "btree") {
        alters_.push_back({"recreate_index", t, "", kDestructiveS,
                           drop_index(i.name) + ";\n" + create_index(t, i),
                           "re-create " + what + " (differs in the database)"});
      }
    }
    for (const auto& li : l.indexes) {
      if (li.constraint || index_names.count(li.name) || any_in(li.columns, dropped_columns)) continue;
      drop_indexes_.push_back({"drop_index", t, "", kDestructiveS, drop_index(li.name),
                               "drop index '" + li.name + "' on '" + t + "' " + cols_text(li.columns)});
    }

    // Foreign keys.
    std::set<std::string> fk_names;
    for (const auto& c : d.columns) {
      if (!c.references) continue;
      std::string name = foreign_key_name(t, c.name);
      fk_names.insert(name);
      const LiveForeignKey* lf = l.foreign_key(name);
      if (!lf) {
        add_fk(t, c, kSafeS);
        continue;
      }
      const auto& r = *c.references;
      std::string ref_col = referenced_column(c, desired_);
      if (lf->columns != std::vector<std::string>{c.name} || lf->ref_table != r.table ||
          lf->ref_columns != std::vector<std::string>{ref_col} || lf->on_delete != r.on_delete ||
          lf->on_update != r.on_update) {
        fks_.push_back({"alter_foreign_key", t, c.name, kDestructiveS,
                        drop_constraint(t, name) + ", ADD " + foreign_key_clause(t, c, ref_col),
                        "change foreign key '" + name + "' of " + qc(t, c.name) + " to " + r.table + "(" +
                            ref_col + ") on delete " + r.on_delete + ", on update " + r.on_update + " (was " +
                            lf->ref_table + cols_text(lf->ref_columns) + " on delete " + lf->on_delete +
                            ", on update " + lf->on_update + ")"});
      }
    }
    for (const auto& lf : l.foreign_keys) {
      if (fk_names.count(lf.name) || any_in(lf.columns, dropped_columns)) continue;
      drop_fks_.push_back({"drop_foreign_key", t, lf.columns.size() == 1 ? lf.columns[0] : "", kDestructiveS,
                           drop_constraint(t, lf.name),
                           "drop foreign key '" + lf.name + "' " + cols_text(lf.columns) + " → " +
                               lf.ref_table + cols_text(lf.ref_columns)});
    }
  }

  std::vector<Operation> take() {
    std::vector<Operation> out;
    size_t n = create_tables_.size() + create_indexes_.size() + alters_.size() + fks_.size() +
               drop_fks_.size() + drop_uniques_.size() + drop_indexes_.size() + drop_columns_.size() +
               drop_tables_.size();
    out.reserve(n);
    for (auto* v : {&create_tables_, &create_indexes_, &alters_, &fks_, &drop_fks_, &drop_uniques_,
                    &drop_indexes_, &drop_columns_, &drop_tables_})
      for (auto& op : *v) out.push_back(std::move(op));
    return out;
  }

 private:
  void add_fk(const std::string& t, const model::Column& c, const std::string& cls) {
    const auto& r = *c.references;
    std::string ref_col = referenced_column(c, desired_);
    fks_.push_back({"add_foreign_key", t, c.name, cls, add_foreign_key(t, c, ref_col),
                    "add foreign key '" + foreign_key_name(t, c.name) + "' " + qc(t, c.name) + " → " +
                        r.table + "(" + ref_col + ") on delete " + r.on_delete + ", on update " +
                        r.on_update});
  }

  void diff_pk(const model::Table& d, const model::Table* a, const LiveTable& l) {
    const std::string& t = d.name;
    const auto& id = d.id;
    bool auto_inc = id.generate == "auto_increment";
    if (l.primary_key != std::vector<std::string>{id.name}) {
      std::string now = l.primary_key.empty()
                            ? "the table has no primary key in the database"
                            : "the primary key in the database is " + cols_text(l.primary_key);
      alters_.push_back({"alter_primary_key", t, id.name, kUnsupportedS, "",
                         "table '" + t + "': " + now + " but the schema declares '" + id.name +
                             "'; changing the primary key is not supported"});
      return;
    }
    const LiveColumn* lc = l.column(id.name);
    if (!lc) return;  // cannot happen: a PK column exists
    std::string want = auto_inc ? "bigint" : pg_type_reported(id.type);
    if (lc->type != want) {
      alters_.push_back({"alter_primary_key", t, id.name, kUnsupportedS, "",
                         "table '" + t + "': changing the primary key type from " + lc->type + " to " + want +
                             " is not supported"});
      return;
    }
    bool live_identity = !lc->identity.empty();
    bool was_auto = a && a->id.generate == "auto_increment";
    if (auto_inc != live_identity || (a && was_auto != auto_inc)) {
      std::string from = a ? a->id.generate : (live_identity ? "auto_increment" : "a non-identity key");
      alters_.push_back({"alter_id_generate", t, id.name, kUnsupportedS, "",
                         "table '" + t + "': switching id generation from " + from + " to " + id.generate +
                             " is not supported (auto_increment is an identity column)"});
      return;
    }
    if (a && a->id.generate != id.generate) {
      alters_.push_back({"alter_id_generate", t, id.name, kSafeS, "",
                         "table '" + t + "': generate new ids with " + id.generate + " instead of " +
                             a->id.generate + " (Bridge-side, no DDL)"});
    }
    if (!live_identity && !lc->default_expr.empty()) {
      alters_.push_back({"drop_default", t, id.name, kSafeS, drop_default(t, id.name),
                         "drop default " + lc->default_expr + " of primary key " + qc(t, id.name) +
                             " (ids are generated by the Bridge or the client)"});
    }
  }

  void diff_column(const std::string& t, const model::Column& c, const LiveColumn& lc,
                   const model::Column* ac, const LiveColumn* sc) {
    const std::string& want = pg_type_reported(c.type);
    if (lc.type != want) {
      if (is_lossless_widening(lc.type, want)) {
        alters_.push_back(
            {"alter_column_type", t, c.name, kSafeS, alter_column_type(t, c.name, pg_type(c.type)),
             "change column " + qc(t, c.name) + " from " + lc.type + " to " + want + " (lossless)"});
      } else {
        alters_.push_back(
            {"alter_column_type", t, c.name, kUnsupportedS, "",
             "column " + qc(t, c.name) + ": changing the type from " + lc.type + " to " + want +
                 " needs a data conversion; drop and re-add the column (destructive) or migrate "
                 "the data by hand"});
        return;
      }
    }
    if (c.nullable && lc.not_null)
      alters_.push_back({"drop_not_null", t, c.name, kSafeS, drop_not_null(t, c.name),
                         "allow NULL in column " + qc(t, c.name)});
    if (!c.nullable && !lc.not_null)
      alters_.push_back({"set_not_null", t, c.name, kDestructiveS, set_not_null(t, c.name),
                         "make column " + qc(t, c.name) + " NOT NULL (fails if it holds NULLs)"});

    bool changed_in_yaml = ac && !same_default(*ac, c);
    bool changed_by_hand = sc && sc->default_expr != lc.default_expr;
    if (changed_in_yaml || changed_by_hand || !default_matches(c, lc.default_expr)) {
      if (has_default(c))
        alters_.push_back({"set_default", t, c.name, kSafeS, set_default(t, c),
                           "set the default of " + qc(t, c.name) + " to " + default_sql(c)});
      else if (!lc.default_expr.empty())
        alters_.push_back({"drop_default", t, c.name, kSafeS, drop_default(t, c.name),
                           "drop the default " + lc.default_expr + " of " + qc(t, c.name)});
    }
  }

  const model::Schema& desired_;
  const LiveSchema& live_;
  const LiveSchema* snapshot_;
  std::set<std::string> dropped_tables_;
  std::vector<Operation> create_tables_, create_indexes_, alters_, fks_, drop_fks_, drop_uniques_,
      drop_indexes_, drop_columns_, drop_tables_;
};

}  // namespace

bool Plan::has(std::string_view cls) const {
  return std::any_of(operations.begin(), operations.end(), [&](const Operation& o) { return o.cls == cls; });
}

Plan plan_changes(const model::Schema& desired, const model::Schema* applied, const LiveSchema& live,
                  const LiveSchema* snapshot) {
  Plan plan;
  TableMap want = by_name(&desired), had = by_name(applied);
  if (applied && snapshot) {
    std::set<std::string> managed;
    for (const auto& [name, _] : had) managed.insert(name);
    plan.drift = diff_live(*snapshot, live, managed);
  }

  Planner p(desired, live, snapshot);
  std::set<std::string> scope;
  for (const auto& [name, _] : want) scope.insert(name);
  for (const auto& [name, _] : had) scope.insert(name);
  for (const auto& name : scope) {
    auto wi = want.find(name);
    auto hi = had.find(name);
    const model::Table* d = wi == want.end() ? nullptr : wi->second;
    const model::Table* a = hi == had.end() ? nullptr : hi->second;
    const LiveTable* l = live.table(name);
    if (!d) {
      if (l) p.drop(*l);
      continue;
    }
    if (name.rfind("stk_", 0) == 0) {
      p.unsupported_table(
          name, "table name '" + name + "' is reserved: names starting with stk_ belong to Santokit");
    } else if (!l) {
      p.create(*d);
    } else if (!a) {
      p.unsupported_table(name,
                          "table '" + name +
                              "' already exists in the database and is not managed by Santokit; drop or "
                              "rename it, or choose another table name");
    } else {
      p.diff(*d, a, *l);
    }
  }
  p.finish_drops();
  plan.operations = p.take();
  return plan;
}

json to_json(const Operation& o) {
  json j = {
      {"op", o.op}, {"table", o.table}, {"class", o.cls}, {"sql", o.sql}, {"description", o.description}};
  if (!o.column.empty()) j["column"] = o.column;
  return j;
}

json to_json(const Plan& plan) {
  json ops = json::array(), drift = json::array();
  for (const auto& o : plan.operations) ops.push_back(to_json(o));
  for (const auto& d : plan.drift) drift.push_back(to_json(d));
  return {{"operations", std::move(ops)}, {"drift", std::move(drift)}};
}

std::vector<DriftItem> mismatches(const model::Schema& desired, const LiveSchema& live) {
  Plan plan = plan_changes(desired, &desired, live, nullptr);
  std::vector<DriftItem> out;
  out.reserve(plan.operations.size());
  for (auto& o : plan.operations) out.push_back({o.table, o.column, std::move(o.description)});
  return out;
}

bool matches(const model::Schema& desired, const LiveSchema& live) {
  return plan_changes(desired, &desired, live, nullptr).operations.empty();
}

}  // namespace stk::sql
