// kmscore/envelope.hpp: the ciphertext envelope's framing: parse, write, inspect.
//
//   auto view = kmscore::parse_envelope(blob);      // result<envelope_view>, KMS.2201 if bad
//   view->version; view->body; view->key_id; view->key_version; view->tag;
//   auto info = kmscore::inspect_envelope(backend, blob);   // what `kmscore inspect` shows
//
// Layout (docs/envelope.md), integers little-endian, for a blob of T bytes:
//
//   version u16 | length u16 = T - 36 | body (T - 76) | key_id (36) | key_version u32 | tag (32)
//
// Parsing reads only inside the input, and rejects unknown versions, inconsistent lengths,
// bodies of the wrong size for the suite, malformed key_ids and trailing bytes before any
// crypto is done. The only crypto here is inspect's check of the service's version-2 digest.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "bytes.hpp"
#include "crypto.hpp"
#include "key_id.hpp"
#include "key_spec.hpp"
#include "result.hpp"
#include "secret.hpp"
#include "validate.hpp"

namespace kmscore {

// Versions: 2 is the service's own format (recognised, never decrypted); the library's suites
// have versions of their own.
enum class envelope_version : std::uint16_t {
  service_v2 = 2,
  aes256_gcm_hmac_sha256 = 0x0010,  // HKDF-derived keys (wave 1; open forever)
  sm4_gcm_hmac_sm3 = 0x0011,
  aes256_gcm_cmac_kdf = 0x0012,  // keys from the SP 800-108 counter KDF with CMAC
  sm4_gcm_cmac_kdf = 0x0013,
  aes256_gcm_data = 0x0014,  // encrypt-data payloads (HKDF with labels of their own)
  sm4_gcm_data = 0x0015,
};

// How a suite version derives its keys from the CMK (docs/envelope.md).
enum class envelope_kdf : std::uint8_t { hkdf, cmac_counter };

// What a version carries: data keys (and key records), or encrypt-data's payloads. The two
// never open through each other's actions (distinct versions and KDF labels).
enum class envelope_purpose : std::uint8_t { data_key, data };

// encrypt-data takes plaintexts of 1..4096 bytes (api-asymmetric.md section 5).
inline constexpr std::size_t max_data_plaintext_bytes = 4096;

inline constexpr std::size_t envelope_header_size = 4;  // version, length
inline constexpr std::size_t envelope_key_version_size = 4;
inline constexpr std::size_t envelope_tag_size = 32;
inline constexpr std::size_t envelope_trailer_size =
    key_id_size + envelope_key_version_size + envelope_tag_size;
inline constexpr std::size_t envelope_overhead = envelope_header_size + envelope_trailer_size;
// The length field counts every byte after itself but the key_id's (docs/envelope.md).
inline constexpr std::size_t envelope_length_offset = key_id_size;
inline constexpr std::size_t max_envelope_size = 0xFFFF;
inline constexpr std::size_t envelope_salt_size = 32;
inline constexpr std::size_t envelope_gcm_tag_size = gcm_tag_size;
// Body of the library's suites: salt || GCM ciphertext of the DEK || GCM tag.
inline constexpr std::size_t suite_body_overhead = envelope_salt_size + envelope_gcm_tag_size;

// The largest payload a suite envelope can carry (the u16 length field bounds the blob).
// Data keys are limited to 1024 bytes by the API; stored key records use more.
inline constexpr std::size_t max_envelope_payload =
    max_envelope_size - envelope_overhead - suite_body_overhead;

[[nodiscard]] constexpr std::size_t envelope_size(std::size_t datakey_bytes) noexcept {
  return envelope_overhead + suite_body_overhead + datakey_bytes;
}
// The largest envelope a data key can have.
inline constexpr std::size_t max_datakey_envelope_size = envelope_size(max_datakey_bytes);
static_assert(envelope_size(64) == 188);
static_assert(max_datakey_envelope_size == 1148);

// The library's suite versions: one table, read every way.
struct envelope_format {
  envelope_version version;
  envelope_suite suite;
  envelope_kdf kdf;
  envelope_purpose purpose = envelope_purpose::data_key;
};
inline constexpr std::array<envelope_format, 6> envelope_formats{{
    {envelope_version::aes256_gcm_hmac_sha256, envelope_suite::aes256_gcm_hmac_sha256,
     envelope_kdf::hkdf},
    {envelope_version::sm4_gcm_hmac_sm3, envelope_suite::sm4_gcm_hmac_sm3, envelope_kdf::hkdf},
    {envelope_version::aes256_gcm_cmac_kdf, envelope_suite::aes256_gcm_hmac_sha256,
     envelope_kdf::cmac_counter},
    {envelope_version::sm4_gcm_cmac_kdf, envelope_suite::sm4_gcm_hmac_sm3,
     envelope_kdf::cmac_counter},
    {envelope_version::aes256_gcm_data, envelope_suite::aes256_gcm_hmac_sha256, envelope_kdf::hkdf,
     envelope_purpose::data},
    {envelope_version::sm4_gcm_data, envelope_suite::sm4_gcm_hmac_sm3, envelope_kdf::hkdf,
     envelope_purpose::data},
}};

// The table holds versions 16, 17, ... in order, so a version is its own index (every
// envelope opened looks its format up several times).
constexpr bool envelope_formats_are_indexed_by_version() noexcept {
  for (std::size_t i = 0; i < envelope_formats.size(); ++i) {
    if (static_cast<std::size_t>(envelope_formats[i].version) !=
        static_cast<std::size_t>(envelope_formats[0].version) + i) {
      return false;
    }
  }
  return true;
}
static_assert(envelope_formats_are_indexed_by_version());

[[nodiscard]] constexpr std::optional<envelope_format> find_envelope_format(
    envelope_version version) noexcept {
  const auto first = static_cast<std::size_t>(envelope_formats[0].version);
  const auto index = static_cast<std::size_t>(version) - first;  // wraps below the first
  if (index >= envelope_formats.size()) return std::nullopt;     // the service's version 2, unknown
  return envelope_formats[index];
}
[[nodiscard]] constexpr std::optional<envelope_version> suite_version(
    envelope_suite suite, envelope_kdf kdf,
    envelope_purpose purpose = envelope_purpose::data_key) noexcept {
  for (const auto& format : envelope_formats) {
    if (format.suite == suite && format.kdf == kdf && format.purpose == purpose) {
      return format.version;
    }
  }
  return std::nullopt;
}
// The version encrypt-data seals a suite's payloads with (20 or 21).
[[nodiscard]] constexpr std::optional<envelope_version> data_envelope_version(
    envelope_suite suite) noexcept {
  return suite_version(suite, envelope_kdf::hkdf, envelope_purpose::data);
}
[[nodiscard]] constexpr envelope_suite version_suite(envelope_version version) noexcept {
  const auto format = find_envelope_format(version);
  return format ? format->suite : envelope_suite::none;
}

namespace detail {
[[nodiscard]] constexpr std::uint16_t load_u16(byte_span bytes, std::size_t at) noexcept {
  return static_cast<std::uint16_t>(bytes[at] | (bytes[at + 1] << 8U));
}
[[nodiscard]] constexpr std::uint32_t load_u32(byte_span bytes, std::size_t at) noexcept {
  return static_cast<std::uint32_t>(bytes[at]) | (static_cast<std::uint32_t>(bytes[at + 1]) << 8U) |
         (static_cast<std::uint32_t>(bytes[at + 2]) << 16U) |
         (static_cast<std::uint32_t>(bytes[at + 3]) << 24U);
}
constexpr void store_u16(mutable_byte_span bytes, std::size_t at, std::uint16_t value) noexcept {
  bytes[at] = static_cast<byte>(value & 0xFFU);
  bytes[at + 1] = static_cast<byte>(value >> 8U);
}
constexpr void store_u32(mutable_byte_span bytes, std::size_t at, std::uint32_t value) noexcept {
  for (std::size_t i = 0; i < 4; ++i)
    bytes[at + i] = static_cast<byte>((value >> (8U * i)) & 0xFFU);
}
}  // namespace detail

class envelope_view;
[[nodiscard]] inline result<envelope_view> parse_envelope(
    byte_span blob, std::size_t max_payload,
    envelope_purpose purpose = envelope_purpose::data_key) noexcept;

// A parsed envelope: views into the caller's blob. Only parse_envelope makes one, so every
// span in it has been checked against the version's layout.
class envelope_view {
 public:
  [[nodiscard]] envelope_version version() const noexcept { return version_; }
  [[nodiscard]] std::uint16_t length() const noexcept { return length_; }
  [[nodiscard]] byte_span body() const noexcept { return body_; }
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] std::uint32_t key_version() const noexcept { return key_version_; }
  [[nodiscard]] std::span<const byte, envelope_tag_size> tag() const noexcept { return tag_; }
  [[nodiscard]] byte_span authenticated() const noexcept { return authenticated_; }  // pre-tag

  [[nodiscard]] envelope_suite suite() const noexcept { return suite_; }

  // This view over `copy`, a byte-for-byte copy of the blob it was parsed from: for a holder
  // that moves the blob (no second parse). A copy of another size is refused (nullopt).
  [[nodiscard]] std::optional<envelope_view> rebased(byte_span copy) const noexcept {
    if (copy.size() != authenticated_.size() + envelope_tag_size) return std::nullopt;
    const auto offset = static_cast<std::size_t>(body_.data() - authenticated_.data());
    return envelope_view{version_, suite_,       length_, copy.subspan(offset, body_.size()),
                         key_id_,  key_version_, copy};
  }

  // DEK bytes carried by a library suite's body (0 for the service's version 2).
  [[nodiscard]] std::size_t datakey_bytes() const noexcept {
    return suite() == envelope_suite::none ? 0 : body_.size() - suite_body_overhead;
  }

 private:
  friend result<envelope_view> parse_envelope(byte_span blob, std::size_t max_payload,
                                              envelope_purpose purpose) noexcept;
  envelope_view(envelope_version version, envelope_suite suite, std::uint16_t length,
                byte_span body, const kmscore::key_id& id, std::uint32_t key_version,
                byte_span blob) noexcept
      : version_{version},
        suite_{suite},
        length_{length},
        body_{body},
        key_id_{id},
        key_version_{key_version},
        tag_{blob.last<envelope_tag_size>()},
        authenticated_{blob.first(blob.size() - envelope_tag_size)} {}

  envelope_version version_;
  envelope_suite suite_;  // version_'s, looked up once by parse_envelope
  std::uint16_t length_;
  byte_span body_;
  kmscore::key_id key_id_;
  std::uint32_t key_version_;
  std::span<const byte, envelope_tag_size> tag_;
  byte_span authenticated_;
};

// Splits a blob into its fields; KMS.2201 (Invalid cipher_text.) for anything malformed,
// including a suite payload outside 1..max_payload bytes or a version of the other purpose.
// max_payload: the largest suite payload accepted (data keys: 1024 bytes; key records more).
[[nodiscard]] inline result<envelope_view> parse_envelope(byte_span blob) noexcept {
  return parse_envelope(blob, max_datakey_bytes);
}
// encrypt-data's blobs (versions 20, 21; payloads of 1..4096 bytes).
[[nodiscard]] inline result<envelope_view> parse_data_envelope(byte_span blob) noexcept {
  return parse_envelope(blob, max_data_plaintext_bytes, envelope_purpose::data);
}
[[nodiscard]] inline result<envelope_view> parse_envelope(byte_span blob, std::size_t max_payload,
                                                          envelope_purpose purpose) noexcept {
  if (max_payload > max_envelope_payload) return errc::kms_error;
  if (blob.size() < envelope_overhead || blob.size() > max_envelope_size) {
    return errc::invalid_cipher_text;
  }
  const auto raw_version = detail::load_u16(blob, 0);
  const auto length = detail::load_u16(blob, 2);
  if (length != blob.size() - envelope_length_offset) return errc::invalid_cipher_text;
  const auto version = static_cast<envelope_version>(raw_version);
  const std::size_t body_size = blob.size() - envelope_overhead;
  auto suite = envelope_suite::none;
  if (version == envelope_version::service_v2) {
    if (purpose != envelope_purpose::data_key) return errc::invalid_cipher_text;
  } else {
    const auto format = find_envelope_format(version);
    if (!format || format->purpose != purpose) return errc::invalid_cipher_text;
    suite = format->suite;
    if (body_size < suite_body_overhead + min_datakey_bytes ||
        body_size > suite_body_overhead + max_payload) {
      return errc::invalid_cipher_text;
    }
  }
  const std::size_t trailer = envelope_header_size + body_size;
  const auto key_id = key_id::parse(as_chars(blob.subspan(trailer, key_id_size)));
  if (!key_id) return errc::invalid_cipher_text;
  return envelope_view{version, suite,
                       length,  blob.subspan(envelope_header_size, body_size),
                       *key_id, detail::load_u32(blob, trailer + key_id_size),
                       blob};
}

namespace detail {
// Writes the framing around a body already in place: out must be envelope-sized for it
// (the suites check that before calling). Returns the bytes the tag covers.
inline byte_span write_envelope_frame(envelope_version version, const key_id& id,
                                      std::uint32_t key_version, mutable_byte_span out) noexcept {
  const std::size_t body_size = out.size() - envelope_overhead;
  store_u16(out, 0, static_cast<std::uint16_t>(version));
  store_u16(out, 2, static_cast<std::uint16_t>(out.size() - envelope_length_offset));
  const std::size_t trailer = envelope_header_size + body_size;
  const auto text = as_bytes(id.view());
  for (std::size_t i = 0; i < key_id_size; ++i) out[trailer + i] = text[i];
  store_u32(out, trailer + key_id_size, key_version);
  return out.first(out.size() - envelope_tag_size);
}
}  // namespace detail

// What `inspect` reports of a blob; for the service's version 2, whether its trailing
// SHA-256 digest of all preceding bytes holds.
struct envelope_info {
  std::uint16_t version = 0;
  std::uint16_t length = 0;
  std::size_t body_length = 0;
  kmscore::key_id key_id;
  std::uint32_t key_version = 0;
  std::array<byte, envelope_tag_size> tag{};
  std::optional<bool> digest_ok;  // only for version 2
};

template <crypto_backend Backend>
[[nodiscard]] result<envelope_info> inspect_envelope(Backend& backend, byte_span blob) {
  auto view = parse_envelope(blob);
  if (!view) view = parse_data_envelope(blob);  // an encrypt-data blob (20, 21)
  if (!view) return view.error();
  envelope_info info;
  info.version = static_cast<std::uint16_t>(view->version());
  info.length = view->length();
  info.body_length = view->body().size();
  info.key_id = view->key_id();
  info.key_version = view->key_version();
  const auto tag = view->tag();
  std::copy(tag.begin(), tag.end(), info.tag.begin());
  if (view->version() == envelope_version::service_v2) {
    std::array<byte, digest_size> digest{};
    const std::array<byte_span, 1> pieces{view->authenticated()};
    KMSCORE_TRY(backend.digest(hash_id::sha256, pieces, digest));
    info.digest_ok = constant_time_equal(digest, tag);
  }
  return info;
}

}  // namespace kmscore
