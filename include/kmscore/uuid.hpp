// kmscore/uuid.hpp: UUIDs in the canonical lowercase 8-4-4-4-12 form the API uses.
//
//   auto id = kmscore::uuid::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37f");  // result<uuid>
//   auto fresh = kmscore::uuid::version4(random_16_bytes);  // RNG comes from the caller
//   std::string text = fresh.to_string();
//
// Parsing is strict: exactly 36 characters, lowercase hex digits, dashes at 8, 13, 18, 23.
// (The API's key_id *format* rule is looser; see validate.hpp.)
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "bytes.hpp"
#include "result.hpp"

namespace kmscore {

class uuid {
 public:
  static constexpr std::size_t text_size = 36;
  static constexpr std::size_t byte_size = 16;

  constexpr uuid() noexcept = default;
  constexpr explicit uuid(const std::array<byte, byte_size>& bytes) noexcept : bytes_{bytes} {}

  [[nodiscard]] static constexpr bool is_dash_position(std::size_t i) noexcept {
    return i == 8 || i == 13 || i == 18 || i == 23;
  }

  // True when text is a canonical lowercase UUID (any version).
  [[nodiscard]] static constexpr bool is_canonical(std::string_view text) noexcept {
    if (text.size() != text_size) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (is_dash_position(i)) {
        if (c != '-') return false;
      } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  [[nodiscard]] static constexpr result<uuid> parse(std::string_view text) noexcept {
    if (!is_canonical(text)) return error{errc::invalid_parameter, "uuid"};
    std::array<byte, byte_size> bytes{};
    std::size_t out = 0;
    for (std::size_t i = 0; i < text.size(); i += 2) {
      if (is_dash_position(i)) ++i;
      bytes[out++] = static_cast<byte>((nibble(text[i]) << 4U) | nibble(text[i + 1]));
    }
    return uuid{bytes};
  }

  // A random (version 4, RFC 9562 variant) UUID from 16 bytes of the caller's RNG.
  [[nodiscard]] static constexpr uuid version4(std::span<const byte, byte_size> random) noexcept {
    std::array<byte, byte_size> bytes{};
    for (std::size_t i = 0; i < byte_size; ++i) bytes[i] = random[i];
    bytes[6] = static_cast<byte>((bytes[6] & 0x0FU) | 0x40U);
    bytes[8] = static_cast<byte>((bytes[8] & 0x3FU) | 0x80U);
    return uuid{bytes};
  }

  [[nodiscard]] constexpr unsigned version() const noexcept { return bytes_[6] >> 4U; }
  [[nodiscard]] constexpr const std::array<byte, byte_size>& bytes() const noexcept {
    return bytes_;
  }

  // Writes the 36 lowercase characters to out.
  constexpr void format(std::span<char, text_size> out) const noexcept {
    constexpr std::string_view digits = "0123456789abcdef";  // UUIDs are not secret
    std::size_t in = 0;
    for (std::size_t i = 0; i < text_size; i += 2) {
      if (is_dash_position(i)) out[i++] = '-';
      out[i] = digits[bytes_[in] >> 4U];
      out[i + 1] = digits[bytes_[in] & 0xFU];
      ++in;
    }
  }
  [[nodiscard]] std::string to_string() const {
    std::string text(text_size, '\0');
    format(std::span<char, text_size>{text.data(), text_size});
    return text;
  }

  friend constexpr bool operator==(const uuid&, const uuid&) noexcept = default;

 private:
  [[nodiscard]] static constexpr unsigned nibble(char c) noexcept {
    return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10);
  }

  std::array<byte, byte_size> bytes_{};
};

}  // namespace kmscore
