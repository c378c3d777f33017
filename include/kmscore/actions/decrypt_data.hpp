// kmscore/actions/decrypt_data.hpp: decrypt-data (api-asymmetric.md section 6).
//
//   auto opened = kmscore::validate(decrypt_data_request);
//   // symmetric: look up opened->key_id() (the key named inside the blob), then
//   auto plain = kmscore::decrypt_data(backend, record, *opened);
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "../encrypt_data.hpp"
#include "common.hpp"

namespace kmscore {

struct decrypt_data_request {
  optional_field cipher_text;
  optional_field encryption_algorithm;
  optional_field key_id;
  context_field encryption_context;
  optional_field sequence;

  static constexpr auto fields() {
    using r = decrypt_data_request;
    return field_table(
        field{"cipher_text", &r::cipher_text},
        field{"encryption_algorithm", &r::encryption_algorithm}, field{"key_id", &r::key_id},
        field{"encryption_context", &r::encryption_context}, field{"sequence", &r::sequence});
  }
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

namespace actions {
struct decrypt_data {
  static constexpr std::string_view name = "decrypt-data";
  using request = decrypt_data_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<decrypt_data_response> run(kms_service<Backend>& service,
                                                         const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    return kmscore::decrypt_data(service.backend(), record, params);
  }

  template <class Json>
  [[nodiscard]] static http_response render(const decrypt_data_response& made) {
    return detail::render_decrypted_data(made.key_id.view(), made.plain_text.expose());
  }
};
}  // namespace actions

}  // namespace kmscore
