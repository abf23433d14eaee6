#include "stk/model/diagnostics.hpp"

namespace stk::model {

std::string Diagnostic::str() const {
  std::string out = pos.file;
  if (pos.line > 0) {
    out += ":" + std::to_string(pos.line);
    if (pos.col > 0) out += ":" + std::to_string(pos.col);
  }
  if (!out.empty()) out += ": ";
  out += message;
  return out;
}

void Diagnostics::error(SourcePos pos, std::string message) {
  items.push_back(Diagnostic{Severity::Error, std::move(pos), std::move(message)});
}

void Diagnostics::warning(SourcePos pos, std::string message) {
  items.push_back(Diagnostic{Severity::Warning, std::move(pos), std::move(message)});
}

bool Diagnostics::has_errors() const {
  for (const auto& d : items) {
    if (d.severity == Severity::Error) return true;
  }
  return false;
}

std::vector<Diagnostic> Diagnostics::errors() const {
  std::vector<Diagnostic> out;
  for (const auto& d : items) {
    if (d.severity == Severity::Error) out.push_back(d);
  }
  return out;
}

std::vector<Diagnostic> Diagnostics::warnings() const {
  std::vector<Diagnostic> out;
  for (const auto& d : items) {
    if (d.severity == Severity::Warning) out.push_back(d);
  }
  return out;
}

}  // namespace stk::model
