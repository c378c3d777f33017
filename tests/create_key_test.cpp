// create-key: key records, material for every spec judged by OpenSSL, key_ids, lifecycle,
// and stored records.
#include <kmscore/actions.hpp>
#include <kmscore/key_record_codec.hpp>
#include <kmscore/keyring.hpp>

#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <map>

#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "support/backends.hpp"

namespace {

using kmscore::key_spec;
using kmscore::key_state;

constexpr const char* domain_id = "b168fe00ff56492495a7d22974df2d0b";
constexpr std::int64_t now_ms = 1'700'000'000'000;

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

pkey_ptr private_key_of(kmscore::byte_span der) {
  const unsigned char* p = der.data();
  EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_EQ(p, der.data() + der.size()) << "trailing bytes after the private key";
  return {key, EVP_PKEY_free};
}
pkey_ptr public_key_of(kmscore::byte_span der) {
  const unsigned char* p = der.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_EQ(p, der.data() + der.size()) << "trailing bytes after the public key";
  return {key, EVP_PKEY_free};
}

// Signs with the private key and verifies with the public one (OpenSSL, independent).
bool sign_and_verify(EVP_PKEY* private_key, EVP_PKEY* public_key, const EVP_MD* md, bool pss) {
  const unsigned char message[] = "kmscore: data keys for everyone";
  std::vector<unsigned char> signature(1024);
  std::size_t size = signature.size();
  EVP_MD_CTX* sign = EVP_MD_CTX_new();
  EVP_PKEY_CTX* sign_ctx = nullptr;
  bool ok = EVP_DigestSignInit(sign, &sign_ctx, md, nullptr, private_key) == 1 &&
            (!pss || EVP_PKEY_CTX_set_rsa_padding(sign_ctx, RSA_PKCS1_PSS_PADDING) == 1) &&
            EVP_DigestSign(sign, signature.data(), &size, message, sizeof message) == 1;
  EVP_MD_CTX_free(sign);
  EVP_MD_CTX* verify = EVP_MD_CTX_new();
  EVP_PKEY_CTX* verify_ctx = nullptr;
  ok = ok && EVP_DigestVerifyInit(verify, &verify_ctx, md, nullptr, public_key) == 1 &&
       (!pss || EVP_PKEY_CTX_set_rsa_padding(verify_ctx, RSA_PKCS1_PSS_PADDING) == 1) &&
       EVP_DigestVerify(verify, signature.data(), size, message, sizeof message) == 1;
  // A changed message must not verify.
  const unsigned char other[] = "kmscore: data keys for everyone!";
  const bool forged =
      EVP_DigestVerifyInit(verify, &verify_ctx, md, nullptr, public_key) == 1 &&
      (!pss || EVP_PKEY_CTX_set_rsa_padding(verify_ctx, RSA_PKCS1_PSS_PADDING) == 1) &&
      EVP_DigestVerify(verify, signature.data(), size, other, sizeof other) == 1;
  EVP_MD_CTX_free(verify);
  return ok && !forged;
}

kmscore::create_key_params params_for(const char* spec, const char* usage = nullptr,
                                      const char* origin = nullptr) {
  kmscore::create_key_request request;
  request.key_alias = "alias";
  request.key_spec = spec;
  if (usage) request.key_usage = usage;
  if (origin) request.origin = origin;
  auto params = kmscore::validate(request);
  EXPECT_TRUE(params) << spec;
  return *params;
}

kmscore::key_record make(const char* spec) {
  kmscore_test::combined backend;
  auto record = kmscore::create_key(backend, params_for(spec), domain_id, now_ms);
  EXPECT_TRUE(record) << spec;
  record->project_id = *kmscore::project_id::parse(
      "0123456789abcdef0123456789abcdef");  // a stored record has a project
  return std::move(*record);
}

TEST(CreateKeyTest, SeedRequestMakesAnEnabledAesKey) {
  kmscore_test::combined backend;
  kmscore::create_key_request request;
  request.key_alias = "test";
  const auto record = kmscore::create_key(backend, *kmscore::validate(request), domain_id, now_ms);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->key.spec, key_spec::aes_256);
  EXPECT_EQ(record->key.state, key_state::enabled);
  EXPECT_EQ(record->domain_id, domain_id);
  EXPECT_EQ(record->creation_date_ms, now_ms);
  ASSERT_EQ(record->key.material_versions.size(), 1U);
  EXPECT_EQ(record->key.material_versions[0].size(), 32U);
  EXPECT_TRUE(record->public_key.empty());
}

TEST(CreateKeyTest, Sm4KeysHave16Bytes) {
  const auto record = make("SM4");
  EXPECT_EQ(record.key.material_versions.at(0).size(), 16U);
  EXPECT_EQ(record.usage, kmscore::key_usage::encrypt_decrypt);
}

TEST(CreateKeyTest, ExternalOriginHasNoMaterialAndWaitsForImport) {
  kmscore_test::combined backend;
  const auto record =
      kmscore::create_key(backend, params_for("AES_256", nullptr, "external"), domain_id, now_ms);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->key.state, key_state::pending_import);
  EXPECT_TRUE(record->key.material_versions.empty());
}

void check_rsa(const char* spec, int bits) {
  const auto record = make(spec);
  const auto private_key = private_key_of(record.key.material_versions.at(0).expose());
  const auto public_key = public_key_of(record.public_key);
  ASSERT_TRUE(private_key && public_key);
  EXPECT_EQ(EVP_PKEY_get_base_id(private_key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(private_key.get()), bits);
  BIGNUM* e = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(public_key.get(), OSSL_PKEY_PARAM_RSA_E, &e), 1);
  EXPECT_EQ(BN_get_word(e), 65537U);
  BN_free(e);
  EXPECT_EQ(EVP_PKEY_eq(private_key.get(), public_key.get()), 1);
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new(private_key.get(), nullptr);
  EXPECT_EQ(EVP_PKEY_check(check), 1);
  EVP_PKEY_CTX_free(check);
  EXPECT_TRUE(sign_and_verify(private_key.get(), public_key.get(), EVP_sha256(), true));
}

TEST(CreateKeyTest, Rsa2048) { check_rsa("RSA_2048", 2048); }
TEST(CreateKeyTest, Rsa3072) { check_rsa("RSA_3072", 3072); }
TEST(CreateKeyTest, Rsa4096) { check_rsa("RSA_4096", 4096); }

void check_ec(const char* spec, const char* group, const EVP_MD* md, bool sm2) {
  const auto record = make(spec);
  const auto private_key = private_key_of(record.key.material_versions.at(0).expose());
  const auto public_key = public_key_of(record.public_key);
  ASSERT_TRUE(private_key && public_key);
  EXPECT_EQ(EVP_PKEY_is_a(private_key.get(), sm2 ? "SM2" : "EC"), 1) << spec;
  char name[64] = {};
  std::size_t length = 0;
  ASSERT_EQ(EVP_PKEY_get_utf8_string_param(public_key.get(), OSSL_PKEY_PARAM_GROUP_NAME, name,
                                           sizeof name, &length),
            1);
  EXPECT_STREQ(name, group);
  // Point on the curve, scalar in range, and the point is the scalar's (OpenSSL's checks).
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new(private_key.get(), nullptr);
  EXPECT_EQ(EVP_PKEY_check(check), 1);
  EVP_PKEY_CTX_free(check);
  EVP_PKEY_CTX* public_check = EVP_PKEY_CTX_new(public_key.get(), nullptr);
  EXPECT_EQ(EVP_PKEY_public_check(public_check), 1);
  EVP_PKEY_CTX_free(public_check);
  EXPECT_EQ(EVP_PKEY_eq(private_key.get(), public_key.get()), 1);
  EXPECT_TRUE(sign_and_verify(private_key.get(), public_key.get(), md, false)) << spec;
}

TEST(CreateKeyTest, EcP256) { check_ec("EC_P256", "prime256v1", EVP_sha256(), false); }
TEST(CreateKeyTest, EcP384) { check_ec("EC_P384", "secp384r1", EVP_sha384(), false); }
TEST(CreateKeyTest, Sm2WithTheSm2Oid) { check_ec("SM2", "SM2", EVP_sm3(), true); }

TEST(CreateKeyTest, TwoKeysNeverShareMaterial) {
  for (const char* spec : {"AES_256", "SM4", "EC_P256", "SM2"}) {
    const auto a = make(spec);
    const auto b = make(spec);
    EXPECT_NE(a.key.key_id, b.key.key_id);
    EXPECT_FALSE(a.key.material_versions.at(0) == b.key.material_versions.at(0)) << spec;
    EXPECT_NE(a.public_key.empty() ? std::vector<kmscore::byte>{1} : a.public_key, b.public_key);
  }
}

TEST(CreateKeyTest, HundredThousandKeyIdsAreUniqueVersion4) {
  kmscore_test::sodium backend;
  const std::regex documented{"^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$"};
  std::set<std::string> seen;
  for (int i = 0; i < 100'000; ++i) {
    const auto parsed = kmscore::new_key_id(backend);
    ASSERT_TRUE(parsed);
    const std::string id = parsed->str();
    ASSERT_TRUE(seen.insert(id).second) << id;
    ASSERT_EQ(id[14], '4') << id;                                    // version 4
    ASSERT_NE(std::string{"89ab"}.find(id[19]), std::string::npos);  // RFC 9562 variant
    if (i % 1000 == 0) {  // the documented pattern, checked by an independent matcher
      ASSERT_TRUE(std::regex_match(id, documented)) << id;
    }
    ASSERT_TRUE(kmscore::uuid::is_canonical(id)) << id;
  }
  EXPECT_EQ(seen.size(), 100'000U);
}

TEST(CreateKeyTest, EverySpecUsageOriginRow) {
  kmscore_test::combined backend;
  for (const auto& row : kmscore::key_spec_table) {
    const std::string spec{row.name};
    for (const char* usage : {"ENCRYPT_DECRYPT", "SIGN_VERIFY"}) {
      for (const char* origin : {"kms", "external"}) {
        kmscore::create_key_request request;
        request.key_alias = "row";
        request.key_spec = spec;
        request.key_usage = usage;
        request.origin = origin;
        const auto params = kmscore::validate(request);
        const bool usage_ok = row.allows(*kmscore::parse_key_usage(usage));
        const bool origin_ok =
            std::string{origin} == "kms" || row.family != kmscore::key_family::hmac;
        ASSERT_EQ(params.has_value(), usage_ok && origin_ok) << spec << usage << origin;
        if (!params) {
          EXPECT_EQ(params.error().message(), usage_ok ? "Invalid origin." : "Invalid key_usage.");
          continue;
        }
        if (row.spec == key_spec::rsa_4096 || row.spec == key_spec::rsa_3072) continue;  // slow
        const auto record = kmscore::create_key(backend, *params, domain_id, now_ms);
        ASSERT_TRUE(record) << spec << usage << origin;
        EXPECT_EQ(record->usage, *kmscore::parse_key_usage(usage));
        EXPECT_EQ(record->key.material_versions.empty(), std::string{origin} == "external");
      }
    }
  }
}

TEST(CreateKeyTest, SodiumCannotMakeKeyPairs) {
  kmscore_test::sodium sodium;
  const auto made = kmscore::create_key(sodium, params_for("EC_P256"), domain_id, now_ms);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code_string(), "KMS.0101");
  EXPECT_TRUE(kmscore::create_key(sodium, params_for("AES_256"), domain_id, now_ms));
}

TEST(CreateKeyTest, DomainIdComesFromTheHostAndMustBeWellFormed) {
  kmscore_test::combined backend;
  const auto params = params_for("AES_256");
  EXPECT_TRUE(kmscore::create_key(backend, params, domain_id, now_ms));
  EXPECT_FALSE(kmscore::create_key(backend, params, "B168FE00FF56492495A7D22974DF2D0B", now_ms));
  EXPECT_FALSE(kmscore::create_key(backend, params, "b168fe00ff56492495a7d22974df2d0", now_ms));
  EXPECT_FALSE(kmscore::create_key(backend, params, "", now_ms));
}

// ---- lifecycle ---------------------------------------------------------------------------

TEST(LifecycleTest, TransitionsAndTheirErrors) {
  auto record = make("AES_256");
  EXPECT_EQ(kmscore::enable_key(record).error().code_string(), "KMS.1201");  // not disabled
  ASSERT_TRUE(kmscore::disable_key(record));
  EXPECT_EQ(record.key.state, key_state::disabled);
  EXPECT_EQ(kmscore::disable_key(record).error().code_string(), "KMS.1301");  // not enabled
  ASSERT_TRUE(kmscore::enable_key(record));
  EXPECT_EQ(record.key.state, key_state::enabled);
  EXPECT_EQ(kmscore::cancel_key_deletion(record).error().code_string(), "KMS.1501");
  EXPECT_EQ(kmscore::schedule_key_deletion(record, 6, now_ms).error().code_string(), "KMS.1401");
  EXPECT_EQ(kmscore::schedule_key_deletion(record, 1097, now_ms).error().code_string(), "KMS.1401");
  ASSERT_TRUE(kmscore::schedule_key_deletion(record, 7, now_ms));
  EXPECT_EQ(record.key.state, key_state::scheduled_deletion);
  EXPECT_EQ(record.scheduled_deletion_date_ms, now_ms + 7 * kmscore::milliseconds_per_day);
  EXPECT_EQ(kmscore::schedule_key_deletion(record, 7, now_ms).error().code_string(), "KMS.1402");
  EXPECT_EQ(kmscore::enable_key(record).error().code_string(), "KMS.1201");
  ASSERT_TRUE(kmscore::cancel_key_deletion(record));
  EXPECT_EQ(record.key.state, key_state::disabled);  // cancel returns to disabled
  EXPECT_EQ(record.scheduled_deletion_date_ms, 0);
}

// ---- stored records ----------------------------------------------------------------------

kmscore::master_key root_key(kmscore::byte fill = 0x5C) {
  kmscore::master_key root;
  root.key_id = *kmscore::key_id::parse("00000000-0000-4000-8000-000000000001");
  root.material_versions.emplace_back(std::vector<kmscore::byte>(32, fill));
  return root;
}

void expect_same(const kmscore::key_record& a, const kmscore::key_record& b) {
  EXPECT_EQ(a.key.key_id, b.key.key_id);
  EXPECT_EQ(a.key.spec, b.key.spec);
  EXPECT_EQ(a.key.state, b.key.state);
  ASSERT_EQ(a.key.material_versions.size(), b.key.material_versions.size());
  for (std::size_t i = 0; i < a.key.material_versions.size(); ++i) {
    EXPECT_TRUE(a.key.material_versions[i] == b.key.material_versions[i]);
  }
  EXPECT_EQ(a.domain_id, b.domain_id);
  EXPECT_EQ(a.key_alias, b.key_alias);
  EXPECT_EQ(a.key_description, b.key_description);
  EXPECT_EQ(a.usage, b.usage);
  EXPECT_EQ(a.origin, b.origin);
  EXPECT_EQ(a.enterprise_project_id, b.enterprise_project_id);
  EXPECT_EQ(a.creation_date_ms, b.creation_date_ms);
  EXPECT_EQ(a.scheduled_deletion_date_ms, b.scheduled_deletion_date_ms);
  EXPECT_EQ(a.public_key, b.public_key);
  EXPECT_EQ(a.rotation_enabled, b.rotation_enabled);
  EXPECT_EQ(a.rotation_interval_days, b.rotation_interval_days);
  EXPECT_EQ(a.rotation_enabled_ms, b.rotation_enabled_ms);
  EXPECT_EQ(a.last_rotation_ms, b.last_rotation_ms);
  EXPECT_EQ(a.number_of_rotations, b.number_of_rotations);
  EXPECT_EQ(a.on_demand_rotations, b.on_demand_rotations);
  EXPECT_EQ(a.key.min_decryption_version, b.key.min_decryption_version);
  EXPECT_EQ(a.tags, b.tags);
}

// Only what reads back is sealed: a record without a domain (or any field its own rules
// refuse) is a 500 at sealing time, not a record that can never be opened.
TEST(KeyRecordStoreTest, ARecordThatWouldNotReadBackIsNotSealed) {
  kmscore_test::combined backend;
  auto record = make("AES_256");
  ASSERT_TRUE(kmscore::seal_key_record(backend, root_key(), record));
  record.domain_id.clear();
  EXPECT_EQ(kmscore::seal_key_record(backend, root_key(), record).error().code_string(),
            "KMS.0101");
  record = make("AES_256");
  record.on_demand_rotations = kmscore::max_on_demand_rotations;
  ASSERT_TRUE(kmscore::seal_key_record(backend, root_key(), record));
  record.on_demand_rotations = kmscore::max_on_demand_rotations + 1;
  EXPECT_EQ(kmscore::seal_key_record(backend, root_key(), record).error().code_string(),
            "KMS.0101");
}

// A key rotates until its record is full, and no further: rotate-key at the cap is a 400
// (KMS.3012) with the record unchanged, and the full record still seals and opens. (The
// review of 0f70773 found rotate-key answering 500 KMS.0101 at 1,922 rotations: rotation went
// past what a record holds.) The caps are computed from envelope.md's sizes: a payload of at
// most 65,535 - 76 (framing) - 48 (salt and GCM tag) bytes, 1 marker byte, then 2 + 32 (AES)
// or 2 + 16 (SM4) bytes per version.
TEST(KeyRecordStoreTest, RotationStopsWhereTheRecordIsFull) {
  kmscore_test::combined backend;
  const auto root = root_key();
  for (const auto& [spec, cap] : {std::pair{"AES_256", 1923U}, std::pair{"SM4", 3633U}}) {
    auto record = make(spec);
    EXPECT_EQ(kmscore::max_versions_of(record.key.spec), cap) << spec;
    while (record.key.material_versions.size() < cap) {
      ASSERT_TRUE(kmscore::rotate_key(backend, record, now_ms)) << spec;
    }
    const auto full = kmscore::seal_key_record(backend, root, record);
    ASSERT_TRUE(full) << spec;
    const auto back = kmscore::open_key_record(backend, root, *full);
    ASSERT_TRUE(back) << spec;
    EXPECT_EQ(back->key.material_versions.size(), cap);
    EXPECT_EQ(back->number_of_rotations, cap - 1);
    const auto refused = kmscore::rotate_key(backend, record, now_ms + 1);
    ASSERT_FALSE(refused) << spec;
    EXPECT_EQ(refused.error().code_string(), "KMS.3012");
    EXPECT_EQ(refused.error().http_status(), 400);
    EXPECT_EQ(record.key.material_versions.size(), cap);  // nothing changed
    EXPECT_EQ(record.last_rotation_ms, now_ms);
    // The twin: one version more does not fit a record at all.
    record.key.material_versions.push_back(record.key.material_versions.back().clone());
    EXPECT_FALSE(kmscore::seal_key_record(backend, root, record)) << spec;
  }
}

// The largest metadata a request can make still seals: an RSA_4096 key (the longest public
// key) with a 255-character alias, a description of 255 four-byte characters and ten tags of
// the longest four-byte keys and values (api-metadata.md §3.1) stays inside the record's
// 8 KiB of metadata; so no tag write answers 500.
TEST(KeyRecordStoreTest, TheLargestRecordSeals) {
  kmscore_test::combined backend;
  auto record = make("RSA_4096");
  const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600: four bytes
  const auto repeat = [](const std::string& piece, std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += piece;
    return text;
  };
  record.key_alias = std::string(255, 'a');
  record.key_description = repeat(emoji, 255);
  for (char first = 'a'; first < 'a' + 10; ++first) {
    record.tags[std::string(1, first) + repeat(emoji, 35)] = repeat(emoji, 43);
  }
  ASSERT_TRUE(kmscore::check_key_description(record.key_description));
  const auto stored = kmscore::seal_key_record(backend, root_key(), record);
  ASSERT_TRUE(stored);
  const auto back = kmscore::open_key_record(backend, root_key(), *stored);
  ASSERT_TRUE(back);
  expect_same(record, *back);
  EXPECT_EQ(back->tags.size(), 10U);
}

// The record's text of a key's tags is read back only as tags_to_text writes it.
TEST(KeyRecordStoreTest, TagsTextIsReadStrictly) {
  const kmscore::key_tags tags{{"env", "prod"}, {"环境", ""}};
  const auto text = kmscore::tags_to_text(tags);
  EXPECT_EQ(text,
            "3:env4:prod6:\xE7\x8E\xAF\xE5\xA2\x83"
            "0:");
  EXPECT_EQ(kmscore::tags_from_text(text), tags);
  EXPECT_EQ(kmscore::tags_from_text(""), kmscore::key_tags{});
  for (const char* bad : {"03:env4:prod", "3:env4:prod,", "3:env", "3:env4:pro", "3:env4:prodx",
                          "4:prod3:env3:env4:prod", "1:a0:1:a0:", "0:0:", "1:*0:", "1:a1:=",
                          ":env4:prod", "3env4:prod", "-3:env4:prod"}) {
    EXPECT_FALSE(kmscore::tags_from_text(bad)) << bad;
  }
  std::string eleven;
  for (char c = 'a'; c < 'a' + 11; ++c) eleven += std::string{"1:"} + c + "0:";
  EXPECT_FALSE(kmscore::tags_from_text(eleven));
  EXPECT_TRUE(kmscore::tags_from_text(eleven.substr(0, eleven.size() - 5)));
}

TEST(KeyRecordStoreTest, RoundTripsEverySpec) {
  kmscore_test::combined backend;
  const auto root = root_key();
  for (const char* spec : {"AES_256", "SM4", "RSA_2048", "EC_P256", "EC_P384", "SM2"}) {
    auto record = make(spec);
    record.key_description = "\xE4\xB8\xAD description";
    const auto stored = kmscore::seal_key_record(backend, root, record);
    ASSERT_TRUE(stored) << spec;
    const auto back = kmscore::open_key_record(backend, root, *stored);
    ASSERT_TRUE(back) << spec;
    expect_same(record, *back);
  }
}

TEST(KeyRecordStoreTest, RotatedMaterialAndExternalKeysRoundTrip) {
  kmscore_test::cryptopp backend;
  const auto root = root_key();
  auto record = make("AES_256");
  record.key.material_versions.emplace_back(std::vector<kmscore::byte>(32, 1));
  record.rotation_enabled = true;
  record.rotation_interval_days = 90;
  record.rotation_enabled_ms = now_ms;
  record.last_rotation_ms = now_ms + 1;
  record.number_of_rotations = 1;
  record.on_demand_rotations = 1;
  record.key.min_decryption_version = 1;
  auto back =
      kmscore::open_key_record(backend, root, *kmscore::seal_key_record(backend, root, record));
  ASSERT_TRUE(back);
  expect_same(record, *back);
  record.key.material_versions.clear();
  record.key.state = key_state::pending_import;
  back = kmscore::open_key_record(backend, root, *kmscore::seal_key_record(backend, root, record));
  ASSERT_TRUE(back);
  expect_same(record, *back);
}

TEST(KeyRecordStoreTest, AnyTamperingOrWrongRootIsRejected) {
  kmscore_test::cryptopp backend;
  const auto root = root_key();
  const auto record = make("SM4");
  const auto stored = *kmscore::seal_key_record(backend, root, record);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    auto tampered = stored;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(kmscore::open_key_record(backend, root, tampered)) << "byte " << i;
  }
  for (std::size_t size = 0; size < stored.size(); size += 7) {
    const std::vector<kmscore::byte> cut(stored.begin(), stored.begin() + static_cast<long>(size));
    EXPECT_FALSE(kmscore::open_key_record(backend, root, cut)) << size;
  }
  auto extended = stored;
  extended.push_back(0);
  EXPECT_FALSE(kmscore::open_key_record(backend, root, extended));
  const auto other_root = root_key(0x5D);
  const auto refused = kmscore::open_key_record(backend, other_root, stored);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code_string(), "KMS.0101");
}

}  // namespace

// ---- the keyring (keyring.hpp) -----------------------------------------------------------

namespace keyring_test {

kmscore::keyring two_key_ring(const kmscore::master_key& root) {
  kmscore::keyring ring;
  kmscore::master_key first;
  first.key_id = root.key_id;
  first.material_versions.push_back(root.material_versions[0].clone());
  ring.sealing_keys.push_back(std::move(first));
  kmscore::master_key second;
  second.key_id = *kmscore::key_id::parse("00000000-0000-4000-8000-000000000002");
  second.material_versions.emplace_back(std::vector<kmscore::byte>(32, 0x77));
  ring.sealing_keys.push_back(std::move(second));
  std::vector<kmscore::byte> secret(32);
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<kmscore::byte>(i);
  ring.service_secret = kmscore::secret_bytes{secret};
  return ring;
}

// Sealed under the root key, the keyring opens under it whole, and under nothing else: another
// root key, or any one byte changed, is KMS.0101.
TEST(KeyringTest, OpensUnderItsRootKeyOnlyAndWhole) {
  kmscore_test::combined backend;
  const auto root = root_key();
  const auto sealed = kmscore::seal_keyring(backend, root, two_key_ring(root));
  ASSERT_TRUE(sealed);
  const auto opened = kmscore::open_keyring(backend, root, *sealed);
  ASSERT_TRUE(opened);
  ASSERT_EQ(opened->sealing_keys.size(), 2U);
  EXPECT_EQ(opened->sealing_keys[1].key_id.str(), "00000000-0000-4000-8000-000000000002");
  EXPECT_TRUE(opened->sealing_keys[1].material_versions[0] ==
              two_key_ring(root).sealing_keys[1].material_versions[0]);
  EXPECT_TRUE(opened->service_secret == two_key_ring(root).service_secret);
  EXPECT_FALSE(kmscore::open_keyring(backend, root_key(0x5D), *sealed));
  for (const std::size_t at : {std::size_t{0}, sealed->size() / 2, sealed->size() - 1}) {
    auto changed = *sealed;
    changed[at] ^= 0x01;
    EXPECT_FALSE(kmscore::open_keyring(backend, root, changed)) << at;
  }
  kmscore::keyring empty;
  empty.service_secret = kmscore::secret_bytes{32};
  EXPECT_FALSE(kmscore::seal_keyring(backend, root, empty));  // no sealing key: refused
}

// A sealer seals with the keyring's newest key and opens with the key a record names: a record
// sealed before the keyring (under the root key, its first key) still opens; one sealed under
// a key the keyring does not hold does not.
TEST(KeyringTest, RecordsOpenUnderTheKeyTheyNameAndNewOnesUseTheNewest) {
  kmscore_test::combined backend;
  const auto root = root_key();
  kmscore::root_key_sealer<kmscore_test::combined> sealer{backend, root_key()};
  const auto record = make("AES_256");
  const auto before = sealer.seal(record);  // no keyring yet: the root key seals
  ASSERT_TRUE(before);
  const auto ring = kmscore::seal_keyring(backend, root, two_key_ring(root));
  ASSERT_TRUE(ring);
  ASSERT_TRUE(sealer.load_keyring(*ring));
  const auto after = sealer.seal(record);
  ASSERT_TRUE(after);
  const auto sealed_by = [](const std::vector<kmscore::byte>& stored) {
    return std::string{kmscore::as_chars(stored)}.find("00000000-0000-4000-8000-000000000002") !=
           std::string::npos;
  };
  EXPECT_FALSE(sealed_by(*before));
  EXPECT_TRUE(sealed_by(*after));
  ASSERT_TRUE(sealer.open(*before));
  ASSERT_TRUE(sealer.open(*after));
  expect_same(*sealer.open(*after), record);
  kmscore::root_key_sealer<kmscore_test::combined> without{backend, root_key()};
  EXPECT_FALSE(without.open(*after));  // the second key is only in the keyring
  EXPECT_TRUE(without.open(*before));
  EXPECT_FALSE(sealer.load_keyring(
      *kmscore::seal_keyring(backend, root_key(0x5D), two_key_ring(root_key(0x5D)))));
}

// keyring rotate: a new newest sealing key and its link (the key sealed under the newest one
// before it). A sealer that loaded the keyring before learns keys added since from their links,
// a chain of them at once, all or nothing, to open records with (it seals under the key it
// loaded); a changed link, a missing one, a loop, or no link source leaves such a record
// unopened and the keyring as it was. Without the root key there is no rotation.
TEST(KeyringTest, ARunningSealerLearnsKeysAddedSinceFromTheirLinks) {
  kmscore_test::combined backend;
  const auto root = root_key();
  const auto ring = kmscore::seal_keyring(backend, root, two_key_ring(root));
  ASSERT_TRUE(ring);
  kmscore::root_key_sealer<kmscore_test::combined> running{backend, root_key()};
  kmscore::root_key_sealer<kmscore_test::combined> rotating{backend, root_key()};
  ASSERT_TRUE(running.load_keyring(*ring));
  ASSERT_TRUE(rotating.load_keyring(*ring));
  std::map<std::string, std::vector<kmscore::byte>> links;
  std::vector<std::string> added;
  for (int round = 0; round < 2; ++round) {
    auto rotation = rotating.rotate_keyring();
    ASSERT_TRUE(rotation);
    ASSERT_TRUE(rotating.load_keyring(rotation->keyring));
    links[rotation->key.str()] = rotation->link;
    added.push_back(rotation->key.str());
  }
  EXPECT_EQ(rotating.keyring_keys(), 4U);
  const auto record = make("AES_256");
  const auto sealed = rotating.seal(record);
  ASSERT_TRUE(sealed);
  const auto sealed_by = [](const std::vector<kmscore::byte>& stored, const std::string& id) {
    return std::string{kmscore::as_chars(stored)}.find(id) != std::string::npos;
  };
  EXPECT_TRUE(sealed_by(*sealed, added[1]));

  EXPECT_FALSE(running.open(*sealed));  // no link source: the key is not known
  const auto source = [](const std::map<std::string, std::vector<kmscore::byte>>& held) {
    return [held](const kmscore::key_id& id)
               -> kmscore::result<std::optional<std::vector<kmscore::byte>>> {
      const auto found = held.find(id.str());
      if (found == held.end()) return std::optional<std::vector<kmscore::byte>>{};
      return std::optional<std::vector<kmscore::byte>>{found->second};
    };
  };
  auto missing = links;
  missing.erase(added[0]);  // the chain is broken: nothing learned
  running.learn_links_from(source(missing));
  EXPECT_FALSE(running.open(*sealed));
  EXPECT_EQ(running.keyring_keys(), 2U);
  auto changed = links;
  changed[added[1]][changed[added[1]].size() / 2] ^= 0x01;
  running.learn_links_from(source(changed));
  EXPECT_FALSE(running.open(*sealed));
  EXPECT_EQ(running.keyring_keys(), 2U);  // all or nothing: the good first link is not kept
  auto looped = links;  // the first link replaced by the second: a link names its own key
  looped[added[0]] = links[added[1]];
  running.learn_links_from(source(looped));
  EXPECT_FALSE(running.open(*sealed));
  EXPECT_EQ(running.keyring_keys(), 2U);
  running.learn_links_from(source(links));
  const auto opened = running.open(*sealed);
  ASSERT_TRUE(opened);
  expect_same(*opened, record);
  EXPECT_EQ(running.keyring_keys(), 4U);
  // Learned keys open; the key that seals stays the one loaded (until the next load).
  const auto resealed = running.seal(record);
  ASSERT_TRUE(resealed);
  EXPECT_FALSE(sealed_by(*resealed, added[0]));
  EXPECT_FALSE(sealed_by(*resealed, added[1]));
  EXPECT_TRUE(sealed_by(*resealed, "00000000-0000-4000-8000-000000000002"));

  rotating.release_root();
  EXPECT_FALSE(rotating.rotate_keyring());
}

// Service keys are HKDF-SHA-256 (RFC 5869) of the service secret: salt "kmscore service
// secret v1", info the label. Expected values from Python's hmac/hashlib, not this code.
TEST(KeyringTest, ServiceKeysAreHkdfOfTheSecretPerLabel) {
  kmscore_test::combined backend;
  const auto ring = two_key_ring(root_key());
  const auto audit = kmscore::derive_service_key(backend, ring, "kmscore audit signing key v1");
  const auto other = kmscore::derive_service_key(backend, ring, "other");
  ASSERT_TRUE(audit && other);
  EXPECT_EQ(kmscore::hex_encode(audit->expose()),
            "0EF938360D526638B5A7AED264CDD8E18A9FF1CD19F9D9027D2B4539B9EA041B");
  EXPECT_EQ(kmscore::hex_encode(other->expose()),
            "3272B54A9B3957ECCF67175DD26ADF945F924337C5E96BFD9EF93B0600CA83B5");
  kmscore::keyring no_secret;
  EXPECT_FALSE(kmscore::derive_service_key(backend, no_secret, "other"));
}

}  // namespace keyring_test
