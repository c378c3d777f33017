// The audit trail (host/audit/audit_trail.hpp, docs/audit.md): what a trail holds, that
// verification accepts it whole and fails it with any one record altered, removed, swapped or
// inserted (each reported at its place), a tail after the last checkpoint reported as
// unverified, rotation continuing one chain across files, two writers sharing a file, a torn
// last line cut on open, a file-size limit refusing before an action, and the key facts read
// from a request and its answer.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "audit_trail.hpp"

namespace {

namespace fs = std::filesystem;
using kmscore_host::audit::event;
using kmscore_host::audit::trail;
using kmscore_host::audit::trail_options;

kmscore::secret_bytes seed(kmscore::byte fill = 7) {
  return kmscore::secret_bytes{std::vector<kmscore::byte>(32, fill)};
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in{path};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream out{path, std::ios::trunc};
  for (const auto& line : lines) out << line << "\n";
}

event request(int n) {
  event what;
  what.time_ms = 1'765'000'000'000 + n;
  what.request_id = "0123456789abcdef0123456789abcdef";
  what.access_key = "tester-ak";
  what.project = "5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c";
  what.client = "127.0.0.1";
  what.action = "create-datakey";
  what.key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
  what.key_version = static_cast<std::uint32_t>(n % 3);
  what.status = 200;
  return what;
}

class AuditTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("kmscore_audit_test_" + std::to_string(::getpid()) + "_" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path path() const { return dir_ / "audit.jsonl"; }
  // A trail of n request records, closed (so it ends with a checkpoint).
  void write_trail(int n, trail_options options = {}) {
    if (options.path.empty()) options.path = path().string();
    std::string why;
    auto opened = trail::open(options, seed(), {}, why);
    ASSERT_TRUE(opened) << why;
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(opened->reserve());
      ASSERT_TRUE(opened->append(request(i)));
    }
  }
  kmscore_host::audit::verify_outcome verify(const std::vector<std::string>& files) const {
    return kmscore_host::audit::verify(files, kmscore_host::audit::public_key_pem(seed()));
  }

  fs::path dir_;
};

TEST_F(AuditTest, ARecordHoldsItsFieldsTheChainAndNoMore) {
  write_trail(1);
  const auto lines = lines_of(path());
  ASSERT_EQ(lines.size(), 2U);  // the record and the closing checkpoint
  const auto record = nlohmann::ordered_json::parse(lines[0]);
  std::vector<std::string> names;
  for (const auto& [name, value] : record.items()) names.push_back(name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"seq", "time", "type", "request_id", "access_key", "project",
                                      "client", "action", "key_id", "key_version", "key_alias",
                                      "status", "error_code", "reason", "suppressed", "prev"}));
  EXPECT_EQ(record["seq"], 1);
  EXPECT_EQ(record["time"], "2025-12-06T05:46:40.000Z");
  EXPECT_EQ(record["prev"], std::string(64, '0'));
  const auto checkpoint = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(checkpoint["type"], "checkpoint");
  EXPECT_EQ(checkpoint["records"], 1);
  EXPECT_EQ(checkpoint["seq"], 2);
  // prev: the SHA-256 of the line before, as sha256sum computes it.
  std::array<unsigned char, 32> digest{};
  unsigned size = 0;
  ASSERT_EQ(
      EVP_Digest(lines[0].data(), lines[0].size(), digest.data(), &size, EVP_sha256(), nullptr), 1);
  std::string hex;
  for (const auto b : digest) {
    constexpr std::string_view digits = "0123456789abcdef";
    hex += digits[b >> 4U];
    hex += digits[b & 15U];
  }
  EXPECT_EQ(checkpoint["prev"], hex);
  // Capped: a field past 256 bytes is cut there.
  event big = request(0);
  big.key_alias = std::string(1000, 'a');
  std::string why;
  auto again = trail::open({path().string()}, seed(), {}, why);
  ASSERT_TRUE(again->append(big));
  again.reset();
  EXPECT_EQ(nlohmann::json::parse(lines_of(path())[2])["key_alias"], std::string(256, 'a'));
}

// The checkpoint's signature is plain Ed25519 over the line up to ,"signature": the public key
// PEM and OpenSSL verify it without this code.
TEST_F(AuditTest, CheckpointsVerifyWithOpenSslAlone) {
  write_trail(3);
  const auto line = lines_of(path()).back();
  const auto at = line.rfind(R"(,"signature":")");
  ASSERT_NE(at, std::string::npos);
  const auto hex = line.substr(at + 14, 128);
  std::vector<unsigned char> signature(64);
  for (std::size_t i = 0; i < 64; ++i) {
    signature[i] = static_cast<unsigned char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  const auto pem = kmscore_host::audit::public_key_pem(seed());
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx, signature.data(), 64,
                             reinterpret_cast<const unsigned char*>(line.data()), at),
            1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  BIO_free(bio);
}

// A record's line is exactly what nlohmann's dump() writes for the same members (the writer
// composes lines by hand): quotes, backslashes, control characters, UTF-8, invalid UTF-8
// (replaced), values past the cap (cut, even inside a character), a null key version.
TEST_F(AuditTest, ARecordIsWrittenAsJsonWouldDumpIt) {
  std::vector<event> events;
  events.push_back(request(1));
  auto odd = request(2);
  odd.type = "auth_failure";
  odd.access_key = "quote\" back\\slash";
  odd.client = std::string{"tab\there\nline\x01\x1f\x7f"};
  odd.key_alias = "\xE4\xB8\xAD\xE6\x96\x87 alias";
  odd.reason = std::string{"bad \xff\xfe utf-8 \xE4\xB8"};
  odd.error_code = std::string(300, 'x');
  odd.request_id = std::string(255, 'a') + "\xE4\xB8\xAD";  // cut inside the character
  odd.key_version.reset();
  odd.status = 401;
  odd.suppressed = 12;
  events.push_back(odd);
  {
    std::string why;
    auto opened = trail::open({path().string()}, seed(), {}, why);
    ASSERT_TRUE(opened) << why;
    for (const auto& what : events) ASSERT_TRUE(opened->append(what));
  }
  const auto lines = lines_of(path());
  ASSERT_GE(lines.size(), events.size());
  const auto cap = [](const std::string& text) {
    return text.substr(0, std::min(text.size(), kmscore_host::audit::max_field_bytes));
  };
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& what = events[i];
    const auto parsed = nlohmann::ordered_json::parse(lines[i]);
    nlohmann::ordered_json expected;
    expected["seq"] = i + 1;
    expected["time"] = parsed["time"];
    expected["type"] = cap(what.type);
    expected["request_id"] = cap(what.request_id);
    expected["access_key"] = cap(what.access_key);
    expected["project"] = cap(what.project);
    expected["client"] = cap(what.client);
    expected["action"] = cap(what.action);
    expected["key_id"] = cap(what.key_id);
    expected["key_version"] =
        what.key_version ? nlohmann::ordered_json(*what.key_version) : nlohmann::ordered_json();
    expected["key_alias"] = cap(what.key_alias);
    expected["status"] = what.status;
    expected["error_code"] = cap(what.error_code);
    expected["reason"] = cap(what.reason);
    expected["suppressed"] = what.suppressed;
    expected["prev"] = parsed["prev"];
    EXPECT_EQ(lines[i],
              expected.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace))
        << i;
  }
  EXPECT_NE(lines[1].find(R"("key_version":null)"), std::string::npos);
  EXPECT_NE(lines[1].find("\ufffd"), std::string::npos);  // the invalid bytes, replaced
}

TEST_F(AuditTest, AWholeTrailVerifies) {
  write_trail(20);
  const auto outcome = verify({path().string()});
  EXPECT_FALSE(outcome.error) << outcome.error->reason;
  EXPECT_EQ(outcome.records, 20U);
  EXPECT_EQ(outcome.verified, 20U);
  EXPECT_EQ(outcome.unverified_tail, 0U);
  // Another key's public key verifies nothing.
  const auto foreign =
      kmscore_host::audit::verify({path().string()}, kmscore_host::audit::public_key_pem(seed(8)));
  ASSERT_TRUE(foreign.error);
  EXPECT_EQ(foreign.error->reason, "a checkpoint whose signature does not verify");
}

// Every one-record change fails, reported where it is (line numbers 1-based). The trail: 20
// records, one checkpoint (line 21) written when it closed.
TEST_F(AuditTest, AnyOneRecordAlteredRemovedSwappedOrInsertedFails) {
  write_trail(20);
  const auto original = lines_of(path());
  ASSERT_EQ(original.size(), 21U);
  const auto tampered = [&](const std::vector<std::string>& lines) {
    const auto copy = dir_ / "tampered.jsonl";
    write_lines(copy, lines);
    return verify({copy.string()});
  };
  {  // altered: line 5's status
    auto lines = original;
    const auto at = lines[4].find(R"("status":200)");
    lines[4].replace(at, 12, R"("status":201)");
    const auto outcome = tampered(lines);
    ASSERT_TRUE(outcome.error);
    EXPECT_EQ(outcome.error->line, 5U);
    EXPECT_EQ(outcome.error->reason, "altered: it does not hash to the next record's prev");
  }
  {  // removed: line 8
    auto lines = original;
    lines.erase(lines.begin() + 7);
    const auto outcome = tampered(lines);
    ASSERT_TRUE(outcome.error);
    EXPECT_EQ(outcome.error->line, 8U);
    EXPECT_NE(outcome.error->reason.find("out of sequence"), std::string::npos);
  }
  {  // swapped: lines 10 and 11
    auto lines = original;
    std::swap(lines[9], lines[10]);
    const auto outcome = tampered(lines);
    ASSERT_TRUE(outcome.error);
    EXPECT_EQ(outcome.error->line, 10U);
  }
  {  // inserted: a copy of line 3 after it
    auto lines = original;
    lines.insert(lines.begin() + 3, lines[2]);
    const auto outcome = tampered(lines);
    ASSERT_TRUE(outcome.error);
    EXPECT_EQ(outcome.error->line, 4U);
  }
  {  // the checkpoint's signature altered
    auto lines = original;
    auto& last = lines.back();
    last[last.size() - 3] = last[last.size() - 3] == '0' ? '1' : '0';
    const auto outcome = tampered(lines);
    ASSERT_TRUE(outcome.error);
    EXPECT_EQ(outcome.error->line, 21U);
  }
  {  // the closing checkpoint removed: the records become an unverified tail
    auto lines = original;
    lines.pop_back();
    const auto outcome = tampered(lines);
    EXPECT_FALSE(outcome.error);      // a tail is not an error ...
    EXPECT_EQ(outcome.verified, 0U);  // ... but nothing in it is verified
    EXPECT_EQ(outcome.unverified_tail, 20U);
  }
  const auto twin = tampered(original);  // the same lines, untouched
  EXPECT_FALSE(twin.error);
  EXPECT_EQ(twin.verified, 20U);
}

// Records written since the last checkpoint (the process still running, or killed) are
// counted as an unverified tail, not an error.
TEST_F(AuditTest, ATailAfterTheLastCheckpointIsUnverifiedNotAnError) {
  std::string why;
  trail_options options{path().string()};
  options.checkpoint_interval = std::chrono::hours{1};
  auto open = trail::open(options, seed(), {}, why);
  ASSERT_TRUE(open);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(open->append(request(i)));
  const auto copy = dir_ / "running.jsonl";
  fs::copy_file(path(), copy);
  const auto outcome = verify({copy.string()});
  EXPECT_FALSE(outcome.error);
  EXPECT_EQ(outcome.records, 3U);
  EXPECT_EQ(outcome.verified, 0U);
  EXPECT_EQ(outcome.unverified_tail, 3U);
  open.reset();  // closing writes the checkpoint
  EXPECT_EQ(verify({path().string()}).verified, 3U);
}

// Past max_bytes the file is renamed PATH.<stamp> and a new PATH continues the same chain:
// every file, oldest first, verifies as one trail; one left out does not.
TEST_F(AuditTest, RotationContinuesOneChainAcrossFiles) {
  trail_options options{path().string()};
  options.max_bytes = 4096;
  write_trail(40, options);
  std::vector<std::string> rotated;
  for (const auto& entry : fs::directory_iterator{dir_}) {
    const auto name = entry.path().filename().string();
    if (name.starts_with("audit.jsonl.")) rotated.push_back(entry.path().string());
  }
  std::sort(rotated.begin(), rotated.end());
  ASSERT_GE(rotated.size(), 3U);
  auto all = rotated;
  all.push_back(path().string());
  const auto outcome = verify(all);
  EXPECT_FALSE(outcome.error) << outcome.error->file << ":" << outcome.error->line << " "
                              << outcome.error->reason;
  EXPECT_EQ(outcome.records, 40U);
  EXPECT_EQ(outcome.verified, 40U);
  auto gap = all;
  gap.erase(gap.begin() + 1);
  EXPECT_TRUE(verify(gap).error);
}

// Two writers on one file (two processes, as two servers on one host would be): one chain.
TEST_F(AuditTest, TwoWritersSharingAFileKeepOneChain) {
  std::string why;
  auto first = trail::open({path().string()}, seed(), {}, why);
  auto second = trail::open({path().string()}, seed(), {}, why);
  ASSERT_TRUE(first && second);
  std::thread a{[&] {
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(first->append(request(i)));
  }};
  std::thread b{[&] {
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(second->append(request(i)));
  }};
  a.join();
  b.join();
  first.reset();
  second.reset();
  const auto outcome = verify({path().string()});
  EXPECT_FALSE(outcome.error) << outcome.error->line << " " << outcome.error->reason;
  EXPECT_EQ(outcome.records, 400U);
  EXPECT_EQ(outcome.verified, 400U);
}

// The same with rotation: whichever writer rotates, the other follows into the new file and
// the files, oldest first, are one chain.
TEST_F(AuditTest, TwoWritersRotatingASharedFileKeepOneChain) {
  trail_options options{path().string()};
  options.max_bytes = std::uint64_t{16} * 1024;
  std::string why;
  auto first = trail::open(options, seed(), {}, why);
  auto second = trail::open(options, seed(), {}, why);
  ASSERT_TRUE(first && second);
  std::thread a{[&] {
    for (int i = 0; i < 300; ++i) EXPECT_TRUE(first->append(request(i)));
  }};
  std::thread b{[&] {
    for (int i = 0; i < 300; ++i) EXPECT_TRUE(second->append(request(i)));
  }};
  a.join();
  b.join();
  first.reset();
  second.reset();
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator{dir_}) {
    if (entry.path().filename().string().starts_with("audit.jsonl.")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 4U);
  files.push_back(path().string());
  const auto outcome = verify(files);
  EXPECT_FALSE(outcome.error) << outcome.error->file << ":" << outcome.error->line << " "
                              << outcome.error->reason;
  EXPECT_EQ(outcome.records, 600U);
  EXPECT_EQ(outcome.verified, 600U);
}

// The power-loss window is measured: each fdatasync counted, with how long the oldest record
// it made durable had waited since its write (which includes the fdatasync itself).
TEST_F(AuditTest, ThePowerLossWindowIsMeasured) {
  std::string why;
  auto opened = trail::open({path().string()}, seed(), {}, why);
  ASSERT_TRUE(opened) << why;
  EXPECT_EQ(opened->sync_stats().syncs, 0U);  // nothing written, nothing synced
  ASSERT_TRUE(opened->append(request(1)));
  auto figures = opened->sync_stats();
  for (int i = 0; i < 500 && figures.syncs == 0; ++i) {  // the sync thread's next round
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
    figures = opened->sync_stats();
  }
  ASSERT_GE(figures.syncs, 1U);
  EXPECT_GT(figures.longest_sync.count(), 0);
  EXPECT_GE(figures.longest_window, figures.longest_sync);
  // Nothing new written: no further fdatasync.
  std::this_thread::sleep_for(std::chrono::milliseconds{250});
  EXPECT_EQ(opened->sync_stats().syncs, figures.syncs);
}

// A line cut by a crash mid-write (never reported written) is cut off when the trail opens.
TEST_F(AuditTest, ATornLastLineIsCutOnOpen) {
  write_trail(2);
  {
    std::ofstream out{path(), std::ios::app};
    out << R"({"seq":4,"time":"2025-)";
  }
  EXPECT_TRUE(verify({path().string()}).error);  // torn: refused as it stands
  write_trail(1);
  const auto outcome = verify({path().string()});
  EXPECT_FALSE(outcome.error) << outcome.error->reason;
  EXPECT_EQ(outcome.records, 3U);
}

// Under a file-size limit with too little room left, reserve() refuses (the host then answers
// 503 and does not perform the action); with room, it accepts. In a child process, so that
// the limit binds only there.
TEST_F(AuditTest, AFileSizeLimitRefusesBeforeTheActionNotAfter) {
  write_trail(1);
  const auto size = fs::file_size(path());
  const pid_t child = ::fork();
  if (child == 0) {
    (void)std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{size + 1000, size + 1000};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(7);
    std::string why;
    auto opened = trail::open({path().string()}, seed(), {}, why);
    if (!opened) ::_exit(8);
    ::_exit(opened->reserve() ? 9 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::string why;
  auto roomy = trail::open({path().string()}, seed(), {}, why);
  EXPECT_TRUE(roomy->reserve());  // the twin: no limit
  // /dev/full is no trail: refused when opened, before anything is done.
  EXPECT_FALSE(trail::open({"/dev/full"}, seed(), {}, why));
}

TEST(AuditFactsTest, KeyIdVersionAliasAndCodeComeFromTheRequestAndItsAnswer) {
  event what;
  kmscore_host::audit::fill_key_facts(
      what, R"({"key_alias": "payments", "key_spec":"AES_256"})",
      R"({"key_info":{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","domain_id":"x"}})");
  EXPECT_EQ(what.key_id, "0d0466b0-e727-4d9c-b35d-f84bb474a37f");
  EXPECT_EQ(what.key_alias, "payments");
  EXPECT_FALSE(what.key_version);
  event rotated;
  kmscore_host::audit::fill_key_facts(rotated, R"({"key_id":"k"})",
                                      R"({"key_id":"k","key_version":3})");
  EXPECT_EQ(rotated.key_version, 3U);
  event refused;
  kmscore_host::audit::fill_key_facts(
      refused, R"({"key_id":"k"})",
      R"({"error":{"error_code":"KMS.0207","error_msg":"The key does not exist."}})");
  EXPECT_EQ(refused.key_id, "k");
  EXPECT_EQ(refused.error_code, "KMS.0207");
  event none;
  kmscore_host::audit::fill_key_facts(none, R"({"cipher_text":"zz"})", "{}");
  EXPECT_FALSE(none.key_version);  // not an envelope: no version claimed
}

}  // namespace
