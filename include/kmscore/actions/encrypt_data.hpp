// kmscore/actions/encrypt_data.hpp: encrypt-data (api-asymmetric.md section 5).
//
//   auto params = kmscore::validate(encrypt_data_request);
//   auto made = kmscore::encrypt_data(backend, record, *params);   // made->cipher_text: Base64
//
// The envelope versions and key checks it shares with decrypt-data are encrypt_data.hpp's.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../encrypt_data.hpp"
#include "common.hpp"

namespace kmscore {

struct encrypt_data_request {
  optional_field key_id;
  context_field encryption_context;
  optional_secret_field plain_text;  // the secret itself: wiped when freed
  optional_field encryption_algorithm;
  optional_field sequence;

  static constexpr auto fields() {
    using r = encrypt_data_request;
    return field_table(
        field{"key_id", &r::key_id}, field{"encryption_context", &r::encryption_context},
        field{"plain_text", &r::plain_text},
        field{"encryption_algorithm", &r::encryption_algorithm}, field{"sequence", &r::sequence});
  }
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
    KMSCORE_TRY_ASSIGN(auto blob, seal_data_envelope(backend, record, plain, params.context()));
    return encrypt_data_response{record.key.key_id, std::move(blob)};
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

namespace actions {
struct encrypt_data {
  static constexpr std::string_view name = "encrypt-data";
  using request = encrypt_data_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&encrypt_data_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<encrypt_data_response> run(kms_service<Backend>& service,
                                                         const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    return kmscore::encrypt_data(service.backend(), record, params);
  }

  template <class Json>
  [[nodiscard]] static http_response render(const encrypt_data_response& made) {
    return detail::render_plain_object(
        {{"key_id", made.key_id.view()}, {"cipher_text", made.cipher_text}});
  }
};
}  // namespace actions

}  // namespace kmscore
