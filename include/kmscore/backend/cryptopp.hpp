// kmscore/backend/cryptopp.hpp: the Crypto++ backend (Crypto++ 8.7).
//
//   kmscore::backend::cryptopp cryptopp;
//   auto made = kmscore::create_datakey(cryptopp, sm4_cmk, params);   // SM4 end to end
//
// Serves both suites: AES-256-GCM and SM4-GCM (GCM<SM4>), SHA-256 and SM3, HMAC over both,
// the raw AES-256 and SM4 block ciphers (for the CMAC-derived suites 18 and 19), and
// randomness from a fork-safe per-thread buffer (random_buffer.hpp: ChaCha20 keystream under
// a seed from the OS, both by Crypto++). Every Crypto++ exception is caught at this boundary
// and becomes KMS.0101; none escapes. Link with Crypto++ (pkg-config libcrypto++; CMake
// target kmscore::cryptopp). Thread safety: the RNG is per thread; nothing else is shared.
#pragma once

#include <cryptopp/aes.h>
#include <cryptopp/chacha.h>
#include <cryptopp/cpu.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/ecp.h>
#include <cryptopp/gcm.h>
#include <cryptopp/hmac.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/queue.h>
#include <cryptopp/rsa.h>
#include <cryptopp/sha.h>
#include <cryptopp/sm3.h>
#include <cryptopp/sm4.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <typeinfo>
#include <variant>

#include "../crypto.hpp"
#include "../detail/der.hpp"
#include "../detail/wipe.hpp"
#include "random_buffer.hpp"

namespace kmscore::backend {

class cryptopp {
 public:
  static constexpr std::string_view name = "cryptopp";

  [[nodiscard]] bool supports(envelope_suite suite) const noexcept {
    return suite != envelope_suite::none;
  }
  [[nodiscard]] bool supports(hash_id /*hash*/) const noexcept { return true; }

  [[nodiscard]] result<void> random_bytes(mutable_byte_span out) noexcept {
    return detail::fork_safe_random<random_source>::fill(out);
  }

  // Key pairs for RSA_* (e = 65537, set explicitly: Crypto++ defaults to 17), EC_P256,
  // EC_P384 and SM2 (curve sm2p256v1, encoded with its OID 1.2.156.10197.1.301).
  [[nodiscard]] result<key_pair> generate_key_pair(key_spec spec) noexcept {
    key_pair made;
    const auto& policy = spec_policy(spec);
    auto generated = guarded([&] {
      if (policy.family == key_family::rsa) {
        make_rsa(static_cast<unsigned>(policy.strength_bits), made);
      } else if (policy.family == key_family::ec || policy.family == key_family::sm2) {
        make_ec(spec, made);
      }
    });
    if (!generated) return generated.error();
    if (made.private_key.empty()) return errc::kms_error;  // a spec of random material
    return made;
  }

  [[nodiscard]] result<void> digest(hash_id hash, byte_pieces pieces, digest_out out) noexcept {
    return guarded([&] {
      if (hash == hash_id::sha256) {
        // The raw chaining value, as HMAC-SHA-256 below: no hash object per message.
        std::array<CryptoPP::word32, 8> state{};
        CryptoPP::SHA256::InitState(state.data());
        sha256_finish(state, 0, pieces, out);
        detail::secure_wipe(state.data(), sizeof state);
      } else {
        hash_pieces<CryptoPP::SM3>(pieces, out);
      }
    });
  }

  // A keyed HMAC: the hash states after absorbing the key's inner and outer pads, so each
  // message costs only its own blocks (Crypto++'s HMAC<> re-hashes the pads every time).
  // Crypto++ keeps hash states in SecBlocks, which wipe themselves.
  class hmac_key {  // NOLINT(bugprone-exception-escape): fixed-size Crypto++ states
    template <class Hash>
    struct pads {  // NOLINT(bugprone-exception-escape): copying them allocates nothing
      Hash inner;
      Hash outer;
    };
    // SHA-256, the hot path: the raw chaining values, run through SHA256::Transform (SHA
    // extensions where the CPU has them) without copying Crypto++ hash objects per message.
    struct sha256_pads {
      sha256_pads() noexcept : inner{}, outer{} {}
      sha256_pads(const sha256_pads&) = default;
      sha256_pads& operator=(const sha256_pads&) = default;
      ~sha256_pads() {
        detail::secure_wipe(inner.data(), sizeof inner);
        detail::secure_wipe(outer.data(), sizeof outer);
      }
      alignas(16) std::array<CryptoPP::word32, 8> inner;
      alignas(16) std::array<CryptoPP::word32, 8> outer;
    };
    std::variant<sha256_pads, pads<CryptoPP::SM3>> states_;
    friend class cryptopp;
  };

  [[nodiscard]] result<hmac_key> hmac_init(hash_id hash, byte_span key) noexcept {
    hmac_key keyed;
    auto made = guarded([&] {
      if (hash == hash_id::sha256) {
        keyed.states_ = absorb_sha256_pads(key);
      } else {
        keyed.states_ = absorb_pads<CryptoPP::SM3>(key);
      }
    });
    if (!made) return made.error();
    return keyed;
  }

  [[nodiscard]] result<void> hmac_keyed(const hmac_key& key, byte_pieces pieces,
                                        digest_out out) noexcept {
    return guarded(
        [&] { std::visit([&](const auto& pads) { finish_mac(pads, pieces, out); }, key.states_); });
  }

  // ---- mac_backend: HMAC keys' MACs, all four algorithms (HMAC<> wipes its own key state).

  [[nodiscard]] bool serves(mac_algorithm algorithm) const noexcept {
    return algorithm != mac_algorithm::none;
  }

  [[nodiscard]] result<void> mac(mac_algorithm algorithm, byte_span key, byte_span message,
                                 mutable_byte_span out) noexcept {
    if (!serves(algorithm) || out.size() != info(algorithm).size) return errc::kms_error;
    return guarded([&] {
      switch (algorithm) {
        case mac_algorithm::hmac_sha_256:
          return one_mac<CryptoPP::SHA256>(key, message, out);
        case mac_algorithm::hmac_sha_384:
          return one_mac<CryptoPP::SHA384>(key, message, out);
        case mac_algorithm::hmac_sha_512:
          return one_mac<CryptoPP::SHA512>(key, message, out);
        case mac_algorithm::hmac_sm3:
          return one_mac<CryptoPP::SM3>(key, message, out);
        case mac_algorithm::none:
          break;
      }
    });
  }

  // An expanded AES-256 or SM4 key (Crypto++ keeps key schedules in SecBlocks, which wipe
  // themselves). Blocks go through AdvancedProcessBlocks: AES-NI, several blocks in flight.
  // Crypto++'s software paths write scratch space inside the cipher object, so there each call
  // works on a copy (a block_key may be shared by threads, as key_cache shares sealers).
  class block_key {
    std::unique_ptr<CryptoPP::BlockCipher> cipher_;
    bool hardware_ = false;
    friend class cryptopp;
  };

  // AES with AES-NI only: Crypto++'s SM4 key schedule indexes S-box tables with key bytes
  // whatever the CPU, and its AES without AES-NI uses T-tables.
  [[nodiscard]] bool block_constant_time(cipher_id cipher) const noexcept {
    return cipher == cipher_id::aes256_gcm && aes_in_hardware();
  }

  [[nodiscard]] result<block_key> block_init(cipher_id cipher, byte_span key) noexcept {
    if (key.size() != cipher_key_size(cipher)) return errc::kms_error;
    block_key expanded;
    auto made = guarded([&] {
      expanded.cipher_ =
          cipher == cipher_id::aes256_gcm ? keyed<CryptoPP::AES>(key) : keyed<CryptoPP::SM4>(key);
    });
    if (!made) return made.error();
    expanded.hardware_ = aes_in_hardware();  // both ciphers' AES-NI paths only read the key
    return expanded;
  }

  [[nodiscard]] result<void> encrypt_blocks(const block_key& key, byte_span in,
                                            mutable_byte_span out) noexcept {
    if (!key.cipher_ || in.size() != out.size() || in.size() % cipher_block_size != 0) {
      return errc::kms_error;
    }
    return guarded([&] {
      constexpr auto parallel = CryptoPP::BlockTransformation::BT_AllowParallel;
      if (key.hardware_) {
        key.cipher_->AdvancedProcessBlocks(in.data(), nullptr, out.data(), in.size(), parallel);
      } else {
        const std::unique_ptr<CryptoPP::Clonable> copy{key.cipher_->Clone()};
        auto* own = dynamic_cast<CryptoPP::BlockTransformation*>(copy.get());
        if (own == nullptr) throw std::bad_cast{};  // becomes KMS.0101 below
        own->AdvancedProcessBlocks(in.data(), nullptr, out.data(), in.size(), parallel);
      }
    });
  }

  [[nodiscard]] result<void> aead_seal(const aead_params& params, byte_span plaintext,
                                       mutable_byte_span ciphertext,
                                       std::span<byte, gcm_tag_size> tag) noexcept {
    if (!key_fits(params) || ciphertext.size() != plaintext.size()) return errc::kms_error;
    auto sealed = guarded([&] {
      if (params.cipher == cipher_id::aes256_gcm) {
        seal_with<CryptoPP::AES>(params, plaintext, ciphertext, tag);
      } else {
        seal_with<CryptoPP::SM4>(params, plaintext, ciphertext, tag);
      }
    });
    if (!sealed) detail::secure_wipe(ciphertext.data(), ciphertext.size());
    return sealed;
  }

  [[nodiscard]] result<void> aead_open(const aead_params& params, byte_span ciphertext,
                                       std::span<const byte, gcm_tag_size> tag,
                                       mutable_byte_span plaintext) noexcept {
    if (!key_fits(params) || ciphertext.size() != plaintext.size()) return errc::kms_error;
    bool authentic = false;
    auto opened = guarded([&] {
      authentic = params.cipher == cipher_id::aes256_gcm
                      ? open_with<CryptoPP::AES>(params, ciphertext, tag, plaintext)
                      : open_with<CryptoPP::SM4>(params, ciphertext, tag, plaintext);
    });
    // Whether the message authenticates is public by design (as libsodium's outcome is).
    if (!opened || !detail::declassify(authentic)) {
      detail::secure_wipe(plaintext.data(), plaintext.size());
      return opened ? result<void>{errc::decrypt_failed} : opened;
    }
    return {};
  }

 private:
  // Whether Crypto++ runs AES (and SM4's multi-block path) on AES-NI here.
  template <class Hash>
  static void one_mac(byte_span key, byte_span message, mutable_byte_span out) {
    CryptoPP::HMAC<Hash> hmac{key.data(), key.size()};
    hmac.Update(message.data(), message.size());
    hmac.Final(out.data());
  }

  [[nodiscard]] static bool aes_in_hardware() noexcept {
#if CRYPTOPP_BOOL_X86 || CRYPTOPP_BOOL_X32 || CRYPTOPP_BOOL_X64
    return CryptoPP::HasAESNI();
#else
    return false;  // elsewhere, treated as software: the CMAC suites are not sealed
#endif
  }

  // The one place Crypto++ exceptions are caught: they become KMS.0101.
  template <class Body>
  [[nodiscard]] static result<void> guarded(Body&& body) noexcept {
    try {
      body();
      return {};
    } catch (...) {
      return errc::kms_error;
    }
  }

  // The OS seed and the ChaCha20 expansion of the fork-safe buffer, both by Crypto++.
  struct random_source {
    [[nodiscard]] static bool os_random(mutable_byte_span out) noexcept {
      return guarded([&] { CryptoPP::OS_GenerateRandomBlock(false, out.data(), out.size()); })
          .has_value();
    }
    [[nodiscard]] static bool expand(std::span<const byte, detail::random_seed_size> seed,
                                     mutable_byte_span out) noexcept {
      return guarded([&] {
               const std::array<byte, 8> nonce{};
               CryptoPP::ChaCha::Encryption chacha;
               chacha.SetKeyWithIV(seed.data(), seed.size(), nonce.data(), nonce.size());
               std::fill(out.begin(), out.end(), byte{0});
               chacha.ProcessData(out.data(), out.data(), out.size());
             })
          .has_value();
    }
  };

  // Crypto++'s key generation draws through this adapter from the same fork-safe buffer.
  class buffered_rng final : public CryptoPP::RandomNumberGenerator {
   public:
    void GenerateBlock(CryptoPP::byte* output, std::size_t size) override {
      if (!detail::fork_safe_random<random_source>::fill({output, size})) {
        throw CryptoPP::OS_RNG_Err{"kmscore fork-safe random buffer"};
      }
    }
  };
  static CryptoPP::RandomNumberGenerator& rng() {
    thread_local buffered_rng generator;
    return generator;
  }

  // Moves the bytes of a queue (Crypto++ keeps them in wiping SecBlocks) into out.
  static secret_bytes drain_secret(CryptoPP::ByteQueue& queue) {
    secret_bytes out{static_cast<std::size_t>(queue.MaxRetrievable())};
    queue.Get(out.expose().data(), out.size());
    return out;
  }

  static void make_rsa(unsigned bits, key_pair& made) {
    CryptoPP::InvertibleRSAFunction key;
    key.Initialize(rng(), bits, CryptoPP::Integer{65537});
    CryptoPP::ByteQueue private_der;
    key.DEREncode(private_der);  // PKCS#8 PrivateKeyInfo
    made.private_key = drain_secret(private_der);
    CryptoPP::ByteQueue public_der;
    CryptoPP::RSAFunction{key}.DEREncode(public_der);  // SubjectPublicKeyInfo
    made.public_key.resize(static_cast<std::size_t>(public_der.MaxRetrievable()));
    public_der.Get(made.public_key.data(), made.public_key.size());
  }

  // The spec's curve (key_spec.hpp's ec_curve_table). A curve without a case here fails to
  // compile (-Wswitch); none has no group and makes no key.
  static std::optional<CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP>> curve_of(key_spec spec) {
    using CryptoPP::Integer;
    CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> group;
    switch (spec_policy(spec).curve) {
      case ec_curve::p256:
        group.Initialize(CryptoPP::ASN1::secp256r1());
        return group;
      case ec_curve::p384:
        group.Initialize(CryptoPP::ASN1::secp384r1());
        return group;
      case ec_curve::sm2p256v1: {
        // GB/T 32918.5-2017 (Crypto++ knows its OID but not its parameters).
        const CryptoPP::ECP curve{
            Integer{"0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF"},
            Integer{"0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"},
            Integer{"0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"}};
        const CryptoPP::ECP::Point base{
            Integer{"0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"},
            Integer{"0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"}};
        group.Initialize(
            curve, base,
            Integer{"0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123"},
            Integer::One());
        return group;
      }
      case ec_curve::none:
        break;
    }
    return std::nullopt;
  }

  // Leaves made empty for a spec without a curve (answered KMS.0101 by the caller).
  static void make_ec(key_spec spec, key_pair& made) {
    const auto curve = curve_of(spec);
    if (!curve) return;
    const auto& group = *curve;
    const byte_span oid = curve_info(spec).oid;
    const std::size_t field = curve_info(spec).field_bytes;
    const CryptoPP::Integer scalar{rng(), CryptoPP::Integer::One(),
                                   group.GetSubgroupOrder() - CryptoPP::Integer::One()};
    const auto point = group.ExponentiateBase(scalar);
    std::vector<byte> encoded_point(1 + 2 * field);
    encoded_point[0] = 0x04;  // uncompressed
    point.x.Encode(encoded_point.data() + 1, field);
    point.y.Encode(encoded_point.data() + 1 + field, field);
    secret_bytes scalar_bytes{field};
    scalar.Encode(scalar_bytes.expose().data(), field);
    made.private_key =
        secret_bytes{detail::ec_private_key_info_size(oid.size(), field, encoded_point.size())};
    detail::write_ec_private_key_info(oid, scalar_bytes.expose(), encoded_point,
                                      made.private_key.expose());
    made.public_key = detail::ec_public_key_info(oid, encoded_point);
  }

  [[nodiscard]] static bool key_fits(const aead_params& params) noexcept {
    return params.key.size() == cipher_key_size(params.cipher);
  }

  template <class Hash>
  static void hash_pieces(byte_pieces pieces, digest_out out) {
    Hash hash;
    for (const auto piece : pieces) hash.Update(piece.data(), piece.size());
    hash.Final(out.data());
  }

  // RFC 2104: K0 = key (hashed if longer than a block), zero-padded to the block size.
  template <class Hash>
  static hmac_key::pads<Hash> absorb_pads(byte_span key) {
    constexpr std::size_t block = Hash::BLOCKSIZE;
    CryptoPP::FixedSizeSecBlock<byte, block> pad;  // wiped on destruction
    std::fill(pad.begin(), pad.end(), byte{0});
    if (key.size() > block) {
      Hash{}.CalculateDigest(pad.begin(), key.data(), key.size());
    } else {
      std::copy(key.begin(), key.end(), pad.begin());
    }
    hmac_key::pads<Hash> pads;
    for (auto& b : pad) b ^= 0x36;
    pads.inner.Update(pad.begin(), block);
    for (auto& b : pad) b ^= 0x36 ^ 0x5C;
    pads.outer.Update(pad.begin(), block);
    return pads;
  }

  template <class Hash>
  static void finish_mac(const hmac_key::pads<Hash>& pads, byte_pieces pieces, digest_out out) {
    Hash inner{pads.inner};
    for (const auto piece : pieces) inner.Update(piece.data(), piece.size());
    CryptoPP::FixedSizeSecBlock<byte, Hash::DIGESTSIZE> inner_digest;
    inner.Final(inner_digest.begin());
    Hash outer{pads.outer};
    outer.Update(inner_digest.begin(), inner_digest.size());
    outer.Final(out.data());
  }

  // K0 (RFC 2104) in a block: key hashed if longer than a block, zero-padded.
  static void hmac_block_key(byte_span key, std::span<byte, 64> block) {
    std::fill(block.begin(), block.end(), byte{0});
    if (key.size() > block.size()) {
      CryptoPP::SHA256{}.CalculateDigest(block.data(), key.data(), key.size());
    } else {
      std::copy(key.begin(), key.end(), block.begin());
    }
  }

  // One SHA-256 compression of a 64-byte block (Transform takes big-endian-decoded words).
  static void compress(std::array<CryptoPP::word32, 8>& state, const byte* block) {
    alignas(16) std::array<CryptoPP::word32, 16> words;
    for (std::size_t i = 0; i < 16; ++i) {
      words[i] = (CryptoPP::word32{block[4 * i]} << 24U) |
                 (CryptoPP::word32{block[4 * i + 1]} << 16U) |
                 (CryptoPP::word32{block[4 * i + 2]} << 8U) | CryptoPP::word32{block[4 * i + 3]};
    }
    CryptoPP::SHA256::Transform(state.data(), words.data());
    detail::secure_wipe(words.data(), sizeof words);
  }

  static hmac_key::sha256_pads absorb_sha256_pads(byte_span key) {
    hmac_key::sha256_pads pads;
    CryptoPP::FixedSizeSecBlock<byte, 64> block;
    hmac_block_key(key, std::span<byte, 64>{block.begin(), 64});
    for (auto& b : block) b ^= 0x36;
    CryptoPP::SHA256::InitState(pads.inner.data());
    compress(pads.inner, block.begin());
    for (auto& b : block) b ^= 0x36 ^ 0x5C;
    CryptoPP::SHA256::InitState(pads.outer.data());
    compress(pads.outer, block.begin());
    return pads;
  }

  // Finishes a SHA-256 whose state has absorbed `done` bytes, over the message pieces.
  static void sha256_finish(std::array<CryptoPP::word32, 8>& state, std::uint64_t done,
                            byte_pieces pieces, std::span<byte, 32> out) {
    alignas(16) std::array<byte, 64> block;
    std::size_t fill = 0;
    for (const auto piece : pieces) {
      done += piece.size();
      for (std::size_t at = 0; at < piece.size();) {
        const std::size_t take = std::min(piece.size() - at, block.size() - fill);
        std::copy_n(piece.begin() + static_cast<std::ptrdiff_t>(at), take,
                    block.begin() + static_cast<std::ptrdiff_t>(fill));
        fill += take;
        at += take;
        if (fill == block.size()) {
          compress(state, block.data());
          fill = 0;
        }
      }
    }
    block[fill++] = 0x80;
    if (fill > 56) {
      std::fill(block.begin() + static_cast<std::ptrdiff_t>(fill), block.end(), byte{0});
      compress(state, block.data());
      fill = 0;
    }
    std::fill(block.begin() + static_cast<std::ptrdiff_t>(fill), block.begin() + 56, byte{0});
    const std::uint64_t bits = done * 8;
    for (std::size_t i = 0; i < 8; ++i) block[56 + i] = static_cast<byte>(bits >> (56 - 8 * i));
    compress(state, block.data());
    for (std::size_t i = 0; i < 8; ++i) {
      for (std::size_t k = 0; k < 4; ++k)
        out[4 * i + k] = static_cast<byte>(state[i] >> (24 - 8 * k));
    }
    detail::secure_wipe(block.data(), block.size());
  }

  static void finish_mac(const hmac_key::sha256_pads& pads, byte_pieces pieces, digest_out out) {
    hmac_key::sha256_pads running = pads;
    alignas(16) std::array<byte, 32> inner_digest;
    sha256_finish(running.inner, 64, pieces, inner_digest);
    const std::array<byte_span, 1> outer_piece{inner_digest};
    sha256_finish(running.outer, 64, outer_piece, out);
    detail::secure_wipe(inner_digest.data(), inner_digest.size());
  }

  template <class Cipher>
  static std::unique_ptr<CryptoPP::BlockCipher> keyed(byte_span key) {
    auto cipher = std::make_unique<typename Cipher::Encryption>();
    cipher->SetKey(key.data(), key.size());
    return cipher;
  }

  template <class Cipher>
  static void seal_with(const aead_params& params, byte_span plaintext,
                        mutable_byte_span ciphertext, std::span<byte, gcm_tag_size> tag) {
    typename CryptoPP::GCM<Cipher>::Encryption gcm;
    gcm.SetKeyWithIV(params.key.data(), params.key.size(), params.nonce.data(),
                     params.nonce.size());
    gcm.EncryptAndAuthenticate(ciphertext.data(), tag.data(), tag.size(), params.nonce.data(),
                               static_cast<int>(params.nonce.size()), params.aad.data(),
                               params.aad.size(), plaintext.data(), plaintext.size());
  }

  template <class Cipher>
  static bool open_with(const aead_params& params, byte_span ciphertext,
                        std::span<const byte, gcm_tag_size> tag, mutable_byte_span plaintext) {
    typename CryptoPP::GCM<Cipher>::Decryption gcm;
    gcm.SetKeyWithIV(params.key.data(), params.key.size(), params.nonce.data(),
                     params.nonce.size());
    return gcm.DecryptAndVerify(plaintext.data(), tag.data(), tag.size(), params.nonce.data(),
                                static_cast<int>(params.nonce.size()), params.aad.data(),
                                params.aad.size(), ciphertext.data(), ciphertext.size());
  }
};

static_assert(key_pair_backend<cryptopp>);
static_assert(block_cipher_backend<cryptopp>);

}  // namespace kmscore::backend
