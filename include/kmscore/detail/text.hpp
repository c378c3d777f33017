// kmscore/detail/text.hpp: strict UTF-8 and decimal scanning shared by the validators.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kmscore::detail {

// The length of the well-formed UTF-8 sequence starting at text[at] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF, not truncated); 0 if there is none.
[[nodiscard]] constexpr std::size_t utf8_sequence_at(std::string_view text,
                                                     std::size_t at) noexcept {
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length = 0;
  unsigned char low = 0x80;  // bounds of the second byte (Unicode Table 3-7)
  unsigned char high = 0xBF;
  if (lead < 0x80) {
    length = 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 (overlong), F5..FF
  }
  if (text.size() - at < length) return 0;  // truncated
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[at + k]);
    const unsigned char lo = k == 1 ? low : 0x80;
    const unsigned char hi = k == 1 ? high : 0xBF;
    if (next < lo || next > hi) return 0;
  }
  return length;
}

// Counts the code points of well-formed UTF-8; nullopt if ill-formed anywhere.
[[nodiscard]] constexpr std::optional<std::size_t> utf8_code_points(
    std::string_view text) noexcept {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    const std::size_t length = utf8_sequence_at(text, i);
    if (length == 0) return std::nullopt;
    i += length;
  }
  return count;
}

// Parses a non-empty string of ASCII decimal digits. Values above `cap` come back as
// cap + 1 (so no overflow, however many digits); anything else is nullopt.
[[nodiscard]] constexpr std::optional<std::uint32_t> parse_decimal(std::string_view text,
                                                                   std::uint32_t cap) noexcept {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;  // at most (cap + 1) * 10 + 9 before it stops growing: no overflow
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value <= cap) value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value > cap ? cap + 1 : static_cast<std::uint32_t>(value);
}

// A count as requests and records write it: decimal digits without a leading zero ("0"
// itself aside), from least to most; nullopt otherwise.
[[nodiscard]] constexpr std::optional<std::uint32_t> parse_count(std::string_view text,
                                                                 std::uint32_t least,
                                                                 std::uint32_t most) noexcept {
  const auto value = parse_decimal(text, most);
  if (!value || *value < least || *value > most || (text.size() > 1 && text.front() == '0')) {
    return std::nullopt;
  }
  return value;
}

}  // namespace kmscore::detail
