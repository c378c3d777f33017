// kmscore/base64.hpp: Base64 (RFC 4648 section 4, standard alphabet, '=' padding), strict.
//
//   std::string text = kmscore::base64_encode(bytes);
//   auto size = kmscore::base64_decoded_size(text);        // nullopt: not Base64
//   if (size && kmscore::base64_decode(text, out.first(*size))) ...
//
// The rule of api-asymmetric.md section 0.2 for every Base64 field: length a multiple of 4,
// padding only at the end (one or two '='), no whitespace, no URL-safe alphabet. Unused bits
// in the last character need not be zero (the service's own sign example has them set).
// The fields carry plaintexts and keys' outputs, so characters map to values by arithmetic,
// without tables or branches on their contents (as libsodium's sodium_bin2base64 does); only
// the length and the padding, which are public, decide branches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bytes.hpp"
#include "secret.hpp"

namespace kmscore {

[[nodiscard]] constexpr std::size_t base64_encoded_size(std::size_t byte_count) noexcept {
  return (byte_count + 2) / 3 * 4;
}

namespace detail {
// All-ones when a < b, else 0 (a, b < 2^16).
[[nodiscard]] constexpr std::uint32_t below(std::uint32_t a, std::uint32_t b) noexcept {
  return 0U - ((a - b) >> 31U);
}
[[nodiscard]] constexpr std::uint32_t in_range(std::uint32_t c, std::uint32_t low,
                                               std::uint32_t high) noexcept {
  return ~below(c, low) & below(c, high + 1);
}

// A 6-bit value to its character.
[[nodiscard]] constexpr char base64_char(std::uint32_t value) noexcept {
  const std::uint32_t c = (below(value, 26) & (value + 'A')) |
                          (in_range(value, 26, 51) & (value - 26 + 'a')) |
                          (in_range(value, 52, 61) & (value - 52 + '0')) |
                          (in_range(value, 62, 62) & std::uint32_t{'+'}) |
                          (in_range(value, 63, 63) & std::uint32_t{'/'});
  return static_cast<char>(c);
}

// A character to its 6-bit value; `invalid` collects all-ones for a character outside the
// alphabet.
[[nodiscard]] constexpr std::uint32_t base64_value(char ch, std::uint32_t& invalid) noexcept {
  const auto c = static_cast<std::uint32_t>(static_cast<unsigned char>(ch));
  const std::uint32_t upper = in_range(c, 'A', 'Z');
  const std::uint32_t lower = in_range(c, 'a', 'z');
  const std::uint32_t digit = in_range(c, '0', '9');
  const std::uint32_t plus = in_range(c, '+', '+');
  const std::uint32_t slash = in_range(c, '/', '/');
  invalid |= ~(upper | lower | digit | plus | slash);
  return ((upper & (c - 'A')) | (lower & (c - 'a' + 26)) | (digit & (c - '0' + 52)) | (plus & 62U) |
          (slash & 63U)) &
         0x3FU;
}
}  // namespace detail

// Writes base64_encoded_size(in.size()) characters to out; false (nothing written) if out is
// not exactly that size.
[[nodiscard]] constexpr bool base64_encode(byte_span in, std::span<char> out) noexcept {
  if (out.size() != base64_encoded_size(in.size())) return false;
  std::size_t at = 0;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t left = in.size() - i;
    const std::uint32_t group = (std::uint32_t{in[i]} << 16U) |
                                (left > 1 ? std::uint32_t{in[i + 1]} << 8U : 0U) |
                                (left > 2 ? std::uint32_t{in[i + 2]} : 0U);
    out[at++] = detail::base64_char((group >> 18U) & 0x3FU);
    out[at++] = detail::base64_char((group >> 12U) & 0x3FU);
    out[at++] = left > 1 ? detail::base64_char((group >> 6U) & 0x3FU) : '=';
    out[at++] = left > 2 ? detail::base64_char(group & 0x3FU) : '=';
  }
  return true;
}

[[nodiscard]] inline std::string base64_encode(byte_span in) {
  std::string text(base64_encoded_size(in.size()), '\0');
  (void)base64_encode(in, std::span<char>{text});
  return text;
}

// The number of bytes a well-framed Base64 text decodes to (length a multiple of 4, at most
// two '=' and only at the end); nullopt otherwise. The characters are checked by decoding.
[[nodiscard]] constexpr std::optional<std::size_t> base64_decoded_size(
    std::string_view text) noexcept {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  return text.size() / 4 * 3 - padding;
}

// Decodes text into out (exactly base64_decoded_size(text) bytes). False for any character
// outside the alphabet (including '=' before the padding), with out wiped.
[[nodiscard]] inline bool base64_decode(std::string_view text, mutable_byte_span out) noexcept {
  const auto size = base64_decoded_size(text);
  if (!size || out.size() != *size) return false;
  std::uint32_t invalid = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t padding = last ? text.size() / 4 * 3 - *size : 0;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const bool pad = j >= 4 - padding;
      const std::uint32_t value = pad ? 0U : detail::base64_value(text[i + j], invalid);
      group = (group << 6U) | value;
    }
    out[at++] = static_cast<byte>(group >> 16U);
    if (padding < 2) out[at++] = static_cast<byte>((group >> 8U) & 0xFFU);
    if (padding < 1) out[at++] = static_cast<byte>(group & 0xFFU);
  }
  if (detail::declassify(invalid != 0)) {
    detail::secure_wipe(out.data(), out.size());
    return false;
  }
  return true;
}

// Decodes a Base64 field into zeroizing memory; nullopt if it is not Base64.
[[nodiscard]] inline std::optional<secret_bytes> base64_decode_secret(std::string_view text) {
  const auto size = base64_decoded_size(text);
  if (!size) return std::nullopt;
  secret_bytes out{*size};
  if (!base64_decode(text, out.expose())) return std::nullopt;
  return out;
}

static_assert(base64_decoded_size("TWFu") == 3 && base64_decoded_size("TWE=") == 2 &&
              base64_decoded_size("TQ==") == 1 && !base64_decoded_size("TQ="));

}  // namespace kmscore
