// Independent checks of the asymmetric backends (asymmetric.hpp), over every backend of
// kmscore_test::asymmetric_backends:
//   - Crypto++ as the other implementation of RSASSA-PSS, RSASSA-PKCS1-v1_5, ECDSA and
//     RSAES-OAEP-SHA-256, both directions, with keys from the backend and from the Crypto++
//     backend (each accept paired with tampered message / signature / ciphertext refused);
//   - SM2 signatures and encryption against a test-side GB/T 32918.2/.4 (GM/T 0009 DER) over
//     Crypto++'s curve arithmetic on sm2p256v1 (GB/T 32918.5), both directions;
//   - Wycheproof vectors: RSA-PSS, RSA PKCS#1 v1.5, ECDSA (DER and P1363) and RSA-OAEP;
//   - the hashes of RAW messages against the published FIPS 180-2 and GB/T 32905 values.
// Keys are made once per backend, spec and maker (RSA generation is slow): the binary runs as
// one process. At most one 4096-bit key is generated.
#include <kmscore/asymmetric.hpp>

#include <cryptopp/dsa.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/ecp.h>
#include <cryptopp/filters.h>
#include <cryptopp/integer.h>
#include <cryptopp/oaep.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/pssr.h>
#include <cryptopp/rsa.h>
#include <cryptopp/sha.h>
#include <cryptopp/sm3.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/backends.hpp"
#include "support/hex.hpp"

namespace {

using CryptoPP::Integer;
using kmscore::byte;
using kmscore::byte_span;
using kmscore::data_encryption_algorithm;
using kmscore::errc;
using kmscore::key_spec;
using kmscore::signature_hash;
using kmscore::signature_scheme;
using kmscore::signing_algorithm;
using kmscore_test::unhex;
using bytes = std::vector<byte>;

// ---- small helpers -----------------------------------------------------------------------

CryptoPP::AutoSeededRandomPool& rng() {
  static CryptoPP::AutoSeededRandomPool pool;
  return pool;
}

bytes random_bytes(std::size_t size) {
  bytes out(size);
  rng().GenerateBlock(out.data(), out.size());
  return out;
}

bytes flipped(bytes data, std::size_t index) {
  data.at(index) ^= 0x01U;
  return data;
}
bytes flip_last(bytes data) {
  data.at(data.size() - 1) ^= 0x01U;
  return data;
}

bytes to_bytes(byte_span data) { return {data.begin(), data.end()}; }

std::size_t field_bytes(key_spec spec) { return kmscore::spec_policy(spec).strength_bits / 8; }

std::string code_of(const kmscore::error& failure) { return std::string{failure.code_string()}; }

// Crypto++ keys read from DER (SubjectPublicKeyInfo, PKCS#8 PrivateKeyInfo).
template <class Key>
void load_key(Key& key, byte_span der) {
  CryptoPP::ByteQueue queue;
  queue.Put(der.data(), der.size());
  queue.MessageEnd();
  key.BERDecode(queue);
}

template <class Hash>
bytes hash_with(byte_span message) {
  Hash hash;
  bytes out(Hash::DIGESTSIZE);
  hash.CalculateDigest(out.data(), message.data(), message.size());
  return out;
}

// The digest of a message computed by Crypto++ (independent of the backend).
bytes cryptopp_hash(signature_hash hash, byte_span message) {
  switch (hash) {
    case signature_hash::sha256:
      return hash_with<CryptoPP::SHA256>(message);
    case signature_hash::sha384:
      return hash_with<CryptoPP::SHA384>(message);
    case signature_hash::sha512:
      return hash_with<CryptoPP::SHA512>(message);
    case signature_hash::sm3:
      return hash_with<CryptoPP::SM3>(message);
  }
  return {};
}

// The digest of a message computed by the backend (RAW signing).
template <class Backend>
bytes backend_hash(Backend& backend, signature_hash hash, byte_span message) {
  bytes out(kmscore::signature_hash_size(hash));
  const auto hashed = backend.hash(hash, message, out);
  EXPECT_TRUE(hashed) << "hash: " << (hashed ? "" : code_of(hashed.error()));
  return out;
}

// ---- DER, test-side ------------------------------------------------------------------------

void append_header(bytes& out, byte tag, std::size_t length) {
  out.push_back(tag);
  if (length >= 0x100) {
    out.push_back(0x82);
    out.push_back(static_cast<byte>(length >> 8U));
    out.push_back(static_cast<byte>(length & 0xFFU));
  } else if (length >= 0x80) {
    out.push_back(0x81);
    out.push_back(static_cast<byte>(length));
  } else {
    out.push_back(static_cast<byte>(length));
  }
}

bytes der_tlv(byte tag, byte_span content) {
  bytes out;
  append_header(out, tag, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

// INTEGER of an unsigned big-endian magnitude, minimally encoded.
bytes der_unsigned(byte_span magnitude) {
  std::size_t skip = 0;
  while (skip < magnitude.size() && magnitude[skip] == 0) ++skip;
  const byte_span digits = magnitude.subspan(skip);
  bytes content;
  if (digits.empty() || (digits[0] & 0x80U) != 0) content.push_back(0);
  content.insert(content.end(), digits.begin(), digits.end());
  return der_tlv(0x02, content);
}

bytes min_bytes(const Integer& value) {
  bytes out(value.MinEncodedSize());
  value.Encode(out.data(), out.size());
  return out;
}
bytes fixed_bytes(const Integer& value, std::size_t size) {
  bytes out(size);
  value.Encode(out.data(), out.size());
  return out;
}
bytes der_integer(const Integer& value) { return der_unsigned(min_bytes(value)); }

bytes der_sequence(std::initializer_list<bytes> items) {
  bytes content;
  for (const auto& item : items) content.insert(content.end(), item.begin(), item.end());
  return der_tlv(0x30, content);
}

// Reads DER elements one after another: definite, minimal lengths only.
class der_reader {
 public:
  explicit der_reader(byte_span in) : in_{in} {}

  std::optional<byte_span> next(byte tag) {
    const std::size_t left = in_.size() - at_;
    if (left < 2 || in_[at_] != tag) return std::nullopt;
    std::size_t length = in_[at_ + 1];
    std::size_t header = 2;
    if (length == 0x81) {
      if (left < 3 || in_[at_ + 2] < 0x80) return std::nullopt;
      length = in_[at_ + 2];
      header = 3;
    } else if (length == 0x82) {
      if (left < 4) return std::nullopt;
      length = (std::size_t{in_[at_ + 2]} << 8U) | in_[at_ + 3];
      if (length < 0x100) return std::nullopt;
      header = 4;
    } else if (length >= 0x80) {
      return std::nullopt;
    }
    if (left - header < length) return std::nullopt;
    const auto content = in_.subspan(at_ + header, length);
    at_ += header + length;
    return content;
  }
  [[nodiscard]] bool done() const { return at_ == in_.size(); }

 private:
  byte_span in_;
  std::size_t at_ = 0;
};

// A non-negative DER INTEGER, minimally encoded.
std::optional<Integer> der_non_negative(std::optional<byte_span> content) {
  if (!content || content->empty() || ((*content)[0] & 0x80U) != 0) return std::nullopt;
  if (content->size() > 1 && (*content)[0] == 0 && ((*content)[1] & 0x80U) == 0) {
    return std::nullopt;
  }
  return Integer{content->data(), content->size()};
}

// SEQUENCE { INTEGER r, INTEGER s } in strict DER (ECDSA and SM2 signatures).
std::optional<std::pair<Integer, Integer>> parse_der_signature(byte_span der) {
  der_reader outer{der};
  const auto body = outer.next(0x30);
  if (!body || !outer.done()) return std::nullopt;
  der_reader inner{*body};
  auto r = der_non_negative(inner.next(0x02));
  auto s = der_non_negative(inner.next(0x02));
  if (!r || !s || !inner.done()) return std::nullopt;
  return std::pair{*r, *s};
}

// r || s (P1363) to DER.
bytes p1363_to_der(byte_span signature) {
  const std::size_t half = signature.size() / 2;
  return der_sequence({der_unsigned(signature.first(half)), der_unsigned(signature.subspan(half))});
}

// DER to r || s, as Crypto++ reads it (BER-lenient, so canonical form is checked separately).
std::optional<bytes> der_to_p1363(byte_span der, std::size_t field) {
  bytes out(2 * field);
  try {
    const auto size = CryptoPP::DSAConvertSignatureFormat(
        out.data(), out.size(), CryptoPP::DSA_P1363, der.data(), der.size(), CryptoPP::DSA_DER);
    if (size != out.size()) return std::nullopt;
  } catch (const CryptoPP::Exception&) {
    return std::nullopt;
  }
  return out;
}

// The DER of the OIDs, written here from their dotted forms.
// 1.2.840.10045.2.1 (id-ecPublicKey) and 1.2.156.10197.1.301 (sm2p256v1).
constexpr std::array<byte, 7> oid_ec_public_key{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
constexpr std::array<byte, 8> oid_sm2p256v1{0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D};

bool same(byte_span a, byte_span b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

// AlgorithmIdentifier { id-ecPublicKey, namedCurve }.
bool ec_algorithm_is(std::optional<byte_span> algorithm, byte_span curve_oid) {
  if (!algorithm) return false;
  der_reader reader{*algorithm};
  const auto kind = reader.next(0x06);
  const auto curve = reader.next(0x06);
  return kind && curve && reader.done() && same(*kind, oid_ec_public_key) &&
         same(*curve, curve_oid);
}

// PKCS#8 PrivateKeyInfo { 0, ecAlgorithm, OCTET STRING { ECPrivateKey { 1, OCTET STRING d,
// [0] parameters OPTIONAL, [1] publicKey OPTIONAL } } } (RFC 5208, RFC 5915): d, of exactly the
// field's size.
std::optional<Integer> ec_private_scalar(byte_span pkcs8, byte_span curve_oid, std::size_t field) {
  der_reader outer{pkcs8};
  const auto info = outer.next(0x30);
  if (!info || !outer.done()) return std::nullopt;
  der_reader fields{*info};
  const auto version = fields.next(0x02);
  if (!version || version->size() != 1 || (*version)[0] != 0) return std::nullopt;
  if (!ec_algorithm_is(fields.next(0x30), curve_oid)) return std::nullopt;
  const auto wrapped = fields.next(0x04);
  if (!wrapped || !fields.done()) return std::nullopt;
  der_reader ec_outer{*wrapped};
  const auto ec_key = ec_outer.next(0x30);
  if (!ec_key || !ec_outer.done()) return std::nullopt;
  der_reader ec_fields{*ec_key};
  const auto ec_version = ec_fields.next(0x02);
  if (!ec_version || ec_version->size() != 1 || (*ec_version)[0] != 1) return std::nullopt;
  const auto scalar = ec_fields.next(0x04);
  if (!scalar || scalar->size() != field) return std::nullopt;
  (void)ec_fields.next(0xA0);
  (void)ec_fields.next(0xA1);
  if (!ec_fields.done()) return std::nullopt;
  return Integer{scalar->data(), scalar->size()};
}

// SubjectPublicKeyInfo { ecAlgorithm, BIT STRING { 0 unused bits, 04 || x || y } }.
std::optional<CryptoPP::ECPPoint> ec_public_point(byte_span spki, byte_span curve_oid,
                                                  std::size_t field) {
  der_reader outer{spki};
  const auto info = outer.next(0x30);
  if (!info || !outer.done()) return std::nullopt;
  der_reader fields{*info};
  if (!ec_algorithm_is(fields.next(0x30), curve_oid)) return std::nullopt;
  const auto bits = fields.next(0x03);
  if (!bits || !fields.done() || bits->size() != 2 + 2 * field || (*bits)[0] != 0 ||
      (*bits)[1] != 0x04) {
    return std::nullopt;
  }
  return CryptoPP::ECPPoint{Integer{bits->data() + 2, field},
                            Integer{bits->data() + 2 + field, field}};
}

// ---- keys, made once -----------------------------------------------------------------------

enum class key_maker { backend, cryptopp };

std::string_view to_string(key_maker maker) {
  return maker == key_maker::backend ? "backend-made key" : "Crypto++-made key";
}

// The key pair of a spec from the backend or from the Crypto++ backend, generated on first use
// and kept for the process (RSA generation dominates the run time otherwise).
template <class Backend>
const kmscore::key_pair& key_for(key_spec spec, key_maker maker) {
  static std::map<std::pair<key_spec, key_maker>, kmscore::key_pair> keys;
  const auto found = keys.find({spec, maker});
  if (found != keys.end()) return found->second;
  auto made = maker == key_maker::backend ? Backend{}.generate_key_pair(spec)
                                          : kmscore_test::cryptopp{}.generate_key_pair(spec);
  EXPECT_TRUE(made) << to_string(spec) << " " << to_string(maker) << ": "
                    << (made ? "" : code_of(made.error()));
  return keys.emplace(std::pair{spec, maker}, made ? std::move(*made) : kmscore::key_pair{})
      .first->second;
}

std::string describe(key_spec spec, key_maker maker, signing_algorithm algorithm) {
  return std::string{kmscore::to_string(spec)} + ", " + std::string{to_string(maker)} + ", " +
         std::string{kmscore::info(algorithm).name};
}

constexpr std::array<key_spec, 4> cross_specs{key_spec::rsa_2048, key_spec::rsa_3072,
                                              key_spec::ec_p256, key_spec::ec_p384};
constexpr std::array<key_maker, 2> makers{key_maker::backend, key_maker::cryptopp};

key_maker other(key_maker maker) {
  return maker == key_maker::backend ? key_maker::cryptopp : key_maker::backend;
}

// ---- Crypto++ signatures -------------------------------------------------------------------

template <class T>
struct type_tag {
  using type = T;
};

// Calls fn with the Crypto++ scheme of a signing algorithm (all but SM2, which it lacks).
template <class Fn>
void with_cryptopp_scheme(signing_algorithm algorithm, Fn&& fn) {
  using CryptoPP::ECDSA;
  using CryptoPP::ECP;
  using CryptoPP::PKCS1v15;
  using CryptoPP::PSS;
  using CryptoPP::RSASS;
  using CryptoPP::SHA256;
  using CryptoPP::SHA384;
  using CryptoPP::SHA512;
  switch (algorithm) {
    case signing_algorithm::rsassa_pss_sha256:
      return fn(type_tag<RSASS<PSS, SHA256>>{});
    case signing_algorithm::rsassa_pss_sha384:
      return fn(type_tag<RSASS<PSS, SHA384>>{});
    case signing_algorithm::rsassa_pss_sha512:
      return fn(type_tag<RSASS<PSS, SHA512>>{});
    case signing_algorithm::rsassa_pkcs1_v1_5_sha256:
      return fn(type_tag<RSASS<PKCS1v15, SHA256>>{});
    case signing_algorithm::rsassa_pkcs1_v1_5_sha384:
      return fn(type_tag<RSASS<PKCS1v15, SHA384>>{});
    case signing_algorithm::rsassa_pkcs1_v1_5_sha512:
      return fn(type_tag<RSASS<PKCS1v15, SHA512>>{});
    case signing_algorithm::ecdsa_sha256:
      return fn(type_tag<ECDSA<ECP, SHA256>>{});
    case signing_algorithm::ecdsa_sha384:
      return fn(type_tag<ECDSA<ECP, SHA384>>{});
    case signing_algorithm::ecdsa_sha512:
      return fn(type_tag<ECDSA<ECP, SHA512>>{});
    case signing_algorithm::sm2dsa_sm3:
      break;
  }
  ADD_FAILURE() << "Crypto++ has no scheme for " << kmscore::info(algorithm).name;
}

bool is_ecdsa(signing_algorithm algorithm) {
  return kmscore::info(algorithm).scheme == signature_scheme::ecdsa;
}

// Whether Crypto++ accepts `signature` (DER for ECDSA) over `message` under the SPKI.
bool cryptopp_verifies(key_spec spec, byte_span public_key, signing_algorithm algorithm,
                       byte_span message, byte_span signature) {
  bool verified = false;
  with_cryptopp_scheme(algorithm, [&](auto scheme) {
    using Scheme = typename decltype(scheme)::type;
    typename Scheme::Verifier verifier;
    try {
      load_key(verifier.AccessKey(), public_key);
    } catch (const CryptoPP::Exception& e) {
      ADD_FAILURE() << "Crypto++ cannot read the public key: " << e.what();
      return;
    }
    bytes encoded = to_bytes(signature);
    if (is_ecdsa(algorithm)) {
      auto converted = der_to_p1363(signature, field_bytes(spec));
      if (!converted) return;
      encoded = std::move(*converted);
    }
    try {
      verified =
          verifier.VerifyMessage(message.data(), message.size(), encoded.data(), encoded.size());
    } catch (const CryptoPP::Exception&) {
      verified = false;
    }
  });
  return verified;
}

// Crypto++'s signature over `message` with the PKCS#8 key (DER for ECDSA).
bytes cryptopp_sign(byte_span private_key, signing_algorithm algorithm, byte_span message) {
  bytes signature;
  with_cryptopp_scheme(algorithm, [&](auto scheme) {
    using Scheme = typename decltype(scheme)::type;
    try {
      typename Scheme::Signer signer;
      load_key(signer.AccessKey(), private_key);
      signature.resize(signer.MaxSignatureLength());
      signature.resize(signer.SignMessage(rng(), message.data(), message.size(), signature.data()));
    } catch (const CryptoPP::Exception& e) {
      ADD_FAILURE() << "Crypto++ cannot sign with the private key: " << e.what();
      signature.clear();
    }
  });
  if (is_ecdsa(algorithm) && !signature.empty()) signature = p1363_to_der(signature);
  return signature;
}

template <class Backend>
void expect_verdict(Backend& backend, key_spec spec, byte_span public_key,
                    signing_algorithm algorithm, byte_span digest, byte_span signature,
                    bool expected) {
  const auto verdict = backend.verify(spec, public_key, algorithm, digest, signature);
  ASSERT_TRUE(verdict) << "verify answered an error: " << code_of(verdict.error());
  EXPECT_EQ(*verdict, expected);
}

// The backend signs hash(message) (hashed by the backend); Crypto++ verifies the message.
template <class Backend>
void check_backend_signature(Backend& backend, key_spec spec, const kmscore::key_pair& keys,
                             signing_algorithm algorithm, const kmscore::key_pair* other_keys) {
  const auto hash = kmscore::info(algorithm).hash;
  const bytes message = random_bytes(100);
  const bytes digest = backend_hash(backend, hash, message);
  ASSERT_EQ(digest, cryptopp_hash(hash, message));
  const auto made = backend.sign(spec, keys.private_key.expose(), algorithm, digest);
  ASSERT_TRUE(made) << "sign: " << code_of(made.error());
  const bytes& signature = *made;
  if (is_ecdsa(algorithm)) {
    const auto rs = parse_der_signature(signature);
    ASSERT_TRUE(rs) << "not a DER SEQUENCE { INTEGER r, INTEGER s }";
    EXPECT_EQ(signature, der_sequence({der_integer(rs->first), der_integer(rs->second)}))
        << "not minimal DER";
  } else {
    EXPECT_EQ(signature.size(), field_bytes(spec)) << "an RSA signature is modulus-sized";
  }

  EXPECT_TRUE(cryptopp_verifies(spec, keys.public_key, algorithm, message, signature));
  expect_verdict(backend, spec, keys.public_key, algorithm, digest, signature, true);

  // Reject twins: the message, the signature, the key.
  const bytes other_message = flipped(message, 17);
  EXPECT_FALSE(cryptopp_verifies(spec, keys.public_key, algorithm, other_message, signature));
  expect_verdict(backend, spec, keys.public_key, algorithm,
                 backend_hash(backend, hash, other_message), signature, false);
  const bytes bad_signature = flip_last(signature);
  EXPECT_FALSE(cryptopp_verifies(spec, keys.public_key, algorithm, message, bad_signature));
  expect_verdict(backend, spec, keys.public_key, algorithm, digest, bad_signature, false);
  const bytes bad_first = flipped(signature, signature.size() / 2);
  EXPECT_FALSE(cryptopp_verifies(spec, keys.public_key, algorithm, message, bad_first));
  expect_verdict(backend, spec, keys.public_key, algorithm, digest, bad_first, false);
  if (other_keys != nullptr) {
    EXPECT_FALSE(cryptopp_verifies(spec, other_keys->public_key, algorithm, message, signature));
    expect_verdict(backend, spec, other_keys->public_key, algorithm, digest, signature, false);
  }

  // PKCS#1 v1.5 is deterministic: Crypto++ must produce the very same bytes.
  if (kmscore::info(algorithm).scheme == signature_scheme::rsa_pkcs1_v1_5) {
    EXPECT_EQ(cryptopp_sign(keys.private_key.expose(), algorithm, message), signature);
  }
}

// Crypto++ signs the message; the backend verifies the digest (hashed by Crypto++).
template <class Backend>
void check_cryptopp_signature(Backend& backend, key_spec spec, const kmscore::key_pair& keys,
                              signing_algorithm algorithm) {
  const auto hash = kmscore::info(algorithm).hash;
  const bytes message = random_bytes(77);
  const bytes signature = cryptopp_sign(keys.private_key.expose(), algorithm, message);
  ASSERT_FALSE(signature.empty());
  ASSERT_TRUE(cryptopp_verifies(spec, keys.public_key, algorithm, message, signature));
  const bytes digest = cryptopp_hash(hash, message);
  expect_verdict(backend, spec, keys.public_key, algorithm, digest, signature, true);
  expect_verdict(backend, spec, keys.public_key, algorithm,
                 cryptopp_hash(hash, flipped(message, 0)), signature, false);
  expect_verdict(backend, spec, keys.public_key, algorithm, flip_last(digest), signature, false);
  expect_verdict(backend, spec, keys.public_key, algorithm, digest, flip_last(signature), false);
  expect_verdict(backend, spec, keys.public_key, algorithm, digest, flipped(signature, 5), false);
}

// ---- RSAES-OAEP with Crypto++ ------------------------------------------------------------

using oaep_sha256 = CryptoPP::RSAES<CryptoPP::OAEP<CryptoPP::SHA256>>;

bytes cryptopp_oaep_encrypt(byte_span public_key, byte_span plaintext) {
  oaep_sha256::Encryptor encryptor;
  load_key(encryptor.AccessKey(), public_key);
  bytes out(encryptor.CiphertextLength(plaintext.size()));
  encryptor.Encrypt(rng(), plaintext.data(), plaintext.size(), out.data());
  return out;
}

std::optional<bytes> cryptopp_oaep_decrypt(byte_span private_key, byte_span ciphertext) {
  try {
    oaep_sha256::Decryptor decryptor;
    load_key(decryptor.AccessKey(), private_key);
    bytes out(decryptor.MaxPlaintextLength(ciphertext.size()));
    const auto decoded = decryptor.Decrypt(rng(), ciphertext.data(), ciphertext.size(), out.data());
    if (!decoded.isValidCoding) return std::nullopt;
    out.resize(decoded.messageLength);
    return out;
  } catch (const CryptoPP::Exception&) {
    return std::nullopt;
  }
}

template <class Backend>
void expect_decrypt_failed(Backend& backend, key_spec spec, byte_span private_key,
                           data_encryption_algorithm algorithm, byte_span ciphertext,
                           std::string_view what) {
  const auto opened = backend.decrypt(spec, private_key, algorithm, ciphertext);
  ASSERT_FALSE(opened) << what << " decrypted";
  EXPECT_EQ(opened.error().code(), errc::decrypt_failed) << what << ": " << code_of(opened.error());
}

template <class Backend>
void check_oaep(Backend& backend, key_spec spec, const kmscore::key_pair& keys,
                const kmscore::key_pair* other_keys) {
  constexpr auto oaep = data_encryption_algorithm::rsaes_oaep_sha256;
  const std::size_t max = kmscore::rsa_oaep_sha256_max_plaintext(spec);
  {
    oaep_sha256::Encryptor encryptor;
    load_key(encryptor.AccessKey(), keys.public_key);
    EXPECT_EQ(encryptor.FixedMaxPlaintextLength(), max) << "Crypto++ disagrees on the maximum";
  }
  bytes sample;
  for (const std::size_t size : {std::size_t{1}, std::size_t{32}, max}) {
    SCOPED_TRACE("plaintext of " + std::to_string(size) + " bytes");
    const bytes plaintext = random_bytes(size);
    const auto sealed = backend.encrypt(spec, keys.public_key, oaep, plaintext);
    ASSERT_TRUE(sealed) << "encrypt: " << code_of(sealed.error());
    EXPECT_EQ(sealed->size(), field_bytes(spec));
    EXPECT_EQ(cryptopp_oaep_decrypt(keys.private_key.expose(), *sealed), plaintext);
    const auto again = backend.encrypt(spec, keys.public_key, oaep, plaintext);
    ASSERT_TRUE(again);
    EXPECT_NE(*again, *sealed) << "OAEP is randomised";

    const bytes theirs = cryptopp_oaep_encrypt(keys.public_key, plaintext);
    const auto opened = backend.decrypt(spec, keys.private_key.expose(), oaep, theirs);
    ASSERT_TRUE(opened) << "decrypt: " << code_of(opened.error());
    EXPECT_EQ(to_bytes(opened->expose()), plaintext);
    sample = theirs;
  }
  EXPECT_FALSE(backend.encrypt(spec, keys.public_key, oaep, random_bytes(max + 1)))
      << "one byte over the OAEP maximum was encrypted";

  const auto& private_key = keys.private_key.expose();
  expect_decrypt_failed(backend, spec, private_key, oaep, flip_last(sample), "last byte flipped");
  expect_decrypt_failed(backend, spec, private_key, oaep, flipped(sample, sample.size() / 2),
                        "middle byte flipped");
  expect_decrypt_failed(backend, spec, private_key, oaep,
                        byte_span{sample}.first(sample.size() - 1), "one byte short");
  bytes longer = sample;
  longer.push_back(0);
  expect_decrypt_failed(backend, spec, private_key, oaep, longer, "one byte long");
  bytes padded{0};
  padded.insert(padded.end(), sample.begin(), sample.end());
  expect_decrypt_failed(backend, spec, private_key, oaep, padded, "leading zero added");
  expect_decrypt_failed(backend, spec, private_key, oaep, {}, "empty");
  expect_decrypt_failed(backend, spec, private_key, oaep, bytes(sample.size(), 0xFF),
                        "above the modulus");
  expect_decrypt_failed(backend, spec, private_key, oaep, bytes(sample.size(), 0x00), "zero");
  if (other_keys != nullptr) {
    expect_decrypt_failed(backend, spec, other_keys->private_key.expose(), oaep, sample,
                          "under another key");
  }
}

// ---- SM2, test-side (GB/T 32918) ---------------------------------------------------------------

// sm2p256v1, GB/T 32918.5-2017.
struct sm2_curve {
  Integer p{"0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF"};
  Integer a{p - Integer{3}};
  Integer b{"0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"};
  Integer n{"0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123"};
  CryptoPP::ECP curve{p, a, b};
  CryptoPP::ECPPoint g{
      Integer{"0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"},
      Integer{"0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"}};

  [[nodiscard]] CryptoPP::ECPPoint times(const CryptoPP::ECPPoint& point, const Integer& k) const {
    return curve.ScalarMultiply(point, k);
  }
  [[nodiscard]] CryptoPP::ECPPoint plus(const CryptoPP::ECPPoint& x,
                                        const CryptoPP::ECPPoint& y) const {
    return curve.Add(x, y);  // copied: Add returns a reference into the curve
  }
  [[nodiscard]] Integer random_scalar() const { return Integer{rng(), Integer::One(), n - 1}; }
};

const sm2_curve& sm2() {
  static const sm2_curve curve;
  return curve;
}

constexpr std::size_t sm2_field = 32;

struct sm2_key {
  Integer d;
  CryptoPP::ECPPoint q;
};

std::optional<sm2_key> sm2_key_of(const kmscore::key_pair& keys) {
  const auto d = ec_private_scalar(keys.private_key.expose(), oid_sm2p256v1, sm2_field);
  const auto q = ec_public_point(keys.public_key, oid_sm2p256v1, sm2_field);
  if (!d || !q) return std::nullopt;
  return sm2_key{*d, *q};
}

// GB/T 32918.2 verification, with the digest e given.
bool sm2_verifies(const CryptoPP::ECPPoint& q, byte_span e, byte_span signature) {
  const auto& c = sm2();
  const auto rs = parse_der_signature(signature);
  if (!rs) return false;
  const auto& [r, s] = *rs;
  if (r < Integer::One() || r >= c.n || s < Integer::One() || s >= c.n) return false;
  const Integer t = (r + s) % c.n;
  if (t.IsZero()) return false;
  const auto point = c.plus(c.times(c.g, s), c.times(q, t));
  if (point.identity) return false;
  return (Integer{e.data(), e.size()} + point.x) % c.n == r;
}

// GB/T 32918.2 signing, with the digest e given; DER SEQUENCE { r, s }.
bytes sm2_sign(const Integer& d, byte_span e) {
  const auto& c = sm2();
  const Integer digest{e.data(), e.size()};
  for (;;) {
    const Integer k = c.random_scalar();
    const auto point = c.times(c.g, k);
    const Integer r = (digest + point.x) % c.n;
    if (r.IsZero() || r + k == c.n) continue;
    const Integer rd = (r * d) % c.n;
    const Integer s = ((Integer::One() + d).InverseMod(c.n) * ((k + c.n - rd) % c.n)) % c.n;
    if (s.IsZero()) continue;
    return der_sequence({der_integer(r), der_integer(s)});
  }
}

// The KDF of GB/T 32918.4: SM3(z || ct), ct a 32-bit big-endian counter from 1.
bytes sm2_kdf(byte_span z, std::size_t size) {
  bytes out;
  for (std::uint32_t counter = 1; out.size() < size; ++counter) {
    const std::array<byte, 4> ct{static_cast<byte>(counter >> 24U),
                                 static_cast<byte>(counter >> 16U),
                                 static_cast<byte>(counter >> 8U), static_cast<byte>(counter)};
    CryptoPP::SM3 sm3;
    sm3.Update(z.data(), z.size());
    sm3.Update(ct.data(), ct.size());
    std::array<byte, 32> block{};
    sm3.Final(block.data());
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(size);
  return out;
}

bytes sm2_c3(const CryptoPP::ECPPoint& shared, byte_span message) {
  CryptoPP::SM3 sm3;
  const bytes x2 = fixed_bytes(shared.x, sm2_field);
  const bytes y2 = fixed_bytes(shared.y, sm2_field);
  sm3.Update(x2.data(), x2.size());
  sm3.Update(message.data(), message.size());
  sm3.Update(y2.data(), y2.size());
  bytes out(32);
  sm3.Final(out.data());
  return out;
}

bytes sm2_shared_z(const CryptoPP::ECPPoint& shared) {
  bytes z = fixed_bytes(shared.x, sm2_field);
  const bytes y2 = fixed_bytes(shared.y, sm2_field);
  z.insert(z.end(), y2.begin(), y2.end());
  return z;
}

// GM/T 0009: SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 }.
struct sm2_ciphertext {
  Integer x1;
  Integer y1;
  bytes c3;
  bytes c2;
};

bytes encode(const sm2_ciphertext& c) {
  return der_sequence(
      {der_integer(c.x1), der_integer(c.y1), der_tlv(0x04, c.c3), der_tlv(0x04, c.c2)});
}

std::optional<sm2_ciphertext> decode_sm2_ciphertext(byte_span der) {
  der_reader outer{der};
  const auto body = outer.next(0x30);
  if (!body || !outer.done()) return std::nullopt;
  der_reader fields{*body};
  auto x1 = der_non_negative(fields.next(0x02));
  auto y1 = der_non_negative(fields.next(0x02));
  const auto c3 = fields.next(0x04);
  const auto c2 = fields.next(0x04);
  if (!x1 || !y1 || !c3 || !c2 || !fields.done()) return std::nullopt;
  return sm2_ciphertext{*x1, *y1, to_bytes(*c3), to_bytes(*c2)};
}

bool all_zero(byte_span data) {
  return std::all_of(data.begin(), data.end(), [](byte b) { return b == 0; });
}

// GB/T 32918.4 encryption to the public point.
sm2_ciphertext sm2_encrypt_parts(const CryptoPP::ECPPoint& q, byte_span message) {
  const auto& c = sm2();
  for (;;) {
    const Integer k = c.random_scalar();
    const auto c1 = c.times(c.g, k);
    const auto shared = c.times(q, k);
    const bytes t = sm2_kdf(sm2_shared_z(shared), message.size());
    if (all_zero(t)) continue;
    bytes c2(message.size());
    for (std::size_t i = 0; i < c2.size(); ++i) c2[i] = static_cast<byte>(message[i] ^ t[i]);
    return {c1.x, c1.y, sm2_c3(shared, message), c2};
  }
}

// GB/T 32918.4 decryption: nullopt when C1 is off the curve, t is zero or C3 does not match.
std::optional<bytes> sm2_decrypt(const Integer& d, byte_span der) {
  const auto& c = sm2();
  const auto parts = decode_sm2_ciphertext(der);
  if (!parts || parts->c3.size() != 32) return std::nullopt;
  const CryptoPP::ECPPoint c1{parts->x1, parts->y1};
  if (!c.curve.VerifyPoint(c1)) return std::nullopt;
  const auto shared = c.times(c1, d);
  if (shared.identity) return std::nullopt;
  const bytes t = sm2_kdf(sm2_shared_z(shared), parts->c2.size());
  if (all_zero(t)) return std::nullopt;
  bytes message(parts->c2.size());
  for (std::size_t i = 0; i < message.size(); ++i) {
    message[i] = static_cast<byte>(parts->c2[i] ^ t[i]);
  }
  if (sm2_c3(shared, message) != parts->c3) return std::nullopt;
  return message;
}

// ---- Wycheproof ----------------------------------------------------------------------------

nlohmann::json load_vectors(const std::string& file) {
  std::ifstream in{std::string{KMSCORE_WYCHEPROOF_DIR} + "/" + file};
  if (!in) {
    ADD_FAILURE() << "missing vector file " << file;
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(in);
}

std::string_view wycheproof_hash_name(signature_hash hash) {
  switch (hash) {
    case signature_hash::sha256:
      return "SHA-256";
    case signature_hash::sha384:
      return "SHA-384";
    case signature_hash::sha512:
      return "SHA-512";
    case signature_hash::sm3:
      break;
  }
  return "SM3";
}

std::optional<key_spec> rsa_spec_of(int bits) {
  if (bits == 2048) return key_spec::rsa_2048;
  if (bits == 3072) return key_spec::rsa_3072;
  if (bits == 4096) return key_spec::rsa_4096;
  return std::nullopt;
}
std::optional<key_spec> ec_spec_of(const std::string& curve) {
  if (curve == "secp256r1") return key_spec::ec_p256;
  if (curve == "secp384r1") return key_spec::ec_p384;
  return std::nullopt;
}

struct signature_file {
  const char* file;
  signing_algorithm algorithm;
  bool p1363;         // signatures given as r || s (converted to DER here)
  std::size_t tests;  // the file's numberOfTests: every one runs
};

struct file_counts {
  std::size_t run = 0;
  std::size_t acceptable = 0;
};

template <class Backend>
file_counts run_signature_file(Backend& backend, const signature_file& file) {
  file_counts counts;
  const auto root = load_vectors(file.file);
  if (!root.contains("testGroups")) return counts;
  const auto& algorithm = kmscore::info(file.algorithm);
  for (const auto& group : root.at("testGroups")) {
    const bool ecdsa = algorithm.scheme == signature_scheme::ecdsa;
    const auto spec = ecdsa ? ec_spec_of(group.at("publicKey").at("curve").get<std::string>())
                            : rsa_spec_of(group.at("keySize").get<int>());
    EXPECT_TRUE(spec) << file.file << ": a key size or curve no spec has";
    if (!spec) continue;
    EXPECT_TRUE(kmscore::signing_allowed(*spec, file.algorithm));
    EXPECT_EQ(group.at("sha").get<std::string>(), wycheproof_hash_name(algorithm.hash));
    if (algorithm.scheme == signature_scheme::rsa_pss) {
      // The backend's PSS: MGF1 with the message hash, salt of the hash's length.
      EXPECT_EQ(group.at("mgf").get<std::string>(), "MGF1");
      EXPECT_EQ(group.at("mgfSha").get<std::string>(), wycheproof_hash_name(algorithm.hash));
      EXPECT_EQ(group.at("sLen").get<std::size_t>(), kmscore::signature_hash_size(algorithm.hash));
    }
    const bytes public_key = unhex(group.at("publicKeyDer").get<std::string>());
    for (const auto& test : group.at("tests")) {
      const int id = test.at("tcId").get<int>();
      SCOPED_TRACE(std::string{file.file} + " tcId " + std::to_string(id));
      const bytes message = unhex(test.at("msg").get<std::string>());
      bytes signature = unhex(test.at("sig").get<std::string>());
      std::string expected = test.at("result").get<std::string>();
      if (file.p1363) {
        if (signature.size() == 2 * field_bytes(*spec)) {
          signature = p1363_to_der(signature);
        } else {
          expected = "invalid";  // not r || s: as DER it must not verify either
        }
      }
      const bytes digest = backend_hash(backend, algorithm.hash, message);
      const auto verdict = backend.verify(*spec, public_key, file.algorithm, digest, signature);
      ++counts.run;
      if (!verdict) {
        ADD_FAILURE() << "verify answered an error: " << code_of(verdict.error());
        continue;
      }
      if (expected == "valid") {
        EXPECT_TRUE(*verdict);
      } else if (expected == "invalid") {
        EXPECT_FALSE(*verdict);
      } else {
        EXPECT_EQ(expected, "acceptable");
        ++counts.acceptable;
      }
    }
  }
  EXPECT_EQ(counts.run, root.at("numberOfTests").get<std::size_t>()) << file.file;
  EXPECT_GE(counts.run, file.tests) << file.file;
  return counts;
}

template <class Backend>
void run_signature_files(Backend& backend, std::initializer_list<signature_file> files) {
  for (const auto& file : files) {
    const auto counts = run_signature_file(backend, file);
    std::cout << "[ vectors  ] " << file.file << ": " << counts.run << " run, " << counts.acceptable
              << " acceptable (either answer)\n";
  }
}

// ---- the tests -----------------------------------------------------------------------------

template <class Backend>
class AsymmetricBackendTest : public testing::Test {
 protected:
  Backend backend;
};
TYPED_TEST_SUITE(AsymmetricBackendTest, kmscore_test::asymmetric_backends);

static_assert(kmscore::asymmetric_backend<kmscore_test::openssl>);
static_assert(kmscore::key_pair_backend<kmscore_test::openssl>);

TYPED_TEST(AsymmetricBackendTest, ServesTheAsymmetricSpecs) {
  for (const auto spec : {key_spec::rsa_2048, key_spec::rsa_3072, key_spec::rsa_4096,
                          key_spec::ec_p256, key_spec::ec_p384, key_spec::sm2}) {
    EXPECT_TRUE(this->backend.serves(spec)) << kmscore::to_string(spec);
  }
}

// Keys of either maker are read by Crypto++ and pass its checks: RSA with e = 65537 and the
// spec's modulus size, EC points on the named curve.
TYPED_TEST(AsymmetricBackendTest, GeneratedKeysAreWellFormed) {
  for (const auto spec : cross_specs) {
    for (const auto maker : makers) {
      SCOPED_TRACE(std::string{kmscore::to_string(spec)} + ", " + std::string{to_string(maker)});
      const auto& keys = key_for<TypeParam>(spec, maker);
      ASSERT_FALSE(keys.private_key.empty());
      try {
        if (kmscore::spec_policy(spec).family == kmscore::key_family::rsa) {
          CryptoPP::RSA::PublicKey public_key;
          load_key(public_key, keys.public_key);
          CryptoPP::RSA::PrivateKey private_key;
          load_key(private_key, keys.private_key.expose());
          EXPECT_EQ(public_key.GetModulus().BitCount(), kmscore::spec_policy(spec).strength_bits);
          EXPECT_EQ(public_key.GetPublicExponent(), Integer{65537});
          EXPECT_EQ(private_key.GetModulus(), public_key.GetModulus());
          EXPECT_TRUE(private_key.Validate(rng(), 2));
        } else {
          CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PublicKey public_key;
          load_key(public_key, keys.public_key);
          CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PrivateKey private_key;
          load_key(private_key, keys.private_key.expose());
          const auto oid =
              spec == key_spec::ec_p256 ? CryptoPP::ASN1::secp256r1() : CryptoPP::ASN1::secp384r1();
          EXPECT_TRUE(public_key.GetGroupParameters() ==
                      CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP>{oid})
              << "not the spec's curve";
          EXPECT_TRUE(public_key.Validate(rng(), 3));
          EXPECT_TRUE(private_key.Validate(rng(), 3));
          CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PublicKey derived;
          private_key.MakePublicKey(derived);
          EXPECT_TRUE(derived.GetPublicElement() == public_key.GetPublicElement())
              << "the public key is not the private key's";
        }
      } catch (const CryptoPP::Exception& e) {
        ADD_FAILURE() << "Crypto++ cannot read the key pair: " << e.what();
      }
    }
  }
}

TYPED_TEST(AsymmetricBackendTest, CryptoppVerifiesTheBackendsSignatures) {
  std::size_t checked = 0;
  for (const auto spec : cross_specs) {
    for (const auto maker : makers) {
      const auto& keys = key_for<TypeParam>(spec, maker);
      const auto& other_keys = key_for<TypeParam>(spec, other(maker));
      for (const auto& row : kmscore::signing_algorithms) {
        if (!kmscore::signing_allowed(spec, row.id)) continue;
        SCOPED_TRACE(describe(spec, maker, row.id));
        check_backend_signature(this->backend, spec, keys, row.id, &other_keys);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2U * (6 + 6 + 1 + 1));
}

TYPED_TEST(AsymmetricBackendTest, VerifiesCryptoppSignatures) {
  std::size_t checked = 0;
  for (const auto spec : cross_specs) {
    for (const auto maker : makers) {
      const auto& keys = key_for<TypeParam>(spec, maker);
      for (const auto& row : kmscore::signing_algorithms) {
        if (!kmscore::signing_allowed(spec, row.id)) continue;
        SCOPED_TRACE(describe(spec, maker, row.id));
        check_cryptopp_signature(this->backend, spec, keys, row.id);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 2U * (6 + 6 + 1 + 1));
}

// A digest must be exactly the hash's size: sign refuses other sizes, verify never says true.
TYPED_TEST(AsymmetricBackendTest, DigestsOfTheWrongSizeAreRefused) {
  for (const auto& [spec, algorithm] :
       {std::pair{key_spec::rsa_2048, signing_algorithm::rsassa_pss_sha256},
        std::pair{key_spec::rsa_2048, signing_algorithm::rsassa_pkcs1_v1_5_sha384},
        std::pair{key_spec::ec_p256, signing_algorithm::ecdsa_sha256},
        std::pair{key_spec::ec_p384, signing_algorithm::ecdsa_sha384},
        std::pair{key_spec::sm2, signing_algorithm::sm2dsa_sm3}}) {
    SCOPED_TRACE(describe(spec, key_maker::backend, algorithm));
    const auto& keys = key_for<TypeParam>(spec, key_maker::backend);
    const std::size_t size = kmscore::signature_hash_size(kmscore::info(algorithm).hash);
    const bytes digest = random_bytes(size);
    const auto good = this->backend.sign(spec, keys.private_key.expose(), algorithm, digest);
    ASSERT_TRUE(good);
    expect_verdict(this->backend, spec, keys.public_key, algorithm, digest, *good, true);
    for (const std::size_t wrong : {size - 1, size + 1, std::size_t{0}}) {
      const bytes bad = random_bytes(wrong);
      EXPECT_FALSE(this->backend.sign(spec, keys.private_key.expose(), algorithm, bad))
          << "signed a digest of " << wrong << " bytes";
      bytes resized = digest;  // cut short, or with a zero byte appended
      resized.resize(wrong);
      const auto verdict = this->backend.verify(spec, keys.public_key, algorithm, resized, *good);
      EXPECT_FALSE(verdict && *verdict) << "accepted a digest of " << wrong << " bytes";
    }
  }
}

// ---- SM2 ----

TEST(Sm2TestSideTest, CurveIsRight) {
  const auto& c = sm2();
  EXPECT_EQ(c.a, Integer{"0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"});
  EXPECT_TRUE(c.curve.VerifyPoint(c.g));
  EXPECT_TRUE(c.times(c.g, c.n).identity);
  EXPECT_FALSE(c.times(c.g, c.n - 1).identity);
  EXPECT_FALSE(c.curve.VerifyPoint(CryptoPP::ECPPoint{c.g.x, c.g.y + 1}));
}

// The SM2 keys: id-ecPublicKey with the sm2p256v1 OID, Q = dG on the curve.
TYPED_TEST(AsymmetricBackendTest, Sm2KeysAreOnTheCurve) {
  const auto& c = sm2();
  for (const auto maker : makers) {
    SCOPED_TRACE(std::string{to_string(maker)});
    const auto key = sm2_key_of(key_for<TypeParam>(key_spec::sm2, maker));
    ASSERT_TRUE(key) << "not PKCS#8 / SPKI of an sm2p256v1 key";
    EXPECT_TRUE(key->d >= Integer::One() && key->d < c.n - 1);
    EXPECT_TRUE(c.curve.VerifyPoint(key->q));
    EXPECT_TRUE(c.times(c.g, key->d) == key->q) << "the public point is not d·G";
  }
}

TYPED_TEST(AsymmetricBackendTest, Sm2SignaturesVerifyUnderGbT32918) {
  constexpr auto sm2dsa = signing_algorithm::sm2dsa_sm3;
  for (const auto maker : makers) {
    SCOPED_TRACE(std::string{to_string(maker)});
    const auto& keys = key_for<TypeParam>(key_spec::sm2, maker);
    const auto key = sm2_key_of(keys);
    ASSERT_TRUE(key);
    const auto other_key = sm2_key_of(key_for<TypeParam>(key_spec::sm2, other(maker)));
    ASSERT_TRUE(other_key);
    for (int round = 0; round < 4; ++round) {
      const bytes e = random_bytes(32);
      const auto made = this->backend.sign(key_spec::sm2, keys.private_key.expose(), sm2dsa, e);
      ASSERT_TRUE(made) << "sign: " << code_of(made.error());
      const bytes& signature = *made;
      const auto rs = parse_der_signature(signature);
      ASSERT_TRUE(rs) << "not a DER SEQUENCE { INTEGER r, INTEGER s }";
      EXPECT_EQ(signature, der_sequence({der_integer(rs->first), der_integer(rs->second)}));
      EXPECT_TRUE(sm2_verifies(key->q, e, signature));
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, e, signature, true);

      const bytes other_e = flipped(e, 31);
      EXPECT_FALSE(sm2_verifies(key->q, other_e, signature));
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, other_e, signature,
                     false);
      const bytes bad = flip_last(signature);
      EXPECT_FALSE(sm2_verifies(key->q, e, bad));
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, e, bad, false);
      const bytes swapped = der_sequence({der_integer(rs->second), der_integer(rs->first)});
      EXPECT_FALSE(sm2_verifies(key->q, e, swapped));
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, e, swapped, false);
      EXPECT_FALSE(sm2_verifies(other_key->q, e, signature));
      expect_verdict(this->backend, key_spec::sm2,
                     key_for<TypeParam>(key_spec::sm2, other(maker)).public_key, sm2dsa, e,
                     signature, false);
    }
  }
}

TYPED_TEST(AsymmetricBackendTest, VerifiesGbT32918Sm2Signatures) {
  constexpr auto sm2dsa = signing_algorithm::sm2dsa_sm3;
  const auto& c = sm2();
  for (const auto maker : makers) {
    SCOPED_TRACE(std::string{to_string(maker)});
    const auto& keys = key_for<TypeParam>(key_spec::sm2, maker);
    const auto key = sm2_key_of(keys);
    ASSERT_TRUE(key);
    for (int round = 0; round < 4; ++round) {
      const bytes e = random_bytes(32);
      const bytes signature = sm2_sign(key->d, e);
      ASSERT_TRUE(sm2_verifies(key->q, e, signature)) << "the test-side signer is wrong";
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, e, signature, true);
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, flipped(e, 0),
                     signature, false);
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, e, flip_last(signature),
                     false);
      const auto rs = parse_der_signature(signature);
      ASSERT_TRUE(rs);
      // r + n, s + n: the same residues, out of range.
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, e,
                     der_sequence({der_integer(rs->first + c.n), der_integer(rs->second)}), false);
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, e,
                     der_sequence({der_integer(rs->first), der_integer(rs->second + c.n)}), false);
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, e,
                     der_sequence({der_integer(Integer::Zero()), der_integer(rs->second)}), false);
      expect_verdict(this->backend, key_spec::sm2, keys.public_key, sm2dsa, e, bytes{}, false);
    }
  }
}

TYPED_TEST(AsymmetricBackendTest, Sm2CiphertextsDecryptUnderGbT32918) {
  constexpr auto sm2_encrypt = data_encryption_algorithm::sm2_encrypt;
  for (const auto maker : makers) {
    SCOPED_TRACE(std::string{to_string(maker)});
    const auto& keys = key_for<TypeParam>(key_spec::sm2, maker);
    const auto key = sm2_key_of(keys);
    ASSERT_TRUE(key);
    const auto other_key = sm2_key_of(key_for<TypeParam>(key_spec::sm2, other(maker)));
    ASSERT_TRUE(other_key);
    for (const std::size_t size : {std::size_t{1}, std::size_t{31}, std::size_t{32},
                                   std::size_t{33}, std::size_t{100}, std::size_t{4096}}) {
      SCOPED_TRACE("plaintext of " + std::to_string(size) + " bytes");
      const bytes plaintext = random_bytes(size);
      const auto sealed =
          this->backend.encrypt(key_spec::sm2, keys.public_key, sm2_encrypt, plaintext);
      ASSERT_TRUE(sealed) << "encrypt: " << code_of(sealed.error());
      const auto parts = decode_sm2_ciphertext(*sealed);
      ASSERT_TRUE(parts) << "not GM/T 0009 DER (C1 x, y, C3, C2)";
      EXPECT_EQ(encode(*parts), *sealed) << "not minimal DER";
      EXPECT_EQ(parts->c3.size(), 32U);
      EXPECT_EQ(parts->c2.size(), size);
      EXPECT_TRUE(sm2().curve.VerifyPoint(CryptoPP::ECPPoint{parts->x1, parts->y1}));
      EXPECT_EQ(sm2_decrypt(key->d, *sealed), plaintext);
      EXPECT_FALSE(sm2_decrypt(other_key->d, *sealed).has_value()) << "opened under another key";
      auto bad_c3 = *parts;
      bad_c3.c3[0] ^= 0x01U;
      EXPECT_FALSE(sm2_decrypt(key->d, encode(bad_c3)).has_value());
      auto bad_c2 = *parts;
      bad_c2.c2.back() ^= 0x01U;
      EXPECT_FALSE(sm2_decrypt(key->d, encode(bad_c2)).has_value());
      const auto again =
          this->backend.encrypt(key_spec::sm2, keys.public_key, sm2_encrypt, plaintext);
      ASSERT_TRUE(again);
      EXPECT_NE(*again, *sealed) << "SM2 encryption is randomised";
    }
  }
}

TYPED_TEST(AsymmetricBackendTest, DecryptsGbT32918Sm2Ciphertexts) {
  constexpr auto sm2_encrypt = data_encryption_algorithm::sm2_encrypt;
  const auto& c = sm2();
  for (const auto maker : makers) {
    SCOPED_TRACE(std::string{to_string(maker)});
    const auto& keys = key_for<TypeParam>(key_spec::sm2, maker);
    const auto key = sm2_key_of(keys);
    ASSERT_TRUE(key);
    const auto& private_key = keys.private_key.expose();
    for (const std::size_t size :
         {std::size_t{1}, std::size_t{32}, std::size_t{65}, std::size_t{1000}}) {
      SCOPED_TRACE("plaintext of " + std::to_string(size) + " bytes");
      const bytes plaintext = random_bytes(size);
      const auto parts = sm2_encrypt_parts(key->q, plaintext);
      const bytes ciphertext = encode(parts);
      ASSERT_EQ(sm2_decrypt(key->d, ciphertext), plaintext) << "the test-side encryption is wrong";
      const auto opened =
          this->backend.decrypt(key_spec::sm2, private_key, sm2_encrypt, ciphertext);
      ASSERT_TRUE(opened) << "decrypt: " << code_of(opened.error());
      EXPECT_EQ(to_bytes(opened->expose()), plaintext);

      auto bad_c3 = parts;
      bad_c3.c3[7] ^= 0x01U;
      expect_decrypt_failed(this->backend, key_spec::sm2, private_key, sm2_encrypt, encode(bad_c3),
                            "C3 tampered");
      auto bad_c2 = parts;
      bad_c2.c2[0] ^= 0x01U;
      expect_decrypt_failed(this->backend, key_spec::sm2, private_key, sm2_encrypt, encode(bad_c2),
                            "C2 tampered");
      auto short_c2 = parts;
      short_c2.c2.pop_back();
      expect_decrypt_failed(this->backend, key_spec::sm2, private_key, sm2_encrypt,
                            encode(short_c2), "C2 truncated");
      auto off_curve = parts;
      off_curve.y1 = (off_curve.y1 + 1) % c.p;
      expect_decrypt_failed(this->backend, key_spec::sm2, private_key, sm2_encrypt,
                            encode(off_curve), "C1 off the curve");
      auto other_point = parts;
      const auto moved = c.plus(CryptoPP::ECPPoint{parts.x1, parts.y1}, c.g);
      other_point.x1 = moved.x;
      other_point.y1 = moved.y;
      expect_decrypt_failed(this->backend, key_spec::sm2, private_key, sm2_encrypt,
                            encode(other_point), "C1 another point");
      const bytes truncated{ciphertext.begin(), ciphertext.end() - 1};
      expect_decrypt_failed(this->backend, key_spec::sm2, private_key, sm2_encrypt, truncated,
                            "DER truncated");
      expect_decrypt_failed(this->backend, key_spec::sm2, private_key, sm2_encrypt, bytes{},
                            "empty");
    }
  }
}

// ---- RSA-OAEP ----

TYPED_TEST(AsymmetricBackendTest, RsaOaepInteroperatesWithCryptopp) {
  for (const auto spec : {key_spec::rsa_2048, key_spec::rsa_3072}) {
    for (const auto maker : makers) {
      SCOPED_TRACE(std::string{kmscore::to_string(spec)} + ", " + std::string{to_string(maker)});
      check_oaep(this->backend, spec, key_for<TypeParam>(spec, maker),
                 &key_for<TypeParam>(spec, other(maker)));
    }
  }
}

// The one 4096-bit key of the run, made by the backend: PSS, PKCS#1 v1.5 and OAEP with Crypto++.
TYPED_TEST(AsymmetricBackendTest, Rsa4096WithCryptopp) {
  constexpr auto spec = key_spec::rsa_4096;
  const auto& keys = key_for<TypeParam>(spec, key_maker::backend);
  ASSERT_FALSE(keys.private_key.empty());
  {
    CryptoPP::RSA::PublicKey public_key;
    load_key(public_key, keys.public_key);
    EXPECT_EQ(public_key.GetModulus().BitCount(), 4096U);
    EXPECT_EQ(public_key.GetPublicExponent(), Integer{65537});
  }
  const auto& other_keys = key_for<TypeParam>(key_spec::rsa_2048, key_maker::backend);
  for (const auto algorithm :
       {signing_algorithm::rsassa_pss_sha512, signing_algorithm::rsassa_pkcs1_v1_5_sha256}) {
    SCOPED_TRACE(describe(spec, key_maker::backend, algorithm));
    check_backend_signature(this->backend, spec, keys, algorithm, nullptr);
    // A 2048-bit key's SPKI under the 4096 spec: whatever the answer, never true.
    const bytes digest = random_bytes(kmscore::signature_hash_size(kmscore::info(algorithm).hash));
    const auto signed_4096 = this->backend.sign(spec, keys.private_key.expose(), algorithm, digest);
    ASSERT_TRUE(signed_4096);
    const auto verdict =
        this->backend.verify(spec, other_keys.public_key, algorithm, digest, *signed_4096);
    EXPECT_FALSE(verdict && *verdict);
  }
  for (const auto algorithm :
       {signing_algorithm::rsassa_pss_sha384, signing_algorithm::rsassa_pkcs1_v1_5_sha512}) {
    SCOPED_TRACE(describe(spec, key_maker::backend, algorithm));
    check_cryptopp_signature(this->backend, spec, keys, algorithm);
  }
  check_oaep(this->backend, spec, keys, nullptr);
}

// ---- Wycheproof ----

TYPED_TEST(AsymmetricBackendTest, WycheproofRsaPss) {
  run_signature_files(
      this->backend,
      {{"rsa_pss_2048_sha256_mgf1_32_test.json", signing_algorithm::rsassa_pss_sha256, false, 108},
       {"rsa_pss_2048_sha384_mgf1_48_test.json", signing_algorithm::rsassa_pss_sha384, false, 141},
       {"rsa_pss_3072_sha256_mgf1_32_test.json", signing_algorithm::rsassa_pss_sha256, false, 108},
       {"rsa_pss_4096_sha256_mgf1_32_test.json", signing_algorithm::rsassa_pss_sha256, false, 108},
       {"rsa_pss_4096_sha384_mgf1_48_test.json", signing_algorithm::rsassa_pss_sha384, false, 141},
       {"rsa_pss_4096_sha512_mgf1_64_test.json", signing_algorithm::rsassa_pss_sha512, false,
        179}});
}

TYPED_TEST(AsymmetricBackendTest, WycheproofRsaPkcs1) {
  constexpr auto sha256 = signing_algorithm::rsassa_pkcs1_v1_5_sha256;
  constexpr auto sha384 = signing_algorithm::rsassa_pkcs1_v1_5_sha384;
  constexpr auto sha512 = signing_algorithm::rsassa_pkcs1_v1_5_sha512;
  run_signature_files(this->backend, {{"rsa_signature_2048_sha256_test.json", sha256, false, 259},
                                      {"rsa_signature_2048_sha384_test.json", sha384, false, 258},
                                      {"rsa_signature_2048_sha512_test.json", sha512, false, 259},
                                      {"rsa_signature_3072_sha256_test.json", sha256, false, 259},
                                      {"rsa_signature_3072_sha384_test.json", sha384, false, 259},
                                      {"rsa_signature_3072_sha512_test.json", sha512, false, 260},
                                      {"rsa_signature_4096_sha256_test.json", sha256, false, 258},
                                      {"rsa_signature_4096_sha384_test.json", sha384, false, 259},
                                      {"rsa_signature_4096_sha512_test.json", sha512, false, 259}});
}

TYPED_TEST(AsymmetricBackendTest, WycheproofEcdsa) {
  constexpr auto sha256 = signing_algorithm::ecdsa_sha256;
  constexpr auto sha384 = signing_algorithm::ecdsa_sha384;
  run_signature_files(this->backend,
                      {{"ecdsa_secp256r1_sha256_test.json", sha256, false, 484},
                       {"ecdsa_secp384r1_sha384_test.json", sha384, false, 504},
                       {"ecdsa_secp256r1_sha256_p1363_test.json", sha256, true, 262},
                       {"ecdsa_secp384r1_sha384_p1363_test.json", sha384, true, 280}});
}

struct oaep_file {
  const char* file;
  key_spec spec;
  std::size_t run;      // vectors with an empty label
  std::size_t skipped;  // vectors with a label (the API's OAEP has none)
};

TYPED_TEST(AsymmetricBackendTest, WycheproofRsaOaep) {
  constexpr auto oaep = data_encryption_algorithm::rsaes_oaep_sha256;
  for (const auto& file :
       {oaep_file{"rsa_oaep_2048_sha256_mgf1sha256_test.json", key_spec::rsa_2048, 29, 8},
        oaep_file{"rsa_oaep_3072_sha256_mgf1sha256_test.json", key_spec::rsa_3072, 29, 8},
        oaep_file{"rsa_oaep_4096_sha256_mgf1sha256_test.json", key_spec::rsa_4096, 29, 8}}) {
    const nlohmann::json root = load_vectors(file.file);
    if (!root.contains("testGroups")) continue;
    std::size_t run = 0;
    std::size_t skipped = 0;
    for (const nlohmann::json& group : root.at("testGroups")) {
      EXPECT_EQ(rsa_spec_of(group.at("keySize").get<int>()), file.spec);
      EXPECT_EQ(group.at("sha").get<std::string>(), "SHA-256");
      EXPECT_EQ(group.at("mgf").get<std::string>(), "MGF1");
      EXPECT_EQ(group.at("mgfSha").get<std::string>(), "SHA-256");
      const bytes private_key = unhex(group.at("privateKeyPkcs8").get<std::string>());
      for (const nlohmann::json& test : group.at("tests")) {
        SCOPED_TRACE(std::string{file.file} + " tcId " +
                     std::to_string(test.at("tcId").get<int>()));
        if (!test.at("label").get<std::string>().empty()) {
          ++skipped;
          continue;
        }
        ++run;
        const bytes ciphertext = unhex(test.at("ct").get<std::string>());
        const auto opened = this->backend.decrypt(file.spec, private_key, oaep, ciphertext);
        if (test.at("result") == "valid") {
          ASSERT_TRUE(opened) << "decrypt: " << code_of(opened.error());
          EXPECT_EQ(to_bytes(opened->expose()), unhex(test.at("msg").get<std::string>()));
        } else {
          EXPECT_EQ(test.at("result"), "invalid");
          ASSERT_FALSE(opened) << "an invalid ciphertext decrypted";
          EXPECT_EQ(opened.error().code(), errc::decrypt_failed) << code_of(opened.error());
        }
      }
    }
    EXPECT_GT(run, 0U);
    EXPECT_EQ(run, file.run) << file.file;
    EXPECT_EQ(skipped, file.skipped) << file.file;
    EXPECT_EQ(run + skipped, root.at("numberOfTests").get<std::size_t>()) << file.file;
    std::cout << "[ vectors  ] " << file.file << ": " << run << " run, " << skipped
              << " skipped (non-empty label)\n";
  }
}

// ---- RAW hashing ----

// FIPS 180-2 appendices (SHA-256 B.1/B.2, SHA-384 D.1/D.2, SHA-512 C.1/C.2) and
// GB/T 32905-2016 appendix A (SM3 examples 1 and 2).
TYPED_TEST(AsymmetricBackendTest, HashesAsPublished) {
  struct known_answer {
    signature_hash hash;
    std::string_view message;
    std::string_view digest;
  };
  constexpr std::string_view two_blocks_256 =
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  constexpr std::string_view two_blocks_512 =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmn"
      "opqrsmnopqrstnopqrstu";
  constexpr std::string_view sm3_example_2 =
      "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd";
  const std::array<known_answer, 8> answers{{
      {signature_hash::sha256, "abc",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {signature_hash::sha256, two_blocks_256,
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {signature_hash::sha384, "abc",
       "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca1"
       "34c825a7"},
      {signature_hash::sha384, two_blocks_512,
       "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa"
       "91746039"},
      {signature_hash::sha512, "abc",
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23"
       "a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
      {signature_hash::sha512, two_blocks_512,
       "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99de"
       "c4b5433ac7d329eeb6dd26545e96e55b874be909"},
      {signature_hash::sm3, "abc",
       "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
      {signature_hash::sm3, sm3_example_2,
       "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
  }};
  for (const auto& answer : answers) {
    SCOPED_TRACE(std::string{answer.message} + " / " +
                 std::string{wycheproof_hash_name(answer.hash)});
    const bytes expected = unhex(answer.digest);
    ASSERT_EQ(expected.size(), kmscore::signature_hash_size(answer.hash));
    EXPECT_EQ(backend_hash(this->backend, answer.hash, kmscore::as_bytes(answer.message)),
              expected);
    // Reject twin: one character changed, another digest.
    std::string changed{answer.message};
    changed.back() = static_cast<char>(changed.back() ^ 1);
    EXPECT_NE(backend_hash(this->backend, answer.hash, kmscore::as_bytes(changed)), expected);
  }
}

// The backend's own digest (crypto_backend: SHA-256 for HMAC and HKDF, SM3), over pieces: the
// same published answers, one piece at a time.
TYPED_TEST(AsymmetricBackendTest, DigestsOverPiecesAsPublished) {
  const std::array<byte_span, 2> abc{kmscore::as_bytes(std::string_view{"a"}),
                                     kmscore::as_bytes(std::string_view{"bc"})};
  for (const auto& [hash, expected] :
       {std::pair{
            kmscore::hash_id::sha256,
            std::string_view{"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}},
        std::pair{kmscore::hash_id::sm3,
                  std::string_view{
                      "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"}}}) {
    ASSERT_TRUE(this->backend.supports(hash));
    std::array<byte, 32> out{};
    ASSERT_TRUE(this->backend.digest(hash, abc, out));
    EXPECT_EQ(bytes(out.begin(), out.end()), unhex(expected));
    const std::array<byte_span, 1> other{kmscore::as_bytes(std::string_view{"abd"})};
    ASSERT_TRUE(this->backend.digest(hash, other, out));
    EXPECT_NE(bytes(out.begin(), out.end()), unhex(expected));
  }
}

// Keys that cannot be read, keys of another spec, and calls outside a spec's algorithms are
// refused (KMS.0101: a correct caller never makes them); ciphertexts of the wrong shape do not
// decrypt.
TYPED_TEST(AsymmetricBackendTest, UnreadableKeysAndMisfitCallsAreRefused) {
  auto& subject = this->backend;
  EXPECT_FALSE(subject.serves(key_spec::aes_256));
  EXPECT_FALSE(subject.generate_key_pair(key_spec::aes_256));
  const bytes garbage = random_bytes(120);
  const bytes digest = random_bytes(32);
  const auto expect_kms_error = [](const auto& made) {
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code(), errc::kms_error);
  };
  constexpr auto ecdsa = signing_algorithm::ecdsa_sha256;
  constexpr auto oaep = data_encryption_algorithm::rsaes_oaep_sha256;
  expect_kms_error(subject.sign(key_spec::ec_p256, garbage, ecdsa, digest));
  expect_kms_error(subject.verify(key_spec::ec_p256, garbage, ecdsa, digest, garbage));
  expect_kms_error(subject.encrypt(key_spec::rsa_2048, garbage, oaep, digest));
  expect_kms_error(subject.decrypt(key_spec::rsa_2048, garbage, oaep, garbage));
  // A P-384 key passed as P-256, an RSA-2048 key passed as RSA-3072: not the spec's key.
  const auto& p384 = key_for<TypeParam>(key_spec::ec_p384, key_maker::backend);
  expect_kms_error(subject.sign(key_spec::ec_p256, p384.private_key.expose(), ecdsa, digest));
  expect_kms_error(subject.verify(key_spec::ec_p256, p384.public_key, ecdsa, digest, garbage));
  const auto& rsa = key_for<TypeParam>(key_spec::rsa_2048, key_maker::backend);
  expect_kms_error(subject.encrypt(key_spec::rsa_3072, rsa.public_key, oaep, digest));
  expect_kms_error(subject.decrypt(key_spec::rsa_3072, rsa.private_key.expose(), oaep, garbage));
  // Algorithms of another spec or usage; an empty or too long OAEP plaintext.
  expect_kms_error(subject.sign(key_spec::rsa_2048, rsa.private_key.expose(), ecdsa, digest));
  expect_kms_error(subject.encrypt(key_spec::rsa_2048, rsa.public_key,
                                   data_encryption_algorithm::sm2_encrypt, digest));
  expect_kms_error(subject.encrypt(key_spec::ec_p384, p384.public_key, oaep, digest));
  expect_kms_error(subject.encrypt(key_spec::rsa_2048, rsa.public_key, oaep, byte_span{}));
  const std::size_t most = kmscore::rsa_oaep_sha256_max_plaintext(key_spec::rsa_2048);
  EXPECT_TRUE(subject.encrypt(key_spec::rsa_2048, rsa.public_key, oaep, random_bytes(most)));
  expect_kms_error(
      subject.encrypt(key_spec::rsa_2048, rsa.public_key, oaep, random_bytes(most + 1)));
  // An RSA ciphertext one byte short of the modulus does not decrypt.
  const auto sealed = subject.encrypt(key_spec::rsa_2048, rsa.public_key, oaep, digest);
  ASSERT_TRUE(sealed);
  const byte_span short_ciphertext = byte_span{*sealed}.first(sealed->size() - 1);
  const auto opened =
      subject.decrypt(key_spec::rsa_2048, rsa.private_key.expose(), oaep, short_ciphertext);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), errc::decrypt_failed);
  const auto whole = subject.decrypt(key_spec::rsa_2048, rsa.private_key.expose(), oaep, *sealed);
  ASSERT_TRUE(whole);
  EXPECT_EQ(bytes(whole->expose().begin(), whole->expose().end()), digest);
}

}  // namespace
