// kmscore/create_key.hpp: create-key, key records, and the key lifecycle.
//
//   auto params = kmscore::validate(request);                 // actions/create_key.hpp
//   auto record = kmscore::create_key(backend, *params, domain_id, now_ms);
//   record->key.key_id;                                         // random v4 UUID, lowercase
//   kmscore::disable_key(*record);                              // pure state transitions
//
// The caller supplies the account (`domain_id`, 32 lowercase hex characters) and the time
// (milliseconds since the epoch): the headers read no clock. Key material comes from the
// backend: random bytes for AES_256 / SM4, a key pair (PKCS#8 + SubjectPublicKeyInfo DER)
// for RSA, EC and SM2 specs, none for `origin: external` (state 5, pending import). A backend
// that cannot make a spec answers 500 KMS.0101.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto.hpp"
#include "hex.hpp"
#include "key_record.hpp"
#include "master_key.hpp"
#include "uuid.hpp"
#include "validate.hpp"

namespace kmscore {

inline constexpr std::int64_t milliseconds_per_day = 86'400'000;

// A fresh random (version 4) key_id from the backend's RNG.
template <crypto_backend Backend>
[[nodiscard]] result<key_id> new_key_id(Backend& backend) {
  std::array<byte, uuid::byte_size> random{};
  KMSCORE_TRY(backend.random_bytes(random));
  return key_id::from_uuid(uuid::version4(random));
}

// A fresh random domain_id (32 lowercase hex), for a project a host creates on first use.
template <crypto_backend Backend>
[[nodiscard]] result<std::string> new_domain_id(Backend& backend) {
  std::array<byte, domain_id_size / 2> random{};
  KMSCORE_TRY(backend.random_bytes(random));
  return hex_encode_lower(random);
}

template <crypto_backend Backend>
[[nodiscard]] result<void> make_key_material(Backend& backend, key_record& record) {
  const auto& policy = spec_policy(record.key.spec);
  if (policy.has_random_material()) {
    secret_bytes material{policy.material_size};
    KMSCORE_TRY(backend.random_bytes(material.expose()));
    record.key.material_versions.push_back(std::move(material));
    return {};
  }
  if constexpr (key_pair_backend<Backend>) {
    auto pair = backend.generate_key_pair(record.key.spec);
    if (!pair) return pair.error();
    record.key.material_versions.push_back(std::move(pair->private_key));
    record.public_key = std::move(pair->public_key);
    return {};
  } else {
    return errc::kms_error;  // this backend makes no key pairs
  }
}

// ---- lifecycle: pure transitions with the documented errors ------------------------------

[[nodiscard]] inline result<void> enable_key(key_record& record) noexcept {
  if (record.key.state != key_state::disabled) return errc::key_not_disabled;
  record.key.state = key_state::enabled;
  return {};
}

[[nodiscard]] inline result<void> disable_key(key_record& record) noexcept {
  if (record.key.state != key_state::enabled) return errc::key_not_enabled;
  record.key.state = key_state::disabled;
  return {};
}

[[nodiscard]] inline result<void> schedule_key_deletion(key_record& record,
                                                        std::uint32_t pending_days,
                                                        std::int64_t now_ms) noexcept {
  if (pending_days < min_pending_days || pending_days > max_pending_days) {
    return errc::invalid_pending_days;
  }
  if (record.key.state == key_state::scheduled_deletion) return errc::key_already_scheduled;
  record.key.state = key_state::scheduled_deletion;
  record.scheduled_deletion_date_ms =
      now_ms + static_cast<std::int64_t>(pending_days) * milliseconds_per_day;
  return {};
}

// Cancelling returns the key to disabled (state 3), as the service does; a key without
// material (of origin external, never imported or its material deleted or expired) to
// pending import (state 5, api-import-mac.md §0.2).
[[nodiscard]] inline result<void> cancel_key_deletion(key_record& record) noexcept {
  if (record.key.state != key_state::scheduled_deletion) return errc::key_not_scheduled;
  record.key.state =
      record.key.material_versions.empty() ? key_state::pending_import : key_state::disabled;
  record.scheduled_deletion_date_ms = 0;
  return {};
}

}  // namespace kmscore
