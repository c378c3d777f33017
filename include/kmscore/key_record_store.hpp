// kmscore/key_record_store.hpp: key records as bytes a host can persist, and back.
//
//   auto stored = kmscore::seal_key_record(backend, root_key, record);   // result<bytes>
//   auto back = kmscore::open_key_record(backend, root_key, *stored);    // result<key_record>
//
// Layout: "KMSREC01" || u16 length || metadata || envelope. The metadata (every field but the
// material) is the canonical form of string pairs (context.hpp); the envelope seals the
// material versions under the caller's root key with the library's own suite, with the
// metadata as its encryption context. So changing any byte, metadata included, makes
// opening fail; a record opens only under its root key. Every failure is 500 KMS.0101: a
// corrupt or foreign record is a fault of the store, not of a request.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "create_key.hpp"
#include "seal.hpp"

namespace kmscore {

namespace detail {
inline constexpr std::string_view record_magic = "KMSREC01";
inline constexpr byte record_payload_marker = 0x01;

[[nodiscard]] inline std::optional<std::int64_t> parse_millis(std::string_view text) noexcept {
  if (text.empty() || text.size() > 18) return std::nullopt;  // below 2^62: no overflow
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

[[nodiscard]] inline result<encryption_context> record_metadata(const key_record& record) {
  return encryption_context::make({
      {"format", "kmscore-key-record-1"},
      {"key_id", record.key.key_id},
      {"domain_id", record.domain_id},
      {"key_alias", record.key_alias},
      {"key_description", record.key_description},
      {"key_spec", std::string{to_string(record.key.spec)}},
      {"key_usage", std::string{to_string(record.usage)}},
      {"origin", std::string{to_string(record.origin)}},
      {"key_state", std::to_string(static_cast<int>(record.key.state))},
      {"enterprise_project_id", record.enterprise_project_id},
      {"creation_date", std::to_string(record.creation_date_ms)},
      {"scheduled_deletion_date", std::to_string(record.scheduled_deletion_date_ms)},
      {"public_key", hex_encode(record.public_key)},
      {"material_versions", std::to_string(record.key.material_versions.size())},
  });
}

// Rebuilds the metadata fields, each checked as strictly as a request would be.
[[nodiscard]] inline result<key_record> record_from_metadata(const encryption_context& metadata) {
  auto get = [&](std::string_view name) -> const std::string* {
    for (const auto& [key, value] : metadata.pairs()) {
      if (key == name) return &value;
    }
    return nullptr;
  };
  key_record record;
  const auto* format = get("format");
  const auto* key_id = get("key_id");
  const auto* domain_id = get("domain_id");
  const auto* alias = get("key_alias");
  const auto* description = get("key_description");
  const auto* spec = get("key_spec");
  const auto* usage = get("key_usage");
  const auto* origin = get("origin");
  const auto* state = get("key_state");
  const auto* project = get("enterprise_project_id");
  const auto* created = get("creation_date");
  const auto* deletion = get("scheduled_deletion_date");
  const auto* public_key = get("public_key");
  if (!format || *format != "kmscore-key-record-1" || !key_id || !check_key_id(*key_id) ||
      !domain_id || !is_valid_domain_id(*domain_id) || !alias || !check_key_alias(*alias) ||
      !description || !check_key_description(*description) || !spec || !usage || !origin ||
      !state || !project || !check_enterprise_project_id(*project) || !created || !deletion ||
      !public_key || public_key->size() % 2 != 0 || metadata.pairs().size() != 14) {
    return errc::kms_error;
  }
  const auto parsed_spec = parse_key_spec(*spec);
  const auto parsed_usage = parse_key_usage(*usage);
  const auto parsed_origin = parse_key_origin(*origin);
  const auto parsed_state = detail::parse_decimal(*state, 9);
  const auto created_ms = parse_millis(*created);
  const auto deletion_ms = parse_millis(*deletion);
  if (!parsed_spec || !parsed_usage || !spec_policy(*parsed_spec).allows(*parsed_usage) ||
      !parsed_origin || !parsed_state || !is_valid_key_state(static_cast<int>(*parsed_state)) ||
      !created_ms || !deletion_ms) {
    return errc::kms_error;
  }
  record.key.key_id = *key_id;
  record.key.spec = *parsed_spec;
  record.key.state = static_cast<key_state>(*parsed_state);
  record.domain_id = *domain_id;
  record.key_alias = *alias;
  record.key_description = *description;
  record.usage = *parsed_usage;
  record.origin = *parsed_origin;
  record.enterprise_project_id = *project;
  record.creation_date_ms = *created_ms;
  record.scheduled_deletion_date_ms = *deletion_ms;
  record.public_key.resize(public_key->size() / 2);
  if (!hex_decode(*public_key, record.public_key)) return errc::kms_error;
  return record;
}

template <crypto_backend Backend>
[[nodiscard]] result<envelope_key<Backend>> root_envelope_key(Backend& backend,
                                                              const master_key& root,
                                                              std::uint32_t version) {
  const auto suite = spec_policy(root.spec).suite;
  if (suite == envelope_suite::none || version >= root.material_versions.size()) {
    return errc::kms_error;
  }
  return envelope_key<Backend>::derive(backend, suite, root.material_versions[version].expose(),
                                       root.key_id, version);
}
}  // namespace detail

// Seals a record under the root key's current material version.
template <crypto_backend Backend>
[[nodiscard]] result<std::vector<byte>> seal_key_record(Backend& backend, const master_key& root,
                                                        const key_record& record) {
  auto metadata = detail::record_metadata(record);
  if (!metadata) return errc::kms_error;
  const auto canonical = metadata->canonical();

  std::size_t payload_size = 1;
  for (const auto& material : record.key.material_versions) payload_size += 2 + material.size();
  if (payload_size > max_envelope_payload) return errc::kms_error;
  secret_bytes payload{payload_size};
  const auto out = payload.expose();
  std::size_t at = 0;
  out[at++] = detail::record_payload_marker;
  for (const auto& material : record.key.material_versions) {
    detail::store_u16(out, at, static_cast<std::uint16_t>(material.size()));
    at += 2;
    for (const byte b : material.expose()) out[at++] = b;
  }

  auto key = detail::root_envelope_key(backend, root, root.current_version());
  if (!key) return key.error();
  std::array<byte, envelope_salt_size> salt{};
  KMSCORE_TRY(backend.random_bytes(salt));
  const std::size_t prefix = detail::record_magic.size() + 2 + canonical.size();
  std::vector<byte> stored(prefix + envelope_size(payload_size));
  const auto magic = as_bytes(detail::record_magic);
  std::copy(magic.begin(), magic.end(), stored.begin());
  detail::store_u16(stored, magic.size(), static_cast<std::uint16_t>(canonical.size()));
  std::copy(canonical.begin(), canonical.end(),
            stored.begin() + static_cast<long>(magic.size() + 2));
  KMSCORE_TRY(key->seal(backend, payload.expose(), salt, *metadata,
                        mutable_byte_span{stored}.subspan(prefix)));
  return stored;
}

// Opens a stored record; any change to it, or the wrong root key, fails (KMS.0101).
template <crypto_backend Backend>
[[nodiscard]] result<key_record> open_key_record(Backend& backend, const master_key& root,
                                                 byte_span stored) {
  const auto magic = as_bytes(detail::record_magic);
  if (stored.size() < magic.size() + 2 || !std::equal(magic.begin(), magic.end(), stored.begin())) {
    return errc::kms_error;
  }
  const std::size_t metadata_size = detail::load_u16(stored, magic.size());
  const std::size_t prefix = magic.size() + 2 + metadata_size;
  if (stored.size() < prefix) return errc::kms_error;
  auto metadata =
      encryption_context::from_canonical(stored.subspan(magic.size() + 2, metadata_size));
  if (!metadata) return errc::kms_error;
  auto record = detail::record_from_metadata(*metadata);
  if (!record) return record.error();

  auto view = parse_envelope(stored.subspan(prefix), max_envelope_payload);
  if (!view || view->key_id != root.key_id) return errc::kms_error;
  auto key = detail::root_envelope_key(backend, root, view->key_version);
  if (!key) return key.error();
  secret_bytes payload{view->datakey_bytes()};
  if (!key->open(backend, *view, *metadata, payload.expose())) return errc::kms_error;

  const auto in = payload.expose();
  if (in[0] != detail::record_payload_marker) return errc::kms_error;
  std::size_t at = 1;
  while (at < in.size()) {
    if (in.size() - at < 2) return errc::kms_error;
    const std::size_t size = detail::load_u16(in, at);
    at += 2;
    if (in.size() - at < size) return errc::kms_error;
    record->key.material_versions.emplace_back(in.subspan(at, size));
    at += size;
  }
  const auto* count = [&]() -> const std::string* {
    for (const auto& [name, value] : metadata->pairs()) {
      if (name == "material_versions") return &value;
    }
    return nullptr;
  }();
  if (count == nullptr || *count != std::to_string(record->key.material_versions.size())) {
    return errc::kms_error;
  }
  return record;
}

}  // namespace kmscore
