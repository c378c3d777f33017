// Test support: the backends under test, and a deterministic RNG that only tests can reach.
#pragma once

#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/sodium_cryptopp.hpp>
#include <kmscore/backend/sodium.hpp>

#include <cstdint>
#include <string_view>

namespace kmscore_test {

using sodium = kmscore::backend::sodium;
using cryptopp = kmscore::backend::cryptopp;
using combined = kmscore::backend::combined<sodium, cryptopp>;
using sodium_cryptopp = kmscore::backend::sodium_cryptopp;

// Wraps a backend and replaces its RNG with a counter-mode byte stream of a seed, so that
// whole operations (create_datakey) become reproducible in tests. Lives in tests/ only.
template <class Backend>
class fixed_rng : public Backend {
 public:
  static constexpr std::string_view name = "fixed_rng";
  explicit fixed_rng(std::uint8_t seed) : next_{seed} {}

  [[nodiscard]] kmscore::result<void> random_bytes(kmscore::mutable_byte_span out) noexcept {
    for (auto& b : out) b = next_++;
    return {};
  }

 private:
  std::uint8_t next_;
};

static_assert(kmscore::crypto_backend<fixed_rng<cryptopp>>);

}  // namespace kmscore_test
