// The `kmscore` tool's development key store: a directory of sealed key records.
//
//   DIR/lock                  flock(2) target: one invocation at a time changes the store
//   DIR/domain_id             the store's account id (32 lowercase hex), made on first use
//   DIR/root.key              root key: key_id line, then 64 hex digits (mode 0600)
//   DIR/keys/<key_id>         a sealed key record (kmscore::seal_key_record, mode 0600)
//   DIR/aliases/<hex(alias)>  the key_id holding that alias
//
// Every file is written to a temporary name, flushed and renamed, so a reader sees the old
// or the new file, never half of one. The tool holds an exclusive lock on DIR/lock for a
// whole action, so concurrent processes neither lose updates nor create an alias twice.
#pragma once

#include <kmscore/key_record_codec.hpp>
#include <kmscore/key_store.hpp>

#include "secret_input.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace kmscore_tool {

namespace fs = std::filesystem;

// Reads a whole file; nullopt if it does not exist or cannot be read.
inline std::optional<std::vector<kmscore::byte>> read_file(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) return std::nullopt;
  std::vector<kmscore::byte> bytes{std::istreambuf_iterator<char>{in}, {}};
  return bytes;
}

// Writes a file atomically (temporary file, fsync, rename) with the given mode.
inline bool write_file_atomically(const fs::path& path, kmscore::byte_span bytes, mode_t mode) {
  const fs::path temporary = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) break;
    done += static_cast<std::size_t>(wrote);
  }
  const bool ok = done == bytes.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return false;
  }
  return true;
}

// An exclusive lock on DIR/lock for the lifetime of the object.
class directory_lock {
 public:
  explicit directory_lock(const fs::path& dir) {
    fd_ = ::open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  directory_lock(const directory_lock&) = delete;
  directory_lock& operator=(const directory_lock&) = delete;
  ~directory_lock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }
  [[nodiscard]] bool held() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

template <kmscore::crypto_backend Backend>
class file_key_store final : public kmscore::key_store {
 public:
  file_key_store(Backend& backend, fs::path dir) : backend_{&backend}, dir_{std::move(dir)} {}

  // Opens the store, creating it on first use; call only while holding its lock.
  kmscore::result<void> open() {
    Backend& backend = *backend_;
    const fs::path& dir = dir_;
    std::error_code ignored;
    fs::create_directories(dir / "keys", ignored);
    fs::create_directories(dir / "aliases", ignored);
    if (!fs::exists(dir / "root.key")) {
      std::array<kmscore::byte, 16> account{};
      kmscore::secret_bytes root{32};
      KMSCORE_TRY(backend.random_bytes(account));
      KMSCORE_TRY(backend.random_bytes(root.expose()));
      KMSCORE_TRY_ASSIGN(const auto root_id, kmscore::new_key_id(backend));
      std::string domain = kmscore::hex_encode(account);
      std::transform(domain.begin(), domain.end(), domain.begin(),
                     [](char c) { return c >= 'A' && c <= 'F' ? static_cast<char>(c + 32) : c; });
      const auto root_hex = kmscore::secret_hex::encode(root.expose());
      kmscore::secret_bytes file{kmscore::key_id_size + 1 + root_hex.expose_text().size() + 1};
      auto out = file.expose();
      std::size_t at = 0;
      for (const char c : root_id.view()) out[at++] = static_cast<kmscore::byte>(c);
      out[at++] = '\n';
      for (const char c : root_hex.expose_text()) out[at++] = static_cast<kmscore::byte>(c);
      out[at++] = '\n';
      if (!write_file_atomically(dir / "domain_id", kmscore::as_bytes(domain + "\n"), 0600) ||
          !write_file_atomically(dir / "root.key", file.expose(), 0600)) {
        return kmscore::errc::kms_error;
      }
    }
    return load_root();
  }

  [[nodiscard]] const std::string& domain_id() const noexcept { return domain_id_; }

  kmscore::result<std::optional<kmscore::key_record>> find(const kmscore::key_id& key_id) override {
    const auto bytes = read_file(dir_ / "keys" / key_id.str());
    if (!bytes) return std::optional<kmscore::key_record>{};
    auto record = kmscore::open_key_record(*backend_, root_, *bytes);
    if (!record || record->key.key_id != key_id) return kmscore::errc::kms_error;
    return std::optional<kmscore::key_record>{std::move(*record)};
  }

  kmscore::result<void> insert(kmscore::key_record record) override {
    const auto alias_file =
        dir_ / "aliases" / kmscore::hex_encode(kmscore::as_bytes(record.key_alias));
    if (fs::exists(alias_file)) return kmscore::errc::duplicate_key_alias;
    KMSCORE_TRY(write_record(record));
    if (!write_file_atomically(alias_file, kmscore::as_bytes(record.key.key_id.view()), 0600)) {
      return kmscore::errc::kms_error;
    }
    return {};
  }

  kmscore::result<void> update(const kmscore::key_record& record) override {
    if (!fs::exists(dir_ / "keys" / record.key.key_id.str())) return kmscore::errc::key_not_found;
    return write_record(record);
  }

  kmscore::result<std::vector<kmscore::key_record>> list() override {
    std::vector<kmscore::key_record> records;
    std::error_code failure;
    for (const auto& entry : fs::directory_iterator{dir_ / "keys", failure}) {
      const auto name = entry.path().filename().string();
      const auto id = kmscore::key_id::parse(name);
      if (!id) continue;  // temporary files of a crashed writer
      auto found = find(*id);
      if (!found) return found.error();
      if (*found) records.push_back(std::move(**found));
    }
    if (failure) return kmscore::errc::kms_error;
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
      return a.creation_date_ms != b.creation_date_ms ? a.creation_date_ms < b.creation_date_ms
                                                      : a.key.key_id < b.key.key_id;
    });
    return records;
  }

 private:
  kmscore::result<void> load_root() {
    const auto domain = read_file(dir_ / "domain_id");
    auto root_file = kmscore_host::read_secret_file((dir_ / "root.key").c_str(), 4096);
    if (!domain || !root_file) return kmscore::errc::kms_error;
    domain_id_.assign(domain->begin(), domain->end());
    while (!domain_id_.empty() && domain_id_.back() == '\n') domain_id_.pop_back();
    const auto text = root_file->expose();
    if (!kmscore::is_valid_domain_id(domain_id_) || text.size() != 36 + 1 + 64 + 1) {
      return kmscore::errc::kms_error;
    }
    const auto root_id = kmscore::key_id::parse(kmscore::as_chars(text.first(36)));
    if (!root_id) return kmscore::errc::kms_error;
    root_.key_id = *root_id;
    kmscore::secret_bytes material{32};
    const std::string_view hex = kmscore::as_chars(text.subspan(37, 64));
    if (!kmscore::hex_decode(hex, material.expose())) return kmscore::errc::kms_error;
    root_.spec = kmscore::key_spec::aes_256;
    root_.material_versions.push_back(std::move(material));
    return {};
  }

  kmscore::result<void> write_record(const kmscore::key_record& record) {
    auto sealed = kmscore::seal_key_record(*backend_, root_, record);
    if (!sealed) return sealed.error();
    if (!write_file_atomically(dir_ / "keys" / record.key.key_id.str(), *sealed, 0600)) {
      return kmscore::errc::kms_error;
    }
    return {};
  }

  Backend* backend_;
  fs::path dir_;
  std::string domain_id_;
  kmscore::master_key root_;
};

}  // namespace kmscore_tool
