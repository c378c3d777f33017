// Atomicity and faults of the stores that persist (system test: run once, in the plain build).
//
// Crash loop: a child process opens the store and creates keys, data keys and state changes,
// reporting each one the store acknowledged on a pipe; the parent kills it with SIGKILL at a
// random moment, 200 times per store. After the kills, every acknowledged key is describable,
// every acknowledged data key decrypts to the same DEK, and every key the store lists opens
// (no half-made key). SIGKILL leaves the page cache intact, so this proves atomicity; the
// durability settings are read back by store_test. Faults: SQLite on a file size limit that
// fills up, SQLite opened by a user who may not write it, PostgreSQL stopped abruptly and
// restarted; each answers 500 KMS.0101 while failing, and nothing acknowledged is lost.
#include <kmscore/actions.hpp>
#include <kmscore/backend/cryptopp.hpp>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "support/project.hpp"
#include "support/stores.hpp"

namespace {

using kmscore_test::postgres_kind;
using kmscore_test::sqlite_kind;

constexpr kmscore::project_id project_id =
    *kmscore::project_id::parse("cccccccccccccccccccccccccccccccc");
constexpr const char* domain_id = "0123456789abcdef0123456789abcdef";
constexpr int kills = 200;

struct acknowledged {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> keys;  // id -> DEKs
  std::size_t operations = 0;
};

// The child's loop: each acknowledged operation is one line on the pipe (one write, shorter
// than PIPE_BUF, so a kill never leaves half a line).
void work_until_killed(kmscore::key_store& store, int fd, int round) {
  kmscore::backend::cryptopp backend;
  const auto project = store.find_project(project_id);
  if (!project || !*project) ::_exit(3);
  kmscore::kms_service service{backend, store, **project};
  auto say = [fd](const std::string& line) {
    const std::string text = line + "\n";
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) ::_exit(4);
  };
  for (int n = 0;; ++n) {
    kmscore::create_key_request create;
    create.key_alias = "r" + std::to_string(round) + "-" + std::to_string(n);
    const auto made = service.template run<kmscore::actions::create_key>(create, n);
    if (!made) continue;
    const auto id = made->key.key_id.str();
    say("K " + id);
    kmscore::create_datakey_request datakey;
    datakey.key_id = id;
    datakey.datakey_length = "256";
    const auto dek =
        service.template run<kmscore::actions::create_datakey>(datakey, kmscore_test::test_now_ms);
    if (dek)
      say("D " + id + " " + std::string{dek->cipher_text()} + " " +
          std::string{dek->expose_plain_text()});
    const kmscore::key_id_request key{id, std::nullopt};
    if (service.template run<kmscore::actions::disable_key>(key, kmscore_test::test_now_ms))
      say("S " + id);
    if (service.template run<kmscore::actions::enable_key>(key, kmscore_test::test_now_ms))
      say("S " + id);
  }
}

void read_acks(int fd, acknowledged& acks) {
  std::string text;
  char buffer[4096];
  for (ssize_t got = ::read(fd, buffer, sizeof buffer); got > 0;
       got = ::read(fd, buffer, sizeof buffer)) {
    text.append(buffer, static_cast<std::size_t>(got));
  }
  std::istringstream lines{text};
  std::string kind;
  std::string id;
  while (lines >> kind >> id) {
    ++acks.operations;
    if (kind == "K") acks.keys[id];
    if (kind == "D") {
      std::string cipher;
      std::string plain;
      lines >> cipher >> plain;
      acks.keys[id].emplace_back(cipher, plain);
    }
  }
}

template <class Kind>
void verify(kmscore_test::store_under_test<Kind>& subject, const acknowledged& acks) {
  auto store = subject.connect();
  ASSERT_TRUE(store);
  kmscore::backend::cryptopp backend;
  kmscore::kms_service service{backend, *store, **store->find_project(project_id)};
  for (const auto& [id, deks] : acks.keys) {
    const auto described = service.template run<kmscore::actions::describe_key>(
        {id, std::nullopt}, kmscore_test::test_now_ms);
    ASSERT_TRUE(described) << "lost key " << id;
    // A kill between an acknowledged disable and its enable leaves the key disabled.
    const auto state = described->key.state;
    ASSERT_TRUE(state == kmscore::key_state::enabled || state == kmscore::key_state::disabled);
    if (state == kmscore::key_state::disabled) {
      ASSERT_TRUE(service.template run<kmscore::actions::enable_key>({id, std::nullopt},
                                                                     kmscore_test::test_now_ms));
    }
    for (const auto& [cipher, plain] : deks) {
      kmscore::decrypt_datakey_request request;
      request.key_id = id;
      request.cipher_text = cipher;
      request.datakey_cipher_length = "32";
      const auto opened = service.template run<kmscore::actions::decrypt_datakey>(
          request, kmscore_test::test_now_ms);
      ASSERT_TRUE(opened) << "a data key of " << id
                          << " no longer decrypts: " << opened.error().code_string();
      EXPECT_EQ(opened->expose_data_key(), plain);
    }
  }
  kmscore::key_list_query every;
  every.spec.reset();
  every.limit = kmscore::max_list_limit;
  std::size_t listed = 0;
  for (every.offset = 0;; every.offset += every.limit) {
    const auto page = store->list(project_id, every);
    ASSERT_TRUE(page);
    for (const auto& record : page->records) {
      ++listed;
      const auto whole = store->find(project_id, record.key.key_id);
      ASSERT_TRUE(whole && *whole) << "half-made key " << record.key.key_id.str();
    }
    if (every.offset + every.limit >= page->total) break;
  }
  EXPECT_GE(listed, acks.keys.size());
}

template <class Kind>
class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(subject_.store().ensure_project(project_id, domain_id)); }
  kmscore_test::store_under_test<Kind> subject_;
};
using persistent_kinds = ::testing::Types<sqlite_kind, postgres_kind>;
TYPED_TEST_SUITE(CrashTest, persistent_kinds);

TYPED_TEST(CrashTest, KilledAtRandomTwoHundredTimesLosesNothingAcknowledged) {
  acknowledged acks;
  std::random_device seed;
  std::mt19937 random{seed()};
  std::uniform_int_distribution<int> delay_us{500, 40'000};
  for (int round = 0; round < kills; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      auto store = this->subject_.connect();
      if (!store) ::_exit(2);
      work_until_killed(*store, fds[1], round);
    }
    ::close(fds[1]);
    ::usleep(static_cast<useconds_t>(delay_us(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself: " << status;
    read_acks(fds[0], acks);
    ::close(fds[0]);
    if (round % 50 == 49) verify(this->subject_, acks);
  }
  verify(this->subject_, acks);
  std::printf("[ figures  ] %s: %d kills, %zu operations acknowledged, %zu keys, lost: 0\n",
              TypeParam::name, kills, acks.operations, acks.keys.size());
  EXPECT_GT(acks.keys.size(), 0U);
}

// ---- faults -------------------------------------------------------------------------------

// Creates keys until failures; returns acknowledged ids on the pipe, then the number of
// failures that were not 500 KMS.0101 as the exit status.
void create_until_failing(kmscore::key_store& store, int fd) {
  kmscore::backend::cryptopp backend;
  const auto project = store.find_project(project_id);
  if (!project || !*project) ::_exit(3);
  kmscore::kms_service service{backend, store, **project};
  int failures = 0;
  int unclear = 0;
  for (int n = 0; n < 5000 && failures < 20; ++n) {
    kmscore::create_key_request create;
    create.key_alias = "fill-" + std::to_string(n);
    const auto made = service.template run<kmscore::actions::create_key>(create, n);
    if (made) {
      const std::string line = "K " + made->key.key_id.str() + "\n";
      if (::write(fd, line.data(), line.size()) < 0) ::_exit(4);
    } else {
      ++failures;
      if (made.error().code_string() != "KMS.0101" || made.error().http_status() != 500) ++unclear;
    }
  }
  ::_exit(failures == 0 ? 5 : (unclear == 0 ? 0 : 6));
}

class SqliteFaultTest : public CrashTest<sqlite_kind> {};

TEST_F(SqliteFaultTest, AFullDiskAnswers500AndKeepsEveryAcknowledgedKey) {
  const std::string path = subject_.url().substr(7);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    (void)std::signal(SIGXFSZ, SIG_IGN);  // writes past the limit fail with EFBIG instead
    auto store = subject_.connect();
    if (!store) ::_exit(2);
    const rlim_t room = static_cast<rlim_t>(info.st_size) + rlim_t{256} * 1024;
    const rlimit limit{room, room};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(7);
    create_until_failing(*store, fds[1]);
  }
  ::close(fds[1]);
  acknowledged acks;
  read_acks(fds[0], acks);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "5: never failed, 6: a failure was not 500 KMS.0101";
  EXPECT_GT(acks.keys.size(), 0U);
  verify(subject_, acks);  // with the space back, everything acknowledged is there
  auto record = subject_.connect();
  ASSERT_TRUE(record);
  kmscore::backend::cryptopp backend;
  kmscore::kms_service service{backend, *record, **record->find_project(project_id)};
  kmscore::create_key_request create;
  create.key_alias = "after-the-fault";
  EXPECT_TRUE(service.template run<kmscore::actions::create_key>(create, 1));
}

TEST_F(SqliteFaultTest, AUserWhoMayNotWriteGetsAClearErrorAndChangesNothing) {
  kmscore::backend::cryptopp backend;
  kmscore::kms_service service{backend, subject_.store(),
                               **subject_.store().find_project(project_id)};
  kmscore::create_key_request create;
  create.key_alias = "before";
  const auto before = service.template run<kmscore::actions::create_key>(create, 1);
  ASSERT_TRUE(before);
  const std::string path = subject_.url().substr(7);
  const std::string dir = path.substr(0, path.rfind('/'));
  const pid_t child = ::fork();
  if (child == 0) {
    // Root ignores file modes: become an unprivileged user; otherwise make the files read-only.
    if (::geteuid() == 0) {
      if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(7);
    } else {
      ::chmod(dir.c_str(), 0500);
      ::chmod(path.c_str(), 0400);
    }
    std::string why;
    auto store = kmscore_host::open_key_store(subject_.url(), subject_.sealer(), {}, why);
    if (!store) ::_exit(why.empty() ? 1 : 0);  // refused at open, with the reason: clear
    kmscore::kms_service refused{backend, *store, kmscore::project{project_id, domain_id}};
    kmscore::create_key_request denied;
    denied.key_alias = "denied";
    const auto made = refused.template run<kmscore::actions::create_key>(denied, 2);
    ::_exit(!made && made.error().code_string() == "KMS.0101" ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ::chmod(dir.c_str(), 0700);
  ::chmod(path.c_str(), 0600);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const auto listed =
      service.template run<kmscore::actions::list_keys>({}, kmscore_test::test_now_ms);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->total, 1U);
  EXPECT_TRUE(service.template run<kmscore::actions::describe_key>(
      {before->key.key_id.str(), std::nullopt}, kmscore_test::test_now_ms));
}

class PostgresFaultTest : public CrashTest<postgres_kind> {};

TEST_F(PostgresFaultTest, AServerStoppedAbruptlyAnswers500ThenRecovers) {
  auto& store = subject_.store();
  kmscore::backend::cryptopp backend;
  kmscore::kms_service service{backend, store, **store.find_project(project_id)};
  acknowledged acks;
  auto create = [&](int n) {
    kmscore::create_key_request request;
    request.key_alias = "pg-" + std::to_string(n);
    return service.template run<kmscore::actions::create_key>(request, n);
  };
  for (int n = 0; n < 20; ++n) {
    const auto made = create(n);
    ASSERT_TRUE(made);
    acks.keys[made->key.key_id.str()];
  }
  kmscore_test::postgres_server::instance().stop("immediate");
  for (int n = 20; n < 23; ++n) {
    const auto refused = create(n);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code_string(), "KMS.0101");
  }
  EXPECT_TRUE(subject_.log.mentions("postgresql store"));
  kmscore_test::postgres_server::instance().restart();
  int recovered = -1;
  for (int n = 23; n < 33 && recovered < 0; ++n) {
    if (const auto made = create(n)) {
      recovered = n;
      acks.keys[made->key.key_id.str()];
    }
  }
  EXPECT_GE(recovered, 23) << "the store did not reconnect";
  verify(subject_, acks);
}

}  // namespace
