// The secret arena (secret_arena.hpp): size classes over chunks of mapped, advised pages.
#include "secret_arena.hpp"

#include <kmscore/secret.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <new>
#include <system_error>

#if defined(__SANITIZE_ADDRESS__)
#define KMSCORE_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMSCORE_ARENA_ASAN 1
#endif
#endif
#ifdef KMSCORE_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace {

using kmscore::byte;

void poison(const void* at, std::size_t size) noexcept {
#ifdef KMSCORE_ARENA_ASAN
  ASAN_POISON_MEMORY_REGION(at, size);
#else
  (void)at;
  (void)size;
#endif
}
void unpoison(const void* at, std::size_t size) noexcept {
#ifdef KMSCORE_ARENA_ASAN
  ASAN_UNPOISON_MEMORY_REGION(at, size);
#else
  (void)at;
  (void)size;
#endif
}

constexpr std::size_t smallest_block = 16;
constexpr std::size_t class_count = 13;  // 16 bytes .. 64 KiB
constexpr std::size_t largest_block = smallest_block << (class_count - 1);
constexpr std::size_t chunk_size = std::size_t{256} * 1024;
constexpr std::size_t link_size = sizeof(void*);  // a free block's first bytes: the next one
static_assert(chunk_size % largest_block == 0);

// Pages for secrets: mapped, out of core dumps, locked if the limit allows. nullptr if the
// mapping or the advice fails.
byte* map_secret_pages(std::size_t size) noexcept {
  void* pages = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) return nullptr;
  if (::madvise(pages, size, MADV_DONTDUMP) != 0) {
    ::munmap(pages, size);
    return nullptr;
  }
  (void)::mlock(pages, size);  // best effort: RLIMIT_MEMLOCK may not allow it
  return static_cast<byte*>(pages);
}

std::size_t page_rounded(std::size_t size) noexcept {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return (size + page - 1) / page * page;
}

// One size class: a free list threaded through the free blocks, and the unused rest of its
// newest chunk.
struct size_class {
  std::mutex mutex;
  byte* free_list = nullptr;
  byte* fresh = nullptr;  // carved lazily, so untouched pages are never backed
  byte* fresh_end = nullptr;
};

std::array<size_class, class_count> classes;

std::size_t class_of(std::size_t size) noexcept {
  std::size_t index = 0;
  while ((smallest_block << index) < size) ++index;
  return index;
}

byte* allocate(std::size_t size) {
  if (size > largest_block) {
    byte* pages = map_secret_pages(page_rounded(size));
    if (pages == nullptr) throw std::bad_alloc{};
    return pages;  // zero, as mmap gives it
  }
  const std::size_t index = class_of(size);
  const std::size_t block_size = smallest_block << index;
  auto& from = classes[index];
  byte* block = nullptr;
  {
    const std::lock_guard guard{from.mutex};
    if (from.free_list != nullptr) {
      block = from.free_list;
      unpoison(block, link_size);
      std::memcpy(static_cast<void*>(&from.free_list), block, link_size);
      std::memset(block, 0, link_size);  // the rest was wiped when it was freed
    } else {
      if (from.fresh == from.fresh_end) {
        byte* chunk = map_secret_pages(chunk_size);
        if (chunk == nullptr) throw std::bad_alloc{};
        poison(chunk, chunk_size);
        from.fresh = chunk;
        from.fresh_end = chunk + chunk_size;
      }
      block = from.fresh;
      from.fresh += block_size;
    }
  }
  unpoison(block, size);
  return block;
}

void release(byte* block, std::size_t size) noexcept {
  if (size > largest_block) {
    ::munmap(block, page_rounded(size));
    return;
  }
  const std::size_t index = class_of(size);
  auto& to = classes[index];
  const std::lock_guard guard{to.mutex};
  unpoison(block, link_size);
  std::memcpy(block, static_cast<const void*>(&to.free_list), link_size);
  to.free_list = block;
  poison(block, smallest_block << index);
}

constexpr kmscore::secret_memory arena{allocate, release};

}  // namespace

bool kmscore_host::install_secret_arena(std::string& why) {
  static std::once_flag once;
  static bool installed = false;
  static std::string refusal;
  std::call_once(once, [] {
    // The kernel must take the advice before a secret goes there.
    const std::size_t probe_size = page_rounded(1);
    byte* probe = map_secret_pages(probe_size);
    if (probe == nullptr) {
      refusal = "cannot keep secret memory out of core dumps (mmap or MADV_DONTDUMP): " +
                std::generic_category().message(errno);
      return;
    }
    ::munmap(probe, probe_size);
    kmscore::set_secret_memory(arena);
    installed = true;
  });
  if (!installed) why = refusal;
  return installed;
}
