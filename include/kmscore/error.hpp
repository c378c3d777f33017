// kmscore/error.hpp: the API's error codes, their HTTP status and documented messages.
//
// Every failure the library reports is one of the codes of the API contract
// (shared spec api.md). `error` is a small value: the code plus, for the generic
// "Invalid {field}." code KMS.0308 and the "missing parameter" code KMS.0204, the name of
// the field at fault. It never carries secret data.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kmscore {

enum class errc : std::uint8_t {
  kms_error,                      // 500 KMS.0101 (backend fault or unsupported spec)
  invalid_request,                // 400 KMS.0202 (not JSON, not an object, duplicate key)
  request_too_long,               // 400 KMS.0203
  missing_parameter,              // 400 KMS.0204
  invalid_key_id,                 // 400 KMS.0205
  invalid_sequence,               // 400 KMS.0206
  key_not_found,                  // 404 KMS.0207
  invalid_encryption_context,     // 400 KMS.0208
  key_disabled,                   // 400 KMS.0209
  key_pending_deletion,           // 400 KMS.0210
  invalid_parameter,              // 400 KMS.0308 "Invalid {field}."
  asymmetric_not_supported,       // 400 KMS.0325
  invalid_key_alias,              // 400 KMS.1101
  invalid_key_description,        // 400 KMS.1103
  duplicate_key_alias,            // 400 KMS.1104
  key_not_disabled,               // 400 KMS.1201
  key_not_enabled,                // 400 KMS.1301
  invalid_pending_days,           // 400 KMS.1401
  key_already_scheduled,          // 400 KMS.1402
  key_not_scheduled,              // 400 KMS.1501
  invalid_limit,                  // 400 KMS.1601 (list-keys)
  invalid_marker,                 // 400 KMS.1602 (list-keys)
  datakey_length_out_of_range,    // 400 KMS.1901
  invalid_datakey_spec,           // 400 KMS.1902
  datakey_length_not_multiple,    // 400 KMS.1903
  datakey_length_not_512,         // 400 KMS.2001
  invalid_plain_text,             // 400 KMS.2101
  invalid_datakey_plain_length,   // 400 KMS.2102
  dek_hash_mismatch,              // 400 KMS.2103
  plain_text_length_mismatch,     // 400 KMS.2104
  invalid_cipher_text,            // 400 KMS.2201
  invalid_datakey_cipher_length,  // 400 KMS.2202
  decrypt_failed,                 // 400 KMS.2203 (every authentication failure, opaque)
  cipher_text_length_mismatch,    // 400 KMS.2204
  // Rotation (api-rotation.md) and this project's extensions (docs/rotation.md).
  external_key_cannot_rotate,        // 400 KMS.0312
  rotation_not_enabled,              // 400 KMS.0313
  rsa_key_cannot_rotate,             // 400 KMS.0324
  rotation_not_disabled,             // 400 KMS.2901
  invalid_rotation_interval,         // 400 KMS.3001
  below_min_decryption_version,      // 400 KMS.2210 (extension)
  invalid_min_decryption_version,    // 400 KMS.3011 (extension)
  rotation_limit_reached,            // 400 KMS.3012 (extension: a record's version capacity)
  on_demand_rotation_limit_reached,  // 400 KMS.3013 (extension: rotate-key's count per key)
  // Keys you use directly (api-asymmetric.md).
  rsa_decrypt_failed,                 // 400 KMS.0311
  digest_length_mismatch,             // 400 KMS.0329
  symmetric_key_not_supported,        // 400 KMS.0331 (get-publickey)
  signing_algorithm_not_supported,    // 400 KMS.0332
  key_for_encryption,                 // 400 KMS.0334 (sign/verify with an ENCRYPT_DECRYPT key)
  key_for_signing,                    // 400 KMS.0335 (encrypt/decrypt-data with a SIGN_VERIFY key)
  ec_key_cannot_encrypt,              // 400 KMS.1114
  symmetric_key_cannot_sign,          // 400 KMS.1115
  random_length_not_512,              // 400 KMS.1801
  random_length_not_multiple,         // 400 KMS.1802
  symmetric_algorithm_not_supported,  // 400 KMS.2105
  rsa_algorithm_not_supported,        // 400 KMS.2106
  rsa_plain_text_too_long,            // 400 KMS.2108
  // HMAC keys (api-import-mac.md).
  hmac_key_not_supported,  // 400 KMS.0341 (an HMAC key in any action but the MAC ones)
  // Imported key material (api-import-mac.md §1-§4).
  external_key_required,           // 400 KMS.0309
  key_not_pending_import,          // 400 KMS.0310
  import_token_expired,            // 400 KMS.2601
  expiration_time_not_future,      // 400 KMS.2602
  import_token_key_mismatch,       // 400 KMS.2603
  imported_length_invalid,         // 400 KMS.2604
  import_token_unverifiable,       // 400 KMS.2605
  imported_material_differs,       // 400 KMS.2606
  imported_private_key_missing,    // 400 KMS.2608
  imported_private_key_invalid,    // 400 KMS.2609
  temporary_key_length_invalid,    // 400 KMS.2610
  material_not_deletable_state,    // 400 KMS.2701
  private_material_not_deletable,  // 400 KMS.2702
  // Key metadata: tags and quotas (api-metadata.md).
  tag_list_empty,          // 400 KMS.0401
  invalid_match_value,     // 400 KMS.0402
  invalid_match_key,       // 400 KMS.0403
  invalid_action,          // 400 KMS.0404
  invalid_tag_value,       // 400 KMS.0405
  invalid_tag_key,         // 400 KMS.0406
  invalid_tag_list_size,   // 400 KMS.0407
  too_many_tags,           // 400 KMS.0409
  invalid_tag_value_size,  // 400 KMS.0410
  invalid_tag_key_size,    // 400 KMS.0411
  invalid_tag_list,        // 400 KMS.0412
  too_many_tag_values,     // 400 KMS.0413
  invalid_tags,            // 400 KMS.0414
  invalid_matches,         // 400 KMS.0415
  tag_not_found,           // 404 KMS.0416
  invalid_offset,          // 400 KMS.0417
  offset_not_required,     // 400 KMS.0418
  too_many_keys,           // 400 KMS.1105 (create-key over the host's key quota)
  // The REST front's own refusals (http.md), answered by hosts before an action runs.
  invalid_url,            // 400 KMS.0201
  invalid_format,         // 400 KMS.0214 (Content-Type)
  method_not_supported,   // 405 KMS.0215
  invalid_resource_type,  // 400 KMS.0408 (`{x}/action` with another x than resource_instances)
  invalid_token,          // 403 KMS.0302 (a token alone)
  project_mismatch,       // 403 KMS.0321 (a project not granted to the access key)
};

struct error_info {
  errc code;
  std::string_view code_string;
  int http_status;
  std::string_view message;  // empty for KMS.0308, whose message names the field
};

inline constexpr std::array<error_info, 94> error_table{{
    {errc::kms_error, "KMS.0101", 500, "KMS error."},
    {errc::invalid_request, "KMS.0202", 400, "Invalid request."},
    {errc::request_too_long, "KMS.0203", 400, "The request message is too long."},
    {errc::missing_parameter, "KMS.0204", 400, "Parameters missing in the request message."},
    {errc::invalid_key_id, "KMS.0205", 400, "Invalid key ID."},
    {errc::invalid_sequence, "KMS.0206", 400, "Invalid sequence number."},
    {errc::key_not_found, "KMS.0207", 404, "The key does not exist."},
    {errc::invalid_encryption_context, "KMS.0208", 400,
     "Invalid value of value encryption_context."},
    {errc::key_disabled, "KMS.0209", 400, "The key has been disabled."},
    {errc::key_pending_deletion, "KMS.0210", 400,
     "The key is in Scheduled deletion state and cannot be used."},
    {errc::invalid_parameter, "KMS.0308", 400, ""},
    {errc::asymmetric_not_supported, "KMS.0325", 400,
     "The asymmetric key is not support this operation."},
    {errc::invalid_key_alias, "KMS.1101", 400, "Invalid key_alias."},
    {errc::invalid_key_description, "KMS.1103", 400, "Invalid key_description."},
    {errc::duplicate_key_alias, "KMS.1104", 400, "Duplicate key aliases."},
    {errc::key_not_disabled, "KMS.1201", 400, "The key is not disabled."},
    {errc::key_not_enabled, "KMS.1301", 400, "The key is not enabled."},
    {errc::invalid_pending_days, "KMS.1401", 400, "Invalid pending_days."},
    {errc::key_already_scheduled, "KMS.1402", 400,
     "The key is already in Scheduled deletion state."},
    {errc::key_not_scheduled, "KMS.1501", 400, "The key is not in Scheduled deletion state."},
    {errc::invalid_limit, "KMS.1601", 400, "Invalid limit."},
    {errc::invalid_marker, "KMS.1602", 400, "marker must be greater than or equals 0."},
    {errc::datakey_length_out_of_range, "KMS.1901", 400,
     "datakey_length must be in the range 8 bits to 8,192 bits."},
    {errc::invalid_datakey_spec, "KMS.1902", 400, "key_spec can only be AES_128 or AES_256."},
    {errc::datakey_length_not_multiple, "KMS.1903", 400, "datakey_length must be a multiple of 8."},
    {errc::datakey_length_not_512, "KMS.2001", 400, "datakey_length must be 512 bits."},
    {errc::invalid_plain_text, "KMS.2101", 400, "Invalid plain_text."},
    {errc::invalid_datakey_plain_length, "KMS.2102", 400, "datakey_plain_length must be 64 bytes."},
    {errc::dek_hash_mismatch, "KMS.2103", 400, "Failed to verify the DEK hash."},
    {errc::plain_text_length_mismatch, "KMS.2104", 400,
     "The length of plain_text does not match datakey_plain_length."},
    {errc::invalid_cipher_text, "KMS.2201", 400, "Invalid cipher_text."},
    {errc::invalid_datakey_cipher_length, "KMS.2202", 400,
     "datakey_cipher_length must be 64 bytes."},
    {errc::decrypt_failed, "KMS.2203", 400, "Failed to verify the DEK hash."},
    {errc::cipher_text_length_mismatch, "KMS.2204", 400,
     "The length of cipher_text does not match datakey_cipher_length."},
    {errc::external_key_cannot_rotate, "KMS.0312", 400, "External keys cannot be rotated."},
    {errc::rotation_not_enabled, "KMS.0313", 400, "Key rotation is not enabled."},
    {errc::rsa_key_cannot_rotate, "KMS.0324", 400, "RSA keys cannot be rotated."},
    {errc::rotation_not_disabled, "KMS.2901", 400, "Key rotation is not disabled."},
    {errc::invalid_rotation_interval, "KMS.3001", 400, "Invalid rotation_interval."},
    {errc::below_min_decryption_version, "KMS.2210", 400,
     "The cipher_text was made with a key version below the key's minimum decryption version."},
    {errc::invalid_min_decryption_version, "KMS.3011", 400, "Invalid min_decryption_version."},
    {errc::rotation_limit_reached, "KMS.3012", 400,
     "The key has reached its maximum number of versions and cannot be rotated."},
    {errc::on_demand_rotation_limit_reached, "KMS.3013", 400,
     "The key has reached its maximum number of on-demand rotations."},
    {errc::rsa_decrypt_failed, "KMS.0311", 400,
     "Failed to decrypt data using the RSA private key."},
    {errc::digest_length_mismatch, "KMS.0329", 400,
     "Hash algorithm does not match the digest length."},
    {errc::symmetric_key_not_supported, "KMS.0331", 400,
     "The symmetric key is not support this operation."},
    {errc::signing_algorithm_not_supported, "KMS.0332", 400,
     "This key is not support the signing algorithm."},
    {errc::key_for_encryption, "KMS.0334", 400, "The cmk is used to encrypt and decrypt."},
    {errc::key_for_signing, "KMS.0335", 400, "The cmk is used to sign and verify."},
    {errc::ec_key_cannot_encrypt, "KMS.1114", 400, "EC keys do not support to encrypt/decrypt."},
    {errc::symmetric_key_cannot_sign, "KMS.1115", 400,
     "Symmetric keys do not support to sign/verify."},
    {errc::random_length_not_512, "KMS.1801", 400, "random_data_length must be 512 bits."},
    {errc::random_length_not_multiple, "KMS.1802", 400,
     "random_data_length must be a multiple of 8."},
    {errc::symmetric_algorithm_not_supported, "KMS.2105", 400,
     "The symmetric key not support this encryption algorithm."},
    {errc::rsa_algorithm_not_supported, "KMS.2106", 400,
     "The rsa key not support this encryption algorithm."},
    {errc::rsa_plain_text_too_long, "KMS.2108", 400,
     "The rsa encryption plain_text is over length."},
    {errc::hmac_key_not_supported, "KMS.0341", 400, "The hmac key do not support this operation."},
    {errc::external_key_required, "KMS.0309", 400, "External keys required."},
    {errc::key_not_pending_import, "KMS.0310", 400, "The key is not in Pending import state."},
    {errc::import_token_expired, "KMS.2601", 400, "Token expired."},
    {errc::expiration_time_not_future, "KMS.2602", 400,
     "Key expiration time must be later than the current time."},
    {errc::import_token_key_mismatch, "KMS.2603", 400,
     "Key IDs in the imported key and token do not match."},
    {errc::imported_length_invalid, "KMS.2604", 400,
     "The external key plaintext length must be 32 bits."},
    {errc::import_token_unverifiable, "KMS.2605", 400, "Token verification failed."},
    {errc::imported_material_differs, "KMS.2606", 400,
     "You are importing a deleted key again. The imported plaintext must be the same as the "
     "deleted key plaintext."},
    {errc::imported_private_key_missing, "KMS.2608", 400,
     "The imported asymmetric private key can not be null."},
    {errc::imported_private_key_invalid, "KMS.2609", 400,
     "The imported asymmetric private is invalid."},
    {errc::temporary_key_length_invalid, "KMS.2610", 400,
     "The temporary key length must be 16 or 32."},
    {errc::material_not_deletable_state, "KMS.2701", 400,
     "Key material is not in Enabled or Disabled state and cannot be deleted."},
    {errc::private_material_not_deletable, "KMS.2702", 400,
     "The imported private key material can not be deleted."},
    {errc::tag_list_empty, "KMS.0401", 400, "Tag list cannot be empty."},
    {errc::invalid_match_value, "KMS.0402", 400, "Invalid match value."},
    {errc::invalid_match_key, "KMS.0403", 400, "Invalid match key."},
    {errc::invalid_action, "KMS.0404", 400, "Invalid action."},
    {errc::invalid_tag_value, "KMS.0405", 400, "Invalid tag value."},
    {errc::invalid_tag_key, "KMS.0406", 400, "Invalid tag key."},
    {errc::invalid_tag_list_size, "KMS.0407", 400, "Invalid tag list size."},
    {errc::too_many_tags, "KMS.0409", 400, "Too many tags."},
    {errc::invalid_tag_value_size, "KMS.0410", 400, "Invalid tag value length."},
    {errc::invalid_tag_key_size, "KMS.0411", 400, "Invalid tag key length."},
    {errc::invalid_tag_list, "KMS.0412", 400, "Invalid tag list."},
    {errc::too_many_tag_values, "KMS.0413", 400, "Too many tag values."},
    {errc::invalid_tags, "KMS.0414", 400, "Invalid tags."},
    {errc::invalid_matches, "KMS.0415", 400, "Invalid matches."},
    {errc::tag_not_found, "KMS.0416", 404, "Invalid tag ID."},
    {errc::invalid_offset, "KMS.0417", 400, "Invalid offset."},
    {errc::offset_not_required, "KMS.0418", 400, "Offset is not required."},
    {errc::too_many_keys, "KMS.1105", 400, "Too many keys."},
    {errc::invalid_url, "KMS.0201", 400, "Invalid request URL."},
    {errc::invalid_format, "KMS.0214", 400, "The request format is invalid."},
    {errc::method_not_supported, "KMS.0215", 405, "Request method not supported."},
    {errc::invalid_resource_type, "KMS.0408", 400, "Invalid resourceType."},
    {errc::invalid_token, "KMS.0302", 403, "Invalid X-Auth-Token."},
    {errc::project_mismatch, "KMS.0321", 403, "URIs in URL and X-Auth-Token do not match."},
}};

[[nodiscard]] constexpr const error_info& info(errc code) noexcept {
  // The table is ordered like the enumeration; a static_assert below keeps it so.
  return error_table[static_cast<std::size_t>(code)];
}

namespace detail {
constexpr bool error_table_is_ordered() noexcept {
  for (std::size_t i = 0; i < error_table.size(); ++i) {
    if (static_cast<std::size_t>(error_table[i].code) != i) return false;
  }
  return true;
}
static_assert(error_table_is_ordered(), "error_table must follow the order of errc");
}  // namespace detail

// A failure: the code, and the field it concerns when the message names one.
class error {
 public:
  constexpr error(errc code, std::string_view field = {}) noexcept : code_{code}, field_{field} {}

  [[nodiscard]] constexpr errc code() const noexcept { return code_; }
  [[nodiscard]] constexpr std::string_view field() const noexcept { return field_; }
  [[nodiscard]] constexpr std::string_view code_string() const noexcept {
    return info(code_).code_string;
  }
  [[nodiscard]] constexpr int http_status() const noexcept { return info(code_).http_status; }

  // The documented English message ("Invalid {field}." for KMS.0308).
  [[nodiscard]] std::string message() const {
    if (code_ == errc::invalid_parameter) {
      std::string text{"Invalid "};
      text.append(field_);
      text.push_back('.');
      return text;
    }
    return std::string{info(code_).message};
  }

  friend constexpr bool operator==(const error& a, const error& b) noexcept {
    return a.code_ == b.code_ && a.field_ == b.field_;
  }
  friend constexpr bool operator==(const error& a, errc b) noexcept { return a.code_ == b; }

 private:
  errc code_;
  std::string_view field_;  // always a string literal of the library: never dangles
};

}  // namespace kmscore
