// kmscore/actions/verify.hpp: verify (api-asymmetric.md section 4). An invalid signature,
// however malformed, is a 200 answering "false"; only non-Base64 input is an error.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "../sign.hpp"
#include "common.hpp"

namespace kmscore {

struct verify_request {
  optional_field key_id;
  optional_field message;
  optional_field signature;
  optional_field signing_algorithm;
  optional_field message_type;
  optional_field sequence;

  static constexpr auto fields() {
    using r = verify_request;
    return field_table(field{"key_id", &r::key_id}, field{"message", &r::message},
                       field{"signature", &r::signature},
                       field{"signing_algorithm", &r::signing_algorithm},
                       field{"message_type", &r::message_type}, field{"sequence", &r::sequence});
  }
};

class verify_params : public signing_params {
 public:
  [[nodiscard]] byte_span signature() const noexcept { return signature_; }

 private:
  friend result<verify_params> validate(const verify_request& request);
  verify_params() = default;
  std::vector<byte> signature_;
};

[[nodiscard]] inline result<verify_params> validate(const verify_request& request) {
  verify_params params;
  KMSCORE_TRY(params.read_fields(request, [&]() -> result<void> {
    KMSCORE_TRY_ASSIGN(params.signature_,
                       detail::decode_base64_field(request.signature, "signature"));
    return {};
  }));
  return params;
}

template <crypto_backend Backend>
[[nodiscard]] result<bool> verify(Backend& backend, const key_record& record,
                                  const verify_params& params) {
  return detail::on_signed_digest<bool>(
      backend, record, params, [&](auto& asymmetric, byte_span digest) -> result<bool> {
        return asymmetric.verify(record.key.spec, record.public_key, params.algorithm(), digest,
                                 params.signature());
      });
}

struct verify_response {
  kmscore::key_id key_id;
  bool signature_valid = false;
};

namespace actions {
struct verify {
  static constexpr std::string_view name = "verify";
  using request = verify_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&verify_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<verify_response> run(kms_service<Backend>& service, const request& r,
                                                   std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    KMSCORE_TRY_ASSIGN(const bool valid, kmscore::verify(service.backend(), record, params));
    return verify_response{record.key.key_id, valid};
  }

  // A string, "true" or "false", as documented.
  template <class Json>
  [[nodiscard]] static http_response render(const verify_response& made) {
    return detail::respond_json(Json{{"key_id", made.key_id.view()},
                                     {"signature_valid", made.signature_valid ? "true" : "false"}});
  }
};
}  // namespace actions

}  // namespace kmscore
