// Test support: the key stores under test, each opened fresh per test, and the PostgreSQL
// server the PostgreSQL runs start (tests/support/pg_server.sh: a real server, Unix socket
// only, in a temporary directory).
#pragma once

#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/key_record_codec.hpp>
#include <kmscore/key_store.hpp>
#include <kmscore/keyring.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "durable_key_store.hpp"

namespace kmscore_test {

namespace fs = std::filesystem;

// A fixed root key for the stores' sealer (tests only).
inline kmscore::master_key test_root_key() {
  kmscore::master_key root;
  root.key_id = *kmscore::key_id::parse("00000000-0000-4000-8000-00000000000a");
  root.material_versions.emplace_back(std::vector<kmscore::byte>(32, 0x6B));
  return root;
}

// Diagnostics collected by the stores (the tests assert on what is reported).
struct diagnostics_log {
  std::mutex mutex;
  std::vector<std::string> lines;
  kmscore::diagnostics_sink sink() {
    return [this](std::string_view line) {
      const std::lock_guard lock{mutex};
      lines.emplace_back(line);
    };
  }
  bool mentions(const std::string& text) {
    const std::lock_guard lock{mutex};
    for (const auto& line : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

inline std::string shell_output(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");  // NOLINT(cert-env33-c): the test runs scripts
  if (pipe == nullptr) return out;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  ::pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

inline std::string pg_script() {
  return std::string{KMSCORE_SOURCE_DIR} + "/tests/support/pg_server.sh";
}

// One PostgreSQL server for the whole test binary; a fresh database per test.
class postgres_server {
 public:
  static postgres_server& instance() {
    static postgres_server server;
    return server;
  }
  [[nodiscard]] bool running() const noexcept { return running_; }
  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }
  // A new, empty database and its URL.
  std::string fresh_database() {
    const std::string name =
        "kmscore_t" + std::to_string(::getpid()) + "_" + std::to_string(++count_);
    const std::string base = shell_output(pg_script() + " url " + dir_);
    const std::string admin = "psql -q '" + base + "' -c 'CREATE DATABASE " + name + "'";
    EXPECT_EQ(std::system(admin.c_str()), 0);  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
    const auto slash = base.find("/kmscore?");
    return base.substr(0, slash) + "/" + name + base.substr(slash + 8);
  }
  void stop(const char* mode) {
    const std::string command = pg_script() + " stop " + dir_ + " " + mode;
    EXPECT_EQ(std::system(command.c_str()), 0);  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
  }
  void restart() {
    const std::string command = pg_script() + " restart " + dir_;
    EXPECT_EQ(std::system(command.c_str()), 0);  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
  }
  ~postgres_server() {
    if (!running_) return;
    const std::string command =
        pg_script() + " stop " + dir_ + " fast >/dev/null 2>&1; rm -rf " + dir_;
    (void)std::system(command.c_str());  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
  }
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

 private:
  postgres_server() {
    char pattern[] = "/tmp/kmscore-pg-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (made == nullptr) return;
    dir_ = made;
    const std::string command = pg_script() + " start " + dir_;
    running_ = std::system(command.c_str()) == 0;  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
  }
  std::string dir_;
  bool running_ = false;
  std::atomic<int> count_{0};
};

// The kinds of store. Each gives a store per test, and (persistent kinds) new connections
// to the same database, for other processes and for raw access.
struct memory_kind {
  static constexpr const char* name = "memory";
  static constexpr bool persistent = false;
};
struct sqlite_kind {
  static constexpr const char* name = "sqlite";
  static constexpr bool persistent = true;
};
struct postgres_kind {
  static constexpr const char* name = "postgresql";
  static constexpr bool persistent = true;
};

template <class Kind>
class store_under_test {
 public:
  store_under_test() : sealer_{backend_, test_root_key()} {
    if constexpr (std::is_same_v<Kind, memory_kind>) {
      memory_ = std::make_unique<kmscore::memory_key_store>();
    } else if constexpr (std::is_same_v<Kind, sqlite_kind>) {
      char pattern[] = "/tmp/kmscore-sqlite-XXXXXX";
      const char* made = ::mkdtemp(pattern);
      dir_ = made == nullptr ? "" : made;
      url_ = "sqlite:" + dir_ + "/kmscore.db";
    } else {
      url_ = postgres_server::instance().fresh_database();
    }
    if constexpr (Kind::persistent) durable_ = connect();
  }
  ~store_under_test() {
    durable_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  store_under_test(const store_under_test&) = delete;
  store_under_test& operator=(const store_under_test&) = delete;

  kmscore::key_store& store() {
    if constexpr (Kind::persistent) {
      return *durable_;
    } else {
      return *memory_;
    }
  }
  kmscore_host::durable_key_store& durable() { return *durable_; }
  // A new connection to the same database (persistent kinds).
  std::unique_ptr<kmscore_host::durable_key_store> connect() {
    std::string why;
    auto opened = kmscore_host::open_key_store(url_, sealer_, log.sink(), why);
    EXPECT_TRUE(opened) << why;
    return opened;
  }
  [[nodiscard]] const std::string& url() const noexcept { return url_; }

  // Flips one byte of a key's stored record, behind the store's back (position from the
  // start, or from the end when negative): what a damaged disk or a careless DBA does.
  void flip_record_byte(const kmscore::key_id& id, long position) {
    if constexpr (std::is_same_v<Kind, sqlite_kind>) {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(url_.substr(7).c_str(), &db), SQLITE_OK);
      sqlite3_stmt* read = nullptr;
      ASSERT_EQ(
          sqlite3_prepare_v2(db, "SELECT record FROM keys WHERE key_id = ?", -1, &read, nullptr),
          SQLITE_OK);
      sqlite3_bind_text(read, 1, id.view().data(), 36, SQLITE_TRANSIENT);
      ASSERT_EQ(sqlite3_step(read), SQLITE_ROW);
      const auto* data = static_cast<const kmscore::byte*>(sqlite3_column_blob(read, 0));
      std::vector<kmscore::byte> record(data, data + sqlite3_column_bytes(read, 0));
      sqlite3_finalize(read);
      const auto at = position >= 0 ? static_cast<std::size_t>(position)
                                    : record.size() - static_cast<std::size_t>(-position);
      record[at] ^= 0x01;
      sqlite3_stmt* write = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE keys SET record = ? WHERE key_id = ?", -1, &write,
                                   nullptr),
                SQLITE_OK);
      sqlite3_bind_blob(write, 1, record.data(), static_cast<int>(record.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(write, 2, id.view().data(), 36, SQLITE_TRANSIENT);
      EXPECT_EQ(sqlite3_step(write), SQLITE_DONE);
      sqlite3_finalize(write);
      sqlite3_close(db);
    } else if constexpr (std::is_same_v<Kind, postgres_kind>) {
      const std::string at = position >= 0 ? std::to_string(position)
                                           : "length(record) - " + std::to_string(-position);
      const std::string command =
          "psql -q '" + url_ + "' -c \"UPDATE keys SET record = set_byte(record, " + at +
          ", get_byte(record, " + at + ") # 1) WHERE key_id = '" + id.str() + "'\"";
      EXPECT_EQ(std::system(command.c_str()), 0);  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
    }
  }
  // Runs SQL on the database, behind the store's back.
  void run_sql(const std::string& sql) {
    if constexpr (std::is_same_v<Kind, sqlite_kind>) {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(url_.substr(7).c_str(), &db), SQLITE_OK);
      EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      sqlite3_close(db);
    } else if constexpr (std::is_same_v<Kind, postgres_kind>) {
      const std::string command = "psql -q -v ON_ERROR_STOP=1 '" + url_ + "' -c \"" + sql + "\"";
      EXPECT_EQ(std::system(command.c_str()), 0);  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
    }
  }
  kmscore::record_sealer& sealer() { return sealer_; }

  diagnostics_log log;

 private:
  kmscore::backend::cryptopp backend_;
  kmscore::root_key_sealer<kmscore::backend::cryptopp> sealer_;
  std::unique_ptr<kmscore::memory_key_store> memory_;
  std::unique_ptr<kmscore_host::durable_key_store> durable_;
  std::string dir_;
  std::string url_;
};

}  // namespace kmscore_test
