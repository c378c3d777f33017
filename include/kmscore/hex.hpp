// kmscore/hex.hpp: hexadecimal encoding (uppercase, as the API prints) and strict decoding.
//
//   std::string text = kmscore::hex_encode(dek.expose());     // "8151...C08D"
//   kmscore::secret_bytes back{text.size() / 2};
//   bool ok = kmscore::hex_decode(text, back.expose());       // either case accepted
//   auto shown = kmscore::secret_hex::encode(dek.expose());   // hex of a secret, wiped
//
// Security: both directions are branch-free and table-free in the data (arithmetic on
// nibbles, the technique of libsodium's sodium_bin2hex), so hex of secrets leaks nothing
// through timing or cache. Only lengths are public. A failed decode zeroes its output.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "bytes.hpp"
#include "detail/wipe.hpp"
#include "secret.hpp"

namespace kmscore {

[[nodiscard]] constexpr std::size_t hex_encoded_size(std::size_t byte_count) noexcept {
  return byte_count * 2;
}

namespace detail {
// Nibble 0..15 to '0'..'9','A'..'F' without branches: when n > 9, (9 - n) >> 8 is all ones
// (C++20 defines >> of a negative int as arithmetic) and adds 'A' - '0' - 10 = 7.
[[nodiscard]] constexpr char hex_digit_upper(unsigned nibble) noexcept {
  const int n = static_cast<int>(nibble);
  return static_cast<char>(48 + n + (((9 - n) >> 8) & 7));
}

// '0'..'9', 'a'..'f', 'A'..'F' to 0..15 without branches; `valid` is all ones for a hex
// digit and zero otherwise.
struct hex_nibble {
  unsigned value;
  unsigned valid;
};
[[nodiscard]] constexpr hex_nibble decode_hex_digit(char c) noexcept {
  const int ch = static_cast<unsigned char>(c);
  const int digit = ch ^ 48;                                       // '0'..'9' -> 0..9
  const int digit_mask = ((digit - 10) >> 8);                      // all ones when digit < 10
  const int letter = (ch | 0x20) - 87;                             // 'a'..'f' / 'A'..'F' -> 10..15
  const int letter_mask = (((letter - 10) ^ (letter - 16)) >> 8);  // ones when 10..15
  const int value = (digit & digit_mask) | (letter & letter_mask);
  return {static_cast<unsigned>(value) & 0xFU, static_cast<unsigned>(digit_mask | letter_mask)};
}
}  // namespace detail

// Writes 2 * in.size() uppercase hex characters to out. Returns false, writing nothing,
// unless out is exactly that long.
[[nodiscard]] constexpr bool hex_encode(byte_span in, std::span<char> out) noexcept {
  if (out.size() != hex_encoded_size(in.size())) return false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    out[2 * i] = detail::hex_digit_upper(static_cast<unsigned>(in[i] >> 4U));
    out[2 * i + 1] = detail::hex_digit_upper(static_cast<unsigned>(in[i] & 0xFU));
  }
  return true;
}

[[nodiscard]] inline std::string hex_encode(byte_span in) {
  std::string text(hex_encoded_size(in.size()), '\0');
  (void)hex_encode(in, std::span<char>{text});  // sized above
  return text;
}

// The hex text of a secret, in zeroizing storage.
class secret_hex {
 public:
  [[nodiscard]] static secret_hex encode(byte_span secret) {
    secret_hex text{secret_bytes{hex_encoded_size(secret.size())}};
    (void)hex_encode(secret, as_writable_chars(text.chars_.expose()));  // sized above
    return text;
  }
  [[nodiscard]] std::string_view expose_text() const noexcept { return as_chars(chars_.expose()); }

 private:
  explicit secret_hex(secret_bytes chars) noexcept : chars_{std::move(chars)} {}
  secret_bytes chars_;
};

// True when text is an even number of hex digits (either case). Branch-free in the
// characters, so it may scan secrets; nothing is written or allocated.
[[nodiscard]] constexpr bool hex_valid(std::string_view hex) noexcept {
  unsigned all_valid = hex.size() % 2 == 0 ? ~0U : 0U;
  for (const char c : hex) all_valid &= detail::decode_hex_digit(c).valid;
  if (!std::is_constant_evaluated()) all_valid = detail::declassify(all_valid);
  return (all_valid & 1U) != 0;
}

// Decodes hex of either case into out; hex must be exactly 2 * out.size() digits.
// Returns false (and zeroes out) on a wrong length or any non-hex character. The contents
// are processed without data-dependent branches.
[[nodiscard]] constexpr bool hex_decode(std::string_view hex, mutable_byte_span out) noexcept {
  if (hex.size() != hex_encoded_size(out.size())) {
    for (auto& b : out) b = 0;
    return false;
  }
  unsigned all_valid = ~0U;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto high = detail::decode_hex_digit(hex[2 * i]);
    const auto low = detail::decode_hex_digit(hex[2 * i + 1]);
    all_valid &= high.valid & low.valid;
    out[i] = static_cast<byte>((high.value << 4U) | low.value);
  }
  if (!std::is_constant_evaluated()) all_valid = detail::declassify(all_valid);
  if ((all_valid & 1U) == 0) {
    for (auto& b : out) b = 0;
    return false;
  }
  return true;
}

}  // namespace kmscore
