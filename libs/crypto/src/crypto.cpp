#include "stk/crypto/crypto.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <memory>
#include <stdexcept>

#include "stk/core/encoding.hpp"
#include "stk/core/error.hpp"
#include "stk/core/ids.hpp"

namespace stk::crypto {

namespace {
void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium initialisation failed");
}
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
constexpr size_t kNonce = 12, kTag = 16;
}  // namespace

std::string sha256(std::string_view data) {
  ensure_sodium();
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

std::string sha256_hex(std::string_view data) {
  return hex_encode(sha256(data));
}

std::string password_hash(std::string_view password) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw Error(Code::Internal, "password hashing ran out of memory");
  return out;
}

bool password_verify(std::string_view hash, std::string_view password) {
  ensure_sodium();
  std::string h(hash);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool equal_ct(std::string_view a, std::string_view b) {
  ensure_sodium();
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

SecretBox::SecretBox(std::string_view key_material, int key_version) : version_(key_version) {
  if (key_material.size() == 32) {
    key_ = std::string(key_material);
  } else if (auto decoded = base64_decode(key_material); decoded && decoded->size() == 32) {
    key_ = *decoded;
  } else {
    throw Error(Code::BadRequest,
                "STK_SECRET_KEY must be 32 raw bytes or base64 of 32 bytes (generate one with: "
                "head -c 32 /dev/urandom | base64)");
  }
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view aad) const {
  std::string nonce = random_bytes(kNonce);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string ct(plaintext.size(), '\0');
  int len = 0, tail = 0;
  auto u = [](const char* p) { return reinterpret_cast<const unsigned char*>(p); };
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(kNonce), nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, u(key_.data()), u(nonce.data())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, u(aad.data()), int(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(ct.data()), &len, u(plaintext.data()),
                        int(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(ct.data()) + len, &tail) != 1)
    throw Error(Code::Internal, "secret encryption failed");
  std::string tag(kTag, '\0');
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int(kTag), tag.data()) != 1)
    throw Error(Code::Internal, "secret encryption failed");
  return "v1:" + std::to_string(version_) + ":" + base64_encode(nonce + ct + tag);
}

std::string SecretBox::open(std::string_view sealed, std::string_view aad) const {
  const Error bad(Code::Internal, "secret cannot be decrypted (wrong STK_SECRET_KEY or corrupted store)");
  if (sealed.substr(0, 3) != "v1:") throw bad;
  auto colon = sealed.find(':', 3);
  if (colon == std::string_view::npos) throw bad;
  auto raw = base64_decode(sealed.substr(colon + 1));
  if (!raw || raw->size() < kNonce + kTag) throw bad;
  std::string_view all(*raw);
  std::string_view nonce = all.substr(0, kNonce);
  std::string_view ct = all.substr(kNonce, all.size() - kNonce - kTag);
  std::string tag(all.substr(all.size() - kTag));
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string pt(ct.size(), '\0');
  int len = 0, tail = 0;
  auto u = [](const char* p) { return reinterpret_cast<const unsigned char*>(p); };
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(kNonce), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, u(key_.data()), u(nonce.data())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, u(aad.data()), int(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(pt.data()), &len, u(ct.data()),
                        int(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int(kTag), tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(pt.data()) + len, &tail) != 1)
    throw bad;
  return pt;
}

}  // namespace stk::crypto
