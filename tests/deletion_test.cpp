// Deletion on a real server and tool under a moved clock (issue 24; system test, run once in
// the plain build). The clock is moved with libfaketime (Debian `faketime`, LD_PRELOAD), and
// the client signs with the same moved clock. A key scheduled for deletion in 7 days:
//   - is served until its date, and from that instant is gone on every path of a running
//     server, before any maintenance pass: 404 KMS.0207, not listed, its envelopes refused,
//     while another key's still open;
//   - `kmscore maintain` then removes it (`{"rotated": 0, "deleted": 1, "expired": 0}`, once),
//     after which its key id, alias and sealed record are in none of the SQLite files;
//   - its alias is free on the server afterwards.
// The store-level half (every action, every store, the key cache, aliases reclaimed before a
// pass) is store_test.cpp's PastItsDeletionDateAKeyIsGoneOnEveryPathThenRemoved.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/serve_process.hpp"

namespace {

using namespace kmscore_test::serve;  // NOLINT(google-build-using-namespace)

constexpr std::int64_t day_s = 86'400;

// libfaketime's multithreaded preload library, wherever Debian put it for this architecture.
std::optional<fs::path> faketime_library() {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator{"/usr/lib", error}) {
    const auto candidate = entry.path() / "faketime" / "libfaketimeMT.so.1";
    if (fs::exists(candidate)) return candidate;
  }
  return std::nullopt;
}

// The environment that moves a process's wall clock by `offset_s` seconds (its monotonic clock,
// which timers use, stays real).
std::vector<std::string> moved_clock(std::int64_t offset_s) {
  const auto library = faketime_library();
  return {"LD_PRELOAD=" + (library ? library->string() : std::string{"libfaketimeMT.so.1"}),
          "FAKETIME=" + std::string{offset_s >= 0 ? "+" : ""} + std::to_string(offset_s),
          "FAKETIME_DONT_FAKE_MONOTONIC=1"};
}

// Every byte of the file (empty if it does not exist).
std::string bytes_of(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

class DeletionTest : public server_fixture {
 protected:
  // `kmscore --state STATE ARGS` with the environment `env`; its standard output and exit code.
  std::pair<int, std::string> tool(const std::string& args, const std::vector<std::string>& env) {
    std::string command = "env";
    for (const auto& entry : env) command += " '" + entry + "'";
    command += std::string{" '"} + KMSCORE_TOOL_PATH + "' --state '" + state().string() + "' " +
               args + " </dev/null 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");  // NOLINT(cert-env33-c): the test runs the tool
    if (pipe == nullptr) return {-1, {}};
    std::string out;
    std::array<char, 4096> chunk{};
    for (std::size_t got = 0; (got = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0;) {
      out.append(chunk.data(), got);
    }
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }

  // A signed action on the current server, signed with the clock `offset_s` seconds ahead.
  answer at(std::int64_t offset_s, std::string_view action, const json& body) {
    call c;
    c.path = action_path(project_a, action);
    c.body = body.dump();
    c.clock_offset = offset_s;
    return send(c);
  }

  // The sealed record of a key, read from the SQLite file.
  std::string sealed_record(const std::string& key_id) {
    sqlite3* db = nullptr;
    std::string record;
    if (sqlite3_open_v2((state() / "kmscore.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
        SQLITE_OK) {
      sqlite3_stmt* query = nullptr;
      sqlite3_prepare_v2(db, "SELECT record FROM keys WHERE key_id = ?", -1, &query, nullptr);
      sqlite3_bind_text(query, 1, key_id.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(query) == SQLITE_ROW) {
        record.assign(static_cast<const char*>(sqlite3_column_blob(query, 0)),
                      static_cast<std::size_t>(sqlite3_column_bytes(query, 0)));
      }
      sqlite3_finalize(query);
    }
    sqlite3_close(db);
    return record;
  }

  // How many of the store's files hold `needle` somewhere.
  int files_holding(const std::string& needle) {
    int found = 0;
    for (const char* name : {"kmscore.db", "kmscore.db-wal", "kmscore.db-shm"}) {
      if (bytes_of(state() / name).find(needle) != std::string::npos) ++found;
    }
    return found;
  }
};

TEST_F(DeletionTest, AKeyIsGoneAtItsDateOnARunningServerAndMaintainDestroysIt) {
  ASSERT_TRUE(faketime_library()) << "libfaketime is missing: scripts/test installs faketime";
  const std::string alias = "doomed-7f3c9a";
  // Today: two keys, a data key under each, and the one scheduled for deletion in 7 days.
  ASSERT_TRUE(server().started()) << server().log();
  const auto made = at(0, "create-key", {{"key_alias", alias}});
  const auto kept = at(0, "create-key", {{"key_alias", "kept"}});
  ASSERT_EQ(made.status, 200) << made.body;
  ASSERT_EQ(kept.status, 200) << kept.body;
  const std::string doomed = made.body_json()["key_info"]["key_id"];
  const std::string kept_id = kept.body_json()["key_info"]["key_id"];
  const auto datakey = at(0, "create-datakey", {{"key_id", doomed}, {"datakey_length", "256"}});
  const auto kept_datakey =
      at(0, "create-datakey", {{"key_id", kept_id}, {"datakey_length", "256"}});
  ASSERT_EQ(datakey.status, 200);
  ASSERT_EQ(kept_datakey.status, 200);
  const auto scheduled =
      at(0, "schedule-key-deletion", {{"key_id", doomed}, {"pending_days", "7"}});
  ASSERT_EQ(scheduled.status, 200) << scheduled.body;
  const auto decrypt = [&](const answer& made_datakey, const std::string& id) {
    return json{{"key_id", id},
                {"cipher_text", made_datakey.body_json()["cipher_text"]},
                {"datakey_cipher_length", "32"}};
  };
  ASSERT_EQ(server_->stop(), 0);
  const auto record = sealed_record(doomed);
  ASSERT_GT(record.size(), 64U);
  EXPECT_GE(files_holding(doomed), 1);  // the twin of the end: the bytes are there to find

  // Six seconds before its date, on a server (and a client) whose clock is 7 days ahead: the
  // key is there, pending deletion; then its date passes while the server runs.
  const std::int64_t ahead = 7 * day_s - 6;
  server_ = start({}, moved_clock(ahead));
  ASSERT_TRUE(server_->started()) << server_->log();
  const auto before = at(ahead, "describe-key", {{"key_id", doomed}});
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(before.body_json()["key_info"]["key_state"], "4");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  answer gone;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds{250});
    gone = at(ahead, "describe-key", {{"key_id", doomed}});
  } while (gone.status == 200 && std::chrono::steady_clock::now() < deadline);
  expect_kms_error(gone, 404, "KMS.0207");
  // Every path, before any pass has run (the one at start found nothing due).
  for (const auto& [action, body] : std::vector<std::pair<std::string, json>>{
           {"cancel-key-deletion", {{"key_id", doomed}}},
           {"enable-key", {{"key_id", doomed}}},
           {"get-key-rotation-status", {{"key_id", doomed}}},
           {"create-datakey", {{"key_id", doomed}, {"datakey_length", "256"}}},
           {"decrypt-datakey", decrypt(datakey, doomed)},
           {"re-encrypt-datakey",
            [&] {
              auto body = decrypt(datakey, doomed);
              body["destination_key_id"] = kept_id;
              return body;
            }()},
       }) {
    SCOPED_TRACE(action);
    expect_kms_error(at(ahead, action, body), 404, "KMS.0207");
  }
  const auto listed = at(ahead, "list-keys", json::object());
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body_json()["total"], 1) << listed.body;
  EXPECT_EQ(listed.body_json()["keys"], json::array({kept_id}));
  EXPECT_EQ(at(ahead, "decrypt-datakey", decrypt(kept_datakey, kept_id)).status, 200);
  EXPECT_EQ(server_->log().find("maintenance: "), std::string::npos) << server_->log();
  ASSERT_EQ(server_->stop(), 0);
  EXPECT_GE(files_holding(doomed), 1);  // gone, not yet destroyed

  // Eight days ahead: the pass destroys it, once; then nothing of it is in the files.
  const std::int64_t later = 8 * day_s;
  EXPECT_EQ(tool("maintain", moved_clock(later)),
            (std::pair<int, std::string>{0, R"({"rotated": 0, "deleted": 1, "expired": 0})"
                                            "\n"}));
  EXPECT_EQ(tool("maintain", moved_clock(later)),
            (std::pair<int, std::string>{0, R"({"rotated": 0, "deleted": 0, "expired": 0})"
                                            "\n"}));
  EXPECT_EQ(files_holding(doomed), 0);
  EXPECT_EQ(files_holding(alias), 0);
  EXPECT_EQ(files_holding(record.substr(record.size() - 48)), 0);  // the sealed material's tail
  EXPECT_EQ(files_holding(kept_id), 1);  // the twin: the kept key is still stored

  // The alias is free again; the old envelope stays refused.
  server_ = start({}, moved_clock(later));
  ASSERT_TRUE(server_->started()) << server_->log();
  expect_kms_error(at(later, "decrypt-datakey", decrypt(datakey, doomed)), 404, "KMS.0207");
  const auto reused = at(later, "create-key", {{"key_alias", alias}});
  EXPECT_EQ(reused.status, 200) << reused.body;
  EXPECT_NE(reused.body_json()["key_info"]["key_id"], doomed);
  EXPECT_EQ(at(later, "decrypt-datakey", decrypt(kept_datakey, kept_id)).status, 200);
}

}  // namespace
