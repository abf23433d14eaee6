#pragma once
// Identifier generators (DESIGN: ULID, UUIDv7, nanoid) on a CSPRNG (libsodium randombytes).
#include <string>

namespace stk {

std::string random_bytes(size_t n);
std::string ulid();     // 26 chars, Crockford base32, millisecond time prefix (sortable)
std::string uuid_v4();  // canonical lowercase 36 chars
// A UUIDv4-shaped correlation id from a per-thread PRNG seeded by the CSPRNG: cheap (no system call), unique,
// not a secret. For requestIds only.
std::string request_id();
std::string uuid_v7();                   // canonical lowercase 36 chars, time-ordered
std::string nanoid(size_t length = 21);  // alphabet A-Za-z0-9_-

}  // namespace stk
