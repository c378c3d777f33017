// host/secrets/wipe_on_free.hpp: what the host processes' global allocator does with a block
// it frees: wipe every byte of it first.
//
// Some buffers that see secrets belong to third-party code and take no allocator of ours
// (nlohmann's lexer keeps the raw text of each token in a std::vector<char>; HTTP libraries
// keep bodies in std::string). The kmscore tool and server link wipe_on_free.cpp, which
// replaces the global operator new / delete so that every block freed through them is wiped
// by this function before it returns to malloc. Embedders who parse secrets with such
// libraries should do the same (see include/kmscore/json.hpp).
#pragma once

#include <malloc.h>
#include <string.h>

#include <cstddef>

namespace kmscore_host {

// Wipes the whole usable size of a block from malloc (which may exceed what was asked for).
inline void wipe_freed_block(void* block) noexcept {
  if (block != nullptr) ::explicit_bzero(block, ::malloc_usable_size(block));
}

}  // namespace kmscore_host
