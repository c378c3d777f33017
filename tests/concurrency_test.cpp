// Several threads creating, opening and managing keys through one shared backend, key store
// and service (also built under ThreadSanitizer by scripts/sanitize).
#include <kmscore/json.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/backends.hpp"
#include "support/cached_service.hpp"
#include "support/project.hpp"

namespace {

TEST(ConcurrencyTest, ThreadsShareBackendStoreAndService) {
  kmscore_test::combined backend;
  kmscore::memory_key_store store;
  kmscore::kms_service service{backend, store, kmscore_test::test_project(store)};
  constexpr int threads = 4;
  constexpr int rounds = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        kmscore::create_key_request create;
        create.key_alias = "t" + std::to_string(t) + "-" + std::to_string(i);
        create.key_spec = i % 2 == 0 ? "AES_256" : "SM4";
        const auto record = service.run<kmscore::actions::create_key>(create, i);
        if (!record) {
          ++failures;
          continue;
        }
        kmscore::create_datakey_request request;
        request.key_id = record->key.key_id.str();
        request.datakey_length = "512";
        const auto made =
            service.run<kmscore::actions::create_datakey>(request, kmscore_test::test_now_ms);
        kmscore::decrypt_datakey_request decrypt;
        decrypt.key_id = record->key.key_id.str();
        decrypt.cipher_text = made ? std::string{made->cipher_text()} : "";
        decrypt.datakey_cipher_length = "64";
        const auto opened =
            service.run<kmscore::actions::decrypt_datakey>(decrypt, kmscore_test::test_now_ms);
        if (!made || !opened || opened->expose_data_key() != made->expose_plain_text()) {
          ++failures;
        }
        kmscore::key_id_request id{record->key.key_id.str(), std::nullopt};
        if (!service.run<kmscore::actions::disable_key>(id, kmscore_test::test_now_ms) ||
            !service.run<kmscore::actions::enable_key>(id, kmscore_test::test_now_ms))
          ++failures;
        // Everyone races for one shared alias too: exactly one wins overall.
        kmscore::create_key_request shared;
        shared.key_alias = "shared";
        (void)service.run<kmscore::actions::create_key>(shared, 0);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(failures.load(), 0);
  kmscore::key_list_query every;
  every.spec.reset();  // every spec
  const auto all = store.list(kmscore_test::project_id, every);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->total, static_cast<std::size_t>(threads * rounds + 1));
}

// Threads sharing one key cache open envelopes of many versions of one key at once: the
// entry's opener derives each version on first use under its lock, and every thread gets
// every data key back (under ThreadSanitizer: no race between finding and adding keys).
TEST(ConcurrencyTest, ThreadsShareOneCachedOpenerThatDerivesOnFirstUse) {
  kmscore_test::cached_service setup;
  const auto key = setup.make_key("shared", 1);
  const auto id = key.str();
  kmscore::create_datakey_request request;
  request.key_id = id;
  request.datakey_length = "256";
  std::vector<std::pair<std::string, std::string>> envelopes;  // (cipher, plain), one a version
  for (int version = 0; version < 12; ++version) {
    const auto dek =
        setup.service.run<kmscore::actions::create_datakey>(request, kmscore_test::test_now_ms);
    ASSERT_TRUE(dek);
    envelopes.emplace_back(dek->cipher_text(), dek->expose_plain_text());
    ASSERT_TRUE(setup.service.run<kmscore::actions::rotate_key>(kmscore::key_id_request{id, {}},
                                                                2 + version));
  }
  constexpr int threads = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      kmscore::kms_service mine{
          setup.backend, setup.store, setup.tenant, kmscore::datakey_length_policy::range, {},
          &setup.cache};
      for (std::size_t i = 0; i < envelopes.size(); ++i) {
        const auto& [cipher, plain] =
            envelopes[(i + static_cast<std::size_t>(t) * 3) % envelopes.size()];
        kmscore::decrypt_datakey_request decrypt;
        decrypt.key_id = id;
        decrypt.cipher_text = cipher;
        decrypt.datakey_cipher_length = "32";
        const auto opened =
            mine.run<kmscore::actions::decrypt_datakey>(decrypt, kmscore_test::test_now_ms);
        if (!opened || opened->expose_data_key() != plain) ++failures;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(failures.load(), 0);
  const auto entry = setup.cache.get(setup.store, setup.tenant.id, key);
  ASSERT_TRUE(entry && *entry && (*entry)->opener);
  EXPECT_EQ((*entry)->opener->derived_count(), envelopes.size());  // each version once
}

}  // namespace
