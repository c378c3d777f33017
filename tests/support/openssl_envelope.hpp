// Test support: an independent implementation of the envelope suites from docs/envelope.md,
// built only from OpenSSL primitives (HKDF and HMAC of OpenSSL, AES-256-GCM of OpenSSL;
// SM4-GCM assembled from OpenSSL's SM4 block cipher and the GHASH of gcm_salamander.hpp,
// since OpenSSL 3.0 has no SM4-GCM). It shares no code with the library.
#pragma once

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "gcm_salamander.hpp"

namespace kmscore_test::openssl_ref {

using bytes = std::vector<std::uint8_t>;

struct suite {
  std::uint16_t version;
  const char* label;   // HKDF-Extract salt
  const char* digest;  // OpenSSL digest name
  std::size_t key_size;
};
inline const suite aes{0x0010, "kmscore/v1/AES-256-GCM/HMAC-SHA-256", "SHA256", 32};
inline const suite sm4{0x0011, "kmscore/v1/SM4-GCM/HMAC-SM3", "SM3", 16};

inline bytes to_bytes(const std::string& text) { return {text.begin(), text.end()}; }

// HKDF (extract and expand) with OpenSSL's KDF.
inline bytes hkdf(const suite& s, const bytes& ikm, const bytes& info, std::size_t size) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  std::string salt = s.label;
  bytes key = ikm;
  bytes info_copy = info;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(s.digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key.data(), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_copy.data(), info_copy.size()),
      OSSL_PARAM_construct_end()};
  bytes out(size);
  const int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  EVP_KDF_free(kdf);
  return ok == 1 ? out : bytes{};
}

inline bytes hmac(const suite& s, const bytes& key, const bytes& message) {
  bytes out(EVP_MAX_MD_SIZE);
  std::size_t size = 0;
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(s.digest), 0),
      OSSL_PARAM_construct_end()};
  const bool ok = EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
                  EVP_MAC_update(ctx, message.data(), message.size()) == 1 &&
                  EVP_MAC_final(ctx, out.data(), &size, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  out.resize(ok ? size : 0);
  return out;
}

inline bytes sm4_block(const bytes& key, const std::uint8_t* in) {
  bytes out(32);
  int n = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_sm4_ecb(), nullptr, key.data(), nullptr);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  EVP_EncryptUpdate(ctx, out.data(), &n, in, 16);
  EVP_CIPHER_CTX_free(ctx);
  out.resize(16);
  return out;
}

// GCM (NIST SP 800-38D) with a 96-bit nonce: from AES-256-GCM of OpenSSL, or assembled for
// SM4 from its block function and GHASH.
inline bool gcm_seal(const suite& s, const bytes& key, const bytes& nonce, const bytes& aad,
                     const bytes& plain, bytes& cipher, bytes& tag) {
  cipher.assign(plain.size(), 0);
  tag.assign(16, 0);
  if (s.version == aes.version) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    bool ok =
        EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()) &&
        EVP_EncryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) &&
        EVP_EncryptUpdate(ctx, cipher.data(), &n, plain.data(), static_cast<int>(plain.size())) &&
        EVP_EncryptFinal_ex(ctx, cipher.data() + n, &n) &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag.data());
    EVP_CIPHER_CTX_free(ctx);
    return ok;
  }
  namespace g = gcm_salamander_detail;
  const std::array<std::uint8_t, 16> zero{};
  const auto h = g::load(sm4_block(key, zero.data()).data());
  std::array<std::uint8_t, 16> counter{};
  std::memcpy(counter.data(), nonce.data(), 12);
  counter[15] = 1;
  const auto s0 = sm4_block(key, counter.data());
  for (std::size_t at = 0; at < plain.size(); at += 16) {
    for (int i = 15; i >= 12; --i) {  // inc32
      if (++counter[static_cast<std::size_t>(i)] != 0) break;
    }
    const auto stream = sm4_block(key, counter.data());
    for (std::size_t i = 0; i < 16 && at + i < plain.size(); ++i) {
      cipher[at + i] = static_cast<std::uint8_t>(plain[at + i] ^ stream[i]);
    }
  }
  const auto mac = g::ghash(h, aad, cipher) ^ g::load(s0.data());
  g::store(mac, tag.data());
  return true;
}

inline void put_u16(bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

// Canonical context: u16 count, then sorted pairs as u16 length || bytes.
inline bytes canonical_context(const std::map<std::string, std::string>& pairs) {
  bytes out;
  put_u16(out, static_cast<std::uint16_t>(pairs.size()));
  for (const auto& [k, v] : pairs) {
    put_u16(out, static_cast<std::uint16_t>(k.size()));
    out.insert(out.end(), k.begin(), k.end());
    put_u16(out, static_cast<std::uint16_t>(v.size()));
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

inline bytes commit_key(const suite& s, const bytes& cmk) {
  return hkdf(s, cmk, to_bytes("commit"), 32);
}
inline bytes wrap_key(const suite& s, const bytes& cmk, const bytes& salt) {
  bytes info = to_bytes("wrap");
  info.insert(info.end(), salt.begin(), salt.end());
  return hkdf(s, cmk, info, s.key_size);
}

// The whole envelope, as docs/envelope.md specifies it.
inline bytes seal(const suite& s, const bytes& cmk, const std::string& key_id,
                  std::uint32_t key_version, const bytes& salt, const bytes& dek,
                  const std::map<std::string, std::string>& context) {
  const bytes ctx = canonical_context(context);
  const std::size_t total = 76 + 32 + dek.size() + 16;
  bytes header;
  put_u16(header, s.version);
  put_u16(header, static_cast<std::uint16_t>(total - 36));
  bytes trailer(key_id.begin(), key_id.end());
  for (int i = 0; i < 4; ++i) trailer.push_back(static_cast<std::uint8_t>(key_version >> (8 * i)));
  bytes aad = header;
  aad.insert(aad.end(), trailer.begin(), trailer.end());
  aad.insert(aad.end(), ctx.begin(), ctx.end());
  bytes cipher;
  bytes gcm_tag;
  if (!gcm_seal(s, wrap_key(s, cmk, salt), bytes(12, 0), aad, dek, cipher, gcm_tag)) return {};
  bytes blob = header;
  blob.insert(blob.end(), salt.begin(), salt.end());
  blob.insert(blob.end(), cipher.begin(), cipher.end());
  blob.insert(blob.end(), gcm_tag.begin(), gcm_tag.end());
  blob.insert(blob.end(), trailer.begin(), trailer.end());
  bytes tagged = blob;
  tagged.insert(tagged.end(), ctx.begin(), ctx.end());
  const bytes tag = hmac(s, commit_key(s, cmk), tagged);
  blob.insert(blob.end(), tag.begin(), tag.end());
  return blob;
}

}  // namespace kmscore_test::openssl_ref
