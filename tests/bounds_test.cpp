// Every public entry that takes a size or a span checks it before touching memory: each is
// called at its maximum and one past it (and at the minimum and one below, where there is
// one). scripts/sanitize runs this under ASan, so an unchecked write would be reported.
#include <kmscore/actions.hpp>
#include <kmscore/hex.hpp>
#include <kmscore/project_id.hpp>

#include <kmscore/detail/counter_kdf.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/backends.hpp"

namespace {

using kmscore::byte;
using kmscore::envelope_suite;
using kmscore::errc;

const kmscore::key_id id = *kmscore::key_id::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37f");

// Frames a well-formed AES-suite envelope of `size` bytes at the start of `blob` (zero body).
kmscore::byte_span frame_envelope(std::vector<byte>& blob, std::size_t size) {
  const std::span<byte> out{blob.data(), size};
  out[0] = 0x10;
  out[1] = 0;
  out[2] = static_cast<byte>((size - 36) & 0xFFU);
  out[3] = static_cast<byte>(((size - 36) >> 8U) & 0xFFU);
  const auto text = kmscore::as_bytes(id.view());
  std::copy(text.begin(), text.end(), out.end() - 72);
  return kmscore::byte_span{out};
}

kmscore::master_key aes_cmk() {
  kmscore::master_key cmk;
  cmk.key_id = id;
  cmk.material_versions.emplace_back(std::vector<byte>(32, 3));
  return cmk;
}

TEST(BoundsTest, HexEncodeNeedsExactlyTwiceTheInput) {
  const std::vector<byte> in(8, 0xAB);
  std::vector<char> out(17, '.');
  EXPECT_TRUE(kmscore::hex_encode(in, std::span<char>{out}.first(16)));
  EXPECT_FALSE(kmscore::hex_encode(in, out));                             // one past
  EXPECT_FALSE(kmscore::hex_encode(in, std::span<char>{out}.first(15)));  // one short
  EXPECT_EQ(out[16], '.');
}

TEST(BoundsTest, HexDecodeNeedsExactlyHalfTheText) {
  std::vector<byte> out(5, 0xEE);
  EXPECT_TRUE(kmscore::hex_decode("00112233", std::span<byte>{out}.first(4)));
  EXPECT_FALSE(kmscore::hex_decode("00112233", out));
  EXPECT_FALSE(kmscore::hex_decode("0011223344", std::span<byte>{out}.first(4)));
}

TEST(BoundsTest, DatakeySizeIsOneTo1024Bytes) {
  EXPECT_TRUE(kmscore::datakey_size::from_bytes(kmscore::min_datakey_bytes));
  EXPECT_TRUE(kmscore::datakey_size::from_bytes(kmscore::max_datakey_bytes));
  EXPECT_FALSE(kmscore::datakey_size::from_bytes(0));
  EXPECT_FALSE(kmscore::datakey_size::from_bytes(kmscore::max_datakey_bytes + 1));
}

TEST(BoundsTest, ParseEnvelopeAtTheLargestBlobAndOnePast) {
  std::vector<byte> blob(kmscore::max_envelope_size + 1, 0);
  auto frame = [&](std::size_t size) { return frame_envelope(blob, size); };
  EXPECT_TRUE(
      kmscore::parse_envelope(frame(kmscore::max_envelope_size), kmscore::max_envelope_payload));
  EXPECT_EQ(
      kmscore::parse_envelope(frame(kmscore::max_envelope_size + 1), kmscore::max_envelope_payload)
          .error()
          .code(),
      errc::invalid_cipher_text);
  // A payload limit beyond what the format can carry is the caller's mistake.
  EXPECT_EQ(
      kmscore::parse_envelope(frame(kmscore::max_envelope_size), kmscore::max_envelope_payload + 1)
          .error()
          .code(),
      errc::kms_error);
  // Data-key parsing stops at 1024-byte DEKs.
  EXPECT_TRUE(kmscore::parse_envelope(frame(kmscore::max_datakey_envelope_size)));
  EXPECT_FALSE(kmscore::parse_envelope(frame(kmscore::max_datakey_envelope_size + 1)));
}

template <class Backend>
void seal_and_open_check_their_buffers() {
  Backend backend;
  auto key = kmscore::envelope_key<Backend>::derive(backend, envelope_suite::aes256_gcm_hmac_sha256,
                                                    std::vector<byte>(32, 1), id, 0);
  ASSERT_TRUE(key);
  const kmscore::encryption_context context;
  const std::size_t max = kmscore::max_envelope_payload;
  const std::vector<byte> payload(max + 1, 0x42);
  std::vector<byte> out(kmscore::envelope_size(max) + 1, 0);
  EXPECT_TRUE(key->seal(backend, std::span{payload}.first(max), context,
                        std::span{out}.first(kmscore::envelope_size(max))));
  EXPECT_EQ(key->seal(backend, payload, context, out).error().code(), errc::kms_error);
  EXPECT_EQ(key->seal(backend, std::span{payload}.first(max), context, out).error().code(),
            errc::kms_error);  // output one past
  EXPECT_EQ(key->seal(backend, std::span{payload}.first(0), context,
                      std::span{out}.first(kmscore::envelope_size(0)))
                .error()
                .code(),
            errc::kms_error);  // nothing to seal

  // open: the output must be exactly the envelope's DEK size.
  std::vector<byte> blob(kmscore::envelope_size(kmscore::max_datakey_bytes));
  ASSERT_TRUE(
      key->seal(backend, std::span{payload}.first(kmscore::max_datakey_bytes), context, blob));
  const auto view = kmscore::parse_envelope(blob);
  ASSERT_TRUE(view);
  std::vector<byte> dek(kmscore::max_datakey_bytes + 1, 0);
  EXPECT_TRUE(key->open(backend, *view, context, std::span{dek}.first(kmscore::max_datakey_bytes)));
  EXPECT_FALSE(key->open(backend, *view, context, dek));
  EXPECT_FALSE(
      key->open(backend, *view, context, std::span{dek}.first(kmscore::max_datakey_bytes - 1)));
}

TEST(BoundsTest, SealAndOpenCheckTheirBuffersOnEveryBackend) {
  seal_and_open_check_their_buffers<kmscore_test::sodium>();
  seal_and_open_check_their_buffers<kmscore_test::cryptopp>();
  seal_and_open_check_their_buffers<kmscore_test::combined>();
  seal_and_open_check_their_buffers<kmscore_test::sodium_cryptopp>();
  seal_and_open_check_their_buffers<kmscore_test::openssl>();
}

template <class Backend>
void sealer_checks_its_buffers() {
  Backend backend;
  auto sealer = kmscore::datakey_sealer<Backend>::make(backend, aes_cmk());
  ASSERT_TRUE(sealer);
  const kmscore::encryption_context context;
  const std::size_t max = kmscore::max_datakey_bytes;
  std::vector<byte> dek(max + 1, 0);
  std::vector<byte> envelope(kmscore::envelope_size(max + 1), 0);
  const auto dek_max = std::span{dek}.first(max);
  const auto envelope_max = std::span{envelope}.first(kmscore::envelope_size(max));
  EXPECT_TRUE(sealer->create_into(dek_max, context, envelope_max));
  EXPECT_EQ(sealer->create_into(dek, context, envelope).error().code(), errc::kms_error);
  EXPECT_EQ(sealer->create_into(dek_max, context, envelope).error().code(), errc::kms_error);
  EXPECT_EQ(sealer
                ->create_into(std::span{dek}.first(0), context,
                              std::span{envelope}.first(kmscore::envelope_size(0)))
                .error()
                .code(),
            errc::kms_error);
  EXPECT_TRUE(sealer->seal_into(dek_max, context, envelope_max));
  EXPECT_EQ(sealer->seal_into(dek, context, envelope).error().code(), errc::kms_error);
  EXPECT_EQ(sealer->seal_into(dek_max, context, envelope).error().code(), errc::kms_error);
}

TEST(BoundsTest, SealerChecksItsBuffersOnEveryBackend) {
  sealer_checks_its_buffers<kmscore_test::sodium>();
  sealer_checks_its_buffers<kmscore_test::cryptopp>();
  sealer_checks_its_buffers<kmscore_test::sodium_cryptopp>();
  sealer_checks_its_buffers<kmscore_test::openssl>();
}

TEST(BoundsTest, BatchCountIsOneToTheMaximum) {
  kmscore_test::sodium_cryptopp backend;
  kmscore::create_datakey_request request;
  request.key_id = std::string{id.view()};
  request.datakey_length = "8";
  const auto params = kmscore::validate(request);
  ASSERT_TRUE(params);
  const auto cmk = aes_cmk();
  const auto most = kmscore::create_datakeys(backend, cmk, *params, kmscore::max_datakey_batch);
  ASSERT_TRUE(most);
  EXPECT_EQ(most->size(), kmscore::max_datakey_batch);
  EXPECT_EQ(kmscore::create_datakeys(backend, cmk, *params, kmscore::max_datakey_batch + 1)
                .error()
                .code(),
            errc::kms_error);
  EXPECT_EQ(kmscore::create_datakeys(backend, cmk, *params, 0).error().code(), errc::kms_error);
}

TEST(BoundsTest, InspectAtTheLargestBlobAndOnePast) {
  kmscore_test::cryptopp backend;
  std::vector<byte> blob(kmscore::max_datakey_envelope_size + 1, 0);
  auto frame = [&](std::size_t size) { return frame_envelope(blob, size); };
  EXPECT_TRUE(kmscore::inspect_envelope(backend, frame(kmscore::max_datakey_envelope_size)));
  EXPECT_FALSE(kmscore::inspect_envelope(backend, frame(kmscore::max_datakey_envelope_size + 1)));
}

TEST(BoundsTest, ReWrapBatchIsAtMostTheMaximum) {
  kmscore_test::sodium_cryptopp backend;
  const auto cmk = aes_cmk();
  std::vector<byte> blob(kmscore::envelope_size(16));
  auto sealer = kmscore::datakey_sealer<kmscore_test::sodium_cryptopp>::make(backend, cmk);
  ASSERT_TRUE(sealer);
  const kmscore::encryption_context context;
  std::vector<byte> dek(16, 1);
  ASSERT_TRUE(sealer->seal_into(dek, context, blob));
  const auto view = kmscore::parse_envelope(blob);
  ASSERT_TRUE(view);
  std::vector<kmscore::rewrap_item> items(kmscore::max_datakey_batch + 1, {&*view, &context});
  const auto most = kmscore::re_encrypt_datakeys(
      backend, cmk, cmk, std::span{items}.first(kmscore::max_datakey_batch), context);
  ASSERT_TRUE(most);
  EXPECT_EQ(most->size(), kmscore::max_datakey_batch);
  EXPECT_EQ(kmscore::re_encrypt_datakeys(backend, cmk, cmk, items, context).error().code(),
            errc::kms_error);
}

TEST(BoundsTest, EncryptionContextAtItsCapAndOnePast) {
  // count (2) + one pair: key (2 + 1) + value (2 + n) = 8192 when n = 8185.
  const std::string key = "k";
  const std::string at_cap(kmscore::max_encryption_context_size - 7, 'v');
  const auto context = kmscore::encryption_context::make({{key, at_cap}});
  ASSERT_TRUE(context);
  EXPECT_EQ(context->canonical().size(), kmscore::max_encryption_context_size);
  EXPECT_TRUE(kmscore::encryption_context::from_canonical(context->canonical()));
  EXPECT_EQ(kmscore::encryption_context::make({{key, at_cap + "v"}}).error().code(),
            errc::invalid_encryption_context);
  std::vector<byte> past(context->canonical().begin(), context->canonical().end());
  past.push_back(0);
  EXPECT_FALSE(kmscore::encryption_context::from_canonical(past));
}

template <class Backend>
void aead_checks_key_and_buffer_sizes() {
  Backend backend;
  const std::vector<byte> key(kmscore::aes256_key_size + 1, 7);
  const std::array<byte, kmscore::gcm_nonce_size> nonce{};
  const std::vector<byte> plain(64, 1);
  std::vector<byte> sealed(65, 0);
  std::array<byte, kmscore::gcm_tag_size> tag{};
  const auto cipher = kmscore::cipher_id::aes256_gcm;
  const kmscore::aead_params good{cipher, std::span{key}.first(32), nonce, {}};
  const kmscore::aead_params long_key{cipher, key, nonce, {}};
  const kmscore::aead_params short_key{cipher, std::span{key}.first(31), nonce, {}};
  const auto sealed_exact = std::span{sealed}.first(64);
  EXPECT_TRUE(backend.aead_seal(good, plain, sealed_exact, tag));
  EXPECT_FALSE(backend.aead_seal(good, plain, sealed, tag));  // output one past
  EXPECT_FALSE(backend.aead_seal(long_key, plain, sealed_exact, tag));
  EXPECT_FALSE(backend.aead_seal(short_key, plain, sealed_exact, tag));
  std::vector<byte> opened(65, 0);
  EXPECT_TRUE(backend.aead_open(good, sealed_exact, tag, std::span{opened}.first(64)));
  EXPECT_FALSE(backend.aead_open(good, sealed_exact, tag, opened));
  EXPECT_FALSE(backend.aead_open(long_key, sealed_exact, tag, std::span{opened}.first(64)));
}

TEST(BoundsTest, AeadChecksKeyAndBufferSizesOnEveryBackend) {
  aead_checks_key_and_buffer_sizes<kmscore_test::sodium>();
  aead_checks_key_and_buffer_sizes<kmscore_test::cryptopp>();
  aead_checks_key_and_buffer_sizes<kmscore_test::combined>();
  aead_checks_key_and_buffer_sizes<kmscore_test::sodium_cryptopp>();
  aead_checks_key_and_buffer_sizes<kmscore_test::openssl>();
}

// The raw block cipher (suites 18 and 19) and the counter KDF over it: key sizes, whole
// blocks only, and the KDF's output size, each at the boundary and one past.
template <class Backend>
void block_cipher_checks_sizes() {
  Backend backend;
  const std::vector<byte> key(kmscore::aes256_key_size + 1, 7);
  const auto aes = kmscore::cipher_id::aes256_gcm;
  EXPECT_FALSE(backend.block_init(aes, key));
  EXPECT_FALSE(backend.block_init(aes, std::span{key}.first(31)));
  EXPECT_FALSE(backend.block_init(kmscore::cipher_id::sm4_gcm, std::span{key}.first(17)));
  const auto expanded = backend.block_init(aes, std::span{key}.first(32));
  ASSERT_TRUE(expanded);
  std::vector<byte> in(33, 1);
  std::vector<byte> out(33, 0);
  EXPECT_TRUE(backend.encrypt_blocks(*expanded, std::span{in}.first(32), std::span{out}.first(32)));
  EXPECT_FALSE(backend.encrypt_blocks(*expanded, in, out));  // not whole blocks
  EXPECT_FALSE(
      backend.encrypt_blocks(*expanded, std::span{in}.first(32), std::span{out}.first(16)));
  EXPECT_FALSE(
      backend.encrypt_blocks(*expanded, std::span{in}.first(16), std::span{out}.first(32)));

  using kdf = kmscore::detail::counter_kdf<Backend>;
  const std::string_view label = "kmscore/v18/AES-GCM/wrapkey";
  const auto material = std::span{key}.first(32);
  EXPECT_TRUE(kdf::make(backend, aes, material, label, 32));
  EXPECT_FALSE(kdf::make(backend, aes, material, label, 33));
  EXPECT_FALSE(kdf::make(backend, aes, material, label, 0));
  EXPECT_FALSE(kdf::make(backend, aes, key, label, 32));
  EXPECT_FALSE(kdf::make(backend, aes, material, label.substr(1), 32));  // prefix not whole blocks
  const auto made = kdf::make(backend, aes, material, label, 16);
  ASSERT_TRUE(made);
  std::array<byte, 17> derived{};
  EXPECT_TRUE(made->derive(backend, {}, std::span{derived}.first(16)));
  EXPECT_FALSE(made->derive(backend, {}, derived));
  EXPECT_FALSE(made->derive(backend, {}, std::span{derived}.first(15)));
}

TEST(BoundsTest, BlockCipherAndCounterKdfCheckTheirSizes) {
  block_cipher_checks_sizes<kmscore_test::cryptopp>();
  block_cipher_checks_sizes<kmscore_test::combined>();
  block_cipher_checks_sizes<kmscore_test::sodium_cryptopp>();
  block_cipher_checks_sizes<kmscore_test::openssl>();
}

}  // namespace

// A project id: exactly 32 lowercase hex characters, both sides of each rule; what is not
// one is the URL's error (KMS.0201), and the store only ever sees the parsed type.
TEST(BoundsTest, ProjectIdIsExactly32LowercaseHex) {
  const std::string good = "5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c";
  const auto parsed = kmscore::project_id::parse(good);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->view(), good);
  EXPECT_EQ(parsed->str(), good);
  EXPECT_TRUE(kmscore::project_id::parse("0123456789abcdef0123456789abcdef"));
  const std::vector<std::string> refused_texts{good.substr(0, 31),
                                               good + "0",
                                               std::string{},
                                               "5F1BE2A1C0D94E7A8B3C6D9E0F1A2B3C",
                                               good.substr(0, 31) + "g",
                                               good.substr(0, 31) + "/",
                                               good.substr(0, 31) + "-"};
  for (const auto& bad : refused_texts) {
    const auto refused = kmscore::project_id::parse(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code_string(), "KMS.0201") << bad;
  }
  // Ordered and compared by their text (stores and caches key maps by it).
  const auto a = *kmscore::project_id::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  const auto b = *kmscore::project_id::parse("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, *kmscore::project_id::parse(a.view()));
  EXPECT_EQ(kmscore::project_id{}.view(), "00000000000000000000000000000000");
}
