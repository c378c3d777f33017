// kmscore/secret.hpp: zeroizing, move-only containers for key material.
//
//   kmscore::secret_bytes dek{64};          // 64 zero bytes on the heap
//   fill(dek.expose());                     // the one greppable accessor
//   if (constant_time_equal(a.expose(), b.expose())) ...
//
//   kmscore::secret_string hex = "8151...";  // a std::basic_string that wipes what it frees
//
// Security: the bytes are wiped when the container is destroyed, moved from or resized, on
// every path. Containers cannot be copied (use `clone()` explicitly) and have no stream or
// format support, so they cannot be printed by accident. Equality is constant time in the
// contents (lengths are public). Thread safety: like a std::vector.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "bytes.hpp"
#include "detail/wipe.hpp"

namespace kmscore {

// Compares two byte strings in time independent of their contents.
[[nodiscard]] inline bool constant_time_equal(byte_span a, byte_span b) noexcept {
  if (a.size() != b.size()) return false;
  byte difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference = static_cast<byte>(difference | (a[i] ^ b[i]));
  }
  return detail::declassify(detail::value_barrier(difference) == 0);
}

// Where secret_bytes keep their bytes: the heap (new[]) unless the host installs memory of
// its own with set_secret_memory, such as pages kept out of core dumps and swap
// (host/secrets/secret_arena.hpp). Each buffer remembers the memory it came from and goes
// back there, so buffers made before a change are released where they were made.
struct secret_memory {
  byte* (*allocate)(std::size_t size);  // `size` zeroed bytes (size > 0), or throws bad_alloc
  void (*release)(byte* block, std::size_t size) noexcept;  // a block already wiped
};

namespace detail {
inline byte* heap_secret_allocate(std::size_t size) { return new byte[size](); }
// NOLINTNEXTLINE(readability-non-const-parameter): the type secret_memory::release has
inline void heap_secret_release(byte* block, std::size_t /*size*/) noexcept { delete[] block; }
inline constexpr secret_memory heap_secret_memory{heap_secret_allocate, heap_secret_release};
inline std::atomic<const secret_memory*> installed_secret_memory{&heap_secret_memory};
}  // namespace detail

// Makes `memory` (which must outlive every buffer made from it) where new secret_bytes live.
inline void set_secret_memory(const secret_memory& memory) noexcept {
  detail::installed_secret_memory.store(&memory, std::memory_order_release);
}

// A heap buffer of secret bytes, of a size fixed at construction.
class secret_bytes {
 public:
  secret_bytes() noexcept = default;
  explicit secret_bytes(std::size_t size)
      : memory_{detail::installed_secret_memory.load(std::memory_order_acquire)},
        data_{size == 0 ? nullptr : memory_->allocate(size)},
        size_{size} {}
  explicit secret_bytes(byte_span contents) : secret_bytes(contents.size()) {
    for (std::size_t i = 0; i < size_; ++i) data_[i] = contents[i];
  }
  secret_bytes(const secret_bytes&) = delete;
  secret_bytes& operator=(const secret_bytes&) = delete;
  secret_bytes(secret_bytes&& other) noexcept
      : memory_{other.memory_},
        data_{std::exchange(other.data_, nullptr)},
        size_{std::exchange(other.size_, 0)} {}
  secret_bytes& operator=(secret_bytes&& other) noexcept {
    if (this != &other) {
      release();
      memory_ = other.memory_;
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~secret_bytes() { release(); }

  // An explicit copy, for the rare caller that needs two owners.
  [[nodiscard]] secret_bytes clone() const { return secret_bytes{expose()}; }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  // The only way to the bytes: easy to find in review.
  [[nodiscard]] mutable_byte_span expose() noexcept { return {data_, size_}; }
  [[nodiscard]] byte_span expose() const noexcept { return {data_, size_}; }

  // Zeroes the contents, keeping the size (used on failure paths).
  void wipe() noexcept { detail::secure_wipe(data_, size_); }

  friend bool operator==(const secret_bytes& a, const secret_bytes& b) noexcept {
    return constant_time_equal(a.expose(), b.expose());
  }

 private:
  void release() noexcept {
    if (data_ != nullptr) {
      detail::secure_wipe(data_, size_);
      memory_->release(data_, size_);
    }
    data_ = nullptr;
    size_ = 0;
  }

  const secret_memory* memory_ = &detail::heap_secret_memory;
  byte* data_ = nullptr;
  std::size_t size_ = 0;
};

// A fixed-size secret held inline (derived keys, salts of the hot path: no allocation).
template <std::size_t N>
class secret_array {
 public:
  static constexpr std::size_t size_bytes = N;

  secret_array() noexcept = default;
  explicit secret_array(std::span<const byte, N> contents) noexcept {
    for (std::size_t i = 0; i < N; ++i) data_[i] = contents[i];
  }
  secret_array(const secret_array&) = delete;
  secret_array& operator=(const secret_array&) = delete;
  secret_array(secret_array&& other) noexcept : data_{other.data_} { other.wipe(); }
  secret_array& operator=(secret_array&& other) noexcept {
    if (this != &other) {
      data_ = other.data_;
      other.wipe();
    }
    return *this;
  }
  ~secret_array() { wipe(); }

  [[nodiscard]] static constexpr std::size_t size() noexcept { return N; }
  [[nodiscard]] std::span<byte, N> expose() noexcept { return std::span<byte, N>{data_}; }
  [[nodiscard]] std::span<const byte, N> expose() const noexcept {
    return std::span<const byte, N>{data_};
  }
  void wipe() noexcept { detail::secure_wipe(data_.data(), N); }

  friend bool operator==(const secret_array& a, const secret_array& b) noexcept {
    return constant_time_equal(a.expose(), b.expose());
  }

 private:
  std::array<byte, N> data_{};
};

// An allocator that wipes every block before giving it back: for standard containers and
// third-party types that hold secrets (the JSON layer's parse tree, request strings).
template <class T>
struct wiping_allocator {
  using value_type = T;

  wiping_allocator() noexcept = default;
  template <class U>
  wiping_allocator(const wiping_allocator<U>& /*other*/) noexcept {}

  [[nodiscard]] T* allocate(std::size_t count) { return std::allocator<T>{}.allocate(count); }
  void deallocate(T* block, std::size_t count) noexcept {
    detail::secure_wipe(block, count * sizeof(T));
    std::allocator<T>{}.deallocate(block, count);
  }

  template <class U>
  friend bool operator==(const wiping_allocator& /*a*/, const wiping_allocator<U>& /*b*/) noexcept {
    return true;
  }
};

// A string for secret text (hex of a DEK on its way in): its heap blocks are wiped when
// freed or outgrown. Secrets of 15 characters or less would sit in the string object itself
// (the small-string buffer), so the API's secrets, all longer, never do.
using secret_string = std::basic_string<char, std::char_traits<char>, wiping_allocator<char>>;

}  // namespace kmscore
