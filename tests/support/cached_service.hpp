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

  // Adds a material version as automatic rotation does (rotate-key, the on-demand action,
  // may do so only max_on_demand_rotations times per key).
  [[nodiscard]] bool rotate(const kmscore::key_id& id, std::int64_t now_ms) {
    return service
        .change_key(id, now_ms,
                    [&](kmscore::key_record& record) -> kmscore::result<void> {
                      KMSCORE_TRY(kmscore::rotate_key(backend, record, now_ms));
                      return {};
                    })
        .has_value();
  }
};

}  // namespace kmscore_test
