#pragma once
// Problems found while loading a project. Every one carries file:line:col so an operator can jump to it.
#include <string>
#include <vector>

namespace stk::model {

struct SourcePos {
  std::string file;  // path relative to the project root, e.g. "schema/catalog.yaml"
  int line = 0;      // 1-based; 0 = whole file
  int col = 0;       // 1-based; 0 = unknown
};

enum class Severity { Error, Warning };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourcePos pos;
  std::string message;
  std::string str() const;  // "schema/a.yaml:12:7: message" (":line:col" omitted when 0)
};

struct Diagnostics {
  std::vector<Diagnostic> items;
  void error(SourcePos pos, std::string message);
  void warning(SourcePos pos, std::string message);
  bool has_errors() const;
  std::vector<Diagnostic> errors() const;
  std::vector<Diagnostic> warnings() const;
};

}  // namespace stk::model
