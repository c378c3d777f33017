// kmscore/backend/sodium.hpp: the libsodium backend (libsodium 1.0.18 as Debian 12 ships it).
//
//   kmscore::backend::sodium sodium;   // calls sodium_init()
//   auto made = kmscore::create_datakey(sodium, cmk, params);
//
// Serves the AES_256 suite: AES-256-GCM (only where the CPU has AES-NI and CLMUL, which
// libsodium checks at run time), SHA-256 and HMAC-SHA-256 (multi-part API), and randomness
// from a fork-safe per-thread buffer (random_buffer.hpp: libsodium's ChaCha20 expansion of
// a seed from its OS RNG). It has no SM algorithms and says so (`supports` is false, calls give
// KMS.0101). Link with libsodium (pkg-config libsodium; CMake target kmscore::sodium). Thread
// safety: an instance holds no mutable state; libsodium's functions are thread-safe.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <string_view>

#include "../crypto.hpp"
#include "../detail/wipe.hpp"
#include "random_buffer.hpp"

namespace kmscore::backend {

class sodium {
 public:
  static constexpr std::string_view name = "sodium";

  sodium() noexcept : initialised_{sodium_init() >= 0} {}

  // Whether sodium_init() succeeded (everything else reports KMS.0101 otherwise).
  [[nodiscard]] bool ready() const noexcept { return initialised_; }

  [[nodiscard]] bool supports(envelope_suite suite) const noexcept {
    return initialised_ && suite == envelope_suite::aes256_gcm_hmac_sha256 &&
           crypto_aead_aes256gcm_is_available() == 1;
  }
  [[nodiscard]] bool supports(hash_id hash) const noexcept {
    return initialised_ && hash == hash_id::sha256;
  }

  [[nodiscard]] result<void> random_bytes(mutable_byte_span out) noexcept {
    if (!initialised_) return errc::kms_error;
    return detail::fork_safe_random<random_source>::fill(out);
  }

  [[nodiscard]] result<void> digest(hash_id hash, byte_pieces pieces, digest_out out) noexcept {
    if (!supports(hash)) return errc::kms_error;
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    for (const auto piece : pieces) crypto_hash_sha256_update(&state, piece.data(), piece.size());
    crypto_hash_sha256_final(&state, out.data());
    detail::secure_wipe(&state, sizeof state);
    return {};
  }

  // A keyed HMAC-SHA-256 state (the key's pads already absorbed), wiped on destruction.
  class hmac_key {
   public:
    hmac_key() noexcept = default;
    hmac_key(const hmac_key&) = delete;
    hmac_key& operator=(const hmac_key&) = delete;
    hmac_key(hmac_key&& other) noexcept : state_{other.state_} { other.wipe(); }
    hmac_key& operator=(hmac_key&& other) noexcept {
      if (this != &other) {
        state_ = other.state_;
        other.wipe();
      }
      return *this;
    }
    ~hmac_key() { wipe(); }

   private:
    friend class sodium;
    void wipe() noexcept { detail::secure_wipe(&state_, sizeof state_); }
    crypto_auth_hmacsha256_state state_{};
  };

  [[nodiscard]] result<hmac_key> hmac_init(hash_id hash, byte_span key) noexcept {
    if (!supports(hash)) return errc::kms_error;
    hmac_key keyed;
    const byte empty = 0;
    crypto_auth_hmacsha256_init(&keyed.state_, non_null(key, empty), key.size());
    return keyed;
  }

  [[nodiscard]] result<void> hmac_keyed(const hmac_key& key, byte_pieces pieces,
                                        digest_out out) noexcept {
    crypto_auth_hmacsha256_state state = key.state_;
    for (const auto piece : pieces) {
      crypto_auth_hmacsha256_update(&state, piece.data(), piece.size());
    }
    crypto_auth_hmacsha256_final(&state, out.data());
    detail::secure_wipe(&state, sizeof state);
    return {};
  }

  // ---- mac_backend: HMAC-SHA-256 and HMAC-SHA-512 (libsodium has neither SHA-384 nor SM3).

  [[nodiscard]] bool serves(mac_algorithm algorithm) const noexcept {
    return initialised_ &&
           (algorithm == mac_algorithm::hmac_sha_256 || algorithm == mac_algorithm::hmac_sha_512);
  }

  [[nodiscard]] result<void> mac(mac_algorithm algorithm, byte_span key, byte_span message,
                                 mutable_byte_span out) noexcept {
    if (!serves(algorithm) || out.size() != info(algorithm).size) return errc::kms_error;
    const byte empty = 0;
    if (algorithm == mac_algorithm::hmac_sha_256) {
      crypto_auth_hmacsha256_state state{};
      crypto_auth_hmacsha256_init(&state, non_null(key, empty), key.size());
      crypto_auth_hmacsha256_update(&state, message.data(), message.size());
      crypto_auth_hmacsha256_final(&state, out.data());
      detail::secure_wipe(&state, sizeof state);
    } else {
      crypto_auth_hmacsha512_state state{};
      crypto_auth_hmacsha512_init(&state, non_null(key, empty), key.size());
      crypto_auth_hmacsha512_update(&state, message.data(), message.size());
      crypto_auth_hmacsha512_final(&state, out.data());
      detail::secure_wipe(&state, sizeof state);
    }
    return {};
  }

  [[nodiscard]] result<void> aead_seal(const aead_params& params, byte_span plaintext,
                                       mutable_byte_span ciphertext,
                                       std::span<byte, gcm_tag_size> tag) noexcept {
    if (!usable(params) || ciphertext.size() != plaintext.size()) return errc::kms_error;
    unsigned long long tag_size = 0;
    byte empty = 0;  // libsodium declares its buffers non-null, even when empty
    if (crypto_aead_aes256gcm_encrypt_detached(non_null(ciphertext, empty), tag.data(), &tag_size,
                                               non_null(plaintext, empty), plaintext.size(),
                                               params.aad.data(), params.aad.size(), nullptr,
                                               params.nonce.data(), params.key.data()) != 0) {
      detail::secure_wipe(ciphertext.data(), ciphertext.size());
      return errc::kms_error;
    }
    return {};
  }

  [[nodiscard]] result<void> aead_open(const aead_params& params, byte_span ciphertext,
                                       std::span<const byte, gcm_tag_size> tag,
                                       mutable_byte_span plaintext) noexcept {
    if (!usable(params) || ciphertext.size() != plaintext.size()) return errc::kms_error;
    byte empty = 0;
    if (crypto_aead_aes256gcm_decrypt_detached(non_null(plaintext, empty), nullptr,
                                               non_null(ciphertext, empty), ciphertext.size(),
                                               tag.data(), params.aad.data(), params.aad.size(),
                                               params.nonce.data(), params.key.data()) != 0) {
      detail::secure_wipe(plaintext.data(), plaintext.size());
      return errc::decrypt_failed;
    }
    return {};
  }

 private:
  // The OS seed (libsodium's randombytes_buf: getrandom) and its ChaCha20 expansion.
  struct random_source {
    [[nodiscard]] static bool os_random(mutable_byte_span out) noexcept {
      randombytes_buf(out.data(), out.size());
      return true;
    }
    [[nodiscard]] static bool expand(std::span<const byte, detail::random_seed_size> seed,
                                     mutable_byte_span out) noexcept {
      static_assert(detail::random_seed_size == randombytes_SEEDBYTES);
      randombytes_buf_deterministic(out.data(), out.size(), seed.data());
      return true;
    }
  };

  [[nodiscard]] static byte* non_null(mutable_byte_span buffer, byte& empty) noexcept {
    return buffer.empty() ? &empty : buffer.data();
  }
  [[nodiscard]] static const byte* non_null(byte_span buffer, const byte& empty) noexcept {
    return buffer.empty() ? &empty : buffer.data();
  }

  [[nodiscard]] bool usable(const aead_params& params) const noexcept {
    return params.cipher == cipher_id::aes256_gcm &&
           supports(envelope_suite::aes256_gcm_hmac_sha256) &&
           params.key.size() == crypto_aead_aes256gcm_KEYBYTES;
  }

  bool initialised_;
};

static_assert(crypto_backend<sodium>);

}  // namespace kmscore::backend
