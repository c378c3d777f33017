// kmscore/mac.hpp: generate-mac and verify-mac (api-import-mac.md sections 6-7), what both
// share: the fields up to the message, the key checks and the MAC itself.
//
//   auto params = kmscore::validate(generate_mac_request);     // field checks, in table order
//   auto made = kmscore::compute_mac(backend, record, *params); // key checks, then the backend
//   made->view();                                              // 32, 48 or 64 bytes
//
// A MAC is HMAC (RFC 2104) with the hash of the key's spec, over the decoded message, under the
// key's material. The key checks follow api-asymmetric.md section 1, then an ENCRYPT_DECRYPT
// key is KMS.0334, a SIGN_VERIFY key KMS.0335, and an algorithm other than the spec's own
// KMS.0308 Invalid mac_algorithm.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "crypto.hpp"
#include "detail/wipe.hpp"
#include "fields.hpp"
#include "key_record.hpp"
#include "master_key.hpp"
#include "sign.hpp"

namespace kmscore {

// "original message 1-4096 bytes" (section 6), counted after Base64 decoding.
inline constexpr std::size_t max_mac_message_bytes = 4096;

// What generate-mac and verify-mac share once validated.
class mac_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] mac_algorithm algorithm() const noexcept { return algorithm_; }
  [[nodiscard]] byte_span message() const noexcept { return message_; }

 protected:
  mac_params() = default;
  // key_id, mac_algorithm, message: the first three rows of both tables.
  template <class Request>
  [[nodiscard]] result<void> read_fields(const Request& request) {
    KMSCORE_TRY_ASSIGN(key_id_, detail::parse_required_key_id(request.key_id));
    if (!request.mac_algorithm) return error{errc::missing_parameter, "mac_algorithm"};
    const auto algorithm = parse_mac_algorithm(*request.mac_algorithm);
    if (!algorithm) return error{errc::invalid_parameter, "mac_algorithm"};
    algorithm_ = *algorithm;
    KMSCORE_TRY_ASSIGN(
        message_, detail::decode_base64_field(request.message, "message", max_mac_message_bytes));
    if (message_.empty()) return error{errc::invalid_parameter, "message"};
    return {};
  }

  kmscore::key_id key_id_;
  mac_algorithm algorithm_ = mac_algorithm::none;
  std::vector<byte> message_;
};

// A MAC: up to 64 bytes, of which size() are used. Wiped when destroyed: in verify-mac it is
// the right MAC of the caller's message, which the answer never reveals.
class mac_value {
 public:
  mac_value() noexcept = default;
  mac_value(const mac_value&) noexcept = default;
  mac_value& operator=(const mac_value&) noexcept = default;
  mac_value(mac_value&&) noexcept = default;
  mac_value& operator=(mac_value&&) noexcept = default;
  ~mac_value() { detail::secure_wipe(bytes_.data(), bytes_.size()); }

  [[nodiscard]] byte_span view() const noexcept { return std::span{bytes_}.first(size_); }

 private:
  template <crypto_backend Backend>
  friend result<mac_value> compute_mac(Backend& backend, const key_record& record,
                                       const mac_params& params);
  std::array<byte, max_mac_size> bytes_{};
  std::size_t size_ = 0;
};

// Section 1's state rows, then sections 6-7's key rows, in the spec's order.
[[nodiscard]] inline result<void> check_mac_key(const key_record& record,
                                                mac_algorithm algorithm) noexcept {
  KMSCORE_TRY(check_key_state_usable(record.key.state));
  if (record.usage == key_usage::encrypt_decrypt) return errc::key_for_encryption;
  if (record.usage == key_usage::sign_verify) return errc::key_for_signing;
  const auto& policy = spec_policy(record.key.spec);
  if (!policy.is_hmac()) return errc::kms_error;  // a usage the spec does not allow: a fault
  if (policy.mac != algorithm) return error{errc::invalid_parameter, "mac_algorithm"};
  if (record.key.material_versions.size() != 1 ||
      record.key.material_versions.front().size() != policy.material_size) {
    return errc::kms_error;  // HMAC keys have one version of their spec's size
  }
  return {};
}

// The key checks, then the MAC from a backend that has the algorithm (KMS.0101 otherwise).
template <crypto_backend Backend>
[[nodiscard]] result<mac_value> compute_mac(Backend& backend, const key_record& record,
                                            const mac_params& params) {
  KMSCORE_TRY(check_mac_key(record, params.algorithm()));
  if constexpr (mac_backend<Backend>) {
    if (!backend.serves(params.algorithm())) return errc::kms_error;
    mac_value made;
    made.size_ = info(params.algorithm()).size;
    KMSCORE_TRY(backend.mac(params.algorithm(), record.key.material_versions.front().expose(),
                            params.message(), std::span{made.bytes_}.first(made.size_)));
    return made;
  } else {
    return errc::kms_error;  // this backend computes no MACs
  }
}

// Whether `mac` is the message's MAC: a MAC of another length is false at once, one of the
// right length is compared in constant time.
template <crypto_backend Backend>
[[nodiscard]] result<bool> verify_mac(Backend& backend, const key_record& record,
                                      const mac_params& params, byte_span mac) {
  KMSCORE_TRY_ASSIGN(const auto made, compute_mac(backend, record, params));
  return mac.size() == made.view().size() && constant_time_equal(mac, made.view());
}

}  // namespace kmscore
