// The library against an independent OpenSSL implementation of docs/envelope.md: identical
// blobs, mutual opening, frozen known answers, and the key-commitment property.
#include <kmscore/actions.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
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

kmscore::envelope_version version_of(const ref::suite& s) {
  return static_cast<kmscore::envelope_version>(s.version);
}

template <class Backend>
bytes library_seal(Backend& backend, const ref::suite& s, const bytes& cmk,
                   std::uint32_t key_version, const bytes& salt, const bytes& dek,
                   const std::map<std::string, std::string>& context) {
  // The salt is fixed by scripting the RNG the library draws it from.
  (void)backend;
  kmscore_test::scripted_rng<Backend> scripted{salt};
  auto key = kmscore::envelope_key<kmscore_test::scripted_rng<Backend>>::derive(
      scripted, version_of(s), cmk, *kmscore::key_id::parse(key_id), key_version);
  EXPECT_TRUE(key);
  if (!key) return {};
  bytes out(kmscore::envelope_size(dek.size()));
  const auto sealed = key->seal(scripted, dek, make_context(context), out);
  EXPECT_TRUE(sealed);
  return out;
}

template <class Backend>
bytes library_open(Backend& backend, const bytes& cmk, const bytes& blob,
                   const std::map<std::string, std::string>& context) {
  auto view = kmscore::parse_envelope(blob);
  if (!view) view = kmscore::parse_data_envelope(blob);  // encrypt-data's 20, 21
  if (!view) return {};
  auto key = kmscore::envelope_key<Backend>::derive(backend, view->version(), cmk, view->key_id(),
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
// Versions 18 and 19 (SP 800-108 counter KDF with CMAC), the same inputs, computed with
// OpenSSL's KBKDF and frozen on 2026-12-02.
constexpr const char* aes_cmac_known_answer =
    "12009800808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F998811B7F0BEAF76"
    "4374A88471393156373EE7A1ECED7E60E33B5043D312EE1D491B2DD53545DEB633F0EA9741C6F9DF97D3B4D7"
    "2B02A586CFF43755384146DEAFE839C6092DD1113D32150E74175BC330643034363662302D653732372D3464"
    "39632D623335642D663834626234373461333766000000005F33409787258B5274E22008324686F863C928D7"
    "186C16A2FF2F5940D183AAF5";
constexpr const char* sm4_cmac_known_answer =
    "13009800808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FCE5324EEC144273B"
    "0E08F6580BF6A4228B3AB85B21166A76BCF8DA0E78F8422D4B779F24C15A80691BC8C9747D9609D4CE500CCB"
    "9F459826AC7E643B9BC13A00CEF98B4D29EFFC82EDD981F7F24D8D6A30643034363662302D653732372D3464"
    "39632D623335642D663834626234373461333766000000009B4A89610B70C728BDC2F5BDDDD4BF8B1747A6DE"
    "3E20A133E64AE1987414D0AF";

// Versions 20 and 21 (encrypt-data: HKDF labels of their own), the same inputs with the 64
// bytes as the payload, computed with the OpenSSL implementation and frozen on 2026-12-03.
constexpr const char* aes_data_known_answer =
    "14009800808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9F22845E2B8076D13B"
    "9A1DBC1793CF5FABD9EAC986CBAF572DE6284B65D14B76727B2C2619B7E3806D93FA9ABA4D8F6D62A1B72A92"
    "7A02C3DC5A803A2D944767B645D35F01BBB1B4BD5F8BA497ACFD516730643034363662302D653732372D3464"
    "39632D623335642D663834626234373461333766000000006F48215A3BEE09FC380717A15D107BE42E35782F"
    "FAB69DC3ACFF7A18423C4A85";
constexpr const char* sm4_data_known_answer =
    "15009800808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FCC340395BEB0F864"
    "F2544E0E4E4B09AEB67DDE1C7601BE36C01B710A9CF819EA5D8CF600113A5AF12DAA26B3C062A4C309239EA3"
    "45858E34D883B1B1C535CBDBA5024519FFE6B6BB2C6B626D27280E4F30643034363662302D653732372D3464"
    "39632D623335642D66383462623437346133376600000000F267EDCA7510CEB9D1D21BC186468D13DDF1C6E6"
    "C7D8AABDB0C5653C116ADF85";

TEST(ReferenceTest, OpenSslReproducesFrozenKnownAnswers) {
  const bytes salt = pattern(32, 0x80);
  const bytes dek = pattern(64, 0x40);
  const auto seal = [&](const ref::suite& s, std::size_t cmk_size) {
    return kmscore::hex_encode(
        ref::seal(s, pattern(cmk_size, 0), key_id, 0, salt, dek, sample_context));
  };
  EXPECT_EQ(seal(ref::aes, 32), aes_known_answer);
  EXPECT_EQ(seal(ref::sm4, 16), sm4_known_answer);
  EXPECT_EQ(seal(ref::aes_cmac, 32), aes_cmac_known_answer);
  EXPECT_EQ(seal(ref::sm4_cmac, 16), sm4_cmac_known_answer);
  EXPECT_EQ(seal(ref::aes_data, 32), aes_data_known_answer);
  EXPECT_EQ(seal(ref::sm4_data, 16), sm4_data_known_answer);
}

// OpenSSL's KBKDF and CMAC agree with each other (the oracle checks itself), and the
// library's counter KDF gives the same keys.
TEST(ReferenceTest, CounterKdfMatchesOpenSslKbkdf) {
  const bytes salt = pattern(32, 0x80);
  kmscore_test::cryptopp cryptopp;
  for (const auto* s : {&ref::aes_cmac, &ref::sm4_cmac}) {
    const auto cipher = s->cipher == ref::block_cipher::aes_256 ? kmscore::cipher_id::aes256_gcm
                                                                : kmscore::cipher_id::sm4_gcm;
    const bytes cmk = pattern(s->key_size, 0);
    for (const auto& [label, context, size] : {std::tuple{s->wrap_label, salt, s->key_size},
                                               std::tuple{s->commit_label, bytes{}, 32UL}}) {
      const bytes expected = ref::kbkdf(*s, cmk, label, context, size);
      auto kdf = kmscore::detail::counter_kdf<kmscore_test::cryptopp>::make(cryptopp, cipher, cmk,
                                                                            label, size);
      ASSERT_TRUE(kdf);
      bytes derived(size);
      ASSERT_TRUE(kdf->derive(cryptopp, context, derived));
      EXPECT_EQ(derived, expected) << label;
      bytes other(size);
      ASSERT_TRUE(kdf->derive(cryptopp, pattern(context.size() + 1, 1), other));
      EXPECT_NE(other, expected) << label;
    }
    // Many salts in one call (more than one backend call's worth): each as OpenSSL derives it.
    const std::size_t count =
        2 * kmscore::detail::counter_kdf<kmscore_test::cryptopp>::max_batch_derivations + 3;
    bytes salts(32 * count);
    for (std::size_t i = 0; i < salts.size(); ++i) salts[i] = static_cast<byte>(i * 13 + 1);
    auto wrap = kmscore::detail::counter_kdf<kmscore_test::cryptopp>::make(
        cryptopp, cipher, cmk, s->wrap_label, s->key_size);
    ASSERT_TRUE(wrap);
    bytes many(s->key_size * count);
    ASSERT_TRUE(wrap->derive_many(cryptopp, salts, 32, many));
    for (std::size_t i = 0; i < count; ++i) {
      const bytes salt_i(salts.begin() + static_cast<long>(32 * i),
                         salts.begin() + static_cast<long>(32 * (i + 1)));
      const bytes expected = ref::kbkdf(*s, cmk, s->wrap_label, salt_i, s->key_size);
      EXPECT_TRUE(std::equal(expected.begin(), expected.end(),
                             many.begin() + static_cast<long>(s->key_size * i)))
          << i;
    }
    bytes short_out(many.size() - 1);
    EXPECT_FALSE(wrap->derive_many(cryptopp, salts, 32, short_out));
  }
}

TEST(ReferenceTest, EveryBackendProducesTheFrozenKnownAnswers) {
  const bytes salt = pattern(32, 0x80);
  const bytes dek = pattern(64, 0x40);
  kmscore_test::sodium sodium;
  kmscore_test::cryptopp cryptopp;
  kmscore_test::combined combined;
  kmscore_test::sodium_cryptopp sodium_cryptopp;
  kmscore_test::openssl openssl;
  kmscore_test::with_openssl with_openssl;
  const auto expect = [&](auto& backend, const ref::suite& s, std::size_t cmk_size,
                          const char* known) {
    EXPECT_EQ(library_seal(backend, s, pattern(cmk_size, 0), 0, salt, dek, sample_context),
              kmscore_test::unhex(known))
        << std::decay_t<decltype(backend)>::name << " " << s.version;
    EXPECT_EQ(
        library_open(backend, pattern(cmk_size, 0), kmscore_test::unhex(known), sample_context),
        dek);
  };
  expect(sodium, ref::aes, 32, aes_known_answer);
  expect(sodium, ref::aes_data, 32, aes_data_known_answer);
  const auto aes_suites = [&](auto& backend) {
    expect(backend, ref::aes, 32, aes_known_answer);
    expect(backend, ref::aes_cmac, 32, aes_cmac_known_answer);
    expect(backend, ref::aes_data, 32, aes_data_known_answer);
  };
  const auto every_suite = [&](auto& backend) {
    aes_suites(backend);
    expect(backend, ref::sm4, 16, sm4_known_answer);
    expect(backend, ref::sm4_cmac, 16, sm4_cmac_known_answer);
    expect(backend, ref::sm4_data, 16, sm4_data_known_answer);
  };
  every_suite(cryptopp);
  every_suite(combined);
  every_suite(sodium_cryptopp);
  every_suite(with_openssl);
  aes_suites(openssl);  // OpenSSL 3.0 has no SM4-GCM
#ifdef KMSCORE_HAVE_IPSEC_MB
  kmscore_test::ipsec_mb ipsec_mb;
  every_suite(ipsec_mb);
#endif
  EXPECT_EQ(kmscore_test::unhex(aes_cmac_known_answer).size(), 188U);
}

// libsodium has no raw AES block function: its backend seals 16 and cannot derive 18.
TEST(ReferenceTest, TheSodiumBackendSealsSixteenAndRefusesEighteen) {
  static_assert(!kmscore::block_cipher_backend<kmscore_test::sodium>);
  kmscore_test::sodium sodium;
  const auto id = *kmscore::key_id::parse(key_id);
  const bytes cmk = pattern(32, 0);
  const auto newest = kmscore::envelope_key<kmscore_test::sodium>::derive(
      sodium, kmscore::envelope_suite::aes256_gcm_hmac_sha256, cmk, id, 0);
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->version(), kmscore::envelope_version::aes256_gcm_hmac_sha256);
  const auto refused = kmscore::envelope_key<kmscore_test::sodium>::derive(
      sodium, kmscore::envelope_version::aes256_gcm_cmac_kdf, cmk, id, 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), kmscore::errc::kms_error);
  kmscore_test::cryptopp cryptopp;
  const auto cmac = kmscore::envelope_key<kmscore_test::cryptopp>::derive(
      cryptopp, kmscore::envelope_suite::aes256_gcm_hmac_sha256, cmk, id, 0);
  ASSERT_TRUE(cmac);
  EXPECT_EQ(cmac->version(), kmscore::envelope_version::aes256_gcm_cmac_kdf);
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
      for (const auto* s : {&ref::aes, &ref::aes_cmac, &ref::sm4, &ref::sm4_cmac}) {
        const bytes cmk = pattern(s->key_size, static_cast<byte>(size + 9));
        const bytes expected = ref::seal(*s, cmk, key_id, version, salt, dek, context);
        ASSERT_FALSE(expected.empty());
        EXPECT_EQ(library_seal(cryptopp, *s, cmk, version, salt, dek, context), expected)
            << size << " " << s->version;
        EXPECT_EQ(library_open(cryptopp, cmk, expected, context), dek) << size;
        // And the other way round: what the library seals, OpenSSL opens.
        EXPECT_EQ(ref::open(*s, cmk, expected, context), dek) << size;
        if (s == &ref::aes) {
          EXPECT_EQ(library_seal(sodium, *s, cmk, version, salt, dek, context), expected);
          EXPECT_EQ(library_open(sodium, cmk, expected, context), dek) << size;
        }
      }
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
  EXPECT_EQ(library_open(sodium, cmk1, blob, context).size(), 64U);
  EXPECT_TRUE(library_open(sodium, cmk2, blob, context).empty());
  EXPECT_TRUE(library_open(cryptopp, cmk2, blob, context).empty());
  // Even with a tag recomputed for CMK2 the GCM layer would pass, so the commitment of the
  // tag is what protects: a CMK2 tag over the same bytes is a different tag.
  const bytes tag2 = ref::hmac(ref::aes, ref::commit_key(ref::aes, cmk2), tagged);
  EXPECT_NE(tag1, tag2);
}

}  // namespace
