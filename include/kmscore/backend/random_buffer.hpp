// kmscore/backend/random_buffer.hpp: buffered randomness that dies with a fork.
//
//   auto drawn = kmscore::detail::fork_safe_random<Source>::fill(out);   // result<void>
//
// A system call per draw costs ~300 ns (performance-facts.md), so the backends hand out
// random bytes from a per-thread 4 KiB buffer: ChaCha20 keystream under a fresh 256-bit seed
// from the operating system, refilled when used up (the construction of OpenBSD's
// arc4random). The buffer holds future key material, so:
//   - it lives in pages of its own advised MADV_WIPEONFORK: a child process, however it was
//     made (fork, _Fork, syscall(SYS_fork), clone; atfork handlers or not), sees those pages
//     zeroed, reads "nothing left" and refills from the OS before handing out a byte. Parent
//     and child never share a stream, and no system call is made per draw;
//   - if the pages cannot be set up that way, every draw fails (KMS.0101): closed, not open;
//   - every byte handed out is wiped from the buffer at once; the pages are wiped and
//     unmapped at thread exit, and kept out of core dumps (MADV_DONTDUMP).
// `Source` supplies the OS seed (`os_random`) and the expansion (`expand`); each backend
// uses its own library's. Not API: the backends' shared machinery.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>

#include "../bytes.hpp"
#include "../detail/wipe.hpp"
#include "../result.hpp"

namespace kmscore::detail {

inline constexpr std::size_t random_seed_size = 32;

// Source: static bool os_random(mutable_byte_span) noexcept;
//         static bool expand(std::span<const byte, random_seed_size>, mutable_byte_span) noexcept;
template <class Source>
class fork_safe_random {
 public:
  static constexpr std::size_t capacity = 4096;

  // Copies out.size() fresh bytes. Requests larger than the buffer go to the OS directly.
  [[nodiscard]] static result<void> fill(mutable_byte_span out) noexcept {
    if (out.size() > capacity) return Source::os_random(out) ? result<void>{} : errc::kms_error;
    thread_local pages mine;
    state* buffer = mine.get();
    if (buffer == nullptr) return errc::kms_error;
    if (buffer->remaining < out.size() && !refill(*buffer)) return errc::kms_error;
    const std::size_t at = capacity - buffer->remaining;
    std::copy_n(buffer->bytes.begin() + static_cast<std::ptrdiff_t>(at), out.size(), out.begin());
    secure_wipe(buffer->bytes.data() + at, out.size());
    buffer->remaining -= out.size();
    return {};
  }

 private:
  // Zero pages (a fresh mapping, or a child's view after fork) mean "nothing left".
  struct state {
    std::size_t remaining;
    std::array<byte, capacity> bytes;
  };

  [[nodiscard]] static bool refill(state& buffer) noexcept {
    std::array<byte, random_seed_size> seed{};
    const bool ok = Source::os_random(seed) && Source::expand(seed, buffer.bytes);
    secure_wipe(seed.data(), seed.size());
    if (!ok) {
      secure_wipe(buffer.bytes.data(), buffer.bytes.size());
      buffer.remaining = 0;
      return false;
    }
    buffer.remaining = capacity;
    return true;
  }

  // The thread's pages: mapped on first use, wiped and unmapped at thread exit.
  class pages {
   public:
    pages() noexcept {
#ifdef MADV_WIPEONFORK
      const long page = ::sysconf(_SC_PAGESIZE);
      if (page <= 0) return;
      const auto page_size = static_cast<std::size_t>(page);
      size_ = (sizeof(state) + page_size - 1) / page_size * page_size;
      void* mapped =
          ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (mapped == MAP_FAILED) return;
      if (::madvise(mapped, size_, MADV_WIPEONFORK) != 0) {  // fail closed
        ::munmap(mapped, size_);
        return;
      }
      (void)::madvise(mapped, size_, MADV_DONTDUMP);  // best effort: keep out of core dumps
      state_ = static_cast<state*>(mapped);
#endif
    }
    pages(const pages&) = delete;
    pages& operator=(const pages&) = delete;
    ~pages() {
      if (state_ == nullptr) return;
      secure_wipe(state_, sizeof(state));
      ::munmap(state_, size_);
    }
    [[nodiscard]] state* get() const noexcept { return state_; }

   private:
    state* state_ = nullptr;
    std::size_t size_ = 0;
  };
};

}  // namespace kmscore::detail
