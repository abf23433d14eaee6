#include "call/db_errors.hpp"

#include <string>

namespace stk::bridge {

Error map_db_error(std::string_view s, std::string_view constraint) {
  const std::string which = constraint.empty() ? "" : " (" + std::string(constraint) + ")";
  if (s == "23505") return Error(Code::Conflict, "a row with the same unique value already exists" + which);
  if (s == "23503")
    return Error(Code::BadRequest, "the referenced row does not exist or is still referenced" + which);
  if (s == "23502") return Error(Code::BadRequest, "a required column is null" + which);
  if (s == "23514") return Error(Code::BadRequest, "a value violates a check constraint" + which);
  if (s.substr(0, 2) == "23")
    return Error(Code::BadRequest, "the change violates a database constraint" + which);
  if (s == "22021")
    return Error(Code::BadRequest, "a text value contains a byte PostgreSQL cannot store (NUL)");
  if (s == "22003") return Error(Code::BadRequest, "a numeric value is out of range for its column");
  if (s.substr(0, 2) == "22")
    return Error(Code::BadRequest, "a value is not valid for its column type (" + std::string(s) + ")");
  if (s == "57014") return Error(Code::GatewayTimeout, "the query exceeded the statement timeout");
  if (s.substr(0, 2) == "08" || s == "53300" || s == "57P01" || s == "57P02" || s == "57P03" || s == "53000")
    return Error(Code::Unavailable, "the project database is unavailable; retry shortly");
  if (s == "40001" || s == "40P01")
    return Error(Code::Unavailable, "the query was aborted by a concurrent change; retry");
  if (s == "0A000") return Error(Code::Unavailable, "the table changed under a cached statement; retry");
  if (s.substr(0, 2) == "42")
    return Error(Code::Internal, "the project database does not match the release schema; run 'stk apply'");
  return Error(Code::Internal, "database error (" + std::string(s) + ")");
}

}  // namespace stk::bridge
