// host/secrets/secret_input.hpp: reading input that may hold secrets straight into
// zeroizing memory (a request body on stdin, a root key file), never through iostreams or
// growing std::vectors that leave copies in freed blocks.
#pragma once

#include <kmscore/result.hpp>
#include <kmscore/secret.hpp>

#include <cstddef>
#include <string>

namespace kmscore_host {

// Everything readable from fd, up to max_size bytes (more is KMS.0203: the request is too
// long). Growth copies into a new zeroizing buffer and wipes the old one.
[[nodiscard]] kmscore::result<kmscore::secret_bytes> read_secret_fd(int fd, std::size_t max_size);

// A file mode's permission bits as four octal digits ("0600"), for messages about files that
// hold secrets (the root key, the credentials).
[[nodiscard]] std::string octal_mode(unsigned mode);

// A whole file of at most max_size bytes (a root key): KMS.0101 if it cannot be read.
[[nodiscard]] kmscore::result<kmscore::secret_bytes> read_secret_file(const char* path,
                                                                      std::size_t max_size);

// Keeps the process's memory (keys, credentials, the root key) out of core files: no core
// file (RLIMIT_CORE 0, hard limit too) and not dumpable (PR_SET_DUMPABLE 0: no core, no
// ptrace attach by other processes of the same user). False, with the reason in why, if the
// kernel refused either; a host that holds keys should then refuse to start.
[[nodiscard]] bool forbid_core_dumps(std::string& why);

}  // namespace kmscore_host
