// kmscore/bytes.hpp: byte spans, the currency of every API that takes or fills bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace kmscore {

using byte = std::uint8_t;
using byte_span = std::span<const byte>;
using mutable_byte_span = std::span<byte>;

// The bytes of a string, as a span, and back (no copy). The one place that reinterprets
// between char and byte.
[[nodiscard]] inline byte_span as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const byte*>(text.data()), text.size()};
}
[[nodiscard]] inline std::string_view as_chars(byte_span bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
[[nodiscard]] inline std::span<char> as_writable_chars(mutable_byte_span bytes) noexcept {
  return {reinterpret_cast<char*>(bytes.data()), bytes.size()};
}

}  // namespace kmscore
