// kmscore/key_record_codec.hpp: key records as bytes a host can persist, and back.
//
//   auto stored = kmscore::seal_key_record(backend, root_key, record);   // result<bytes>
//   auto back = kmscore::open_key_record(backend, root_key, *stored);    // result<key_record>
//   auto listed = kmscore::read_key_record_metadata(*stored);  // metadata only, no crypto
//   kmscore::root_key_sealer<Backend> sealer{backend, root};   // the same, behind an interface
//
// Layout: "KMSREC01" || u16 length || metadata || envelope. The metadata (every field of
// key_record_fields, plus the format and the number of material versions) is the canonical
// form of string pairs (context.hpp); the envelope seals the
// material versions under the caller's root key with the library's own suite, with the
// metadata as its encryption context. The metadata includes the record's project, key id and
// revision, so a record opens only as what it was sealed as: changing any byte, moving it to
// another row or project, or replaying an older revision under a newer one makes opening
// fail; a record opens only under its root key. Every failure is 500 KMS.0101: a corrupt
// or foreign record is a fault of the store, not of a request. Listing reads the metadata
// without unsealing anything (it is not secret).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
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

inline constexpr std::string_view record_format = "kmscore-key-record-5";
// Records sealed by earlier formats lack the fields added since; those read as their
// defaults (0, no tags, no expiry or fingerprint). Format 2: before 2026-12-07; format 3:
// before tags; format 4: before imported material.
struct earlier_record_format {
  std::string_view name;
  std::size_t missing;  // how many of record_fields_since's last fields it lacks
};
inline constexpr std::array<std::string_view, 4> record_fields_since{
    "on_demand_rotations", "tags", "expiration_time", "import_fingerprint"};
inline constexpr std::array<earlier_record_format, 3> earlier_record_formats{{
    {"kmscore-key-record-2", 4},
    {"kmscore-key-record-3", 3},
    {"kmscore-key-record-4", 2},
}};
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
  if (format == nullptr) return errc::kms_error;
  std::size_t missing = 0;
  if (*format != record_format) {
    const auto* earlier =
        std::find_if(earlier_record_formats.begin(), earlier_record_formats.end(),
                     [&](const earlier_record_format& f) { return f.name == *format; });
    if (earlier == earlier_record_formats.end()) return errc::kms_error;
    missing = earlier->missing;
  }
  if (metadata.pairs().size() != key_record_fields.size() + 2 - missing) return errc::kms_error;
  const auto lacks = [&](std::string_view name) {
    return std::find(record_fields_since.end() - static_cast<long>(missing),
                     record_fields_since.end(), name) != record_fields_since.end();
  };
  key_record record;
  for (const auto& field : key_record_fields) {
    const auto* value = metadata_value(metadata, field.name);
    if (value == nullptr && lacks(field.name)) continue;  // the record's default
    if (value == nullptr || !field.parse(*value, record)) return errc::kms_error;
  }
  if (!key_record_is_consistent(record)) return errc::kms_error;
  return record;
}

// The root key's envelope keys: to seal (its current material version), or to open `opening`
// (the versions it names).
template <crypto_backend Backend>
[[nodiscard]] result<envelope_key<Backend>> root_envelope_key(Backend& backend,
                                                              const master_key& root,
                                                              const envelope_view* opening) {
  const auto suite = spec_policy(root.spec).suite;
  const std::uint32_t version =
      opening != nullptr ? opening->key_version() : root.current_version();
  if (suite == envelope_suite::none || version >= root.material_versions.size()) {
    return errc::kms_error;
  }
  const auto material = root.material_versions[version].expose();
  if (opening != nullptr) {
    return envelope_key<Backend>::derive(backend, opening->version(), material, root.key_id,
                                         version);
  }
  // Records and the root-key check are sealed with the HKDF version (16), which every backend
  // serves, so one store opens under any of them (data-key envelopes use the newest).
  const auto portable = suite_version(suite, envelope_kdf::hkdf);
  if (!portable) return errc::kms_error;
  return envelope_key<Backend>::derive(backend, *portable, material, root.key_id, version);
}
}  // namespace detail

// A sealed record's payload: a marker byte, then per material version its 2-byte length and
// its bytes, in one envelope (so at most max_envelope_payload bytes).
inline constexpr std::size_t record_version_prefix = 2;
[[nodiscard]] constexpr std::size_t record_payload_size(std::size_t versions,
                                                        std::size_t material_size) noexcept {
  return 1 + versions * (record_version_prefix + material_size);
}

// The most material versions a key of this spec can have: what one sealed record holds, and
// never more than max_material_versions. rotate-key answers KMS.3012 at this count.
[[nodiscard]] constexpr std::uint32_t max_versions_of(key_spec spec) noexcept {
  const std::size_t fit = (max_envelope_payload - record_payload_size(0, 0)) /
                          (record_version_prefix + spec_policy(spec).material_size);
  return static_cast<std::uint32_t>(std::min<std::size_t>(fit, max_material_versions));
}
static_assert(record_payload_size(max_versions_of(key_spec::aes_256), 32) <= max_envelope_payload);
static_assert(record_payload_size(max_versions_of(key_spec::aes_256) + 1, 32) >
              max_envelope_payload);
static_assert(record_payload_size(max_versions_of(key_spec::sm4) + 1, 16) > max_envelope_payload);

// Seals a record under the root key's current material version.
template <crypto_backend Backend>
[[nodiscard]] result<std::vector<byte>> seal_key_record(Backend& backend, const master_key& root,
                                                        const key_record& record) {
  auto metadata = detail::record_metadata(record);
  // Only what reads back is sealed: a record its own field rules refuse is the host's fault.
  if (!metadata || !detail::record_from_metadata(*metadata)) return errc::kms_error;
  const auto canonical = metadata->canonical();

  std::size_t payload_size = record_payload_size(0, 0);
  for (const auto& material : record.key.material_versions) {
    payload_size += record_version_prefix + material.size();
  }
  if (payload_size > max_envelope_payload) return errc::kms_error;
  secret_bytes payload{payload_size};
  const auto out = payload.expose();
  std::size_t at = 0;
  out[at++] = detail::record_payload_marker;
  for (const auto& material : record.key.material_versions) {
    detail::store_u16(out, at, static_cast<std::uint16_t>(material.size()));
    at += record_version_prefix;
    for (const byte b : material.expose()) out[at++] = b;
  }

  KMSCORE_TRY_ASSIGN(auto key, detail::root_envelope_key(backend, root, nullptr));
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

namespace detail {
struct stored_parts {
  encryption_context metadata;
  byte_span envelope;
};
[[nodiscard]] inline result<stored_parts> split_stored_record(byte_span stored) {
  const auto magic = as_bytes(record_magic);
  if (stored.size() < magic.size() + 2 || !std::equal(magic.begin(), magic.end(), stored.begin())) {
    return errc::kms_error;
  }
  const std::size_t metadata_size = load_u16(stored, magic.size());
  const std::size_t prefix = magic.size() + 2 + metadata_size;
  if (stored.size() < prefix) return errc::kms_error;
  auto metadata =
      encryption_context::from_canonical(stored.subspan(magic.size() + 2, metadata_size));
  if (!metadata) return errc::kms_error;
  return stored_parts{std::move(*metadata), stored.subspan(prefix)};
}
}  // namespace detail

// The metadata of a stored record (every field but the material), without opening it: what
// list-keys shows. Not authenticated until the record is opened.
[[nodiscard]] inline result<key_record> read_key_record_metadata(byte_span stored) {
  KMSCORE_TRY_ASSIGN(const auto parts, detail::split_stored_record(stored));
  return detail::record_from_metadata(parts.metadata);
}

// Opens a stored record; any change to it, or the wrong root key, fails (KMS.0101).
template <crypto_backend Backend>
[[nodiscard]] result<key_record> open_key_record(Backend& backend, const master_key& root,
                                                 byte_span stored) {
  KMSCORE_TRY_ASSIGN(const auto parts, detail::split_stored_record(stored));
  const auto* metadata = &parts.metadata;
  KMSCORE_TRY_ASSIGN(auto record, detail::record_from_metadata(parts.metadata));

  auto view = parse_envelope(parts.envelope, max_envelope_payload);
  if (!view || view->key_id() != root.key_id) return errc::kms_error;
  KMSCORE_TRY_ASSIGN(auto key, detail::root_envelope_key(backend, root, &*view));
  secret_bytes payload{view->datakey_bytes()};
  if (!key.open(backend, *view, *metadata, payload.expose())) return errc::kms_error;

  const auto in = payload.expose();
  if (in[0] != detail::record_payload_marker) return errc::kms_error;
  std::size_t at = 1;
  while (at < in.size()) {
    if (in.size() - at < 2) return errc::kms_error;
    const std::size_t size = detail::load_u16(in, at);
    at += record_version_prefix;
    if (in.size() - at < size) return errc::kms_error;
    record.key.material_versions.emplace_back(in.subspan(at, size));
    at += size;
  }
  const auto* count = detail::metadata_value(*metadata, detail::record_versions_name);
  if (count == nullptr || *count != std::to_string(record.key.material_versions.size())) {
    return errc::kms_error;
  }
  return record;
}

class keyring_root;  // keyring_root.hpp

// A keyring with one more sealing key (keyring.hpp): the keyring sealed under the root key, the
// new key's id, and its link, the new key sealed under the keyring's newest key before it.
struct keyring_rotation {
  std::vector<byte> keyring;
  key_id key;
  std::vector<byte> link;
};
// The link that seals sealing key `id`, as a host's store holds it (nullopt: none).
using key_link_source = std::function<result<std::optional<std::vector<byte>>>(const key_id& id)>;

// Sealing behind an interface, so that compiled stores (host/store/) need no backend type.
class record_sealer {
 public:
  record_sealer() = default;
  record_sealer(const record_sealer&) = delete;
  record_sealer& operator=(const record_sealer&) = delete;
  record_sealer(record_sealer&&) = delete;
  record_sealer& operator=(record_sealer&&) = delete;
  virtual ~record_sealer() = default;

  [[nodiscard]] virtual result<std::vector<byte>> seal(const key_record& record) = 0;
  [[nodiscard]] virtual result<key_record> open(byte_span stored) = 0;
  // A check value only this root key opens: a store keeps it, so that opening the store
  // with another root key is a clear error before any key is touched.
  [[nodiscard]] virtual result<std::vector<byte>> seal_check() = 0;
  [[nodiscard]] virtual result<void> open_check(byte_span check) = 0;
  // The store's keyring (keyring.hpp): a first one sealed under the root key, holding the
  // service secret given and a new sealing key (or, for a store whose records the root key
  // sealed itself, that root key); loading a sealed one (KMS.0101 under another root key);
  // the loaded one sealed under another root key (keyring_root.hpp), and its number of
  // sealing keys; a key derived from its service secret for the purpose a label names.
  [[nodiscard]] virtual result<std::vector<byte>> new_keyring(byte_span service_secret,
                                                              bool root_sealed_records) = 0;
  [[nodiscard]] virtual result<void> load_keyring(byte_span sealed) = 0;
  [[nodiscard]] virtual result<std::vector<byte>> sealed_keyring(keyring_root& under) = 0;
  [[nodiscard]] virtual std::size_t keyring_keys() const noexcept = 0;
  // Whether the loaded keyring holds a sealing key of this id (a root key's own, in a store
  // made before keyrings).
  [[nodiscard]] virtual bool keyring_holds(const key_id& id) const noexcept = 0;
  // `keyring rotate`: the loaded keyring with a new newest sealing key, sealed under the root
  // key (which must not have been released), and the new key's link; the loaded keyring is
  // unchanged (load the new one once the store holds it).
  [[nodiscard]] virtual result<keyring_rotation> rotate_keyring() = 0;
  // Where links are found, so that a record sealed by a key added since the keyring was loaded
  // opens (its key learned from its link, sealed under a key already held).
  virtual void learn_links_from(key_link_source source) = 0;
  // The root key let go (a token's session closed) once nothing more needs it.
  virtual void release_root() noexcept = 0;
  [[nodiscard]] virtual result<secret_bytes> service_key(std::string_view label) = 0;
};

namespace detail {
inline constexpr std::string_view root_check_text = "kmscore root key check";
}

}  // namespace kmscore
