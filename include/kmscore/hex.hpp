// kmscore/hex.hpp: hexadecimal encoding (uppercase, as the API prints) and strict decoding.
//
//   std::string text = kmscore::hex_encode(dek.expose());     // "8151...C08D"
//   kmscore::secret_bytes back{text.size() / 2};
//   bool ok = kmscore::hex_decode(text, back.expose());       // either case accepted
//   auto shown = kmscore::secret_hex::encode(dek.expose());   // hex of a secret, wiped
//
// Security: both directions are branch-free and table-free in the data (arithmetic on
// nibbles, the technique of libsodium's sodium_bin2hex; done 16 bytes at a time with SSE2 on
// x86-64), so hex of secrets leaks nothing through timing or
// cache. Only lengths are public. A failed decode zeroes its output.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstddef>
#include <cstring>
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

#if defined(__SSE2__)
// The same arithmetic on 16 bytes at a time (SSE2, in every x86-64 CPU): a nibble n becomes
// n + '0', plus 7 where n > 9 by a compare mask; no table, no branch on the data. Returns how
// many input bytes it encoded (a multiple of 16); the caller does the rest.
inline std::size_t hex_encode_blocks(byte_span in, std::span<char> out) noexcept {
  const __m128i low_nibble = _mm_set1_epi8(0x0F);
  const __m128i nine = _mm_set1_epi8(9);
  const __m128i zero_char = _mm_set1_epi8('0');
  const __m128i letter_gap = _mm_set1_epi8('A' - '0' - 10);
  const auto digits = [&](__m128i nibbles) {
    const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(nibbles, nine), letter_gap);
    return _mm_add_epi8(_mm_add_epi8(nibbles, zero_char), letters);
  };
  std::size_t done = 0;
  for (; done + 16 <= in.size(); done += 16) {
    __m128i bytes;
    std::memcpy(&bytes, in.data() + done, sizeof bytes);
    const __m128i high = digits(_mm_and_si128(_mm_srli_epi16(bytes, 4), low_nibble));
    const __m128i low = digits(_mm_and_si128(bytes, low_nibble));
    const __m128i first = _mm_unpacklo_epi8(high, low);
    const __m128i second = _mm_unpackhi_epi8(high, low);
    std::memcpy(out.data() + 2 * done, &first, sizeof first);
    std::memcpy(out.data() + 2 * done + 16, &second, sizeof second);
  }
  return done;
}

// Decoding 32 characters into 16 bytes at a time, with the scalar decoder's arithmetic: a
// character is a digit when c - '0' is 0..9 and a letter when (c | 0x20) - 'a' is 0..5
// (8-bit wrap-around maps each range one to one). Returns the bytes written; `valid` keeps
// all ones only while every character seen was a hex digit.
inline std::size_t hex_decode_blocks(std::string_view hex, mutable_byte_span out,
                                     unsigned& valid) noexcept {
  const __m128i below_zero = _mm_set1_epi8(-1);
  const auto in_range = [&](__m128i x, int limit) {
    return _mm_and_si128(_mm_cmpgt_epi8(x, below_zero),
                         _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(limit))));
  };
  const auto nibbles = [&](__m128i chars, __m128i& ok) {
    const __m128i digit = _mm_sub_epi8(chars, _mm_set1_epi8('0'));
    const __m128i letter =
        _mm_sub_epi8(_mm_or_si128(chars, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    const __m128i is_digit = in_range(digit, 10);
    const __m128i is_letter = in_range(letter, 6);
    ok = _mm_and_si128(ok, _mm_or_si128(is_digit, is_letter));
    return _mm_or_si128(_mm_and_si128(is_digit, digit),
                        _mm_and_si128(is_letter, _mm_add_epi8(letter, _mm_set1_epi8(10))));
  };
  // Each 16-bit lane holds one pair: the first character in its low byte.
  const auto pairs = [](__m128i values) {
    const __m128i high = _mm_and_si128(_mm_slli_epi16(values, 4), _mm_set1_epi16(0x00F0));
    return _mm_or_si128(high, _mm_srli_epi16(values, 8));
  };
  __m128i ok = below_zero;
  std::size_t done = 0;
  for (; done + 16 <= out.size(); done += 16) {
    __m128i first;
    __m128i second;
    std::memcpy(&first, hex.data() + 2 * done, sizeof first);
    std::memcpy(&second, hex.data() + 2 * done + 16, sizeof second);
    const __m128i bytes = _mm_packus_epi16(pairs(nibbles(first, ok)), pairs(nibbles(second, ok)));
    std::memcpy(out.data() + done, &bytes, sizeof bytes);
  }
  const auto all_ok = static_cast<unsigned>(_mm_movemask_epi8(ok));  // 0xFFFF when every lane
  valid &= 0U - static_cast<unsigned>(all_ok == 0xFFFFU);
  return done;
}
#endif
}  // namespace detail

// Writes 2 * in.size() uppercase hex characters to out. Returns false, writing nothing,
// unless out is exactly that long.
[[nodiscard]] constexpr bool hex_encode(byte_span in, std::span<char> out) noexcept {
  if (out.size() != hex_encoded_size(in.size())) return false;
  std::size_t i = 0;
#if defined(__SSE2__)
  if (!std::is_constant_evaluated()) i = detail::hex_encode_blocks(in, out);
#endif
  for (; i < in.size(); ++i) {
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
  std::size_t i = 0;
#if defined(__SSE2__)
  if (!std::is_constant_evaluated()) i = detail::hex_decode_blocks(hex, out, all_valid);
#endif
  for (; i < out.size(); ++i) {
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
