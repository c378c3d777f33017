// kmscore/backend/openssl.hpp: the OpenSSL 3 backend (OpenSSL 3.0 as Debian 12 ships it).
//
//   kmscore::backend::openssl openssl;   // fetches its algorithms once
//   auto made = kmscore::create_datakey(openssl, cmk, params);
//   auto pair = openssl.generate_key_pair(kmscore::key_spec::sm2);
//
// Serves the AES_256 suite: AES-256-GCM, SHA-256 and SM3, HMAC over both (pads absorbed once
// per key), the raw AES-256 block cipher (and SM4's, though only AES counts as constant time:
// with AES-NI), key pairs for RSA_2048/3072/4096, EC_P256, EC_P384 and SM2, and the asymmetric
// actions (asymmetric.hpp): RSASSA-PSS and PKCS#1 v1.5, ECDSA, SM2 signatures, RSAES-OAEP-SHA-256
// and SM2 encryption. It does not serve the SM4 suite: OpenSSL 3.0 has no SM4-GCM (`supports`
// says so, calls give KMS.0101). Randomness comes from a fork-safe per-thread buffer
// (random_buffer.hpp): ChaCha20 keystream (EVP) under a seed from RAND_priv_bytes. Key pairs use
// OpenSSL's own DRBG, which reseeds after fork. Keys come and go as the key record holds them:
// PKCS#8 PrivateKeyInfo (read as the spec's key type and checked against the spec: modulus
// size, curve) and X.509 SubjectPublicKeyInfo (EC and SM2: id-ecPublicKey, named curve,
// uncompressed point, as the Crypto++ backend writes them, so either backend reads the other's
// keys). Failures are values; no exception escapes, and no OpenSSL error is left on the thread's
// queue (a stale one would mislead the next SSL_get_error there).
//
// Memory: this backend holds secrets only in zeroizing memory, and OpenSSL frees its own key
// objects and contexts with clearing. But OpenSSL 3.0's encoders and decoders free their
// intermediate copies of key DER without clearing them (ASN1_item_i2d_bio, der2key), so
// freed heap may hold private key bytes after generate_key_pair, sign or decrypt; likewise SM2
// decryption's keystream. A host for which that matters installs a clearing free with
// CRYPTO_set_mem_functions before its first OpenSSL call.
//
// Link with libcrypto (pkg-config libcrypto; CMake target kmscore::openssl; meson dependency
// kmscore_openssl_dep). Thread safety: an instance may be shared by threads; it holds only the
// fetched algorithms, which are immutable, and every call works on contexts of its own.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "../asymmetric.hpp"
#include "../crypto.hpp"
#include "../detail/wipe.hpp"
#include "random_buffer.hpp"

#if OPENSSL_VERSION_MAJOR < 3
#error "kmscore/backend/openssl.hpp needs OpenSSL 3 (providers, EVP_PKEY_CTX parameters)"
#endif

namespace kmscore::detail {

// Owners of OpenSSL objects, freed by the library's own functions.
template <auto Free>
struct openssl_free {
  template <class T>
  void operator()(T* object) const noexcept {
    Free(object);
  }
};
using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free<&EVP_PKEY_free>>;
using evp_pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_free<&EVP_PKEY_CTX_free>>;
using evp_md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_free<&EVP_MD_CTX_free>>;
using evp_cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, openssl_free<&EVP_CIPHER_CTX_free>>;
using ossl_decoder_ctx_ptr =
    std::unique_ptr<OSSL_DECODER_CTX, openssl_free<&OSSL_DECODER_CTX_free>>;
using ossl_encoder_ctx_ptr =
    std::unique_ptr<OSSL_ENCODER_CTX, openssl_free<&OSSL_ENCODER_CTX_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, openssl_free<&ECDSA_SIG_free>>;

// A fetched algorithm (EVP_MD, EVP_CIPHER): reference-counted, so copies share it.
template <class T, int (*UpRef)(T*), void (*Free)(T*)>
class openssl_fetched {
 public:
  openssl_fetched() noexcept = default;
  explicit openssl_fetched(T* fetched) noexcept : held_{fetched} {}
  openssl_fetched(const openssl_fetched& other) noexcept
      : held_{other.held_ != nullptr && UpRef(other.held_) == 1 ? other.held_ : nullptr} {}
  openssl_fetched(openssl_fetched&& other) noexcept : held_{std::exchange(other.held_, nullptr)} {}
  openssl_fetched& operator=(openssl_fetched other) noexcept {
    std::swap(held_, other.held_);
    return *this;
  }
  ~openssl_fetched() {
    if (held_ != nullptr) Free(held_);
  }
  [[nodiscard]] T* get() const noexcept { return held_; }

 private:
  T* held_ = nullptr;
};
using openssl_md = openssl_fetched<EVP_MD, &EVP_MD_up_ref, &EVP_MD_free>;
using openssl_cipher = openssl_fetched<EVP_CIPHER, &EVP_CIPHER_up_ref, &EVP_CIPHER_free>;

// Removes, when it ends, the OpenSSL errors raised since it began (and only those).
class openssl_error_scope {
 public:
  openssl_error_scope() noexcept { (void)ERR_set_mark(); }
  openssl_error_scope(const openssl_error_scope&) = delete;
  openssl_error_scope& operator=(const openssl_error_scope&) = delete;
  ~openssl_error_scope() { (void)ERR_pop_to_mark(); }
};

// OpenSSL's update functions take int lengths: longer spans go in slices of 1 GiB (a multiple
// of every block size).
inline constexpr std::size_t openssl_slice = std::size_t{1} << 30U;

// Encrypts or decrypts `in` into `out` (room for in.size() bytes), or absorbs AAD (out null).
[[nodiscard]] inline bool openssl_cipher_update(EVP_CIPHER_CTX* ctx, byte_span in,
                                                byte* out) noexcept {
  for (std::size_t at = 0; at < in.size();) {
    const std::size_t slice = std::min(in.size() - at, openssl_slice);
    int written = 0;
    if (EVP_CipherUpdate(ctx, out == nullptr ? nullptr : out + at, &written, in.data() + at,
                         static_cast<int>(slice)) != 1 ||
        (out != nullptr && static_cast<std::size_t>(written) != slice)) {
      return false;
    }
    at += slice;
  }
  return true;
}

}  // namespace kmscore::detail

namespace kmscore::backend {

class openssl {
 public:
  static constexpr std::string_view name = "openssl";

  // Fetches the algorithms once (an implicit fetch per call is OpenSSL 3's slow path); what
  // cannot be fetched (SM3 in a FIPS-only configuration, say) is reported as unsupported.
  openssl() noexcept
      : sha256_{EVP_MD_fetch(nullptr, "SHA2-256", nullptr)},
        sha384_{EVP_MD_fetch(nullptr, "SHA2-384", nullptr)},
        sha512_{EVP_MD_fetch(nullptr, "SHA2-512", nullptr)},
        sm3_{EVP_MD_fetch(nullptr, "SM3", nullptr)},
        sha1_{EVP_MD_fetch(nullptr, "SHA1", nullptr)},
        aes_gcm_{EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)},
        aes_ecb_{EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr)},
        sm4_ecb_{EVP_CIPHER_fetch(nullptr, "SM4-ECB", nullptr)},
        aes128_kwp_{EVP_CIPHER_fetch(nullptr, "AES-128-WRAP-PAD", nullptr)},
        aes256_kwp_{EVP_CIPHER_fetch(nullptr, "AES-256-WRAP-PAD", nullptr)} {
    ERR_clear_error();  // a failed fetch queues an error; it is answered by `supports`
  }

  [[nodiscard]] bool supports(envelope_suite suite) const noexcept {
    return suite == envelope_suite::aes256_gcm_hmac_sha256 && aes_gcm_.get() != nullptr &&
           sha256_.get() != nullptr;
  }
  [[nodiscard]] bool supports(hash_id hash) const noexcept { return md(hash) != nullptr; }

  [[nodiscard]] result<void> random_bytes(mutable_byte_span out) noexcept {
    return detail::fork_safe_random<random_source>::fill(out);
  }

  [[nodiscard]] result<void> digest(hash_id hash, byte_pieces pieces, digest_out out) noexcept {
    const EVP_MD* algorithm = md(hash);
    if (algorithm == nullptr) return errc::kms_error;
    const detail::evp_md_ctx_ptr ctx{EVP_MD_CTX_new()};
    unsigned int size = 0;
    if (!ctx || EVP_DigestInit_ex2(ctx.get(), algorithm, nullptr) != 1 ||
        !absorb(ctx.get(), pieces) || EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1 ||
        size != out.size()) {
      return cleared(errc::kms_error);
    }
    return {};
  }

  // A keyed HMAC: two hash contexts that have absorbed K0^ipad and K0^opad (RFC 2104), copied
  // per message, so a message costs only its own blocks. Freeing a context clears its state.
  class hmac_key {
   public:
    hmac_key() noexcept = default;

   private:
    friend class openssl;
    detail::evp_md_ctx_ptr inner_;
    detail::evp_md_ctx_ptr outer_;
  };

  [[nodiscard]] result<hmac_key> hmac_init(hash_id hash, byte_span key) noexcept {
    const EVP_MD* algorithm = md(hash);
    if (algorithm == nullptr || EVP_MD_get_block_size(algorithm) != hmac_block_size) {
      return errc::kms_error;
    }
    secret_array<hmac_block_size> pad;  // K0: the key, hashed if longer than a block
    if (key.size() > hmac_block_size) {
      if (EVP_Digest(key.data(), key.size(), pad.expose().data(), nullptr, algorithm, nullptr) !=
          1) {
        return cleared(errc::kms_error);
      }
    } else {
      std::copy(key.begin(), key.end(), pad.expose().begin());
    }
    hmac_key keyed;
    keyed.inner_.reset(EVP_MD_CTX_new());
    keyed.outer_.reset(EVP_MD_CTX_new());
    for (auto& b : pad.expose()) b ^= 0x36;
    bool made = keyed.inner_ && keyed.outer_ && absorb_block(keyed.inner_.get(), algorithm, pad);
    for (auto& b : pad.expose()) b ^= 0x36 ^ 0x5C;
    made = made && absorb_block(keyed.outer_.get(), algorithm, pad);
    if (!made) return cleared(errc::kms_error);
    return keyed;
  }

  // Works on copies of the key's contexts: a key may be shared by threads.
  [[nodiscard]] result<void> hmac_keyed(const hmac_key& key, byte_pieces pieces,
                                        digest_out out) noexcept {
    if (!key.inner_ || !key.outer_) return errc::kms_error;
    const detail::evp_md_ctx_ptr ctx{EVP_MD_CTX_new()};
    std::array<byte, EVP_MAX_MD_SIZE> inner{};
    unsigned int inner_size = 0;
    unsigned int size = 0;
    const bool done = ctx && EVP_MD_CTX_copy_ex(ctx.get(), key.inner_.get()) == 1 &&
                      absorb(ctx.get(), pieces) &&
                      EVP_DigestFinal_ex(ctx.get(), inner.data(), &inner_size) == 1 &&
                      EVP_MD_CTX_copy_ex(ctx.get(), key.outer_.get()) == 1 &&
                      EVP_DigestUpdate(ctx.get(), inner.data(), inner_size) == 1 &&
                      EVP_DigestFinal_ex(ctx.get(), out.data(), &size) == 1 && size == out.size();
    detail::secure_wipe(inner.data(), inner.size());
    if (!done) {
      detail::secure_wipe(out.data(), out.size());
      return cleared(errc::kms_error);
    }
    return {};
  }

  // An AES-256-ECB (or SM4-ECB) encryption context, keyed once, without padding. Freeing it
  // clears the key schedule.
  class block_key {
   public:
    block_key() noexcept = default;

   private:
    friend class openssl;
    detail::evp_cipher_ctx_ptr ctx_;
  };

  // AES with AES-NI only: OpenSSL's SM4 is table-based software, as is its AES fallback on CPUs
  // without AES-NI or SSSE3. (This reads the CPU; an OPENSSL_ia32cap mask that hides AES-NI
  // from OpenSSL is not seen.)
  [[nodiscard]] bool block_constant_time(cipher_id cipher) const noexcept {
    return cipher == cipher_id::aes256_gcm && aes_ecb_.get() != nullptr && aes_in_hardware();
  }

  [[nodiscard]] result<block_key> block_init(cipher_id cipher, byte_span key) noexcept {
    EVP_CIPHER* algorithm = cipher == cipher_id::aes256_gcm ? aes_ecb_.get() : sm4_ecb_.get();
    if (algorithm == nullptr || key.size() != cipher_key_size(cipher)) return errc::kms_error;
    block_key keyed;
    keyed.ctx_.reset(EVP_CIPHER_CTX_new());
    if (!keyed.ctx_ ||
        EVP_EncryptInit_ex2(keyed.ctx_.get(), algorithm, key.data(), nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(keyed.ctx_.get(), 0) != 1) {
      return cleared(errc::kms_error);
    }
    return keyed;
  }

  // Encrypts on a copy of the key's context: a block_key may be shared by threads.
  [[nodiscard]] result<void> encrypt_blocks(const block_key& key, byte_span in,
                                            mutable_byte_span out) noexcept {
    if (!key.ctx_ || in.size() != out.size() || in.size() % cipher_block_size != 0) {
      return errc::kms_error;
    }
    if (in.empty()) return {};
    const detail::evp_cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
    if (!ctx || EVP_CIPHER_CTX_copy(ctx.get(), key.ctx_.get()) != 1 ||
        !detail::openssl_cipher_update(ctx.get(), in, out.data())) {
      detail::secure_wipe(out.data(), out.size());
      return cleared(errc::kms_error);
    }
    return {};
  }

  [[nodiscard]] result<void> aead_seal(const aead_params& params, byte_span plaintext,
                                       mutable_byte_span ciphertext,
                                       std::span<byte, gcm_tag_size> tag) noexcept {
    if (!aead_usable(params, plaintext.size(), ciphertext.size())) return errc::kms_error;
    const detail::evp_cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
    std::array<byte, cipher_block_size> rest{};  // GCM's final writes nothing
    int rest_size = 0;
    if (!ctx ||
        EVP_EncryptInit_ex2(ctx.get(), aes_gcm_.get(), params.key.data(), params.nonce.data(),
                            nullptr) != 1 ||
        !detail::openssl_cipher_update(ctx.get(), params.aad, nullptr) ||
        !detail::openssl_cipher_update(ctx.get(), plaintext, ciphertext.data()) ||
        EVP_EncryptFinal_ex(ctx.get(), rest.data(), &rest_size) != 1 || rest_size != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tag.size()),
                            tag.data()) != 1) {
      detail::secure_wipe(ciphertext.data(), ciphertext.size());
      return cleared(errc::kms_error);
    }
    return {};
  }

  [[nodiscard]] result<void> aead_open(const aead_params& params, byte_span ciphertext,
                                       std::span<const byte, gcm_tag_size> tag,
                                       mutable_byte_span plaintext) noexcept {
    if (!aead_usable(params, ciphertext.size(), plaintext.size())) return errc::kms_error;
    const detail::evp_cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
    std::array<byte, gcm_tag_size> expected{};  // OpenSSL's ctrl takes a non-const pointer
    std::copy(tag.begin(), tag.end(), expected.begin());
    const bool decrypted =
        ctx &&
        EVP_DecryptInit_ex2(ctx.get(), aes_gcm_.get(), params.key.data(), params.nonce.data(),
                            nullptr) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(expected.size()),
                            expected.data()) == 1 &&
        detail::openssl_cipher_update(ctx.get(), params.aad, nullptr) &&
        detail::openssl_cipher_update(ctx.get(), ciphertext, plaintext.data());
    std::array<byte, cipher_block_size> rest{};
    int rest_size = 0;
    // Whether the message authenticates is public by design (as libsodium's outcome is).
    const bool authentic =
        decrypted &&
        detail::declassify(EVP_DecryptFinal_ex(ctx.get(), rest.data(), &rest_size) == 1);
    if (!authentic) {
      detail::secure_wipe(plaintext.data(), plaintext.size());
      return cleared(decrypted ? errc::decrypt_failed : errc::kms_error);
    }
    return {};
  }

  // Key pairs: RSA (e = 65537), P-256, P-384 and SM2 (sm2p256v1), points uncompressed and
  // curves named. The private key is encoded by OpenSSL into a buffer it allocates, copied
  // into zeroizing memory, and the buffer cleared as it is freed.
  [[nodiscard]] result<key_pair> generate_key_pair(key_spec spec) noexcept {
    if (!serves(spec)) return errc::kms_error;
    const detail::openssl_error_scope errors;
    const auto key = generate(spec);
    if (!key || !matches(key.get(), spec)) return errc::kms_error;
    return encode_pair(key.get());
  }

  // ---- key_import_backend --------------------------------------------------------------

  // RFC 5649 unwrapping (AES-128-KWP or AES-256-KWP by the KEK's size) in one call, into a
  // zeroizing buffer; OpenSSL checks the alternative IV, the length and the zero padding.
  [[nodiscard]] result<secret_bytes> unwrap_key(byte_span kek, byte_span wrapped) noexcept {
    const EVP_CIPHER* cipher = kek.size() == 16   ? aes128_kwp_.get()
                               : kek.size() == 32 ? aes256_kwp_.get()
                                                  : nullptr;
    if (cipher == nullptr) return errc::kms_error;
    // At least one AES block; whole semiblocks; int-sized for OpenSSL.
    if (wrapped.size() < 16 || wrapped.size() % 8 != 0 || wrapped.size() > max_wrapped_size) {
      return errc::decrypt_failed;
    }
    const detail::openssl_error_scope errors;
    const detail::evp_cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
    if (!ctx) return errc::kms_error;
    EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    if (EVP_DecryptInit_ex2(ctx.get(), cipher, kek.data(), nullptr, nullptr) != 1) {
      return errc::kms_error;
    }
    try {
      secret_bytes buffer{wrapped.size()};
      int written = 0;
      if (EVP_DecryptUpdate(ctx.get(), buffer.expose().data(), &written, wrapped.data(),
                            static_cast<int>(wrapped.size())) != 1 ||
          written <= 0 || static_cast<std::size_t>(written) > wrapped.size() - 8) {
        return errc::decrypt_failed;  // buffer wiped as it goes out of scope
      }
      return secret_bytes{buffer.expose().first(static_cast<std::size_t>(written))};
    } catch (...) {  // allocation
      return errc::kms_error;
    }
  }

  // load() reads exactly one PrivateKeyInfo of the spec's type, size and curve; then the
  // named-curve form, e = 65537, and OpenSSL's own public, private and pair-wise checks
  // (RSA: p*q = n, d and the CRT values against e; EC: the scalar in [1, n-1], the point on
  // the curve and equal to scalar*G).
  [[nodiscard]] result<key_pair> import_key_pair(key_spec spec, byte_span private_key) noexcept {
    if (!serves(spec)) return errc::kms_error;
    const detail::openssl_error_scope errors;
    const auto key = load(spec, private_key, true);
    if (!key || !named_form(key.get(), spec)) return errc::decrypt_failed;
    // RSA: the factors bounded before any primality test (a client's p of 20,000 bits would
    // hold a worker for minutes in the pair-wise check).
    if (spec_policy(spec).family == key_family::rsa && !bounded_factors(key.get())) {
      return errc::decrypt_failed;
    }
    const detail::evp_pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
    if (!ctx) return errc::kms_error;
    if (EVP_PKEY_public_check(ctx.get()) != 1 || EVP_PKEY_private_check(ctx.get()) != 1 ||
        EVP_PKEY_pairwise_check(ctx.get()) != 1) {
      return errc::decrypt_failed;
    }
    // EC and SM2: stored and published as generate_key_pair makes them, whatever the client's
    // PKCS#8 held: the public point uncompressed and inside the private key.
    if (spec_policy(spec).family != key_family::rsa &&
        (EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                        "uncompressed") != 1 ||
         EVP_PKEY_set_int_param(key.get(), OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, 1) != 1)) {
      return errc::kms_error;
    }
    return encode_pair(key.get());
  }

  // Whether this backend can unwrap material wrapped with `algorithm` to a `wrapping_spec` key,
  // and private keys wrapped by RFC 5649 (what get-parameters-for-import promises).
  [[nodiscard]] bool unwraps(key_spec wrapping_spec,
                             data_encryption_algorithm algorithm) const noexcept {
    return encryption_fits(wrapping_spec, algorithm) && aes128_kwp_.get() != nullptr &&
           aes256_kwp_.get() != nullptr;
  }

 private:
  static constexpr std::size_t max_wrapped_size = 1U << 20U;

  // Two primes, each of at most half the modulus's bits plus one, whose product is n, with the
  // CRT values below them (RFC 8017 3.2): cheap checks that bound what the primality tests of
  // the pair-wise check then take.
  [[nodiscard]] static bool bounded_factors(const EVP_PKEY* key) noexcept {
    struct bn_free {
      void operator()(BIGNUM* bn) const noexcept { BN_clear_free(bn); }
    };
    using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;
    const auto get = [key](const char* name) {
      BIGNUM* value = nullptr;
      return EVP_PKEY_get_bn_param(key, name, &value) == 1 ? bn_ptr{value} : bn_ptr{};
    };
    const auto n = get(OSSL_PKEY_PARAM_RSA_N);
    const auto p = get(OSSL_PKEY_PARAM_RSA_FACTOR1);
    const auto q = get(OSSL_PKEY_PARAM_RSA_FACTOR2);
    const auto dp = get(OSSL_PKEY_PARAM_RSA_EXPONENT1);
    const auto dq = get(OSSL_PKEY_PARAM_RSA_EXPONENT2);
    const auto qinv = get(OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
    if (!n || !p || !q || !dp || !dq || !qinv || get(OSSL_PKEY_PARAM_RSA_FACTOR3)) return false;
    const int bits = BN_num_bits(n.get());
    const int p_bits = BN_num_bits(p.get());
    const int q_bits = BN_num_bits(q.get());
    if (p_bits > bits / 2 + 1 || q_bits > bits / 2 + 1 || p_bits + q_bits < bits ||
        BN_cmp(dp.get(), p.get()) >= 0 || BN_cmp(dq.get(), q.get()) >= 0 ||
        BN_cmp(qinv.get(), p.get()) >= 0) {
      return false;
    }
    const bn_ptr product{BN_new()};
    BN_CTX* bn_ctx = BN_CTX_new();
    const bool multiplied =
        product && bn_ctx != nullptr && BN_mul(product.get(), p.get(), q.get(), bn_ctx) == 1;
    BN_CTX_free(bn_ctx);
    return multiplied && BN_cmp(product.get(), n.get()) == 0;
  }

  // RSA: e = 65537. EC and SM2: a named curve (explicit parameters refused).
  [[nodiscard]] static bool named_form(const EVP_PKEY* key, key_spec spec) noexcept {
    if (spec_policy(spec).family == key_family::rsa) {
      BIGNUM* exponent = nullptr;
      if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &exponent) != 1) return false;
      const bool standard = BN_is_word(exponent, RSA_F4) == 1;
      BN_free(exponent);
      return standard;
    }
    std::array<char, 32> encoding{};
    std::size_t length = 0;
    return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, encoding.data(),
                                          encoding.size(), &length) == 1 &&
           std::string_view{encoding.data(), length} == OSSL_PKEY_EC_ENCODING_GROUP;
  }

  // The pair as generate_key_pair and import_key_pair answer it: the private key encoded by
  // OpenSSL into a buffer it allocates, copied into zeroizing memory, and the buffer cleared
  // as it is freed; the public key as SubjectPublicKeyInfo.
  [[nodiscard]] static result<key_pair> encode_pair(EVP_PKEY* key) noexcept {
    try {
      key_pair made;
      OSSL_ENCODER_CTX* encoder =
          OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", nullptr);
      const detail::ossl_encoder_ctx_ptr owned_encoder{encoder};
      unsigned char* encoded = nullptr;
      std::size_t encoded_size = 0;
      if (!owned_encoder || OSSL_ENCODER_to_data(encoder, &encoded, &encoded_size) != 1 ||
          encoded == nullptr) {
        return errc::kms_error;
      }
      const std::unique_ptr<unsigned char, clear_free> owned_der{encoded, clear_free{encoded_size}};
      made.private_key = secret_bytes{byte_span{encoded, encoded_size}};

      const int public_size = i2d_PUBKEY(key, nullptr);
      if (public_size <= 0) return errc::kms_error;
      made.public_key.resize(static_cast<std::size_t>(public_size));
      unsigned char* at = made.public_key.data();
      if (i2d_PUBKEY(key, &at) != public_size) return errc::kms_error;
      return made;
    } catch (...) {  // allocation
      return errc::kms_error;
    }
  }

 public:
  // ---- mac_backend: all four HMACs, through OpenSSL's one-shot HMAC ---------------------

  [[nodiscard]] bool serves(mac_algorithm algorithm) const noexcept {
    return mac_md(algorithm) != nullptr;
  }

  [[nodiscard]] result<void> mac(mac_algorithm algorithm, byte_span key, byte_span message,
                                 mutable_byte_span out) noexcept {
    const EVP_MD* algorithm_md = mac_md(algorithm);
    if (algorithm_md == nullptr || out.size() != info(algorithm).size ||
        key.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      return errc::kms_error;
    }
    unsigned int size = 0;
    if (HMAC(algorithm_md, key.data(), static_cast<int>(key.size()), message.data(), message.size(),
             out.data(), &size) == nullptr ||
        size != out.size()) {
      detail::secure_wipe(out.data(), out.size());
      return cleared(errc::kms_error);
    }
    return {};
  }

  // ---- asymmetric_backend ----------------------------------------------------------------

  [[nodiscard]] bool serves(key_spec spec) const noexcept {
    switch (spec_policy(spec).family) {
      case key_family::rsa:
      case key_family::ec:
        return sha256_.get() != nullptr && sha384_.get() != nullptr && sha512_.get() != nullptr;
      case key_family::sm2:
        return sm3_.get() != nullptr;
      case key_family::symmetric:
      case key_family::hmac:
        break;
    }
    return false;
  }

  [[nodiscard]] result<void> hash(signature_hash hash, byte_span message,
                                  mutable_byte_span out) noexcept {
    const EVP_MD* algorithm = md(hash);
    if (algorithm == nullptr || out.size() != signature_hash_size(hash)) return errc::kms_error;
    unsigned int size = 0;
    if (EVP_Digest(message.data(), message.size(), out.data(), &size, algorithm, nullptr) != 1 ||
        size != out.size()) {
      return cleared(errc::kms_error);
    }
    return {};
  }

  // RSA signatures are modulus-sized; ECDSA and SM2 ones DER SEQUENCE{r, s}. SM2 signs `digest`
  // as e directly (EVP_PKEY_sign computes no Z): the caller's digest is SM3(Z || M).
  [[nodiscard]] result<std::vector<byte>> sign(key_spec spec, byte_span private_key,
                                               signing_algorithm algorithm,
                                               byte_span digest) noexcept {
    if (!call_fits(spec, algorithm, digest)) return errc::kms_error;
    const detail::openssl_error_scope errors;
    const auto key = load(spec, private_key, true);
    if (!key) return errc::kms_error;
    const detail::evp_pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
    std::size_t size = 0;
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || !set_signing(ctx.get(), algorithm) ||
        EVP_PKEY_sign(ctx.get(), nullptr, &size, digest.data(), digest.size()) != 1) {
      return errc::kms_error;
    }
    try {
      std::vector<byte> signature(size);
      if (EVP_PKEY_sign(ctx.get(), signature.data(), &size, digest.data(), digest.size()) != 1 ||
          size > signature.size()) {
        return errc::kms_error;
      }
      signature.resize(size);
      return signature;
    } catch (...) {  // allocation
      return errc::kms_error;
    }
  }

  // false for any signature that does not verify, whatever its shape: RSA signatures must be
  // exactly modulus-sized (RFC 8017 8.1.2, 8.2.2), ECDSA and SM2 ones strict DER.
  [[nodiscard]] result<bool> verify(key_spec spec, byte_span public_key,
                                    signing_algorithm algorithm, byte_span digest,
                                    byte_span signature) noexcept {
    if (!call_fits(spec, algorithm, digest)) return errc::kms_error;
    const detail::openssl_error_scope errors;
    const auto key = load(spec, public_key, false);
    if (!key) return errc::kms_error;
    const detail::evp_pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 || !set_signing(ctx.get(), algorithm)) {
      return errc::kms_error;
    }
    const bool shaped =
        spec_policy(spec).family == key_family::rsa
            ? signature.size() == static_cast<std::size_t>(EVP_PKEY_get_size(key.get()))
            : strict_der_signature(signature);
    return shaped && EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(),
                                     digest.size()) == 1;
  }

  // RSAES-OAEP-SHA-256 (MGF1-SHA-256, empty label) or SM2 encryption with SM3 (DER per GM/T
  // 0009: SEQUENCE{x, y, C3, C2}).
  [[nodiscard]] result<std::vector<byte>> encrypt(key_spec spec, byte_span public_key,
                                                  data_encryption_algorithm algorithm,
                                                  byte_span plaintext) noexcept {
    if (!encryption_fits(spec, algorithm) || plaintext.empty()) return errc::kms_error;
    if (spec_policy(spec).family == key_family::rsa &&
        plaintext.size() > rsa_oaep_sha256_max_plaintext(spec)) {
      return errc::kms_error;
    }
    const detail::openssl_error_scope errors;
    const auto key = load(spec, public_key, false);
    if (!key) return errc::kms_error;
    const detail::evp_pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
    std::size_t size = 0;
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
        !set_encryption(ctx.get(), spec, algorithm) ||
        EVP_PKEY_encrypt(ctx.get(), nullptr, &size, plaintext.data(), plaintext.size()) != 1) {
      return errc::kms_error;
    }
    try {
      std::vector<byte> ciphertext(size);
      if (EVP_PKEY_encrypt(ctx.get(), ciphertext.data(), &size, plaintext.data(),
                           plaintext.size()) != 1 ||
          size > ciphertext.size()) {
        return errc::kms_error;
      }
      ciphertext.resize(size);
      return ciphertext;
    } catch (...) {  // allocation
      return errc::kms_error;
    }
  }

  // Any ciphertext that does not decrypt (wrong length, bad padding, malformed DER, a C3 that
  // does not match) is errc::decrypt_failed; a key that cannot be read, KMS.0101.
  [[nodiscard]] result<secret_bytes> decrypt(key_spec spec, byte_span private_key,
                                             data_encryption_algorithm algorithm,
                                             byte_span ciphertext) noexcept {
    if (!encryption_fits(spec, algorithm)) return errc::kms_error;
    const detail::openssl_error_scope errors;
    const auto key = load(spec, private_key, true);
    if (!key) return errc::kms_error;
    const detail::evp_pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
    if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
        !set_encryption(ctx.get(), spec, algorithm)) {
      return errc::kms_error;
    }
    // RSA: k bytes exactly (RFC 8017 7.1.2; OpenSSL would take a shorter number). SM2: the size
    // query parses the DER and answers C2's length.
    if (spec_policy(spec).family == key_family::rsa &&
        ciphertext.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.get()))) {
      return errc::decrypt_failed;
    }
    // SM2: OpenSSL 3.0 ignores bytes after the DER SEQUENCE; a ciphertext is all of one here.
    if (spec_policy(spec).family == key_family::sm2 && !one_der_sequence(ciphertext)) {
      return errc::decrypt_failed;
    }
    std::size_t size = 0;
    if (ciphertext.empty() ||
        EVP_PKEY_decrypt(ctx.get(), nullptr, &size, ciphertext.data(), ciphertext.size()) != 1 ||
        size == 0) {
      return errc::decrypt_failed;
    }
    try {
      secret_bytes buffer{size};
      // SM2 fills all of *outlen before decrypting: it must be the buffer's true size.
      std::size_t written = buffer.size();
      if (EVP_PKEY_decrypt(ctx.get(), buffer.expose().data(), &written, ciphertext.data(),
                           ciphertext.size()) != 1 ||
          written > buffer.size()) {
        return errc::decrypt_failed;
      }
      if (written == buffer.size()) return buffer;
      // OAEP's plaintext is shorter than the size query's k bytes: an exact copy, and the
      // larger buffer wiped as it goes out of scope.
      return secret_bytes{buffer.expose().first(written)};
    } catch (...) {  // allocation
      return errc::kms_error;
    }
  }

 private:
  static constexpr std::size_t hmac_block_size = 64;  // SHA-256 and SM3 alike

  // The OS seed (OpenSSL's private DRBG, which reseeds after fork) and its ChaCha20 expansion.
  struct random_source {
    [[nodiscard]] static bool os_random(mutable_byte_span out) noexcept {
      for (std::size_t at = 0; at < out.size();) {
        const std::size_t slice = std::min(out.size() - at, detail::openssl_slice);
        if (RAND_priv_bytes(out.data() + at, static_cast<int>(slice)) != 1) {
          return failed();
        }
        at += slice;
      }
      return true;
    }
    [[nodiscard]] static bool expand(std::span<const byte, detail::random_seed_size> seed,
                                     mutable_byte_span out) noexcept {
      const std::array<byte, 16> counter_and_nonce{};  // OpenSSL's ChaCha20 IV: all zero
      const detail::evp_cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
      std::fill(out.begin(), out.end(), byte{0});
      if (!ctx ||
          EVP_EncryptInit_ex2(ctx.get(), EVP_chacha20(), seed.data(), counter_and_nonce.data(),
                              nullptr) != 1 ||
          !detail::openssl_cipher_update(ctx.get(), out, out.data())) {
        detail::secure_wipe(out.data(), out.size());
        return failed();
      }
      return true;
    }
  };

  // Clears the thread's OpenSSL error queue and answers `code` (failure paths of the
  // symmetric calls, which are hot: no mark is set on their way in).
  [[nodiscard]] static errc cleared(errc code) noexcept {
    ERR_clear_error();
    return code;
  }
  [[nodiscard]] static bool failed() noexcept {
    ERR_clear_error();
    return false;
  }

  struct clear_free {
    std::size_t size;
    void operator()(unsigned char* data) const noexcept { OPENSSL_clear_free(data, size); }
  };

  [[nodiscard]] static bool aes_in_hardware() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_cpu_supports("aes") != 0;
#else
    return false;  // elsewhere, treated as software: the CMAC suites are not sealed
#endif
  }

  [[nodiscard]] const EVP_MD* md(hash_id hash) const noexcept {
    return hash == hash_id::sha256 ? sha256_.get() : sm3_.get();
  }
  [[nodiscard]] const EVP_MD* mac_md(mac_algorithm algorithm) const noexcept {
    switch (algorithm) {
      case mac_algorithm::hmac_sha_256:
        return sha256_.get();
      case mac_algorithm::hmac_sha_384:
        return sha384_.get();
      case mac_algorithm::hmac_sha_512:
        return sha512_.get();
      case mac_algorithm::hmac_sm3:
        return sm3_.get();
      case mac_algorithm::none:
        break;
    }
    return nullptr;
  }
  [[nodiscard]] const EVP_MD* md(signature_hash hash) const noexcept {
    switch (hash) {
      case signature_hash::sha384:
        return sha384_.get();
      case signature_hash::sha512:
        return sha512_.get();
      case signature_hash::sm3:
        return sm3_.get();
      case signature_hash::sha256:
        break;
    }
    return sha256_.get();
  }

  [[nodiscard]] static bool absorb(EVP_MD_CTX* ctx, byte_pieces pieces) noexcept {
    for (const auto piece : pieces) {
      if (!piece.empty() && EVP_DigestUpdate(ctx, piece.data(), piece.size()) != 1) return false;
    }
    return true;
  }
  [[nodiscard]] static bool absorb_block(EVP_MD_CTX* ctx, const EVP_MD* algorithm,
                                         const secret_array<hmac_block_size>& block) noexcept {
    return EVP_DigestInit_ex2(ctx, algorithm, nullptr) == 1 &&
           EVP_DigestUpdate(ctx, block.expose().data(), hmac_block_size) == 1;
  }

  [[nodiscard]] bool aead_usable(const aead_params& params, std::size_t in_size,
                                 std::size_t out_size) const noexcept {
    return params.cipher == cipher_id::aes256_gcm && aes_gcm_.get() != nullptr &&
           aead_sizes_ok(params.cipher, params.key.size(), in_size, out_size);
  }

  // ---- asymmetric helpers ----

  [[nodiscard]] static const char* key_type(key_spec spec) noexcept {
    switch (spec_policy(spec).family) {
      case key_family::rsa:
        return "RSA";
      case key_family::sm2:
        return "SM2";
      case key_family::ec:
      case key_family::symmetric:
      case key_family::hmac:
        break;
    }
    return "EC";
  }
  // The group name OpenSSL reports (and takes) for the spec's curve (key_spec.hpp's
  // ec_curve_table); empty for a spec without one, which then matches and makes no key.
  [[nodiscard]] static std::string_view curve(key_spec spec) noexcept {
    return curve_info(spec).openssl_group;
  }

  // Whether a key is of the spec: its type (an SM2-curve key is "SM2", not "EC"), RSA modulus
  // size, EC curve.
  [[nodiscard]] static bool matches(const EVP_PKEY* key, key_spec spec) noexcept {
    const auto& policy = spec_policy(spec);
    if (EVP_PKEY_is_a(key, key_type(spec)) != 1) return false;
    if (policy.family == key_family::rsa) {
      return EVP_PKEY_get_bits(key) == static_cast<int>(policy.strength_bits);
    }
    std::array<char, 32> group{};
    std::size_t length = 0;
    return !curve(spec).empty() &&
           EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                          group.size(), &length) == 1 &&
           std::string_view{group.data(), length} == curve(spec);
  }

  // Reads a PKCS#8 PrivateKeyInfo (private) or SubjectPublicKeyInfo as the spec's key type,
  // all of the input, and checks it against the spec. The DER is read in place (a memory BIO
  // over the caller's span).
  [[nodiscard]] static detail::evp_pkey_ptr load(key_spec spec, byte_span der,
                                                 bool private_key) noexcept {
    if (der.empty()) return nullptr;
    EVP_PKEY* decoded = nullptr;
    const detail::ossl_decoder_ctx_ptr decoder{OSSL_DECODER_CTX_new_for_pkey(
        &decoded, "DER", private_key ? "PrivateKeyInfo" : "SubjectPublicKeyInfo", key_type(spec),
        private_key ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, nullptr, nullptr)};
    if (!decoder) return nullptr;
    const unsigned char* data = der.data();
    std::size_t left = der.size();
    const int read = OSSL_DECODER_from_data(decoder.get(), &data, &left);
    detail::evp_pkey_ptr key{decoded};
    if (read != 1 || left != 0 || !key || !matches(key.get(), spec)) return nullptr;
    return key;
  }

  [[nodiscard]] detail::evp_pkey_ptr generate(key_spec spec) const noexcept {
    const auto& policy = spec_policy(spec);
    // The table's group names are literals: NUL-terminated.
    const char* group = curve(spec).empty() ? "" : curve(spec).data();
    if (policy.family != key_family::rsa && *group == '\0') return nullptr;
    const detail::evp_pkey_ctx_ptr ctx{
        EVP_PKEY_CTX_new_from_name(nullptr, key_type(spec), nullptr)};
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return nullptr;
    std::size_t bits = policy.strength_bits;
    unsigned int exponent = 65537;
    const std::array<OSSL_PARAM, 3> rsa{
        OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits),
        OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &exponent), OSSL_PARAM_construct_end()};
    const std::array<OSSL_PARAM, 4> ec{
        text_param(OSSL_PKEY_PARAM_GROUP_NAME, group),
        text_param(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "uncompressed"),
        text_param(OSSL_PKEY_PARAM_EC_ENCODING, "named_curve"), OSSL_PARAM_construct_end()};
    EVP_PKEY* made = nullptr;
    if (EVP_PKEY_CTX_set_params(ctx.get(),
                                policy.family == key_family::rsa ? rsa.data() : ec.data()) != 1 ||
        EVP_PKEY_generate(ctx.get(), &made) != 1) {
      EVP_PKEY_free(made);
      return nullptr;
    }
    return detail::evp_pkey_ptr{made};
  }

  // OpenSSL reads, never writes, the strings of parameters it is given.
  [[nodiscard]] static OSSL_PARAM text_param(const char* key, const char* value) noexcept {
    return OSSL_PARAM_construct_utf8_string(key, const_cast<char*>(value), 0);
  }

  [[nodiscard]] bool call_fits(key_spec spec, signing_algorithm algorithm,
                               byte_span digest) const noexcept {
    return serves(spec) && signing_allowed(spec, algorithm) &&
           digest.size() == signature_hash_size(info(algorithm).hash);
  }

  // Padding and hashes of a signing context. The digest md also makes OpenSSL check the
  // digest's length (and, for PKCS#1 v1.5, write the DigestInfo).
  [[nodiscard]] bool set_signing(EVP_PKEY_CTX* ctx, signing_algorithm algorithm) const noexcept {
    const auto& row = info(algorithm);
    const EVP_MD* algorithm_md = md(row.hash);
    if (EVP_PKEY_CTX_set_signature_md(ctx, algorithm_md) != 1) return false;
    switch (row.scheme) {
      case signature_scheme::rsa_pss:
        return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, algorithm_md) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1;
      case signature_scheme::rsa_pkcs1_v1_5:
        return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
      case signature_scheme::ecdsa:
      case signature_scheme::sm2:
        break;
    }
    return true;
  }

  [[nodiscard]] bool encryption_fits(key_spec spec,
                                     data_encryption_algorithm algorithm) const noexcept {
    switch (spec_policy(spec).family) {
      case key_family::rsa:
        return (algorithm == data_encryption_algorithm::rsaes_oaep_sha256 ||
                (algorithm == data_encryption_algorithm::rsaes_oaep_sha1 &&
                 sha1_.get() != nullptr)) &&
               serves(spec);
      case key_family::sm2:
        return algorithm == data_encryption_algorithm::sm2_encrypt && serves(spec);
      case key_family::ec:
      case key_family::symmetric:
      case key_family::hmac:
        break;
    }
    return false;
  }

  [[nodiscard]] bool set_encryption(EVP_PKEY_CTX* ctx, key_spec spec,
                                    data_encryption_algorithm algorithm) const noexcept {
    if (spec_policy(spec).family == key_family::rsa) {
      const EVP_MD* oaep_md =
          algorithm == data_encryption_algorithm::rsaes_oaep_sha1 ? sha1_.get() : sha256_.get();
      return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_oaep_md(ctx, oaep_md) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, oaep_md) == 1;
    }
    // SM3 is OpenSSL's default for SM2 encryption; named so that no default can change it.
    const std::array<OSSL_PARAM, 2> digest{text_param(OSSL_ASYM_CIPHER_PARAM_DIGEST, "SM3"),
                                           OSSL_PARAM_construct_end()};
    return EVP_PKEY_CTX_set_params(ctx, digest.data()) == 1;
  }

  // Whether a signature is DER SEQUENCE{r, s} exactly as it would be re-encoded (no BER
  // lengths, no padding of the integers, nothing after it).
  [[nodiscard]] static bool strict_der_signature(byte_span signature) noexcept {
    if (signature.empty() || signature.size() > max_der_signature_size) return false;
    const unsigned char* at = signature.data();
    const detail::ecdsa_sig_ptr parsed{
        d2i_ECDSA_SIG(nullptr, &at, static_cast<long>(signature.size()))};
    if (!parsed || at != signature.data() + signature.size()) return false;
    if (i2d_ECDSA_SIG(parsed.get(), nullptr) != static_cast<int>(signature.size())) return false;
    std::array<byte, max_der_signature_size> encoded{};
    unsigned char* out = encoded.data();
    return i2d_ECDSA_SIG(parsed.get(), &out) == static_cast<int>(signature.size()) &&
           std::memcmp(encoded.data(), signature.data(), signature.size()) == 0;
  }
  static constexpr std::size_t max_der_signature_size = 128;  // P-384: at most 104 bytes

  // Whether `der` is one DER SEQUENCE header (minimal length, up to 64 KiB) and its contents,
  // nothing after them.
  [[nodiscard]] static bool one_der_sequence(byte_span der) noexcept {
    if (der.size() < 2 || der[0] != 0x30) return false;
    std::size_t length = der[1];
    std::size_t header = 2;
    if (length >= 0x80) {
      const std::size_t count = length & 0x7FU;
      if (count == 0 || count > 2 || der.size() < header + count || der[header] == 0) {
        return false;
      }
      length = 0;
      for (std::size_t i = 0; i < count; ++i) length = (length << 8U) | der[header + i];
      if (length < 0x80) return false;
      header += count;
    }
    return header + length == der.size();
  }

  detail::openssl_md sha256_;
  detail::openssl_md sha384_;
  detail::openssl_md sha512_;
  detail::openssl_md sm3_;
  detail::openssl_md sha1_;  // RSAES-OAEP-SHA-1 unwrapping of imported material only
  detail::openssl_cipher aes_gcm_;
  detail::openssl_cipher aes_ecb_;
  detail::openssl_cipher sm4_ecb_;
  detail::openssl_cipher aes128_kwp_;
  detail::openssl_cipher aes256_kwp_;
};

static_assert(crypto_backend<openssl>);
static_assert(block_cipher_backend<openssl>);
static_assert(key_import_backend<openssl>);
static_assert(key_pair_backend<openssl>);
static_assert(asymmetric_backend<openssl>);

}  // namespace kmscore::backend
