// kmscore/key_record_codec.hpp: key records as bytes a host can persist, and back.
//
//   auto stored = kmscore::seal_key_record(backend, root_key, record);   // result<bytes>
//   auto back = kmscore::open_key_record(backend, root_key, *stored);    // result<key_record>
//
// Layout: "KMSREC01" || u16 length || metadata || envelope. The metadata (every field of
// key_record_fields, plus the format and the number of material versions) is the canonical
// form of string pairs (context.hpp); the envelope seals the
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

#include "key_record.hpp"
#include "seal.hpp"

namespace kmscore {

namespace detail {
inline constexpr std::string_view record_magic = "KMSREC01";
inline constexpr byte record_payload_marker = 0x01;

inline constexpr std::string_view record_format = "kmscore-key-record-2";
inline constexpr std::string_view record_format_name = "format";
inline constexpr std::string_view record_versions_name = "material_versions";

[[nodiscard]] inline result<encryption_context> record_metadata(const key_record& record) {
  std::vector<encryption_context::pair> pairs;
  pairs.reserve(key_record_fields.size() + 2);
  pairs.emplace_back(record_format_name, record_format);
  for (const auto& field : key_record_fields) pairs.emplace_back(field.name, field.render(record));
  pairs.emplace_back(record_versions_name, std::to_string(record.key.material_versions.size()));
  return encryption_context::make(std::move(pairs));
}

[[nodiscard]] inline const std::string* metadata_value(const encryption_context& metadata,
                                                       std::string_view name) noexcept {
  for (const auto& [key, value] : metadata.pairs()) {
    if (key == name) return &value;
  }
  return nullptr;
}

// Rebuilds the metadata fields, each checked as strictly as a request would be.
[[nodiscard]] inline result<key_record> record_from_metadata(const encryption_context& metadata) {
  const auto* format = metadata_value(metadata, record_format_name);
  if (format == nullptr || *format != record_format ||
      metadata.pairs().size() != key_record_fields.size() + 2) {
    return errc::kms_error;
  }
  key_record record;
  for (const auto& field : key_record_fields) {
    const auto* value = metadata_value(metadata, field.name);
    if (value == nullptr || !field.parse(*value, record)) return errc::kms_error;
  }
  if (!key_record_is_consistent(record)) return errc::kms_error;
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

  KMSCORE_TRY_ASSIGN(auto key, detail::root_envelope_key(backend, root, root.current_version()));
  const std::size_t prefix = detail::record_magic.size() + 2 + canonical.size();
  std::vector<byte> stored(prefix + envelope_size(payload_size));
  const auto magic = as_bytes(detail::record_magic);
  std::copy(magic.begin(), magic.end(), stored.begin());
  detail::store_u16(stored, magic.size(), static_cast<std::uint16_t>(canonical.size()));
  std::copy(canonical.begin(), canonical.end(),
            stored.begin() + static_cast<long>(magic.size() + 2));
  KMSCORE_TRY(
      key.seal(backend, payload.expose(), *metadata, mutable_byte_span{stored}.subspan(prefix)));
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
  if (!view || view->key_id() != root.key_id) return errc::kms_error;
  KMSCORE_TRY_ASSIGN(auto key, detail::root_envelope_key(backend, root, view->key_version()));
  secret_bytes payload{view->datakey_bytes()};
  if (!key.open(backend, *view, *metadata, payload.expose())) return errc::kms_error;

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
  const auto* count = detail::metadata_value(*metadata, detail::record_versions_name);
  if (count == nullptr || *count != std::to_string(record->key.material_versions.size())) {
    return errc::kms_error;
  }
  return record;
}

}  // namespace kmscore
