// Test support: a memory store, its test project, a shared key cache and a service over
// them (the server's arrangement, in one process), and a key made through it.
#pragma once

#include <kmscore/json.hpp>

#include <cstdint>

#include "backends.hpp"
#include "project.hpp"

namespace kmscore_test {

struct cached_service {
  combined backend;
  kmscore::memory_key_store store;
  kmscore::project tenant = test_project(store);
  kmscore::key_cache<combined> cache{backend};
  kmscore::kms_service<combined> service{
      backend, store, tenant, kmscore::datakey_length_policy::range, {}, &cache};

  // A new AES_256 key's id (nil if create-key failed: the caller asserts on its use).
  kmscore::key_id make_key(const char* alias, std::int64_t now_ms) {
    kmscore::create_key_request create;
    create.key_alias = alias;
    const auto made = service.run<kmscore::actions::create_key>(create, now_ms);
    return made ? made->key.key_id : kmscore::key_id{};
  }
};

}  // namespace kmscore_test
