// Validation of whole requests: field order, defaults, and the seeds' sample requests.
#include <kmscore/actions.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using kmscore::errc;

constexpr const char* seed_key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
constexpr const char* seed_sequence = "919c82d4-8046-4722-9094-35c3c6524cff";

// Hex of a well-framed AES-suite envelope (docs/envelope.md) for dek_bytes, written here by
// hand from the documented layout: validation parses framing only, no crypto.
std::string envelope_hex(const std::string& key_id, std::size_t dek_bytes,
                         std::uint16_t version = 0x0010) {
  const std::size_t body = version == 2 ? 16 : 48 + dek_bytes;
  const std::size_t total = 4 + body + 36 + 4 + 32;
  std::vector<kmscore::byte> blob(total, 0x5A);
  blob[0] = static_cast<kmscore::byte>(version & 0xFFU);
  blob[1] = static_cast<kmscore::byte>(version >> 8U);
  blob[2] = static_cast<kmscore::byte>((total - 36) & 0xFFU);
  blob[3] = static_cast<kmscore::byte>((total - 36) >> 8U);
  for (std::size_t i = 0; i < 36; ++i) blob[4 + body + i] = static_cast<kmscore::byte>(key_id[i]);
  return kmscore::hex_encode(blob);
}

// ---- create-key ------------------------------------------------------------------------

TEST(RequestsTest, SeedCreateKeyRequestIsAcceptedWithDefaults) {
  kmscore::create_key_request request;  // {"key_alias": "test"}
  request.key_alias = "test";
  const auto params = kmscore::validate(request);
  ASSERT_TRUE(params);
  EXPECT_EQ(params->key_alias(), "test");
  EXPECT_EQ(params->spec(), kmscore::key_spec::aes_256);
  EXPECT_EQ(params->usage(), kmscore::key_usage::encrypt_decrypt);
  EXPECT_EQ(params->origin(), kmscore::key_origin::kms);
  EXPECT_EQ(params->enterprise_project_id(), "0");
  EXPECT_EQ(params->key_description(), "");
}

TEST(RequestsTest, CreateKeyRequiresAlias) {
  const auto missing = kmscore::validate(kmscore::create_key_request{});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code_string(), "KMS.0204");
  EXPECT_EQ(missing.error().field(), "key_alias");
}

TEST(RequestsTest, CreateKeyDefaultsUsageFromSpec) {
  kmscore::create_key_request request;
  request.key_alias = "signer";
  request.key_spec = "EC_P256";
  const auto params = kmscore::validate(request);
  ASSERT_TRUE(params);
  EXPECT_EQ(params->usage(), kmscore::key_usage::sign_verify);
  request.key_usage = "ENCRYPT_DECRYPT";
  EXPECT_EQ(kmscore::validate(request).error().message(), "Invalid key_usage.");
}

TEST(RequestsTest, CreateKeyReportsFirstFailingFieldInDocumentedOrder) {
  kmscore::create_key_request request;
  request.key_alias = "bad alias";
  request.key_spec = "nope";
  request.key_usage = "nope";
  request.key_description = "\xFF";
  request.origin = "nope";
  request.enterprise_project_id = "nope";
  request.sequence = "short";
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_key_alias);
  request.key_alias = "ok";
  EXPECT_EQ(kmscore::validate(request).error().message(), "Invalid key_spec.");
  request.key_spec = "SM4";
  EXPECT_EQ(kmscore::validate(request).error().message(), "Invalid key_usage.");
  request.key_usage = "ENCRYPT_DECRYPT";
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_key_description);
  request.key_description = "national algorithm key";
  EXPECT_EQ(kmscore::validate(request).error().message(), "Invalid origin.");
  request.origin = "external";  // SM4 may be imported (api-import-mac.md §0.1)
  EXPECT_EQ(kmscore::validate(request).error().message(), "Invalid enterprise_project_id.");
  request.key_spec = "HMAC_256";  // never imported
  request.key_usage = "GENERATE_VERIFY_MAC";
  EXPECT_EQ(kmscore::validate(request).error().message(), "Invalid origin.");
  request.key_spec = "SM4";
  request.key_usage = "ENCRYPT_DECRYPT";
  request.origin = "kms";
  EXPECT_EQ(kmscore::validate(request).error().message(), "Invalid enterprise_project_id.");
  request.enterprise_project_id = "0";
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_sequence);
  request.sequence = seed_sequence;
  const auto params = kmscore::validate(request);
  ASSERT_TRUE(params);
  EXPECT_EQ(params->spec(), kmscore::key_spec::sm4);
  EXPECT_EQ(params->sequence(), seed_sequence);
}

TEST(RequestsTest, ExternalOriginWithAes256) {
  kmscore::create_key_request request;
  request.key_alias = "imported";
  request.origin = "external";
  const auto params = kmscore::validate(request);
  ASSERT_TRUE(params);
  EXPECT_EQ(params->origin(), kmscore::key_origin::external);
}

// ---- create-datakey ----------------------------------------------------------------------

TEST(RequestsTest, SeedCreateDatakeyRequestIsAccepted) {
  kmscore::create_datakey_request request;  // {"key_id": "...", "datakey_length": "512"}
  request.key_id = seed_key_id;
  request.datakey_length = "512";
  for (const auto policy :
       {kmscore::datakey_length_policy::range, kmscore::datakey_length_policy::strict512}) {
    const auto params = kmscore::validate(request, policy);
    ASSERT_TRUE(params);
    EXPECT_EQ(params->key_id(), seed_key_id);
    EXPECT_EQ(params->size().bytes(), 64U);
    EXPECT_EQ(params->size().bits(), 512U);
    EXPECT_TRUE(params->context().empty());
  }
}

TEST(RequestsTest, SeedContextAndSequenceExamplesAreAccepted) {
  kmscore::create_datakey_request request;
  request.key_id = seed_key_id;
  request.datakey_length = "512";
  request.encryption_context = {{{"Key1", "Value1"}, {"Key2", "Value2"}}};
  request.sequence = seed_sequence;
  const auto params = kmscore::validate(request);
  ASSERT_TRUE(params);
  EXPECT_EQ(params->context().pairs().size(), 2U);
}

TEST(RequestsTest, CreateDatakeyLengthAndSpec) {
  kmscore::create_datakey_request request;
  request.key_id = seed_key_id;
  const auto missing = kmscore::validate(request);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), errc::missing_parameter);
  EXPECT_EQ(missing.error().field(), "datakey_length");

  request.key_spec = "AES_128";
  EXPECT_EQ(kmscore::validate(request)->size().bytes(), 16U);
  request.key_spec = "AES_256";
  EXPECT_EQ(kmscore::validate(request)->size().bytes(), 32U);
  request.datakey_length = "64";  // datakey_length wins over key_spec
  EXPECT_EQ(kmscore::validate(request)->size().bytes(), 8U);
  request.key_spec = "SM4";
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.1902");
  request.key_spec.reset();
  request.datakey_length = "12";
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.1903");
  EXPECT_EQ(
      kmscore::validate(request, kmscore::datakey_length_policy::strict512).error().code_string(),
      "KMS.2001");
}

TEST(RequestsTest, CreateDatakeyFieldOrder) {
  kmscore::create_datakey_request request;
  request.key_id = "not-a-key-id";
  request.datakey_length = "1";
  request.encryption_context = {{{"k", "v"}, {"k", "w"}}};
  request.sequence = "x";
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_key_id);
  request.key_id = seed_key_id;
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::datakey_length_out_of_range);
  request.datakey_length = "512";
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_encryption_context);
  request.encryption_context = {{{"k", "v"}}};
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_sequence);
  request.sequence.reset();
  EXPECT_TRUE(kmscore::validate(request));
  request.key_id.reset();
  EXPECT_EQ(kmscore::validate(request).error().field(), "key_id");
}

// ---- encrypt-datakey ---------------------------------------------------------------------

TEST(RequestsTest, EncryptDatakeyPlainText) {
  kmscore::encrypt_datakey_request request;
  request.key_id = seed_key_id;
  request.plain_text = std::string(std::size_t{2} * (64 + 32), 'a');
  request.datakey_plain_length = "64";
  const auto params = kmscore::validate(request);
  ASSERT_TRUE(params);
  EXPECT_EQ(params->dek().size(), 64U);
  EXPECT_EQ(params->dek()[0], 0xAA);
  EXPECT_EQ(params->claimed_digest()[31], 0xAA);
  EXPECT_EQ(params->size().bytes(), 64U);

  request.plain_text = std::string(std::size_t{2} * 96 - 1, 'a');
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.2101");  // odd length
  request.plain_text = std::string(std::size_t{2} * 96 - 1, 'a') + "g";
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.2101");  // not hex
  request.plain_text = std::string(std::size_t{2} * 97, 'a');
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.2104");  // length mismatch
  request.datakey_plain_length = "65";
  EXPECT_TRUE(kmscore::validate(request));
  request.datakey_plain_length = "1025";
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.2102");
  request.datakey_plain_length = "0";
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.2102");
  request.datakey_plain_length.reset();
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.0204");
}

// ---- decrypt-datakey ---------------------------------------------------------------------

TEST(RequestsTest, DecryptDatakeyCipherText) {
  kmscore::decrypt_datakey_request request;
  request.key_id = seed_key_id;
  request.cipher_text = envelope_hex(seed_key_id, 64);
  request.datakey_cipher_length = "64";
  const auto params = kmscore::validate(request);
  ASSERT_TRUE(params);
  EXPECT_EQ(params->envelope().datakey_bytes(), 64U);
  EXPECT_EQ(params->envelope().key_id(), seed_key_id);
  EXPECT_EQ(params->size().bytes(), 64U);
  // Either case of hex is accepted.
  std::string lower = *request.cipher_text;
  for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
  request.cipher_text = lower;
  EXPECT_TRUE(kmscore::validate(request));
  request.cipher_text = "0200aBc";
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.2201");
  request.cipher_text = "0200aBcZ";
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.2201");
  request.cipher_text = "";
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.2201");
  request.cipher_text = "00";
  request.datakey_cipher_length = "1025";
  EXPECT_EQ(kmscore::validate(request).error().code_string(), "KMS.2202");
  request.cipher_text = envelope_hex(seed_key_id, 1024);
  request.datakey_cipher_length = "1024";
  EXPECT_TRUE(kmscore::validate(request));
}

// The envelope is parsed by validation, after every other field, in api.md's order:
// malformed or foreign (2201), then the DEK length (2204).
TEST(RequestsTest, DecryptDatakeyEnvelopeChecksCloseTheFieldChecks) {
  kmscore::decrypt_datakey_request request;
  request.key_id = seed_key_id;
  request.datakey_cipher_length = "64";
  request.cipher_text = "00";  // hex, but no envelope
  request.sequence = "x";
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_sequence);
  request.sequence.reset();
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_cipher_text);
  request.cipher_text = envelope_hex("11111111-2222-3333-4444-555555555555", 64);
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_cipher_text);  // other key
  request.cipher_text = envelope_hex(seed_key_id, 64, 2);  // the service's own version 2
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_cipher_text);
  request.cipher_text = envelope_hex(seed_key_id, 32);
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::cipher_text_length_mismatch);
  request.datakey_cipher_length = "32";
  EXPECT_TRUE(kmscore::validate(request));
}

// ---- caps: at each documented limit, and one past it ------------------------------------

TEST(RequestsTest, CapsAtTheLimitAndOnePast) {
  kmscore::encrypt_datakey_request encrypt;
  encrypt.key_id = seed_key_id;
  encrypt.datakey_plain_length = "1024";
  encrypt.plain_text = std::string(std::size_t{2} * (1024 + 32), 'b');
  EXPECT_TRUE(kmscore::validate(encrypt));
  encrypt.plain_text = std::string(std::size_t{2} * (1025 + 32), 'b');
  EXPECT_EQ(kmscore::validate(encrypt).error().code_string(), "KMS.2104");
  encrypt.datakey_plain_length = "1025";
  EXPECT_EQ(kmscore::validate(encrypt).error().code_string(), "KMS.2102");

  kmscore::decrypt_datakey_request decrypt;
  decrypt.key_id = seed_key_id;
  decrypt.datakey_cipher_length = "1024";
  decrypt.cipher_text = envelope_hex(seed_key_id, 1024);
  EXPECT_EQ(decrypt.cipher_text->size(), std::size_t{2} * kmscore::max_datakey_envelope_size);
  EXPECT_TRUE(kmscore::validate(decrypt));
  decrypt.cipher_text = std::string(std::size_t{2} * (kmscore::max_datakey_envelope_size + 1), 'c');
  EXPECT_EQ(kmscore::validate(decrypt).error().code_string(), "KMS.2201");
  EXPECT_EQ(kmscore::max_datakey_envelope_size, 1148U);
}

// ---- lifecycle ---------------------------------------------------------------------------

TEST(RequestsTest, LifecycleRequests) {
  kmscore::key_id_request request;
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::missing_parameter);
  request.key_id = seed_key_id;
  EXPECT_TRUE(kmscore::validate(request));
  request.key_id = "0d0466b0";
  EXPECT_EQ(kmscore::validate(request).error().code(), errc::invalid_key_id);

  kmscore::schedule_key_deletion_request schedule;
  schedule.key_id = seed_key_id;
  EXPECT_EQ(kmscore::validate(schedule).error().field(), "pending_days");
  schedule.pending_days = "7";
  EXPECT_EQ(kmscore::validate(schedule)->pending_days(), 7U);
  schedule.pending_days = "6";
  EXPECT_EQ(kmscore::validate(schedule).error().code_string(), "KMS.1401");
}

}  // namespace

// validate() is the only way to a params value (misuse/misuse.cpp shows the same at compile
// time, one forbidden line at a time).
namespace {
static_assert(!std::is_default_constructible_v<kmscore::create_key_params>);
static_assert(!std::is_default_constructible_v<kmscore::create_datakey_params>);
static_assert(!std::is_default_constructible_v<kmscore::encrypt_datakey_params>);
static_assert(!std::is_default_constructible_v<kmscore::decrypt_datakey_params>);
static_assert(!std::is_default_constructible_v<kmscore::key_id_params>);
static_assert(!std::is_default_constructible_v<kmscore::schedule_key_deletion_params>);
static_assert(!std::is_aggregate_v<kmscore::create_datakey_params>);
static_assert(
    !std::is_constructible_v<kmscore::create_datakey_params, kmscore::key_id, kmscore::datakey_size,
                             kmscore::encryption_context, kmscore::optional_field>);
static_assert(!std::is_constructible_v<kmscore::datakey_size, std::size_t>);
static_assert(!std::is_copy_constructible_v<kmscore::decrypt_datakey_params>);
static_assert(!std::is_constructible_v<kmscore::key_id, std::string>);
}  // namespace
