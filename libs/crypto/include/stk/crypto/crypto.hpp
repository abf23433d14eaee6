#pragma once
// Hashing, password hashing and secrets at rest. Keys and plaintexts are std::string byte buffers.
#include <optional>
#include <string>
#include <string_view>

namespace stk::crypto {

std::string sha256(std::string_view data);      // 32 raw bytes
std::string sha256_hex(std::string_view data);  // 64 lowercase hex chars

// argon2id (libsodium crypto_pwhash_str, interactive limits): "$argon2id$v=19$m=...".
std::string password_hash(std::string_view password);
bool password_verify(std::string_view hash, std::string_view password);

// Constant-time equality for digests/tokens.
bool equal_ct(std::string_view a, std::string_view b);

// AES-256-GCM with a random 96-bit nonce; output "v1:<keyVersion>:<base64(nonce||ciphertext||tag)>" (spec hub
// §7). `aad` binds the ciphertext to its place (e.g. "project/env/name").
class SecretBox {
 public:
  // key_material: 32 raw bytes, or base64 of 32 bytes. Throws stk::Error(BadRequest) otherwise.
  explicit SecretBox(std::string_view key_material, int key_version = 1);
  std::string seal(std::string_view plaintext, std::string_view aad) const;
  // Throws stk::Error(Internal, "secret cannot be decrypted ...") on tampering, wrong key or wrong aad.
  std::string open(std::string_view sealed, std::string_view aad) const;

 private:
  std::string key_;
  int version_;
};

}  // namespace stk::crypto
