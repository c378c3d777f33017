// Test support: the backends under test, and a deterministic RNG that only tests can reach.
#pragma once

#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/openssl.hpp>
#include <kmscore/backend/sodium.hpp>
#include <kmscore/backend/sodium_cryptopp.hpp>
#ifdef KMSCORE_HAVE_IPSEC_MB
#include <kmscore/backend/ipsec_mb.hpp>
#endif

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace kmscore_test {

using sodium = kmscore::backend::sodium;
using cryptopp = kmscore::backend::cryptopp;
using combined = kmscore::backend::combined<sodium, cryptopp>;
using sodium_cryptopp = kmscore::backend::sodium_cryptopp;
using openssl = kmscore::backend::openssl;
// The tool's default backend: each operation to the first that serves it: libsodium (AES-GCM
// with AES-NI, SHA-256), Crypto++ (SM4, SM3, raw blocks, key pairs), OpenSSL (signatures,
// RSA-OAEP, SM2 encryption).
using with_openssl = kmscore::backend::combined<combined, openssl>;
#ifdef KMSCORE_HAVE_IPSEC_MB
using ipsec_mb = kmscore::backend::ipsec_mb;
#endif

// Every backend: the fork, secret-scan and constant-time tests run over this list, so a new
// backend joins them by one line here (ipsec_mb only where libipsec-mb was found).
#ifdef KMSCORE_HAVE_IPSEC_MB
#define KMSCORE_TEST_TYPES_AND_OPTIONAL(...) ::testing::Types<__VA_ARGS__, ipsec_mb>
#else
#define KMSCORE_TEST_TYPES_AND_OPTIONAL(...) ::testing::Types<__VA_ARGS__>
#endif
using all_backends = KMSCORE_TEST_TYPES_AND_OPTIONAL(sodium, cryptopp, combined, sodium_cryptopp,
                                                     openssl, with_openssl);
// The backends that serve the SM4 suite (libsodium has no SM algorithms, OpenSSL 3.0 no SM4-GCM;
// ipsec_mb serves it through its inner sodium_cryptopp; with_openssl through Crypto++).
using sm4_backends = KMSCORE_TEST_TYPES_AND_OPTIONAL(cryptopp, combined, sodium_cryptopp,
                                                     with_openssl);
#undef KMSCORE_TEST_TYPES_AND_OPTIONAL
// The backends that sign, verify, encrypt and decrypt with the asymmetric specs
// (kmscore::asymmetric_backend): asymmetric_backend_test runs over this list.
using asymmetric_backends = ::testing::Types<openssl>;

// Wraps a backend and replaces its RNG with a counter-mode byte stream of a seed, so that
// whole operations (create_datakey) become reproducible in tests. Lives in tests/ only.
template <class Backend>
class fixed_rng : public Backend {
 public:
  static constexpr std::string_view name = "fixed_rng";
  explicit fixed_rng(std::uint8_t seed) : next_{seed} {}

  [[nodiscard]] kmscore::result<void> random_bytes(kmscore::mutable_byte_span out) noexcept {
    for (auto& b : out) b = next_++;
    return {};
  }

 private:
  std::uint8_t next_;
};

static_assert(kmscore::crypto_backend<fixed_rng<cryptopp>>);

// Wraps a backend and hands out exactly the bytes a test scripted (e.g. the salt of a frozen
// known answer), then fails: the library draws salts itself, so this is how a test fixes one.
template <class Backend>
class scripted_rng : public Backend {
 public:
  static constexpr std::string_view name = "scripted_rng";
  explicit scripted_rng(kmscore::byte_span script) : script_{script.begin(), script.end()} {}

  [[nodiscard]] kmscore::result<void> random_bytes(kmscore::mutable_byte_span out) noexcept {
    if (script_.size() - used_ < out.size()) return kmscore::errc::kms_error;
    for (auto& b : out) b = script_[used_++];
    return {};
  }

 private:
  std::vector<kmscore::byte> script_;
  std::size_t used_ = 0;
};

// Wraps a backend and counts its AEAD calls, so a test can see what the library asked for
// (e.g. that nothing is decrypted before the committing tag has been checked).
template <class Backend>
class call_recorder : public Backend {
 public:
  static constexpr std::string_view name = "call_recorder";

  [[nodiscard]] kmscore::result<void> aead_seal(
      const kmscore::aead_params& params, kmscore::byte_span plaintext,
      kmscore::mutable_byte_span ciphertext,
      std::span<kmscore::byte, kmscore::gcm_tag_size> tag) noexcept {
    ++seals;
    return Backend::aead_seal(params, plaintext, ciphertext, tag);
  }
  [[nodiscard]] kmscore::result<void> aead_open(
      const kmscore::aead_params& params, kmscore::byte_span ciphertext,
      std::span<const kmscore::byte, kmscore::gcm_tag_size> tag,
      kmscore::mutable_byte_span plaintext) noexcept {
    ++opens;
    return Backend::aead_open(params, ciphertext, tag, plaintext);
  }

  std::size_t seals = 0;
  std::size_t opens = 0;
};

}  // namespace kmscore_test
