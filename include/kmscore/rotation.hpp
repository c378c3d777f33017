// kmscore/rotation.hpp: key rotation (api-rotation.md): which keys rotate, when, and how.
//
//   KMSCORE_TRY(kmscore::enable_key_rotation(record, now_ms));     // pure record changes
//   if (kmscore::rotation_due(record, now_ms)) {
//     KMSCORE_TRY(kmscore::rotate_key(backend, record, now_ms));   // appends a version
//   }
//
// Rotating appends a material version, fresh from the backend's RNG: envelopes name the
// version they were sealed under (key_version), new ones use the newest, and every older
// version keeps decrypting (a minimum decryption version can retire old ones after they have
// been re-wrapped: re-encrypt-datakey). Which keys rotate is a column of key_spec_table;
// keys of origin external never do. Rotation is never triggered by a read or a use: the
// host calls the maintenance entry point (maintenance.hpp) with its clock;
// a due key rotates once however many intervals were missed, and its base moves to now.
#pragma once

#include <cstdint>
#include <optional>

#include "crypto.hpp"
#include "key_record.hpp"
#include "key_record_codec.hpp"

namespace kmscore {

inline constexpr std::uint32_t min_rotation_interval_days = 30;
inline constexpr std::int64_t rotation_day_ms = 86'400'000;

// The refusals every rotation write action applies, in api-rotation.md's order: the key's
// state, then its origin, then its spec.
[[nodiscard]] inline result<void> check_key_can_rotate(const key_record& record) noexcept {
  KMSCORE_TRY(check_key_state_usable(record.key.state));
  if (record.origin == key_origin::external) return errc::external_key_cannot_rotate;
  if (const auto refusal = spec_policy(record.key.spec).rotation_refusal) return *refusal;
  return {};
}

// Whether automatic rotation is due at now_ms: enabled, the key usable, and a whole interval
// since the base (the last rotation, else when rotation was enabled). Pure: the caller's
// clock.
[[nodiscard]] constexpr bool rotation_due(const key_record& record, std::int64_t now_ms) noexcept {
  if (!record.rotation_enabled || record.key.state != key_state::enabled ||
      record.origin == key_origin::external || !spec_policy(record.key.spec).rotates()) {
    return false;
  }
  const std::int64_t base =
      record.last_rotation_ms != 0 ? record.last_rotation_ms : record.rotation_enabled_ms;
  return now_ms >=
         base + static_cast<std::int64_t>(record.rotation_interval_days) * rotation_day_ms;
}

[[nodiscard]] inline result<void> enable_key_rotation(key_record& record,
                                                      std::int64_t now_ms) noexcept {
  KMSCORE_TRY(check_key_can_rotate(record));
  if (record.rotation_enabled) return errc::rotation_not_disabled;
  record.rotation_enabled = true;
  record.rotation_enabled_ms = now_ms;  // the interval keeps its stored value (365 if never set)
  return {};
}

[[nodiscard]] inline result<void> disable_key_rotation(key_record& record) noexcept {
  KMSCORE_TRY(check_key_can_rotate(record));
  if (!record.rotation_enabled) return errc::rotation_not_enabled;
  record.rotation_enabled = false;  // interval, last rotation and count survive
  return {};
}

[[nodiscard]] inline result<void> update_rotation_interval(key_record& record,
                                                           std::uint32_t days) noexcept {
  KMSCORE_TRY(check_key_can_rotate(record));
  if (!record.rotation_enabled) return errc::rotation_not_enabled;
  if (days < min_rotation_interval_days || days > max_rotation_interval_days) {
    return errc::invalid_rotation_interval;
  }
  record.rotation_interval_days = days;  // the base does not move
  return {};
}

// Appends a material version (the rotate-key extension and automatic rotation). The new
// version is number_of_rotations, the newest; envelopes of every older version still open.
template <crypto_backend Backend>
[[nodiscard]] result<std::uint32_t> rotate_key(Backend& backend, key_record& record,
                                               std::int64_t now_ms) {
  KMSCORE_TRY(check_key_can_rotate(record));
  if (record.key.material_versions.size() >= max_versions_of(record.key.spec)) {
    return errc::rotation_limit_reached;  // checked before anything changes
  }
  secret_bytes material{spec_policy(record.key.spec).material_size};
  KMSCORE_TRY(backend.random_bytes(material.expose()));
  record.key.material_versions.push_back(std::move(material));
  record.number_of_rotations = record.key.current_version();
  record.last_rotation_ms = now_ms;
  return record.key.current_version();
}

// rotate-key (extension, like AWS RotateKeyOnDemand): rotate_key's refusals, then at most
// max_on_demand_rotations in the key's life (KMS.3013, checked before anything changes).
template <crypto_backend Backend>
[[nodiscard]] result<std::uint32_t> rotate_key_on_demand(Backend& backend, key_record& record,
                                                         std::int64_t now_ms) {
  KMSCORE_TRY(check_key_can_rotate(record));
  if (record.on_demand_rotations >= max_on_demand_rotations) {
    return errc::on_demand_rotation_limit_reached;
  }
  KMSCORE_TRY_ASSIGN(const auto version, rotate_key(backend, record, now_ms));
  ++record.on_demand_rotations;
  return version;
}

// The minimum decryption version (extension): 0..newest; older envelopes are refused by
// decrypt-datakey (KMS.2210) and still opened by re-encrypt-datakey.
[[nodiscard]] inline result<void> update_min_decryption_version(key_record& record,
                                                                std::uint32_t version) noexcept {
  if (spec_policy(record.key.spec).is_hmac()) return errc::hmac_key_not_supported;
  if (!spec_policy(record.key.spec).is_symmetric()) return errc::asymmetric_not_supported;
  if (version > record.key.current_version()) return errc::invalid_min_decryption_version;
  record.key.min_decryption_version = version;
  return {};
}

}  // namespace kmscore
