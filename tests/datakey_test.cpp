// Data-key operations: CMK checks in documented order, round trips, digests, batch, and the
// allocation-free hot path.
#include <kmscore/actions.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/hex.hpp"
#include "support/openssl_envelope.hpp"
#include "support/seed.hpp"

// Counts heap allocations, to prove the caller-buffer path makes none.
// malloc and free through pointers the static analyzer cannot see through: it would
// otherwise pair the library's delete[] with the malloc inside the replaced operator new.
namespace {
void* (*volatile raw_malloc)(std::size_t) = std::malloc;
void (*volatile raw_free)(void*) = std::free;
}  // namespace

namespace {
std::atomic<std::size_t> allocations{0};
}
void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = raw_malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc{};
}
void operator delete(void* p) noexcept { raw_free(p); }
void operator delete(void* p, std::size_t) noexcept { raw_free(p); }

namespace {

using kmscore::key_spec;
using kmscore::key_state;

constexpr const char* key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

kmscore::master_key make_cmk(key_spec spec, std::size_t material_size, kmscore::byte fill = 9) {
  kmscore::master_key cmk;
  cmk.key_id = *kmscore::key_id::parse(key_id);
  cmk.spec = spec;
  cmk.state = key_state::enabled;
  cmk.material_versions.emplace_back(std::vector<kmscore::byte>(material_size, fill));
  return cmk;
}

kmscore::create_datakey_params datakey_params(const char* bits = "512") {
  kmscore::create_datakey_request request;
  request.key_id = key_id;
  request.datakey_length = bits;
  request.encryption_context = {{{"Key1", "Value1"}}};
  return *kmscore::validate(request);
}

kmscore::decrypt_datakey_request decrypt_request(std::string_view cipher_text,
                                                 const char* length = "64") {
  kmscore::decrypt_datakey_request request;
  request.key_id = key_id;
  request.cipher_text = std::string{cipher_text};
  request.datakey_cipher_length = length;
  request.encryption_context = {{{"Key1", "Value1"}}};
  return request;
}

kmscore::decrypt_datakey_params decrypt_params(std::string_view cipher_text,
                                               const char* length = "64") {
  return *kmscore::validate(decrypt_request(cipher_text, length));
}

// The first failure of decrypt-datakey as the service runs it: validation, then the CMK.
template <class Backend>
std::string decrypt_error(Backend& backend, const kmscore::master_key& cmk,
                          std::string_view cipher_text, const char* length = "64") {
  const auto params = kmscore::validate(decrypt_request(cipher_text, length));
  if (!params) return std::string{params.error().code_string()};
  const auto opened = kmscore::decrypt_datakey(backend, cmk, *params);
  return opened ? "ok" : std::string{opened.error().code_string()};
}

std::string openssl_digest_hex(const char* name, const std::vector<kmscore::byte>& data) {
  std::vector<kmscore::byte> out(EVP_MAX_MD_SIZE);
  unsigned size = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_get_digestbyname(name), nullptr);
  out.resize(size);
  return kmscore::hex_encode(out);
}

TEST(DataKeyTest, MasterKeyChecksInDocumentedOrder) {
  kmscore_test::combined backend;
  const auto params = datakey_params();
  auto cmk = make_cmk(key_spec::aes_256, 32);
  const std::pair<key_state, const char*> states[] = {
      {key_state::disabled, "KMS.0209"},
      {key_state::scheduled_deletion, "KMS.0210"},
      {key_state::pending_activation, "KMS.1301"},
      {key_state::pending_import, "KMS.1301"},
  };
  for (const auto& [state, code] : states) {
    cmk.state = state;
    EXPECT_EQ(kmscore::create_datakey(backend, cmk, params).error().code_string(), code);
  }
  cmk.state = key_state::enabled;
  EXPECT_TRUE(kmscore::create_datakey(backend, cmk, params));
  for (const auto spec : {key_spec::rsa_2048, key_spec::ec_p256, key_spec::sm2}) {
    auto asymmetric = make_cmk(spec, 0);
    EXPECT_EQ(kmscore::create_datakey(backend, asymmetric, params).error().code_string(),
              "KMS.0325");
    asymmetric.state = key_state::disabled;  // state is checked before the spec
    EXPECT_EQ(kmscore::create_datakey(backend, asymmetric, params).error().code_string(),
              "KMS.0209");
  }
}

// Every material version must be exactly the spec's size; anything else is 500, nothing sealed.
TEST(DataKeyTest, MaterialOfTheWrongSizeIsRefused) {
  kmscore_test::cryptopp backend;
  const auto params = datakey_params();
  for (const auto& [spec, good] :
       {std::pair{key_spec::aes_256, std::size_t{32}}, std::pair{key_spec::sm4, std::size_t{16}}}) {
    EXPECT_TRUE(kmscore::create_datakey(backend, make_cmk(spec, good), params));
    for (const std::size_t size : {std::size_t{0}, good - 1, good + 1}) {
      const auto made = kmscore::create_datakey(backend, make_cmk(spec, size), params);
      ASSERT_FALSE(made) << size;
      EXPECT_EQ(made.error().code_string(), "KMS.0101");
      EXPECT_EQ(made.error().http_status(), 500);
    }
    auto rotated = make_cmk(spec, good);  // a bad older version spoils the key too
    rotated.material_versions.insert(rotated.material_versions.begin(), kmscore::secret_bytes{});
    EXPECT_EQ(kmscore::create_datakey(backend, rotated, params).error().code_string(), "KMS.0101");
  }
}

TEST(DataKeyTest, BackendThatCannotServeTheSpecIs500) {
  kmscore_test::sodium sodium;
  const auto sm4 = make_cmk(key_spec::sm4, 16);
  const auto made = kmscore::create_datakey(sodium, sm4, datakey_params());
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code_string(), "KMS.0101");
  EXPECT_EQ(made.error().http_status(), 500);
}

template <class Backend>
void create_then_decrypt(Backend& backend, key_spec spec, std::size_t material,
                         const char* digest) {
  const auto cmk = make_cmk(spec, material);
  for (const char* bits : {"8", "128", "512", "8192"}) {
    const auto made = kmscore::create_datakey(backend, cmk, datakey_params(bits));
    ASSERT_TRUE(made) << bits;
    const std::size_t bytes = std::stoul(bits) / 8;
    EXPECT_EQ(made->key_id(), key_id);
    EXPECT_EQ(made->expose_plain_text().size(), 2 * bytes);
    EXPECT_EQ(made->cipher_text().size(), 2 * kmscore::envelope_size(bytes));
    for (const char c : made->cipher_text()) EXPECT_FALSE(c >= 'a' && c <= 'f');  // uppercase
    const auto opened = kmscore::decrypt_datakey(
        backend, cmk, decrypt_params(made->cipher_text(), std::to_string(bytes).c_str()));
    ASSERT_TRUE(opened) << opened.error().message();
    EXPECT_EQ(opened->expose_data_key(), made->expose_plain_text());
    EXPECT_EQ(opened->size().bytes(), bytes);
    const auto dek = kmscore_test::unhex(made->expose_plain_text());
    EXPECT_EQ(opened->datakey_dgst(), openssl_digest_hex(digest, dek));
  }
}

TEST(DataKeyTest, CreateThenDecryptOnEveryBackend) {
  kmscore_test::sodium sodium;
  kmscore_test::cryptopp cryptopp;
  kmscore_test::combined combined;
  create_then_decrypt(sodium, key_spec::aes_256, 32, "SHA256");
  create_then_decrypt(cryptopp, key_spec::aes_256, 32, "SHA256");
  create_then_decrypt(cryptopp, key_spec::sm4, 16, "SM3");
  create_then_decrypt(combined, key_spec::sm4, 16, "SM3");
  kmscore_test::sodium_cryptopp both;
  create_then_decrypt(both, key_spec::aes_256, 32, "SHA256");
  create_then_decrypt(both, key_spec::sm4, 16, "SM3");
}

TEST(DataKeyTest, DataKeysAreFreshEachTime) {
  kmscore_test::combined backend;
  const auto cmk = make_cmk(key_spec::aes_256, 32);
  const auto a = kmscore::create_datakey(backend, cmk, datakey_params());
  const auto b = kmscore::create_datakey(backend, cmk, datakey_params());
  EXPECT_NE(a->expose_plain_text(), b->expose_plain_text());
  EXPECT_NE(a->cipher_text(), b->cipher_text());
}

// decrypt-datakey's params hold the envelope's bytes themselves: moved out of the place
// they were validated in (that place then gone, its bytes overwritten), they still open.
TEST(DataKeyTest, DecryptParamsOpenAfterBeingMoved) {
  kmscore_test::cryptopp backend;
  const auto cmk = make_cmk(key_spec::aes_256, 32);
  const auto made = kmscore::create_datakey(backend, cmk, datakey_params());
  ASSERT_TRUE(made);
  std::vector<kmscore::decrypt_datakey_params> kept;
  {
    auto validated = kmscore::validate(decrypt_request(made->cipher_text()));
    ASSERT_TRUE(validated);
    kept.push_back(std::move(*validated));
    // The moved-from params' bytes are no longer what the kept ones read.
    kept.push_back(std::move(kept.front()));  // the vector reallocates: a second move
  }
  const auto& params = kept.back();
  EXPECT_EQ(params.envelope().key_id(), params.key_id());
  const auto opened = kmscore::decrypt_datakey(backend, cmk, params);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->expose_data_key(), made->expose_plain_text());
  // The twin: the same bytes, one of them changed after validation, do not open.
  std::string tampered{made->cipher_text()};
  constexpr std::size_t changed_digit = 80;  // inside the body
  tampered[changed_digit] = tampered[changed_digit] == 'A' ? 'B' : 'A';
  auto changed = kmscore::validate(decrypt_request(tampered));
  ASSERT_TRUE(changed);
  kept.push_back(std::move(*changed));
  EXPECT_EQ(kmscore::decrypt_datakey(backend, cmk, kept.back()).error().code_string(), "KMS.2203");
}

TEST(DataKeyTest, WithoutPlaintextOpensToo) {
  kmscore_test::cryptopp backend;
  const auto cmk = make_cmk(key_spec::aes_256, 32);
  const auto made = kmscore::create_datakey_without_plaintext(backend, cmk, datakey_params());
  ASSERT_TRUE(made);
  EXPECT_EQ(made->cipher_text.size(), 2 * 188U);
  EXPECT_TRUE(kmscore::decrypt_datakey(backend, cmk, decrypt_params(made->cipher_text)));
}

kmscore::encrypt_datakey_params encrypt_params(const std::vector<kmscore::byte>& dek,
                                               const std::string& digest_hex) {
  kmscore::encrypt_datakey_request request;
  request.key_id = key_id;
  request.plain_text = kmscore::hex_encode(dek) + digest_hex;
  request.datakey_plain_length = std::to_string(dek.size());
  request.encryption_context = {{{"Key1", "Value1"}}};
  return *kmscore::validate(request);
}

TEST(DataKeyTest, EncryptDatakeyChecksTheDigest) {
  kmscore_test::combined backend;
  const std::vector<kmscore::byte> dek(64, 0x33);
  for (const auto& [spec, size, digest] :
       {std::tuple{key_spec::aes_256, 32U, "SHA256"}, std::tuple{key_spec::sm4, 16U, "SM3"}}) {
    const auto cmk = make_cmk(spec, size);
    const auto sealed = kmscore::encrypt_datakey(
        backend, cmk, encrypt_params(dek, openssl_digest_hex(digest, dek)));
    ASSERT_TRUE(sealed);
    EXPECT_EQ(sealed->size.bytes(), 64U);
    const auto opened = kmscore::decrypt_datakey(backend, cmk, decrypt_params(sealed->cipher_text));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->expose_data_key(), kmscore::hex_encode(dek));
    // The other hash, or a corrupted digest, is refused.
    const char* other = std::string{digest} == "SHA256" ? "SM3" : "SHA256";
    EXPECT_EQ(
        kmscore::encrypt_datakey(backend, cmk, encrypt_params(dek, openssl_digest_hex(other, dek)))
            .error()
            .code_string(),
        "KMS.2103");
  }
}

TEST(DataKeyTest, DecryptDatakeyFieldErrors) {
  kmscore_test::combined backend;
  const auto cmk = make_cmk(key_spec::aes_256, 32);
  const auto made = kmscore::create_datakey(backend, cmk, datakey_params());
  ASSERT_TRUE(made);
  EXPECT_EQ(decrypt_error(backend, cmk, made->cipher_text()), "ok");
  EXPECT_EQ(decrypt_error(backend, cmk, made->cipher_text(), "32"), "KMS.2204");
  std::string other_id{made->cipher_text()};  // the key_id inside differs from the request's
  other_id[2 * (4 + 112) + 1] = '3';          // '0' (30) becomes '3' (33)
  EXPECT_EQ(decrypt_error(backend, cmk, other_id), "KMS.2201");
  EXPECT_EQ(decrypt_error(backend, cmk, std::string{made->cipher_text()} + "00"), "KMS.2201");
  std::string tampered{made->cipher_text()};
  tampered[40] = tampered[40] == 'A' ? 'B' : 'A';
  EXPECT_EQ(decrypt_error(backend, cmk, tampered), "KMS.2203");
  const auto wrong_cmk = make_cmk(key_spec::aes_256, 32, 10);
  EXPECT_EQ(decrypt_error(backend, wrong_cmk, made->cipher_text()), "KMS.2203");
  const auto sm4_cmk = make_cmk(key_spec::sm4, 16);  // an AES envelope under an SM4 key
  EXPECT_EQ(decrypt_error(backend, sm4_cmk, made->cipher_text()), "KMS.2201");
}

TEST(DataKeyTest, ServiceVersion2BlobIsRecognisedButNotDecrypted) {
  kmscore_test::combined backend;
  const auto cmk = make_cmk(key_spec::aes_256, 32);
  EXPECT_EQ(decrypt_error(backend, cmk, kmscore_test::seed_cipher_text), "KMS.2201");
}

TEST(DataKeyTest, RotationOpensOldEnvelopesWithTheirVersion) {
  kmscore_test::combined backend;
  auto cmk = make_cmk(key_spec::aes_256, 32, 1);
  const auto old_blob = kmscore::create_datakey(backend, cmk, datakey_params());
  cmk.material_versions.emplace_back(std::vector<kmscore::byte>(32, 2));  // rotate
  const auto new_blob = kmscore::create_datakey(backend, cmk, datakey_params());
  const auto old_view = kmscore_test::unhex(old_blob->cipher_text());
  const auto new_view = kmscore_test::unhex(new_blob->cipher_text());
  EXPECT_EQ(kmscore::parse_envelope(old_view)->key_version(), 0U);
  EXPECT_EQ(kmscore::parse_envelope(new_view)->key_version(), 1U);
  EXPECT_TRUE(kmscore::decrypt_datakey(backend, cmk, decrypt_params(old_blob->cipher_text())));
  EXPECT_TRUE(kmscore::decrypt_datakey(backend, cmk, decrypt_params(new_blob->cipher_text())));
  cmk.material_versions.pop_back();  // an envelope naming a version the key lacks
  EXPECT_EQ(kmscore::decrypt_datakey(backend, cmk, decrypt_params(new_blob->cipher_text()))
                .error()
                .code_string(),
            "KMS.2203");
}

// New envelopes use the CMAC-KDF versions (18, 19) where the backend has the block cipher;
// envelopes of 16 (made by the libsodium backend, or before 18 existed) keep opening through
// every path: decrypt, a derived (cached) opener, and re-wrap, which moves them to 18.
TEST(DataKeyTest, NewEnvelopesUseEighteenAndSixteenKeepsOpening) {
  kmscore_test::sodium sodium;
  kmscore_test::sodium_cryptopp fast;
  const auto cmk = make_cmk(key_spec::aes_256, 32);
  const auto old_blob = kmscore::create_datakey(sodium, cmk, datakey_params());
  const auto new_blob = kmscore::create_datakey(fast, cmk, datakey_params());
  const auto version = [](std::string_view hex) {
    const auto blob = kmscore_test::unhex(hex);
    return kmscore::parse_envelope(blob)->version();
  };
  ASSERT_EQ(version(old_blob->cipher_text()), kmscore::envelope_version::aes256_gcm_hmac_sha256);
  ASSERT_EQ(version(new_blob->cipher_text()), kmscore::envelope_version::aes256_gcm_cmac_kdf);
  const auto old_params = decrypt_params(old_blob->cipher_text());
  const auto new_params = decrypt_params(new_blob->cipher_text());
  const auto opened = kmscore::decrypt_datakey(fast, cmk, old_params);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->expose_data_key(), old_blob->expose_plain_text());
  const auto opener =
      kmscore::datakey_opener<kmscore_test::sodium_cryptopp>::make_derived(fast, cmk);
  ASSERT_TRUE(opener);
  for (const auto* params : {&old_params, &new_params}) {
    const auto cached = kmscore::decrypt_datakey_with(fast, cmk, *opener, *params);
    EXPECT_TRUE(cached) << static_cast<int>(params->envelope().version());
  }
  EXPECT_EQ(decrypt_error(sodium, cmk, new_blob->cipher_text()), "KMS.0101");  // no block cipher
  kmscore::re_encrypt_datakey_request moved;
  moved.key_id = key_id;
  moved.cipher_text = std::string{old_blob->cipher_text()};
  moved.datakey_cipher_length = "64";
  moved.encryption_context = {{{"Key1", "Value1"}}};
  const auto moved_params = kmscore::validate(moved);
  ASSERT_TRUE(moved_params);
  const auto rewrapped = kmscore::re_encrypt_datakey(fast, cmk, cmk, *moved_params);
  ASSERT_TRUE(rewrapped);
  EXPECT_EQ(version(rewrapped->cipher_text), kmscore::envelope_version::aes256_gcm_cmac_kdf);
}

TEST(DataKeyTest, BatchMakesDistinctOpenableKeys) {
  kmscore_test::combined backend;
  const auto cmk = make_cmk(key_spec::sm4, 16);
  const auto batch = kmscore::create_datakeys(backend, cmk, datakey_params("256"), 50);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 50U);
  std::set<std::string> seen;
  for (const auto& made : *batch) {
    EXPECT_TRUE(seen.insert(std::string{made.expose_plain_text()}).second);
    const auto opened =
        kmscore::decrypt_datakey(backend, cmk, decrypt_params(made.cipher_text(), "32"));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->expose_data_key(), made.expose_plain_text());
  }
}

// The batch seals its chunk's envelopes first and tags them together (the backend's
// multi-buffer HMAC where it has one: ipsec_mb), gathering each envelope with the context when
// there is one, in groups that a large context makes smaller. Every envelope of every batch,
// on every backend, must open under OpenSSL's re-implementation of the suite with the DEK the
// batch returned; the same envelope with one bit of its tag flipped must not.
template <class Backend>
void batch_opens_under_openssl(key_spec spec, std::size_t material_size) {
  Backend backend;
  const auto cmk = make_cmk(spec, material_size, 0x5a);
  const kmscore_test::openssl_ref::bytes material(material_size, 0x5a);
  const std::string large(6000, 'x');  // 6 KiB of context: 2 envelopes per gathered group
  const std::vector<std::map<std::string, std::string>> contexts{
      {}, {{"Key1", "Value1"}}, {{"big", large}, {"k", "v"}}};
  for (const auto& context : contexts) {
    for (const char* bits : {"8", "512", "8192"}) {
      for (const std::size_t count : {std::size_t{1}, std::size_t{17}, std::size_t{64}}) {
        kmscore::create_datakey_request request;
        request.key_id = key_id;
        request.datakey_length = bits;
        request.encryption_context = std::vector<kmscore::encryption_context::pair>{};
        for (const auto& [k, v] : context) request.encryption_context->push_back({k, v});
        const auto params = kmscore::validate(request);
        ASSERT_TRUE(params);
        const auto batch = kmscore::create_datakeys(backend, cmk, *params, count);
        ASSERT_TRUE(batch) << batch.error().message();
        ASSERT_EQ(batch->size(), count);
        for (const auto& made : *batch) {
          auto blob = kmscore_test::unhex(made.cipher_text());
          const auto version = static_cast<std::uint16_t>(blob[0] | (blob[1] << 8));
          const auto& suite = version == 0x10   ? kmscore_test::openssl_ref::aes
                              : version == 0x11 ? kmscore_test::openssl_ref::sm4
                              : version == 0x12 ? kmscore_test::openssl_ref::aes_cmac
                                                : kmscore_test::openssl_ref::sm4_cmac;
          ASSERT_TRUE(version >= 0x10 && version <= 0x13) << version;
          const auto dek = kmscore_test::openssl_ref::open(suite, material, blob, context);
          ASSERT_EQ(dek, kmscore_test::unhex(made.expose_plain_text()))
              << Backend::name << " bits " << bits << " count " << count;
          blob[blob.size() - 1 - (count % 32)] ^= 0x01;
          EXPECT_TRUE(kmscore_test::openssl_ref::open(suite, material, blob, context).empty());
        }
      }
    }
  }
}

template <class Backend>
class BatchAesTest : public ::testing::Test {};
TYPED_TEST_SUITE(BatchAesTest, kmscore_test::all_backends);
TYPED_TEST(BatchAesTest, EveryEnvelopeOpensUnderOpenSsl) {
  batch_opens_under_openssl<TypeParam>(key_spec::aes_256, 32);
}
template <class Backend>
class BatchSm4Test : public ::testing::Test {};
TYPED_TEST_SUITE(BatchSm4Test, kmscore_test::sm4_backends);
TYPED_TEST(BatchSm4Test, EveryEnvelopeOpensUnderOpenSsl) {
  batch_opens_under_openssl<TypeParam>(key_spec::sm4, 16);
}

template <class Backend>
std::size_t allocations_per_key() {
  Backend backend;
  const auto cmk = make_cmk(key_spec::aes_256, 32);
  auto sealer = kmscore::datakey_sealer<Backend>::make(backend, cmk);
  EXPECT_TRUE(sealer);
  const auto context = *kmscore::encryption_context::make({{"k", "v"}});
  std::array<kmscore::byte, 64> dek{};
  std::array<kmscore::byte, 188> envelope{};
  EXPECT_TRUE(sealer->create_into(dek, context, envelope));  // warm-up
  const std::size_t before = allocations.load();
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(sealer->create_into(dek, context, envelope));
  return allocations.load() - before;
}

TEST(DataKeyTest, FastBackendCallerBufferPathAllocatesNothing) {
  EXPECT_EQ(allocations_per_key<kmscore_test::sodium_cryptopp>(), 0U);
}

TEST(DataKeyTest, CallerBufferPathAllocatesNothingPerKey) {
  // The library allocates nothing here; libsodium neither (Crypto++'s GCM and HMAC objects
  // keep their key schedules in heap SecBlocks, so its backend does allocate).
  kmscore_test::sodium backend;
  const auto cmk = make_cmk(key_spec::aes_256, 32);
  auto sealer = kmscore::datakey_sealer<kmscore_test::sodium>::make(backend, cmk);
  ASSERT_TRUE(sealer);
  const auto context = *kmscore::encryption_context::make({{"k", "v"}});
  std::array<kmscore::byte, 64> dek{};
  std::array<kmscore::byte, 188> envelope{};
  ASSERT_TRUE(sealer->create_into(dek, context, envelope));  // warm-up
  const std::size_t before = allocations.load();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(sealer->create_into(dek, context, envelope));
  EXPECT_EQ(allocations.load() - before, 0U);
}

TEST(DataKeyTest, FixedRngMakesCreateDatakeyReproducible) {
  const auto cmk = make_cmk(key_spec::aes_256, 32);
  kmscore_test::fixed_rng<kmscore_test::cryptopp> first{5};
  kmscore_test::fixed_rng<kmscore_test::cryptopp> second{5};
  const auto a = kmscore::create_datakey(first, cmk, datakey_params());
  const auto b = kmscore::create_datakey(second, cmk, datakey_params());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->cipher_text(), b->cipher_text());
  // The DEK is the first 64 bytes the RNG gave: 05 06 07 ...
  EXPECT_EQ(a->expose_plain_text().substr(0, 6), "050607");
}

}  // namespace
