// The host processes' global allocator: operator new on malloc, operator delete wiping each
// block before free (wipe_on_free.hpp says why). Both sides are replaced together, so every
// block is allocated and freed by the same pair (as sanitizers require). OpenSSL's allocator
// wipes too (openssl_wiping_free.hpp), installed before any library's constructor runs.
#include "wipe_on_free.hpp"

#include "openssl_wiping_free.hpp"

#include <cstdlib>
#include <new>

namespace {

void* allocate(std::size_t size) {
  void* block = std::malloc(size == 0 ? 1 : size);
  if (block == nullptr) throw std::bad_alloc{};
  return block;
}

void* allocate_aligned(std::size_t size, std::align_val_t alignment) {
  const auto align = static_cast<std::size_t>(alignment);
  const std::size_t rounded = (size + align - 1) / align * align;
  void* block = std::aligned_alloc(align, rounded == 0 ? align : rounded);
  if (block == nullptr) throw std::bad_alloc{};
  return block;
}

void release(void* block) noexcept {
  kmscore_host::wipe_freed_block(block);
  std::free(block);
}

bool openssl_installed = false;

// An ELF preinit function: the dynamic loader calls it before every shared library's
// constructor (executables only, which is what links this file).
void install_before_libraries(int /*argc*/, char** /*argv*/, char** /*envp*/) noexcept {
  openssl_installed = kmscore_host::install_openssl_wiping_free();
}
[[gnu::section(".preinit_array"),
  gnu::used]] void (*const preinit_entry)(int, char**, char**) = install_before_libraries;

}  // namespace

bool kmscore_host::openssl_frees_are_wiped() noexcept { return openssl_installed; }

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t& /*tag*/) noexcept {
  void* block = std::malloc(size == 0 ? 1 : size);
  return block;
}
void* operator new[](std::size_t size, const std::nothrow_t& /*tag*/) noexcept {
  void* block = std::malloc(size == 0 ? 1 : size);
  return block;
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return allocate_aligned(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return allocate_aligned(size, alignment);
}

void operator delete(void* block) noexcept { release(block); }
void operator delete[](void* block) noexcept { release(block); }
void operator delete(void* block, std::size_t /*size*/) noexcept { release(block); }
void operator delete[](void* block, std::size_t /*size*/) noexcept { release(block); }
void operator delete(void* block, const std::nothrow_t& /*tag*/) noexcept { release(block); }
void operator delete[](void* block, const std::nothrow_t& /*tag*/) noexcept { release(block); }
void operator delete(void* block, std::align_val_t /*alignment*/) noexcept { release(block); }
void operator delete[](void* block, std::align_val_t /*alignment*/) noexcept { release(block); }
void operator delete(void* block, std::size_t /*size*/, std::align_val_t /*alignment*/) noexcept {
  release(block);
}
void operator delete[](void* block, std::size_t /*size*/, std::align_val_t /*alignment*/) noexcept {
  release(block);
}
