#include <kmscore/uuid.hpp>

#include <gtest/gtest.h>

#include <array>

namespace {

using kmscore::byte;
using kmscore::uuid;

TEST(UuidTest, ParsesRfc9562Example) {
  // RFC 9562 / RFC 4122 example UUID and its bytes (independent source).
  const auto parsed = uuid::parse("f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  ASSERT_TRUE(parsed);
  const std::array<byte, 16> expected{0xf8, 0x1d, 0x4f, 0xae, 0x7d, 0xec, 0x11, 0xd0,
                                      0xa7, 0x65, 0x00, 0xa0, 0xc9, 0x1e, 0x6b, 0xf6};
  EXPECT_EQ(parsed->bytes(), expected);
  EXPECT_EQ(parsed->version(), 1U);
  EXPECT_EQ(parsed->to_string(), "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
}

TEST(UuidTest, RejectsNonCanonicalText) {
  EXPECT_FALSE(uuid::parse("F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6"));   // uppercase
  EXPECT_FALSE(uuid::parse("f81d4fae-7dec-11d0-a765-00a0c91e6bf"));    // 35 chars
  EXPECT_FALSE(uuid::parse("f81d4fae-7dec-11d0-a765-00a0c91e6bf60"));  // 37 chars
  EXPECT_FALSE(uuid::parse("f81d4fae7dec-11d0-a765-00a0c91e6bf6-"));   // dash moved
  EXPECT_FALSE(uuid::parse("g81d4fae-7dec-11d0-a765-00a0c91e6bf6"));   // not hex
  EXPECT_FALSE(uuid::parse("{81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
  EXPECT_FALSE(uuid::parse(""));
}

TEST(UuidTest, Version4SetsVersionAndVariantBits) {
  std::array<byte, 16> ones{};
  ones.fill(0xFF);
  const uuid from_ones = uuid::version4(ones);
  EXPECT_EQ(from_ones.to_string(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  const std::array<byte, 16> zeros{};
  const uuid from_zeros = uuid::version4(zeros);
  EXPECT_EQ(from_zeros.to_string(), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(from_zeros.version(), 4U);
}

TEST(UuidTest, RoundTripsThroughText) {
  constexpr auto parsed = uuid::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37f");
  static_assert(parsed.has_value());
  EXPECT_EQ(parsed->to_string(), "0d0466b0-e727-4d9c-b35d-f84bb474a37f");
  EXPECT_EQ(*uuid::parse(parsed->to_string()), *parsed);
}

}  // namespace
