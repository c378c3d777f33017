// kmscore/detail/wipe.hpp: memory wiping and value barriers the optimiser cannot remove.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(KMSCORE_VALGRIND_CT)
#include <valgrind/memcheck.h>
#endif

namespace kmscore::detail {

// Overwrites n bytes with zeros. The empty asm that "reads" the pointer and clobbers memory
// keeps the compiler from treating the stores as dead (the technique of BoringSSL's
// OPENSSL_cleanse).
inline void secure_wipe(void* data, std::size_t size) noexcept {
  if (size == 0) return;
  std::memset(data, 0, size);
  __asm__ __volatile__("" : : "r"(data) : "memory");
}

// Wipes a buffer when the scope ends, whatever the path (an exception from an allocation
// included): for secrets on the stack that outlive several calls.
class wipe_on_exit {
 public:
  wipe_on_exit(void* data, std::size_t size) noexcept : data_{data}, size_{size} {}
  wipe_on_exit(const wipe_on_exit&) = delete;
  wipe_on_exit& operator=(const wipe_on_exit&) = delete;
  ~wipe_on_exit() { secure_wipe(data_, size_); }

 private:
  void* data_;
  std::size_t size_;
};

// Hides a value from the optimiser so that branch-free code stays branch-free.
template <class T>
[[nodiscard]] inline T value_barrier(T value) noexcept {
  __asm__("" : "+r"(value));
  return value;
}

// Marks a value computed from secrets as public: the outcome of a tag comparison or of a
// validity check is revealed by design. Only the constant-time test build
// (KMSCORE_VALGRIND_CT, run under valgrind with secrets marked undefined) does anything here.
template <class T>
[[nodiscard]] inline T declassify(T value) noexcept {
#if defined(KMSCORE_VALGRIND_CT)
  (void)VALGRIND_MAKE_MEM_DEFINED(&value, sizeof value);
#endif
  return value;
}

}  // namespace kmscore::detail
