// Test support: the project (tenant) the tests' keys belong to, made in a store.
#pragma once

#include <kmscore/key_store.hpp>

namespace kmscore_test {

inline constexpr kmscore::project_id project_id =
    *kmscore::project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c");
inline constexpr const char* domain_id = "b168fe00ff56492495a7d22974df2d0b";

// The test project, created in the store if it is not there yet.
inline kmscore::project test_project(kmscore::key_store& store) {
  auto made = store.ensure_project(project_id, domain_id);
  return made ? *made : kmscore::project{};
}

}  // namespace kmscore_test
