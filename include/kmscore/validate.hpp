// kmscore/validate.hpp: the field rules of the API contract, one function per field.
//
//   static_assert(kmscore::check_key_alias("alias/prod_1").has_value());
//   static_assert(!kmscore::check_key_alias("a/default").has_value());   // KMS.1101
//   auto bits = kmscore::parse_datakey_length("512", datakey_length_policy::range);
//
// Each check returns exactly the error code api.md documents for its field. The checks are
// hand-written, linear in their input, allocate nothing and run in constant expressions.
// They treat their input as public (aliases, ids): none of them handles secrets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "detail/text.hpp"
#include "key_id.hpp"
#include "key_spec.hpp"
#include "result.hpp"
#include "uuid.hpp"

namespace kmscore {

inline constexpr std::size_t max_key_alias_size = 255;
inline constexpr std::size_t max_key_description_code_points = 255;
inline constexpr std::size_t sequence_size = 36;
inline constexpr std::size_t min_datakey_bits = 8;
inline constexpr std::size_t max_datakey_bits = 8192;
inline constexpr std::size_t strict_datakey_bits = 512;
inline constexpr std::size_t min_datakey_bytes = 1;
inline constexpr std::size_t max_datakey_bytes = 1024;
inline constexpr std::uint32_t min_pending_days = 7;
inline constexpr std::uint32_t max_pending_days = 1096;

// The size of a data key: always 1..1024 bytes, so every buffer sized by it is bounded.
class datakey_size {
 public:
  [[nodiscard]] static constexpr std::optional<datakey_size> from_bytes(
      std::size_t bytes) noexcept {
    if (bytes < min_datakey_bytes || bytes > max_datakey_bytes) return std::nullopt;
    return datakey_size{bytes};
  }
  // The size create-datakey's key_spec names (AES_128: 16 bytes, AES_256: 32).
  [[nodiscard]] static constexpr datakey_size of(datakey_spec spec) noexcept {
    return datakey_size{datakey_bits(spec) / 8};
  }
  [[nodiscard]] constexpr std::size_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] constexpr std::size_t bits() const noexcept { return bytes_ * 8; }
  friend constexpr bool operator==(datakey_size, datakey_size) noexcept = default;

 private:
  constexpr explicit datakey_size(std::size_t bytes) noexcept : bytes_{bytes} {}
  std::size_t bytes_;
};

// The datakey_length rule: any multiple of 8 in 8..8192 bits (range), or only 512 (the
// seed's "the value is 512": strict512).
enum class datakey_length_policy : std::uint8_t { range, strict512 };

// key_alias: ^[a-zA-Z0-9:/_-]{1,255}$, not ending in "/default" (service default keys).
[[nodiscard]] constexpr result<void> check_key_alias(std::string_view alias) noexcept {
  if (alias.empty() || alias.size() > max_key_alias_size) return errc::invalid_key_alias;
  for (const char c : alias) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == ':' || c == '/' || c == '_' || c == '-';
    if (!allowed) return errc::invalid_key_alias;
  }
  if (alias.ends_with("/default")) return errc::invalid_key_alias;
  return {};
}

// key_description: well-formed UTF-8 of 0..255 code points.
[[nodiscard]] constexpr result<void> check_key_description(std::string_view text) noexcept {
  const auto code_points = detail::utf8_code_points(text);
  if (!code_points || *code_points > max_key_description_code_points) {
    return errc::invalid_key_description;
  }
  return {};
}

// sequence: exactly 36 bytes of printable ASCII (0x21..0x7E).
[[nodiscard]] constexpr result<void> check_sequence(std::string_view sequence) noexcept {
  if (sequence.size() != sequence_size) return errc::invalid_sequence;
  for (const char c : sequence) {
    if (c < 0x21 || c > 0x7E) return errc::invalid_sequence;
  }
  return {};
}

// enterprise_project_id: "0" (the default project) or a lowercase 8-4-4-4-12 hex UUID.
[[nodiscard]] constexpr result<void> check_enterprise_project_id(std::string_view id) noexcept {
  if (id == "0" || uuid::is_canonical(id)) return {};
  return error{errc::invalid_parameter, "enterprise_project_id"};
}

[[nodiscard]] constexpr result<key_spec> check_key_spec(std::string_view text) noexcept {
  if (auto spec = parse_key_spec(text)) return *spec;
  return error{errc::invalid_parameter, "key_spec"};
}

// key_usage must be a known usage that the spec allows.
[[nodiscard]] constexpr result<key_usage> check_key_usage(std::string_view text,
                                                          key_spec spec) noexcept {
  const auto usage = parse_key_usage(text);
  if (!usage || !spec_policy(spec).allows(*usage))
    return error{errc::invalid_parameter, "key_usage"};
  return *usage;
}

// origin must be known, and `external` is only for specs that allow it (AES_256).
[[nodiscard]] constexpr result<key_origin> check_origin(std::string_view text,
                                                        key_spec spec) noexcept {
  const auto origin = parse_key_origin(text);
  if (!origin || !spec_policy(spec).allows(*origin))
    return error{errc::invalid_parameter, "origin"};
  return *origin;
}

// datakey_length (bits, decimal digits only) under the given policy.
[[nodiscard]] constexpr result<datakey_size> parse_datakey_length(
    std::string_view text, datakey_length_policy policy) noexcept {
  const auto bits = detail::parse_decimal(text, max_datakey_bits);
  if (!bits) return errc::datakey_length_out_of_range;  // not a number
  if (policy == datakey_length_policy::strict512) {
    if (*bits != strict_datakey_bits) return errc::datakey_length_not_512;
  } else if (*bits < min_datakey_bits || *bits > max_datakey_bits) {
    return errc::datakey_length_out_of_range;
  } else if (*bits % 8 != 0) {
    return errc::datakey_length_not_multiple;
  }
  if (const auto size = datakey_size::from_bytes(*bits / 8)) return *size;
  return errc::datakey_length_out_of_range;  // not reached: 8..8192 bits is 1..1024 bytes
}

// create-datakey's key_spec: AES_128 or AES_256.
[[nodiscard]] constexpr result<datakey_spec> check_datakey_spec(std::string_view text) noexcept {
  if (auto spec = parse_datakey_spec(text)) return *spec;
  return errc::invalid_datakey_spec;
}

// datakey_plain_length / datakey_cipher_length: DEK bytes, 1..1024, decimal digits only.
[[nodiscard]] constexpr result<datakey_size> parse_datakey_bytes(std::string_view text,
                                                                 errc failure) noexcept {
  const auto bytes = detail::parse_decimal(text, max_datakey_bytes);
  if (!bytes) return failure;
  if (const auto size = datakey_size::from_bytes(*bytes)) return *size;
  return failure;
}

// pending_days of schedule-key-deletion: 7..1096.
[[nodiscard]] constexpr result<std::uint32_t> parse_pending_days(std::string_view text) noexcept {
  const auto days = detail::parse_decimal(text, max_pending_days);
  if (!days || *days < min_pending_days || *days > max_pending_days) {
    return errc::invalid_pending_days;
  }
  return *days;
}

// Compile-time proof that the rules hold where the contract draws its lines.
static_assert(check_key_alias("test").has_value());
static_assert(check_key_alias("a:b/c_d-E9").has_value());
static_assert(check_key_alias("a/defaultx").has_value());
static_assert(check_key_alias("default").has_value());
static_assert(!check_key_alias("").has_value());
static_assert(!check_key_alias("a/default").has_value());
static_assert(!check_key_alias("/default").has_value());
static_assert(!check_key_alias("has space").has_value());
static_assert(!check_key_alias("dot.ted").has_value());
static_assert(datakey_size::from_bytes(max_datakey_bytes).has_value());
static_assert(!datakey_size::from_bytes(max_datakey_bytes + 1).has_value());
static_assert(!datakey_size::from_bytes(0).has_value());
static_assert(parse_datakey_length("512", datakey_length_policy::strict512).has_value());
static_assert(!parse_datakey_length("256", datakey_length_policy::strict512).has_value());

}  // namespace kmscore
