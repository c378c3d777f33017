// kmscore/requests.hpp: typed requests of every action and their validation.
//
//   kmscore::create_key_request request;
//   request.key_alias = "test";
//   auto params = kmscore::validate(request);   // result<create_key_params>
//   if (!params) return params.error();         // the first failing field, as documented
//
// A `*_request` holds fields as they arrive (absent = std::nullopt; the JSON layer maps
// JSON null to absent). `validate` checks the fields in the order of api.md's tables and
// reports the first failure; on success the `*_params` it returns hold typed, known-valid
// values, so nothing downstream checks them again. Crypto and key-state checks come later,
// in the operations. Secrets (encrypt-datakey's plain_text) are decoded straight into a
// zeroizing buffer, in constant time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "context.hpp"
#include "hex.hpp"
#include "key_spec.hpp"
#include "result.hpp"
#include "secret.hpp"
#include "validate.hpp"

namespace kmscore {

using optional_field = std::optional<std::string>;
using context_field = std::optional<std::vector<encryption_context::pair>>;

// Size of the digest that encrypt-datakey's plain_text carries after the DEK (SHA-256/SM3).
inline constexpr std::size_t datakey_digest_size = 32;

namespace detail {
[[nodiscard]] inline result<void> check_optional_sequence(const optional_field& sequence) {
  if (sequence) return check_sequence(*sequence);
  return {};
}
[[nodiscard]] inline result<encryption_context> check_optional_context(const context_field& pairs) {
  if (!pairs) return encryption_context{};
  return encryption_context::make(*pairs);
}
[[nodiscard]] inline result<void> check_required_key_id(const optional_field& key_id) {
  if (!key_id) return error{errc::missing_parameter, "key_id"};
  return check_key_id(*key_id);
}
}  // namespace detail

// ---- create-key -------------------------------------------------------------------------

struct create_key_request {
  optional_field key_alias;
  optional_field key_spec;
  optional_field key_usage;
  optional_field key_description;
  optional_field origin;
  optional_field enterprise_project_id;
  optional_field sequence;
};

struct create_key_params {
  std::string key_alias;
  kmscore::key_spec spec = key_spec::aes_256;
  kmscore::key_usage usage = key_usage::encrypt_decrypt;
  std::string key_description;
  key_origin origin = key_origin::kms;
  std::string enterprise_project_id = "0";
  optional_field sequence;
};

[[nodiscard]] inline result<create_key_params> validate(const create_key_request& request) {
  create_key_params params;
  if (!request.key_alias) return error{errc::missing_parameter, "key_alias"};
  KMSCORE_TRY(check_key_alias(*request.key_alias));
  params.key_alias = *request.key_alias;
  if (request.key_spec) {
    auto spec = check_key_spec(*request.key_spec);
    if (!spec) return spec.error();
    params.spec = *spec;
  }
  const auto& policy = spec_policy(params.spec);
  params.usage = policy.default_usage;
  if (request.key_usage) {
    auto usage = check_key_usage(*request.key_usage, params.spec);
    if (!usage) return usage.error();
    params.usage = *usage;
  }
  if (request.key_description) {
    KMSCORE_TRY(check_key_description(*request.key_description));
    params.key_description = *request.key_description;
  }
  if (request.origin) {
    auto origin = check_origin(*request.origin, params.spec);
    if (!origin) return origin.error();
    params.origin = *origin;
  }
  if (request.enterprise_project_id) {
    KMSCORE_TRY(check_enterprise_project_id(*request.enterprise_project_id));
    params.enterprise_project_id = *request.enterprise_project_id;
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence = request.sequence;
  return params;
}

// ---- create-datakey and create-datakey-without-plaintext --------------------------------

struct create_datakey_request {
  optional_field key_id;
  optional_field datakey_length;
  optional_field key_spec;
  context_field encryption_context;
  optional_field sequence;
};

struct create_datakey_params {
  std::string key_id;
  std::size_t datakey_bytes = 0;
  encryption_context context;
  optional_field sequence;
};

[[nodiscard]] inline result<create_datakey_params> validate(
    const create_datakey_request& request,
    datakey_length_policy policy = datakey_length_policy::range) {
  create_datakey_params params;
  KMSCORE_TRY(detail::check_required_key_id(request.key_id));
  params.key_id = *request.key_id;
  std::size_t bits = 0;
  if (request.datakey_length) {
    auto length = parse_datakey_length(*request.datakey_length, policy);
    if (!length) return length.error();
    bits = *length;
  } else if (!request.key_spec) {
    return error{errc::missing_parameter, "datakey_length"};
  }
  if (request.key_spec) {
    auto spec = check_datakey_spec(*request.key_spec);
    if (!spec) return spec.error();
    if (!request.datakey_length) bits = datakey_bits(*spec);  // datakey_length wins if both
  }
  params.datakey_bytes = bits / 8;
  auto context = detail::check_optional_context(request.encryption_context);
  if (!context) return context.error();
  params.context = std::move(*context);
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence = request.sequence;
  return params;
}

// ---- encrypt-datakey --------------------------------------------------------------------

struct encrypt_datakey_request {
  optional_field key_id;
  optional_field plain_text;  // hex(DEK) || hex(digest of DEK): secret
  optional_field datakey_plain_length;
  context_field encryption_context;
  optional_field sequence;
};

struct encrypt_datakey_params {
  std::string key_id;
  secret_bytes plain;  // DEK followed by its 32-byte digest, decoded
  std::size_t datakey_bytes = 0;
  encryption_context context;
  optional_field sequence;
};

[[nodiscard]] inline result<encrypt_datakey_params> validate(
    const encrypt_datakey_request& request) {
  encrypt_datakey_params params;
  KMSCORE_TRY(detail::check_required_key_id(request.key_id));
  params.key_id = *request.key_id;
  if (!request.plain_text) return error{errc::missing_parameter, "plain_text"};
  const std::string_view hex = *request.plain_text;
  if (hex.empty() || !hex_valid(hex)) return errc::invalid_plain_text;
  if (!request.datakey_plain_length) return error{errc::missing_parameter, "datakey_plain_length"};
  auto length =
      parse_datakey_bytes(*request.datakey_plain_length, errc::invalid_datakey_plain_length);
  if (!length) return length.error();
  params.datakey_bytes = *length;
  // Sizes are settled before anything is allocated for the secret.
  if (hex.size() != hex_encoded_size(params.datakey_bytes + datakey_digest_size)) {
    return errc::plain_text_length_mismatch;
  }
  params.plain = secret_bytes{hex.size() / 2};
  if (!hex_decode(hex, params.plain.expose())) return errc::invalid_plain_text;
  auto context = detail::check_optional_context(request.encryption_context);
  if (!context) return context.error();
  params.context = std::move(*context);
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence = request.sequence;
  return params;
}

// ---- decrypt-datakey --------------------------------------------------------------------

struct decrypt_datakey_request {
  optional_field key_id;
  optional_field cipher_text;  // hex of the envelope, either case
  optional_field datakey_cipher_length;
  context_field encryption_context;
  optional_field sequence;
};

struct decrypt_datakey_params {
  std::string key_id;
  std::vector<byte> envelope;  // decoded, not yet parsed (the envelope layer does that)
  std::size_t datakey_bytes = 0;
  encryption_context context;
  optional_field sequence;
};

[[nodiscard]] inline result<decrypt_datakey_params> validate(
    const decrypt_datakey_request& request) {
  decrypt_datakey_params params;
  KMSCORE_TRY(detail::check_required_key_id(request.key_id));
  params.key_id = *request.key_id;
  if (!request.cipher_text) return error{errc::missing_parameter, "cipher_text"};
  const std::string_view hex = *request.cipher_text;
  // Nothing longer than the largest data-key envelope can be one: refused before allocating.
  if (hex.empty() || hex.size() > hex_encoded_size(max_datakey_envelope_size) || !hex_valid(hex)) {
    return errc::invalid_cipher_text;
  }
  if (!request.datakey_cipher_length) {
    return error{errc::missing_parameter, "datakey_cipher_length"};
  }
  auto length =
      parse_datakey_bytes(*request.datakey_cipher_length, errc::invalid_datakey_cipher_length);
  if (!length) return length.error();
  params.envelope.resize(hex.size() / 2);
  if (!hex_decode(hex, params.envelope)) return errc::invalid_cipher_text;
  params.datakey_bytes = *length;
  auto context = detail::check_optional_context(request.encryption_context);
  if (!context) return context.error();
  params.context = std::move(*context);
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence = request.sequence;
  return params;
}

// ---- lifecycle: describe-key, enable-key, disable-key, cancel-key-deletion ---------------

struct key_id_request {
  optional_field key_id;
  optional_field sequence;
};

struct key_id_params {
  std::string key_id;
  optional_field sequence;
};

[[nodiscard]] inline result<key_id_params> validate(const key_id_request& request) {
  KMSCORE_TRY(detail::check_required_key_id(request.key_id));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return key_id_params{*request.key_id, request.sequence};
}

// ---- schedule-key-deletion ---------------------------------------------------------------

struct schedule_key_deletion_request {
  optional_field key_id;
  optional_field pending_days;
  optional_field sequence;
};

struct schedule_key_deletion_params {
  std::string key_id;
  std::uint32_t pending_days = 0;
  optional_field sequence;
};

[[nodiscard]] inline result<schedule_key_deletion_params> validate(
    const schedule_key_deletion_request& request) {
  KMSCORE_TRY(detail::check_required_key_id(request.key_id));
  if (!request.pending_days) return error{errc::missing_parameter, "pending_days"};
  auto days = parse_pending_days(*request.pending_days);
  if (!days) return days.error();
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return schedule_key_deletion_params{*request.key_id, *days, request.sequence};
}

}  // namespace kmscore
