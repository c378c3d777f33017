// kmscore/key_record.hpp: everything a store keeps about a master key, described once.
//
//   kmscore::key_record record = ...;              // made by create_key (create_key.hpp)
//   for (const auto& field : kmscore::key_record_fields) field.render(record);
//   auto copy = kmscore::clone_record(record);     // material in new zeroizing buffers
//
// `key_record_fields` is the one description of the record's fields: their wire names,
// their text form and their strict parsing. The JSON `key_info`, the record codec
// (key_record_codec.hpp) and cloning are all driven by it, so a field added here appears
// everywhere at once. Parsing is as strict as a request's: a corrupt stored field is refused.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detail/text.hpp"
#include "hex.hpp"
#include "key_id.hpp"
#include "key_spec.hpp"
#include "master_key.hpp"
#include "project_id.hpp"
#include "result.hpp"
#include "tags.hpp"
#include "validate.hpp"

namespace kmscore {

inline constexpr std::uint32_t default_rotation_interval_days = 365;
inline constexpr std::uint32_t max_rotation_interval_days = 365;
// A bound on stored material versions (rotations), far beyond any schedule: 100 years daily.
inline constexpr std::uint32_t max_material_versions = 36525;
// On-demand rotations (rotate-key) a key may have in its life, like AWS RotateKeyOnDemand's
// limit (25 per key): a replayed or scripted rotate-key cannot push a key to its version cap.
// Automatic rotations do not count.
inline constexpr std::uint32_t max_on_demand_rotations = 25;
// An imported key's fingerprint: HMAC-SHA-256 (import.hpp).
inline constexpr std::size_t import_fingerprint_size = 32;

struct key_record {
  master_key key;  // key_id, spec, state, material by version: what the operations use
  kmscore::project_id project_id;  // the tenant the key belongs to
  std::uint64_t revision = 0;      // set by the store: 1 on insert, +1 per update (compare-and-set)
  std::string domain_id;
  std::string key_alias;
  std::string key_description;
  key_usage usage = key_usage::encrypt_decrypt;
  key_origin origin = key_origin::kms;
  std::string enterprise_project_id = "0";
  std::int64_t creation_date_ms = 0;
  std::int64_t scheduled_deletion_date_ms = 0;  // 0: not scheduled
  std::vector<byte> public_key;                 // SubjectPublicKeyInfo DER (asymmetric specs)
  // Rotation (api-rotation.md): stored with every record, changed only by rotation actions.
  bool rotation_enabled = false;
  std::uint32_t rotation_interval_days = default_rotation_interval_days;
  std::int64_t rotation_enabled_ms = 0;  // when rotation was last enabled: the first base
  std::int64_t last_rotation_ms = 0;     // 0: never rotated
  std::uint32_t number_of_rotations = 0;
  std::uint32_t on_demand_rotations = 0;  // of number_of_rotations, those rotate-key made
  key_tags tags;                          // api-metadata.md §3: at most max_tags_per_key
  // Imported material (api-import-mac.md): when it expires (0: never, or no material), and
  // the keyed fingerprint of the first material imported, kept for the key's life (import.hpp).
  std::int64_t material_expiry_ms = 0;
  std::vector<byte> import_fingerprint;
};

// Whether the key is gone at now_ms (the host's clock): its deletion date has come. A gone
// key answers every action as a key that never existed (KMS.0207), is not listed, frees its
// alias and decrypts nothing, from that instant on, whether or not the maintenance pass
// (maintenance.hpp) has yet removed its record from the store.
[[nodiscard]] constexpr bool is_gone(const key_record& record, std::int64_t now_ms) noexcept {
  return record.key.state == key_state::scheduled_deletion &&
         record.scheduled_deletion_date_ms <= now_ms;
}

// A project and the domain (account) create-key answers for it.
struct project {
  project_id id;
  std::string domain_id;
};

namespace detail {
inline constexpr std::size_t max_millis_digits = 18;  // below 2^62: no overflow

[[nodiscard]] constexpr std::optional<std::int64_t> parse_millis(std::string_view text) noexcept {
  if (text.empty() || text.size() > max_millis_digits) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

template <class T>
[[nodiscard]] bool assign_if(std::optional<T> parsed, T& out) noexcept {
  if (parsed) out = *parsed;
  return parsed.has_value();
}
[[nodiscard]] inline bool assign_if_valid(bool valid, std::string_view text, std::string& out) {
  if (valid) out = std::string{text};
  return valid;
}
}  // namespace detail

// One field: its name (as key_info and the codec name it), whether key_info shows it, its
// text form, and its strict parsing back into a record.
struct key_record_field {
  std::string_view name;
  bool in_key_info;
  std::string (*render)(const key_record& record);
  bool (*parse)(std::string_view text, key_record& record);
};

// In key_info's documented order. Cross-field rules (a usage the spec allows) are checked
// by `key_record_is_consistent` once every field is read.
inline constexpr std::array<key_record_field, 25> key_record_fields{{
    {"key_id", true, [](const key_record& r) { return r.key.key_id.str(); },
     [](std::string_view t, key_record& r) {
       const auto id = key_id::parse(t);
       if (id) r.key.key_id = *id;
       return id.has_value();
     }},
    {"domain_id", true, [](const key_record& r) { return r.domain_id; },
     [](std::string_view t, key_record& r) {
       return detail::assign_if_valid(is_valid_domain_id(t), t, r.domain_id);
     }},
    {"key_alias", true, [](const key_record& r) { return r.key_alias; },
     [](std::string_view t, key_record& r) {
       return detail::assign_if_valid(check_key_alias(t).has_value(), t, r.key_alias);
     }},
    {"key_description", true, [](const key_record& r) { return r.key_description; },
     [](std::string_view t, key_record& r) {
       return detail::assign_if_valid(check_key_description(t).has_value(), t, r.key_description);
     }},
    {"key_spec", true, [](const key_record& r) { return std::string{to_string(r.key.spec)}; },
     [](std::string_view t, key_record& r) {
       return detail::assign_if(parse_key_spec(t), r.key.spec);
     }},
    {"key_usage", true, [](const key_record& r) { return std::string{to_string(r.usage)}; },
     [](std::string_view t, key_record& r) {
       return detail::assign_if(parse_key_usage(t), r.usage);
     }},
    {"origin", true, [](const key_record& r) { return std::string{to_string(r.origin)}; },
     [](std::string_view t, key_record& r) {
       return detail::assign_if(parse_key_origin(t), r.origin);
     }},
    {"key_state", true,
     [](const key_record& r) { return std::to_string(static_cast<int>(r.key.state)); },
     [](std::string_view t, key_record& r) {
       const auto state = detail::parse_decimal(t, static_cast<int>(key_state::pending_import));
       if (!state || !is_valid_key_state(static_cast<int>(*state))) return false;
       r.key.state = static_cast<key_state>(*state);
       return true;
     }},
    {"creation_date", true, [](const key_record& r) { return std::to_string(r.creation_date_ms); },
     [](std::string_view t, key_record& r) {
       return detail::assign_if(detail::parse_millis(t), r.creation_date_ms);
     }},
    {"scheduled_deletion_date", true,
     [](const key_record& r) {
       return r.scheduled_deletion_date_ms == 0 ? std::string{}
                                                : std::to_string(r.scheduled_deletion_date_ms);
     },
     [](std::string_view t, key_record& r) {
       if (t.empty()) {
         r.scheduled_deletion_date_ms = 0;
         return true;
       }
       return detail::assign_if(detail::parse_millis(t), r.scheduled_deletion_date_ms);
     }},
    {"default_key_flag", true, [](const key_record&) { return std::string{"0"}; },
     [](std::string_view t, key_record&) { return t == "0"; }},
    {"sys_enterprise_project_id", true, [](const key_record& r) { return r.enterprise_project_id; },
     [](std::string_view t, key_record& r) {
       return detail::assign_if_valid(check_enterprise_project_id(t).has_value(), t,
                                      r.enterprise_project_id);
     }},
    {"key_rotation_enabled", true,
     [](const key_record& r) { return std::string{r.rotation_enabled ? "true" : "false"}; },
     [](std::string_view t, key_record& r) {
       r.rotation_enabled = t == "true";
       return t == "true" || t == "false";
     }},
    // api-import-mac.md §0.4: milliseconds since 1970, "" without an expiry.
    {"expiration_time", true,
     [](const key_record& r) {
       return r.material_expiry_ms == 0 ? std::string{} : std::to_string(r.material_expiry_ms);
     },
     [](std::string_view t, key_record& r) {
       if (t.empty()) {
         r.material_expiry_ms = 0;
         return true;
       }
       return detail::assign_if(detail::parse_millis(t), r.material_expiry_ms);
     }},
    {"project_id", false, [](const key_record& r) { return r.project_id.str(); },
     [](std::string_view t, key_record& r) {
       const auto id = project_id::parse(t);
       if (id) r.project_id = *id;
       return id.has_value();
     }},
    {"revision", false, [](const key_record& r) { return std::to_string(r.revision); },
     [](std::string_view t, key_record& r) {
       const auto value = detail::parse_millis(t);
       if (value) r.revision = static_cast<std::uint64_t>(*value);
       return value.has_value();
     }},
    {"rotation_interval", false,
     [](const key_record& r) { return std::to_string(r.rotation_interval_days); },
     [](std::string_view t, key_record& r) {
       return detail::assign_if(detail::parse_decimal(t, max_rotation_interval_days),
                                r.rotation_interval_days) &&
              r.rotation_interval_days <= max_rotation_interval_days;
     }},
    {"rotation_enabled_time", false,
     [](const key_record& r) { return std::to_string(r.rotation_enabled_ms); },
     [](std::string_view t, key_record& r) {
       return detail::assign_if(detail::parse_millis(t), r.rotation_enabled_ms);
     }},
    {"last_rotation_time", false,
     [](const key_record& r) {
       return r.last_rotation_ms == 0 ? std::string{} : std::to_string(r.last_rotation_ms);
     },
     [](std::string_view t, key_record& r) {
       if (t.empty()) {
         r.last_rotation_ms = 0;
         return true;
       }
       return detail::assign_if(detail::parse_millis(t), r.last_rotation_ms);
     }},
    {"number_of_rotations", false,
     [](const key_record& r) { return std::to_string(r.number_of_rotations); },
     [](std::string_view t, key_record& r) {
       return detail::assign_if(detail::parse_decimal(t, max_material_versions),
                                r.number_of_rotations) &&
              r.number_of_rotations <= max_material_versions;
     }},
    {"on_demand_rotations", false,
     [](const key_record& r) { return std::to_string(r.on_demand_rotations); },
     [](std::string_view t, key_record& r) {
       return detail::assign_if(detail::parse_decimal(t, max_on_demand_rotations),
                                r.on_demand_rotations) &&
              r.on_demand_rotations <= max_on_demand_rotations;
     }},
    {"min_decryption_version", false,
     [](const key_record& r) { return std::to_string(r.key.min_decryption_version); },
     [](std::string_view t, key_record& r) {
       return detail::assign_if(detail::parse_decimal(t, max_material_versions),
                                r.key.min_decryption_version) &&
              r.key.min_decryption_version <= max_material_versions;
     }},
    {"tags", false, [](const key_record& r) { return tags_to_text(r.tags); },
     [](std::string_view t, key_record& r) {
       auto tags = tags_from_text(t);  // strict: only the text tags_to_text writes
       if (!tags) return false;
       r.tags = std::move(*tags);
       return true;
     }},
    {"public_key", false, [](const key_record& r) { return hex_encode(r.public_key); },
     [](std::string_view t, key_record& r) {
       std::vector<byte> bytes(t.size() / 2);
       if (!hex_decode(t, bytes)) return false;
       r.public_key = std::move(bytes);
       return true;
     }},
    {"import_fingerprint", false,
     [](const key_record& r) { return hex_encode(r.import_fingerprint); },
     [](std::string_view t, key_record& r) {
       if (!t.empty() && t.size() != 2 * import_fingerprint_size) return false;
       std::vector<byte> bytes(t.size() / 2);
       if (!hex_decode(t, bytes)) return false;
       r.import_fingerprint = std::move(bytes);
       return true;
     }},
}};

// The rules between fields: the usage and origin are ones the spec allows.
[[nodiscard]] constexpr bool key_record_is_consistent(const key_record& record) noexcept {
  const auto& policy = spec_policy(record.key.spec);
  return policy.allows(record.usage) && policy.allows(record.origin);
}

// A deep copy: every field through the table, material cloned into new zeroizing buffers.
// KMS.0101 for a record that does not hold to its own rules.
[[nodiscard]] inline result<key_record> clone_record(const key_record& record) {
  key_record copy;
  for (const auto& field : key_record_fields) {
    if (!field.parse(field.render(record), copy)) return errc::kms_error;
  }
  if (!key_record_is_consistent(copy)) return errc::kms_error;
  for (const auto& material : record.key.material_versions) {
    copy.key.material_versions.push_back(material.clone());
  }
  return copy;
}

}  // namespace kmscore
