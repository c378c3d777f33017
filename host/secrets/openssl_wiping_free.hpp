// host/secrets/openssl_wiping_free.hpp: OpenSSL's allocator, made to wipe every block it frees.
//
// OpenSSL frees its key objects with clearing, but OpenSSL 3.0's encoders and decoders free
// their intermediate copies of private-key DER with a plain OPENSSL_free (ASN1_item_i2d_bio,
// der2key), and SM2 decryption its keystream (see include/kmscore/backend/openssl.hpp). The
// tool and server therefore install these functions with CRYPTO_set_mem_functions: every
// block OpenSSL frees is wiped (its whole usable size) before it returns to malloc, and a
// reallocation copies into a fresh block and wipes the old one instead of letting realloc
// free it unwiped. OpenSSL accepts them only before its first allocation, and libraries
// allocate through it from their constructors (cpp-httplib initialises libssl), so
// wipe_on_free.cpp installs them from the executable's .preinit_array, which runs before any
// shared library's constructor; main checks openssl_frees_are_wiped().
#pragma once

#include <malloc.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "wipe_on_free.hpp"

namespace kmscore_host {

// Moves a block's bytes into a fresh block of size bytes and hands the old one to release.
// (size 0 releases the block and answers nullptr, as OpenSSL's own CRYPTO_realloc does.)
inline void* reallocate_by_copy(void* block, std::size_t size, void (*release)(void*)) noexcept {
  if (block == nullptr) return size == 0 ? nullptr : std::malloc(size);
  if (size == 0) {
    release(block);
    return nullptr;
  }
  void* fresh = std::malloc(size);
  if (fresh == nullptr) return nullptr;  // the old block stays the caller's, untouched
  std::memcpy(fresh, block, std::min(size, ::malloc_usable_size(block)));
  release(block);
  return fresh;
}

namespace wiping {  // what install_openssl_wiping_free installs
inline void wipe_and_free(void* block) noexcept {
  wipe_freed_block(block);
  std::free(block);
}
inline void* openssl_malloc(std::size_t size, const char* /*file*/, int /*line*/) noexcept {
  return size == 0 ? nullptr : std::malloc(size);
}
inline void* openssl_realloc(void* block, std::size_t size, const char* /*file*/,
                             int /*line*/) noexcept {
  return reallocate_by_copy(block, size, wipe_and_free);
}
inline void openssl_free(void* block, const char* /*file*/, int /*line*/) noexcept {
  wipe_and_free(block);
}
}  // namespace wiping

// Installs the wiping allocator; false if OpenSSL had already allocated.
[[nodiscard]] inline bool install_openssl_wiping_free() noexcept {
  return ::CRYPTO_set_mem_functions(wiping::openssl_malloc, wiping::openssl_realloc,
                                    wiping::openssl_free) == 1;
}

// Whether wipe_on_free.cpp's early installation took (defined there: link it to ask).
[[nodiscard]] bool openssl_frees_are_wiped() noexcept;

}  // namespace kmscore_host
