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
#include "key_record.hpp"
#include "master_key.hpp"
#include "requests.hpp"
#include "seal.hpp"

namespace kmscore {

// decrypt-data's cipher_text: Base64 of 128..5648 characters (Huawei's rule).
inline constexpr std::size_t min_data_cipher_text_chars = 128;
inline constexpr std::size_t max_data_cipher_text_chars = 5648;

struct encrypt_data_request {
  optional_field key_id;
  context_field encryption_context;
  std::optional<secret_string> plain_text;  // the secret itself: wiped when freed
  optional_field encryption_algorithm;
  optional_field sequence;
};

class encrypt_data_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const encryption_context& context() const noexcept { return context_; }
  [[nodiscard]] byte_span plain_text() const noexcept { return plain_.expose(); }
  [[nodiscard]] data_encryption_algorithm algorithm() const noexcept { return algorithm_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<encrypt_data_params> validate(const encrypt_data_request& request);
  encrypt_data_params() = default;

  kmscore::key_id key_id_;
  encryption_context context_;
  secret_bytes plain_;
  data_encryption_algorithm algorithm_ = data_encryption_algorithm::symmetric_default;
  optional_field sequence_;
};

namespace detail {
[[nodiscard]] inline result<data_encryption_algorithm> check_data_encryption_algorithm(
    const optional_field& text) {
  if (!text) return data_encryption_algorithm::symmetric_default;
  const auto found = find_data_encryption_algorithm(*text);
  if (!found) return error{errc::invalid_parameter, "encryption_algorithm"};
  return *found;
}
}  // namespace detail

[[nodiscard]] inline result<encrypt_data_params> validate(const encrypt_data_request& request) {
  encrypt_data_params params;
  KMSCORE_TRY_ASSIGN(params.key_id_, detail::parse_required_key_id(request.key_id));
  KMSCORE_TRY_ASSIGN(params.context_, detail::check_optional_context(request.encryption_context));
  if (!request.plain_text) return error{errc::missing_parameter, "plain_text"};
  const std::string_view text{request.plain_text->data(), request.plain_text->size()};
  if (text.empty() || text.size() > max_data_plaintext_bytes || !detail::utf8_code_points(text)) {
    return errc::invalid_plain_text;
  }
  params.plain_ = secret_bytes{as_bytes(text)};
  KMSCORE_TRY_ASSIGN(params.algorithm_,
                     detail::check_data_encryption_algorithm(request.encryption_algorithm));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  return params;
}

struct decrypt_data_request {
  optional_field cipher_text;
  optional_field encryption_algorithm;
  optional_field key_id;
  context_field encryption_context;
  optional_field sequence;
};

class decrypt_data_params {
 public:
  // The key to use: the one named in a symmetric blob, else the request's key_id.
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] data_encryption_algorithm algorithm() const noexcept { return algorithm_; }
  [[nodiscard]] byte_span cipher_text() const noexcept { return blob_; }
  // The parsed envelope (SYMMETRIC_DEFAULT only).
  [[nodiscard]] const std::optional<envelope_view>& envelope() const noexcept { return view_; }
  [[nodiscard]] const encryption_context& context() const noexcept { return context_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

  decrypt_data_params(const decrypt_data_params&) = delete;
  decrypt_data_params& operator=(const decrypt_data_params&) = delete;
  decrypt_data_params(decrypt_data_params&& other) noexcept = default;
  decrypt_data_params& operator=(decrypt_data_params&&) = delete;
  ~decrypt_data_params() = default;

 private:
  friend result<decrypt_data_params> validate(const decrypt_data_request& request);
  decrypt_data_params() = default;

  std::vector<byte> blob_;
  std::optional<envelope_view> view_;  // views into blob_ (moving a vector keeps its buffer)
  kmscore::key_id key_id_;
  data_encryption_algorithm algorithm_ = data_encryption_algorithm::symmetric_default;
  encryption_context context_;
  optional_field sequence_;
};

[[nodiscard]] inline result<decrypt_data_params> validate(const decrypt_data_request& request) {
  decrypt_data_params params;
  if (!request.cipher_text) return error{errc::missing_parameter, "cipher_text"};
  const std::string_view text = *request.cipher_text;
  const auto size = base64_decoded_size(text);
  if (text.size() < min_data_cipher_text_chars || text.size() > max_data_cipher_text_chars ||
      !size) {
    return errc::invalid_cipher_text;
  }
  params.blob_.resize(*size);
  if (!base64_decode(text, params.blob_)) return errc::invalid_cipher_text;
  KMSCORE_TRY_ASSIGN(params.algorithm_,
                     detail::check_data_encryption_algorithm(request.encryption_algorithm));
  const bool symmetric = params.algorithm_ == data_encryption_algorithm::symmetric_default;
  std::optional<kmscore::key_id> requested;
  if (request.key_id) {
    KMSCORE_TRY_ASSIGN(requested, key_id::parse(*request.key_id));
  } else if (!symmetric) {
    return error{errc::missing_parameter, "key_id"};
  }
  KMSCORE_TRY_ASSIGN(params.context_, detail::check_optional_context(request.encryption_context));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  if (symmetric) {
    KMSCORE_TRY_ASSIGN(params.view_, parse_data_envelope(params.blob_));
    params.key_id_ = params.view_->key_id();
    // A key_id sent with a symmetric blob must be the one inside it.
    if (requested && *requested != params.key_id_) return errc::invalid_cipher_text;
  } else {
    params.key_id_ = *requested;
  }
  return params;
}

// ---- key checks -------------------------------------------------------------------------

// Section 1's state rows, then section 5's key-kind rows, in the spec's order.
[[nodiscard]] inline result<void> check_data_encryption_key(
    const key_record& record, data_encryption_algorithm algorithm) noexcept {
  KMSCORE_TRY(check_key_state_usable(record.key.state));
  const auto& policy = spec_policy(record.key.spec);
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
      break;
  }
  if (record.key.material_versions.empty()) return errc::kms_error;
  if (!policy.is_symmetric() && record.public_key.empty()) return errc::kms_error;
  return {};
}

// ---- encrypt-data -----------------------------------------------------------------------

struct encrypt_data_response {
  kmscore::key_id key_id;
  std::string cipher_text;  // Base64
};

template <crypto_backend Backend>
[[nodiscard]] result<encrypt_data_response> encrypt_data(Backend& backend, const key_record& record,
                                                         const encrypt_data_params& params) {
  KMSCORE_TRY(check_data_encryption_key(record, params.algorithm()));
  const auto& policy = spec_policy(record.key.spec);
  const auto plain = params.plain_text();
  if (policy.is_symmetric()) {
    KMSCORE_TRY(check_datakey_master_key(record.key));  // material sizes
    const auto version = data_envelope_version(policy.suite);
    if (!version) return errc::kms_error;
    const auto key_version = record.key.current_version();
    KMSCORE_TRY_ASSIGN(const auto key,
                       envelope_key<Backend>::derive(backend, *version,
                                                     record.key.material_versions.back().expose(),
                                                     record.key.key_id, key_version));
    std::vector<byte> blob(envelope_size(plain.size()));
    KMSCORE_TRY(key.seal(backend, plain, params.context(), blob));
    return encrypt_data_response{record.key.key_id, base64_encode(blob)};
  }
  // RSA-OAEP and SM2 have nowhere to bind a context.
  if (!params.context().empty()) return errc::invalid_encryption_context;
  if (policy.family == key_family::rsa &&
      plain.size() > rsa_oaep_sha256_max_plaintext(record.key.spec)) {
    return errc::rsa_plain_text_too_long;
  }
  if constexpr (asymmetric_backend<Backend>) {
    if (!backend.serves(record.key.spec)) return errc::kms_error;
    KMSCORE_TRY_ASSIGN(const auto sealed, backend.encrypt(record.key.spec, record.public_key,
                                                          params.algorithm(), plain));
    return encrypt_data_response{record.key.key_id, base64_encode(sealed)};
  } else {
    return errc::kms_error;  // this backend has no asymmetric algorithms
  }
}

// ---- decrypt-data -----------------------------------------------------------------------

struct decrypt_data_response {
  kmscore::key_id key_id;
  secret_bytes plain_text;  // the bytes; the JSON layer renders plain_text and its Base64
};

template <crypto_backend Backend>
[[nodiscard]] result<decrypt_data_response> decrypt_data(Backend& backend, const key_record& record,
                                                         const decrypt_data_params& params) {
  if (record.key.key_id != params.key_id()) return errc::kms_error;  // the host's mistake
  if (params.envelope()) {
    // Symmetric: the key named in the blob. An asymmetric key cannot have made one.
    const auto& view = *params.envelope();
    KMSCORE_TRY(check_key_state_usable(record.key.state));
    if (!spec_policy(record.key.spec).is_symmetric() ||
        version_suite(view.version()) != spec_policy(record.key.spec).suite) {
      return errc::invalid_cipher_text;
    }
    KMSCORE_TRY(check_datakey_master_key(record.key));
    if (view.key_version() < record.key.min_decryption_version) {
      return errc::below_min_decryption_version;
    }
    if (view.key_version() > record.key.current_version()) return errc::invalid_cipher_text;
    auto key = envelope_key<Backend>::derive(
        backend, view.version(), record.key.material_versions[view.key_version()].expose(),
        record.key.key_id, view.key_version());
    if (!key) return key.error();
    secret_bytes plain{view.datakey_bytes()};
    auto opened = key->open(backend, view, params.context(), plain.expose());
    if (!opened) {
      return opened.error() == errc::kms_error ? opened.error() : errc::invalid_cipher_text;
    }
    return decrypt_data_response{record.key.key_id, std::move(plain)};
  }
  KMSCORE_TRY(check_data_encryption_key(record, params.algorithm()));
  if (!params.context().empty()) return errc::invalid_encryption_context;
  if constexpr (asymmetric_backend<Backend>) {
    if (!backend.serves(record.key.spec)) return errc::kms_error;
    auto plain = backend.decrypt(record.key.spec, record.key.material_versions.back().expose(),
                                 params.algorithm(), params.cipher_text());
    if (!plain) {
      if (plain.error() != errc::decrypt_failed) return plain.error();
      return spec_policy(record.key.spec).family == key_family::rsa ? errc::rsa_decrypt_failed
                                                                    : errc::invalid_cipher_text;
    }
    return decrypt_data_response{record.key.key_id, std::move(*plain)};
  } else {
    return errc::kms_error;
  }
}

}  // namespace kmscore
