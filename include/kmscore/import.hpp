// kmscore/import.hpp: imported key material, "bring your own key" (api-import-mac.md §1-§5).
//
//   kmscore::import_keys keys{token_key, fingerprint_key};   // the host's, from its keyring
//   service.set_import_keys(&keys);                           // then the three actions work:
//   // get-parameters-for-import, import-key-material, delete-imported-key-material
//
// A key of origin external is made without material (state 5). get-parameters-for-import
// makes a fresh wrapping key pair (RSA-2048 or SM2) and answers its public key with an import
// token: the pair's private key sealed (AES-256-GCM) under a key derived from the store's
// service secret, bound to the format, wrapping algorithm, expiry, key and project. Nothing is
// stored: any host with the store's keyring opens the token until it expires. The client
// encrypts its material to the public key; import-key-material opens the token, unwraps the
// material with the token's private key and, if it is exactly what the key's spec needs, seals
// it as the key's version 0 and enables the key. Asymmetric material comes as a temporary AES
// key (wrapped like symmetric material) and the PKCS#8 private key under it by RFC 5649 key
// wrap with padding. A keyed fingerprint of the first material imported is kept for the key's
// life so that a re-import after deletion or expiry must bring the same material (KMS.2606).
//
// Token layout (§2): version 0x01 | algorithm byte | expiry u64 BE seconds | key_id (36 ASCII)
// | salt (32) | GCM ciphertext of the wrapping private key (PKCS#8 DER) | tag (16); the AEAD
// key is HKDF-SHA-256(IKM = token_key, salt = the salt, info "kmscore/import-token/v1/aead"),
// the nonce twelve zero bytes (each key seals one message), the AAD bytes 0-77 then the
// project ID. token_key and fingerprint_key are the host's keyring service keys
// (keyring.hpp's derive_service_key) of the labels import_token_label and
// import_fingerprint_label.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asymmetric.hpp"
#include "base64.hpp"
#include "crypto.hpp"
#include "detail/hkdf.hpp"
#include "detail/wipe.hpp"
#include "key_record.hpp"
#include "keyring.hpp"
#include "secret.hpp"

namespace kmscore {

enum class wrapping_algorithm : std::uint8_t {
  rsaes_oaep_sha_256 = 1,
  rsaes_oaep_sha_1 = 2,
  sm2_encrypt = 3,
};

// §1: the algorithms a client may wrap with, the key pair each is made of, and how the
// backend unwraps with it. The enumerator is the token's algorithm byte.
struct wrapping_algorithm_info {
  wrapping_algorithm id;
  std::string_view name;
  key_spec wrapping_spec;
  data_encryption_algorithm cipher;
  bool asymmetric_keys;  // whether RSA/EC/SM2 keys may be imported with it (SM2_ENCRYPT: no)
};
inline constexpr std::array<wrapping_algorithm_info, 3> wrapping_algorithms{{
    {wrapping_algorithm::rsaes_oaep_sha_256, "RSAES_OAEP_SHA_256", key_spec::rsa_2048,
     data_encryption_algorithm::rsaes_oaep_sha256, true},
    {wrapping_algorithm::rsaes_oaep_sha_1, "RSAES_OAEP_SHA_1", key_spec::rsa_2048,
     data_encryption_algorithm::rsaes_oaep_sha1, true},
    {wrapping_algorithm::sm2_encrypt, "SM2_ENCRYPT", key_spec::sm2,
     data_encryption_algorithm::sm2_encrypt, false},
}};

[[nodiscard]] constexpr const wrapping_algorithm_info* find_wrapping_algorithm(
    std::string_view name) noexcept {
  for (const auto& row : wrapping_algorithms) {
    if (row.name == name) return &row;
  }
  return nullptr;
}
[[nodiscard]] constexpr const wrapping_algorithm_info* find_wrapping_algorithm(byte id) noexcept {
  for (const auto& row : wrapping_algorithms) {
    if (static_cast<byte>(row.id) == id) return &row;
  }
  return nullptr;
}

inline constexpr std::string_view import_token_label = "kmscore/import-token/v1";
inline constexpr std::string_view import_fingerprint_label = "kmscore/import-fingerprint/v1";
inline constexpr std::int64_t import_token_lifetime_s = 86'400;
// expiration_time's bound (§3): 9999-12-31T23:59:59Z.
inline constexpr std::int64_t max_expiration_time_s = 253'402'300'799;

// The two keys import needs, derived by the host from its store's service secret.
struct import_keys {
  secret_bytes token_key;        // seals and opens import tokens
  secret_bytes fingerprint_key;  // keys the fingerprint of imported material
};

// An opened import token.
struct import_token {
  const wrapping_algorithm_info* algorithm = nullptr;
  std::int64_t expiry_s = 0;
  std::string key_id;                 // as sealed: compared with the request's (KMS.2603)
  secret_bytes wrapping_private_key;  // PKCS#8 DER, wiped with the token
};

namespace detail {
inline constexpr byte import_token_format = 1;
inline constexpr std::size_t token_salt_offset = 46;
inline constexpr std::size_t token_salt_size = 32;
inline constexpr std::size_t token_header_size = token_salt_offset + token_salt_size;  // 78
inline constexpr std::size_t token_min_size = token_header_size + 1 + gcm_tag_size;    // 95
inline constexpr std::size_t token_max_chars = 6144;  // §3: ^[0-9a-zA-Z+/=]{200,6144}$
inline constexpr std::size_t token_min_chars = 200;
inline constexpr std::string_view token_aead_info = "kmscore/import-token/v1/aead";
inline constexpr std::array<byte, gcm_nonce_size> token_nonce{};

// The AEAD key of one token: HKDF-SHA-256(IKM = token_key, salt = the token's salt).
template <crypto_backend Backend>
[[nodiscard]] result<secret_bytes> token_aead_key(Backend& backend, const import_keys& keys,
                                                  byte_span salt) {
  if (keys.token_key.size() != service_key_size) return errc::kms_error;
  std::array<byte, digest_size> prk{};
  secret_bytes key{32};
  const std::array<byte_span, 1> info{as_bytes(token_aead_info)};
  auto made =
      hkdf_extract(backend, hash_id::sha256, salt, keys.token_key.expose(), digest_out{prk});
  if (made) made = hkdf_expand(backend, hash_id::sha256, prk, info, key.expose());
  secure_wipe(prk.data(), prk.size());
  KMSCORE_TRY(made);
  return key;
}

// The AAD: the token's header, then the project ID.
[[nodiscard]] inline std::array<byte, token_header_size + project_id_size> token_aad(
    byte_span header, const project_id& project) noexcept {
  std::array<byte, token_header_size + project_id_size> aad{};
  std::copy_n(header.begin(), token_header_size, aad.begin());
  const auto id = as_bytes(project.view());
  std::copy_n(id.begin(), project_id_size, aad.begin() + token_header_size);
  return aad;
}
}  // namespace detail

// The token for a fresh wrapping key pair's private key (§2).
template <crypto_backend Backend>
[[nodiscard]] result<std::string> seal_import_token(Backend& backend, const import_keys& keys,
                                                    const project_id& project, const key_id& id,
                                                    const wrapping_algorithm_info& algorithm,
                                                    std::int64_t expiry_s,
                                                    byte_span wrapping_private_key) {
  const std::size_t size = detail::token_header_size + wrapping_private_key.size() + gcm_tag_size;
  if (wrapping_private_key.empty() || expiry_s < 0 ||
      base64_encoded_size(size) > detail::token_max_chars) {
    return errc::kms_error;
  }
  std::vector<byte> token(size);
  const auto out = std::span{token};
  out[0] = detail::import_token_format;
  out[1] = static_cast<byte>(algorithm.id);
  const auto expiry = static_cast<std::uint64_t>(expiry_s);
  for (std::size_t i = 0; i < 8; ++i) out[2 + i] = static_cast<byte>(expiry >> (56 - 8 * i));
  const auto id_bytes = as_bytes(id.view());
  std::copy(id_bytes.begin(), id_bytes.end(), out.begin() + 10);
  const auto salt = out.subspan(detail::token_salt_offset, detail::token_salt_size);
  KMSCORE_TRY(backend.random_bytes(salt));
  KMSCORE_TRY_ASSIGN(const auto key, detail::token_aead_key(backend, keys, salt));
  const auto aad = detail::token_aad(out, project);
  const auto sealed = out.subspan(detail::token_header_size, wrapping_private_key.size());
  KMSCORE_TRY(
      backend.aead_seal(aead_params{cipher_id::aes256_gcm, key.expose(), detail::token_nonce, aad},
                        wrapping_private_key, sealed, out.last<gcm_tag_size>()));
  return base64_encode(token);
}

// Opens a token minted for this project under these keys; KMS.2605 for anything else (bad
// Base64, too short, an unknown version or algorithm, a tag that does not verify).
template <crypto_backend Backend>
[[nodiscard]] result<import_token> open_import_token(Backend& backend, const import_keys& keys,
                                                     const project_id& project,
                                                     std::string_view text) {
  const auto size = base64_decoded_size(text);
  if (!size || *size < detail::token_min_size) return errc::import_token_unverifiable;
  std::vector<byte> token(*size);
  if (!base64_decode(text, token)) return errc::import_token_unverifiable;
  const auto in = std::span<const byte>{token};
  const auto* algorithm = find_wrapping_algorithm(in[1]);
  if (in[0] != detail::import_token_format || algorithm == nullptr) {
    return errc::import_token_unverifiable;
  }
  KMSCORE_TRY_ASSIGN(const auto key, detail::token_aead_key(backend, keys,
                                                            in.subspan(detail::token_salt_offset,
                                                                       detail::token_salt_size)));
  const auto aad = detail::token_aad(in, project);
  const auto sealed =
      in.subspan(detail::token_header_size, in.size() - detail::token_header_size - gcm_tag_size);
  import_token opened;
  opened.wrapping_private_key = secret_bytes{sealed.size()};
  const auto opening =
      backend.aead_open(aead_params{cipher_id::aes256_gcm, key.expose(), detail::token_nonce, aad},
                        sealed, in.last<gcm_tag_size>(), opened.wrapping_private_key.expose());
  if (!opening) {
    return opening.error().code() == errc::decrypt_failed ? errc::import_token_unverifiable
                                                          : opening.error().code();
  }
  std::uint64_t expiry = 0;
  for (std::size_t i = 0; i < 8; ++i) expiry = (expiry << 8U) | in[2 + i];
  if (expiry > static_cast<std::uint64_t>(max_expiration_time_s)) {
    return errc::import_token_unverifiable;
  }
  opened.algorithm = algorithm;
  opened.expiry_s = static_cast<std::int64_t>(expiry);
  opened.key_id = std::string{as_chars(in.subspan(10, key_id_size))};
  return opened;
}

// §3.1: HMAC-SHA-256(fingerprint_key, key_id || material).
template <crypto_backend Backend>
[[nodiscard]] result<std::vector<byte>> import_fingerprint(Backend& backend,
                                                           const import_keys& keys,
                                                           const key_id& id, byte_span material) {
  if (keys.fingerprint_key.size() != service_key_size) return errc::kms_error;
  std::vector<byte> fingerprint(digest_size);
  const std::array<byte_span, 2> pieces{as_bytes(id.view()), material};
  KMSCORE_TRY(hmac(backend, hash_id::sha256, keys.fingerprint_key.expose(), pieces,
                   digest_out{fingerprint.data(), digest_size}));
  return fingerprint;
}

// get-parameters-for-import's and import-key-material's key rows (§1, §3 rows 2-3).
[[nodiscard]] inline result<void> check_pending_import(const key_record& record) noexcept {
  if (record.origin != key_origin::external) return errc::external_key_required;
  if (record.key.state != key_state::pending_import) return errc::key_not_pending_import;
  return {};
}

// What import-key-material's fields give, once validated (actions/import_key_material.hpp).
struct material_import {
  std::string_view token;
  byte_span encrypted_material;
  std::optional<byte_span> encrypted_private_key;
  std::optional<std::int64_t> expiration_s;
};

// What §3's rows 4-14 make of a request: the material checked and ready to be stored.
struct imported_material {
  secret_bytes material;          // symmetric: the key; a key pair: its PKCS#8, re-encoded
  std::vector<byte> public_key;   // a key pair's SubjectPublicKeyInfo
  std::vector<byte> fingerprint;  // §3.1
  std::int64_t expiry_ms = 0;     // 0: never expires
};

// §3 rows 4-14, for a record past rows 1-3 (check_pending_import): the token opened, the
// material unwrapped and checked against the key's spec. Done once per request, outside the
// compare-and-set that stores it (apply_imported_material).
template <crypto_backend Backend>
[[nodiscard]] result<imported_material> unwrap_imported_material(Backend& backend,
                                                                 const import_keys& keys,
                                                                 const key_record& record,
                                                                 const material_import& in,
                                                                 std::int64_t now_ms) {
  if constexpr (key_import_backend<Backend>) {
    KMSCORE_TRY_ASSIGN(const auto token,
                       open_import_token(backend, keys, record.project_id, in.token));
    const std::int64_t now_s = now_ms / 1000;
    if (now_s >= token.expiry_s) return errc::import_token_expired;
    if (token.key_id != record.key.key_id.view()) return errc::import_token_key_mismatch;
    const auto& policy = spec_policy(record.key.spec);
    const bool symmetric = policy.family == key_family::symmetric;
    if (in.expiration_s && !symmetric) return error{errc::invalid_parameter, "expiration_time"};
    if (in.expiration_s && *in.expiration_s <= now_s) return errc::expiration_time_not_future;
    if (symmetric && in.encrypted_private_key) {
      return error{errc::invalid_parameter, "encrypted_privatekey"};
    }
    if (!symmetric && !in.encrypted_private_key) return errc::imported_private_key_missing;
    if (!symmetric && !token.algorithm->asymmetric_keys) return errc::import_token_unverifiable;
    auto unwrapped =
        backend.decrypt(token.algorithm->wrapping_spec, token.wrapping_private_key.expose(),
                        token.algorithm->cipher, in.encrypted_material);
    if (!unwrapped) {
      return unwrapped.error().code() == errc::decrypt_failed ? errc::import_token_unverifiable
                                                              : unwrapped.error().code();
    }
    imported_material made;
    if (symmetric) {
      if (unwrapped->size() != policy.material_size) return errc::imported_length_invalid;
      made.material = std::move(*unwrapped);
    } else {
      if (unwrapped->size() != 16 && unwrapped->size() != 32) {
        return errc::temporary_key_length_invalid;
      }
      auto der = backend.unwrap_key(unwrapped->expose(), *in.encrypted_private_key);
      auto pair = der ? backend.import_key_pair(record.key.spec, der->expose())
                      : result<key_pair>{der.error()};
      if (!pair) {
        return pair.error().code() == errc::decrypt_failed ? errc::imported_private_key_invalid
                                                           : pair.error().code();
      }
      made.material = std::move(pair->private_key);
      made.public_key = std::move(pair->public_key);
    }
    KMSCORE_TRY_ASSIGN(made.fingerprint, import_fingerprint(backend, keys, record.key.key_id,
                                                            made.material.expose()));
    made.expiry_ms = in.expiration_s ? *in.expiration_s * 1000 : 0;
    return made;
  } else {
    (void)backend, (void)keys, (void)record, (void)in, (void)now_ms;
    return errc::kms_error;  // this backend cannot unwrap imported material
  }
}

// §3 rows 2-3 again (another request may have imported meanwhile) and row 15, then the
// material stored in the record as version 0 with its expiry and fingerprint, state 2: the
// change import-key-material makes by compare-and-set.
[[nodiscard]] inline result<void> apply_imported_material(key_record& record,
                                                          const imported_material& made) {
  KMSCORE_TRY(check_pending_import(record));
  if (!record.import_fingerprint.empty() &&
      !constant_time_equal(record.import_fingerprint, made.fingerprint)) {
    return errc::imported_material_differs;
  }
  record.import_fingerprint = made.fingerprint;
  record.key.material_versions.clear();
  record.key.material_versions.push_back(made.material.clone());
  if (!made.public_key.empty()) record.public_key = made.public_key;
  record.key.min_decryption_version = 0;
  record.material_expiry_ms = made.expiry_ms;
  record.key.state = key_state::enabled;
  return {};
}

// The record without its material (deleted §4 or expired §5): wiped, no expiry, state 5 unless
// scheduled for deletion. The fingerprint stays.
inline void remove_imported_material(key_record& record) noexcept {
  record.key.material_versions.clear();  // secret_bytes wipe as they are destroyed
  record.material_expiry_ms = 0;
  if (record.key.state != key_state::scheduled_deletion) {
    record.key.state = key_state::pending_import;
  }
}

// §4's rows, then the material removed.
[[nodiscard]] inline result<void> delete_imported_material(key_record& record) noexcept {
  if (record.origin != key_origin::external) return errc::external_key_required;
  if (spec_policy(record.key.spec).family != key_family::symmetric) {
    return errc::private_material_not_deletable;
  }
  if (record.key.state != key_state::enabled && record.key.state != key_state::disabled) {
    return errc::material_not_deletable_state;
  }
  remove_imported_material(record);
  return {};
}

// §5: whether the maintenance pass expires the key's material at now_ms (an expiry is set
// only with material, and cleared with it).
[[nodiscard]] constexpr bool material_expired(const key_record& record,
                                              std::int64_t now_ms) noexcept {
  return record.origin == key_origin::external && record.material_expiry_ms != 0 &&
         record.material_expiry_ms <= now_ms;
}

}  // namespace kmscore
