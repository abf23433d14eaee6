#pragma once
// Scanning text for the bytes a JSON string writer must treat specially, 8 bytes at a time: most text in a
// row or a log line needs no escape at all, and one test per 8 bytes finds that out (SWAR; the tricks for "a
// byte below n" and "a zero byte after xor" are from "Bit Twiddling Hacks").
#include <cstdint>

namespace stk {

// True when one of the 8 bytes of `w` is below 0x20, '"' or '\\' (JSON's must-escape set).
constexpr bool json_escape_in8(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  const std::uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
  const std::uint64_t quote = (q - ones) & ~q & highs, backslash = (b - ones) & ~b & highs;
  return (below_space | quote | backslash) != 0;
}

// True when one of the 8 bytes of `w` is not ASCII (the start or part of a UTF-8 sequence).
constexpr bool non_ascii_in8(std::uint64_t w) {
  return (w & 0x8080808080808080ULL) != 0;
}

}  // namespace stk
