// kmscore/context.hpp: the encryption context and its canonical serialization.
//
//   auto ctx = kmscore::encryption_context::make({{"Key1", "Value1"}, {"Key2", "Value2"}});
//   if (!ctx) return ctx.error();              // KMS.0208
//   kmscore::byte_span aad = ctx->canonical(); // bound into every envelope
//
// The canonical form (docs/envelope.md) is, with all integers little-endian u16:
//   count || for each pair, sorted by the key's UTF-8 bytes: len(key) || key || len(value) || value
// It is the same for the same pairs in any order, injective (lengths prefix every string),
// at most 8192 bytes, and built once when the context is made. Keys and values must be
// well-formed UTF-8; duplicate keys are rejected, never silently merged.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bytes.hpp"
#include "detail/text.hpp"
#include "result.hpp"

namespace kmscore {

inline constexpr std::size_t max_encryption_context_size = 8192;

class encryption_context {
 public:
  using pair = std::pair<std::string, std::string>;

  // The empty context (what an absent encryption_context means); nothing allocated.
  encryption_context() noexcept = default;

  [[nodiscard]] static result<encryption_context> make(std::vector<pair> pairs) {
    for (const auto& [key, value] : pairs) {
      if (!detail::utf8_code_points(key) || !detail::utf8_code_points(value)) {
        return errc::invalid_encryption_context;
      }
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const pair& a, const pair& b) { return a.first < b.first; });
    const auto duplicate =
        std::adjacent_find(pairs.begin(), pairs.end(),
                           [](const pair& a, const pair& b) { return a.first == b.first; });
    if (duplicate != pairs.end()) return errc::invalid_encryption_context;
    if (pairs.empty()) return encryption_context{};

    std::size_t size = 2;
    for (const auto& [key, value] : pairs) {
      size += 4 + key.size() + value.size();
      if (size > max_encryption_context_size) return errc::invalid_encryption_context;
    }
    encryption_context context;
    context.canonical_.clear();
    context.canonical_.reserve(size);
    context.append_u16(pairs.size());
    for (const auto& [key, value] : pairs) {
      context.append_string(key);
      context.append_string(value);
    }
    context.pairs_ = std::move(pairs);
    return context;
  }
  [[nodiscard]] static result<encryption_context> make(std::initializer_list<pair> pairs) {
    return make(std::vector<pair>(pairs));
  }

  // Reads a canonical form back; anything that is not exactly canonical (unsorted or
  // duplicate keys, bad lengths, trailing bytes, ill-formed UTF-8) is rejected.
  [[nodiscard]] static result<encryption_context> from_canonical(byte_span bytes) {
    std::size_t at = 0;
    auto read_u16 = [&](std::size_t& value) {
      if (bytes.size() - at < 2) return false;
      value = static_cast<std::size_t>(bytes[at] | (bytes[at + 1] << 8U));
      at += 2;
      return true;
    };
    auto read_string = [&](std::string& text) {
      std::size_t size = 0;
      if (!read_u16(size) || bytes.size() - at < size) return false;
      text.assign(as_chars(bytes.subspan(at, size)));
      at += size;
      return true;
    };
    std::size_t count = 0;
    if (bytes.size() > max_encryption_context_size || !read_u16(count)) {
      return errc::invalid_encryption_context;
    }
    std::vector<pair> pairs(count);
    for (auto& [key, value] : pairs) {
      if (!read_string(key) || !read_string(value)) return errc::invalid_encryption_context;
    }
    if (at != bytes.size()) return errc::invalid_encryption_context;
    auto context = make(std::move(pairs));
    const auto canonical = context ? context->canonical() : byte_span{};
    if (!context || !std::equal(canonical.begin(), canonical.end(), bytes.begin(), bytes.end())) {
      return errc::invalid_encryption_context;
    }
    return context;
  }

  // The pairs, sorted by key.
  [[nodiscard]] const std::vector<pair>& pairs() const noexcept { return pairs_; }
  [[nodiscard]] bool empty() const noexcept { return pairs_.empty(); }
  // The canonical form: the empty context's is its count alone, two zero bytes.
  [[nodiscard]] byte_span canonical() const noexcept {
    static constexpr std::array<byte, 2> empty_canonical{};
    return canonical_.empty() ? byte_span{empty_canonical} : byte_span{canonical_};
  }

  friend bool operator==(const encryption_context& a, const encryption_context& b) noexcept {
    const auto left = a.canonical();
    const auto right = b.canonical();
    return std::equal(left.begin(), left.end(), right.begin(), right.end());
  }

 private:
  // Sizes fit: the 8192-byte limit is checked before serializing.
  void append_u16(std::size_t value) {
    canonical_.push_back(static_cast<byte>(value & 0xFFU));
    canonical_.push_back(static_cast<byte>((value >> 8U) & 0xFFU));
  }
  void append_string(std::string_view text) {
    append_u16(text.size());
    const auto bytes = as_bytes(text);
    canonical_.insert(canonical_.end(), bytes.begin(), bytes.end());
  }

  std::vector<pair> pairs_;
  std::vector<byte> canonical_;
};

}  // namespace kmscore
