// Hand-written lexer + recursive-descent parser for the CEL subset (DESIGN Decision 3).
// Precedence (CEL): ?: < || < && < relations/in < unary ! < member/primary. The first problem stops parsing.
// Recursion is bounded by kMaxDepth and the input by kMaxSourceLength, so no input can exhaust the stack.
#include <cstdint>
#include <string>
#include <vector>

#include "stk/cel/ast.hpp"
#include "stk/cel/cel.hpp"

namespace stk::cel {

namespace {

struct Failure {
  int offset;
  std::string message;
};

enum class Tok { End, Ident, Int, String, Op };

struct Token {
  Tok kind = Tok::End;
  std::string text;           // Ident name, Op spelling, raw Int digits
  std::string str;            // String: decoded value
  uint64_t mag = 0;           // Int: magnitude
  bool int_overflow = false;  // Int: magnitude beyond 2^64
  int offset = 0;
};

bool ident_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool ident_char(char c) {
  return ident_start(c) || (c >= '0' && c <= '9');
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool hex_digit(char c) {
  return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::string show_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string(1, c);
  static const char* hex = "0123456789abcdef";
  return std::string("\\x") + hex[u >> 4] + hex[u & 15];
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : s_(src) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    while (true) {
      skip_space();
      Token t;
      t.offset = int(i_);
      if (i_ >= s_.size()) {
        out.push_back(t);
        return out;
      }
      char c = s_[i_];
      if (ident_start(c)) {
        lex_ident(t);
      } else if (digit(c) || (c == '.' && i_ + 1 < s_.size() && digit(s_[i_ + 1]))) {
        lex_number(t);
      } else if (c == '"' || c == '\'') {
        lex_string(t);
      } else {
        lex_op(t);
      }
      out.push_back(std::move(t));
    }
  }

 private:
  [[noreturn]] void fail(size_t at, std::string msg) { throw Failure{int(at), std::move(msg)}; }

  void skip_space() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++i_;
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '/') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        return;
      }
    }
  }

  void lex_ident(Token& t) {
    size_t start = i_;
    while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
    t.kind = Tok::Ident;
    t.text = std::string(s_.substr(start, i_ - start));
    if (i_ < s_.size() && (s_[i_] == '"' || s_[i_] == '\'')) {
      std::string p = t.text;
      for (auto& ch : p) ch = char(ch | 0x20);
      if (p == "r") fail(start, "unsupported raw string literal");
      if (p == "b" || p == "br" || p == "rb") fail(start, "unsupported bytes literal");
      fail(i_, "unexpected string literal after '" + t.text + "'");
    }
  }

  void lex_number(Token& t) {
    size_t start = i_;
    t.kind = Tok::Int;
    bool is_float = false;
    if (s_[i_] == '0' && i_ + 1 < s_.size() && (s_[i_ + 1] == 'x' || s_[i_ + 1] == 'X')) {
      i_ += 2;
      size_t ds = i_;
      while (i_ < s_.size() && hex_digit(s_[i_])) ++i_;
      if (i_ == ds) fail(start, "invalid hexadecimal literal");
      parse_int(t, s_.substr(ds, i_ - ds), 16);
    } else {
      size_t ds = i_;
      while (i_ < s_.size() && digit(s_[i_])) ++i_;
      size_t de = i_;
      if (i_ < s_.size() && s_[i_] == '.' && i_ + 1 < s_.size() && digit(s_[i_ + 1])) {
        is_float = true;
        ++i_;
        while (i_ < s_.size() && digit(s_[i_])) ++i_;
      } else if (i_ < s_.size() && s_[i_] == '.' && de == ds) {
        is_float = true;
      }
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        size_t save = i_;
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        if (i_ < s_.size() && digit(s_[i_])) {
          is_float = true;
          while (i_ < s_.size() && digit(s_[i_])) ++i_;
        } else {
          i_ = save;
        }
      }
      if (!is_float) parse_int(t, s_.substr(ds, de - ds), 10);
    }
    t.text = std::string(s_.substr(start, i_ - start));
    if (is_float) fail(start, "unsupported float literal '" + t.text + "'");
    if (i_ < s_.size() && (s_[i_] == 'u' || s_[i_] == 'U')) {
      fail(start, "unsupported unsigned integer literal '" + t.text + s_[i_] + "'");
    }
    if (i_ < s_.size() && (ident_char(s_[i_]) || s_[i_] == '.')) {
      size_t e = i_;
      while (e < s_.size() && (ident_char(s_[e]) || s_[e] == '.')) ++e;
      fail(start, "invalid number '" + std::string(s_.substr(start, e - start)) + "'");
    }
  }

  void parse_int(Token& t, std::string_view digits, int base) {
    uint64_t v = 0;
    for (char c : digits) {
      int d = digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
      if (v > (UINT64_MAX - uint64_t(d)) / uint64_t(base)) {
        t.int_overflow = true;
        return;
      }
      v = v * uint64_t(base) + uint64_t(d);
    }
    t.mag = v;
  }

  void lex_string(Token& t) {
    size_t start = i_;
    char q = s_[i_];
    if (i_ + 2 < s_.size() && s_[i_ + 1] == q && s_[i_ + 2] == q)
      fail(start, "unsupported triple-quoted string");
    ++i_;
    std::string out;
    while (true) {
      if (i_ >= s_.size() || s_[i_] == '\n' || s_[i_] == '\r') fail(start, "unterminated string literal");
      char c = s_[i_];
      if (c == q) {
        ++i_;
        break;
      }
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) fail(start, "unterminated string literal");
        char e = s_[i_ + 1];
        switch (e) {
          case '\\':
            out.push_back('\\');
            break;
          case '"':
            out.push_back('"');
            break;
          case '\'':
            out.push_back('\'');
            break;
          case 'n':
            out.push_back('\n');
            break;
          case 'r':
            out.push_back('\r');
            break;
          case 't':
            out.push_back('\t');
            break;
          default:
            fail(i_, "unsupported escape sequence '\\" + show_char(e) +
                         "' (supported: \\\\ \\\" \\' \\n \\r \\t)");
        }
        i_ += 2;
        continue;
      }
      out.push_back(c);
      ++i_;
    }
    if (!valid_utf8(out)) fail(start, "invalid UTF-8 in string literal");
    t.kind = Tok::String;
    t.str = std::move(out);
    t.text = std::string(s_.substr(start, i_ - start));
  }

  void lex_op(Token& t) {
    static const char* two[] = {"==", "!=", "<=", ">=", "&&", "||"};
    t.kind = Tok::Op;
    for (const char* op : two) {
      if (s_.substr(i_, 2) == op) {
        t.text = op;
        i_ += 2;
        return;
      }
    }
    char c = s_[i_];
    switch (c) {
      case '<':
      case '>':
      case '!':
      case '(':
      case ')':
      case '[':
      case ']':
      case '{':
      case '}':
      case ',':
      case '.':
      case '?':
      case ':':
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
        t.text = std::string(1, c);
        ++i_;
        return;
      case '=':
        fail(i_, "unexpected '=' (use '==' to compare)");
      case '&':
        fail(i_, "unexpected '&' (use '&&')");
      case '|':
        fail(i_, "unexpected '|' (use '||')");
      default:
        fail(i_, "unexpected character '" + show_char(c) + "'");
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

const char* const kMacros[] = {"has", "all", "exists", "exists_one", "map", "filter"};
const char* const kReserved[] = {"as",        "break",  "const",  "continue", "else", "for",
                                 "function",  "if",     "import", "let",      "loop", "package",
                                 "namespace", "return", "var",    "void",     "while"};

bool is_macro(const std::string& n) {
  for (const char* m : kMacros) {
    if (n == m) return true;
  }
  return false;
}

// A parsed operand: an expression, or the `request.auth.roles` marker (only valid right of `in`).
struct Node {
  ExprPtr e;
  bool roles = false;
  int offset = 0;
};

std::shared_ptr<Expr> make(Expr::Kind k, int offset) {
  auto e = std::make_shared<Expr>();
  e->kind = k;
  e->offset = offset;
  return e;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  ExprPtr run() {
    Node n = expr(1);
    if (peek().kind != Tok::End) unexpected(peek());
    return need_operand(n);
  }

 private:
  const Token& peek(size_t k = 0) const { return t_[std::min(p_ + k, t_.size() - 1)]; }
  const Token& next() {
    const Token& t = t_[p_];
    if (p_ + 1 < t_.size()) ++p_;
    return t;
  }
  bool is_op(const char* op, size_t k = 0) const { return peek(k).kind == Tok::Op && peek(k).text == op; }

  [[noreturn]] void fail(int at, std::string msg) { throw Failure{at, std::move(msg)}; }
  [[noreturn]] void unexpected(const Token& t) {
    if (t.kind == Tok::End) fail(t.offset, "unexpected end of expression");
    fail(t.offset, "unexpected '" + t.text + "'");
  }
  void depth_check(int depth, int at) {
    if (depth > kMaxDepth)
      fail(at, "expression is nested too deeply (max " + std::to_string(kMaxDepth) + " levels)");
  }
  void expect(const char* op) {
    if (!is_op(op)) {
      const Token& t = peek();
      if (t.kind == Tok::End)
        fail(t.offset, std::string("expected '") + op + "' before the end of the expression");
      fail(t.offset, std::string("expected '") + op + "', found '" + t.text + "'");
    }
    next();
  }

  // An operand of &&, ||, ! or the whole condition: anything but a list.
  ExprPtr need_operand(const Node& n) {
    ExprPtr e = need_expr(n);
    if (e->kind == Expr::Kind::List)
      fail(n.offset, "unsupported list literal outside of 'in' (use x in [...])");
    return e;
  }

  ExprPtr need_expr(const Node& n) {
    if (n.roles) {
      fail(n.offset,
           "unsupported use of 'request.auth.roles' (only \"<role>\" in request.auth.roles is supported)");
    }
    return n.e;
  }

  Node expr(int depth) {
    depth_check(depth, peek().offset);
    Node n = logical(depth, "||");
    if (is_op("?")) fail(peek().offset, "unsupported conditional operator '?:'");
    return n;
  }

  // "||" over "&&" over relations; chains are flattened into one n-ary node.
  Node logical(int depth, const char* op) {
    const bool is_or = std::string(op) == "||";
    Node first = is_or ? logical(depth, "&&") : relation(depth);
    if (!is_op(op)) return first;
    auto node = make(is_or ? Expr::Kind::Or : Expr::Kind::And, first.offset);
    auto add = [&](const Node& n) {
      ExprPtr e = need_operand(n);
      if (e->kind == node->kind) {
        for (const auto& a : e->args) node->args.push_back(a);
      } else {
        node->args.push_back(e);
      }
    };
    add(first);
    while (is_op(op)) {
      next();
      add(is_or ? logical(depth, "&&") : relation(depth));
    }
    return Node{node, false, node->offset};
  }

  static bool is_relop(const Token& t) {
    if (t.kind == Tok::Ident && t.text == "in") return true;
    if (t.kind != Tok::Op) return false;
    return t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" ||
           t.text == ">=";
  }

  void no_arithmetic() {
    const Token& t = peek();
    if (t.kind == Tok::Op &&
        (t.text == "+" || t.text == "-" || t.text == "*" || t.text == "/" || t.text == "%")) {
      fail(t.offset, "unsupported arithmetic operator '" + t.text + "'");
    }
  }

  Node relation(int depth) {
    Node lhs = unary(depth);
    no_arithmetic();
    if (!is_relop(peek())) return lhs;
    const Token op = next();
    Node rhs = unary(depth);
    no_arithmetic();
    if (is_relop(peek())) {
      fail(peek().offset,
           "unsupported chained comparison '" + peek().text + "' (combine comparisons with && or ||)");
    }
    if (op.text == "in") {
      if (rhs.roles) {
        ExprPtr l = need_expr(lhs);
        if (l->kind != Expr::Kind::Literal || !l->value.is_string()) {
          fail(lhs.offset,
               "unsupported role check: the left side of 'in request.auth.roles' must be a string literal");
        }
        auto e = make(Expr::Kind::HasRole, lhs.offset);
        e->name = l->value.get<std::string>();
        return Node{e, false, e->offset};
      }
      ExprPtr r = need_expr(rhs);
      if (r->kind != Expr::Kind::List) {
        fail(rhs.offset,
             "unsupported 'in' operand: the right side must be a list literal [...] or request.auth.roles");
      }
      ExprPtr l = need_expr(lhs);
      if (!l->is_value()) {
        fail(lhs.offset,
             "unsupported 'in' operand: the left side must be resource.<column>, request.auth.sub or a "
             "literal");
      }
      auto e = make(Expr::Kind::In, lhs.offset);
      e->args = {l, r};
      return Node{e, false, e->offset};
    }
    ExprPtr l = need_expr(lhs), r = need_expr(rhs);
    for (const auto& [side, n] : {std::pair{l, lhs.offset}, std::pair{r, rhs.offset}}) {
      if (side->kind == Expr::Kind::List)
        fail(n, "unsupported comparison of a list (use 'in' to test membership)");
      if (!side->is_value()) {
        fail(n,
             "unsupported comparison operand: only resource.<column>, request.auth.sub and literals can be "
             "compared");
      }
    }
    auto e = make(Expr::Kind::Compare, lhs.offset);
    e->op = op.text;
    e->args = {l, r};
    return Node{e, false, e->offset};
  }

  Node unary(int depth) {
    const Token& t = peek();
    if (t.kind == Tok::Op && t.text == "!") {
      int at = t.offset;
      next();
      depth_check(depth + 1, at);
      Node inner = unary(depth + 1);
      auto e = make(Expr::Kind::Not, at);
      e->args = {need_operand(inner)};
      return Node{e, false, at};
    }
    if (t.kind == Tok::Op && t.text == "-") {
      int at = t.offset;
      next();
      const Token& n = peek();
      if (n.kind != Tok::Int) fail(at, "unsupported arithmetic negation '-'");
      next();
      auto e = make(Expr::Kind::Literal, at);
      if (n.int_overflow || n.mag > uint64_t(INT64_MAX) + 1) {
        fail(at, "integer literal '-" + n.text + "' is out of the 64-bit range");
      }
      e->value = n.mag == uint64_t(INT64_MAX) + 1 ? INT64_MIN : -int64_t(n.mag);
      postfix_none(Node{e, false, at});
      return Node{e, false, at};
    }
    return member(depth);
  }

  // Rejects postfix forms after a non-reference primary.
  void postfix_none(const Node&) {
    const Token& t = peek();
    if (t.kind != Tok::Op) return;
    if (t.text == ".") {
      const Token& n = peek(1);
      if (n.kind == Tok::Ident && is_op("(", 2)) {
        fail(n.offset,
             std::string("unsupported ") + (is_macro(n.text) ? "macro '" : "function call '") + n.text + "'");
      }
      fail(t.offset, "unsupported field selection");
    }
    if (t.text == "[") fail(t.offset, "unsupported indexing '[...]'");
    if (t.text == "(") fail(t.offset, "unsupported call");
  }

  Node member(int depth) {
    const Token& t = peek();
    const int at = t.offset;
    switch (t.kind) {
      case Tok::End:
        fail(at, "unexpected end of expression");
      case Tok::Int: {
        if (t.int_overflow || t.mag > uint64_t(INT64_MAX)) {
          fail(at, "integer literal '" + t.text + "' is out of the 64-bit range");
        }
        auto e = make(Expr::Kind::Literal, at);
        e->value = int64_t(t.mag);
        next();
        postfix_none(Node{e, false, at});
        return Node{e, false, at};
      }
      case Tok::String: {
        auto e = make(Expr::Kind::Literal, at);
        e->value = t.str;
        next();
        postfix_none(Node{e, false, at});
        return Node{e, false, at};
      }
      case Tok::Ident:
        return reference(depth);
      case Tok::Op:
        break;
    }
    if (t.text == "(") {
      next();
      depth_check(depth + 1, at);
      Node inner = expr(depth + 1);
      expect(")");
      inner.offset = at;
      postfix_none(inner);
      return inner;
    }
    if (t.text == "[") {
      next();
      depth_check(depth + 1, at);
      auto list = make(Expr::Kind::List, at);
      while (!is_op("]")) {
        const int item_at = peek().offset;
        ExprPtr item = need_expr(expr(depth + 1));
        if (item->kind != Expr::Kind::Literal) {
          fail(item_at, "unsupported list element: only literals are allowed in 'in' lists");
        }
        list->args.push_back(item);
        if (is_op(",")) {
          next();
          continue;
        }
        if (!is_op("]")) {
          const Token& bad = peek();
          if (bad.kind == Tok::End) fail(bad.offset, "expected ']' before the end of the expression");
          fail(bad.offset, "expected ',' or ']', found '" + bad.text + "'");
        }
      }
      next();
      Node n{list, false, at};
      postfix_none(n);
      return n;
    }
    if (t.text == "{") fail(at, "unsupported map literal '{...}'");
    if (t.text == ".") fail(at, "unsupported leading '.' in a qualified name");
    unexpected(t);
  }

  Node reference(int) {
    const Token first = next();
    const int at = first.offset;
    const std::string& name = first.text;
    if (name == "true" || name == "false") {
      auto e = make(Expr::Kind::Literal, at);
      e->value = (name == "true");
      postfix_none(Node{e, false, at});
      return Node{e, false, at};
    }
    if (name == "null") {
      auto e = make(Expr::Kind::Literal, at);
      e->value = nullptr;
      postfix_none(Node{e, false, at});
      return Node{e, false, at};
    }
    if (name == "in") fail(at, "unexpected 'in'");
    for (const char* r : kReserved) {
      if (name == r) fail(at, "unsupported reserved word '" + name + "'");
    }
    if (is_op("(")) {
      fail(at, std::string("unsupported ") + (is_macro(name) ? "macro '" : "function call '") + name + "'");
    }
    std::vector<std::string> path{name};
    std::string dotted = name;
    while (is_op(".")) {
      const Token& n = peek(1);
      if (n.kind != Tok::Ident) {
        if (n.kind == Tok::End) fail(n.offset, "expected a field name after '.'");
        fail(n.offset, "expected a field name after '.', found '" + n.text + "'");
      }
      if (is_op("(", 2)) {
        fail(n.offset,
             std::string("unsupported ") + (is_macro(n.text) ? "macro '" : "function call '") + n.text + "'");
      }
      next();
      next();
      path.push_back(n.text);
      dotted += "." + n.text;
      if (path.size() > 8) break;
    }
    if (is_op("[")) fail(peek().offset, "unsupported indexing '" + dotted + "[...]'");
    if (is_op("{")) fail(peek().offset, "unsupported message construction '" + dotted + "{...}'");
    if (path[0] == "resource") {
      if (path.size() == 1) fail(at, "unsupported reference 'resource' (use resource.<column>)");
      if (path.size() > 2) fail(at, "unsupported field selection '" + dotted + "'");
      auto e = make(Expr::Kind::Column, at);
      e->name = path[1];
      return Node{e, false, at};
    }
    if (path[0] == "request") {
      if (dotted == "request.auth.sub") return Node{make(Expr::Kind::AuthSub, at), false, at};
      if (dotted == "request.auth.roles") return Node{nullptr, true, at};
      fail(at, "unsupported reference '" + dotted +
                   "' (only request.auth.sub and request.auth.roles are supported)");
    }
    if (path.size() == 1) fail(at, "unsupported identifier '" + name + "'");
    fail(at, "unsupported reference '" + dotted + "'");
  }

  std::vector<Token> t_;
  size_t p_ = 0;
};

bool blank(std::string_view s) {
  for (char c : s) {
    if (!(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')) return false;
  }
  return true;
}

}  // namespace

ParseResult parse(std::string_view source) {
  ParseResult r;
  if (source.size() > size_t(kMaxSourceLength)) {
    r.problems.push_back(Problem{0, "condition is too long (" + std::to_string(source.size()) +
                                        " bytes, max " + std::to_string(kMaxSourceLength) + ")"});
    return r;
  }
  if (blank(source)) {
    r.problems.push_back(Problem{0, "unsupported empty expression"});
    return r;
  }
  try {
    std::vector<Token> toks = Lexer(source).run();
    r.expr = Parser(std::move(toks)).run();
  } catch (const Failure& f) {
    r.expr = nullptr;
    r.problems.push_back(Problem{f.offset, f.message});
  }
  return r;
}

}  // namespace stk::cel
