// kmscore/requests.hpp: typed requests of every action and their validation.
//
//   kmscore::create_key_request request;
//   request.key_alias = "test";
//   auto params = kmscore::validate(request);   // result<create_key_params>
//   if (!params) return params.error();         // the first failing field, as documented
//
// A `*_request` holds fields as they arrive (absent = std::nullopt; the JSON layer maps
// JSON null to absent). `validate` checks the fields in the order of api.md's tables and
// reports the first failure; it is the only way to obtain a `*_params`, whose fields are
// already the right types (a `key_id`, a `datakey_size` of 1..1024 bytes, a parsed
// envelope) and cannot be changed afterwards. So nothing downstream checks them again, and
// no caller can hand an operation a size its buffers were not made for. Key-state and
// crypto checks come later, in the operations. Secrets (encrypt-datakey's plain_text) are
// decoded straight into a zeroizing buffer, in constant time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "context.hpp"
#include "envelope.hpp"
#include "hex.hpp"
#include "key_id.hpp"
#include "key_spec.hpp"
#include "key_store.hpp"
#include "result.hpp"
#include "secret.hpp"
#include "validate.hpp"

namespace kmscore {

using optional_field = std::optional<std::string>;
using context_field = std::optional<std::vector<encryption_context::pair>>;

// Size of the digest that encrypt-datakey's plain_text carries after the DEK (SHA-256/SM3).
inline constexpr std::size_t datakey_digest_size = digest_size;

namespace detail {
[[nodiscard]] inline result<void> check_optional_sequence(const optional_field& sequence) {
  if (sequence) return check_sequence(*sequence);
  return {};
}
[[nodiscard]] inline result<encryption_context> check_optional_context(const context_field& pairs) {
  if (!pairs) return encryption_context{};
  return encryption_context::make(*pairs);
}
[[nodiscard]] inline result<key_id> parse_required_key_id(const optional_field& text) {
  if (!text) return error{errc::missing_parameter, "key_id"};
  return key_id::parse(*text);
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

class create_key_params {
 public:
  [[nodiscard]] const std::string& key_alias() const noexcept { return key_alias_; }
  [[nodiscard]] key_spec spec() const noexcept { return spec_; }
  [[nodiscard]] key_usage usage() const noexcept { return usage_; }
  [[nodiscard]] const std::string& key_description() const noexcept { return key_description_; }
  [[nodiscard]] key_origin origin() const noexcept { return origin_; }
  [[nodiscard]] const std::string& enterprise_project_id() const noexcept {
    return enterprise_project_id_;
  }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<create_key_params> validate(const create_key_request& request);
  create_key_params() = default;

  std::string key_alias_;
  kmscore::key_spec spec_ = key_spec::aes_256;
  kmscore::key_usage usage_ = key_usage::encrypt_decrypt;
  std::string key_description_;
  key_origin origin_ = key_origin::kms;
  std::string enterprise_project_id_ = "0";
  optional_field sequence_;
};

[[nodiscard]] inline result<create_key_params> validate(const create_key_request& request) {
  create_key_params params;
  if (!request.key_alias) return error{errc::missing_parameter, "key_alias"};
  KMSCORE_TRY(check_key_alias(*request.key_alias));
  params.key_alias_ = *request.key_alias;
  if (request.key_spec) {
    KMSCORE_TRY_ASSIGN(params.spec_, check_key_spec(*request.key_spec));
  }
  params.usage_ = spec_policy(params.spec_).default_usage;
  if (request.key_usage) {
    KMSCORE_TRY_ASSIGN(params.usage_, check_key_usage(*request.key_usage, params.spec_));
  }
  if (request.key_description) {
    KMSCORE_TRY(check_key_description(*request.key_description));
    params.key_description_ = *request.key_description;
  }
  if (request.origin) {
    KMSCORE_TRY_ASSIGN(params.origin_, check_origin(*request.origin, params.spec_));
  }
  if (request.enterprise_project_id) {
    KMSCORE_TRY(check_enterprise_project_id(*request.enterprise_project_id));
    params.enterprise_project_id_ = *request.enterprise_project_id;
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
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

class create_datakey_params;
[[nodiscard]] inline result<create_datakey_params> validate(
    const create_datakey_request& request,
    datakey_length_policy policy = datakey_length_policy::range);

class create_datakey_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] datakey_size size() const noexcept { return size_; }
  [[nodiscard]] const encryption_context& context() const noexcept { return context_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<create_datakey_params> validate(const create_datakey_request& request,
                                                datakey_length_policy policy);
  create_datakey_params(const kmscore::key_id& id, datakey_size size, encryption_context context,
                        optional_field sequence)
      : key_id_{id}, size_{size}, context_{std::move(context)}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  datakey_size size_;
  encryption_context context_;
  optional_field sequence_;
};

inline result<create_datakey_params> validate(const create_datakey_request& request,
                                              datakey_length_policy policy) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  std::optional<datakey_size> size;
  if (request.datakey_length) {
    KMSCORE_TRY_ASSIGN(size, parse_datakey_length(*request.datakey_length, policy));
  } else if (!request.key_spec) {
    return error{errc::missing_parameter, "datakey_length"};
  }
  if (request.key_spec) {
    KMSCORE_TRY_ASSIGN(const auto spec, check_datakey_spec(*request.key_spec));
    if (!size) size = datakey_size::of(spec);  // datakey_length wins if both
  }
  KMSCORE_TRY_ASSIGN(auto context, detail::check_optional_context(request.encryption_context));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return create_datakey_params{id, *size, std::move(context), request.sequence};
}

// ---- encrypt-datakey --------------------------------------------------------------------

struct encrypt_datakey_request {
  optional_field key_id;
  std::optional<secret_string> plain_text;  // hex(DEK) || hex(digest of DEK): secret, wiped
  optional_field datakey_plain_length;
  context_field encryption_context;
  optional_field sequence;
};

class encrypt_datakey_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] datakey_size size() const noexcept { return size_; }
  // The caller's DEK and the digest it claims for it (checked by the operation).
  [[nodiscard]] byte_span dek() const noexcept { return plain_.expose().first(size_.bytes()); }
  [[nodiscard]] std::span<const byte, datakey_digest_size> claimed_digest() const noexcept {
    return plain_.expose().subspan(size_.bytes()).first<datakey_digest_size>();
  }
  [[nodiscard]] const encryption_context& context() const noexcept { return context_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<encrypt_datakey_params> validate(const encrypt_datakey_request& request);
  encrypt_datakey_params(const kmscore::key_id& id, datakey_size size, secret_bytes plain)
      : key_id_{id}, size_{size}, plain_{std::move(plain)} {}

  kmscore::key_id key_id_;
  datakey_size size_;
  secret_bytes plain_;  // DEK followed by its digest, decoded: size_ + 32 bytes
  encryption_context context_;
  optional_field sequence_;
};

[[nodiscard]] inline result<encrypt_datakey_params> validate(
    const encrypt_datakey_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.plain_text) return error{errc::missing_parameter, "plain_text"};
  const std::string_view hex = *request.plain_text;
  if (hex.empty() || !hex_valid(hex)) return errc::invalid_plain_text;
  if (!request.datakey_plain_length) return error{errc::missing_parameter, "datakey_plain_length"};
  KMSCORE_TRY_ASSIGN(const auto size, parse_datakey_bytes(*request.datakey_plain_length,
                                                          errc::invalid_datakey_plain_length));
  // Sizes are settled before anything is allocated for the secret.
  if (hex.size() != hex_encoded_size(size.bytes() + datakey_digest_size)) {
    return errc::plain_text_length_mismatch;
  }
  encrypt_datakey_params params{id, size, secret_bytes{hex.size() / 2}};
  if (!hex_decode(hex, params.plain_.expose())) return errc::invalid_plain_text;
  KMSCORE_TRY_ASSIGN(params.context_, detail::check_optional_context(request.encryption_context));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
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

// The decoded envelope, parsed: its framing, its key_id (the request's) and its DEK length
// (the request's) are checked. Move-only: the parsed view points into the decoded bytes.
class decrypt_datakey_params {
 public:
  decrypt_datakey_params(const decrypt_datakey_params&) = delete;
  decrypt_datakey_params& operator=(const decrypt_datakey_params&) = delete;
  decrypt_datakey_params(decrypt_datakey_params&&) noexcept = default;
  decrypt_datakey_params& operator=(decrypt_datakey_params&&) noexcept = default;
  ~decrypt_datakey_params() = default;

  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] datakey_size size() const noexcept { return size_; }
  [[nodiscard]] const envelope_view& envelope() const noexcept { return *view_; }
  [[nodiscard]] const encryption_context& context() const noexcept { return context_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<decrypt_datakey_params> validate(const decrypt_datakey_request& request);
  decrypt_datakey_params(const kmscore::key_id& id, datakey_size size, std::vector<byte> blob)
      : key_id_{id}, size_{size}, blob_{std::move(blob)} {}

  kmscore::key_id key_id_;
  datakey_size size_;
  std::vector<byte> blob_;  // moving a vector keeps its buffer, so view_ stays valid
  std::optional<envelope_view> view_;
  encryption_context context_;
  optional_field sequence_;
};

[[nodiscard]] inline result<decrypt_datakey_params> validate(
    const decrypt_datakey_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.cipher_text) return error{errc::missing_parameter, "cipher_text"};
  const std::string_view hex = *request.cipher_text;
  // Nothing longer than the largest data-key envelope can be one: refused before allocating.
  if (hex.empty() || hex.size() > hex_encoded_size(max_datakey_envelope_size) ||
      hex.size() % 2 != 0) {
    return errc::invalid_cipher_text;
  }
  std::vector<byte> blob(hex.size() / 2);
  if (!hex_decode(hex, blob)) return errc::invalid_cipher_text;  // one pass checks and decodes
  if (!request.datakey_cipher_length) {
    return error{errc::missing_parameter, "datakey_cipher_length"};
  }
  KMSCORE_TRY_ASSIGN(const auto size, parse_datakey_bytes(*request.datakey_cipher_length,
                                                          errc::invalid_datakey_cipher_length));
  decrypt_datakey_params params{id, size, std::move(blob)};
  KMSCORE_TRY_ASSIGN(params.context_, detail::check_optional_context(request.encryption_context));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  // The envelope's own checks close the field checks (api.md: fields, then key, then crypto).
  KMSCORE_TRY_ASSIGN(params.view_, parse_envelope(params.blob_));
  if (params.view_->suite() == envelope_suite::none || params.view_->key_id() != id) {
    return errc::invalid_cipher_text;  // the service's version 2 cannot be decrypted here
  }
  if (params.view_->datakey_bytes() != size.bytes()) return errc::cipher_text_length_mismatch;
  return params;
}

// ---- lifecycle: describe-key, enable-key, disable-key, cancel-key-deletion ---------------

struct key_id_request {
  optional_field key_id;
  optional_field sequence;
};

class key_id_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<key_id_params> validate(const key_id_request& request);
  key_id_params(const kmscore::key_id& id, optional_field sequence)
      : key_id_{id}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  optional_field sequence_;
};

[[nodiscard]] inline result<key_id_params> validate(const key_id_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return key_id_params{id, request.sequence};
}

// ---- schedule-key-deletion ---------------------------------------------------------------

struct schedule_key_deletion_request {
  optional_field key_id;
  optional_field pending_days;
  optional_field sequence;
};

class schedule_key_deletion_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] std::uint32_t pending_days() const noexcept { return pending_days_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<schedule_key_deletion_params> validate(
      const schedule_key_deletion_request& request);
  schedule_key_deletion_params(const kmscore::key_id& id, std::uint32_t days,
                               optional_field sequence)
      : key_id_{id}, pending_days_{days}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  std::uint32_t pending_days_;
  optional_field sequence_;
};

[[nodiscard]] inline result<schedule_key_deletion_params> validate(
    const schedule_key_deletion_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.pending_days) return error{errc::missing_parameter, "pending_days"};
  KMSCORE_TRY_ASSIGN(const auto days, parse_pending_days(*request.pending_days));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return schedule_key_deletion_params{id, days, request.sequence};
}

// ---- update-key-rotation-interval (api-rotation.md 3.3) ---------------------------------
// rotation_interval is a JSON integer on the wire: the JSON layer passes its decimal digits
// (and a value no integer rule accepts for any other JSON type).

struct update_rotation_interval_request {
  optional_field key_id;
  optional_field rotation_interval;
  optional_field sequence;
};

class update_rotation_interval_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] std::uint32_t days() const noexcept { return days_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<update_rotation_interval_params> validate(
      const update_rotation_interval_request& request);
  update_rotation_interval_params(const kmscore::key_id& id, std::uint32_t days,
                                  optional_field sequence)
      : key_id_{id}, days_{days}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  std::uint32_t days_;
  optional_field sequence_;
};

[[nodiscard]] inline result<update_rotation_interval_params> validate(
    const update_rotation_interval_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.rotation_interval) return error{errc::missing_parameter, "rotation_interval"};
  const auto days = detail::parse_decimal(*request.rotation_interval, 366);
  if (!days || *days < 30 || *days > 365) return errc::invalid_rotation_interval;
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return update_rotation_interval_params{id, *days, request.sequence};
}

// ---- update-key-min-decryption-version (extension, docs/rotation.md) --------------------

struct update_min_decryption_version_request {
  optional_field key_id;
  optional_field min_decryption_version;  // a JSON integer, as rotation_interval
  optional_field sequence;
};

class update_min_decryption_version_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] std::uint32_t version() const noexcept { return version_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<update_min_decryption_version_params> validate(
      const update_min_decryption_version_request& request);
  update_min_decryption_version_params(const kmscore::key_id& id, std::uint32_t version,
                                       optional_field sequence)
      : key_id_{id}, version_{version}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  std::uint32_t version_;
  optional_field sequence_;
};

[[nodiscard]] inline result<update_min_decryption_version_params> validate(
    const update_min_decryption_version_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.min_decryption_version) {
    return error{errc::missing_parameter, "min_decryption_version"};
  }
  // The upper bound (the key's newest version) is checked against the key.
  const auto version = detail::parse_decimal(*request.min_decryption_version, 0xFFFF'FFFEU);
  if (!version) return errc::invalid_min_decryption_version;
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return update_min_decryption_version_params{id, *version, request.sequence};
}

// ---- re-encrypt-datakey (extension, docs/rotation.md; AWS ReEncrypt) ----------------------

struct re_encrypt_datakey_request {
  optional_field key_id;  // the CMK the envelope names
  optional_field cipher_text;
  optional_field datakey_cipher_length;
  context_field encryption_context;              // the envelope's
  optional_field destination_key_id;             // default: key_id
  context_field destination_encryption_context;  // default: encryption_context
  optional_field sequence;
};

// The source as decrypt-datakey validates it, then the destination.
class re_encrypt_datakey_params {
 public:
  [[nodiscard]] const decrypt_datakey_params& source() const noexcept { return source_; }
  [[nodiscard]] const kmscore::key_id& destination_key_id() const noexcept { return destination_; }
  [[nodiscard]] const encryption_context& destination_context() const noexcept {
    return destination_context_;
  }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<re_encrypt_datakey_params> validate(const re_encrypt_datakey_request& request);
  explicit re_encrypt_datakey_params(decrypt_datakey_params source)
      : source_{std::move(source)}, destination_{source_.key_id()} {}

  decrypt_datakey_params source_;
  kmscore::key_id destination_;
  encryption_context destination_context_;
  optional_field sequence_;
};

[[nodiscard]] inline result<re_encrypt_datakey_params> validate(
    const re_encrypt_datakey_request& request) {
  // Source fields, exactly as decrypt-datakey checks them (sequence is the last field here).
  KMSCORE_TRY_ASSIGN(auto source,
                     validate(decrypt_datakey_request{request.key_id, request.cipher_text,
                                                      request.datakey_cipher_length,
                                                      request.encryption_context, std::nullopt}));
  re_encrypt_datakey_params params{std::move(source)};
  // Destination fields, with the codes of the corresponding source fields.
  if (request.destination_key_id) {
    KMSCORE_TRY_ASSIGN(params.destination_, key_id::parse(*request.destination_key_id));
  }
  if (request.destination_encryption_context) {
    KMSCORE_TRY_ASSIGN(params.destination_context_,
                       encryption_context::make(*request.destination_encryption_context));
  } else {
    params.destination_context_ = params.source_.context();
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  return params;
}

// ---- list-keys (api-rotation.md section 5) ----------------------------------------------

struct list_keys_request {
  optional_field limit;
  optional_field marker;
  optional_field key_state;
  optional_field key_spec;
  optional_field enterprise_project_id;
  optional_field sequence;
};

class list_keys_params {
 public:
  [[nodiscard]] const key_list_query& query() const noexcept { return query_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<list_keys_params> validate(const list_keys_request& request);
  list_keys_params() = default;

  key_list_query query_;
  optional_field sequence_;
};

namespace detail {
// limit: decimal digits without a leading zero, 1..2000.
[[nodiscard]] constexpr result<std::size_t> parse_list_limit(std::string_view text) noexcept {
  const auto value = parse_decimal(text, max_list_limit);
  if (!value || text.front() == '0' || *value < 1 || *value > max_list_limit) {
    return errc::invalid_limit;
  }
  return std::size_t{*value};
}
// marker: decimal digits, an offset (anything beyond the last key gives an empty page).
[[nodiscard]] constexpr result<std::size_t> parse_list_marker(std::string_view text) noexcept {
  constexpr std::uint32_t cap = 0xFFFF'FFFEU;
  const auto value = parse_decimal(text, cap);
  if (!value) return errc::invalid_marker;
  return std::size_t{*value};
}
}  // namespace detail

[[nodiscard]] inline result<list_keys_params> validate(const list_keys_request& request) {
  list_keys_params params;
  params.query_.spec = key_spec::aes_256;  // Huawei's default: AES_256 keys only
  if (request.limit) {
    KMSCORE_TRY_ASSIGN(params.query_.limit, detail::parse_list_limit(*request.limit));
  }
  if (request.marker) {
    KMSCORE_TRY_ASSIGN(params.query_.offset, detail::parse_list_marker(*request.marker));
  }
  if (request.key_state) {
    const auto& text = *request.key_state;
    if (text.size() != 1 || text[0] < '1' || text[0] > '5') {
      return error{errc::invalid_parameter, "key_state"};
    }
    params.query_.state = static_cast<key_state>(text[0] - '0');
  }
  if (request.key_spec) {
    if (*request.key_spec == "ALL") {
      params.query_.spec.reset();
    } else {
      KMSCORE_TRY_ASSIGN(params.query_.spec, check_key_spec(*request.key_spec));
    }
  }
  if (request.enterprise_project_id && *request.enterprise_project_id != "all") {
    KMSCORE_TRY(check_enterprise_project_id(*request.enterprise_project_id));
    params.query_.enterprise_project_id = *request.enterprise_project_id;
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  return params;
}

}  // namespace kmscore
