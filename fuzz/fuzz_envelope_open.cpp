// Envelope opening under a fixed CMK: arbitrary bytes never authenticate, and a valid blob
// with any mutation never opens (the output stays zeroed).
#include <kmscore/backend/sodium.hpp>
#include <kmscore/seal.hpp>

#include <algorithm>
#include <array>
#include <vector>

#include "fuzz_common.hpp"

namespace {
constexpr const char* key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
const std::array<kmscore::byte, 32> cmk{1, 2, 3, 4, 5, 6, 7, 8, 9};

struct fixture {
  kmscore::backend::sodium backend;
  kmscore::encryption_context context = *kmscore::encryption_context::make({{"k", "v"}});
  std::vector<kmscore::byte> valid = std::vector<kmscore::byte>(kmscore::envelope_size(64));
  kmscore::envelope_key<kmscore::backend::sodium> key =
      *kmscore::envelope_key<kmscore::backend::sodium>::derive(
          backend, kmscore::envelope_suite::aes256_gcm_hmac_sha256, cmk,
          *kmscore::key_id::parse(key_id), 0);
  fixture() {
    const std::array<kmscore::byte, 64> dek{42};
    FUZZ_CHECK(key.seal(backend, dek, context, valid).has_value());
  }
  bool opens(kmscore::byte_span blob) {
    const auto view = kmscore::parse_envelope(blob);
    if (!view) return false;
    std::vector<kmscore::byte> dek(view->datakey_bytes(), 0xEE);
    const bool opened = key.open(backend, *view, context, dek).has_value();
    if (!opened) FUZZ_CHECK(std::all_of(dek.begin(), dek.end(), [](auto b) { return b == 0; }));
    return opened;
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz_max_input) return 0;
  static fixture f;
  FUZZ_CHECK(f.opens(f.valid));
  // 1. The input as a blob.
  FUZZ_CHECK(!f.opens({data, size}));
  // 2. The input as a mutation of the valid blob: pairs of (position, xor mask).
  auto mutated = f.valid;
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    mutated[data[i] % mutated.size()] ^= data[i + 1];
  }
  if (mutated != f.valid) FUZZ_CHECK(!f.opens(mutated));
  return 0;
}
