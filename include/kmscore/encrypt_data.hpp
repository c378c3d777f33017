// kmscore/encrypt_data.hpp: encrypt-data and decrypt-data (api-asymmetric.md sections 5, 6).
//
//   auto params = kmscore::validate(encrypt_data_request);
//   auto made = kmscore::encrypt_data(backend, record, *params);   // made->cipher_text: Base64
//   auto opened = kmscore::validate(decrypt_data_request);
//   // symmetric: look up opened->key_id() (the key named inside the blob), then
//   auto plain = kmscore::decrypt_data(backend, record, *opened);
//
// Small secrets (1..4096 bytes of UTF-8 text, taken literally) encrypted directly under a CMK:
//   - AES_256 / SM4 keys (SYMMETRIC_DEFAULT): an envelope of version 20 / 21 (docs/envelope.md):
//     the data-key framing with the plaintext as payload, the encryption context bound as
//     for data keys, the newest key version written (so rotation applies), and keys derived
//     under labels of their own, so a data-key envelope never opens here and these never open
//     through the data-key actions;
//   - RSA keys of ENCRYPT_DECRYPT usage: RSAES-OAEP-SHA-256 (no context: one is KMS.0208);
//   - SM2 keys of ENCRYPT_DECRYPT usage: SM2 encryption, DER C1 C3 C2.
// Asymmetric ciphertexts carry no metadata: decrypt-data then needs key_id and the algorithm.
// Every symmetric failure to open (tampering, wrong context, a missing key version) is the
// one opaque KMS.2201; RSA's is KMS.0311.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asymmetric.hpp"
#include "base64.hpp"
#include "fields.hpp"
#include "key_record.hpp"
#include "master_key.hpp"
#include "seal.hpp"

namespace kmscore {

// decrypt-data's cipher_text: Base64 of 128..5648 characters (Huawei's rule).
inline constexpr std::size_t min_data_cipher_text_chars = 128;
inline constexpr std::size_t max_data_cipher_text_chars = 5648;

namespace detail {
[[nodiscard]] inline result<data_encryption_algorithm> check_data_encryption_algorithm(
    const optional_field& text) {
  if (!text) return data_encryption_algorithm::symmetric_default;
  const auto found = find_data_encryption_algorithm(*text);
  if (!found) return error{errc::invalid_parameter, "encryption_algorithm"};
  return *found;
}
}  // namespace detail

// The symmetric half of encrypt-data, which create-rsa/ec-datakey-pair share: `plain` sealed
// under the newest version of an AES_256 / SM4 key as an envelope of version 20 / 21, bound to
// `context`; the Base64 of the blob. The key's material sizes are checked first (a fault of
// the store is KMS.0101).
template <crypto_backend Backend>
[[nodiscard]] result<std::string> seal_data_envelope(Backend& backend, const key_record& record,
                                                     byte_span plain,
                                                     const encryption_context& context) {
  KMSCORE_TRY(check_datakey_master_key(record.key));
  const auto version = data_envelope_version(spec_policy(record.key.spec).suite);
  if (!version) return errc::kms_error;
  KMSCORE_TRY_ASSIGN(
      const auto key,
      envelope_key<Backend>::derive(backend, *version, record.key.material_versions.back().expose(),
                                    record.key.key_id, record.key.current_version()));
  std::vector<byte> blob(envelope_size(plain.size()));
  KMSCORE_TRY(key.seal(backend, plain, context, blob));
  return base64_encode(blob);
}

// ---- key checks -------------------------------------------------------------------------

// Section 1's state rows, then section 5's key-kind rows, in the spec's order.
[[nodiscard]] inline result<void> check_data_encryption_key(
    const key_record& record, data_encryption_algorithm algorithm) noexcept {
  KMSCORE_TRY(check_key_state_usable(record.key.state));
  const auto& policy = spec_policy(record.key.spec);
  if (policy.is_hmac()) return errc::hmac_key_not_supported;  // api-import-mac.md §0.3
  if (policy.family == key_family::ec) return errc::ec_key_cannot_encrypt;
  if (!policy.is_symmetric() && record.usage != key_usage::encrypt_decrypt) {
    return errc::key_for_signing;
  }
  switch (policy.family) {
    case key_family::symmetric:
      if (algorithm != data_encryption_algorithm::symmetric_default) {
        return errc::symmetric_algorithm_not_supported;
      }
      break;
    case key_family::rsa:
      if (algorithm != data_encryption_algorithm::rsaes_oaep_sha256) {
        return errc::rsa_algorithm_not_supported;
      }
      break;
    case key_family::sm2:
      if (algorithm != data_encryption_algorithm::sm2_encrypt) {
        return error{errc::invalid_parameter, "encryption_algorithm"};
      }
      break;
    case key_family::ec:
    case key_family::hmac:
      break;
  }
  if (record.key.material_versions.empty()) return errc::kms_error;
  if (!policy.is_symmetric() && record.public_key.empty()) return errc::kms_error;
  return {};
}

}  // namespace kmscore
