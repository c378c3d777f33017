// Every backend against every Wycheproof vector of the primitives it implements:
// AES-256-GCM and SM4-GCM (96-bit nonces, 128-bit tags: the envelope's parameters),
// HMAC-SHA-256, HMAC-SM3, HKDF-SHA-256 (the library's HKDF over each backend's HMAC),
// AES-256-CMAC (the library's CMAC over each backend's block cipher), and the MACs of HMAC keys
// (HMAC-SHA-256/384/512 and HMAC-SM3, every backend that serves them).
#include <kmscore/asymmetric.hpp>
#include <kmscore/detail/counter_kdf.hpp>
#include <kmscore/detail/hkdf.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "support/backends.hpp"
#include "support/hex.hpp"

namespace {

using kmscore::byte;
using kmscore_test::unhex;

struct vector_case {
  std::string backend;
  std::string name;  // e.g. aes_gcm_tc42
  nlohmann::json group;
  nlohmann::json test;
};

// Shown by GoogleTest instead of the raw bytes of the parameter.
void PrintTo(const vector_case& c, std::ostream* out) { *out << c.backend << " " << c.name; }

std::string case_name(const testing::TestParamInfo<vector_case>& info) {
  return info.param.backend + "_" + info.param.name;
}

// Loads the cases of one file whose group passes `wanted`, for each named backend.
template <class Wanted>
std::vector<vector_case> load(const std::string& file, const std::string& prefix,
                              const std::vector<const char*>& backends, Wanted wanted) {
  std::ifstream in{std::string{KMSCORE_WYCHEPROOF_DIR} + "/" + file};
  if (!in) {
    ADD_FAILURE() << "missing vector file " << file;
    return {};
  }
  const auto root = nlohmann::json::parse(in);
  std::vector<vector_case> cases;
  for (const auto& group : root.at("testGroups")) {
    if (!wanted(group)) continue;
    for (const auto& test : group.at("tests")) {
      for (const char* backend : backends) {
        cases.push_back(
            {backend, prefix + "_tc" + std::to_string(test.at("tcId").get<int>()), group, test});
      }
    }
  }
  return cases;
}

// The named backends and, where libipsec-mb was found, ipsec_mb: it serves AES-GCM itself and
// HMAC-SHA-256 and the raw AES (so HKDF and CMAC) through its inner sodium_cryptopp.
std::vector<const char*> and_optional(std::initializer_list<const char*> names) {
  std::vector<const char*> backends{names};
#ifdef KMSCORE_HAVE_IPSEC_MB
  backends.push_back("ipsec_mb");
#endif
  return backends;
}

bool gcm_group(const nlohmann::json& group, int key_bits) {
  return group.at("keySize") == key_bits && group.at("ivSize") == 96 && group.at("tagSize") == 128;
}

// Runs fn with the backend named in the case.
template <class Fn>
void with_backend(const std::string& name, Fn&& fn) {
  if (name == "sodium") {
    kmscore_test::sodium backend;
    fn(backend);
  } else if (name == "sodium_cryptopp") {
    kmscore_test::sodium_cryptopp backend;
    fn(backend);
#ifdef KMSCORE_HAVE_IPSEC_MB
  } else if (name == "ipsec_mb") {
    kmscore_test::ipsec_mb backend;
    fn(backend);
#endif
  } else if (name == "openssl") {
    kmscore_test::openssl backend;
    fn(backend);
  } else if (name == "cryptopp") {
    kmscore_test::cryptopp backend;
    fn(backend);
  } else if (name == "with_openssl") {
    kmscore_test::with_openssl backend;
    fn(backend);
  } else {
    ADD_FAILURE() << "no backend named " << name;
  }
}

// ---- AEAD ------------------------------------------------------------------------------

template <class Backend>
void check_gcm(Backend& backend, kmscore::cipher_id cipher, const nlohmann::json& test) {
  const auto key = unhex(test.at("key").get<std::string>());
  const auto iv = unhex(test.at("iv").get<std::string>());
  const auto aad = unhex(test.at("aad").get<std::string>());
  const auto msg = unhex(test.at("msg").get<std::string>());
  const auto ct = unhex(test.at("ct").get<std::string>());
  const auto tag_bytes = unhex(test.at("tag").get<std::string>());
  ASSERT_EQ(iv.size(), kmscore::gcm_nonce_size);
  ASSERT_EQ(tag_bytes.size(), kmscore::gcm_tag_size);
  const bool valid = test.at("result") != "invalid";
  const kmscore::aead_params params{
      cipher, key, std::span<const byte, kmscore::gcm_nonce_size>{iv.data(), 12}, aad};
  std::array<byte, 16> tag{};
  std::copy(tag_bytes.begin(), tag_bytes.end(), tag.begin());

  std::vector<byte> opened(ct.size(), 0xAA);
  const auto open = backend.aead_open(params, ct, tag, opened);
  EXPECT_EQ(open.has_value(), valid);
  if (valid) {
    EXPECT_EQ(opened, msg);
    std::vector<byte> sealed(msg.size());
    std::array<byte, 16> sealed_tag{};
    ASSERT_TRUE(backend.aead_seal(params, msg, sealed, sealed_tag));
    EXPECT_EQ(sealed, ct);
    EXPECT_EQ(sealed_tag, tag);
  } else {
    EXPECT_EQ(open.error().code(), kmscore::errc::decrypt_failed);
    EXPECT_TRUE(std::all_of(opened.begin(), opened.end(), [](byte b) { return b == 0; }))
        << "output not wiped after a failed open";
  }
}

class AesGcmVector : public testing::TestWithParam<vector_case> {};
TEST_P(AesGcmVector, Matches) {
  with_backend(GetParam().backend, [&](auto& backend) {
    if (GetParam().backend == "sodium") {
      ASSERT_TRUE(backend.supports(kmscore::envelope_suite::aes256_gcm_hmac_sha256))
          << "libsodium AES-GCM needs AES-NI, which this machine kind has";
    }
    if constexpr (requires { backend.accelerated(); }) {
      ASSERT_TRUE(backend.accelerated()) << "ipsec-mb's AES-GCM needs AES-NI, as libsodium's";
    }
    check_gcm(backend, kmscore::cipher_id::aes256_gcm, GetParam().test);
  });
}
INSTANTIATE_TEST_SUITE_P(Wycheproof, AesGcmVector,
                         testing::ValuesIn(load("aes_gcm_test.json", "aes_gcm",
                                                and_optional({"sodium", "cryptopp",
                                                              "sodium_cryptopp", "openssl"}),
                                                [](const auto& g) { return gcm_group(g, 256); })),
                         case_name);

class Sm4GcmVector : public testing::TestWithParam<vector_case> {};
TEST_P(Sm4GcmVector, Matches) {
  kmscore_test::cryptopp backend;
  check_gcm(backend, kmscore::cipher_id::sm4_gcm, GetParam().test);
}
INSTANTIATE_TEST_SUITE_P(Wycheproof, Sm4GcmVector,
                         testing::ValuesIn(load("sm4_gcm_test.json", "sm4_gcm", {"cryptopp"},
                                                [](const auto& g) { return gcm_group(g, 128); })),
                         case_name);

// ---- HMAC ------------------------------------------------------------------------------

template <class Backend>
void check_hmac(Backend& backend, kmscore::hash_id hash, const nlohmann::json& group,
                const nlohmann::json& test) {
  const auto key = unhex(test.at("key").get<std::string>());
  const auto msg = unhex(test.at("msg").get<std::string>());
  const auto expected = unhex(test.at("tag").get<std::string>());
  const auto tag_bytes = group.at("tagSize").get<std::size_t>() / 8;
  ASSERT_EQ(expected.size(), tag_bytes);
  std::array<byte, 32> mac{};
  const std::array<kmscore::byte_span, 1> pieces{msg};
  ASSERT_TRUE(kmscore::hmac(backend, hash, key, pieces, mac));
  const bool matches = std::equal(expected.begin(), expected.end(), mac.begin());
  EXPECT_EQ(matches, test.at("result") != "invalid");
  // The batch entry (ipsec_mb's multi-buffer jobs, one call each elsewhere): the same tag for
  // every copy of the message in a batch.
  const auto keyed = backend.hmac_init(hash, key);
  ASSERT_TRUE(keyed);
  const std::array<kmscore::byte_span, 3> messages{msg, msg, msg};
  std::array<byte, 3 * 32> tags{};
  ASSERT_TRUE(kmscore::hmac_keyed_many(backend, *keyed, messages, tags));
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_TRUE(std::equal(mac.begin(), mac.end(), tags.begin() + static_cast<long>(32 * i)));
  }
}

class HmacSha256Vector : public testing::TestWithParam<vector_case> {};
TEST_P(HmacSha256Vector, Matches) {
  with_backend(GetParam().backend, [&](auto& backend) {
    check_hmac(backend, kmscore::hash_id::sha256, GetParam().group, GetParam().test);
  });
}
INSTANTIATE_TEST_SUITE_P(Wycheproof, HmacSha256Vector,
                         testing::ValuesIn(load("hmac_sha256_test.json", "hmac_sha256",
                                                and_optional({"sodium", "cryptopp",
                                                              "sodium_cryptopp", "openssl"}),
                                                [](const auto&) { return true; })),
                         case_name);

class HmacSm3Vector : public testing::TestWithParam<vector_case> {};
TEST_P(HmacSm3Vector, Matches) {
  with_backend(GetParam().backend, [&](auto& backend) {
    check_hmac(backend, kmscore::hash_id::sm3, GetParam().group, GetParam().test);
  });
}
INSTANTIATE_TEST_SUITE_P(Wycheproof, HmacSm3Vector,
                         testing::ValuesIn(load("hmac_sm3_test.json", "hmac_sm3",
                                                {"cryptopp", "openssl"},
                                                [](const auto&) { return true; })),
                         case_name);

// ---- MACs of HMAC keys (kmscore::mac_backend) ------------------------------------------

// The whole MAC, compared with the vector's tag over the tag's size (Wycheproof's truncated
// groups check the leading bytes). A backend that does not serve the algorithm is not listed.
template <class Backend>
void check_mac(Backend& backend, kmscore::mac_algorithm algorithm, const nlohmann::json& group,
               const nlohmann::json& test) {
  if constexpr (kmscore::mac_backend<Backend>) {
    ASSERT_TRUE(backend.serves(algorithm));
    const auto key = unhex(test.at("key").get<std::string>());
    const auto msg = unhex(test.at("msg").get<std::string>());
    const auto expected = unhex(test.at("tag").get<std::string>());
    ASSERT_EQ(expected.size(), group.at("tagSize").get<std::size_t>() / 8);
    std::vector<byte> mac(kmscore::info(algorithm).size);
    ASSERT_TRUE(backend.mac(algorithm, key, msg, mac));
    ASSERT_LE(expected.size(), mac.size());
    const bool matches = std::equal(expected.begin(), expected.end(), mac.begin());
    EXPECT_EQ(matches, test.at("result") != "invalid");
    // A buffer of another size is refused, never half-written.
    std::vector<byte> short_out(mac.size() - 1);
    EXPECT_FALSE(backend.mac(algorithm, key, msg, short_out));
  } else {
    ADD_FAILURE() << "not a mac_backend";
  }
}

struct mac_file {
  kmscore::mac_algorithm algorithm;
  const char* file;
  const char* prefix;
  std::vector<const char*> backends;
};
const std::array<mac_file, 4> mac_files{{
    {kmscore::mac_algorithm::hmac_sha_256,
     "hmac_sha256_test.json",
     "mac_sha256",
     {"sodium", "cryptopp", "openssl", "with_openssl"}},
    {kmscore::mac_algorithm::hmac_sha_384,
     "hmac_sha384_test.json",
     "mac_sha384",
     {"cryptopp", "openssl", "with_openssl"}},
    {kmscore::mac_algorithm::hmac_sha_512,
     "hmac_sha512_test.json",
     "mac_sha512",
     {"sodium", "cryptopp", "openssl", "with_openssl"}},
    {kmscore::mac_algorithm::hmac_sm3,
     "hmac_sm3_test.json",
     "mac_sm3",
     {"cryptopp", "openssl", "with_openssl"}},
}};

std::vector<vector_case> mac_cases() {
  std::vector<vector_case> cases;
  for (const auto& file : mac_files) {
    auto more = load(file.file, file.prefix, file.backends, [](const auto&) { return true; });
    cases.insert(cases.end(), more.begin(), more.end());
  }
  return cases;
}

kmscore::mac_algorithm mac_of(const std::string& case_name) {
  for (const auto& file : mac_files) {
    if (case_name.rfind(std::string{file.prefix} + "_tc", 0) == 0) return file.algorithm;
  }
  return kmscore::mac_algorithm::none;
}

class MacVector : public testing::TestWithParam<vector_case> {};
TEST_P(MacVector, Matches) {
  const auto algorithm = mac_of(GetParam().name);
  ASSERT_NE(algorithm, kmscore::mac_algorithm::none);
  with_backend(GetParam().backend, [&](auto& backend) {
    check_mac(backend, algorithm, GetParam().group, GetParam().test);
  });
}
INSTANTIATE_TEST_SUITE_P(Wycheproof, MacVector, testing::ValuesIn(mac_cases()), case_name);

// libsodium has neither SHA-384 nor SM3: it says so, and refuses rather than computing
// another MAC; the combined backends take those from Crypto++ or OpenSSL.
TEST(MacBackends, ServeWhatTheyHave) {
  kmscore_test::sodium sodium;
  EXPECT_TRUE(sodium.serves(kmscore::mac_algorithm::hmac_sha_256));
  EXPECT_FALSE(sodium.serves(kmscore::mac_algorithm::hmac_sha_384));
  EXPECT_FALSE(sodium.serves(kmscore::mac_algorithm::hmac_sm3));
  EXPECT_FALSE(sodium.serves(kmscore::mac_algorithm::none));
  const std::array<byte, 32> key{};
  const std::array<byte, 1> msg{};
  std::array<byte, 48> out{};
  EXPECT_FALSE(sodium.mac(kmscore::mac_algorithm::hmac_sha_384, key, msg, out));
  kmscore_test::combined both;
  EXPECT_TRUE(both.serves(kmscore::mac_algorithm::hmac_sha_384));
  EXPECT_TRUE(both.serves(kmscore::mac_algorithm::hmac_sm3));
  EXPECT_TRUE(both.mac(kmscore::mac_algorithm::hmac_sha_384, key, msg, out));
  static_assert(!kmscore::mac_backend<kmscore_test::sodium_cryptopp>);
}

// ---- Imported material: AES key wrap with padding, RSA-OAEP-SHA-1 -----------------------
// RFC 5649 unwrapping (import.hpp §3.2) on every backend that serves it: 128- and 256-bit KEKs
// (a 192-bit KEK is refused as no size of ours, KMS.0101); an invalid wrap is decrypt_failed.

class AesKwpVector : public testing::TestWithParam<vector_case> {};
TEST_P(AesKwpVector, Unwraps) {
  with_backend(GetParam().backend, [&](auto& backend) {
    if constexpr (kmscore::key_import_backend<std::decay_t<decltype(backend)>>) {
      const auto& test = GetParam().test;
      const auto key = unhex(test.at("key").get<std::string>());
      const auto ct = unhex(test.at("ct").get<std::string>());
      const auto msg = unhex(test.at("msg").get<std::string>());
      const auto unwrapped = backend.unwrap_key(key, ct);
      if (key.size() == 24) {
        ASSERT_FALSE(unwrapped);
        EXPECT_EQ(unwrapped.error().code(), kmscore::errc::kms_error);
      } else if (test.at("result") == "invalid") {
        ASSERT_FALSE(unwrapped) << "accepted an invalid wrap";
        EXPECT_EQ(unwrapped.error().code(), kmscore::errc::decrypt_failed);
      } else {
        ASSERT_TRUE(unwrapped);
        const auto out = unwrapped->expose();
        EXPECT_EQ(std::vector<byte>(out.begin(), out.end()), msg);
      }
    } else {
      ADD_FAILURE() << "not a key_import_backend";
    }
  });
}
INSTANTIATE_TEST_SUITE_P(Wycheproof, AesKwpVector,
                         testing::ValuesIn(load("aes_kwp_test.json", "aes_kwp",
                                                {"openssl", "with_openssl"},
                                                [](const auto&) { return true; })),
                         case_name);

// RSAES-OAEP with SHA-1 and MGF1-SHA-1, the label empty (import's RSAES_OAEP_SHA_1): every case
// with an empty label decrypts to its message or, if invalid, is decrypt_failed; a case made
// with a label does not decrypt without it.
class RsaOaepSha1Vector : public testing::TestWithParam<vector_case> {};
TEST_P(RsaOaepSha1Vector, Decrypts) {
  with_backend(GetParam().backend, [&](auto& backend) {
    if constexpr (kmscore::asymmetric_backend<std::decay_t<decltype(backend)>>) {
      const auto& test = GetParam().test;
      const auto key = unhex(GetParam().group.at("privateKeyPkcs8").get<std::string>());
      const auto ct = unhex(test.at("ct").get<std::string>());
      const auto msg = unhex(test.at("msg").get<std::string>());
      const auto plain = backend.decrypt(kmscore::key_spec::rsa_2048, key,
                                         kmscore::data_encryption_algorithm::rsaes_oaep_sha1, ct);
      if (test.at("result") == "invalid" || !test.at("label").get<std::string>().empty()) {
        ASSERT_FALSE(plain) << "decrypted " << GetParam().name;
        EXPECT_EQ(plain.error().code(), kmscore::errc::decrypt_failed);
      } else {
        ASSERT_TRUE(plain) << GetParam().name;
        const auto out = plain->expose();
        EXPECT_EQ(std::vector<byte>(out.begin(), out.end()), msg);
      }
    } else {
      ADD_FAILURE() << "not an asymmetric_backend";
    }
  });
}
INSTANTIATE_TEST_SUITE_P(Wycheproof, RsaOaepSha1Vector,
                         testing::ValuesIn(load("rsa_oaep_2048_sha1_mgf1sha1_test.json",
                                                "rsa_oaep_sha1", {"openssl", "with_openssl"},
                                                [](const auto&) { return true; })),
                         case_name);

// ---- HKDF ------------------------------------------------------------------------------

class HkdfSha256Vector : public testing::TestWithParam<vector_case> {};
TEST_P(HkdfSha256Vector, Matches) {
  with_backend(GetParam().backend, [&](auto& backend) {
    const auto& test = GetParam().test;
    const auto ikm = unhex(test.at("ikm").get<std::string>());
    const auto salt = unhex(test.at("salt").get<std::string>());
    const auto info = unhex(test.at("info").get<std::string>());
    const auto expected = unhex(test.at("okm").get<std::string>());
    const auto size = test.at("size").get<std::size_t>();
    std::array<byte, 32> prk{};
    ASSERT_TRUE(kmscore::detail::hkdf_extract(backend, kmscore::hash_id::sha256, salt, ikm, prk));
    std::vector<byte> okm(size);
    const std::array<kmscore::byte_span, 1> pieces{info};
    const auto made =
        kmscore::detail::hkdf_expand(backend, kmscore::hash_id::sha256, prk, pieces, okm);
    if (test.at("result") == "invalid") {
      EXPECT_FALSE(made.has_value() && okm == expected);
    } else {
      ASSERT_TRUE(made);
      EXPECT_EQ(okm, expected);
    }
  });
}
INSTANTIATE_TEST_SUITE_P(Wycheproof, HkdfSha256Vector,
                         testing::ValuesIn(load("hkdf_sha256_test.json", "hkdf_sha256",
                                                and_optional({"sodium", "cryptopp",
                                                              "sodium_cryptopp", "openssl"}),
                                                [](const auto&) { return true; })),
                         case_name);

// ---- CMAC ------------------------------------------------------------------------------
// The library's CMAC (detail/counter_kdf.hpp, the PRF of suites 18 and 19) over each backend's
// raw AES. Only the 256-bit-key groups: the suites use AES-256, and backends take no other
// AES key size.

class AesCmacVector : public testing::TestWithParam<vector_case> {};
TEST_P(AesCmacVector, Matches) {
  with_backend(GetParam().backend, [&](auto& backend) {
    if constexpr (kmscore::block_cipher_backend<std::decay_t<decltype(backend)>>) {
      const auto& test = GetParam().test;
      const auto key = unhex(test.at("key").get<std::string>());
      const auto msg = unhex(test.at("msg").get<std::string>());
      const auto expected = unhex(test.at("tag").get<std::string>());
      ASSERT_EQ(expected.size(), kmscore::cipher_block_size);
      std::array<byte, kmscore::cipher_block_size> mac{};
      const std::array<kmscore::byte_span, 1> pieces{msg};
      ASSERT_TRUE(kmscore::detail::cmac(backend, kmscore::cipher_id::aes256_gcm, key, pieces, mac));
      EXPECT_EQ(std::equal(expected.begin(), expected.end(), mac.begin()),
                test.at("result") != "invalid");
    } else {
      ADD_FAILURE() << GetParam().backend << " has no block cipher";
    }
  });
}
INSTANTIATE_TEST_SUITE_P(
    Wycheproof, AesCmacVector,
    testing::ValuesIn(load("aes_cmac_test.json", "aes_cmac",
                           and_optional({"cryptopp", "sodium_cryptopp", "openssl"}),
                           [](const auto& group) {
                             return group.at("keySize") == 256 && group.at("tagSize") == 128;
                           })),
    case_name);

// The same CMAC code over a message given in pieces, and a wrong key size refused.
TEST(CmacTest, PiecesAreTheirConcatenationAndKeySizesAreChecked) {
  kmscore_test::cryptopp backend;
  const std::vector<byte> key(32, 0x2B);
  std::vector<byte> msg(53);
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<byte>(i * 7);
  std::array<byte, 16> whole{};
  std::array<byte, 16> split{};
  const std::array<kmscore::byte_span, 1> one{msg};
  const kmscore::byte_span all{msg};
  const std::array<kmscore::byte_span, 4> four{all.first(0), all.subspan(0, 17),
                                               all.subspan(17, 16), all.subspan(33)};
  ASSERT_TRUE(kmscore::detail::cmac(backend, kmscore::cipher_id::aes256_gcm, key, one, whole));
  ASSERT_TRUE(kmscore::detail::cmac(backend, kmscore::cipher_id::aes256_gcm, key, four, split));
  EXPECT_EQ(whole, split);
  const std::vector<byte> short_key(16, 0x2B);
  EXPECT_FALSE(
      kmscore::detail::cmac(backend, kmscore::cipher_id::aes256_gcm, short_key, one, whole));
  EXPECT_TRUE(kmscore::detail::cmac(backend, kmscore::cipher_id::sm4_gcm, short_key, one, whole));
}

// ---- what each backend refuses -----------------------------------------------------------

TEST(BackendCapabilityTest, SodiumHasNoSmAlgorithms) {
  kmscore_test::sodium backend;
  EXPECT_FALSE(backend.supports(kmscore::envelope_suite::sm4_gcm_hmac_sm3));
  EXPECT_FALSE(kmscore_test::sodium{}.supports(kmscore::envelope_suite::sm4_gcm_hmac_sm3));
  std::array<byte, 32> out{};
  const std::array<kmscore::byte_span, 0> none{};
  EXPECT_EQ(backend.digest(kmscore::hash_id::sm3, none, out).error().code(),
            kmscore::errc::kms_error);
  const std::array<byte, 16> key{};
  const std::array<byte, 12> nonce{};
  const kmscore::aead_params params{kmscore::cipher_id::sm4_gcm, key, nonce, {}};
  std::array<byte, 16> tag{};
  EXPECT_EQ(backend.aead_seal(params, {}, {}, tag).error().code(), kmscore::errc::kms_error);
}

TEST(BackendCapabilityTest, WrongKeySizesAreRefused) {
  kmscore_test::cryptopp cryptopp;
  kmscore_test::sodium sodium;
  const std::array<byte, 16> short_key{};
  const std::array<byte, 12> nonce{};
  const kmscore::aead_params params{kmscore::cipher_id::aes256_gcm, short_key, nonce, {}};
  std::array<byte, 16> tag{};
  EXPECT_FALSE(cryptopp.aead_seal(params, {}, {}, tag));
  EXPECT_FALSE(sodium.aead_seal(params, {}, {}, tag));
#ifdef KMSCORE_HAVE_IPSEC_MB
  kmscore_test::ipsec_mb ipsec_mb;
  EXPECT_FALSE(ipsec_mb.aead_seal(params, {}, {}, tag));
#endif
}

TEST(BackendCapabilityTest, CombinedServesEverySymmetricSuite) {
  kmscore_test::combined both;
  EXPECT_TRUE(both.supports(kmscore::envelope_suite::aes256_gcm_hmac_sha256));
  EXPECT_TRUE(both.supports(kmscore::envelope_suite::sm4_gcm_hmac_sm3));
  EXPECT_FALSE(both.supports(kmscore::envelope_suite::none));
}

}  // namespace
