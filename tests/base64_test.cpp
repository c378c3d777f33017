// Base64 (base64.hpp): the RFC 4648 section 10 vectors both ways, every character of the
// alphabet against a test-side table, the refusals of api-asymmetric.md section 0.2, the
// non-canonical endings it accepts, and random round trips against OpenSSL's encoder.
#include <kmscore/base64.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/openssl_base64.hpp"

namespace {

using kmscore::byte;
using bytes = std::vector<byte>;

// RFC 4648 section 4, Table 1, written out here rather than taken from the library.
constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bytes of(std::string_view text) { return {text.begin(), text.end()}; }

// The library's decoder, end to end: nullopt when it refuses the text.
std::optional<bytes> decode(std::string_view text) {
  const auto size = kmscore::base64_decoded_size(text);
  if (!size) return std::nullopt;
  bytes out(*size);
  if (!kmscore::base64_decode(text, out)) return std::nullopt;
  return out;
}

// OpenSSL's encoder: the independent reference.
std::string openssl_encode(const bytes& in) { return kmscore_test::openssl_base64(in); }

// ---- RFC 4648 section 10 ------------------------------------------------------------------

const std::vector<std::pair<std::string_view, std::string_view>> rfc4648_vectors = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64Test, Rfc4648VectorsEncode) {
  for (const auto& [plain, encoded] : rfc4648_vectors) {
    EXPECT_EQ(kmscore::base64_encode(of(plain)), encoded) << plain;
    EXPECT_EQ(kmscore::base64_encoded_size(plain.size()), encoded.size()) << plain;
  }
}

TEST(Base64Test, Rfc4648VectorsDecode) {
  for (const auto& [plain, encoded] : rfc4648_vectors) {
    const auto size = kmscore::base64_decoded_size(encoded);
    ASSERT_TRUE(size.has_value()) << encoded;
    EXPECT_EQ(*size, plain.size()) << encoded;
    EXPECT_EQ(decode(encoded), of(plain)) << encoded;
    const auto secret = kmscore::base64_decode_secret(encoded);
    ASSERT_TRUE(secret.has_value()) << encoded;
    const auto exposed = secret->expose();
    EXPECT_EQ(bytes(exposed.begin(), exposed.end()), of(plain)) << encoded;
  }
}

// ---- the alphabet, value by value ---------------------------------------------------------

TEST(Base64Test, EverySixBitValueEncodesToItsCharacter) {
  ASSERT_EQ(alphabet.size(), 64U);
  for (std::size_t v = 0; v < 64; ++v) {
    // 0x00 0x00 v: three zero sextets, then v.
    const bytes in{0, 0, static_cast<byte>(v)};
    EXPECT_EQ(kmscore::base64_encode(in), std::string{"AAA"} + alphabet[v]) << v;
    // v << 2 in the first byte: v is the first sextet.
    const bytes first{static_cast<byte>(v << 2U)};
    EXPECT_EQ(kmscore::base64_encode(first), std::string{alphabet[v]} + "A==") << v;
  }
}

TEST(Base64Test, EveryByteValueDecodesOnlyIfInTheAlphabet) {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const auto position = alphabet.find(ch);
    // In the last position of a full group...
    const std::string last = std::string{"AAA"} + ch;
    // ...and in the first position of a group that is not the last one.
    const std::string first = std::string{ch} + "AAAAAAA";
    const auto decoded_last = decode(last);
    const auto decoded_first = decode(first);
    if (ch == '=') {  // padding: allowed at the end only
      EXPECT_EQ(decoded_last, (bytes{0, 0})) << "byte " << c;
      EXPECT_FALSE(decoded_first.has_value()) << "byte " << c;
    } else if (position == std::string_view::npos) {
      EXPECT_FALSE(decoded_last.has_value()) << "byte " << c;
      EXPECT_FALSE(decoded_first.has_value()) << "byte " << c;
    } else {
      ASSERT_TRUE(decoded_last.has_value()) << "byte " << c;
      EXPECT_EQ(*decoded_last, (bytes{0, 0, static_cast<byte>(position)})) << "byte " << c;
      ASSERT_TRUE(decoded_first.has_value()) << "byte " << c;
      EXPECT_EQ(*decoded_first, (bytes{static_cast<byte>(position << 2U), 0, 0, 0, 0, 0}))
          << "byte " << c;
    }
  }
}

// ---- refusals (section 0.2) ---------------------------------------------------------------

TEST(Base64Test, LengthNotAMultipleOfFourIsRefused) {
  for (const std::string_view text : {"Z", "Zg", "Zg=", "Zm9", "Zm9vY", "Zm9vYg=", "Zm9vYmFy="}) {
    EXPECT_FALSE(kmscore::base64_decoded_size(text).has_value()) << text;
    EXPECT_FALSE(decode(text).has_value()) << text;
  }
  // The twins: the same texts completed to a multiple of four.
  for (const std::string_view text : {"Zg==", "Zm8=", "Zm9vYg==", "Zm9vYmFy"}) {
    EXPECT_TRUE(decode(text).has_value()) << text;
  }
}

TEST(Base64Test, PaddingOnlyAtTheEnd) {
  for (const std::string_view text : {"=", "==", "===", "====", "A===", "Z=g=", "Zg=A", "=Zg=",
                                      "Zg==Zg==", "Zm8=Zm8=", "Zg==AAAA", "Zm9v====", "========"}) {
    EXPECT_FALSE(decode(text).has_value()) << text;
  }
  EXPECT_EQ(decode("Zm9vZg=="), of("foof"));  // padding in the last group only: accepted
  EXPECT_EQ(decode("Zm9vZm8="), of("foofo"));
}

TEST(Base64Test, WhitespaceIsRefused) {
  for (const std::string_view text :
       {"Zm9 ", " Zm9", "Zm\n9", "Zm9\r", "\tZm9", "Zm9vYg==\r\n", "Zm\r\nYg==", "Zm 9vYmFy "}) {
    EXPECT_FALSE(decode(text).has_value()) << text;
  }
  EXPECT_EQ(decode("Zm9vYg=="), of("foob"));
}

TEST(Base64Test, UrlSafeAlphabetIsRefused) {
  // '-' and '_' are 62 and 63 in the URL-safe alphabet (RFC 4648 section 5).
  for (const std::string_view text : {"-___", "___-", "Zm-v", "Zm_v", "AA-=", "A_=="}) {
    EXPECT_FALSE(decode(text).has_value()) << text;
  }
  EXPECT_EQ(decode("+///"), (bytes{0xFB, 0xFF, 0xFF}));  // the standard twins
  EXPECT_EQ(decode("///+"), (bytes{0xFF, 0xFF, 0xFE}));
}

TEST(Base64Test, NonAsciiAndNulBytesAreRefused) {
  using namespace std::string_view_literals;
  for (const std::string_view text : {"Zm9\xC3"sv, "Zm\xC3\xA9"sv, "\xFF\xFF\xFF\xFF"sv,
                                      "\x80"
                                      "AAA"sv,
                                      "Zm9\0"sv, "\0\0\0\0"sv}) {
    EXPECT_FALSE(decode(text).has_value());
  }
}

TEST(Base64Test, RefusedDecodeWipesTheOutput) {
  bytes out(3, 0xAA);
  EXPECT_FALSE(kmscore::base64_decode("Zm9-", out));
  EXPECT_EQ(out, (bytes{0, 0, 0}));
  // The twin: the valid text fills it.
  EXPECT_TRUE(kmscore::base64_decode("Zm9v", out));
  EXPECT_EQ(out, of("foo"));
}

TEST(Base64Test, OutputOfTheWrongSizeIsRefused) {
  bytes small(2);
  bytes big(4);
  bytes exact(3);
  EXPECT_FALSE(kmscore::base64_decode("Zm9v", small));
  EXPECT_FALSE(kmscore::base64_decode("Zm9v", big));
  EXPECT_TRUE(kmscore::base64_decode("Zm9v", exact));
  std::string text(3, '\0');
  EXPECT_FALSE(kmscore::base64_encode(of("foo"), std::span<char>{text}));
  text.assign(5, '\0');
  EXPECT_FALSE(kmscore::base64_encode(of("foo"), std::span<char>{text}));
  text.assign(4, '\0');
  EXPECT_TRUE(kmscore::base64_encode(of("foo"), std::span<char>{text}));
  EXPECT_EQ(text, "Zm9v");
}

TEST(Base64Test, SecretDecodeRefusesWhatDecodeRefuses) {
  EXPECT_FALSE(kmscore::base64_decode_secret("Zm9").has_value());
  EXPECT_FALSE(kmscore::base64_decode_secret("Zm9_").has_value());
  EXPECT_FALSE(kmscore::base64_decode_secret("Z===").has_value());
  EXPECT_TRUE(kmscore::base64_decode_secret("Zm9v").has_value());
}

// ---- non-canonical endings (section 0.2: accepted, the unused bits ignored) --------------

TEST(Base64Test, NonCanonicalEndingsDecodeIgnoringTheUnusedBits) {
  // 'g' = 32 = 100000: "Zg==" is canonical; 'h' = 33 = 100001 sets an unused bit.
  EXPECT_EQ(decode("Zh=="), of("f"));
  EXPECT_EQ(decode("Zv=="), of("f"));  // 'v' = 47 = 101111: all four unused bits set
  // '8' = 60 = 111100: "Zm8=" is canonical; '9' = 61 and '/' = 63 set unused bits.
  EXPECT_EQ(decode("Zm9="), of("fo"));
  EXPECT_EQ(decode("Zm/="), of("fo"));
  // The unused bits do not leak into the bytes: the same as the canonical forms.
  EXPECT_EQ(decode("Zh=="), decode("Zg=="));
  EXPECT_EQ(decode("Zm9="), decode("Zm8="));
  // Re-encoding gives the canonical text, not the input.
  EXPECT_EQ(kmscore::base64_encode(*decode("Zh==")), "Zg==");
  EXPECT_EQ(kmscore::base64_encode(*decode("Zm9=")), "Zm8=");
  // A 32-byte digest ending like the documented sign example ("...DFYK="): 'K' = 10 =
  // 001010 has its two unused bits set ('I' = 8 = 001000 is canonical).
  const std::string canonical = kmscore::base64_encode(bytes(32, 0x0C));
  ASSERT_EQ(canonical.size(), 44U);
  ASSERT_EQ(canonical.substr(40), "DAw=");
  EXPECT_EQ(decode(canonical.substr(0, 40) + "DAy="), bytes(32, 0x0C));
  // "FYK=": 000101 011000 001010 -> 0x15 0x82, the last two bits unused.
  const auto documented_style = decode(canonical.substr(0, 40) + "FYK=");
  ASSERT_TRUE(documented_style.has_value());
  ASSERT_EQ(documented_style->size(), 32U);
  EXPECT_EQ((*documented_style)[30], 0x15);
  EXPECT_EQ((*documented_style)[31], 0x82);
  EXPECT_FALSE(decode(canonical.substr(0, 40) + "FYK_").has_value());  // the twin
}

// ---- random round trips against OpenSSL ---------------------------------------------------

TEST(Base64Test, RandomRoundTripsMatchOpenSsl) {
  std::random_device seed_source;
  const auto seed = seed_source();
  SCOPED_TRACE("seed " + std::to_string(seed));  // a failure names the inputs that caused it
  std::mt19937 random{seed};
  for (std::size_t length = 0; length <= 100; ++length) {
    for (int round = 0; round < 4; ++round) {
      bytes in(length);
      for (auto& b : in) b = static_cast<byte>(random() & 0xFFU);
      const std::string expected = openssl_encode(in);
      const std::string encoded = kmscore::base64_encode(in);
      ASSERT_EQ(encoded, expected) << "length " << length;
      ASSERT_EQ(encoded.size(), kmscore::base64_encoded_size(length));
      const auto back = decode(expected);
      ASSERT_TRUE(back.has_value()) << expected;
      EXPECT_EQ(*back, in) << expected;
      if (!in.empty()) {
        // Flipping one character to one outside the alphabet is refused.
        std::string broken = expected;
        broken[0] = '*';
        EXPECT_FALSE(decode(broken).has_value()) << broken;
      }
    }
  }
}

}  // namespace
