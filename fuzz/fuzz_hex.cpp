// Hex: encoding round-trips through decoding; decoding agrees with a reference (strtoul).
#include <kmscore/hex.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz_max_input) return 0;
  // Bytes -> hex -> bytes.
  const kmscore::byte_span bytes{data, size};
  const std::string hex = kmscore::hex_encode(bytes);
  FUZZ_CHECK(hex.size() == 2 * size);
  for (const char c : hex) FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
  std::vector<kmscore::byte> back(size);
  FUZZ_CHECK(kmscore::hex_decode(hex, back));
  FUZZ_CHECK(std::equal(back.begin(), back.end(), bytes.begin(), bytes.end()));

  // The input as text -> bytes, against a reference decoder.
  const std::string text{reinterpret_cast<const char*>(data), size};  // NOLINT
  std::vector<kmscore::byte> decoded(size / 2, 0x55);
  const bool ok = kmscore::hex_decode(text, decoded);
  bool expected_ok = size % 2 == 0;
  std::vector<kmscore::byte> expected(size / 2, 0);
  for (std::size_t i = 0; expected_ok && i < size / 2; ++i) {
    const char pair[3] = {text[2 * i], text[2 * i + 1], '\0'};
    expected_ok = std::isxdigit(static_cast<unsigned char>(pair[0])) != 0 &&
                  std::isxdigit(static_cast<unsigned char>(pair[1])) != 0;
    if (expected_ok) expected[i] = static_cast<kmscore::byte>(std::strtoul(pair, nullptr, 16));
  }
  FUZZ_CHECK(ok == expected_ok);
  if (ok) FUZZ_CHECK(decoded == expected);
  if (!ok) FUZZ_CHECK(std::all_of(decoded.begin(), decoded.end(), [](auto b) { return b == 0; }));
  return 0;
}
