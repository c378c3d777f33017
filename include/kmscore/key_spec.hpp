// kmscore/key_spec.hpp: the key-spec policy, one constexpr table that every part consults.
//
//   const auto& policy = kmscore::spec_policy(kmscore::key_spec::sm4);
//   policy.material_size;               // 16
//   policy.allows(key_usage::sign_verify);  // false
//   policy.suite;                       // envelope_suite::sm4_gcm_hmac_sm3
//
// Nothing else in the library names a spec's properties: sizes, usages, origins, the
// envelope suite and, for EC and SM2 specs, the curve (its OID, OpenSSL's name for it, its
// field size and the hash the API pairs with it) all come from `key_spec_table` and
// `ec_curve_table`. A backend serves the curves it has a case for: each switches over
// `ec_curve` without a default, so a curve added here fails to compile (-Wswitch, warnings
// are errors) until every backend has a case for it, and a curve a backend cannot make is
// an error (KMS.0101), never another curve.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "error.hpp"

namespace kmscore {

enum class key_spec : std::uint8_t {
  aes_256,
  sm4,
  rsa_2048,
  rsa_3072,
  rsa_4096,
  ec_p256,
  ec_p384,
  sm2,
  hmac_256,
  hmac_384,
  hmac_512,
  hmac_sm3
};
enum class key_usage : std::uint8_t { encrypt_decrypt, sign_verify, generate_verify_mac };
enum class key_origin : std::uint8_t { kms, external };
enum class key_family : std::uint8_t { symmetric, rsa, ec, sm2, hmac };

// Key states, numbered as the API numbers them.
enum class key_state : std::uint8_t {
  pending_activation = 1,
  enabled = 2,
  disabled = 3,
  scheduled_deletion = 4,
  pending_import = 5,
};

// The envelope suite a master key of a spec wraps data keys with (none: cannot wrap).
enum class envelope_suite : std::uint8_t { none, aes256_gcm_hmac_sha256, sm4_gcm_hmac_sm3 };

// The spec of a data key (create-datakey's own key_spec field).
enum class datakey_spec : std::uint8_t { aes_128, aes_256 };

// The MAC algorithm of an HMAC spec (none for the others): api-import-mac.md §6, one per spec.
enum class mac_algorithm : std::uint8_t {
  none,
  hmac_sha_256,
  hmac_sha_384,
  hmac_sha_512,
  hmac_sm3
};

// The elliptic curves of the EC and SM2 specs (none for the others).
enum class ec_curve : std::uint8_t { none, p256, p384, sm2p256v1 };

namespace detail {
// DER content bytes of the curves' OIDs.
inline constexpr std::uint8_t oid_secp256r1[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
inline constexpr std::uint8_t oid_secp384r1[] = {0x2B, 0x81, 0x04, 0x00, 0x22};
inline constexpr std::uint8_t oid_sm2p256v1[] = {0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D};
}  // namespace detail

struct ec_curve_info {
  ec_curve curve;
  std::span<const std::uint8_t> oid;  // DER content bytes of the namedCurve OID
  std::string_view openssl_group;     // OpenSSL's group name
  std::size_t field_bytes;            // size of one coordinate (and of the private scalar)
  std::size_t ecdsa_hash_bits;        // the hash ECDSA pairs with the curve; 0 for SM2 (SM3)
};

// Ordered like ec_curve.
inline constexpr std::array<ec_curve_info, 4> ec_curve_table{{
    {ec_curve::none, {}, {}, 0, 0},
    {ec_curve::p256, detail::oid_secp256r1, "prime256v1", 32, 256},
    {ec_curve::p384, detail::oid_secp384r1, "secp384r1", 48, 384},
    {ec_curve::sm2p256v1, detail::oid_sm2p256v1, "SM2", 32, 0},
}};

[[nodiscard]] constexpr const ec_curve_info& curve_info(ec_curve curve) noexcept {
  return ec_curve_table[static_cast<std::size_t>(curve)];
}

namespace detail {
constexpr std::uint8_t bit(key_usage usage) noexcept {
  return static_cast<std::uint8_t>(1U << static_cast<unsigned>(usage));
}
constexpr std::uint8_t bit(key_origin origin) noexcept {
  return static_cast<std::uint8_t>(1U << static_cast<unsigned>(origin));
}
}  // namespace detail

struct key_spec_policy {
  key_spec spec;
  std::string_view name;  // as on the wire: "AES_256"
  key_family family;
  std::size_t strength_bits;  // key size (RSA modulus, EC field, symmetric key)
  std::size_t material_size;  // bytes of random material (symmetric, HMAC); 0 for key pairs
  key_usage default_usage;
  std::uint8_t allowed_usages;   // bit set over key_usage
  std::uint8_t allowed_origins;  // bit set over key_origin
  envelope_suite suite;
  // Key rotation (api-rotation.md section 1): nullopt when keys of the spec rotate, else the
  // documented refusal. (Keys of origin external never rotate: KMS.0312, checked first.)
  std::optional<errc> rotation_refusal;
  ec_curve curve = ec_curve::none;          // EC and SM2 specs: their curve (ec_curve_table)
  mac_algorithm mac = mac_algorithm::none;  // HMAC specs: their one MAC algorithm

  [[nodiscard]] constexpr bool rotates() const noexcept { return !rotation_refusal; }
  [[nodiscard]] constexpr bool allows(key_usage usage) const noexcept {
    return (allowed_usages & detail::bit(usage)) != 0;
  }
  [[nodiscard]] constexpr bool allows(key_origin origin) const noexcept {
    return (allowed_origins & detail::bit(origin)) != 0;
  }
  // An encryption key of AES or SM4 (not an HMAC key).
  [[nodiscard]] constexpr bool is_symmetric() const noexcept {
    return family == key_family::symmetric;
  }
  [[nodiscard]] constexpr bool is_hmac() const noexcept { return family == key_family::hmac; }
  // Material that is random bytes of material_size (symmetric and HMAC keys), not a key pair.
  [[nodiscard]] constexpr bool has_random_material() const noexcept {
    return is_symmetric() || is_hmac();
  }
};

namespace detail {
inline constexpr std::uint8_t encrypt = bit(key_usage::encrypt_decrypt);
inline constexpr std::uint8_t sign = bit(key_usage::sign_verify);
inline constexpr std::uint8_t mac = bit(key_usage::generate_verify_mac);
inline constexpr std::uint8_t kms_only = bit(key_origin::kms);
inline constexpr std::uint8_t kms_or_external = bit(key_origin::kms) | bit(key_origin::external);
}  // namespace detail

// The policy of api.md's "Allowed key_spec × key_usage" table as api-import-mac.md §0.1
// replaces it, plus the origin rule and the envelope suite of each spec. Ordered like key_spec.
inline constexpr std::array<key_spec_policy, 12> key_spec_table{{
    {key_spec::aes_256, "AES_256", key_family::symmetric, 256, 32, key_usage::encrypt_decrypt,
     detail::encrypt, detail::kms_or_external, envelope_suite::aes256_gcm_hmac_sha256,
     std::nullopt},
    {key_spec::sm4, "SM4", key_family::symmetric, 128, 16, key_usage::encrypt_decrypt,
     detail::encrypt, detail::kms_or_external, envelope_suite::sm4_gcm_hmac_sm3, std::nullopt},
    {key_spec::rsa_2048, "RSA_2048", key_family::rsa, 2048, 0, key_usage::sign_verify,
     detail::encrypt | detail::sign, detail::kms_or_external, envelope_suite::none,
     errc::rsa_key_cannot_rotate},
    {key_spec::rsa_3072, "RSA_3072", key_family::rsa, 3072, 0, key_usage::sign_verify,
     detail::encrypt | detail::sign, detail::kms_or_external, envelope_suite::none,
     errc::rsa_key_cannot_rotate},
    {key_spec::rsa_4096, "RSA_4096", key_family::rsa, 4096, 0, key_usage::sign_verify,
     detail::encrypt | detail::sign, detail::kms_or_external, envelope_suite::none,
     errc::rsa_key_cannot_rotate},
    {key_spec::ec_p256, "EC_P256", key_family::ec, 256, 0, key_usage::sign_verify, detail::sign,
     detail::kms_or_external, envelope_suite::none, errc::asymmetric_not_supported, ec_curve::p256},
    {key_spec::ec_p384, "EC_P384", key_family::ec, 384, 0, key_usage::sign_verify, detail::sign,
     detail::kms_or_external, envelope_suite::none, errc::asymmetric_not_supported, ec_curve::p384},
    {key_spec::sm2, "SM2", key_family::sm2, 256, 0, key_usage::sign_verify,
     detail::encrypt | detail::sign, detail::kms_or_external, envelope_suite::none,
     errc::asymmetric_not_supported, ec_curve::sm2p256v1},
    // HMAC keys (api-import-mac.md §0.1, §6): material as AWS sizes it (key bits = spec bits;
    // HMAC_SM3 32 bytes), never imported, never rotated (§0.3: KMS.0341).
    {key_spec::hmac_256, "HMAC_256", key_family::hmac, 256, 32, key_usage::generate_verify_mac,
     detail::mac, detail::kms_only, envelope_suite::none, errc::hmac_key_not_supported,
     ec_curve::none, mac_algorithm::hmac_sha_256},
    {key_spec::hmac_384, "HMAC_384", key_family::hmac, 384, 48, key_usage::generate_verify_mac,
     detail::mac, detail::kms_only, envelope_suite::none, errc::hmac_key_not_supported,
     ec_curve::none, mac_algorithm::hmac_sha_384},
    {key_spec::hmac_512, "HMAC_512", key_family::hmac, 512, 64, key_usage::generate_verify_mac,
     detail::mac, detail::kms_only, envelope_suite::none, errc::hmac_key_not_supported,
     ec_curve::none, mac_algorithm::hmac_sha_512},
    {key_spec::hmac_sm3, "HMAC_SM3", key_family::hmac, 256, 32, key_usage::generate_verify_mac,
     detail::mac, detail::kms_only, envelope_suite::none, errc::hmac_key_not_supported,
     ec_curve::none, mac_algorithm::hmac_sm3},
}};

[[nodiscard]] constexpr const key_spec_policy& spec_policy(key_spec spec) noexcept {
  return key_spec_table[static_cast<std::size_t>(spec)];
}

// The curve of an EC or SM2 spec (ec_curve::none's row for the others).
[[nodiscard]] constexpr const ec_curve_info& curve_info(key_spec spec) noexcept {
  return curve_info(spec_policy(spec).curve);
}

namespace detail {
constexpr bool key_spec_table_is_ordered() noexcept {
  for (std::size_t i = 0; i < key_spec_table.size(); ++i) {
    if (static_cast<std::size_t>(key_spec_table[i].spec) != i) return false;
    if (!key_spec_table[i].allows(key_spec_table[i].default_usage)) return false;
    if ((key_spec_table[i].suite != envelope_suite::none) != key_spec_table[i].is_symmetric()) {
      return false;
    }
    if (key_spec_table[i].rotates() != key_spec_table[i].is_symmetric()) return false;
    const bool has_curve =
        key_spec_table[i].family == key_family::ec || key_spec_table[i].family == key_family::sm2;
    if ((key_spec_table[i].curve != ec_curve::none) != has_curve) return false;
    if (has_curve && curve_info(key_spec_table[i].curve).field_bytes !=
                         (key_spec_table[i].strength_bits + 7) / 8) {
      return false;
    }
    if ((key_spec_table[i].mac != mac_algorithm::none) != key_spec_table[i].is_hmac()) {
      return false;
    }
    if ((key_spec_table[i].material_size != 0) != key_spec_table[i].has_random_material()) {
      return false;
    }
  }
  for (std::size_t i = 0; i < ec_curve_table.size(); ++i) {
    if (static_cast<std::size_t>(ec_curve_table[i].curve) != i) return false;
  }
  return true;
}
static_assert(key_spec_table_is_ordered(),
              "key_spec_table must follow key_spec, allow its default usage, give a suite and "
              "rotation exactly to the symmetric specs and a curve (of its strength) exactly to "
              "the EC and SM2 specs, a MAC algorithm exactly to the HMAC specs and a material size "
              "exactly to the specs of random material; ec_curve_table must follow ec_curve");
}  // namespace detail

// Wire names. Parsing is exact (case-sensitive), as the API documents the enumerations.
[[nodiscard]] constexpr std::string_view to_string(key_spec spec) noexcept {
  return spec_policy(spec).name;
}
[[nodiscard]] constexpr std::optional<key_spec> parse_key_spec(std::string_view text) noexcept {
  for (const auto& row : key_spec_table) {
    if (row.name == text) return row.spec;
  }
  return std::nullopt;
}

[[nodiscard]] constexpr std::string_view to_string(key_usage usage) noexcept {
  switch (usage) {
    case key_usage::encrypt_decrypt:
      return "ENCRYPT_DECRYPT";
    case key_usage::sign_verify:
      return "SIGN_VERIFY";
    case key_usage::generate_verify_mac:
      return "GENERATE_VERIFY_MAC";
  }
  return {};
}
[[nodiscard]] constexpr std::optional<key_usage> parse_key_usage(std::string_view text) noexcept {
  for (const auto usage :
       {key_usage::encrypt_decrypt, key_usage::sign_verify, key_usage::generate_verify_mac}) {
    if (to_string(usage) == text) return usage;
  }
  return std::nullopt;
}

[[nodiscard]] constexpr std::string_view to_string(key_origin origin) noexcept {
  return origin == key_origin::kms ? "kms" : "external";
}
[[nodiscard]] constexpr std::optional<key_origin> parse_key_origin(std::string_view text) noexcept {
  if (text == "kms") return key_origin::kms;
  if (text == "external") return key_origin::external;
  return std::nullopt;
}

[[nodiscard]] constexpr std::string_view to_string(datakey_spec spec) noexcept {
  return spec == datakey_spec::aes_128 ? "AES_128" : "AES_256";
}
[[nodiscard]] constexpr std::size_t datakey_bits(datakey_spec spec) noexcept {
  return spec == datakey_spec::aes_128 ? 128 : 256;
}
[[nodiscard]] constexpr std::optional<datakey_spec> parse_datakey_spec(
    std::string_view text) noexcept {
  if (text == "AES_128") return datakey_spec::aes_128;
  if (text == "AES_256") return datakey_spec::aes_256;
  return std::nullopt;
}

// MAC algorithms (api-import-mac.md §6): the wire name and the MAC's size in bytes.
struct mac_algorithm_info {
  mac_algorithm id;
  std::string_view name;
  std::size_t size;
};
// Ordered like mac_algorithm.
inline constexpr std::array<mac_algorithm_info, 5> mac_algorithm_table{{
    {mac_algorithm::none, {}, 0},
    {mac_algorithm::hmac_sha_256, "HMAC_SHA_256", 32},
    {mac_algorithm::hmac_sha_384, "HMAC_SHA_384", 48},
    {mac_algorithm::hmac_sha_512, "HMAC_SHA_512", 64},
    {mac_algorithm::hmac_sm3, "HMAC_SM3", 32},
}};
inline constexpr std::size_t max_mac_size = 64;

[[nodiscard]] constexpr const mac_algorithm_info& info(mac_algorithm algorithm) noexcept {
  return mac_algorithm_table[static_cast<std::size_t>(algorithm)];
}
[[nodiscard]] constexpr std::string_view to_string(mac_algorithm algorithm) noexcept {
  return info(algorithm).name;
}
[[nodiscard]] constexpr std::optional<mac_algorithm> parse_mac_algorithm(
    std::string_view text) noexcept {
  for (const auto& row : mac_algorithm_table) {
    if (row.id != mac_algorithm::none && row.name == text) return row.id;
  }
  return std::nullopt;
}

namespace detail {
constexpr bool mac_algorithm_table_is_ordered() noexcept {
  for (std::size_t i = 0; i < mac_algorithm_table.size(); ++i) {
    if (static_cast<std::size_t>(mac_algorithm_table[i].id) != i) return false;
    if (mac_algorithm_table[i].size > max_mac_size) return false;
  }
  for (const auto& row : key_spec_table) {
    if (row.is_hmac() && info(row.mac).size * 8 != row.strength_bits) return false;
  }
  return true;
}
static_assert(mac_algorithm_table_is_ordered(),
              "mac_algorithm_table must follow mac_algorithm, and an HMAC spec's strength be its "
              "MAC's size");
}  // namespace detail

[[nodiscard]] constexpr bool is_valid_key_state(int state) noexcept {
  return state >= static_cast<int>(key_state::pending_activation) &&
         state <= static_cast<int>(key_state::pending_import);
}

}  // namespace kmscore
