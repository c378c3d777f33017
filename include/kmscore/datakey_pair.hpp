// kmscore/datakey_pair.hpp: what create-rsa-datakey-pair and create-ec-datakey-pair share
// (api-import-mac.md section 8): the fields, the key checks and the pair itself.
//
//   auto params = kmscore::validate(create_ec_datakey_pair_request);
//   auto made = kmscore::create_datakey_pair(backend, record, *params);
//   made->public_key;               // Base64 of the DER SubjectPublicKeyInfo
//   made->private_key_cipher_text;  // Base64 of an encrypt-data blob (envelope 20 / 21) of the
//                                   // DER PKCS#8 private key: decrypt-data opens it
//
// A fresh pair per request, made by the backend; nothing of it is stored. The private key is
// sealed under the newest version of an AES_256 or SM4 CMK exactly as encrypt-data seals
// (bound to encryption_context), and comes back in clear only when with_plain_text is true
// (the default), as Base64 in wiping memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base64.hpp"
#include "crypto.hpp"
#include "encrypt_data.hpp"
#include "fields.hpp"
#include "key_record.hpp"
#include "master_key.hpp"
#include "response.hpp"
#include "secret.hpp"
#include "service.hpp"

namespace kmscore {

// A pair's key_spec as the action names it (AWS's KeyPairSpec names for EC), and the CMK spec
// whose key_spec_table row says how to make it.
struct pair_spec_name {
  std::string_view name;
  key_spec spec;
};
inline constexpr std::array<pair_spec_name, 3> rsa_pair_specs{{
    {"RSA_2048", key_spec::rsa_2048},
    {"RSA_3072", key_spec::rsa_3072},
    {"RSA_4096", key_spec::rsa_4096},
}};
// ECC_NIST_P521 and ECC_SECG_P256K1 (documented by Huawei) have no CMK spec here: refused.
inline constexpr std::array<pair_spec_name, 3> ec_pair_specs{{
    {"ECC_NIST_P256", key_spec::ec_p256},
    {"ECC_NIST_P384", key_spec::ec_p384},
    {"SM2", key_spec::sm2},
}};

namespace detail {
// A field this project cannot honour: absent, null or "" only, else "Invalid {name}.".
[[nodiscard]] inline result<void> check_empty_field(const optional_field& text,
                                                    std::string_view name) {
  if (text && !text->empty()) return error{errc::invalid_parameter, name};
  return {};
}
}  // namespace detail

class datakey_pair_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] key_spec spec() const noexcept { return spec_; }
  [[nodiscard]] std::string_view spec_name() const noexcept { return spec_name_; }
  [[nodiscard]] bool with_plain_text() const noexcept { return with_plain_text_; }
  [[nodiscard]] const encryption_context& context() const noexcept { return context_; }

 protected:
  datakey_pair_params() = default;

  // The fields in section 8's order: key_id, key_spec (one of `names`), with_plain_text,
  // additional_authenticated_data, encryption_context, sequence, then pin and pin_type where
  // the request has them (the EC action).
  template <class Request, std::size_t N>
  [[nodiscard]] result<void> read_fields(const Request& request,
                                         const std::array<pair_spec_name, N>& names) {
    KMSCORE_TRY_ASSIGN(key_id_, detail::parse_required_key_id(request.key_id));
    if (!request.key_spec) return error{errc::missing_parameter, "key_spec"};
    const pair_spec_name* found = nullptr;
    for (const auto& row : names) {
      if (row.name == *request.key_spec) found = &row;
    }
    if (found == nullptr) return error{errc::invalid_parameter, "key_spec"};
    spec_ = found->spec;
    spec_name_ = found->name;
    if (request.with_plain_text) {
      const auto& value = *request.with_plain_text;
      if (!value.is(wire_value::kind::boolean)) {
        return error{errc::invalid_parameter, "with_plain_text"};
      }
      with_plain_text_ = value.text == "true";
    }
    KMSCORE_TRY(detail::check_empty_field(request.additional_authenticated_data,
                                          "additional_authenticated_data"));
    KMSCORE_TRY_ASSIGN(context_, detail::check_optional_context(request.encryption_context));
    KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
    if constexpr (requires { request.pin; }) {
      KMSCORE_TRY(detail::check_empty_field(request.pin, "pin"));
      KMSCORE_TRY(detail::check_empty_field(request.pin_type, "pin_type"));
    }
    return {};
  }

  kmscore::key_id key_id_;
  key_spec spec_ = key_spec::rsa_2048;
  std::string_view spec_name_;  // a literal of the pair tables
  bool with_plain_text_ = true;
  encryption_context context_;
};

struct datakey_pair_response {
  kmscore::key_id key_id;
  std::string_view spec_name;
  std::string public_key;                              // Base64 of the DER SubjectPublicKeyInfo
  std::string private_key_cipher_text;                 // Base64 of the encrypt-data blob
  std::optional<secret_bytes> private_key_plain_text;  // Base64 characters, when asked for
};

// The CMK's checks (api-asymmetric.md section 1, then an RSA/EC/SM2 key KMS.0325, an HMAC key
// KMS.0341: check_datakey_master_key), then a fresh pair from the backend (KMS.0101 when it
// cannot make the spec), its private key sealed under the CMK.
template <crypto_backend Backend>
[[nodiscard]] result<datakey_pair_response> create_datakey_pair(Backend& backend,
                                                                const key_record& record,
                                                                const datakey_pair_params& params) {
  KMSCORE_TRY(check_datakey_master_key(record.key));
  if constexpr (key_pair_backend<Backend>) {
    auto pair = backend.generate_key_pair(params.spec());
    if (!pair) return pair.error();
    const auto private_key = pair->private_key.expose();
    KMSCORE_TRY_ASSIGN(auto sealed,
                       seal_data_envelope(backend, record, private_key, params.context()));
    datakey_pair_response made{record.key.key_id, params.spec_name(),
                               base64_encode(pair->public_key), std::move(sealed), std::nullopt};
    if (params.with_plain_text()) {
      secret_bytes text{base64_encoded_size(private_key.size())};
      if (!base64_encode(private_key, as_writable_chars(text.expose()))) return errc::kms_error;
      made.private_key_plain_text = std::move(text);
    }
    return made;
  } else {
    return errc::kms_error;  // this backend makes no key pairs
  }
}

namespace detail {
// The answer, rendered straight into zeroizing memory (it may hold the private key).
[[nodiscard]] inline http_response render_datakey_pair(const datakey_pair_response& made) {
  if (!made.private_key_plain_text) {
    return render_plain_object({{"key_id", made.key_id.view()},
                                {"key_spec", made.spec_name},
                                {"public_key", made.public_key},
                                {"private_key_cipher_text", made.private_key_cipher_text}});
  }
  return render_plain_object(
      {{"key_id", made.key_id.view()},
       {"key_spec", made.spec_name},
       {"public_key", made.public_key},
       {"private_key_cipher_text", made.private_key_cipher_text},
       {"private_key_plain_text", as_chars(made.private_key_plain_text->expose())}});
}

// What both actions do once their request is read: validate it (each action file's
// `validate`, found by argument-dependent lookup), find the CMK, make and seal the pair; and
// the answer's rendering. An action is this with its name and request.
template <class Request>
struct datakey_pair_action {
  using request = Request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<datakey_pair_response> run(kms_service<Backend>& service,
                                                         const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    return create_datakey_pair(service.backend(), record, params);
  }

  template <class Json>
  [[nodiscard]] static http_response render(const datakey_pair_response& made) {
    return render_datakey_pair(made);
  }
};
}  // namespace detail

}  // namespace kmscore
