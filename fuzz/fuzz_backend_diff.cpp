// Differential: libsodium and Crypto++ agree byte for byte on everything both implement
// (AES-256-GCM seal and open, SHA-256, HMAC-SHA-256, HKDF-SHA-256).
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/sodium.hpp>
#include <kmscore/detail/hkdf.hpp>

#include <array>
#include <vector>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 32 + 12 + 16 + 1 || size > fuzz_max_input) return 0;
  static kmscore::backend::sodium sodium;
  static kmscore::backend::cryptopp cryptopp;
  const kmscore::byte_span key{data, 32};
  const std::span<const kmscore::byte, 12> nonce{data + 32, 12};
  const std::span<const kmscore::byte, 16> tag_in{data + 44, 16};
  const std::size_t aad_size = data[60] % (size - 61 + 1);
  const kmscore::byte_span aad{data + 61, aad_size};
  const kmscore::byte_span message{data + 61 + aad_size, size - 61 - aad_size};
  const kmscore::aead_params params{kmscore::cipher_id::aes256_gcm, key, nonce, aad};

  std::vector<kmscore::byte> ct1(message.size()), ct2(message.size());
  std::array<kmscore::byte, 16> tag1{}, tag2{};
  FUZZ_CHECK(sodium.aead_seal(params, message, ct1, tag1).has_value());
  FUZZ_CHECK(cryptopp.aead_seal(params, message, ct2, tag2).has_value());
  FUZZ_CHECK(ct1 == ct2 && tag1 == tag2);

  std::vector<kmscore::byte> pt1(message.size()), pt2(message.size());
  const bool open1 = sodium.aead_open(params, message, tag_in, pt1).has_value();
  const bool open2 = cryptopp.aead_open(params, message, tag_in, pt2).has_value();
  FUZZ_CHECK(open1 == open2 && pt1 == pt2);
  FUZZ_CHECK(sodium.aead_open(params, ct1, tag1, pt1).has_value());
  FUZZ_CHECK(std::equal(pt1.begin(), pt1.end(), message.begin(), message.end()));

  const std::array<kmscore::byte_span, 2> pieces{aad, message};
  std::array<kmscore::byte, 32> d1{}, d2{};
  FUZZ_CHECK(sodium.digest(kmscore::hash_id::sha256, pieces, d1).has_value());
  FUZZ_CHECK(cryptopp.digest(kmscore::hash_id::sha256, pieces, d2).has_value());
  FUZZ_CHECK(d1 == d2);
  FUZZ_CHECK(kmscore::hmac(sodium, kmscore::hash_id::sha256, key.first(data[0] % 33), pieces, d1)
                 .has_value());
  FUZZ_CHECK(kmscore::hmac(cryptopp, kmscore::hash_id::sha256, key.first(data[0] % 33), pieces, d2)
                 .has_value());
  FUZZ_CHECK(d1 == d2);
  std::vector<kmscore::byte> okm1(1 + data[1] % 200), okm2(okm1.size());
  FUZZ_CHECK(kmscore::detail::hkdf_expand(sodium, kmscore::hash_id::sha256, key, pieces, okm1)
                 .has_value());
  FUZZ_CHECK(kmscore::detail::hkdf_expand(cryptopp, kmscore::hash_id::sha256, key, pieces, okm2)
                 .has_value());
  FUZZ_CHECK(okm1 == okm2);
  return 0;
}
