// kmscore/actions/sign.hpp: sign (api-asymmetric.md section 3).
//
//   auto params = kmscore::validate(sign_request);             // field checks, in table order
//   auto signed_ = kmscore::sign(backend, record, *params);      // key checks, then the backend
//   signed_->signature;                                          // DER (EC, SM2) or modulus-sized
//
// The checks and digests sign and verify share are sign.hpp's.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "../sign.hpp"
#include "common.hpp"

namespace kmscore {

struct sign_request {
  optional_field key_id;
  optional_field message;
  optional_field signing_algorithm;
  optional_field message_type;
  optional_field sequence;

  static constexpr auto fields() {
    using r = sign_request;
    return field_table(field{"key_id", &r::key_id}, field{"message", &r::message},
                       field{"signing_algorithm", &r::signing_algorithm},
                       field{"message_type", &r::message_type}, field{"sequence", &r::sequence});
  }
};

class sign_params : public signing_params {
 private:
  friend result<sign_params> validate(const sign_request& request);
  sign_params() = default;
};

[[nodiscard]] inline result<sign_params> validate(const sign_request& request) {
  sign_params params;
  KMSCORE_TRY(params.read_fields(request, [] { return result<void>{}; }));
  return params;
}

struct sign_response {
  kmscore::key_id key_id;
  std::vector<byte> signature;
};

template <crypto_backend Backend>
[[nodiscard]] result<sign_response> sign(Backend& backend, const key_record& record,
                                         const sign_params& params) {
  return detail::on_signed_digest<sign_response>(
      backend, record, params, [&](auto& asymmetric, byte_span digest) -> result<sign_response> {
        KMSCORE_TRY_ASSIGN(
            auto signature,
            asymmetric.sign(record.key.spec, record.key.material_versions.back().expose(),
                            params.algorithm(), digest));
        return sign_response{record.key.key_id, std::move(signature)};
      });
}

namespace actions {
struct sign {
  static constexpr std::string_view name = "sign";
  using request = sign_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&sign_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<sign_response> run(kms_service<Backend>& service, const request& r,
                                                 std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    return kmscore::sign(service.backend(), record, params);
  }

  template <class Json>
  [[nodiscard]] static http_response render(const sign_response& made) {
    return detail::respond_json(
        Json{{"key_id", made.key_id.view()}, {"signature", base64_encode(made.signature)}});
  }
};
}  // namespace actions

}  // namespace kmscore
