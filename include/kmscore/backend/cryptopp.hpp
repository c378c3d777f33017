// kmscore/backend/cryptopp.hpp: the Crypto++ backend (Crypto++ 8.7).
//
//   kmscore::backend::cryptopp cryptopp;
//   auto made = kmscore::create_datakey(cryptopp, sm4_cmk, params);   // SM4 end to end
//
// Serves both suites: AES-256-GCM and SM4-GCM (GCM<SM4>), SHA-256 and SM3, HMAC over both,
// and a per-thread AutoSeededRandomPool. Every Crypto++ exception is caught at this boundary
// and becomes KMS.0101; none escapes. Link with Crypto++ (pkg-config libcrypto++; CMake
// target kmscore::cryptopp). Thread safety: the RNG is per thread; nothing else is shared.
#pragma once

#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>
#include <cryptopp/hmac.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>
#include <cryptopp/sm3.h>
#include <cryptopp/sm4.h>

#include <cstddef>
#include <exception>
#include <string_view>

#include "../detail/wipe.hpp"
#include "concepts.hpp"

namespace kmscore::backend {

class cryptopp {
 public:
  static constexpr std::string_view name = "cryptopp";

  [[nodiscard]] static constexpr bool static_supports(envelope_suite suite) noexcept {
    return suite != envelope_suite::none;
  }
  [[nodiscard]] bool supports(envelope_suite suite) const noexcept {
    return static_supports(suite);
  }
  [[nodiscard]] bool supports(hash_id /*hash*/) const noexcept { return true; }

  [[nodiscard]] result<void> random_bytes(mutable_byte_span out) noexcept {
    return guarded([&] {
      thread_local CryptoPP::AutoSeededRandomPool pool;
      pool.GenerateBlock(out.data(), out.size());
    });
  }

  [[nodiscard]] result<void> digest(hash_id hash, byte_pieces pieces, digest_out out) noexcept {
    return guarded([&] {
      if (hash == hash_id::sha256) {
        hash_pieces<CryptoPP::SHA256>(pieces, out);
      } else {
        hash_pieces<CryptoPP::SM3>(pieces, out);
      }
    });
  }

  [[nodiscard]] result<void> hmac(hash_id hash, byte_span key, byte_pieces pieces,
                                  digest_out out) noexcept {
    return guarded([&] {
      if (hash == hash_id::sha256) {
        mac_pieces<CryptoPP::SHA256>(key, pieces, out);
      } else {
        mac_pieces<CryptoPP::SM3>(key, pieces, out);
      }
    });
  }

  [[nodiscard]] result<void> aead_seal(const aead_params& params, byte_span plaintext,
                                       mutable_byte_span ciphertext,
                                       std::span<byte, gcm_tag_size> tag) noexcept {
    if (!key_fits(params) || ciphertext.size() != plaintext.size()) return errc::kms_error;
    auto sealed = guarded([&] {
      if (params.cipher == cipher_id::aes256_gcm) {
        seal_with<CryptoPP::AES>(params, plaintext, ciphertext, tag);
      } else {
        seal_with<CryptoPP::SM4>(params, plaintext, ciphertext, tag);
      }
    });
    if (!sealed) detail::secure_wipe(ciphertext.data(), ciphertext.size());
    return sealed;
  }

  [[nodiscard]] result<void> aead_open(const aead_params& params, byte_span ciphertext,
                                       std::span<const byte, gcm_tag_size> tag,
                                       mutable_byte_span plaintext) noexcept {
    if (!key_fits(params) || ciphertext.size() != plaintext.size()) return errc::kms_error;
    bool authentic = false;
    auto opened = guarded([&] {
      authentic = params.cipher == cipher_id::aes256_gcm
                      ? open_with<CryptoPP::AES>(params, ciphertext, tag, plaintext)
                      : open_with<CryptoPP::SM4>(params, ciphertext, tag, plaintext);
    });
    if (!opened || !authentic) {
      detail::secure_wipe(plaintext.data(), plaintext.size());
      return opened ? result<void>{errc::decrypt_failed} : opened;
    }
    return {};
  }

 private:
  // The one place Crypto++ exceptions are caught: they become KMS.0101.
  template <class Body>
  [[nodiscard]] static result<void> guarded(Body&& body) noexcept {
    try {
      body();
      return {};
    } catch (...) {
      return errc::kms_error;
    }
  }

  [[nodiscard]] static bool key_fits(const aead_params& params) noexcept {
    return params.key.size() == cipher_key_size(params.cipher);
  }

  template <class Hash>
  static void hash_pieces(byte_pieces pieces, digest_out out) {
    Hash hash;
    for (const auto piece : pieces) hash.Update(piece.data(), piece.size());
    hash.Final(out.data());
  }

  template <class Hash>
  static void mac_pieces(byte_span key, byte_pieces pieces, digest_out out) {
    CryptoPP::HMAC<Hash> mac{key.data(), key.size()};
    for (const auto piece : pieces) mac.Update(piece.data(), piece.size());
    mac.Final(out.data());
  }

  template <class Cipher>
  static void seal_with(const aead_params& params, byte_span plaintext,
                        mutable_byte_span ciphertext, std::span<byte, gcm_tag_size> tag) {
    typename CryptoPP::GCM<Cipher>::Encryption gcm;
    gcm.SetKeyWithIV(params.key.data(), params.key.size(), params.nonce.data(),
                     params.nonce.size());
    gcm.EncryptAndAuthenticate(ciphertext.data(), tag.data(), tag.size(), params.nonce.data(),
                               static_cast<int>(params.nonce.size()), params.aad.data(),
                               params.aad.size(), plaintext.data(), plaintext.size());
  }

  template <class Cipher>
  static bool open_with(const aead_params& params, byte_span ciphertext,
                        std::span<const byte, gcm_tag_size> tag, mutable_byte_span plaintext) {
    typename CryptoPP::GCM<Cipher>::Decryption gcm;
    gcm.SetKeyWithIV(params.key.data(), params.key.size(), params.nonce.data(),
                     params.nonce.size());
    return gcm.DecryptAndVerify(plaintext.data(), tag.data(), tag.size(), params.nonce.data(),
                                static_cast<int>(params.nonce.size()), params.aad.data(),
                                params.aad.size(), ciphertext.data(), ciphertext.size());
  }
};

static_assert(crypto_backend<cryptopp>);

}  // namespace kmscore::backend
