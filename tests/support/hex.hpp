// Test support: hex to bytes for vectors (aborts the test on malformed input).
#pragma once

#include <kmscore/hex.hpp>

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace kmscore_test {

inline std::vector<kmscore::byte> unhex(std::string_view text) {
  std::vector<kmscore::byte> out(text.size() / 2);
  EXPECT_TRUE(text.size() % 2 == 0 && kmscore::hex_decode(text, out)) << "bad hex: " << text;
  return out;
}

}  // namespace kmscore_test
