#include <gtest/gtest.h>

#include "stk/core/encoding.hpp"
#include "stk/core/error.hpp"
#include "stk/crypto/crypto.hpp"

using namespace stk;
using namespace stk::crypto;

TEST(Sha256, KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Password, HashVerifies) {
  auto h = password_hash("correct horse");
  EXPECT_EQ(h.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(password_verify(h, "correct horse"));
  EXPECT_FALSE(password_verify(h, "wrong"));
}

TEST(SecretBox, RoundTripAndFormat) {
  SecretBox box(std::string(32, 'k'));
  auto sealed = box.seal("postgres://u:pw@h/db", "shop/dev/main");
  EXPECT_EQ(sealed.rfind("v1:1:", 0), 0u);
  EXPECT_EQ(sealed.find("pw@"), std::string::npos);
  EXPECT_EQ(box.open(sealed, "shop/dev/main"), "postgres://u:pw@h/db");
  // Same plaintext twice => different ciphertexts (random nonce).
  EXPECT_NE(box.seal("x", "a"), box.seal("x", "a"));
}

TEST(SecretBox, RejectsWrongAadKeyAndTampering) {
  SecretBox box(std::string(32, 'k'));
  auto sealed = box.seal("secret", "shop/dev/main");
  EXPECT_THROW(box.open(sealed, "shop/prod/main"), Error);
  SecretBox other(std::string(32, 'o'));
  EXPECT_THROW(other.open(sealed, "shop/dev/main"), Error);
  // Flip one bit of a ciphertext byte (decode, change, re-encode: editing the base64 text near the padding
  // could touch only ignored bits).
  auto raw = *base64_decode(sealed.substr(5));
  raw[14] = char(raw[14] ^ 0x01);
  std::string tampered = "v1:1:" + base64_encode(raw);
  EXPECT_THROW(box.open(tampered, "shop/dev/main"), Error);
}

TEST(SecretBox, KeyMaterialBase64OrRaw) {
  EXPECT_NO_THROW(SecretBox(base64_encode(std::string(32, 'z'))));
  try {
    SecretBox bad("short");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("STK_SECRET_KEY"), std::string::npos);
  }
}
