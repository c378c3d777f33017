#include <kmscore/hex.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
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

// Every length around the 16-byte blocks of the vector path and every offset of each byte
// value, against snprintf's %02X (an independent encoder).
TEST(HexTest, EveryLengthAndPositionMatchesPrintf) {
  std::vector<byte> data(300);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<byte>(i * 151 + 7);
  for (std::size_t size = 0; size <= data.size(); ++size) {
    const kmscore::byte_span in{data.data(), size};
    std::string expected;
    for (const byte b : in) {
      std::array<char, 3> two{};
      (void)std::snprintf(two.data(), two.size(), "%02X", b);
      expected.append(two.data(), 2);
    }
    ASSERT_EQ(hex_encode(in), expected) << size;
    std::string lower;
    for (const byte b : in) {
      std::array<char, 3> two{};
      (void)std::snprintf(two.data(), two.size(), "%02x", b);
      lower.append(two.data(), 2);
    }
    ASSERT_EQ(kmscore::hex_encode_lower(in), lower) << size;
    std::vector<char> out(2 * size + 1, '#');
    EXPECT_FALSE(hex_encode(in, out));  // one past: nothing written
    EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](char c) { return c == '#'; }));
  }
}

// Decoding round-trips at every length around the vector path's 32-character blocks, in
// either case, and one bad character anywhere (inside a block or in the tail) fails the
// whole decode and zeroes the output.
TEST(HexTest, DecodeEveryLengthAndABadCharacterAnywhere) {
  std::vector<byte> data(100);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<byte>(i * 97 + 3);
  for (std::size_t size = 0; size <= data.size(); ++size) {
    const kmscore::byte_span in{data.data(), size};
    std::string text = hex_encode(in);
    std::vector<byte> back(size, 0xEE);
    ASSERT_TRUE(hex_decode(text, back)) << size;
    EXPECT_TRUE(std::equal(back.begin(), back.end(), in.begin())) << size;
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE(hex_decode(text, back)) << size;
    EXPECT_TRUE(std::equal(back.begin(), back.end(), in.begin())) << size;
  }
  const std::string good = hex_encode(kmscore::byte_span{data.data(), 40});
  for (std::size_t at = 0; at < good.size(); ++at) {
    for (const char bad : {'g', 'G', '/', ':', '@', '`', ' ', '\0', '\x80', '\xB0', '\xFF'}) {
      std::string text = good;
      text[at] = bad;
      std::vector<byte> out(40, 0xEE);
      EXPECT_FALSE(hex_decode(text, out)) << at << " " << int{bad};
      EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](byte b) { return b == 0; }));
    }
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
