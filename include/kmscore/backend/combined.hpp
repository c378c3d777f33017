// kmscore/backend/combined.hpp: two backends as one, each suite served by the first that can.
//
//   kmscore::backend::combined<kmscore::backend::sodium, kmscore::backend::cryptopp> both;
//   // AES_256 keys go to libsodium (when the CPU has AES-NI), SM4 keys to Crypto++.
//
// Randomness comes from the first backend; the raw block cipher (block_cipher_backend) from the
// first that has one, if either does; the asymmetric algorithms (asymmetric_backend) per key
// spec from the first that serves it, if either has them. Thread safety: that of the two
// backends.
#pragma once

#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "../asymmetric.hpp"
#include "../crypto.hpp"

namespace kmscore::detail {
// The backend of a pair that serves the raw block cipher: the first that has one.
template <class First, class Second>
struct block_source {
  using type = void;
};
template <class First, class Second>
requires block_cipher_backend<First>
struct block_source<First, Second> {
  using type = First;
};
template <class First, class Second>
requires(!block_cipher_backend<First> &&
         block_cipher_backend<Second>) struct block_source<First, Second> {
  using type = Second;
};

// Gives the pair a block_key type only when one of them has a block cipher.
template <class Source>
struct block_key_of {};
template <class Source>
requires(!std::is_void_v<Source>) struct block_key_of<Source> {
  using block_key = typename Source::block_key;
};
}  // namespace kmscore::detail

namespace kmscore::backend {

template <crypto_backend First, crypto_backend Second>
class combined : public detail::block_key_of<typename detail::block_source<First, Second>::type> {
 public:
  static constexpr std::string_view name = "combined";

  [[nodiscard]] bool supports(envelope_suite suite) const noexcept {
    return first_.supports(suite) || second_.supports(suite);
  }
  [[nodiscard]] bool supports(hash_id hash) const noexcept {
    return first_.supports(hash) || second_.supports(hash);
  }

  [[nodiscard]] result<void> random_bytes(mutable_byte_span out) noexcept {
    return first_.random_bytes(out);
  }
  [[nodiscard]] result<void> digest(hash_id hash, byte_pieces pieces, digest_out out) noexcept {
    return first_.supports(hash) ? first_.digest(hash, pieces, out)
                                 : second_.digest(hash, pieces, out);
  }
  using hmac_key = std::variant<typename First::hmac_key, typename Second::hmac_key>;

  [[nodiscard]] result<hmac_key> hmac_init(hash_id hash, byte_span key) noexcept {
    if (first_.supports(hash)) return wrap<0>(first_.hmac_init(hash, key));
    return wrap<1>(second_.hmac_init(hash, key));
  }
  [[nodiscard]] result<void> hmac_keyed(const hmac_key& key, byte_pieces pieces,
                                        digest_out out) noexcept {
    if (const auto* first = std::get_if<0>(&key)) return first_.hmac_keyed(*first, pieces, out);
    return second_.hmac_keyed(*std::get_if<1>(&key), pieces, out);
  }

  [[nodiscard]] result<void> aead_seal(const aead_params& params, byte_span plaintext,
                                       mutable_byte_span ciphertext,
                                       std::span<byte, gcm_tag_size> tag) noexcept {
    return first_serves(params.cipher) ? first_.aead_seal(params, plaintext, ciphertext, tag)
                                       : second_.aead_seal(params, plaintext, ciphertext, tag);
  }
  [[nodiscard]] result<void> aead_open(const aead_params& params, byte_span ciphertext,
                                       std::span<const byte, gcm_tag_size> tag,
                                       mutable_byte_span plaintext) noexcept {
    return first_serves(params.cipher) ? first_.aead_open(params, ciphertext, tag, plaintext)
                                       : second_.aead_open(params, ciphertext, tag, plaintext);
  }

  using block_backend = typename detail::block_source<First, Second>::type;

  [[nodiscard]] bool block_constant_time(cipher_id cipher) const noexcept
      requires(!std::is_void_v<block_backend>) {
    if constexpr (std::is_same_v<block_backend, First>) {
      return first_.block_constant_time(cipher);
    } else {
      return second_.block_constant_time(cipher);
    }
  }
  [[nodiscard]] auto block_init(cipher_id cipher, byte_span key) noexcept
      requires(!std::is_void_v<block_backend>) {
    return block_side().block_init(cipher, key);
  }
  template <class Key>
  [[nodiscard]] result<void> encrypt_blocks(const Key& key, byte_span in,
                                            mutable_byte_span out) noexcept
      requires(!std::is_void_v<block_backend>) {
    return block_side().encrypt_blocks(key, in, out);
  }

  // Key pairs from the first backend that can make them (KMS.0101 if neither can).
  [[nodiscard]] result<key_pair> generate_key_pair(key_spec spec) noexcept {
    if constexpr (key_pair_backend<First>) {
      return first_.generate_key_pair(spec);
    } else if constexpr (key_pair_backend<Second>) {
      return second_.generate_key_pair(spec);
    } else {
      return errc::kms_error;
    }
  }

  // ---- asymmetric_backend, when either side is one -------------------------------------

  static constexpr bool has_asymmetric = asymmetric_backend<First> || asymmetric_backend<Second>;

  [[nodiscard]] bool serves(key_spec spec) const noexcept requires has_asymmetric {
    return side_serving(first_, spec) || side_serving(second_, spec);
  }
  // The hashes of RAW messages: from the side that has them (both have all four).
  [[nodiscard]] result<void> hash(signature_hash hash, byte_span message,
                                  mutable_byte_span out) noexcept requires has_asymmetric {
    if constexpr (asymmetric_backend<First>) {
      return first_.hash(hash, message, out);
    } else {
      return second_.hash(hash, message, out);
    }
  }
  [[nodiscard]] result<std::vector<byte>> sign(key_spec spec, byte_span private_key,
                                               signing_algorithm algorithm,
                                               byte_span digest) noexcept requires has_asymmetric {
    return with_side(spec,
                     [&](auto& side) { return side.sign(spec, private_key, algorithm, digest); });
  }
  [[nodiscard]] result<bool> verify(key_spec spec, byte_span public_key,
                                    signing_algorithm algorithm, byte_span digest,
                                    byte_span signature) noexcept requires has_asymmetric {
    return with_side(spec, [&](auto& side) {
      return side.verify(spec, public_key, algorithm, digest, signature);
    });
  }
  [[nodiscard]] result<std::vector<byte>> encrypt(
      key_spec spec, byte_span public_key, data_encryption_algorithm algorithm,
      byte_span plaintext) noexcept requires has_asymmetric {
    return with_side(
        spec, [&](auto& side) { return side.encrypt(spec, public_key, algorithm, plaintext); });
  }
  [[nodiscard]] result<secret_bytes> decrypt(
      key_spec spec, byte_span private_key, data_encryption_algorithm algorithm,
      byte_span ciphertext) noexcept requires has_asymmetric {
    return with_side(
        spec, [&](auto& side) { return side.decrypt(spec, private_key, algorithm, ciphertext); });
  }

  // ---- key_import_backend, when either side is one: from the first side that is -------

  static constexpr bool has_import = key_import_backend<First> || key_import_backend<Second>;

  [[nodiscard]] result<secret_bytes> unwrap_key(byte_span kek,
                                                byte_span wrapped) noexcept requires has_import {
    return import_side().unwrap_key(kek, wrapped);
  }
  [[nodiscard]] result<key_pair> import_key_pair(
      key_spec spec, byte_span private_key) noexcept requires has_import {
    return import_side().import_key_pair(spec, private_key);
  }
  [[nodiscard]] bool unwraps(key_spec wrapping_spec, data_encryption_algorithm algorithm)
      const noexcept requires has_import {
    if constexpr (key_import_backend<First>) {
      return first_.unwraps(wrapping_spec, algorithm);
    } else {
      return second_.unwraps(wrapping_spec, algorithm);
    }
  }

  // ---- mac_backend, when either side is one: each algorithm from the first side with it ---

  static constexpr bool has_mac = mac_backend<First> || mac_backend<Second>;

  [[nodiscard]] bool serves(mac_algorithm algorithm) const noexcept requires has_mac {
    return side_serving_mac(first_, algorithm) || side_serving_mac(second_, algorithm);
  }
  [[nodiscard]] result<void> mac(mac_algorithm algorithm, byte_span key, byte_span message,
                                 mutable_byte_span out) noexcept requires has_mac {
    if constexpr (mac_backend<First>) {
      if (first_.serves(algorithm)) return first_.mac(algorithm, key, message, out);
    }
    if constexpr (mac_backend<Second>) {
      if (second_.serves(algorithm)) return second_.mac(algorithm, key, message, out);
    }
    return errc::kms_error;
  }

  [[nodiscard]] First& first() noexcept { return first_; }
  [[nodiscard]] Second& second() noexcept { return second_; }

 private:
  [[nodiscard]] auto& block_side() noexcept {
    if constexpr (std::is_same_v<block_backend, First>) {
      return first_;
    } else {
      return second_;
    }
  }

  [[nodiscard]] auto& import_side() noexcept {
    if constexpr (key_import_backend<First>) {
      return first_;
    } else {
      return second_;
    }
  }

  template <class Side>
  [[nodiscard]] static bool side_serving(const Side& side, key_spec spec) noexcept {
    if constexpr (asymmetric_backend<Side>) {
      return side.serves(spec);
    } else {
      return false;
    }
  }
  template <class Side>
  [[nodiscard]] static bool side_serving_mac(const Side& side, mac_algorithm algorithm) noexcept {
    if constexpr (mac_backend<Side>) {
      return side.serves(algorithm);
    } else {
      return false;
    }
  }
  // Runs use on the first side that serves spec; KMS.0101 if neither does.
  template <class Use>
  [[nodiscard]] auto with_side(key_spec spec, Use&& use) noexcept -> decltype(use(
      std::declval<std::conditional_t<asymmetric_backend<First>, First, Second>&>())) {
    if constexpr (asymmetric_backend<First>) {
      if (first_.serves(spec)) return use(first_);
    }
    if constexpr (asymmetric_backend<Second>) {
      if (second_.serves(spec)) return use(second_);
    }
    return errc::kms_error;
  }

  template <std::size_t Index, class Keyed>
  [[nodiscard]] static result<hmac_key> wrap(result<Keyed>&& keyed) noexcept {
    if (!keyed) return keyed.error();
    return hmac_key{std::in_place_index<Index>, std::move(*keyed)};
  }

  [[nodiscard]] bool first_serves(cipher_id cipher) const noexcept {
    return first_.supports(cipher == cipher_id::aes256_gcm ? envelope_suite::aes256_gcm_hmac_sha256
                                                           : envelope_suite::sm4_gcm_hmac_sm3);
  }

  First first_;
  Second second_;
};

}  // namespace kmscore::backend
