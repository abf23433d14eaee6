// parse_json must read exactly what nlohmann::ordered_json::parse reads: same values, same key order, same
// verdict on invalid text (the fuzz target fuzz_call checks the same on arbitrary bytes).
#include <gtest/gtest.h>

#include "stk/core/error.hpp"
#include "stk/core/json.hpp"

using stk::OrderedJson;
using stk::parse_json;

namespace {

void expect_same_as_nlohmann(const std::string& text) {
  auto ref = OrderedJson::parse(text.begin(), text.end(), nullptr, false);
  auto got = parse_json(text);
  ASSERT_EQ(got.has_value(), !ref.is_discarded()) << text;
  if (!got) return;
  EXPECT_EQ(got->dump(), ref.dump()) << text;
  EXPECT_EQ(*got, ref) << text;
  EXPECT_EQ(got->type(), ref.type()) << text;
}

}  // namespace

TEST(ParseJson, ReadsWhatNlohmannReads) {
  for (const std::string& text : std::vector<std::string>{
           R"({"path":"db/users/select","params":{"where":{"id":93258}}})",
           R"({"b":1,"a":[true,false,null,"x"],"c":{"z":-5,"y":1.5e3,"x":"\u00e9\ud83d\ude00"}})",
           R"({"a":1,"b":2,"a":3})",  // repeated key: first position, last value
           R"([0, -1, 9223372036854775807, 9223372036854775808, 18446744073709551615, -9223372036854775808])",
           R"([18446744073709551616, 1e400, -1e400, 123456789012345678901234567890.5])",  // beyond simdjson
           R"([1.0, 0.1, 1E2, -0.0, 2.2250738585072014e-308, 5e-324])",
           "\"\\u0000 NUL\"",
           "  {}  ",
           "[]",
           "null",
           "\"\"",
           "{\"deep\":" + std::string(511, '[') + std::string(511, ']') + "}",  // 512 levels: the limit
           "[\"[[[[ brackets in a string \\\" {{{{ do not nest\"]",
           // invalid
           "",
           " ",
           "{",
           "[1,]",
           "{\"a\":1,}",
           "[1] x",
           "nul",
           "{'a':1}",
           "\"\xff\"",
           "\"\xc3\"",
           "[01]",
           "\"\\ud800\"",
           "\"\\udc00\"",
           "\"\\ud800\\u0041\"",
           "\"a\nb\"",
           "[1 2]",
           "+1",
           ".5",
           "1.",
           "NaN",
       })
    expect_same_as_nlohmann(text);
}

TEST(ParseJson, KeepsDocumentOrderAndUnsignedIntegers) {
  auto j = parse_json(R"({"z":1,"a":2,"m":-3})");
  ASSERT_TRUE(j.has_value());
  std::vector<std::string> keys;
  for (const auto& [k, v] : j->items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"z", "a", "m"}));
  EXPECT_TRUE((*j)["z"].is_number_unsigned());
  EXPECT_TRUE((*j)["m"].is_number_integer() && !(*j)["m"].is_number_unsigned());
}

TEST(ParseJson, LargeBodiesParseToo) {
  std::string big = "[";
  for (int i = 0; i < 200000; ++i) big += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  big += "]";
  ASSERT_GT(big.size(), size_t(1) << 20);
  auto j = parse_json(big);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ(j->size(), 200000u);
  EXPECT_EQ((*j)[199999], "199999");
}

// Deeper than kMaxJsonDepth is refused before parsing (every later walk of a value may recurse), whichever
// parser would have taken it; brackets inside strings do not count.
TEST(ParseJson, NestingDeeperThanTheLimitIsABadRequest) {
  for (size_t depth : {size_t(513), size_t(2000), size_t(1'000'000)}) {
    const std::string deep = std::string(depth, '[') + std::string(depth, ']');
    try {
      parse_json(deep);
      ADD_FAILURE() << "no error at depth " << depth;
    } catch (const stk::Error& e) {
      EXPECT_EQ(e.code(), stk::Code::BadRequest);
      EXPECT_NE(std::string(e.what()).find("deeper than 512 levels"), std::string::npos) << e.what();
    }
  }
  // Invalid text that nests too deep is refused the same way (never reaches nlohmann's recursion).
  EXPECT_THROW(parse_json(std::string(600, '{')), stk::Error);
  const std::string in_string = "[\"" + std::string(5000, '[') + "\"]";
  auto j = parse_json(in_string);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ((*j)[0].get<std::string>().size(), 5000u);
}
