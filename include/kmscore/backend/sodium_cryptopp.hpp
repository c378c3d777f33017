// kmscore/backend/sodium_cryptopp.hpp: libsodium and Crypto++ together, each primitive from the
// library that is fastest at it on x86-64, and randomness drawn in batches.
//
//   kmscore::backend::sodium_cryptopp backend;
//   auto sealer = kmscore::datakey_sealer<kmscore::backend::sodium_cryptopp>::make(backend, cmk);
//
// AES-256-GCM from libsodium (AES-NI + PCLMUL; Crypto++ when the CPU lacks them), SM4-GCM,
// SHA-256, SM3 and HMAC from Crypto++ (its SHA-256 uses the SHA extensions; libsodium
// 1.0.18's does not), the raw block ciphers and key pairs from Crypto++. Random bytes come from
// libsodium's side of the fork-safe per-thread buffer (random_buffer.hpp). Thread safety: an
// instance may be shared by threads.
#pragma once

#include <string_view>

#include "cryptopp.hpp"
#include "sodium.hpp"

namespace kmscore::backend {

class sodium_cryptopp {
 public:
  static constexpr std::string_view name = "sodium_cryptopp";
  using hmac_key = cryptopp::hmac_key;

  [[nodiscard]] bool supports(envelope_suite suite) const noexcept {
    return cryptopp_.supports(suite);
  }
  [[nodiscard]] bool supports(hash_id hash) const noexcept { return cryptopp_.supports(hash); }

  [[nodiscard]] result<void> random_bytes(mutable_byte_span out) noexcept {
    return sodium_.random_bytes(out);
  }

  [[nodiscard]] result<void> digest(hash_id hash, byte_pieces pieces, digest_out out) noexcept {
    return cryptopp_.digest(hash, pieces, out);
  }
  [[nodiscard]] result<hmac_key> hmac_init(hash_id hash, byte_span key) noexcept {
    return cryptopp_.hmac_init(hash, key);
  }
  [[nodiscard]] result<void> hmac_keyed(const hmac_key& key, byte_pieces pieces,
                                        digest_out out) noexcept {
    return cryptopp_.hmac_keyed(key, pieces, out);
  }

  [[nodiscard]] result<void> aead_seal(const aead_params& params, byte_span plaintext,
                                       mutable_byte_span ciphertext,
                                       std::span<byte, gcm_tag_size> tag) noexcept {
    return sodium_serves(params) ? sodium_.aead_seal(params, plaintext, ciphertext, tag)
                                 : cryptopp_.aead_seal(params, plaintext, ciphertext, tag);
  }
  [[nodiscard]] result<void> aead_open(const aead_params& params, byte_span ciphertext,
                                       std::span<const byte, gcm_tag_size> tag,
                                       mutable_byte_span plaintext) noexcept {
    return sodium_serves(params) ? sodium_.aead_open(params, ciphertext, tag, plaintext)
                                 : cryptopp_.aead_open(params, ciphertext, tag, plaintext);
  }

  using block_key = cryptopp::block_key;
  [[nodiscard]] bool block_constant_time(cipher_id cipher) const noexcept {
    return cryptopp_.block_constant_time(cipher);
  }
  [[nodiscard]] result<block_key> block_init(cipher_id cipher, byte_span key) noexcept {
    return cryptopp_.block_init(cipher, key);
  }
  [[nodiscard]] result<void> encrypt_blocks(const block_key& key, byte_span in,
                                            mutable_byte_span out) noexcept {
    return cryptopp_.encrypt_blocks(key, in, out);
  }

  [[nodiscard]] result<key_pair> generate_key_pair(key_spec spec) noexcept {
    return cryptopp_.generate_key_pair(spec);
  }

 private:
  [[nodiscard]] bool sodium_serves(const aead_params& params) const noexcept {
    return params.cipher == cipher_id::aes256_gcm && aes_ni_;
  }

  sodium sodium_;
  cryptopp cryptopp_;
  bool aes_ni_ = sodium_.supports(envelope_suite::aes256_gcm_hmac_sha256);
};

static_assert(key_pair_backend<sodium_cryptopp>);
static_assert(block_cipher_backend<sodium_cryptopp>);

}  // namespace kmscore::backend
