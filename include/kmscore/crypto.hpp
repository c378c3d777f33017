// kmscore/crypto.hpp: the crypto vocabulary: cipher and hash ids, their sizes, and what a
// crypto backend provides, as a C++20 concept.
//
//   static_assert(kmscore::crypto_backend<kmscore::backend::sodium>);
//   kmscore::backend::sodium sodium;
//   if (sodium.supports(kmscore::envelope_suite::aes256_gcm_hmac_sha256)) ...
//
// A backend supplies randomness, AEAD (GCM) seal/open, digests and HMAC for the hashes of
// the envelope suites, and says at run time (`supports`: e.g. libsodium's AES-GCM needs
// AES-NI) which suites it serves. HKDF is built once, over the backend's HMAC
// (detail/hkdf.hpp). Backends report failures as values (KMS.0101), including buffers of
// the wrong size; no exception escapes them. A backend may also offer the raw block cipher
// (block_cipher_backend), which the CMAC-based suites need. Operations are templates on the
// backend, so several backends live in one program. Everything here is vocabulary: detail/ and the
// backends include it, never the other way round.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "bytes.hpp"
#include "key_spec.hpp"
#include "result.hpp"
#include "secret.hpp"

namespace kmscore {

enum class cipher_id : std::uint8_t { aes256_gcm, sm4_gcm };
enum class hash_id : std::uint8_t { sha256, sm3 };

inline constexpr std::size_t gcm_nonce_size = 12;
inline constexpr std::size_t gcm_tag_size = 16;
inline constexpr std::size_t digest_size = 32;  // SHA-256 and SM3 alike
inline constexpr std::size_t aes256_key_size = 32;
inline constexpr std::size_t sm4_key_size = 16;
inline constexpr std::size_t max_cipher_key_size = aes256_key_size;
inline constexpr std::size_t cipher_block_size = 16;  // AES and SM4 alike

[[nodiscard]] constexpr std::size_t cipher_key_size(cipher_id cipher) noexcept {
  return cipher == cipher_id::aes256_gcm ? aes256_key_size : sm4_key_size;
}

// The sizes every backend checks before touching memory (a mismatch is KMS.0101).
[[nodiscard]] constexpr bool aead_sizes_ok(cipher_id cipher, std::size_t key_size,
                                           std::size_t in_size, std::size_t out_size) noexcept {
  return key_size == cipher_key_size(cipher) && in_size == out_size;
}
[[nodiscard]] constexpr cipher_id suite_cipher(envelope_suite suite) noexcept {
  return suite == envelope_suite::sm4_gcm_hmac_sm3 ? cipher_id::sm4_gcm : cipher_id::aes256_gcm;
}
[[nodiscard]] constexpr hash_id suite_hash(envelope_suite suite) noexcept {
  return suite == envelope_suite::sm4_gcm_hmac_sm3 ? hash_id::sm3 : hash_id::sha256;
}

// A message given as pieces, hashed as their concatenation (no copy to join them).
using byte_pieces = std::span<const byte_span>;
using digest_out = std::span<byte, digest_size>;

// One AEAD operation: key, 12-byte nonce, associated data.
struct aead_params {
  cipher_id cipher;
  byte_span key;
  std::span<const byte, gcm_nonce_size> nonce;
  byte_span aad;
};

template <class B>
concept crypto_backend = requires(B& backend, const B& const_backend, envelope_suite suite,
                                  hash_id hash, mutable_byte_span out, byte_span in,
                                  byte_pieces pieces, digest_out digest, aead_params aead,
                                  std::span<byte, gcm_tag_size> tag_out,
                                  std::span<const byte, gcm_tag_size> tag_in) {
  { B::name } -> std::convertible_to<std::string_view>;
  { const_backend.supports(suite) } -> std::same_as<bool>;
  { const_backend.supports(hash) } -> std::same_as<bool>;
  { backend.random_bytes(out) } -> std::same_as<result<void>>;
  { backend.digest(hash, pieces, digest) } -> std::same_as<result<void>>;
  // HMAC with the key's inner and outer states computed once (per CMK), reused per message.
  typename B::hmac_key;
  { backend.hmac_init(hash, in) } -> std::same_as<result<typename B::hmac_key>>;
  {
    backend.hmac_keyed(std::declval<const typename B::hmac_key&>(), pieces, digest)
    } -> std::same_as<result<void>>;
  // seal: out (same size as in) = ciphertext, tag_out = GCM tag.
  { backend.aead_seal(aead, in, out, tag_out) } -> std::same_as<result<void>>;
  // open: verifies tag_in; on failure `out` is wiped and the error is KMS.2203.
  { backend.aead_open(aead, in, tag_in, out) } -> std::same_as<result<void>>;
};

// A backend that also has the raw block cipher of the suites (AES-256, SM4), so that keys can
// be derived with CMAC (suites 18 and 19, detail/counter_kdf.hpp). encrypt_blocks encrypts
// independent blocks (in and out of the same size, a multiple of 16 bytes, possibly the same
// buffer; else KMS.0101), several at a time where the library can. block_constant_time says
// whether the cipher runs in hardware here (AES-NI): only then are the CMAC suites sealed,
// since their KDF keys the block cipher with the CMK itself.
template <class B>
concept block_cipher_backend = crypto_backend<B> &&
    requires(B& backend, const B& const_backend, cipher_id cipher, byte_span in,
             mutable_byte_span out) {
  typename B::block_key;
  { const_backend.block_constant_time(cipher) } -> std::same_as<bool>;
  { backend.block_init(cipher, in) } -> std::same_as<result<typename B::block_key>>;
  {
    backend.encrypt_blocks(std::declval<const typename B::block_key&>(), in, out)
    } -> std::same_as<result<void>>;
};

// A backend that can also tag many messages under one HMAC key in one call (multi-buffer
// code running several messages in the lanes of one set of registers): tags_out holds
// digest_size bytes per message, in order. The batch path of data keys uses it where present
// (hmac_keyed_many below); the result is the same as one hmac_keyed call per message.
template <class B>
concept batch_hmac_backend = crypto_backend<B> &&
    requires(B& backend, std::span<const byte_span> messages, mutable_byte_span tags_out) {
  {
    backend.hmac_keyed_many(std::declval<const typename B::hmac_key&>(), messages, tags_out)
    } -> std::same_as<result<void>>;
};

namespace detail {
// One hmac_keyed call for each message that `pick` selects, its tag at the message's place in
// tags_out (digest_size bytes per message): what a batch entry computes, and its fallback.
template <class Backend, class Key, class Pick>
[[nodiscard]] result<void> hmac_keyed_each(Backend& backend, const Key& key,
                                           std::span<const byte_span> messages,
                                           mutable_byte_span tags_out, Pick pick) noexcept {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (!pick(messages[i])) continue;
    const std::array<byte_span, 1> pieces{messages[i]};
    KMSCORE_TRY(backend.hmac_keyed(
        key, pieces, tags_out.subspan(i * digest_size).template first<digest_size>()));
  }
  return {};
}
}  // namespace detail

// HMAC tags of many messages under one keyed state: the backend's batch entry, or one call
// each. tags_out must hold exactly digest_size bytes per message (else KMS.0101).
template <crypto_backend Backend>
[[nodiscard]] result<void> hmac_keyed_many(Backend& backend, const typename Backend::hmac_key& key,
                                           std::span<const byte_span> messages,
                                           mutable_byte_span tags_out) noexcept {
  if (tags_out.size() != messages.size() * digest_size) return errc::kms_error;
  if constexpr (batch_hmac_backend<Backend>) {
    return backend.hmac_keyed_many(key, messages, tags_out);
  } else {
    return detail::hmac_keyed_each(backend, key, messages, tags_out,
                                   [](byte_span) { return true; });
  }
}

// HMAC of a message under a key used once (keyed states are the backend's; this is the one
// place that strings init and use together).
template <crypto_backend Backend>
[[nodiscard]] result<void> hmac(Backend& backend, hash_id hash, byte_span key, byte_pieces pieces,
                                digest_out out) noexcept {
  auto keyed = backend.hmac_init(hash, key);
  if (!keyed) return keyed.error();
  return backend.hmac_keyed(*keyed, pieces, out);
}

// Asymmetric key material: the private key as PKCS#8 PrivateKeyInfo DER (in zeroizing
// storage), the public key as X.509 SubjectPublicKeyInfo DER, with the standard OIDs.
struct key_pair {
  secret_bytes private_key;
  std::vector<byte> public_key;
};

// A backend that can also make key pairs for the asymmetric specs (RSA, EC, SM2).
template <class B>
concept key_pair_backend = crypto_backend<B> && requires(B& backend, key_spec spec) {
  { backend.generate_key_pair(spec) } -> std::same_as<result<key_pair>>;
};

// A backend that computes the MACs of HMAC keys (api-import-mac.md §6): HMAC (RFC 2104) with
// SHA-256, SHA-384, SHA-512 or SM3 over `message` under `key`, into `out` of exactly the
// algorithm's size (else KMS.0101). serves says which of the four it has.
template <class B>
concept mac_backend = crypto_backend<B> &&
    requires(B& backend, const B& const_backend, mac_algorithm algorithm, byte_span in,
             mutable_byte_span out) {
  { const_backend.serves(algorithm) } -> std::same_as<bool>;
  { backend.mac(algorithm, in, in, out) } -> std::same_as<result<void>>;
};

}  // namespace kmscore
