// Lowering of a checked condition to a PostgreSQL predicate. Identifiers are double-quoted; every value is a
// bind parameter with an explicit cast to the compared column's type.
//
// Null semantics follow CEL, not SQL three-valued logic: in CEL `null == "x"` is false and `null != "x"` is
// true, so == / != / in on a nullable column lower to two-valued forms:
//   resource.c == v   ->  ("c" IS NOT NULL AND "c" = $n)
//   resource.c != v   ->  ("c" IS NULL OR "c" <> $n)
//   resource.a == resource.b (one nullable) -> ("a" IS NOT DISTINCT FROM "b")
// and `!` stays exact. Ordering on a null column is an error in CEL; its SQL NULL denies the row like an
// error does, and NULL propagates through AND/OR/NOT the way CEL's error does.
#include <string>

#include "stk/cel/ast.hpp"
#include "stk/cel/cel.hpp"
#include "stk/core/error.hpp"

namespace stk::cel {

namespace {

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string pg_type(const std::string& type) {
  if (type == "string" || type == "file") return "text";
  if (type == "int") return "integer";
  if (type == "bigint") return "bigint";
  if (type == "float") return "double precision";
  if (type == "decimal") return "numeric";
  if (type == "boolean") return "boolean";
  if (type == "timestamp") return "timestamptz";
  if (type == "json" || type == "array") return "jsonb";
  return "";
}

std::string sql_op(const std::string& op) {
  if (op == "==") return "=";
  if (op == "!=") return "<>";
  return op;
}

std::string mirror(const std::string& op) {
  if (op == "<") return ">";
  if (op == "<=") return ">=";
  if (op == ">") return "<";
  if (op == ">=") return "<=";
  return op;
}

class Lowerer {
 public:
  Lowerer(const model::Table& t, int first) : t_(t), next_(first) {}

  Lowered run(const Expr& e) {
    out_.sql = expr(e);
    return std::move(out_);
  }

 private:
  struct Col {
    std::string type;
    bool nullable = false;
  };

  Col column(const std::string& name) {
    if (name == t_.id.name) return Col{t_.id.type, false};
    const model::Column* c = t_.column(name);
    if (!c || c->type.empty()) {
      throw stk::Error(stk::Code::BadRequest,
                       "condition refers to unknown column '" + name + "' of table '" + t_.name + "'");
    }
    return Col{c->type, c->nullable};
  }

  std::string param(Param p) {
    out_.params.push_back(std::move(p));
    return "$" + std::to_string(next_++);
  }

  std::string sub() {
    out_.uses_auth_sub = true;
    if (sub_param_ == 0) {
      sub_param_ = next_;
      param(Param{Param::Kind::AuthSub, nullptr});
    }
    return "$" + std::to_string(sub_param_) + "::text";
  }

  // A literal compared with a column of `type` ("" = no column: cast by the literal's own kind).
  std::string literal(const nlohmann::json& v, const std::string& type) {
    std::string p = param(Param{Param::Kind::Literal, v});
    if (type == "bytes") return "decode(" + p + "::text, 'base64')";
    std::string cast = pg_type(type);
    if (cast.empty()) cast = v.is_string() ? "text" : v.is_boolean() ? "boolean" : "bigint";
    return p + "::" + cast;
  }

  // SQL of a value operand, typed by the column on the other side (if any).
  std::string value(const Expr& e, const std::string& context_type) {
    switch (e.kind) {
      case Expr::Kind::Column:
        column(e.name);
        return quote_ident(e.name);
      case Expr::Kind::AuthSub:
        return sub();
      case Expr::Kind::Literal:
        return literal(e.value, context_type);
      default:
        throw stk::Error(stk::Code::BadRequest, "condition: a comparison operand must be a value");
    }
  }

  std::string expr(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::And:
      case Expr::Kind::Or: {
        std::string s = "(";
        for (size_t i = 0; i < e.args.size(); ++i) {
          if (i) s += e.kind == Expr::Kind::And ? " AND " : " OR ";
          s += expr(*e.args[i]);
        }
        return s + ")";
      }
      case Expr::Kind::Not:
        if (e.args.size() != 1) throw stk::Error(stk::Code::BadRequest, "condition: '!' takes one operand");
        return "(NOT " + expr(*e.args[0]) + ")";
      case Expr::Kind::Column:
        column(e.name);
        return quote_ident(e.name);
      case Expr::Kind::Literal:
        return literal(e.value, "boolean");
      case Expr::Kind::HasRole: {
        if (roles_param_ == 0) {
          roles_param_ = next_;
          param(Param{Param::Kind::AuthRoles, nullptr});
        }
        std::string role = literal(e.name, "string");
        return "($" + std::to_string(roles_param_) + "::text[] @> ARRAY[" + role + "])";
      }
      case Expr::Kind::Compare:
        return compare(e);
      case Expr::Kind::In:
        return in(e);
      case Expr::Kind::AuthSub:
      case Expr::Kind::List:
        break;
    }
    throw stk::Error(stk::Code::BadRequest, "condition is not a boolean expression");
  }

  std::string compare(const Expr& e) {
    if (e.args.size() != 2)
      throw stk::Error(stk::Code::BadRequest, "condition: a comparison takes two operands");
    const Expr* a = e.args[0].get();
    const Expr* b = e.args[1].get();
    std::string op = e.op;
    if (b->kind == Expr::Kind::Column && a->kind != Expr::Kind::Column) {  // column first
      std::swap(a, b);
      op = mirror(op);
    }
    if (b->kind == Expr::Kind::Literal && b->value.is_null()) {
      if (a->kind != Expr::Kind::Column)
        throw stk::Error(stk::Code::BadRequest, "condition: null needs a column");
      column(a->name);
      return "(" + quote_ident(a->name) + (op == "==" ? " IS NULL)" : " IS NOT NULL)");
    }
    if (a->kind == Expr::Kind::Column) {
      Col ca = column(a->name);
      const std::string lhs = quote_ident(a->name);
      if (b->kind == Expr::Kind::Column) {
        Col cb = column(b->name);
        const std::string rhs = quote_ident(b->name);
        if ((ca.nullable || cb.nullable) && (op == "==" || op == "!=")) {
          return "(" + lhs + (op == "==" ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ") + rhs + ")";
        }
        return "(" + lhs + " " + sql_op(op) + " " + rhs + ")";
      }
      const std::string rhs = value(*b, ca.type);
      if (ca.nullable && op == "==") return "(" + lhs + " IS NOT NULL AND " + lhs + " = " + rhs + ")";
      if (ca.nullable && op == "!=") return "(" + lhs + " IS NULL OR " + lhs + " <> " + rhs + ")";
      return "(" + lhs + " " + sql_op(op) + " " + rhs + ")";
    }
    // request.auth.sub vs a literal (or itself); literals typed as text next to sub.
    std::string type_a = a->kind == Expr::Kind::AuthSub ? "string" : "";
    std::string type_b = b->kind == Expr::Kind::AuthSub ? "string" : "";
    std::string lhs = value(*a, type_b.empty() ? type_a : type_b);
    std::string rhs = value(*b, type_a.empty() ? type_b : type_a);
    return "(" + lhs + " " + sql_op(op) + " " + rhs + ")";
  }

  std::string in(const Expr& e) {
    if (e.args.size() != 2 || e.args[1]->kind != Expr::Kind::List || e.args[1]->args.empty()) {
      throw stk::Error(stk::Code::BadRequest, "condition: 'in' needs a non-empty list");
    }
    const Expr& lhs_e = *e.args[0];
    std::string type;
    bool nullable = false;
    if (lhs_e.kind == Expr::Kind::Column) {
      Col c = column(lhs_e.name);
      type = c.type;
      nullable = c.nullable;
    } else if (lhs_e.kind == Expr::Kind::AuthSub) {
      type = "string";
    }
    std::string lhs = value(lhs_e, "");
    std::string items;
    for (const auto& item : e.args[1]->args) {
      if (!items.empty()) items += ", ";
      items += value(*item, type);
    }
    if (nullable) return "(" + lhs + " IS NOT NULL AND " + lhs + " IN (" + items + "))";
    return "(" + lhs + " IN (" + items + "))";
  }

  const model::Table& t_;
  int next_;
  Lowered out_;
  int sub_param_ = 0;
  int roles_param_ = 0;
};

}  // namespace

Lowered lower(const Expr& expr, const model::Table& table, int first_param) {
  return Lowerer(table, first_param).run(expr);
}

}  // namespace stk::cel
