#include "stk/core/ids.hpp"

#include <cstring>

#include <sodium.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace stk {

namespace {
void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium initialisation failed");
}
uint64_t now_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}
std::string format_uuid(unsigned char b[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}
}  // namespace

std::string random_bytes(size_t n) {
  ensure_sodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string ulid() {
  static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  ensure_sodium();
  unsigned char bytes[16];
  uint64_t ms = now_ms();
  for (int i = 5; i >= 0; --i) {
    bytes[i] = uint8_t(ms & 0xFF);
    ms >>= 8;
  }
  randombytes_buf(bytes + 6, 10);
  // 128 bits -> 26 chars: first char carries the top 3 bits (time is 48 bits, so it is 0..7).
  std::string out(26, '0');
  unsigned __int128 v = 0;
  for (unsigned char b : bytes) v = (v << 8) | b;
  for (int i = 25; i >= 0; --i) {
    out[size_t(i)] = kCrockford[size_t(v & 31)];
    v >>= 5;
  }
  return out;
}

std::string uuid_v4() {
  ensure_sodium();
  unsigned char b[16];
  randombytes_buf(b, 16);
  b[6] = uint8_t((b[6] & 0x0F) | 0x40);
  b[8] = uint8_t((b[8] & 0x3F) | 0x80);
  return format_uuid(b);
}

std::string request_id() {
  // splitmix64 per thread, seeded once from the CSPRNG: unique and unpredictable enough for correlation ids,
  // without a getrandom() system call per request.
  thread_local uint64_t state = [] {
    uint64_t seed = 0;
    ensure_sodium();
    randombytes_buf(&seed, sizeof seed);
    return seed;
  }();
  auto next = [] {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  unsigned char b[16];
  uint64_t hi = next(), lo = next();
  std::memcpy(b, &hi, 8);
  std::memcpy(b + 8, &lo, 8);
  b[6] = uint8_t((b[6] & 0x0F) | 0x40);
  b[8] = uint8_t((b[8] & 0x3F) | 0x80);
  return format_uuid(b);
}

std::string uuid_v7() {
  ensure_sodium();
  unsigned char b[16];
  randombytes_buf(b, 16);
  uint64_t ms = now_ms();
  for (int i = 5; i >= 0; --i) {
    b[i] = uint8_t(ms & 0xFF);
    ms >>= 8;
  }
  b[6] = uint8_t((b[6] & 0x0F) | 0x70);
  b[8] = uint8_t((b[8] & 0x3F) | 0x80);
  return format_uuid(b);
}

std::string nanoid(size_t length) {
  static constexpr char kAlpha[] = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";
  ensure_sodium();
  std::string out(length, '\0');
  for (size_t i = 0; i < length; ++i) out[i] = kAlpha[randombytes_uniform(64)];
  return out;
}

}  // namespace stk
