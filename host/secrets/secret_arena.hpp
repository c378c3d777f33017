// host/secrets/secret_arena.hpp: memory of its own for kmscore::secret_bytes (keys, data
// keys, key material, the root key, credentials' secret keys), kept out of core dumps and,
// where the memory-lock limit allows, out of swap.
//
//   std::string why;
//   if (!kmscore_host::install_secret_arena(why)) refuse_to_start(why);
//
// The pages come from mmap, advised MADV_DONTDUMP (a core file, however it is produced,
// leaves them out: smaps shows the area's `dd` flag) and locked with mlock while the
// process's RLIMIT_MEMLOCK allows (best effort: a page that cannot be locked is still used).
// Blocks are served by size class (16 bytes to 64 KiB; larger ones get mappings of their
// own, unmapped when freed); freed blocks are wiped by secret_bytes before they come back and
// reused, never returned to the system. Thread-safe. Under AddressSanitizer a free block and
// the bytes past a block's size are poisoned, so the sanitizer still sees overruns.
//
// Other heap blocks that see secrets in passing (parse trees, HTTP buffers) stay on the heap:
// they are wiped when freed (wipe_on_free.hpp), and the tool and server also turn core files
// off altogether (forbid_core_dumps).
#pragma once

#include <string>

namespace kmscore_host {

// Makes the arena where new secret_bytes live (kmscore::set_secret_memory), after checking
// that the kernel accepts MADV_DONTDUMP on its pages; `why` says what failed. Once per
// process; a second call does nothing and returns true.
[[nodiscard]] bool install_secret_arena(std::string& why);

}  // namespace kmscore_host
