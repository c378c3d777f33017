// kmscore/actions/get_parameters_for_import.hpp: get-parameters-for-import (api-import-mac.md
// §1): a fresh wrapping key pair for a key of origin external in state 5; answers its public
// key (Base64 DER SubjectPublicKeyInfo) and the import token that carries its private key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "../base64.hpp"
#include "../import.hpp"
#include "common.hpp"

namespace kmscore {

struct get_parameters_for_import_request {
  optional_field key_id;
  optional_field wrapping_algorithm;
  optional_field sequence;

  static constexpr auto fields() {
    using r = get_parameters_for_import_request;
    return field_table(field{"key_id", &r::key_id},
                       field{"wrapping_algorithm", &r::wrapping_algorithm},
                       field{"sequence", &r::sequence});
  }
};

class get_parameters_for_import_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const wrapping_algorithm_info& algorithm() const noexcept { return *algorithm_; }

 private:
  friend result<get_parameters_for_import_params> validate(
      const get_parameters_for_import_request& request);
  get_parameters_for_import_params() = default;

  kmscore::key_id key_id_;
  const wrapping_algorithm_info* algorithm_ = nullptr;
};

[[nodiscard]] inline result<get_parameters_for_import_params> validate(
    const get_parameters_for_import_request& request) {
  get_parameters_for_import_params params;
  KMSCORE_TRY_ASSIGN(params.key_id_, detail::parse_required_key_id(request.key_id));
  if (!request.wrapping_algorithm) return error{errc::missing_parameter, "wrapping_algorithm"};
  params.algorithm_ = find_wrapping_algorithm(*request.wrapping_algorithm);
  if (params.algorithm_ == nullptr) return error{errc::invalid_parameter, "wrapping_algorithm"};
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return params;
}

struct import_parameters {
  kmscore::key_id key_id;
  std::string import_token;
  std::int64_t expiration_time = 0;  // seconds since 1970
  std::string public_key;            // Base64 of the DER SubjectPublicKeyInfo
};

namespace actions {
struct get_parameters_for_import {
  static constexpr std::string_view name = "get-parameters-for-import";
  using request = get_parameters_for_import_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<import_parameters> run(kms_service<Backend>& service,
                                                     const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    KMSCORE_TRY(check_pending_import(record));
    if (!params.algorithm().asymmetric_keys &&
        spec_policy(record.key.spec).family != key_family::symmetric) {
      return error{errc::invalid_parameter, "wrapping_algorithm"};
    }
    const import_keys* keys = service.import_secrets();
    if (keys == nullptr) {
      service.report("get-parameters-for-import: this host has no import keys");
      return errc::kms_error;
    }
    // Parameters only from a backend that can also unwrap what the client then sends.
    if constexpr (key_pair_backend<Backend> && key_import_backend<Backend>) {
      if (!service.backend().unwraps(params.algorithm().wrapping_spec, params.algorithm().cipher)) {
        return errc::kms_error;  // the algorithm is not available here at run time
      }
      auto pair = service.backend().generate_key_pair(params.algorithm().wrapping_spec);
      if (!pair) return pair.error();
      const std::int64_t expiry_s = now_ms / 1000 + import_token_lifetime_s;
      KMSCORE_TRY_ASSIGN(
          auto token,
          seal_import_token(service.backend(), *keys, service.tenant().id, record.key.key_id,
                            params.algorithm(), expiry_s, pair->private_key.expose()));
      return import_parameters{record.key.key_id, std::move(token), expiry_s,
                               base64_encode(pair->public_key)};
    } else {
      return errc::kms_error;  // this backend cannot make or use wrapping keys
    }
  }

  template <class Json>
  [[nodiscard]] static http_response render(const import_parameters& made) {
    return detail::respond_json(Json{{"key_id", made.key_id.view()},
                                     {"import_token", made.import_token},
                                     {"expiration_time", made.expiration_time},
                                     {"public_key", made.public_key}});
  }
};
}  // namespace actions

}  // namespace kmscore
