#pragma once
#include <optional>
#include <string>

#include "store/store.hpp"

namespace stk::hub {

// Who is asking, for authorization and the audit log.
struct RequestContext {
  std::string request_id;
  std::string ip;
  std::optional<Operator> op;  // set once the bearer token is verified

  const Operator& actor() const { return *op; }
};

}  // namespace stk::hub
