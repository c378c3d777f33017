// host/audit/audit_trail.cpp: the audit trail's writer and verifier (audit_trail.hpp).
#include "audit_trail.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <kmscore/envelope.hpp>
#include <kmscore/hex.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

namespace kmscore_host::audit {

namespace {

constexpr std::string_view zero_hash =
    "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::string_view signature_member = ",\"signature\":\"";
constexpr std::size_t tail_window =
    std::size_t{64} * 1024;  // a line is far shorter (fields are capped)
// Space kept allocated ahead of the end: grown by reserve_step when less than reserve_floor
// is left (the lines of every request in flight fit in the floor many times over).
constexpr std::uint64_t reserve_floor = std::uint64_t{256} * 1024;
constexpr std::uint64_t reserve_step = std::uint64_t{1024} * 1024;
// How often a writer that wrote the file's last line looks whether PATH is still its file
// (renamed by someone else) and reads the file-size limit again: other writers' rotations it
// sees at once (they append to the file first), the rest within this time.
constexpr std::chrono::milliseconds recheck_interval{100};

std::string errno_text(int code = errno) {
  return std::error_code{code, std::generic_category()}.message();
}

std::string hex(const unsigned char* data, std::size_t size) {
  return kmscore::hex_encode_lower(kmscore::byte_span{data, size});
}

std::string sha256_hex(std::string_view line) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  // Fetched once (EVP_sha256() would look the algorithm up under a lock on every call); kept
  // for the process's life.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  if (sha256 == nullptr ||
      EVP_Digest(line.data(), line.size(), digest.data(), &size, sha256, nullptr) != 1) {
    return {};
  }
  return hex(digest.data(), digest.size());
}

struct pkey_free {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
struct md_ctx_free {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
struct bio_free {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};

pkey_ptr signing_key(const kmscore::secret_bytes& seed) {
  if (seed.size() != 32) return nullptr;
  return pkey_ptr{
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.expose().data(), seed.size())};
}

std::string sign_hex(EVP_PKEY* key, std::string_view text) {
  const std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx{EVP_MD_CTX_new()};
  std::array<unsigned char, 64> signature{};
  std::size_t size = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), signature.data(), &size,
                     reinterpret_cast<const unsigned char*>(text.data()),  // NOLINT
                     text.size()) != 1) {
    return {};
  }
  return hex(signature.data(), size);
}

std::string pem_of(EVP_PKEY* key) {
  const std::unique_ptr<BIO, bio_free> bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string{data, static_cast<std::size_t>(size)} : std::string{};
}

// RFC 3339, UTC, milliseconds.
std::string timestamp(std::int64_t ms) {
  const std::time_t seconds = ms / 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  const auto size = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::array<char, 8> fraction{};
  (void)std::snprintf(fraction.data(), fraction.size(), ".%03dZ",
                      static_cast<int>(((ms % 1000) + 1000) % 1000));
  return std::string{text.data(), size} + fraction.data();
}

std::string stamp(std::int64_t ms) {
  const std::time_t seconds = ms / 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  std::array<char, 20> text{};
  const auto size = std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
  return {text.data(), size};
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string capped(std::string_view text) {
  return std::string{text.substr(0, std::min(text.size(), max_field_bytes))};
}

// A JSON object as one line; invalid UTF-8 (a capped field cut inside a character, or a
// client's bytes) is replaced, never refused.
std::string dump(const nlohmann::ordered_json& object) {
  return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// Appends `"name":` (after a comma unless it is the first member) and `json`, a value's text.
void append_raw(std::string& out, std::string_view name, std::string_view json) {
  if (!out.empty()) out.push_back(',');
  out.push_back('"');
  out.append(name);
  out.append("\":");
  out.append(json);
}

// Appends a string member (capped), exactly as dump() would write it: printable ASCII
// without quote or backslash as it is (ids, hex, addresses: nearly every value), anything
// else through dump() (escapes, invalid UTF-8 replaced).
void append_member(std::string& out, std::string_view name, std::string_view value) {
  value = value.substr(0, std::min(value.size(), max_field_bytes));
  const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  append_raw(out, name, plain ? "\"" : dump(nlohmann::ordered_json(std::string{value})));
  if (plain) out.append(value).push_back('"');
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
  }
  return true;
}

// Holds an exclusive lock on a file for one append (processes sharing a trail).
class file_lock {
 public:
  explicit file_lock(int fd) : fd_{fd} {
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        fd_ = -1;
        return;
      }
    }
  }
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  ~file_lock() {
    if (fd_ >= 0) ::flock(fd_, LOCK_UN);
  }
  [[nodiscard]] bool held() const noexcept { return fd_ >= 0; }

 private:
  int fd_;
};

// The string value of the first member `name` in a JSON text (no unescaping: the values read
// here are ids, hex and aliases, which hold no escapes), or empty.
std::string_view member(std::string_view json, std::string_view name) {
  const std::string quoted = "\"" + std::string{name} + "\"";
  for (std::size_t at = json.find(quoted); at != std::string_view::npos;
       at = json.find(quoted, at + 1)) {
    if (at > 0 && json[at - 1] == '\\') continue;
    std::size_t i = at + quoted.size();
    while (i < json.size() &&
           (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) {
      ++i;
    }
    if (i >= json.size() || json[i] != ':') continue;
    ++i;
    while (i < json.size() &&
           (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) {
      ++i;
    }
    if (i >= json.size()) return {};
    if (json[i] == '"') {
      const auto close = json.find('"', i + 1);
      if (close == std::string_view::npos) return {};
      return json.substr(i + 1, close - i - 1);
    }
    std::size_t stop = i;  // a number
    while (stop < json.size() && json[stop] >= '0' && json[stop] <= '9') ++stop;
    return json.substr(i, stop - i);
  }
  return {};
}

// The key version an envelope (hex) names, if it is one.
std::optional<std::uint32_t> envelope_version(std::string_view cipher_hex) {
  if (cipher_hex.empty() || cipher_hex.size() % 2 != 0 ||
      cipher_hex.size() > 2 * kmscore::max_envelope_payload) {
    return std::nullopt;
  }
  std::vector<kmscore::byte> blob(cipher_hex.size() / 2);
  if (!kmscore::hex_decode(cipher_hex, blob)) return std::nullopt;
  const auto view = kmscore::parse_envelope(blob, kmscore::max_envelope_payload);
  if (!view) return std::nullopt;
  return view->key_version();
}

}  // namespace

kmscore::http_response unavailable_answer() {
  constexpr std::string_view body =
      R"({"error":{"error_code":"KMS.0101","error_msg":"The request cannot be recorded )"
      R"(in the audit trail; it was not performed."}})";
  return {503, kmscore::secret_bytes{kmscore::as_bytes(body)}};
}

void fill_key_facts(event& what, std::string_view request_body, std::string_view answer_body) {
  auto id = member(answer_body, "key_id");
  if (id.empty()) id = member(request_body, "key_id");
  what.key_id = capped(id);
  what.key_alias = capped(member(request_body, "key_alias"));
  what.error_code = capped(member(answer_body, "error_code"));
  const auto version = member(answer_body, "key_version");
  if (!version.empty() && version.size() <= 9) {
    what.key_version = static_cast<std::uint32_t>(std::stoul(std::string{version}));
    return;
  }
  auto cipher = member(answer_body, "cipher_text");
  if (cipher.empty()) cipher = member(request_body, "cipher_text");
  what.key_version = envelope_version(cipher);
}

struct trail::state {
  trail_options options;
  kmscore::diagnostics_sink diagnostics;
  pkey_ptr key;
  mutable std::mutex mutex;
  int fd = -1;
  std::uint64_t end = 0;  // the file's size after our last write (another process moves it)
  std::uint64_t reserved_until = 0;  // allocated up to here (fallocate, size kept)
  std::string last_hash{zero_hash};
  std::uint64_t last_seq = 0;
  bool wrote_last = false;  // the file's last line is ours (so no one rotated it since)
  std::chrono::steady_clock::time_point path_checked{};
  std::chrono::steady_clock::time_point limit_checked{};
  rlim_t size_limit = RLIM_INFINITY;
  bool dirty = false;
  // When the oldest line not yet synced was written (set when `dirty` becomes true).
  std::chrono::steady_clock::time_point first_unsynced{};
  trail::sync_figures figures;
  std::size_t since_checkpoint = 0;
  std::chrono::steady_clock::time_point last_checkpoint = std::chrono::steady_clock::now();
  std::atomic<bool> healthy{true};
  bool stopping = false;
  std::condition_variable wake;
  std::thread worker;

  void note(const std::string& line) const {
    if (diagnostics) diagnostics("audit: " + line);
  }
  void fail(const std::string& why) {
    if (healthy.exchange(false)) note(why + "; requests are refused until the trail is fixed");
  }

  // Opens PATH (lock held by the caller or none needed), then reads its tail.
  bool open_file(std::string& why) {
    if (fd >= 0) ::close(fd);
    fd = ::open(options.path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      why = "cannot open the audit trail " + options.path + ": " + errno_text();
      return false;
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      why = "the audit trail " + options.path + " is not a regular file";
      return false;
    }
    const file_lock lock{fd};
    return lock.held() && read_tail(why);
  }

  // The chain's state from the file's last complete line; a torn last line (a write cut by a
  // crash: never acknowledged) is cut off. Lock held.
  bool read_tail(std::string& why) {
    wrote_last = false;
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
      why = "cannot read the audit trail: " + errno_text();
      return false;
    }
    auto size = static_cast<std::uint64_t>(info.st_size);
    const std::uint64_t from = size > tail_window ? size - tail_window : 0;
    std::string tail(static_cast<std::size_t>(size - from), '\0');
    if (!tail.empty() && ::pread(fd, tail.data(), tail.size(), static_cast<off_t>(from)) !=
                             static_cast<ssize_t>(tail.size())) {
      why = "cannot read the audit trail's end: " + errno_text();
      return false;
    }
    if (!tail.empty() && tail.back() != '\n') {
      const auto cut = tail.rfind('\n');
      const std::uint64_t keep = cut == std::string::npos ? from : from + cut + 1;
      if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) {
        why = "cannot cut the audit trail's torn last line: " + errno_text();
        return false;
      }
      note("cut a torn last line (" + std::to_string(size - keep) + " bytes) off " + options.path);
      tail.resize(static_cast<std::size_t>(keep - from));
      size = keep;
    }
    end = size;
    if (tail.empty()) {
      if (size == 0) return true;  // a new trail, or one a rotation just began: see rotate
      why = "the audit trail's last line is longer than " + std::to_string(tail_window);
      return false;
    }
    tail.pop_back();
    const auto start = tail.rfind('\n');
    const std::string_view line =
        std::string_view{tail}.substr(start == std::string::npos ? 0 : start + 1);
    const auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_object() || !parsed.contains("seq") || !parsed["seq"].is_number_unsigned()) {
      why = "the audit trail " + options.path + " does not end with an audit record";
      return false;
    }
    last_seq = parsed["seq"].get<std::uint64_t>();
    last_hash = sha256_hex(line);
    return true;
  }

  // Appends one line, composed with the chain's next seq and prev. Under the file's lock:
  // PATH checked to still be our file (another process's rotation renames it while it holds
  // the lock: then reopen PATH and try again), and the chain's end read again if another
  // process wrote since. Mutex held.
  bool append_line(const std::function<std::string(std::uint64_t, const std::string&)>& compose) {
    std::string why;
    for (int attempt = 0; attempt < 100; ++attempt) {
      bool moved = false;
      bool missing = false;
      {
        const file_lock lock{fd};
        if (!lock.held()) {
          fail("cannot lock the audit trail: " + errno_text());
          return false;
        }
        struct stat ours {};
        struct stat named {};
        if (::fstat(fd, &ours) != 0) {
          fail("cannot stat the audit trail: " + errno_text());
          return false;
        }
        // A rotation by another writer appends to this file before it renames it, so while
        // the last line is ours the name needs looking at only now and then.
        const auto now = std::chrono::steady_clock::now();
        const bool still_ours = wrote_last && static_cast<std::uint64_t>(ours.st_size) == end;
        if (!still_ours || now - path_checked >= recheck_interval) {
          path_checked = now;
          if (::stat(options.path.c_str(), &named) != 0) {
            missing = errno == ENOENT;  // mid-rotation: the new PATH is about to appear
            if (!missing) {
              fail("cannot stat the audit trail " + options.path + ": " + errno_text());
              return false;
            }
          } else {
            moved = named.st_ino != ours.st_ino || named.st_dev != ours.st_dev;
          }
        }
        if (!moved && !missing) {
          if (static_cast<std::uint64_t>(ours.st_size) != end && !read_tail(why)) {
            fail(why);
            return false;
          }
          auto line = compose(last_seq + 1, last_hash);
          if (line.empty()) {
            fail("cannot sign a checkpoint");
            return false;
          }
          line.push_back('\n');
          if (!write_all(fd, line)) {
            const int code = errno;
            (void)::ftruncate(fd, static_cast<off_t>(end));  // no torn line left behind
            fail("cannot write the audit trail " + options.path + ": " + errno_text(code));
            return false;
          }
          line.pop_back();
          last_hash = sha256_hex(line);
          ++last_seq;
          end += line.size() + 1;
          wrote_last = true;
          if (!dirty) first_unsynced = std::chrono::steady_clock::now();
          dirty = true;
          return true;
        }
      }
      if (missing) {
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
      } else if (!open_file(why)) {
        fail(why);
        return false;
      }
    }
    fail("the audit trail " + options.path + " keeps moving (rotations by other processes)");
    return false;
  }

  std::string checkpoint_line(std::uint64_t seq, const std::string& prev) const {
    nlohmann::ordered_json object;
    object["seq"] = seq;
    object["time"] = timestamp(wall_ms());
    object["type"] = "checkpoint";
    object["records"] = since_checkpoint;
    object["prev"] = prev;
    auto text = dump(object);
    text.pop_back();  // the closing brace: the signature is the last member
    const auto signature = sign_hex(key.get(), text);
    if (signature.empty()) return {};
    return text + std::string{signature_member} + signature + "\"}";
  }

  // Room for the next records: allocated on disk ahead of the end, and within the process's
  // file-size limit. Mutex held.
  bool reserve() {
    if (!healthy) return false;
    const auto now = std::chrono::steady_clock::now();
    if (limit_checked == std::chrono::steady_clock::time_point{} ||
        now - limit_checked >= recheck_interval) {
      limit_checked = now;
      rlimit limit{};
      size_limit = ::getrlimit(RLIMIT_FSIZE, &limit) == 0 ? limit.rlim_cur : RLIM_INFINITY;
    }
    if (size_limit != RLIM_INFINITY && end + reserve_floor > size_limit) {
      fail("the audit trail " + options.path + " would pass the file-size limit (" +
           std::to_string(size_limit) + " bytes)");
      return false;
    }
    if (reserved_until >= end + reserve_floor) return true;
    const int code = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(end),
                                 static_cast<off_t>(reserve_step));
    if (code != 0 && errno != EOPNOTSUPP) {
      fail("cannot reserve space for the audit trail " + options.path + ": " + errno_text());
      return false;
    }
    reserved_until = end + reserve_step;  // (a file system without fallocate: best effort)
    return true;
  }

  bool checkpoint() {
    if (!append_line([this](std::uint64_t seq, const std::string& prev) {
          return checkpoint_line(seq, prev);
        })) {
      return false;
    }
    since_checkpoint = 0;
    last_checkpoint = std::chrono::steady_clock::now();
    return sync();
  }

  bool sync() {
    if (!dirty) return true;
    const auto started = std::chrono::steady_clock::now();
    if (::fdatasync(fd) != 0) {
      fail("fdatasync of the audit trail failed: " + errno_text());
      return false;
    }
    dirty = false;
    count_sync(first_unsynced, started);
    return true;
  }

  // One fdatasync done: the lines written since `oldest`, the first not yet synced, are
  // durable now. Mutex held.
  void count_sync(std::chrono::steady_clock::time_point oldest,
                  std::chrono::steady_clock::time_point started) {
    using std::chrono::duration_cast;
    using std::chrono::microseconds;
    const auto done = std::chrono::steady_clock::now();
    ++figures.syncs;
    figures.longest_window =
        std::max(figures.longest_window, duration_cast<microseconds>(done - oldest));
    figures.longest_sync =
        std::max(figures.longest_sync, duration_cast<microseconds>(done - started));
  }

  // Closes the file with a checkpoint, renames it PATH.<stamp> and puts in its place a new
  // file that already holds its first line (a checkpoint continuing the chain), all under the
  // old file's lock: a process sharing the trail never sees PATH missing or empty. Mutex held.
  bool rotate() {
    if (!checkpoint()) return false;
    const int old = fd;
    if (!rotate_locked()) return false;
    // Closed only once its lock is released: a lock released after the close would unlock
    // whatever file the number was given to meanwhile (another trail's, mid-append).
    if (fd != old) ::close(old);
    return true;
  }

  // rotate's work under the old file's lock; fd is the new file when it returns true and
  // rotated.
  bool rotate_locked() {
    const file_lock lock{fd};
    struct stat ours {};
    if (!lock.held() || ::fstat(fd, &ours) != 0) {
      fail("cannot lock the audit trail to rotate it: " + errno_text());
      return false;
    }
    if (static_cast<std::uint64_t>(ours.st_size) != end) {
      return true;  // another process wrote meanwhile (and rotates it in turn): not ours to do
    }
    const std::string base = options.path + "." + stamp(wall_ms());
    std::string rotated = base;
    // A second rotation within one second: PATH.<stamp>-001 and on, which sort after it (one
    // stamp for all tries: a name of the next second with a suffix would sort before that
    // second's first rotation).
    for (int n = 1; ::access(rotated.c_str(), F_OK) == 0; ++n) {
      std::array<char, 8> suffix{};
      (void)std::snprintf(suffix.data(), suffix.size(), "-%03d", n);
      rotated = base + suffix.data();
    }
    const std::string next = options.path + ".next";
    (void)::unlink(next.c_str());  // a leftover of a rotation cut short
    const int fresh =
        ::open(next.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    auto first = fresh >= 0 ? checkpoint_line(last_seq + 1, last_hash) : std::string{};
    if (fresh < 0 || first.empty() || !write_all(fresh, first + "\n") || ::fdatasync(fresh) != 0 ||
        ::rename(options.path.c_str(), rotated.c_str()) != 0 ||
        ::rename(next.c_str(), options.path.c_str()) != 0) {
      const int code = errno;
      if (fresh >= 0) ::close(fresh);
      fail("cannot rotate the audit trail to " + rotated + ": " + errno_text(code));
      return false;
    }
    fd = fresh;
    last_hash = sha256_hex(first);
    ++last_seq;
    end = first.size() + 1;
    wrote_last = true;
    reserved_until = 0;
    last_checkpoint = std::chrono::steady_clock::now();
    note("rotated the trail to " + rotated);
    return true;
  }

  void run() {
    // Signals are the host's to take (SIGTERM stops a server): never delivered here.
    sigset_t all{};
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::unique_lock guard{mutex};
    while (!stopping) {
      wake.wait_for(guard, options.sync_interval);
      if (!healthy) continue;
      if (since_checkpoint > 0 &&
          std::chrono::steady_clock::now() - last_checkpoint >= options.checkpoint_interval) {
        if (!append_line([this](std::uint64_t seq, const std::string& prev) {
              return checkpoint_line(seq, prev);
            })) {
          continue;
        }
        since_checkpoint = 0;
        last_checkpoint = std::chrono::steady_clock::now();
      }
      if (!dirty) continue;
      // fdatasync on a duplicate, without the mutex: appends go on meanwhile (a line written
      // after `dirty` is cleared sets it again, and is synced now or in the next round).
      const int copy = ::dup(fd);
      dirty = false;
      const auto oldest = first_unsynced;
      guard.unlock();
      const auto started = std::chrono::steady_clock::now();
      const bool synced = copy >= 0 && ::fdatasync(copy) == 0;
      const int code = errno;
      if (copy >= 0) ::close(copy);
      guard.lock();
      if (!synced) {
        fail("fdatasync of the audit trail failed: " + errno_text(code));
      } else {
        count_sync(oldest, started);
      }
    }
  }
};

trail::trail(std::unique_ptr<state> s) : state_{std::move(s)} {}

std::unique_ptr<trail> trail::open(const trail_options& options, const kmscore::secret_bytes& seed,
                                   kmscore::diagnostics_sink diagnostics, std::string& why) {
  auto s = std::make_unique<state>();
  s->options = options;
  s->diagnostics = std::move(diagnostics);
  s->key = signing_key(seed);
  if (!s->key) {
    why = "cannot make the audit signing key";
    return nullptr;
  }
  if (!s->open_file(why)) return nullptr;
  auto* raw = s.get();
  std::unique_ptr<trail> made{new trail{std::move(s)}};
  raw->worker = std::thread{[raw] { raw->run(); }};
  return made;
}

trail::~trail() {
  try {
    {
      const std::lock_guard guard{state_->mutex};
      state_->stopping = true;
    }
    state_->wake.notify_all();
    if (state_->worker.joinable()) state_->worker.join();
    const std::lock_guard guard{state_->mutex};
    if (state_->healthy && state_->since_checkpoint > 0) (void)state_->checkpoint();
    if (state_->healthy) (void)state_->sync();
  } catch (...) {  // NOLINT(bugprone-empty-catch): closing must not throw; the file still closes
  }
  if (state_->fd >= 0) ::close(state_->fd);
}

bool trail::append(const event& what) {
  // The line's members but seq and prev, written before the lock is taken (in docs/audit.md's
  // order; what dump() of the same object would write, which AuditTest checks).
  std::string inner;
  inner.reserve(512);
  append_member(inner, "time", timestamp(what.time_ms));
  append_member(inner, "type", what.type);
  append_member(inner, "request_id", what.request_id);
  append_member(inner, "access_key", what.access_key);
  append_member(inner, "project", what.project);
  append_member(inner, "client", what.client);
  append_member(inner, "action", what.action);
  append_member(inner, "key_id", what.key_id);
  append_raw(inner, "key_version",
             what.key_version ? std::to_string(*what.key_version) : std::string{"null"});
  append_member(inner, "key_alias", what.key_alias);
  append_raw(inner, "status", std::to_string(what.status));
  append_member(inner, "error_code", what.error_code);
  append_member(inner, "reason", what.reason);
  append_raw(inner, "suppressed", std::to_string(what.suppressed));
  const auto compose = [&](std::uint64_t seq, const std::string& prev) {
    std::string line;
    line.reserve(inner.size() + 120);
    line.append(R"({"seq":)").append(std::to_string(seq)).append(",").append(inner);
    line.append(R"(,"prev":")").append(prev).append(R"("})");
    return line;
  };
  auto& s = *state_;
  const std::lock_guard guard{s.mutex};
  if (!s.healthy) return false;
  if (s.end >= s.options.max_bytes && !s.rotate()) return false;
  if (!s.append_line(compose)) return false;
  ++s.since_checkpoint;
  return true;
}

bool trail::reserve() {
  const std::lock_guard guard{state_->mutex};
  return state_->reserve();
}

bool trail::healthy() const { return state_->healthy; }

trail::sync_figures trail::sync_stats() const {
  const std::lock_guard guard{state_->mutex};
  return state_->figures;
}

std::optional<std::uint64_t> trail::free_bytes() const {
  struct statvfs info {};
  const std::lock_guard guard{state_->mutex};
  if (::fstatvfs(state_->fd, &info) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
}

std::string trail::public_key_pem() const { return pem_of(state_->key.get()); }

std::string public_key_pem(const kmscore::secret_bytes& seed) {
  const auto key = signing_key(seed);
  return key ? pem_of(key.get()) : std::string{};
}

verify_outcome verify(const std::vector<std::string>& files, std::string_view public_key_text) {
  verify_outcome outcome;
  const std::unique_ptr<BIO, bio_free> bio{
      BIO_new_mem_buf(public_key_text.data(), static_cast<int>(public_key_text.size()))};
  const pkey_ptr key{bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr};
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    outcome.error = verify_error{"", 0, "the public key is not an Ed25519 PEM public key"};
    return outcome;
  }
  std::string previous_line;
  std::string previous_file;
  std::size_t previous_number = 0;
  std::optional<std::uint64_t> previous_seq;
  std::size_t pending = 0;
  const auto fault = [&](const std::string& file, std::size_t line, std::string reason) {
    outcome.error = verify_error{file, line, std::move(reason)};
    outcome.unverified_tail = pending;
    return outcome;
  };
  for (const auto& file : files) {
    std::ifstream in{file, std::ios::binary};
    if (!in) return fault(file, 0, "cannot be read");
    const std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (!text.empty() && text.back() != '\n') {
      return fault(file, static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1,
                   "a torn last line (no newline)");
    }
    std::size_t number = 0;
    for (std::size_t at = 0; at < text.size();) {
      const auto stop = text.find('\n', at);
      const std::string_view line{text.data() + at, stop - at};
      at = stop + 1;
      ++number;
      const auto parsed = nlohmann::json::parse(line, nullptr, false);
      if (!parsed.is_object() || !parsed.contains("seq") || !parsed["seq"].is_number_unsigned() ||
          !parsed.contains("prev") || !parsed["prev"].is_string() || !parsed.contains("type") ||
          !parsed["type"].is_string()) {
        return fault(file, number, "not an audit record");
      }
      const auto seq = parsed["seq"].get<std::uint64_t>();
      if (previous_seq && seq != *previous_seq + 1) {
        return fault(file, number,
                     "out of sequence (seq " + std::to_string(seq) + " after " +
                         std::to_string(*previous_seq) +
                         "): a record removed, inserted or reordered here");
      }
      if (previous_seq && parsed["prev"].get<std::string>() != sha256_hex(previous_line)) {
        return fault(previous_file, previous_number,
                     "altered: it does not hash to the next record's prev");
      }
      if (parsed["type"] == "checkpoint") {
        const auto member = line.rfind(signature_member);
        const bool shaped = member != std::string_view::npos && line.size() >= 2 &&
                            line.substr(line.size() - 2) == "\"}";
        const auto signature_hex =
            shaped ? line.substr(member + signature_member.size(),
                                 line.size() - 2 - member - signature_member.size())
                   : std::string_view{};
        std::array<unsigned char, 64> signature{};
        // Lowercase hex only, as written.
        const bool decoded = std::none_of(signature_hex.begin(), signature_hex.end(),
                                          [](char c) { return c >= 'A' && c <= 'F'; }) &&
                             kmscore::hex_decode(signature_hex, signature);
        const std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx{EVP_MD_CTX_new()};
        const auto signed_part = decoded ? line.substr(0, member) : std::string_view{};
        if (!decoded || !ctx ||
            EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
            EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                             reinterpret_cast<const unsigned char*>(signed_part.data()),  // NOLINT
                             signed_part.size()) != 1) {
          return fault(file, number, "a checkpoint whose signature does not verify");
        }
        outcome.verified += pending;
        pending = 0;
      } else {
        ++outcome.records;
        ++pending;
      }
      previous_seq = seq;
      previous_line = std::string{line};
      previous_file = file;
      previous_number = number;
    }
  }
  outcome.unverified_tail = pending;
  return outcome;
}

}  // namespace kmscore_host::audit
