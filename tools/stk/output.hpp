#pragma once
// Text rendering shared by the commands: tables, JSON, error lines with hints. Pure functions (unit-tested).
//
// Output conventions (stable for scripts and e2e tests):
//   - success: the result on stdout; tables have an upper-case header row and columns separated by at least
//   two
//     spaces; absent values print as "-"; `key: value` lines for single objects.
//   - failure: everything on stderr: optional report lines, then `error: <message>` and optional `hint: ...`
//     lines; exit code 1 (usage errors: 2).
//   - `--output json`: the Hub's JSON response, pretty-printed with its key order unchanged.
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "stk/core/error.hpp"

namespace stk::cli {

class HubError;

// A failure detected by the CLI itself, with an optional `hint:` line.
class CliError : public stk::Error {
 public:
  explicit CliError(std::string message, std::string hint = {})
      : stk::Error(Code::BadRequest, std::move(message)), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

// Wrong command-line usage found after parsing (e.g. a flag only required without another); exit code 2.
class UsageError : public stk::Error {
 public:
  explicit UsageError(std::string message) : stk::Error(Code::BadRequest, std::move(message)) {}
};

// The command failed and has already printed everything it wanted on stderr; exit with `code`.
struct ExitStatus {
  int code = 1;
};

std::string pretty_json(const J& j);  // indent 2, UTF-8 kept, trailing newline

// One table cell: strings as is, null/absent "-", booleans true/false, arrays comma-joined, numbers as JSON.
std::string cell(const J& v);
std::string cell(const J& obj, const char* key);  // cell(obj[key]) or "-" when absent

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows);

// A table of `items` (a JSON array, or an object holding an `items` array): one column per (HEADER, key).
struct Column {
  std::string header;
  std::string key;
};
std::string render_list(const J& items, const std::vector<Column>& columns);

// The stderr text for a failure (ends with '\n'): `error: ...` plus `hint: ...` lines.
//   HubError       -> error: request failed: <status> <CODE>: <message> (requestId <id>)
//                     401 -> hint: run 'stk login'; 403 -> hint: ask a project admin for a role on
//                     '<project>'
//   HubUnreachable -> error: cannot reach the Hub at <url>: <reason>
//                     hint: start it with 'santokit-hub' or pass --hub
//   other          -> error: <what()>
std::string format_error(const std::exception& e, const std::optional<std::string>& project);

// `error: request failed: <status> <CODE>: <message> (requestId <id>)` + '\n', without hints.
std::string hub_error_line(const HubError& e);

// "(requestId <id>)" suffix with a leading space, or "" when there is no id.
std::string request_id_suffix(const std::string& request_id);

// A diagnostic item of the Hub ({file,line,col,message,text}): its `text`, else "file:line:col: message".
std::string diagnostic_text(const J& item);

// Release payload summary for `release show`: table names (all connections) and rule/logic counts.
struct PayloadSummary {
  std::vector<std::string> tables;
  size_t rules = 0;
  size_t logics = 0;
};
PayloadSummary summarize_payload(const J& payload);

}  // namespace stk::cli
