// Sealing and opening on every backend: round trips, cross-backend, and every tamper.
#include <kmscore/seal.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <vector>

#include "support/backends.hpp"

namespace {

using kmscore::byte;
using kmscore::encryption_context;
using kmscore::envelope_suite;
using kmscore::errc;

constexpr const char* key_id_text = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
const kmscore::key_id key_id = *kmscore::key_id::parse(key_id_text);

std::vector<byte> filled(std::size_t size, byte value) { return std::vector<byte>(size, value); }

bool all_zero(const std::vector<byte>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](byte b) { return b == 0; });
}

template <class Backend>
struct sealed_sample {
  std::vector<byte> cmk;
  std::vector<byte> dek;
  encryption_context context;
  std::vector<byte> blob;
};

template <class Backend>
sealed_sample<Backend> seal_sample(Backend& backend, envelope_suite suite, std::size_t dek_size) {
  sealed_sample<Backend> sample{filled(suite == envelope_suite::sm4_gcm_hmac_sm3 ? 16 : 32, 7),
                                filled(dek_size, 0x42),
                                *encryption_context::make({{"bucket", "photos"}}),
                                std::vector<byte>(kmscore::envelope_size(dek_size))};
  auto key = kmscore::envelope_key<Backend>::derive(backend, suite, sample.cmk, key_id, 3);
  EXPECT_TRUE(key);
  EXPECT_TRUE(key->seal(backend, sample.dek, sample.context, sample.blob));
  return sample;
}

// Opens blob with the given CMK material, key_id, version and context; returns the error
// code (or nothing) and checks that a failed open leaves the output zeroed.
template <class Backend>
std::optional<errc> try_open(Backend& backend, envelope_suite suite, const std::vector<byte>& cmk,
                             const std::vector<byte>& blob, const encryption_context& context,
                             std::uint32_t key_version = 3, const char* id = key_id_text) {
  const auto view = kmscore::parse_envelope(blob);
  if (!view) return view.error().code();
  // The keys of the blob's own version when it is of the suite (an AES CMK opens 16 and 18),
  // else the suite's newest (a blob of another suite must not open).
  const auto id_parsed = *kmscore::key_id::parse(id);
  auto key = view->suite() == suite ? kmscore::envelope_key<Backend>::derive(
                                          backend, view->version(), cmk, id_parsed, key_version)
                                    : kmscore::envelope_key<Backend>::derive(
                                          backend, suite, cmk, id_parsed, key_version);
  if (!key) return key.error().code();
  std::vector<byte> dek(view->datakey_bytes(), 0xEE);
  const auto opened = key->open(backend, *view, context, dek);
  if (opened) return std::nullopt;
  EXPECT_TRUE(all_zero(dek)) << "output not wiped";
  return opened.error().code();
}

template <class Backend>
void round_trip(Backend& backend, envelope_suite suite) {
  for (const std::size_t size : {1U, 16U, 64U, 1024U}) {
    auto sample = seal_sample(backend, suite, size);
    EXPECT_EQ(sample.blob.size(), kmscore::envelope_size(size));
    const auto view = kmscore::parse_envelope(sample.blob);
    ASSERT_TRUE(view);
    auto key = kmscore::envelope_key<Backend>::derive(backend, suite, sample.cmk, key_id, 3);
    std::vector<byte> dek(size);
    ASSERT_TRUE(key->open(backend, *view, sample.context, dek));
    EXPECT_EQ(dek, sample.dek);
  }
}

TEST(SealTest, RoundTripsOnEveryBackend) {
  kmscore_test::sodium sodium;
  kmscore_test::cryptopp cryptopp;
  kmscore_test::combined combined;
  round_trip(sodium, envelope_suite::aes256_gcm_hmac_sha256);
  round_trip(cryptopp, envelope_suite::aes256_gcm_hmac_sha256);
  round_trip(cryptopp, envelope_suite::sm4_gcm_hmac_sm3);
  round_trip(combined, envelope_suite::aes256_gcm_hmac_sha256);
  round_trip(combined, envelope_suite::sm4_gcm_hmac_sm3);
}

TEST(SealTest, SixtyFourByteDekMakesA188ByteEnvelope) {
  kmscore_test::cryptopp cryptopp;
  EXPECT_EQ(seal_sample(cryptopp, envelope_suite::aes256_gcm_hmac_sha256, 64).blob.size(), 188U);
  EXPECT_EQ(seal_sample(cryptopp, envelope_suite::sm4_gcm_hmac_sm3, 64).blob.size(), 188U);
}

TEST(SealTest, BlobsOpenAcrossBackends) {
  kmscore_test::sodium sodium;
  kmscore_test::cryptopp cryptopp;
  kmscore_test::sodium_cryptopp sodium_cryptopp;
  const auto aes = envelope_suite::aes256_gcm_hmac_sha256;
  const auto from_sodium = seal_sample(sodium, aes, 64);  // version 16
  EXPECT_EQ(kmscore::parse_envelope(from_sodium.blob)->version(),
            kmscore::envelope_version::aes256_gcm_hmac_sha256);
  EXPECT_EQ(try_open(cryptopp, aes, from_sodium.cmk, from_sodium.blob, from_sodium.context),
            std::nullopt);
  EXPECT_EQ(try_open(sodium_cryptopp, aes, from_sodium.cmk, from_sodium.blob, from_sodium.context),
            std::nullopt);
  const auto from_cryptopp = seal_sample(cryptopp, aes, 64);  // version 18
  EXPECT_EQ(kmscore::parse_envelope(from_cryptopp.blob)->version(),
            kmscore::envelope_version::aes256_gcm_cmac_kdf);
  EXPECT_EQ(
      try_open(sodium_cryptopp, aes, from_cryptopp.cmk, from_cryptopp.blob, from_cryptopp.context),
      std::nullopt);
  // libsodium has no raw AES block function: it cannot derive version 18's keys.
  EXPECT_EQ(try_open(sodium, aes, from_cryptopp.cmk, from_cryptopp.blob, from_cryptopp.context),
            errc::kms_error);
  // SM4 keys stay on version 17: Crypto++'s SM4 is table-based, and 19's KDF would key it with
  // the CMK itself.
  const auto sm4 = envelope_suite::sm4_gcm_hmac_sm3;
  EXPECT_FALSE(cryptopp.block_constant_time(kmscore::cipher_id::sm4_gcm));
  const auto sm4_blob = seal_sample(cryptopp, sm4, 64);
  EXPECT_EQ(kmscore::parse_envelope(sm4_blob.blob)->version(),
            kmscore::envelope_version::sm4_gcm_hmac_sm3);
  EXPECT_EQ(try_open(sodium_cryptopp, sm4, sm4_blob.cmk, sm4_blob.blob, sm4_blob.context),
            std::nullopt);
}

// A blob whose version is changed between 16 and 18, or 17 and 19 (same suite, other KDF),
// is refused.
TEST(SealTest, AVersionSwappedForItsTwinIsRefused) {
  kmscore_test::cryptopp cryptopp;
  const encryption_context context;
  for (const auto version : {kmscore::envelope_version::aes256_gcm_cmac_kdf,
                             kmscore::envelope_version::sm4_gcm_cmac_kdf}) {
    const auto suite = kmscore::version_suite(version);
    const auto cmk = filled(suite == envelope_suite::sm4_gcm_hmac_sm3 ? 16 : 32, 7);
    auto key =
        kmscore::envelope_key<kmscore_test::cryptopp>::derive(cryptopp, version, cmk, key_id, 3);
    ASSERT_TRUE(key);
    std::vector<byte> blob(kmscore::envelope_size(64));
    ASSERT_TRUE(key->seal(cryptopp, filled(64, 0x42), context, blob));
    ASSERT_EQ(try_open(cryptopp, suite, cmk, blob, context), std::nullopt);
    blob[0] = static_cast<byte>(blob[0] - 2);  // 18 -> 16, 19 -> 17
    ASSERT_EQ(kmscore::parse_envelope(blob)->suite(), suite);
    EXPECT_EQ(try_open(cryptopp, suite, cmk, blob, context), errc::decrypt_failed);
  }
}

// Master-key material must be exactly the suite's key size: an empty or short CMK would make
// the derived keys guessable, so it is refused before anything is derived.
TEST(SealTest, MaterialOfTheWrongSizeIsRefused) {
  kmscore_test::cryptopp backend;
  using key = kmscore::envelope_key<kmscore_test::cryptopp>;
  EXPECT_TRUE(
      key::derive(backend, envelope_suite::aes256_gcm_hmac_sha256, filled(32, 1), key_id, 0));
  EXPECT_TRUE(key::derive(backend, envelope_suite::sm4_gcm_hmac_sm3, filled(16, 1), key_id, 0));
  for (const std::size_t size : {0U, 16U, 31U, 33U, 64U}) {
    const auto refused =
        key::derive(backend, envelope_suite::aes256_gcm_hmac_sha256, filled(size, 1), key_id, 0);
    ASSERT_FALSE(refused) << size;
    EXPECT_EQ(refused.error().code(), errc::kms_error);
  }
  for (const std::size_t size : {0U, 15U, 17U, 32U}) {
    EXPECT_FALSE(key::derive(backend, envelope_suite::sm4_gcm_hmac_sm3, filled(size, 1), key_id, 0))
        << size;
  }
}

// A keyed HMAC state moved onto itself keeps its state (it used to wipe itself).
TEST(SealTest, SodiumHmacKeySurvivesSelfMove) {
  kmscore_test::sodium sodium;
  auto keyed = sodium.hmac_init(kmscore::hash_id::sha256, filled(32, 5));
  ASSERT_TRUE(keyed);
  const std::array<kmscore::byte_span, 1> message{kmscore::as_bytes("message")};
  std::array<byte, 32> before{};
  ASSERT_TRUE(sodium.hmac_keyed(*keyed, message, before));
  auto& alias = *keyed;
  *keyed = std::move(alias);
  std::array<byte, 32> after{};
  ASSERT_TRUE(sodium.hmac_keyed(*keyed, message, after));
  EXPECT_EQ(before, after);
}

TEST(SealTest, SodiumCannotDeriveSm4Keys) {
  kmscore_test::sodium sodium;
  const auto cmk = filled(16, 1);
  const auto key = kmscore::envelope_key<kmscore_test::sodium>::derive(
      sodium, envelope_suite::sm4_gcm_hmac_sm3, cmk, key_id, 0);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code(), errc::kms_error);
}

template <class Backend>
void every_bit_flip_fails(Backend& backend, envelope_suite suite) {
  const auto sample = seal_sample(backend, suite, 64);
  ASSERT_EQ(sample.blob.size(), 188U);
  std::size_t refused = 0;
  for (std::size_t bit = 0; bit < sample.blob.size() * 8; ++bit) {
    auto tampered = sample.blob;
    tampered[bit / 8] = static_cast<byte>(tampered[bit / 8] ^ (1U << (bit % 8)));
    const auto outcome = try_open(backend, suite, sample.cmk, tampered, sample.context);
    if (outcome.has_value()) ++refused;
    // Framing damage is caught by the parser (KMS.2201), everything else by the tag; a
    // version turned into one the backend cannot derive (16 into 18 on libsodium) is KMS.0101.
    if (outcome) {
      const auto view = kmscore::parse_envelope(tampered);
      const bool unservable = view && !kmscore::serves_version(backend, view->version());
      EXPECT_TRUE(*outcome == errc::decrypt_failed || *outcome == errc::invalid_cipher_text ||
                  (unservable && *outcome == errc::kms_error))
          << "bit " << bit;
    }
  }
  EXPECT_EQ(refused, 1504U);
}

TEST(SealTest, EverySingleBitFlipIsRefused) {
  kmscore_test::sodium sodium;
  kmscore_test::cryptopp cryptopp;
  every_bit_flip_fails(sodium, envelope_suite::aes256_gcm_hmac_sha256);
  every_bit_flip_fails(cryptopp, envelope_suite::aes256_gcm_hmac_sha256);
  every_bit_flip_fails(cryptopp, envelope_suite::sm4_gcm_hmac_sm3);
}

TEST(SealTest, WrongKeyVersionIdOrContextIsRefusedOpaquely) {
  kmscore_test::cryptopp backend;
  const auto aes = envelope_suite::aes256_gcm_hmac_sha256;
  const auto sample = seal_sample(backend, aes, 64);
  EXPECT_EQ(try_open(backend, aes, sample.cmk, sample.blob, sample.context), std::nullopt);
  EXPECT_EQ(try_open(backend, aes, filled(32, 8), sample.blob, sample.context),
            errc::decrypt_failed);  // wrong CMK
  EXPECT_EQ(try_open(backend, aes, sample.cmk, sample.blob, sample.context, 2),
            errc::decrypt_failed);  // wrong key_version
  EXPECT_EQ(try_open(backend, aes, sample.cmk, sample.blob, sample.context, 3,
                     "1d0466b0-e727-4d9c-b35d-f84bb474a37f"),
            errc::decrypt_failed);  // wrong key_id
  const auto changed = *encryption_context::make({{"bucket", "photoz"}});
  const auto added = *encryption_context::make({{"bucket", "photos"}, {"x", "y"}});
  const encryption_context removed;
  for (const auto* context : {&changed, &added, &removed}) {
    EXPECT_EQ(try_open(backend, aes, sample.cmk, sample.blob, *context), errc::decrypt_failed);
  }
}

// The committing tag is checked before anything is decrypted: with a wrong tag, a wrong
// context or a flipped body byte, the backend's AEAD open is never called.
TEST(SealTest, NothingIsDecryptedBeforeTheTagVerifies) {
  using recorder = kmscore_test::call_recorder<kmscore_test::cryptopp>;
  recorder backend;
  const auto aes = envelope_suite::aes256_gcm_hmac_sha256;
  auto key = kmscore::envelope_key<recorder>::derive(backend, aes, filled(32, 7), key_id, 0);
  ASSERT_TRUE(key);
  const auto context = *encryption_context::make({{"bucket", "photos"}});
  std::vector<byte> blob(kmscore::envelope_size(64));
  ASSERT_TRUE(key->seal(backend, filled(64, 0x42), context, blob));
  EXPECT_EQ(backend.seals, 1U);
  std::vector<byte> dek(64);
  auto open = [&](const std::vector<byte>& bytes, const encryption_context& with) {
    const auto view = kmscore::parse_envelope(bytes);
    EXPECT_TRUE(view);
    return key->open(backend, *view, with, dek);
  };
  ASSERT_TRUE(open(blob, context));
  EXPECT_EQ(backend.opens, 1U);  // the control: a good envelope is decrypted once
  auto wrong_tag = blob;
  wrong_tag.back() ^= 1;
  auto wrong_body = blob;
  wrong_body[4 + 32] ^= 1;  // first ciphertext byte of the DEK
  EXPECT_EQ(open(wrong_tag, context).error().code(), errc::decrypt_failed);
  EXPECT_EQ(open(wrong_body, context).error().code(), errc::decrypt_failed);
  EXPECT_EQ(open(blob, encryption_context{}).error().code(), errc::decrypt_failed);
  EXPECT_EQ(backend.opens, 1U) << "aead_open was called before the tag was verified";
}

TEST(SealTest, TruncationAndExtensionAreRefused) {
  kmscore_test::cryptopp backend;
  const auto aes = envelope_suite::aes256_gcm_hmac_sha256;
  const auto sample = seal_sample(backend, aes, 64);
  for (std::size_t size = 0; size < sample.blob.size(); ++size) {
    const std::vector<byte> cut(sample.blob.begin(), sample.blob.begin() + static_cast<long>(size));
    EXPECT_TRUE(try_open(backend, aes, sample.cmk, cut, sample.context).has_value()) << size;
  }
  auto extended = sample.blob;
  extended.push_back(0);
  EXPECT_EQ(try_open(backend, aes, sample.cmk, extended, sample.context),
            errc::invalid_cipher_text);
  // A consistent re-framing (length field fixed up, one DEK byte dropped) fails the tag.
  auto reframed = sample.blob;
  reframed.erase(reframed.begin() + 4 + 32 + 63);
  reframed[2] = static_cast<byte>(reframed.size() - 36);
  EXPECT_EQ(try_open(backend, aes, sample.cmk, reframed, sample.context), errc::decrypt_failed);
}

// hmac_keyed_many against OpenSSL's HMAC, on every backend: batches of 0..65 messages of
// lengths around the block boundaries (0, 55, 56, 63, 64, 65, ... 300), under a short key and
// a key longer than the block (hashed first). A tags buffer of the wrong size is KMS.0101.
template <class Backend>
class HmacManyTest : public ::testing::Test {};
TYPED_TEST_SUITE(HmacManyTest, kmscore_test::all_backends);
TYPED_TEST(HmacManyTest, MatchesOpenSslForEveryBatchAndLength) {
  TypeParam backend;
  for (const std::size_t key_size : {std::size_t{32}, std::size_t{100}}) {
    std::vector<byte> key(key_size);
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<byte>(i * 29 + key_size);
    const auto keyed = backend.hmac_init(kmscore::hash_id::sha256, key);
    ASSERT_TRUE(keyed);
    for (const std::size_t count : {0U, 1U, 2U, 7U, 16U, 17U, 65U}) {
      std::vector<std::vector<byte>> messages(count);
      std::vector<kmscore::byte_span> views;
      for (std::size_t m = 0; m < count; ++m) {
        const std::size_t lengths[] = {0, 55, 56, 63, 64, 65, 119, 120, 158, 300};
        messages[m].resize(lengths[m % std::size(lengths)] + m / std::size(lengths));
        for (std::size_t i = 0; i < messages[m].size(); ++i) {
          messages[m][i] = static_cast<byte>(m * 7 + i);
        }
        views.emplace_back(messages[m]);
      }
      std::vector<byte> tags(count * 32, 0xee);
      ASSERT_TRUE(kmscore::hmac_keyed_many(backend, *keyed, views, tags));
      for (std::size_t m = 0; m < count; ++m) {
        std::array<byte, 32> expected{};
        std::size_t size = 0;
        ASSERT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                            messages[m].data(), messages[m].size(), expected.data(),
                            expected.size(), &size),
                  nullptr);
        EXPECT_TRUE(std::equal(expected.begin(), expected.end(),
                               tags.begin() + static_cast<std::ptrdiff_t>(32 * m)))
            << "message " << m << " of " << count << ", key of " << key_size;
      }
      std::vector<byte> short_tags(count * 32 + 1);
      const auto refused = kmscore::hmac_keyed_many(backend, *keyed, views, short_tags);
      ASSERT_FALSE(refused);
      EXPECT_EQ(refused.error().code(), errc::kms_error);
    }
  }
}

}  // namespace
