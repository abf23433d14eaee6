#pragma once
// Introspection of schema `public` from pg_catalog (pg_class, pg_attribute, pg_attrdef, pg_constraint,
// pg_index) in three queries whatever the number of tables. Tables whose name starts with `stk_` (Santokit's
// own) and partitions are skipped. Defaults are read with TimeZone=UTC, DateStyle=ISO and
// extra_float_digits=1 so they are stable; outside a transaction the queries run in one REPEATABLE READ READ
// ONLY transaction, inside one (e.g. the apply transaction) they see its uncommitted DDL and the session
// settings are restored afterwards.
#include "stk/pg/connection.hpp"
#include "stk/sql/live_schema.hpp"

namespace stk::pg {

sql::LiveSchema introspect(Connection& conn);

}  // namespace stk::pg
