// Type checking of a parsed condition against one table of the schema IR.
#include <string>
#include <vector>

#include "stk/cel/ast.hpp"
#include "stk/cel/cel.hpp"

namespace stk::cel {

namespace {

bool numeric(const std::string& t) {
  return t == "int" || t == "bigint" || t == "float" || t == "decimal";
}
bool string_wire(const std::string& t) {
  return t == "string" || t == "file" || t == "bigint" || t == "decimal" || t == "timestamp" || t == "bytes";
}
bool ordering(const std::string& op) {
  return op == "<" || op == "<=" || op == ">" || op == ">=";
}

std::string literal_text(const nlohmann::json& v) {
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.size() > 64) s = s.substr(0, 61) + "...";
    return "\"" + s + "\"";
  }
  return v.dump();
}

std::string literal_kind(const nlohmann::json& v) {
  if (v.is_string()) return "a string literal";
  if (v.is_boolean()) return "a bool literal";
  if (v.is_null()) return "null";
  return "an int literal";
}

class Checker {
 public:
  explicit Checker(const model::Table& t) : t_(t) {}

  std::vector<Problem> run(const Expr& e) {
    boolean(e);
    return std::move(problems_);
  }

 private:
  void add(int offset, std::string msg) { problems_.push_back(Problem{offset, std::move(msg)}); }

  // Full type of a column ("array<int>" for arrays); empty after reporting an unknown column.
  struct Col {
    std::string type;  // logical type
    std::string full;  // type with items for arrays
    bool nullable = false;
    bool ok = false;
  };
  Col column(const Expr& e) {
    Col c;
    if (e.name == t_.id.name) {
      c.type = c.full = t_.id.type;
      c.ok = true;
      return c;
    }
    const model::Column* mc = t_.column(e.name);
    if (!mc) {
      add(e.offset, "unknown column '" + e.name + "' in resource." + e.name + " (table '" + t_.name + "')");
      return c;
    }
    c.type = mc->type;
    c.full = mc->type == "array" ? "array<" + mc->items + ">" : mc->type;
    c.nullable = mc->nullable;
    c.ok = !mc->type.empty();
    return c;
  }

  void boolean(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::And:
      case Expr::Kind::Or:
      case Expr::Kind::Not:
        for (const auto& a : e.args) boolean(*a);
        return;
      case Expr::Kind::Compare:
        compare(e);
        return;
      case Expr::Kind::In:
        in(e);
        return;
      case Expr::Kind::HasRole:
        if (e.name.empty()) add(e.offset, "role name must not be empty in \"\" in request.auth.roles");
        return;
      case Expr::Kind::Literal:
        if (!e.value.is_boolean()) {
          add(e.offset, "the condition must be a boolean expression, not " + literal_kind(e.value));
        }
        return;
      case Expr::Kind::Column: {
        Col c = column(e);
        if (c.ok && c.type != "boolean") {
          add(e.offset, "resource." + e.name + " is a " + c.full +
                            " column, not a boolean expression (compare it with a value)");
        }
        return;
      }
      case Expr::Kind::AuthSub:
        add(e.offset, "request.auth.sub is a string, not a boolean expression (compare it with a column)");
        return;
      case Expr::Kind::List:
        add(e.offset, "a list is not a boolean expression (use it with 'in')");
        return;
    }
  }

  // Checks `a <op> b` where both are values. `where` is the offset reported for operator-level problems.
  void pair(const std::string& op, const Expr& a, const Expr& b, int where) {
    using K = Expr::Kind;
    const Expr* col = a.kind == K::Column ? &a : (b.kind == K::Column ? &b : nullptr);
    const Expr* other = col == &a ? &b : &a;
    if (!col) {
      if (a.kind == K::Literal && b.kind == K::Literal) {
        add(where, "unsupported comparison of two literals (compare a resource column)");
        return;
      }
      // request.auth.sub vs a literal or itself.
      const Expr* lit = a.kind == K::Literal ? &a : (b.kind == K::Literal ? &b : nullptr);
      if (lit && !lit->value.is_string()) {
        add(lit->offset,
            "request.auth.sub is a string; it cannot be compared with " + literal_kind(lit->value));
      }
      return;
    }
    Col c = column(*col);
    if (other->kind == K::Column) {
      Col d = column(*other);
      if (!c.ok || !d.ok) return;
      if (c.type == "json" || c.type == "array" || d.type == "json" || d.type == "array") {
        add(where, "columns of type json or array can only be compared with null");
        return;
      }
      if (c.full != d.full && !(numeric(c.type) && numeric(d.type))) {
        add(where, "type mismatch: resource." + col->name + " is " + c.full + " but resource." + other->name +
                       " is " + d.full);
        return;
      }
      if (ordering(op) && c.type == "boolean") {
        add(where, "operator '" + op + "' is not supported on boolean columns");
      }
      return;
    }
    if (!c.ok) return;
    if (other->kind == K::Literal && other->value.is_null()) {
      if (op != "==" && op != "!=") {
        add(where, "null can only be compared with == or !=");
      } else if (!c.nullable) {
        add(other->offset, "column '" + col->name + "' is not nullable; it is never null");
      }
      return;
    }
    if (c.type == "json" || c.type == "array") {
      add(where, "column '" + col->name + "' is " + c.full + "; it can only be compared with null");
      return;
    }
    if (ordering(op) && c.type == "boolean") {
      add(where, "operator '" + op + "' is not supported on boolean column '" + col->name + "'");
      return;
    }
    if (other->kind == K::AuthSub) {
      if (c.type != "string") {
        add(other->offset,
            "request.auth.sub can only be compared with a string column; '" + col->name + "' is " + c.full);
      }
      return;
    }
    literal(c, *col, *other);
  }

  void literal(const Col& c, const Expr& col, const Expr& lit) {
    const nlohmann::json& v = lit.value;
    bool kind_ok = v.is_string()    ? string_wire(c.type)
                   : v.is_boolean() ? c.type == "boolean"
                                    : numeric(c.type);
    if (!kind_ok) {
      add(lit.offset, "type mismatch: column '" + col.name + "' is " + c.full +
                          "; it cannot be compared with " + literal_kind(v));
      return;
    }
    if (!model::is_valid_value(c.type, "", v)) {
      if (v.is_number()) {
        add(lit.offset, literal_text(v) + " is out of range for " + c.type + " column '" + col.name + "'");
      } else {
        add(lit.offset, literal_text(v) + " is not a valid " + c.type + " for column '" + col.name + "'");
      }
    }
  }

  void compare(const Expr& e) {
    if (e.args.size() != 2) return;
    pair(e.op, *e.args[0], *e.args[1], e.offset);
  }

  void in(const Expr& e) {
    if (e.args.size() != 2) return;
    const Expr& lhs = *e.args[0];
    const Expr& list = *e.args[1];
    if (list.args.empty()) {
      add(list.offset, "the list of 'in' must not be empty");
      return;
    }
    if (lhs.kind == Expr::Kind::Column && !column(lhs).ok) return;  // reported once
    if (lhs.kind == Expr::Kind::Literal) {
      add(e.offset, "unsupported comparison of two literals (compare a resource column)");
      return;
    }
    size_t before = problems_.size();
    for (const auto& item : list.args) {
      if (item->kind == Expr::Kind::Literal && item->value.is_null()) {
        add(item->offset, "null is not allowed in an 'in' list (use == null)");
        continue;
      }
      pair("==", lhs, *item, e.offset);
      if (problems_.size() > before + 8) return;  // enough said
    }
  }

  const model::Table& t_;
  std::vector<Problem> problems_;
};

}  // namespace

std::vector<Problem> check(const Expr& expr, const model::Table& table) {
  return Checker(table).run(expr);
}

}  // namespace stk::cel
