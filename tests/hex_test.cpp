#include <kmscore/hex.hpp>

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace {

using kmscore::as_bytes;
using kmscore::byte;
using kmscore::hex_decode;
using kmscore::hex_encode;

// RFC 4648 section 10 base16 vectors (independent source).
struct rfc4648_case {
  std::string text;
  std::string hex;
};
const std::vector<rfc4648_case> rfc4648 = {
    {"", ""},
    {"f", "66"},
    {"fo", "666F"},
    {"foo", "666F6F"},
    {"foob", "666F6F62"},
    {"fooba", "666F6F6261"},
    {"foobar", "666F6F626172"},
};

TEST(HexTest, EncodesRfc4648VectorsUppercase) {
  for (const auto& c : rfc4648) EXPECT_EQ(hex_encode(as_bytes(c.text)), c.hex) << c.text;
}

TEST(HexTest, EncodesEveryByteValue) {
  std::array<byte, 256> all{};
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<byte>(i);
  const std::string hex = hex_encode(all);
  const char* digits = "0123456789ABCDEF";
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(hex[2 * i], digits[i >> 4U]);
    EXPECT_EQ(hex[2 * i + 1], digits[i & 15U]);
  }
}

TEST(HexTest, DecodesEitherCase) {
  for (const auto& c : rfc4648) {
    std::vector<byte> out(c.text.size());
    ASSERT_TRUE(hex_decode(c.hex, out)) << c.hex;
    EXPECT_EQ(std::string(out.begin(), out.end()), c.text);
  }
  std::array<byte, 4> out{};
  ASSERT_TRUE(hex_decode("aBcDeF09", out));
  EXPECT_EQ(out, (std::array<byte, 4>{0xAB, 0xCD, 0xEF, 0x09}));
}

TEST(HexTest, RejectsEveryNonHexCharacterAndWipesOutput) {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool is_hex =
        (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
    std::string text = "AB";
    text[1] = ch;
    std::array<byte, 1> out{0x55};
    EXPECT_EQ(hex_decode(text, out), is_hex) << c;
    if (!is_hex) {
      EXPECT_EQ(out[0], 0) << c;
    }
  }
}

TEST(HexTest, RejectsWrongLengths) {
  std::array<byte, 2> out{};
  EXPECT_TRUE(hex_decode("0102", out));
  EXPECT_FALSE(hex_decode("010", out));
  EXPECT_FALSE(hex_decode("010203", out));
  EXPECT_FALSE(hex_decode("", out));
}

TEST(HexTest, WorksInConstantExpressions) {
  constexpr auto decoded = [] {
    std::array<byte, 2> out{};
    const bool ok = hex_decode("fF00", out);
    return ok ? out : std::array<byte, 2>{};
  }();
  static_assert(decoded[0] == 0xFF && decoded[1] == 0x00);
  EXPECT_EQ(decoded[0], 0xFF);
}

}  // namespace
