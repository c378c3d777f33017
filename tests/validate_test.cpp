#include <kmscore/validate.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using kmscore::datakey_length_policy;
using kmscore::errc;

errc code_of(const kmscore::result<void>& r) { return r.error().code(); }

// ---- key_alias -----------------------------------------------------------------------

TEST(ValidateTest, AliasLengthBoundaries) {
  EXPECT_TRUE(kmscore::check_key_alias("a"));
  EXPECT_EQ(code_of(kmscore::check_key_alias("")), errc::invalid_key_alias);
  EXPECT_TRUE(kmscore::check_key_alias(std::string(255, 'a')));
  EXPECT_EQ(code_of(kmscore::check_key_alias(std::string(256, 'a'))), errc::invalid_key_alias);
}

TEST(ValidateTest, AliasCharacterSet) {
  EXPECT_TRUE(kmscore::check_key_alias("azAZ09:/_-"));
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool allowed = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                         (ch >= '0' && ch <= '9') || ch == ':' || ch == '/' || ch == '_' ||
                         ch == '-';
    EXPECT_EQ(kmscore::check_key_alias(std::string("ab") + ch + "cd").has_value(), allowed) << c;
  }
}

TEST(ValidateTest, AliasReservedDefaultSuffix) {
  EXPECT_FALSE(kmscore::check_key_alias("a/default"));
  EXPECT_FALSE(kmscore::check_key_alias("/default"));
  EXPECT_FALSE(kmscore::check_key_alias("obs/default"));
  EXPECT_TRUE(kmscore::check_key_alias("a/defaultx"));
  EXPECT_TRUE(kmscore::check_key_alias("a/default/x"));
  EXPECT_TRUE(kmscore::check_key_alias("adefault"));
  EXPECT_TRUE(kmscore::check_key_alias("a/Default"));
  EXPECT_TRUE(kmscore::check_key_alias("default"));
}

// ---- key_id --------------------------------------------------------------------------

TEST(ValidateTest, KeyIdPatternAsDocumented) {
  EXPECT_TRUE(kmscore::check_key_id("0d0466b0-e727-4d9c-b35d-f84bb474a37f"));
  EXPECT_TRUE(kmscore::check_key_id("zzzzzzzz-gggg-hhhh-iiii-jjjjjjjjjjjj"));  // g..z pass
  EXPECT_EQ(code_of(kmscore::check_key_id("0d0466b0-e727-4d9c-b35d-f84bb474a37")),
            errc::invalid_key_id);                                               // 35
  EXPECT_FALSE(kmscore::check_key_id("0d0466b0-e727-4d9c-b35d-f84bb474a37ff"));  // 37
  EXPECT_FALSE(kmscore::check_key_id("0D0466B0-e727-4d9c-b35d-f84bb474a37f"));   // upper
  EXPECT_FALSE(kmscore::check_key_id("0d0466b0_e727-4d9c-b35d-f84bb474a37f"));   // '_'
  EXPECT_FALSE(kmscore::check_key_id("0d0466b0e-727-4d9c-b35d-f84bb474a37f"));   // dash moved
  EXPECT_FALSE(kmscore::check_key_id("0d0466b0-e727-4d9c-b35d-f84bb474a3-f"));
  EXPECT_FALSE(kmscore::check_key_id(""));
}

// ---- key_description: 0..255 code points of well-formed UTF-8 -------------------------

std::string repeat(const std::string& unit, std::size_t times) {
  std::string text;
  for (std::size_t i = 0; i < times; ++i) text += unit;
  return text;
}

TEST(ValidateTest, DescriptionCountsCodePointsNotBytes) {
  EXPECT_TRUE(kmscore::check_key_description(""));
  EXPECT_TRUE(kmscore::check_key_description(std::string(255, 'x')));
  EXPECT_EQ(code_of(kmscore::check_key_description(std::string(256, 'x'))),
            errc::invalid_key_description);
  const std::string han = "\xE4\xB8\xAD";        // U+4E2D, 3 bytes
  const std::string emoji = "\xF0\x9F\x94\x91";  // U+1F511, 4 bytes
  const std::string e_acute = "\xC3\xA9";        // U+00E9, 2 bytes
  for (const auto& unit : {han, emoji, e_acute}) {
    EXPECT_TRUE(kmscore::check_key_description(repeat(unit, 255)));
    EXPECT_FALSE(kmscore::check_key_description(repeat(unit, 256)));
  }
}

TEST(ValidateTest, DescriptionRejectsIllFormedUtf8) {
  const char* bad[] = {
      "\x80",              // stray continuation
      "\xC0\xAF",          // overlong '/'
      "\xC1\xBF",          // overlong
      "\xE0\x80\xAF",      // overlong 3-byte
      "\xF0\x80\x80\xAF",  // overlong 4-byte
      "\xED\xA0\x80",      // surrogate U+D800
      "\xED\xBF\xBF",      // surrogate U+DFFF
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80",  // invalid lead
      "\xFF",              // invalid byte
      "\xE4\xB8",          // truncated 3-byte
      "\xF0\x9F\x94",      // truncated 4-byte
      "ab\xC3",            // truncated at end
      "\xC3\x28",          // bad continuation
  };
  for (const char* text : bad) {
    EXPECT_EQ(code_of(kmscore::check_key_description(text)), errc::invalid_key_description) << text;
  }
  const char* good[] = {
      "\x7F",              // highest 1-byte
      "\xC2\x80",          // lowest 2-byte
      "\xE0\xA0\x80",      // lowest 3-byte
      "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
      "\xEE\x80\x80",      // U+E000, just above
      "\xF0\x90\x80\x80",  // lowest 4-byte
      "\xF4\x8F\xBF\xBF",  // U+10FFFF
  };
  for (const char* text : good) EXPECT_TRUE(kmscore::check_key_description(text)) << text;
}

// ---- sequence -------------------------------------------------------------------------

TEST(ValidateTest, SequenceIs36PrintableBytes) {
  EXPECT_TRUE(kmscore::check_sequence("919c82d4-8046-4722-9094-35c3c6524cff"));
  EXPECT_TRUE(kmscore::check_sequence(std::string(36, '!')));
  EXPECT_TRUE(kmscore::check_sequence(std::string(36, '~')));
  EXPECT_EQ(code_of(kmscore::check_sequence(std::string(35, 'a'))), errc::invalid_sequence);
  EXPECT_FALSE(kmscore::check_sequence(std::string(37, 'a')));
  EXPECT_FALSE(kmscore::check_sequence(std::string(35, 'a') + ' '));
  EXPECT_FALSE(kmscore::check_sequence(std::string(35, 'a') + '\x7F'));
  EXPECT_FALSE(kmscore::check_sequence(std::string(34, 'a') + "\xC3\xA9"));
}

// ---- enterprise_project_id ------------------------------------------------------------

TEST(ValidateTest, EnterpriseProjectId) {
  EXPECT_TRUE(kmscore::check_enterprise_project_id("0"));
  EXPECT_TRUE(kmscore::check_enterprise_project_id("b168fe00-ff56-4924-95a7-d22974df2d0b"));
  const auto bad = kmscore::check_enterprise_project_id("1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "Invalid enterprise_project_id.");
  EXPECT_FALSE(kmscore::check_enterprise_project_id("00"));
  EXPECT_FALSE(kmscore::check_enterprise_project_id(""));
  EXPECT_FALSE(kmscore::check_enterprise_project_id("B168FE00-FF56-4924-95A7-D22974DF2D0B"));
  EXPECT_FALSE(kmscore::check_enterprise_project_id("g168fe00-ff56-4924-95a7-d22974df2d0b"));
}

// ---- key_spec × key_usage × origin -----------------------------------------------------

TEST(ValidateTest, EverySpecUsageOriginCombination) {
  const char* usages[] = {"ENCRYPT_DECRYPT", "SIGN_VERIFY"};
  for (const auto& row : kmscore::key_spec_table) {
    const auto spec = kmscore::check_key_spec(row.name);
    ASSERT_TRUE(spec);
    for (const char* usage : usages) {
      const auto checked = kmscore::check_key_usage(usage, *spec);
      const bool allowed = row.allows(*kmscore::parse_key_usage(usage));
      EXPECT_EQ(checked.has_value(), allowed) << row.name << " " << usage;
      if (!allowed) {
        EXPECT_EQ(checked.error().message(), "Invalid key_usage.");
      }
    }
    EXPECT_TRUE(kmscore::check_origin("kms", *spec));
    const auto external = kmscore::check_origin("external", *spec);
    // api-import-mac.md §0.1: every spec but the HMAC ones may be imported.
    EXPECT_EQ(external.has_value(), row.family != kmscore::key_family::hmac) << row.name;
    EXPECT_FALSE(kmscore::check_origin("KMS", *spec));
    EXPECT_FALSE(kmscore::check_key_usage("encrypt_decrypt", *spec));
  }
  const auto bad_spec = kmscore::check_key_spec("AES_512");
  ASSERT_FALSE(bad_spec);
  EXPECT_EQ(bad_spec.error().code_string(), "KMS.0308");
  EXPECT_EQ(bad_spec.error().message(), "Invalid key_spec.");
}

// ---- datakey_length, data-key key_spec, byte lengths, pending_days ---------------------

errc datakey_error(const char* text, datakey_length_policy policy) {
  return kmscore::parse_datakey_length(text, policy).error().code();
}

TEST(ValidateTest, DatakeyLengthRangePolicy) {
  const auto range = datakey_length_policy::range;
  EXPECT_EQ(kmscore::parse_datakey_length("8", range)->bits(), 8U);
  EXPECT_EQ(kmscore::parse_datakey_length("512", range)->bits(), 512U);
  EXPECT_EQ(kmscore::parse_datakey_length("8192", range)->bits(), 8192U);
  EXPECT_EQ(datakey_error("0", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("7", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("8193", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("8200", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("99999999999999999999", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("9", range), errc::datakey_length_not_multiple);
  EXPECT_EQ(datakey_error("8191", range), errc::datakey_length_not_multiple);
  EXPECT_EQ(datakey_error("", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("-8", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("+8", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("5 12", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("512.0", range), errc::datakey_length_out_of_range);
  EXPECT_EQ(datakey_error("0x200", range), errc::datakey_length_out_of_range);
}

TEST(ValidateTest, DatakeyLengthStrictPolicy) {
  const auto strict = datakey_length_policy::strict512;
  EXPECT_EQ(kmscore::parse_datakey_length("512", strict)->bits(), 512U);
  EXPECT_EQ(datakey_error("256", strict), errc::datakey_length_not_512);
  EXPECT_EQ(datakey_error("520", strict), errc::datakey_length_not_512);
  EXPECT_EQ(datakey_error("511", strict), errc::datakey_length_not_512);
  EXPECT_EQ(datakey_error("9000", strict), errc::datakey_length_not_512);
  EXPECT_EQ(datakey_error("abc", strict), errc::datakey_length_out_of_range);
}

TEST(ValidateTest, DatakeySpec) {
  EXPECT_EQ(*kmscore::check_datakey_spec("AES_128"), kmscore::datakey_spec::aes_128);
  EXPECT_EQ(*kmscore::check_datakey_spec("AES_256"), kmscore::datakey_spec::aes_256);
  EXPECT_EQ(kmscore::check_datakey_spec("SM4").error().code(), errc::invalid_datakey_spec);
  EXPECT_EQ(kmscore::check_datakey_spec("aes_256").error().code(), errc::invalid_datakey_spec);
}

TEST(ValidateTest, DatakeyByteLengths) {
  const auto plain = errc::invalid_datakey_plain_length;
  EXPECT_EQ(kmscore::parse_datakey_bytes("1", plain)->bytes(), 1U);
  EXPECT_EQ(kmscore::parse_datakey_bytes("64", plain)->bytes(), 64U);
  EXPECT_EQ(kmscore::parse_datakey_bytes("1024", plain)->bytes(), 1024U);
  EXPECT_EQ(kmscore::parse_datakey_bytes("0", plain).error().code(), plain);
  EXPECT_EQ(kmscore::parse_datakey_bytes("1025", plain).error().code(), plain);
  EXPECT_EQ(kmscore::parse_datakey_bytes("", plain).error().code(), plain);
  EXPECT_EQ(kmscore::parse_datakey_bytes("6 4", plain).error().code(), plain);
  const auto cipher = errc::invalid_datakey_cipher_length;
  EXPECT_EQ(kmscore::parse_datakey_bytes("1025", cipher).error().code_string(), "KMS.2202");
}

TEST(ValidateTest, PendingDays) {
  EXPECT_EQ(*kmscore::parse_pending_days("7"), 7U);
  EXPECT_EQ(*kmscore::parse_pending_days("1096"), 1096U);
  EXPECT_EQ(kmscore::parse_pending_days("6").error().code(), errc::invalid_pending_days);
  EXPECT_EQ(kmscore::parse_pending_days("1097").error().code(), errc::invalid_pending_days);
  EXPECT_EQ(kmscore::parse_pending_days("seven").error().code(), errc::invalid_pending_days);
}

// The validators are usable in constant expressions.
static_assert(kmscore::check_key_id("0d0466b0-e727-4d9c-b35d-f84bb474a37f").has_value());
static_assert(!kmscore::check_key_description("\xC0\xAF").has_value());
static_assert(kmscore::check_sequence("919c82d4-8046-4722-9094-35c3c6524cff").has_value());
static_assert(kmscore::parse_datakey_length("64", datakey_length_policy::range)->bits() == 64);

}  // namespace
