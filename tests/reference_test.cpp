// The library against an independent OpenSSL implementation of docs/envelope.md: identical
// blobs, mutual opening, frozen known answers, and the key-commitment property.
#include <kmscore/datakey.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <map>
#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/gcm_salamander.hpp"
#include "support/hex.hpp"
#include "support/openssl_envelope.hpp"

namespace {

namespace ref = kmscore_test::openssl_ref;
using kmscore::byte;
using ref::bytes;

constexpr const char* key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

bytes pattern(std::size_t size, byte start) {
  bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<byte>(start + i);
  return out;
}

kmscore::encryption_context make_context(const std::map<std::string, std::string>& pairs) {
  std::vector<kmscore::encryption_context::pair> list(pairs.begin(), pairs.end());
  return *kmscore::encryption_context::make(list);
}

template <class Backend>
bytes library_seal(Backend& backend, kmscore::envelope_suite suite, const bytes& cmk,
                   std::uint32_t key_version, const bytes& salt, const bytes& dek,
                   const std::map<std::string, std::string>& context) {
  // The salt is fixed by scripting the RNG the library draws it from.
  (void)backend;
  kmscore_test::scripted_rng<Backend> scripted{salt};
  auto key = kmscore::envelope_key<kmscore_test::scripted_rng<Backend>>::derive(
      scripted, suite, cmk, *kmscore::key_id::parse(key_id), key_version);
  EXPECT_TRUE(key);
  if (!key) return {};
  bytes out(kmscore::envelope_size(dek.size()));
  const auto sealed = key->seal(scripted, dek, make_context(context), out);
  EXPECT_TRUE(sealed);
  return out;
}

template <class Backend>
bytes library_open(Backend& backend, kmscore::envelope_suite suite, const bytes& cmk,
                   const bytes& blob, const std::map<std::string, std::string>& context) {
  const auto view = kmscore::parse_envelope(blob);
  if (!view) return {};
  auto key = kmscore::envelope_key<Backend>::derive(backend, suite, cmk, view->key_id(),
                                                    view->key_version());
  if (!key) return {};
  bytes dek(view->datakey_bytes());
  if (!key->open(backend, *view, make_context(context), dek)) return {};
  return dek;
}

const std::map<std::string, std::string> sample_context{{"Key1", "Value1"}, {"Key2", "Value2"}};

// Known answers, computed by the OpenSSL implementation above (independent of the library)
// and frozen: CMK = 00..1F (AES) / 00..0F (SM4), salt = 80..9F, DEK = 40..7F (64 bytes),
// context {"Key1": "Value1", "Key2": "Value2"}, key_id 0d0466b0-..., key_version 0.
constexpr const char* aes_known_answer =
    "10009800808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F6D03A5EC658FCB4C"
    "2C5F1E04CF283FB51FEB375ED80A8460D2D93760E83A3D6B42FEAE63A5C5C97B18D068AFAF0F85FC46D20257"
    "AA1CE5FDE75558587EC370F6ACEAF81B739725D4FA2CE5793A2B2DE430643034363662302D653732372D3464"
    "39632D623335642D66383462623437346133376600000000E02BDC89AFA383A1417D7C56EC6BDB0367E41686"
    "3C3A3049F2BF1AEB3DD1C219";
constexpr const char* sm4_known_answer =
    "11009800808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F72FDA4C561A55273"
    "4A93B44D0CC442A0D5B03F34F96617F10A83C57E567ADF9E31CF52F6DC93571208B0EE8A2BF6DEDD286B1C7C"
    "5C9CFA73F101715D9C2A5C2E0F2253F1CB69633822AE5828C9533C1330643034363662302D653732372D3464"
    "39632D623335642D6638346262343734613337660000000093F7CDA2912A4FBCEBAE692C8048C4CD23B91F2A"
    "002EB44DA0FD3CB9E3C5B940";

TEST(ReferenceTest, OpenSslReproducesFrozenKnownAnswers) {
  const bytes salt = pattern(32, 0x80);
  const bytes dek = pattern(64, 0x40);
  const bytes aes_blob = ref::seal(ref::aes, pattern(32, 0), key_id, 0, salt, dek, sample_context);
  const bytes sm4_blob = ref::seal(ref::sm4, pattern(16, 0), key_id, 0, salt, dek, sample_context);
  EXPECT_EQ(kmscore::hex_encode(aes_blob), aes_known_answer);
  EXPECT_EQ(kmscore::hex_encode(sm4_blob), sm4_known_answer);
}

TEST(ReferenceTest, EveryBackendProducesTheFrozenKnownAnswers) {
  const bytes salt = pattern(32, 0x80);
  const bytes dek = pattern(64, 0x40);
  const auto aes = kmscore::envelope_suite::aes256_gcm_hmac_sha256;
  const auto sm4 = kmscore::envelope_suite::sm4_gcm_hmac_sm3;
  kmscore_test::sodium sodium;
  kmscore_test::cryptopp cryptopp;
  kmscore_test::combined combined;
  const auto expected_aes = kmscore_test::unhex(aes_known_answer);
  const auto expected_sm4 = kmscore_test::unhex(sm4_known_answer);
  EXPECT_EQ(library_seal(sodium, aes, pattern(32, 0), 0, salt, dek, sample_context), expected_aes);
  EXPECT_EQ(library_seal(cryptopp, aes, pattern(32, 0), 0, salt, dek, sample_context),
            expected_aes);
  EXPECT_EQ(library_seal(combined, aes, pattern(32, 0), 0, salt, dek, sample_context),
            expected_aes);
  EXPECT_EQ(library_seal(cryptopp, sm4, pattern(16, 0), 0, salt, dek, sample_context),
            expected_sm4);
  EXPECT_EQ(library_seal(combined, sm4, pattern(16, 0), 0, salt, dek, sample_context),
            expected_sm4);
  EXPECT_EQ(expected_aes.size(), 188U);
}

TEST(ReferenceTest, ByteIdenticalForManySizesContextsAndVersions) {
  kmscore_test::sodium sodium;
  kmscore_test::cryptopp cryptopp;
  const std::vector<std::map<std::string, std::string>> contexts = {
      {}, {{"a", ""}}, {{"z", "1"}, {"A", "2"}, {"\xC3\xA9", "3"}}, sample_context};
  std::uint32_t version = 0;
  for (const std::size_t size : {1U, 15U, 16U, 17U, 32U, 64U, 100U, 1024U}) {
    for (const auto& context : contexts) {
      const bytes salt = pattern(32, static_cast<byte>(size));
      const bytes dek = pattern(size, static_cast<byte>(3 * size));
      const bytes cmk = pattern(32, static_cast<byte>(size + 9));
      const bytes expected = ref::seal(ref::aes, cmk, key_id, version, salt, dek, context);
      ASSERT_FALSE(expected.empty());
      const auto aes = kmscore::envelope_suite::aes256_gcm_hmac_sha256;
      EXPECT_EQ(library_seal(sodium, aes, cmk, version, salt, dek, context), expected) << size;
      EXPECT_EQ(library_seal(cryptopp, aes, cmk, version, salt, dek, context), expected) << size;
      EXPECT_EQ(library_open(sodium, aes, cmk, expected, context), dek) << size;
      EXPECT_EQ(library_open(cryptopp, aes, cmk, expected, context), dek) << size;

      const bytes sm4_cmk = pattern(16, static_cast<byte>(size));
      const bytes sm4_expected = ref::seal(ref::sm4, sm4_cmk, key_id, version, salt, dek, context);
      const auto sm4 = kmscore::envelope_suite::sm4_gcm_hmac_sm3;
      EXPECT_EQ(library_seal(cryptopp, sm4, sm4_cmk, version, salt, dek, context), sm4_expected);
      EXPECT_EQ(library_open(cryptopp, sm4, sm4_cmk, sm4_expected, context), dek) << size;
      ++version;
    }
  }
}

// Plain AES-GCM is not key-committing: one ciphertext can be made to decrypt under two keys
// (the "invisible salamander"). Built here with the two wrap keys that two different CMKs
// derive for the same salt, it fools GCM, but the envelope's committing tag refuses it.
TEST(ReferenceTest, InvisibleSalamanderIsRefused) {
  const bytes cmk1 = pattern(32, 0x11);
  const bytes cmk2 = pattern(32, 0x22);
  const bytes salt = pattern(32, 0x80);
  const bytes k1 = ref::wrap_key(ref::aes, cmk1, salt);
  const bytes k2 = ref::wrap_key(ref::aes, cmk2, salt);
  const std::map<std::string, std::string> context;

  // The envelope around a 64-byte DEK: header and trailer are fixed, so the GCM AAD is known.
  bytes header;
  ref::put_u16(header, ref::aes.version);
  ref::put_u16(header, 188 - 36);
  bytes trailer(key_id, key_id + 36);
  trailer.insert(trailer.end(), 4, 0);
  bytes aad = header;
  aad.insert(aad.end(), trailer.begin(), trailer.end());
  const bytes ctx = ref::canonical_context(context);
  aad.insert(aad.end(), ctx.begin(), ctx.end());
  const std::array<byte, 12> nonce{};
  const auto salamander =
      kmscore_test::make_gcm_salamander(std::span<const byte, 32>{k1.data(), 32},
                                        std::span<const byte, 32>{k2.data(), 32}, nonce, aad, 4);
  ASSERT_EQ(salamander.ciphertext.size(), 64U);

  // Plain GCM (OpenSSL) accepts it under both keys.
  for (const auto* key : {&k1, &k2}) {
    EVP_CIPHER_CTX* gcm = EVP_CIPHER_CTX_new();
    bytes plain(64);
    int n = 0;
    auto tag = salamander.tag;
    const bool opened =
        EVP_DecryptInit_ex(gcm, EVP_aes_256_gcm(), nullptr, key->data(), nonce.data()) == 1 &&
        EVP_DecryptUpdate(gcm, nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1 &&
        EVP_DecryptUpdate(gcm, plain.data(), &n, salamander.ciphertext.data(), 64) == 1 &&
        EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
        EVP_DecryptFinal_ex(gcm, plain.data() + n, &n) == 1;
    EVP_CIPHER_CTX_free(gcm);
    EXPECT_TRUE(opened) << "plain GCM should accept the salamander under both keys";
  }

  // Wrapped in an envelope committed to CMK1: it opens under CMK1 only.
  bytes blob = header;
  blob.insert(blob.end(), salt.begin(), salt.end());
  blob.insert(blob.end(), salamander.ciphertext.begin(), salamander.ciphertext.end());
  blob.insert(blob.end(), salamander.tag.begin(), salamander.tag.end());
  blob.insert(blob.end(), trailer.begin(), trailer.end());
  bytes tagged = blob;
  tagged.insert(tagged.end(), ctx.begin(), ctx.end());
  const bytes tag1 = ref::hmac(ref::aes, ref::commit_key(ref::aes, cmk1), tagged);
  blob.insert(blob.end(), tag1.begin(), tag1.end());
  ASSERT_EQ(blob.size(), 188U);

  kmscore_test::sodium sodium;
  kmscore_test::cryptopp cryptopp;
  const auto aes = kmscore::envelope_suite::aes256_gcm_hmac_sha256;
  EXPECT_EQ(library_open(sodium, aes, cmk1, blob, context).size(), 64U);
  EXPECT_TRUE(library_open(sodium, aes, cmk2, blob, context).empty());
  EXPECT_TRUE(library_open(cryptopp, aes, cmk2, blob, context).empty());
  // Even with a tag recomputed for CMK2 the GCM layer would pass, so the commitment of the
  // tag is what protects: a CMK2 tag over the same bytes is a different tag.
  const bytes tag2 = ref::hmac(ref::aes, ref::commit_key(ref::aes, cmk2), tagged);
  EXPECT_NE(tag1, tag2);
}

}  // namespace
