// Test support: the project (tenant) the tests' keys belong to, made in a store.
#pragma once

#include <kmscore/key_store.hpp>

#include <cstdint>

namespace kmscore_test {

inline constexpr kmscore::project_id project_id =
    *kmscore::project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c");
inline constexpr const char* domain_id = "b168fe00ff56492495a7d22974df2d0b";

// The clock the tests give actions where time plays no part (2023-11-14): no key a test
// schedules for deletion is gone by then. Tests of time pass their own.
inline constexpr std::int64_t test_now_ms = 1'700'000'000'000;

// The test project, created in the store if it is not there yet.
inline kmscore::project test_project(kmscore::key_store& store) {
  auto made = store.ensure_project(project_id, domain_id);
  return made ? *made : kmscore::project{};
}

}  // namespace kmscore_test
