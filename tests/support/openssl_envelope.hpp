// Test support: an independent implementation of the envelope suites from docs/envelope.md,
// built only from OpenSSL primitives (HKDF, KBKDF and HMAC of OpenSSL, AES-256-GCM of OpenSSL;
// SM4-GCM assembled from OpenSSL's SM4 block cipher and the GHASH of gcm_salamander.hpp,
// since OpenSSL 3.0 has no SM4-GCM). It seals and opens. It shares no code with the library.
#pragma once

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "gcm_salamander.hpp"

namespace kmscore_test::openssl_ref {

using bytes = std::vector<std::uint8_t>;

enum class block_cipher { aes_256, sm4 };  // E: of GCM, and of CMAC in the KBKDF suites
enum class kdf_kind { hkdf, kbkdf_cmac };  // how commit_key and wrap_key are derived

struct suite {
  std::uint16_t version;
  const char* label = nullptr;  // hkdf: the HKDF-Extract salt
  const char* digest;           // OpenSSL digest name: the HMAC tag (and HKDF)
  std::size_t key_size;         // of E, so of wrap_key
  block_cipher cipher;
  kdf_kind kdf;
  const char* commit_label = nullptr;  // kbkdf_cmac: the Label of commit_key
  const char* wrap_label = nullptr;    // kbkdf_cmac: the Label of wrap_key
};
inline const suite aes{.version = 0x0010,
                       .label = "kmscore/v1/AES-256-GCM/HMAC-SHA-256",
                       .digest = "SHA256",
                       .key_size = 32,
                       .cipher = block_cipher::aes_256,
                       .kdf = kdf_kind::hkdf};
inline const suite sm4{.version = 0x0011,
                       .label = "kmscore/v1/SM4-GCM/HMAC-SM3",
                       .digest = "SM3",
                       .key_size = 16,
                       .cipher = block_cipher::sm4,
                       .kdf = kdf_kind::hkdf};
inline const suite aes_cmac{.version = 0x0012,
                            .digest = "SHA256",
                            .key_size = 32,
                            .cipher = block_cipher::aes_256,
                            .kdf = kdf_kind::kbkdf_cmac,
                            .commit_label = "kmscore/v18/AES-GCM/tag-key",
                            .wrap_label = "kmscore/v18/AES-GCM/wrapkey"};
inline const suite sm4_cmac{.version = 0x0013,
                            .digest = "SM3",
                            .key_size = 16,
                            .cipher = block_cipher::sm4,
                            .kdf = kdf_kind::kbkdf_cmac,
                            .commit_label = "kmscore/v19/SM4-GCM/tag-key",
                            .wrap_label = "kmscore/v19/SM4-GCM/wrapkey"};
// Versions 20 and 21: encrypt-data's payloads, framed and sealed as 16 and 17 under HKDF labels
// of their own (domain separation from data keys).
inline const suite aes_data{.version = 0x0014,
                            .label = "kmscore/v20/AES-256-GCM/HMAC-SHA-256/data",
                            .digest = "SHA256",
                            .key_size = 32,
                            .cipher = block_cipher::aes_256,
                            .kdf = kdf_kind::hkdf};
inline const suite sm4_data{.version = 0x0015,
                            .label = "kmscore/v21/SM4-GCM/HMAC-SM3/data",
                            .digest = "SM3",
                            .key_size = 16,
                            .cipher = block_cipher::sm4,
                            .kdf = kdf_kind::hkdf};

// OpenSSL's name of E in CBC mode, the form its CMAC (and so KBKDF) takes.
inline const char* cbc_cipher_name(block_cipher cipher) {
  return cipher == block_cipher::aes_256 ? "AES-256-CBC" : "SM4-CBC";
}

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

// NIST SP 800-108r1 counter mode with CMAC_E, from OpenSSL's KBKDF with its defaults (r = 32,
// the 0x00 separator and [L]_32 on): K(i) = CMAC_E(key, [i]_32 || label || 0x00 || context ||
// [L]_32), L = 8 * size.
inline bytes kbkdf(const suite& s, const bytes& key, const char* label, const bytes& context,
                   std::size_t size) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "KBKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  bytes key_copy = key;
  std::string label_copy = label;
  bytes context_copy = context;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, const_cast<char*>("counter"), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, const_cast<char*>("CMAC"), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_CIPHER,
                                       const_cast<char*>(cbc_cipher_name(s.cipher)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key_copy.data(), key_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, label_copy.data(), label_copy.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, context_copy.data(),
                                        context_copy.size()),
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

// SM4-GCM (NIST SP 800-38D, 96-bit nonce) from SM4's block function and GHASH, in its two
// halves. J0 = nonce || 0^31 || 1. GCTR from inc32(J0): the keystream xor `in` (either way).
inline bytes sm4_gctr(const bytes& key, const bytes& nonce, const bytes& in) {
  bytes out(in.size());
  std::array<std::uint8_t, 16> counter{};
  std::memcpy(counter.data(), nonce.data(), 12);
  counter[15] = 1;
  for (std::size_t at = 0; at < in.size(); at += 16) {
    for (int i = 15; i >= 12; --i) {  // inc32
      if (++counter[static_cast<std::size_t>(i)] != 0) break;
    }
    const auto stream = sm4_block(key, counter.data());
    for (std::size_t i = 0; i < 16 && at + i < in.size(); ++i) {
      out[at + i] = static_cast<std::uint8_t>(in[at + i] ^ stream[i]);
    }
  }
  return out;
}

// The GCM tag: GHASH_H(aad, cipher) xor E(J0), H = E(0^128).
inline bytes sm4_gcm_tag(const bytes& key, const bytes& nonce, const bytes& aad,
                         const bytes& cipher) {
  namespace g = gcm_salamander_detail;
  const std::array<std::uint8_t, 16> zero{};
  const auto h = g::load(sm4_block(key, zero.data()).data());
  std::array<std::uint8_t, 16> j0{};
  std::memcpy(j0.data(), nonce.data(), 12);
  j0[15] = 1;
  const auto s0 = sm4_block(key, j0.data());
  bytes tag(16);
  g::store(g::ghash(h, aad, cipher) ^ g::load(s0.data()), tag.data());
  return tag;
}

// GCM (NIST SP 800-38D) with a 96-bit nonce: from AES-256-GCM of OpenSSL, or the SM4-GCM above.
inline bool gcm_seal(const suite& s, const bytes& key, const bytes& nonce, const bytes& aad,
                     const bytes& plain, bytes& cipher, bytes& tag) {
  cipher.assign(plain.size(), 0);
  tag.assign(16, 0);
  if (s.cipher == block_cipher::aes_256) {
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
  cipher = sm4_gctr(key, nonce, plain);
  tag = sm4_gcm_tag(key, nonce, aad, cipher);
  return true;
}

// Checks the GCM tag, then decrypts; on failure `plain` is empty.
inline bool gcm_open(const suite& s, const bytes& key, const bytes& nonce, const bytes& aad,
                     const bytes& cipher, const bytes& tag, bytes& plain) {
  plain.assign(cipher.size(), 0);
  bool ok = tag.size() == 16;
  if (ok && s.cipher == block_cipher::aes_256) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    bytes tag_copy = tag;
    int n = 0;
    ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()) &&
         EVP_DecryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) &&
         EVP_DecryptUpdate(ctx, plain.data(), &n, cipher.data(), static_cast<int>(cipher.size())) &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag_copy.data()) &&
         EVP_DecryptFinal_ex(ctx, plain.data() + n, &n) > 0;
    EVP_CIPHER_CTX_free(ctx);
  } else if (ok) {
    ok = CRYPTO_memcmp(sm4_gcm_tag(key, nonce, aad, cipher).data(), tag.data(), 16) == 0;
    if (ok) plain = sm4_gctr(key, nonce, cipher);
  }
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    plain.clear();
  }
  return ok;
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

// The two derived keys: the only part in which suites 18/19 differ from 16/17.
inline bytes commit_key(const suite& s, const bytes& cmk) {
  if (s.kdf == kdf_kind::kbkdf_cmac) return kbkdf(s, cmk, s.commit_label, {}, 32);
  return hkdf(s, cmk, to_bytes("commit"), 32);
}
inline bytes wrap_key(const suite& s, const bytes& cmk, const bytes& salt) {
  if (s.kdf == kdf_kind::kbkdf_cmac) return kbkdf(s, cmk, s.wrap_label, salt, s.key_size);
  bytes info = to_bytes("wrap");
  info.insert(info.end(), salt.begin(), salt.end());
  return hkdf(s, cmk, info, s.key_size);
}

// GCM associated data: header (4) || trailer (key_id, key_version: 40) || ctx.
inline bytes gcm_aad(std::span<const std::uint8_t> header, std::span<const std::uint8_t> trailer,
                     const bytes& ctx) {
  bytes aad(header.begin(), header.end());
  aad.insert(aad.end(), trailer.begin(), trailer.end());
  aad.insert(aad.end(), ctx.begin(), ctx.end());
  return aad;
}

// The committing tag: HMAC_H(commit_key, every byte before the tag || ctx). Empty on failure.
inline bytes envelope_tag(const suite& s, const bytes& cmk,
                          std::span<const std::uint8_t> blob_without_tag, const bytes& ctx) {
  const bytes key = commit_key(s, cmk);
  if (key.empty()) return {};
  bytes tagged(blob_without_tag.begin(), blob_without_tag.end());
  tagged.insert(tagged.end(), ctx.begin(), ctx.end());
  return hmac(s, key, tagged);
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
  const bytes key = wrap_key(s, cmk, salt);
  bytes cipher;
  bytes gcm_tag;
  if (key.empty() ||
      !gcm_seal(s, key, bytes(12, 0), gcm_aad(header, trailer, ctx), dek, cipher, gcm_tag)) {
    return {};
  }
  bytes blob = header;
  blob.insert(blob.end(), salt.begin(), salt.end());
  blob.insert(blob.end(), cipher.begin(), cipher.end());
  blob.insert(blob.end(), gcm_tag.begin(), gcm_tag.end());
  blob.insert(blob.end(), trailer.begin(), trailer.end());
  const bytes tag = envelope_tag(s, cmk, blob, ctx);
  if (tag.size() != 32) return {};
  blob.insert(blob.end(), tag.begin(), tag.end());
  return blob;
}

// A key_id as the parser admits it: [0-9a-z], 8-4-4-4-12.
inline bool is_key_id(std::span<const std::uint8_t> id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const std::uint8_t c = id[i];
    const bool ok = dash ? c == '-' : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'));
    if (!ok) return false;
  }
  return true;
}

// Opening, as docs/envelope.md specifies it, with `cmk` the material of the blob's key_version
// (the caller picks it by key_id and key_version): the framing checks, then the committing tag
// in constant time, only then wrap_key and GCM. The DEK, or empty on any failure.
inline bytes open(const suite& s, const bytes& cmk, const bytes& blob,
                  const std::map<std::string, std::string>& context) {
  const std::size_t total = blob.size();
  // 76 bytes of framing and 48 of salt and GCM tag around a DEK of 1..1024 bytes (data keys)
  // or a payload of 1..4096 bytes (encrypt-data's versions 20 and 21).
  const std::size_t max_payload = s.version >= 0x0014 ? 4096 : 1024;
  if (total < 76 + 48 + 1 || total > 76 + 48 + max_payload) return {};
  const auto u16 = [&](std::size_t at) { return blob[at] | (blob[at + 1] << 8); };
  if (u16(0) != s.version || static_cast<std::size_t>(u16(2)) != total - 36) return {};
  const std::size_t n = total - 76 - 48;
  const std::span<const std::uint8_t> all(blob);
  const auto header = all.subspan(0, 4);
  const auto trailer = all.subspan(total - 72, 40);
  if (!is_key_id(trailer.first(36))) return {};
  const bytes ctx = canonical_context(context);
  const bytes tag = envelope_tag(s, cmk, all.first(total - 32), ctx);
  if (tag.size() != 32 || CRYPTO_memcmp(tag.data(), blob.data() + total - 32, 32) != 0) return {};
  const bytes salt(blob.begin() + 4, blob.begin() + 36);
  const bytes key = wrap_key(s, cmk, salt);
  const bytes cipher(blob.begin() + 36, blob.begin() + 36 + static_cast<std::ptrdiff_t>(n));
  const bytes gcm_tag(blob.begin() + 36 + static_cast<std::ptrdiff_t>(n),
                      blob.begin() + 52 + static_cast<std::ptrdiff_t>(n));
  bytes dek;
  if (key.empty() ||
      !gcm_open(s, key, bytes(12, 0), gcm_aad(header, trailer, ctx), cipher, gcm_tag, dek)) {
    return {};
  }
  return dek;
}

}  // namespace kmscore_test::openssl_ref
