// kmscore/hex.hpp: hexadecimal encoding (uppercase, as the API prints) and strict decoding.
//
//   std::string text = kmscore::hex_encode(dek.expose());     // "8151...C08D"
//   kmscore::secret_bytes back{text.size() / 2};
//   bool ok = kmscore::hex_decode(text, back.expose());       // either case accepted
//   auto shown = kmscore::secret_hex::encode(dek.expose());   // hex of a secret, wiped
//
// Security: both directions are branch-free and table-free in the data (arithmetic on
// nibbles, the technique of libsodium's sodium_bin2hex; done 16 bytes at a time in vector
// registers), so hex of secrets leaks nothing through timing or
// cache. Only lengths are public. A failed decode zeroes its output.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
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

// The same arithmetic on 16 bytes at a time, in the compilers' portable vector types (GCC and
// Clang; SSE2 on x86-64, NEON on ARM): compares give all-ones masks, so no lane branches.
using byte_vector = unsigned char __attribute__((vector_size(16)));
inline constexpr std::size_t vector_bytes = 16;

[[nodiscard]] inline byte_vector load_vector(const void* from) noexcept {
  byte_vector v;
  std::memcpy(&v, from, sizeof v);
  return v;
}
inline void store_vector(void* to, const byte_vector& v) noexcept { std::memcpy(to, &v, sizeof v); }
// A comparison's lanes (-1 or 0, in the compiler's signed mask type) as 0xFF / 0x00 bytes.
template <class LaneMask>
[[nodiscard]] inline byte_vector mask_of(LaneMask lanes) noexcept {
  return __builtin_convertvector(lanes, byte_vector);
}

// Nibbles 0..15 to '0'..'9', 'A'..'F': n + '0', plus 7 where n > 9. Returns how many input
// bytes it encoded (a multiple of 16); the caller does the rest.
inline std::size_t hex_encode_blocks(byte_span in, std::span<char> out) noexcept {
  const auto digits = [](byte_vector nibbles) {
    return nibbles + static_cast<unsigned char>('0') +
           (mask_of(nibbles > 9) & static_cast<unsigned char>('A' - '0' - 10));
  };
  std::size_t done = 0;
  for (; done + vector_bytes <= in.size(); done += vector_bytes) {
    const byte_vector bytes = load_vector(in.data() + done);
    const byte_vector high = digits(bytes >> 4);
    const byte_vector low = digits(bytes & 0x0F);
    store_vector(out.data() + 2 * done, __builtin_shufflevector(high, low, 0, 16, 1, 17, 2, 18, 3,
                                                                19, 4, 20, 5, 21, 6, 22, 7, 23));
    store_vector(out.data() + 2 * done + vector_bytes,
                 __builtin_shufflevector(high, low, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29,
                                         14, 30, 15, 31));
  }
  return done;
}

// 32 characters into 16 bytes at a time, with the scalar decoder's arithmetic: a character is
// a digit when c - '0' is 0..9 and a letter when (c | 0x20) - 'a' is 0..5 (unsigned
// wrap-around maps each range one to one). Returns the bytes written; `valid` keeps all ones
// only while every character seen was a hex digit.
inline std::size_t hex_decode_blocks(std::string_view hex, mutable_byte_span out,
                                     unsigned& valid) noexcept {
  byte_vector ok = ~byte_vector{};
  const auto nibbles = [&ok](byte_vector chars) {
    const byte_vector digit = chars - static_cast<unsigned char>('0');
    const byte_vector letter = (chars | 0x20) - static_cast<unsigned char>('a');
    const byte_vector is_digit = mask_of(digit < 10);
    const byte_vector is_letter = mask_of(letter < 6);
    ok &= is_digit | is_letter;
    return (digit & is_digit) | ((letter + 10) & is_letter);
  };
  // The even characters are the high nibbles, the odd ones the low: split by shuffles (no
  // assumption about the byte order of wider lanes), then joined byte by byte.
  std::size_t done = 0;
  for (; done + vector_bytes <= out.size(); done += vector_bytes) {
    const byte_vector first = nibbles(load_vector(hex.data() + 2 * done));
    const byte_vector second = nibbles(load_vector(hex.data() + 2 * done + vector_bytes));
    const byte_vector high = __builtin_shufflevector(first, second, 0, 2, 4, 6, 8, 10, 12, 14, 16,
                                                     18, 20, 22, 24, 26, 28, 30);
    const byte_vector low = __builtin_shufflevector(first, second, 1, 3, 5, 7, 9, 11, 13, 15, 17,
                                                    19, 21, 23, 25, 27, 29, 31);
    store_vector(out.data() + done, (high << 4) | low);
  }
  std::array<std::uint64_t, 2> halves{};
  std::memcpy(halves.data(), &ok, sizeof ok);
  valid &= 0U - static_cast<unsigned>((halves[0] & halves[1]) == ~std::uint64_t{0});
  return done;
}
}  // namespace detail

// Writes 2 * in.size() uppercase hex characters to out. Returns false, writing nothing,
// unless out is exactly that long.
[[nodiscard]] constexpr bool hex_encode(byte_span in, std::span<char> out) noexcept {
  if (out.size() != hex_encoded_size(in.size())) return false;
  std::size_t i = 0;
  if (!std::is_constant_evaluated()) i = detail::hex_encode_blocks(in, out);
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

// Lower-case hex (MACs, domain IDs): the same digits as hex_encode, A-F lowered.
[[nodiscard]] inline std::string hex_encode_lower(byte_span in) {
  std::string text = hex_encode(in);
  for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + ('a' - 'A') : c);
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

namespace detail {
// Two uppercase hex texts in one zeroizing buffer: one allocation and one wipe for a
// response that carries a secret's hex and a public value's (a data key and its envelope
// or digest).
class hex_pair {
 public:
  [[nodiscard]] static hex_pair encode(byte_span first, byte_span second) {
    const std::size_t split = hex_encoded_size(first.size());
    hex_pair made{secret_bytes{split + hex_encoded_size(second.size())}, split};
    const auto out = as_writable_chars(made.chars_.expose());
    (void)hex_encode(first, out.first(split));  // sized above
    (void)hex_encode(second, out.subspan(split));
    return made;
  }
  [[nodiscard]] std::string_view first() const noexcept { return all().substr(0, split_); }
  [[nodiscard]] std::string_view second() const noexcept { return all().substr(split_); }

 private:
  hex_pair(secret_bytes chars, std::size_t split) noexcept
      : chars_{std::move(chars)}, split_{split} {}
  [[nodiscard]] std::string_view all() const noexcept { return as_chars(chars_.expose()); }
  secret_bytes chars_;
  std::size_t split_;
};
}  // namespace detail

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
  if (!std::is_constant_evaluated()) i = detail::hex_decode_blocks(hex, out, all_valid);
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
