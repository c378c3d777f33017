#include <kmscore/asymmetric.hpp>
#include <kmscore/key_spec.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace {

using kmscore::envelope_suite;
using kmscore::key_origin;
using kmscore::key_spec;
using kmscore::key_usage;
using kmscore::spec_policy;

// api.md's "Allowed key_spec × key_usage" table as api-import-mac.md §0.1 extends it, written
// out independently of the library's table: {name, ENCRYPT_DECRYPT allowed, SIGN_VERIFY
// allowed, GENERATE_VERIFY_MAC allowed, default, external allowed}: every spec but HMAC_* may
// be imported (§0.1).
struct documented_row {
  const char* name;
  bool encrypt;
  bool sign;
  bool mac;
  key_usage default_usage;
  bool external;
};
const documented_row documented[] = {
    {"AES_256", true, false, false, key_usage::encrypt_decrypt, true},
    {"SM4", true, false, false, key_usage::encrypt_decrypt, true},
    {"RSA_2048", true, true, false, key_usage::sign_verify, true},
    {"RSA_3072", true, true, false, key_usage::sign_verify, true},
    {"RSA_4096", true, true, false, key_usage::sign_verify, true},
    {"EC_P256", false, true, false, key_usage::sign_verify, true},
    {"EC_P384", false, true, false, key_usage::sign_verify, true},
    {"SM2", true, true, false, key_usage::sign_verify, true},
    {"HMAC_256", false, false, true, key_usage::generate_verify_mac, false},
    {"HMAC_384", false, false, true, key_usage::generate_verify_mac, false},
    {"HMAC_512", false, false, true, key_usage::generate_verify_mac, false},
    {"HMAC_SM3", false, false, true, key_usage::generate_verify_mac, false},
};

TEST(KeySpecTest, TableMatchesTheDocumentedMatrix) {
  ASSERT_EQ(std::size(documented), kmscore::key_spec_table.size());
  for (const auto& row : documented) {
    const auto spec = kmscore::parse_key_spec(row.name);
    ASSERT_TRUE(spec) << row.name;
    const auto& policy = spec_policy(*spec);
    EXPECT_EQ(policy.name, row.name);
    EXPECT_EQ(policy.allows(key_usage::encrypt_decrypt), row.encrypt) << row.name;
    EXPECT_EQ(policy.allows(key_usage::sign_verify), row.sign) << row.name;
    EXPECT_EQ(policy.allows(key_usage::generate_verify_mac), row.mac) << row.name;
    EXPECT_EQ(policy.default_usage, row.default_usage) << row.name;
    EXPECT_TRUE(policy.allows(key_origin::kms)) << row.name;
    EXPECT_EQ(policy.allows(key_origin::external), row.external) << row.name;
  }
}

TEST(KeySpecTest, SymmetricSpecsHaveMaterialSizesAndSuites) {
  EXPECT_EQ(spec_policy(key_spec::aes_256).material_size, 32U);
  EXPECT_EQ(spec_policy(key_spec::aes_256).suite, envelope_suite::aes256_gcm_hmac_sha256);
  EXPECT_EQ(spec_policy(key_spec::sm4).material_size, 16U);
  EXPECT_EQ(spec_policy(key_spec::sm4).suite, envelope_suite::sm4_gcm_hmac_sm3);
  for (const auto spec : {key_spec::rsa_2048, key_spec::rsa_3072, key_spec::rsa_4096,
                          key_spec::ec_p256, key_spec::ec_p384, key_spec::sm2}) {
    EXPECT_FALSE(spec_policy(spec).is_symmetric());
    EXPECT_EQ(spec_policy(spec).suite, envelope_suite::none);
    EXPECT_EQ(spec_policy(spec).material_size, 0U);
  }
  EXPECT_EQ(spec_policy(key_spec::rsa_3072).strength_bits, 3072U);
  EXPECT_EQ(spec_policy(key_spec::ec_p384).strength_bits, 384U);
}

// api-import-mac.md §0.1 and §6: material sizes 32/48/64/32 bytes, one MAC algorithm each,
// no envelope suite, no rotation (KMS.0341).
TEST(KeySpecTest, HmacSpecsHaveMaterialAndOneMacAlgorithm) {
  const std::tuple<key_spec, std::size_t, kmscore::mac_algorithm, const char*, std::size_t> rows[] =
      {
          {key_spec::hmac_256, 32, kmscore::mac_algorithm::hmac_sha_256, "HMAC_SHA_256", 32},
          {key_spec::hmac_384, 48, kmscore::mac_algorithm::hmac_sha_384, "HMAC_SHA_384", 48},
          {key_spec::hmac_512, 64, kmscore::mac_algorithm::hmac_sha_512, "HMAC_SHA_512", 64},
          {key_spec::hmac_sm3, 32, kmscore::mac_algorithm::hmac_sm3, "HMAC_SM3", 32},
      };
  for (const auto& [spec, material, algorithm, name, mac_size] : rows) {
    const auto& policy = spec_policy(spec);
    EXPECT_TRUE(policy.is_hmac());
    EXPECT_FALSE(policy.is_symmetric());
    EXPECT_TRUE(policy.has_random_material());
    EXPECT_EQ(policy.material_size, material);
    EXPECT_EQ(policy.suite, envelope_suite::none);
    EXPECT_EQ(policy.mac, algorithm);
    EXPECT_EQ(policy.rotation_refusal, kmscore::errc::hmac_key_not_supported);
    EXPECT_EQ(kmscore::to_string(algorithm), name);
    EXPECT_EQ(kmscore::parse_mac_algorithm(name), algorithm);
    EXPECT_EQ(kmscore::info(algorithm).size, mac_size);
  }
  EXPECT_EQ(spec_policy(key_spec::aes_256).mac, kmscore::mac_algorithm::none);
  EXPECT_FALSE(kmscore::parse_mac_algorithm("HMAC_SHA_224"));
  EXPECT_FALSE(kmscore::parse_mac_algorithm("hmac_sm3"));
  EXPECT_FALSE(kmscore::parse_mac_algorithm(""));
  EXPECT_EQ(kmscore::parse_key_usage("GENERATE_VERIFY_MAC"), key_usage::generate_verify_mac);
  EXPECT_EQ(kmscore::to_string(key_usage::generate_verify_mac), "GENERATE_VERIFY_MAC");
  EXPECT_FALSE(kmscore::parse_key_usage("generate_verify_mac"));
}

TEST(KeySpecTest, ParsingIsExact) {
  EXPECT_EQ(kmscore::parse_key_spec("SM2"), key_spec::sm2);
  EXPECT_FALSE(kmscore::parse_key_spec("sm2"));
  EXPECT_FALSE(kmscore::parse_key_spec("AES_256 "));
  EXPECT_FALSE(kmscore::parse_key_spec("AES_128"));  // a data-key spec, not a CMK spec
  EXPECT_FALSE(kmscore::parse_key_spec(""));
  EXPECT_EQ(kmscore::parse_key_usage("SIGN_VERIFY"), key_usage::sign_verify);
  EXPECT_FALSE(kmscore::parse_key_usage("sign_verify"));
  EXPECT_EQ(kmscore::parse_key_origin("external"), key_origin::external);
  EXPECT_FALSE(kmscore::parse_key_origin("EXTERNAL"));
  EXPECT_EQ(kmscore::parse_datakey_spec("AES_128"), kmscore::datakey_spec::aes_128);
  EXPECT_FALSE(kmscore::parse_datakey_spec("SM4"));
}

TEST(KeySpecTest, NamesRoundTrip) {
  for (const auto& row : kmscore::key_spec_table) {
    EXPECT_EQ(kmscore::parse_key_spec(kmscore::to_string(row.spec)), row.spec);
  }
  for (const auto usage : {key_usage::encrypt_decrypt, key_usage::sign_verify}) {
    EXPECT_EQ(kmscore::parse_key_usage(kmscore::to_string(usage)), usage);
  }
  for (const auto origin : {key_origin::kms, key_origin::external}) {
    EXPECT_EQ(kmscore::parse_key_origin(kmscore::to_string(origin)), origin);
  }
  EXPECT_EQ(kmscore::datakey_bits(kmscore::datakey_spec::aes_128), 128U);
  EXPECT_EQ(kmscore::datakey_bits(kmscore::datakey_spec::aes_256), 256U);
}

TEST(KeySpecTest, KeyStatesAreNumberedOneToFive) {
  EXPECT_FALSE(kmscore::is_valid_key_state(0));
  for (int state = 1; state <= 5; ++state) EXPECT_TRUE(kmscore::is_valid_key_state(state));
  EXPECT_FALSE(kmscore::is_valid_key_state(6));
  EXPECT_EQ(static_cast<int>(kmscore::key_state::enabled), 2);
  EXPECT_EQ(static_cast<int>(kmscore::key_state::pending_import), 5);
}

// The curves, written out from their standards (RFC 5480 section 2.1.1.1 for P-256 and
// P-384, GB/T 33560 for sm2p256v1: 1.2.156.10197.1.301), independently of the library's table.
struct documented_curve {
  const char* spec;
  std::vector<std::uint8_t> oid;  // DER content bytes
  std::size_t field_bytes;
  const char* openssl_group;
};
const documented_curve documented_curves[] = {
    {"EC_P256", {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07}, 32, "prime256v1"},
    {"EC_P384", {0x2B, 0x81, 0x04, 0x00, 0x22}, 48, "secp384r1"},
    {"SM2", {0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D}, 32, "SM2"},
};

TEST(KeySpecTest, EveryCurveSpecCarriesItsCurve) {
  for (const auto& row : documented_curves) {
    SCOPED_TRACE(row.spec);
    const auto spec = kmscore::parse_key_spec(row.spec);
    ASSERT_TRUE(spec);
    const auto& curve = kmscore::curve_info(*spec);
    EXPECT_NE(curve.curve, kmscore::ec_curve::none);
    EXPECT_EQ(std::vector<std::uint8_t>(curve.oid.begin(), curve.oid.end()), row.oid);
    EXPECT_EQ(curve.field_bytes, row.field_bytes);
    EXPECT_EQ(curve.openssl_group, row.openssl_group);
  }
  // Its twin: the specs without a curve have none, so no backend can make a key of them.
  for (const char* name : {"AES_256", "SM4", "RSA_2048", "RSA_3072", "RSA_4096"}) {
    SCOPED_TRACE(name);
    const auto& curve = kmscore::curve_info(*kmscore::parse_key_spec(name));
    EXPECT_EQ(curve.curve, kmscore::ec_curve::none);
    EXPECT_TRUE(curve.oid.empty());
    EXPECT_TRUE(curve.openssl_group.empty());
  }
}

// api-asymmetric.md section 0.3's pairs, written out: every RSA size with the six RSASSA
// names, EC_P256 with ECDSA_SHA_256 only, EC_P384 with ECDSA_SHA_384 only, SM2 with
// SM2DSA_SM3; a symmetric key with none.
TEST(KeySpecTest, SigningPairsAreThoseOfTheSpec) {
  const std::set<std::string> rsa{"RSASSA_PSS_SHA_256",        "RSASSA_PSS_SHA_384",
                                  "RSASSA_PSS_SHA_512",        "RSASSA_PKCS1_V1_5_SHA_256",
                                  "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"};
  const std::vector<std::pair<const char*, std::set<std::string>>> allowed{
      {"AES_256", {}},
      {"SM4", {}},
      {"RSA_2048", rsa},
      {"RSA_3072", rsa},
      {"RSA_4096", rsa},
      {"EC_P256", {"ECDSA_SHA_256"}},
      {"EC_P384", {"ECDSA_SHA_384"}},
      {"SM2", {"SM2DSA_SM3"}},
  };
  for (const auto& [name, names] : allowed) {
    const auto spec = kmscore::parse_key_spec(name);
    ASSERT_TRUE(spec) << name;
    std::set<std::string> seen;
    for (const auto& algorithm : kmscore::signing_algorithms) {
      if (kmscore::signing_allowed(*spec, algorithm.id)) seen.insert(std::string{algorithm.name});
    }
    EXPECT_EQ(seen, names) << name;
  }
}

}  // namespace

// The tables' own consistency checks, run once more at run time (they are static_asserts too):
// coverage then measures the lines the compiler alone executed.
TEST(KeySpecTest, TablesHoldToTheirOwnRules) {
  EXPECT_TRUE(kmscore::detail::key_spec_table_is_ordered());
  EXPECT_TRUE(kmscore::detail::mac_algorithm_table_is_ordered());
}
