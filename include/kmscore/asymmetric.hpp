// kmscore/asymmetric.hpp: the vocabulary of the asymmetric actions (api-asymmetric.md):
// signing and encryption algorithms, which key spec takes which, and what a backend that
// signs and decrypts provides, as a C++20 concept.
//
//   const auto* algorithm = kmscore::find_signing_algorithm("ECDSA_SHA_256");
//   algorithm->hash;                                     // signature_hash::sha256
//   kmscore::signing_allowed(key_spec::ec_p256, algorithm->id);   // true
//
// Keys reach a backend as the DER the key record stores: PKCS#8 PrivateKeyInfo (held in
// zeroizing memory by the caller) and X.509 SubjectPublicKeyInfo. Signatures are made over a
// digest the caller computed (DIGEST) or the backend hashed (RAW, asymmetric_backend::hash).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "bytes.hpp"
#include "crypto.hpp"
#include "key_spec.hpp"
#include "result.hpp"
#include "secret.hpp"

namespace kmscore {

// The hashes of the signing algorithms.
enum class signature_hash : std::uint8_t { sha256, sha384, sha512, sm3 };

[[nodiscard]] constexpr std::size_t signature_hash_size(signature_hash hash) noexcept {
  switch (hash) {
    case signature_hash::sha384:
      return 48;
    case signature_hash::sha512:
      return 64;
    case signature_hash::sha256:
    case signature_hash::sm3:
      break;
  }
  return 32;
}
inline constexpr std::size_t max_signature_hash_size = 64;

enum class signature_scheme : std::uint8_t { rsa_pss, rsa_pkcs1_v1_5, ecdsa, sm2 };

enum class signing_algorithm : std::uint8_t {
  rsassa_pss_sha256,
  rsassa_pss_sha384,
  rsassa_pss_sha512,
  rsassa_pkcs1_v1_5_sha256,
  rsassa_pkcs1_v1_5_sha384,
  rsassa_pkcs1_v1_5_sha512,
  ecdsa_sha256,
  ecdsa_sha384,
  ecdsa_sha512,  // a documented name that no key spec here takes (no P-521): always KMS.0332
  sm2dsa_sm3,
};

struct signing_algorithm_info {
  signing_algorithm id;
  std::string_view name;  // as on the wire
  signature_scheme scheme;
  signature_hash hash;
};

// The ten names of api-asymmetric.md section 0.3, ordered like signing_algorithm.
inline constexpr std::array<signing_algorithm_info, 10> signing_algorithms{{
    {signing_algorithm::rsassa_pss_sha256, "RSASSA_PSS_SHA_256", signature_scheme::rsa_pss,
     signature_hash::sha256},
    {signing_algorithm::rsassa_pss_sha384, "RSASSA_PSS_SHA_384", signature_scheme::rsa_pss,
     signature_hash::sha384},
    {signing_algorithm::rsassa_pss_sha512, "RSASSA_PSS_SHA_512", signature_scheme::rsa_pss,
     signature_hash::sha512},
    {signing_algorithm::rsassa_pkcs1_v1_5_sha256, "RSASSA_PKCS1_V1_5_SHA_256",
     signature_scheme::rsa_pkcs1_v1_5, signature_hash::sha256},
    {signing_algorithm::rsassa_pkcs1_v1_5_sha384, "RSASSA_PKCS1_V1_5_SHA_384",
     signature_scheme::rsa_pkcs1_v1_5, signature_hash::sha384},
    {signing_algorithm::rsassa_pkcs1_v1_5_sha512, "RSASSA_PKCS1_V1_5_SHA_512",
     signature_scheme::rsa_pkcs1_v1_5, signature_hash::sha512},
    {signing_algorithm::ecdsa_sha256, "ECDSA_SHA_256", signature_scheme::ecdsa,
     signature_hash::sha256},
    {signing_algorithm::ecdsa_sha384, "ECDSA_SHA_384", signature_scheme::ecdsa,
     signature_hash::sha384},
    {signing_algorithm::ecdsa_sha512, "ECDSA_SHA_512", signature_scheme::ecdsa,
     signature_hash::sha512},
    {signing_algorithm::sm2dsa_sm3, "SM2DSA_SM3", signature_scheme::sm2, signature_hash::sm3},
}};

[[nodiscard]] constexpr const signing_algorithm_info& info(signing_algorithm algorithm) noexcept {
  return signing_algorithms[static_cast<std::size_t>(algorithm)];
}
[[nodiscard]] constexpr const signing_algorithm_info* find_signing_algorithm(
    std::string_view name) noexcept {
  for (const auto& row : signing_algorithms) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

// The pairs of section 0.3: every RSA size with the six RSASSA names, each curve with its own
// hash, SM2 with SM2DSA_SM3.
[[nodiscard]] constexpr bool signing_allowed(key_spec spec, signing_algorithm algorithm) noexcept {
  const auto& row = info(algorithm);
  switch (spec_policy(spec).family) {
    case key_family::rsa:
      return row.scheme == signature_scheme::rsa_pss ||
             row.scheme == signature_scheme::rsa_pkcs1_v1_5;
    case key_family::ec:  // ECDSA with the hash the curve's row pairs with it
      return row.scheme == signature_scheme::ecdsa &&
             signature_hash_size(row.hash) * 8 == curve_info(spec).ecdsa_hash_bits;
    case key_family::sm2:
      return algorithm == signing_algorithm::sm2dsa_sm3;
    case key_family::symmetric:
    case key_family::hmac:
      break;
  }
  return false;
}

enum class message_type : std::uint8_t { digest, raw };

// rsaes_oaep_sha1 (MGF1-SHA-1) only unwraps imported material (import.hpp): it has no wire
// name here, so encrypt-data and decrypt-data never take it.
enum class data_encryption_algorithm : std::uint8_t {
  symmetric_default,
  rsaes_oaep_sha256,
  sm2_encrypt,
  rsaes_oaep_sha1
};

struct data_encryption_algorithm_info {
  data_encryption_algorithm id;
  std::string_view name;
};
inline constexpr std::array<data_encryption_algorithm_info, 3> data_encryption_algorithms{{
    {data_encryption_algorithm::symmetric_default, "SYMMETRIC_DEFAULT"},
    {data_encryption_algorithm::rsaes_oaep_sha256, "RSAES_OAEP_SHA_256"},
    {data_encryption_algorithm::sm2_encrypt, "SM2_ENCRYPT"},
}};
[[nodiscard]] constexpr std::optional<data_encryption_algorithm> find_data_encryption_algorithm(
    std::string_view name) noexcept {
  for (const auto& row : data_encryption_algorithms) {
    if (row.name == name) return row.id;
  }
  return std::nullopt;
}

// RSAES-OAEP with SHA-256 (and MGF1-SHA-256, empty label): the longest plaintext a modulus of
// k bytes takes is k - 2*32 - 2 (RFC 8017 7.1.1).
[[nodiscard]] constexpr std::size_t rsa_oaep_sha256_max_plaintext(key_spec spec) noexcept {
  constexpr std::size_t sha256_size = 32;
  return spec_policy(spec).strength_bits / 8 - 2 * sha256_size - 2;
}
static_assert(rsa_oaep_sha256_max_plaintext(key_spec::rsa_2048) == 190);
static_assert(rsa_oaep_sha256_max_plaintext(key_spec::rsa_4096) == 446);

// A backend that signs, verifies, encrypts and decrypts with the asymmetric specs.
//   serves(spec)      whether it has the algorithms of that spec (RSA, EC, SM2);
//   hash              the algorithm's hash of a message (RAW): SHA-256/384/512, SM3;
//   sign              a signature (DER SEQUENCE{r,s} for ECDSA and SM2; RSA: modulus-sized)
//                     over `digest`, exactly signature_hash_size bytes; PSS with MGF1 of the
//                     same hash and a salt of the hash's length; SM2 with `digest` as e;
//   verify            true or false for a well-formed call, whatever the signature's shape;
//                     an error only for a key the backend cannot read or a fault;
//   encrypt           RSAES-OAEP-SHA-256 (MGF1-SHA-256, empty label), RSAES-OAEP-SHA-1
//                     (MGF1-SHA-1) or SM2 encryption (SM3, DER per GM/T 0009: C1, C3, C2)
//                     to the public key;
//   decrypt           the inverse into zeroizing memory; any ciphertext that does not
//                     decrypt is errc::decrypt_failed, a fault KMS.0101.
// Private keys are PKCS#8 DER, public keys SubjectPublicKeyInfo DER, as key records hold them.
template <class B>
concept asymmetric_backend = crypto_backend<B> &&
    requires(B& backend, const B& const_backend, key_spec spec, signing_algorithm algorithm,
             signature_hash hash, data_encryption_algorithm cipher, byte_span in, byte_span der,
             mutable_byte_span out) {
  { const_backend.serves(spec) } -> std::same_as<bool>;
  { backend.hash(hash, in, out) } -> std::same_as<result<void>>;
  { backend.sign(spec, der, algorithm, in) } -> std::same_as<result<std::vector<byte>>>;
  { backend.verify(spec, der, algorithm, in, in) } -> std::same_as<result<bool>>;
  { backend.encrypt(spec, der, cipher, in) } -> std::same_as<result<std::vector<byte>>>;
  { backend.decrypt(spec, der, cipher, in) } -> std::same_as<result<secret_bytes>>;
};

// A backend that can also take imported key material (import.hpp, api-import-mac.md §3.2):
//   unwrap_key        RFC 5649 AES key wrap with padding under a 16- or 32-byte KEK
//                     (AES-128/256-KWP, alternative IV A65959A6) into zeroizing memory; any
//                     input that fails the integrity check is errc::decrypt_failed; another
//                     KEK size, KMS.0101;
//   import_key_pair   a PKCS#8 PrivateKeyInfo checked to be exactly one key of the spec (its
//                     algorithm, RSA size with e = 65537, named curve; RSA CRT values and an
//                     EC scalar and point consistent), re-encoded as generate_key_pair writes
//                     it, with its public key; errc::decrypt_failed for any key it refuses;
//   unwraps           whether decrypt takes `algorithm` for a `wrapping_spec` key here and
//                     RFC 5649 is at hand (a FIPS-only OpenSSL has no SHA-1 OAEP, say).
template <class B>
concept key_import_backend = asymmetric_backend<B> &&
    requires(B& backend, const B& const_backend, key_spec spec, byte_span in,
             data_encryption_algorithm algorithm) {
  { backend.unwrap_key(in, in) } -> std::same_as<result<secret_bytes>>;
  { backend.import_key_pair(spec, in) } -> std::same_as<result<key_pair>>;
  { const_backend.unwraps(spec, algorithm) } -> std::same_as<bool>;
};

}  // namespace kmscore
