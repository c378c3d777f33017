// kmscore/actions/import_key_material.hpp: import-key-material (api-import-mac.md §3): the
// material a client wrapped to get-parameters-for-import's public key, unwrapped with the
// token's private key, checked against the key's spec and sealed as the key's version 0 (the
// key to state 2, by compare-and-set: of two imports at once one sees state 5, the other
// KMS.0310); answers {}. The checks after the fields are import.hpp's: the key rows, then the
// unwrapping once, then the store's compare-and-set re-checks the state and the fingerprint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../base64.hpp"
#include "../import.hpp"
#include "common.hpp"

namespace kmscore {

struct import_key_material_request {
  optional_field key_id;
  optional_field import_token;
  optional_field encrypted_key_material;
  optional_field encrypted_privatekey;
  optional_field expiration_time;  // a JSON integer or a JSON string of digits
  optional_field sequence;

  static constexpr auto fields() {
    using r = import_key_material_request;
    return field_table(field{"key_id", &r::key_id}, field{"import_token", &r::import_token},
                       field{"encrypted_key_material", &r::encrypted_key_material},
                       field{"encrypted_privatekey", &r::encrypted_privatekey},
                       field{"expiration_time", &r::expiration_time, wire_type::integer_or_string},
                       field{"sequence", &r::sequence});
  }
};

namespace detail {
// §3's character bounds of the Base64 fields.
inline constexpr std::size_t min_material_chars = 4;
inline constexpr std::size_t max_material_chars = 360;
inline constexpr std::size_t min_private_key_chars = 24;
inline constexpr std::size_t max_private_key_chars = 6144;
inline constexpr std::size_t max_expiration_digits = 12;

// A Base64 field (api-asymmetric.md §0.2) of min_chars to max_chars characters, decoded.
[[nodiscard]] inline result<std::vector<byte>> decode_bounded_base64(const std::string& text,
                                                                     std::string_view name,
                                                                     std::size_t min_chars,
                                                                     std::size_t max_chars) {
  const auto size = base64_decoded_size(text);
  if (text.size() < min_chars || text.size() > max_chars || !size) {
    return error{errc::invalid_parameter, name};
  }
  std::vector<byte> bytes(*size);
  if (!base64_decode(text, bytes)) return error{errc::invalid_parameter, name};
  return bytes;
}

// ^[0-9a-zA-Z+/=]{200,6144}$ (the token's own framing is checked when it is opened).
[[nodiscard]] constexpr bool is_token_text(std::string_view text) noexcept {
  if (text.size() < token_min_chars || text.size() > token_max_chars) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' ||
           c == '/' || c == '=';
  });
}

// Seconds since 1970, 1 to max_expiration_time_s, as decimal digits.
[[nodiscard]] constexpr std::optional<std::int64_t> parse_expiration(
    std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);  // the value counts
  if (text.size() > max_expiration_digits) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > max_expiration_time_s) return std::nullopt;
  return value;
}
static_assert(parse_expiration("253402300799") == max_expiration_time_s);
static_assert(parse_expiration("0000001893456000") == 1'893'456'000);
static_assert(!parse_expiration("253402300800") && !parse_expiration("0") &&
              !parse_expiration("") && !parse_expiration("-1") && !parse_expiration("1.0"));
}  // namespace detail

class import_key_material_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  // The fields as import.hpp takes them (views into these params).
  [[nodiscard]] material_import material() const noexcept {
    material_import in{token_, material_, std::nullopt, expiration_s_};
    if (private_key_) in.encrypted_private_key = byte_span{*private_key_};
    return in;
  }

 private:
  friend result<import_key_material_params> validate(const import_key_material_request& request);
  import_key_material_params() = default;

  kmscore::key_id key_id_;
  std::string token_;
  std::vector<byte> material_;
  std::optional<std::vector<byte>> private_key_;
  std::optional<std::int64_t> expiration_s_;
};

[[nodiscard]] inline result<import_key_material_params> validate(
    const import_key_material_request& request) {
  import_key_material_params params;
  KMSCORE_TRY_ASSIGN(params.key_id_, detail::parse_required_key_id(request.key_id));
  if (!request.import_token) return error{errc::missing_parameter, "import_token"};
  if (!detail::is_token_text(*request.import_token)) {
    return error{errc::invalid_parameter, "import_token"};
  }
  params.token_ = *request.import_token;
  if (!request.encrypted_key_material) {
    return error{errc::missing_parameter, "encrypted_key_material"};
  }
  KMSCORE_TRY_ASSIGN(
      params.material_,
      detail::decode_bounded_base64(*request.encrypted_key_material, "encrypted_key_material",
                                    detail::min_material_chars, detail::max_material_chars));
  if (request.encrypted_privatekey && !request.encrypted_privatekey->empty()) {
    KMSCORE_TRY_ASSIGN(params.private_key_,
                       detail::decode_bounded_base64(
                           *request.encrypted_privatekey, "encrypted_privatekey",
                           detail::min_private_key_chars, detail::max_private_key_chars));
  }
  if (request.expiration_time) {
    params.expiration_s_ = detail::parse_expiration(*request.expiration_time);
    if (!params.expiration_s_) return error{errc::invalid_parameter, "expiration_time"};
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return params;
}

namespace actions {
struct import_key_material {
  static constexpr std::string_view name = "import-key-material";
  using request = import_key_material_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    KMSCORE_TRY(check_pending_import(record));
    const import_keys* keys = service.import_secrets();
    if (keys == nullptr) {
      service.report("import-key-material: this host has no import keys");
      return errc::kms_error;
    }
    // The costly part once; a compare-and-set retry only re-checks and stores.
    KMSCORE_TRY_ASSIGN(const auto made, unwrap_imported_material(service.backend(), *keys, record,
                                                                 params.material(), now_ms));
    return service.change_key(params.key_id(), now_ms, [&](key_record& fresh) {
      return apply_imported_material(fresh, made);
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record&) {
    return detail::respond_empty<Json>();
  }
};
}  // namespace actions

}  // namespace kmscore
