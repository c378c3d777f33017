// Envelope framing: the seed's sample, the size formula, and every malformed shape.
#include <kmscore/envelope.hpp>
#include <kmscore/seal.hpp>

#include <gtest/gtest.h>

#include <algorithm>

#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/hex.hpp"
#include "support/seed.hpp"

namespace {

using kmscore::byte;
using kmscore::errc;
using kmscore_test::unhex;

using kmscore_test::seed_cipher_text;

TEST(EnvelopeTest, SeedSampleParses) {
  const auto blob = unhex(seed_cipher_text);
  ASSERT_EQ(blob.size(), 188U);
  const auto view = kmscore::parse_envelope(blob);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->version(), kmscore::envelope_version::service_v2);
  EXPECT_EQ(view->length(), 152);
  EXPECT_EQ(view->body().size(), 112U);
  EXPECT_EQ(view->key_id(), "0d0466b0-e727-4d9c-b35d-f84bb474a37f");
  EXPECT_EQ(view->key_version(), 0U);
  EXPECT_EQ(view->suite(), kmscore::envelope_suite::none);
}

// A view moved to a copy of its blob reads the copy (the bytes, not the old addresses); a
// copy of another size is refused.
TEST(EnvelopeTest, RebasedViewReadsTheCopy) {
  const auto blob = unhex(seed_cipher_text);
  const auto view = kmscore::parse_envelope(blob);
  ASSERT_TRUE(view);
  const std::vector<kmscore::byte> copy(blob.begin(), blob.end());  // the same bytes elsewhere
  const auto moved = view->rebased(copy);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->body().data(), copy.data() + (view->body().data() - blob.data()));
  EXPECT_TRUE(std::equal(moved->body().begin(), moved->body().end(), view->body().begin(),
                         view->body().end()));
  EXPECT_EQ(moved->authenticated().data(), copy.data());
  EXPECT_EQ(moved->authenticated().size(), view->authenticated().size());
  EXPECT_EQ(moved->tag().data(), copy.data() + copy.size() - kmscore::envelope_tag_size);
  EXPECT_EQ(moved->key_id(), view->key_id());
  EXPECT_EQ(moved->length(), view->length());
  EXPECT_FALSE(view->rebased(kmscore::byte_span{copy}.first(copy.size() - 1)));
  const std::vector<kmscore::byte> longer(copy.size() + 1);
  EXPECT_FALSE(view->rebased(longer));
}

TEST(EnvelopeTest, SeedSampleInspectsWithValidDigestOnEveryBackend) {
  const auto blob = unhex(seed_cipher_text);
  auto check = [&](auto& backend) {
    const auto info = kmscore::inspect_envelope(backend, blob);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->version, 2);
    EXPECT_EQ(info->length, 152);
    EXPECT_EQ(info->body_length, 112U);
    EXPECT_EQ(info->key_id, "0d0466b0-e727-4d9c-b35d-f84bb474a37f");
    EXPECT_EQ(info->key_version, 0U);
    ASSERT_TRUE(info->digest_ok.has_value());
    EXPECT_TRUE(*info->digest_ok);
    auto tampered = blob;
    tampered[10] ^= 1;
    EXPECT_FALSE(*kmscore::inspect_envelope(backend, tampered)->digest_ok);
  };
  kmscore_test::sodium sodium;
  kmscore_test::cryptopp cryptopp;
  check(sodium);
  check(cryptopp);
}

TEST(EnvelopeTest, SizeFormula) {
  EXPECT_EQ(kmscore::envelope_size(64), 188U);
  for (std::size_t n = 1; n <= 1024; ++n) {
    EXPECT_LE(kmscore::envelope_size(n), 124 + (n + 15) / 16 * 16) << n;
  }
}

kmscore::key_id sample_key_id() {
  return *kmscore::key_id::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37f");
}

std::vector<byte> sample_suite_blob(std::size_t dek_bytes) {
  std::vector<byte> blob(kmscore::envelope_size(dek_bytes), 0x5A);
  (void)kmscore::detail::write_envelope_frame(kmscore::envelope_version::aes256_gcm_hmac_sha256,
                                              sample_key_id(), 7, blob);
  return blob;
}

TEST(EnvelopeTest, SuiteFramingRoundTrips) {
  const auto blob = sample_suite_blob(64);
  const auto view = kmscore::parse_envelope(blob);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->version(), kmscore::envelope_version::aes256_gcm_hmac_sha256);
  EXPECT_EQ(view->datakey_bytes(), 64U);
  EXPECT_EQ(view->key_version(), 7U);
  EXPECT_EQ(view->authenticated().size(), 188U - 32U);
}

errc parse_error(const std::vector<byte>& blob) {
  return kmscore::parse_envelope(blob).error().code();
}

TEST(EnvelopeTest, RejectsMalformedShapes) {
  auto blob = sample_suite_blob(64);
  for (std::size_t size = 0; size < kmscore::envelope_overhead; ++size) {
    EXPECT_EQ(parse_error(std::vector<byte>(blob.begin(), blob.begin() + static_cast<long>(size))),
              errc::invalid_cipher_text);
  }
  auto truncated = blob;
  truncated.pop_back();
  EXPECT_EQ(parse_error(truncated), errc::invalid_cipher_text);  // length field disagrees
  auto extended = blob;
  extended.push_back(0);
  EXPECT_EQ(parse_error(extended), errc::invalid_cipher_text);  // trailing byte
  for (const int version : {0x00, 0x01, 0x03, 0x0F, 0x14, 0x15, 0x16, 0xFF}) {
    auto unknown = blob;
    unknown[0] = static_cast<byte>(version);
    EXPECT_EQ(parse_error(unknown), errc::invalid_cipher_text) << version;
  }
  for (const int version : {0x10, 0x11, 0x12, 0x13}) {
    auto known = blob;
    known[0] = static_cast<byte>(version);
    EXPECT_TRUE(kmscore::parse_envelope(known)) << version;
  }
  auto bad_key_id = blob;
  bad_key_id[4 + 112] = 'G';
  EXPECT_EQ(parse_error(bad_key_id), errc::invalid_cipher_text);
  // A library suite needs a body of salt + at least one DEK byte + GCM tag.
  auto empty_dek = sample_suite_blob(1);
  EXPECT_TRUE(kmscore::parse_envelope(empty_dek));
  std::vector<byte> no_dek(kmscore::envelope_overhead + 48, 0);
  (void)kmscore::detail::write_envelope_frame(kmscore::envelope_version::aes256_gcm_hmac_sha256,
                                              sample_key_id(), 0, no_dek);
  EXPECT_EQ(parse_error(no_dek), errc::invalid_cipher_text);
}

}  // namespace
