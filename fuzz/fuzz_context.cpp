// Encryption-context canonicalization: order-independent, injective, and parses back.
// The input is split at 0x00 bytes into alternating keys and values.
#include <kmscore/context.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

namespace {
std::vector<kmscore::encryption_context::pair> pairs_of(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\0') {
      parts.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  std::vector<kmscore::encryption_context::pair> pairs;
  for (std::size_t i = 0; i + 1 < parts.size(); i += 2) pairs.emplace_back(parts[i], parts[i + 1]);
  return pairs;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz_max_input) return 0;
  const std::string_view text{reinterpret_cast<const char*>(data), size};  // NOLINT
  auto pairs = pairs_of(text);
  const auto made = kmscore::encryption_context::make(pairs);
  // Any order gives the same result.
  auto reversed = pairs;
  std::reverse(reversed.begin(), reversed.end());
  const auto made_reversed = kmscore::encryption_context::make(reversed);
  FUZZ_CHECK(made.has_value() == made_reversed.has_value());
  if (!made) return 0;
  FUZZ_CHECK(*made == *made_reversed);
  // No duplicate keys were accepted, and the pairs are the input's.
  std::map<std::string, std::string> unique(pairs.begin(), pairs.end());
  FUZZ_CHECK(unique.size() == pairs.size());
  const std::vector<kmscore::encryption_context::pair> sorted(unique.begin(), unique.end());
  FUZZ_CHECK(sorted == made->pairs());
  // The canonical form parses back to the same context (so it determines the pairs:
  // injective).
  const auto back = kmscore::encryption_context::from_canonical(made->canonical());
  FUZZ_CHECK(back.has_value() && *back == *made && back->pairs() == made->pairs());
  // Dropping the last pair changes the canonical form.
  if (!pairs.empty()) {
    pairs.pop_back();
    FUZZ_CHECK(!(*kmscore::encryption_context::make(pairs) == *made));
  }
  // The input itself, read as a canonical form, is either rejected or exactly canonical.
  if (const auto parsed = kmscore::encryption_context::from_canonical({data, size})) {
    FUZZ_CHECK(
        std::equal(parsed->canonical().begin(), parsed->canonical().end(), data, data + size));
  }
  return 0;
}
