#include "secret_input.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace kmscore_host {

kmscore::result<kmscore::secret_bytes> read_secret_fd(int fd, std::size_t max_size) {
  kmscore::secret_bytes buffer{std::min<std::size_t>(4096, max_size + 1)};
  std::size_t used = 0;
  for (;;) {
    if (used == buffer.size()) {
      if (buffer.size() > max_size) return kmscore::errc::request_too_long;
      kmscore::secret_bytes bigger{std::min(buffer.size() * 2, max_size + 1)};
      std::copy_n(buffer.expose().begin(), used, bigger.expose().begin());
      buffer = std::move(bigger);  // the old buffer is wiped as it is released
    }
    const auto got = ::read(fd, buffer.expose().data() + used, buffer.size() - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return kmscore::errc::kms_error;
    if (got == 0) break;
    used += static_cast<std::size_t>(got);
  }
  if (used > max_size) return kmscore::errc::request_too_long;
  return kmscore::secret_bytes{buffer.expose().first(used)};
}

std::string octal_mode(unsigned mode) {
  std::string text(4, '0');
  auto bits = mode & 07777U;
  for (auto digit = text.rbegin(); digit != text.rend(); ++digit, bits >>= 3U) {
    *digit = static_cast<char>('0' + (bits & 7U));
  }
  return text;
}

kmscore::result<kmscore::secret_bytes> read_secret_file(const char* path, std::size_t max_size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return kmscore::errc::kms_error;
  auto contents = read_secret_fd(fd, max_size);
  ::close(fd);
  if (!contents) return kmscore::errc::kms_error;
  return contents;
}

bool forbid_core_dumps(std::string& why) {
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    why = "cannot turn core files off: " + std::generic_category().message(errno);
    return false;
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    why = "cannot mark the process non-dumpable: " + std::generic_category().message(errno);
    return false;
  }
  return true;
}

}  // namespace kmscore_host
