// kmscore/sign.hpp: get-publickey, sign and verify (api-asymmetric.md sections 2-4).
//
//   auto params = kmscore::validate(sign_request);             // field checks, in table order
//   auto signed_ = kmscore::sign(backend, record, *params);      // key checks, then the backend
//   signed_->signature;                                          // DER (EC, SM2) or modulus-sized
//   kmscore::public_key_pem(record);                             // "-----BEGIN PUBLIC KEY-----..."
//
// Messages arrive in Base64 and are 1..4095 bytes; with message_type DIGEST (the default)
// they are the hash itself and must be its length (KMS.0329), with RAW the backend hashes
// them. SM2 signs digests only (e = SM3(Z_A || M), computed by the caller). The key checks
// follow section 1, then the key-kind rows: symmetric KMS.1115, an ENCRYPT_DECRYPT key
// KMS.0334, an algorithm the spec does not take KMS.0332. verify answers false for any
// signature that does not verify, however malformed; only non-Base64 input is an error.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asymmetric.hpp"
#include "base64.hpp"
#include "fields.hpp"
#include "key_record.hpp"
#include "master_key.hpp"

namespace kmscore {

// "less than 4096 bytes" (section 3): decoded messages of 1..4095 bytes.
inline constexpr std::size_t max_sign_message_bytes = 4095;

// What sign and verify share once validated: the key, the message and how to read it.
class signing_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] byte_span message() const noexcept { return message_; }
  [[nodiscard]] signing_algorithm algorithm() const noexcept { return algorithm_; }
  [[nodiscard]] kmscore::message_type type() const noexcept { return type_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 protected:
  signing_params() = default;
  template <class Request, class AfterMessage>
  [[nodiscard]] result<void> read_fields(const Request& request, AfterMessage&& after_message);

  kmscore::key_id key_id_;
  std::vector<byte> message_;
  signing_algorithm algorithm_ = signing_algorithm::rsassa_pss_sha256;
  kmscore::message_type type_ = message_type::digest;
  optional_field sequence_;
};

namespace detail {
// A Base64 field's bytes; the field's invalid error for bad Base64 or more than max_bytes
// (checked before anything is allocated).
[[nodiscard]] inline result<std::vector<byte>> decode_base64_field(
    const optional_field& text, std::string_view name,
    std::size_t max_bytes = std::numeric_limits<std::size_t>::max()) {
  if (!text) return error{errc::missing_parameter, name};
  const auto size = base64_decoded_size(*text);
  if (!size || *size > max_bytes) return error{errc::invalid_parameter, name};
  std::vector<byte> bytes(*size);
  if (!base64_decode(*text, bytes)) return error{errc::invalid_parameter, name};
  return bytes;
}

[[nodiscard]] inline result<std::vector<byte>> check_sign_message(const optional_field& text) {
  KMSCORE_TRY_ASSIGN(auto message, decode_base64_field(text, "message", max_sign_message_bytes));
  if (message.empty()) {
    return error{errc::invalid_parameter, "message"};
  }
  return message;
}

[[nodiscard]] inline result<signing_algorithm> check_signing_algorithm(const optional_field& text) {
  if (!text) return error{errc::missing_parameter, "signing_algorithm"};
  const auto* found = find_signing_algorithm(*text);
  if (found == nullptr) return error{errc::invalid_parameter, "signing_algorithm"};
  return found->id;
}

// message_type: DIGEST (default) or RAW; SM2 takes digests only; a digest must be exactly the
// algorithm's hash length.
[[nodiscard]] inline result<message_type> check_message_type(const optional_field& text,
                                                             signing_algorithm algorithm,
                                                             std::size_t message_size) {
  message_type type = message_type::digest;
  if (text) {
    if (*text == "RAW") {
      type = message_type::raw;
    } else if (*text != "DIGEST") {
      return error{errc::invalid_parameter, "message_type"};
    }
  }
  if (type == message_type::raw && info(algorithm).scheme == signature_scheme::sm2) {
    return error{errc::invalid_parameter, "message_type"};
  }
  if (type == message_type::digest && message_size != signature_hash_size(info(algorithm).hash)) {
    return errc::digest_length_mismatch;
  }
  return type;
}
}  // namespace detail

// The shared fields in the spec's table order; verify's signature comes between message and
// signing_algorithm, read by after_message.
template <class Request, class AfterMessage>
result<void> signing_params::read_fields(const Request& request, AfterMessage&& after_message) {
  KMSCORE_TRY_ASSIGN(key_id_, detail::parse_required_key_id(request.key_id));
  KMSCORE_TRY_ASSIGN(message_, detail::check_sign_message(request.message));
  KMSCORE_TRY(std::forward<AfterMessage>(after_message)());
  KMSCORE_TRY_ASSIGN(algorithm_, detail::check_signing_algorithm(request.signing_algorithm));
  KMSCORE_TRY_ASSIGN(type_,
                     detail::check_message_type(request.message_type, algorithm_, message_.size()));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  sequence_ = request.sequence;
  return {};
}

// ---- key checks -------------------------------------------------------------------------

// Section 1's state rows, then sign's key-kind rows, in the spec's order.
[[nodiscard]] inline result<void> check_signing_key(const key_record& record,
                                                    signing_algorithm algorithm) noexcept {
  KMSCORE_TRY(check_key_state_usable(record.key.state));
  const auto& policy = spec_policy(record.key.spec);
  if (policy.is_hmac()) return errc::hmac_key_not_supported;  // api-import-mac.md §0.3
  if (policy.is_symmetric()) return errc::symmetric_key_cannot_sign;
  if (record.usage != key_usage::sign_verify) return errc::key_for_encryption;
  if (!signing_allowed(record.key.spec, algorithm)) return errc::signing_algorithm_not_supported;
  if (record.key.material_versions.empty() || record.public_key.empty()) return errc::kms_error;
  return {};
}

// ---- get-publickey ----------------------------------------------------------------------

namespace detail {
inline constexpr std::string_view pem_begin = "-----BEGIN PUBLIC KEY-----\r\n";
inline constexpr std::string_view pem_end = "-----END PUBLIC KEY-----\r\n";
inline constexpr std::size_t pem_line_chars = 64;
}  // namespace detail

// The PEM text of a SubjectPublicKeyInfo: 64-column Base64 lines, every line ended by CR LF
// (as the service's example).
[[nodiscard]] inline std::string public_key_pem(byte_span spki) {
  const std::string body = base64_encode(spki);
  std::string pem{detail::pem_begin};
  for (std::size_t at = 0; at < body.size(); at += detail::pem_line_chars) {
    pem.append(body, at, detail::pem_line_chars);
    pem.append("\r\n");
  }
  pem.append(detail::pem_end);
  return pem;
}

// get-publickey's key checks (section 1, then KMS.0331 for a symmetric key) and its answer.
[[nodiscard]] inline result<std::string> get_public_key(const key_record& record) {
  KMSCORE_TRY(check_key_state_usable(record.key.state));
  if (spec_policy(record.key.spec).is_hmac()) return errc::hmac_key_not_supported;
  if (spec_policy(record.key.spec).is_symmetric()) return errc::symmetric_key_not_supported;
  if (record.public_key.empty()) return errc::kms_error;  // a store fault
  return public_key_pem(record.public_key);
}

// ---- sign and verify --------------------------------------------------------------------

namespace detail {
// The digest a signature covers: the message itself (DIGEST) or its hash (RAW).
template <crypto_backend Backend>
[[nodiscard]] result<byte_span> signed_digest(Backend& backend, const signing_params& params,
                                              std::array<byte, max_signature_hash_size>& hashed) {
  if (params.type() == message_type::digest) return params.message();
  const auto hash = info(params.algorithm()).hash;
  const auto out = std::span{hashed}.first(signature_hash_size(hash));
  KMSCORE_TRY(backend.hash(hash, params.message(), out));
  return byte_span{out};
}

// What sign and verify share: the key's checks, a backend that serves its spec, the digest.
// The operation takes the backend as a generic parameter so that backends without asymmetric
// algorithms never instantiate it.
template <class Response, crypto_backend Backend, class Operation>
[[nodiscard]] result<Response> on_signed_digest(Backend& backend, const key_record& record,
                                                const signing_params& params,
                                                Operation&& operation) {
  KMSCORE_TRY(check_signing_key(record, params.algorithm()));
  if constexpr (asymmetric_backend<Backend>) {
    if (!backend.serves(record.key.spec)) return errc::kms_error;
    std::array<byte, max_signature_hash_size> hashed{};
    KMSCORE_TRY_ASSIGN(const auto digest, signed_digest(backend, params, hashed));
    return std::forward<Operation>(operation)(backend, digest);
  } else {
    return errc::kms_error;  // this backend has no asymmetric algorithms
  }
}
}  // namespace detail

}  // namespace kmscore
