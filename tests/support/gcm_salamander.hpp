// Test support: AES-256-GCM "invisible salamander" construction.
//
// Builds a single (ciphertext, tag) pair that authenticates under TWO different AES-256 keys
// for the same nonce and associated data (Dodis et al. 2018; Len, Grubbs, Ristenpart 2021,
// "partitioning oracle attacks"). GCM is not key-committing; tests use this to check that code
// does not silently treat "decryption succeeded" as "this was the intended key".
//
// Method: with H_i = AES_Ki(0^128), S_i = AES_Ki(N || 0^31 || 1), the tag under key i is
// T = GHASH_{H_i}(A, C) ^ S_i. All ciphertext blocks are fixed filler except one free block C_j.
// GHASH is linear in C_j, so GHASH_{H1} ^ S1 == GHASH_{H2} ^ S2 becomes
//   C_j * (H1^e ^ H2^e) = G1 ^ G2 ^ S1 ^ S2        (G_i: GHASH with C_j = 0)
// where e is the power of H that multiplies block C_j. Solve for C_j in GF(2^128).
//
// OpenSSL is used only for raw AES block encryption (EVP_aes_256_ecb); this header is for tests.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace kmscore_test {

struct gcm_salamander {
  std::vector<std::uint8_t> ciphertext;  // blocks * 16 bytes; empty on failure
  std::array<std::uint8_t, 16> tag{};    // valid under both keys
};

namespace gcm_salamander_detail {

// A GF(2^128) element in GCM's bit-reflected convention (NIST SP 800-38D): the block is read as
// a big-endian 128-bit string; bit 0 (MSB of byte 0) is the coefficient of x^0.
struct gf128 {
  std::uint64_t hi = 0;  // bytes 0..7, big-endian
  std::uint64_t lo = 0;  // bytes 8..15, big-endian

  friend bool operator==(const gf128&, const gf128&) = default;
};

inline gf128 operator^(gf128 a, gf128 b) { return {a.hi ^ b.hi, a.lo ^ b.lo}; }

inline gf128 load(const std::uint8_t* p) {
  gf128 r;
  for (int i = 0; i < 8; ++i) {
    r.hi = (r.hi << 8) | p[i];
    r.lo = (r.lo << 8) | p[8 + i];
  }
  return r;
}

inline void store(gf128 v, std::uint8_t* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<std::uint8_t>(v.hi);
    p[8 + i] = static_cast<std::uint8_t>(v.lo);
    v.hi >>= 8;
    v.lo >>= 8;
  }
}

// The multiplicative identity (polynomial "1") is the block 0x80 00 .. 00.
inline constexpr gf128 gf_one{0x8000000000000000ULL, 0};

// Algorithm 1 of SP 800-38D: shift-and-add, reducing by x^128 + x^7 + x^2 + x + 1, which in the
// reflected representation is "shift right, and if a bit fell off, xor 0xE1 into byte 0".
inline gf128 mul(gf128 x, gf128 y) {
  gf128 z;
  gf128 v = y;
  for (int i = 0; i < 128; ++i) {
    const std::uint64_t word = i < 64 ? x.hi : x.lo;
    if ((word >> (63 - (i % 64))) & 1U) z = z ^ v;
    const bool carry = (v.lo & 1U) != 0;
    v.lo = (v.lo >> 1) | (v.hi << 63);
    v.hi >>= 1;
    if (carry) v.hi ^= 0xE100000000000000ULL;
  }
  return z;
}

inline gf128 pow(gf128 a, std::uint64_t e) {
  gf128 r = gf_one;
  for (; e != 0; e >>= 1) {
    if (e & 1U) r = mul(r, a);
    a = mul(a, a);
  }
  return r;
}

// Inverse via Fermat: a^(2^128 - 2). In binary the exponent is 127 ones then a zero, so
// a^(2^128-2) = prod_{k=1..127} a^(2^k): square repeatedly and multiply each square in.
// Returns 0 for a == 0 (which callers must avoid).
inline gf128 inv(gf128 a) {
  gf128 r = gf_one;
  gf128 sq = a;
  for (int k = 1; k < 128; ++k) {
    sq = mul(sq, sq);
    r = mul(r, sq);
  }
  return r;
}

// GHASH_H(A, C): Y = 0; for each 16-byte block X of pad(A) || pad(C) || len64(A) || len64(C)
// (bit lengths, big-endian): Y = (Y ^ X) * H.
inline gf128 ghash(gf128 h, std::span<const std::uint8_t> aad, std::span<const std::uint8_t> ct) {
  gf128 y;
  auto absorb = [&](std::span<const std::uint8_t> data) {
    for (std::size_t off = 0; off < data.size(); off += 16) {
      std::array<std::uint8_t, 16> block{};  // zero padding for a short final block
      const std::size_t n = data.size() - off < 16 ? data.size() - off : 16;
      for (std::size_t i = 0; i < n; ++i) block[i] = data[off + i];
      y = mul(y ^ load(block.data()), h);
    }
  };
  absorb(aad);
  absorb(ct);
  const gf128 lens{static_cast<std::uint64_t>(aad.size()) * 8U,
                   static_cast<std::uint64_t>(ct.size()) * 8U};
  return mul(y ^ lens, h);
}

struct ctx_deleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// Computes H = AES_K(0^128) and S = AES_K(J0) with J0 = nonce || 00 00 00 01.
inline bool derive(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t, 12> nonce,
                   gf128& h, gf128& s) {
  std::array<std::uint8_t, 32> in{};  // block 0: zeros; block 1: J0
  for (std::size_t i = 0; i < 12; ++i) in[16 + i] = nonce[i];
  in[31] = 1;
  std::array<std::uint8_t, 32> out{};
  const std::unique_ptr<EVP_CIPHER_CTX, ctx_deleter> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_ecb(), nullptr, key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size())) != 1 ||
      len != static_cast<int>(out.size())) {
    return false;
  }
  h = load(out.data());
  s = load(out.data() + 16);
  return true;
}

}  // namespace gcm_salamander_detail

// Returns a ciphertext of `blocks` 16-byte blocks and a tag that AES-256-GCM-decrypt correctly
// under both k1 and k2 with the given nonce and aad. Filler blocks are a fixed counter pattern;
// one block is solved for. On failure (blocks < 2, k1 and k2 give the same GHASH key, or an
// OpenSSL error) returns an empty ciphertext.
inline gcm_salamander make_gcm_salamander(std::span<const std::uint8_t, 32> k1,
                                          std::span<const std::uint8_t, 32> k2,
                                          std::span<const std::uint8_t, 12> nonce,
                                          std::span<const std::uint8_t> aad, std::size_t blocks) {
  namespace d = gcm_salamander_detail;
  gcm_salamander out;
  d::gf128 h1, s1, h2, s2;
  if (blocks < 2 || !d::derive(k1, nonce, h1, s1) || !d::derive(k2, nonce, h2, s2)) return out;

  std::vector<std::uint8_t> ct(blocks * 16);
  for (std::size_t i = 0; i < ct.size(); ++i) ct[i] = static_cast<std::uint8_t>(i * 7 + 1);

  // Total GHASH blocks m = aad blocks + ciphertext blocks + 1 length block. Ciphertext block j
  // is multiplied by H^(blocks - j + 1) (the length block gets H^1). Try each j until the
  // coefficient H1^e ^ H2^e is nonzero (fails for all j only in degenerate cases like H1 == H2).
  for (std::size_t j = 0; j < blocks; ++j) {
    const std::uint64_t e = static_cast<std::uint64_t>(blocks - j + 1);
    const d::gf128 coeff = d::pow(h1, e) ^ d::pow(h2, e);
    if (coeff == d::gf128{}) continue;

    std::uint8_t* cj = ct.data() + j * 16;
    for (std::size_t i = 0; i < 16; ++i) cj[i] = 0;
    const d::gf128 rhs = d::ghash(h1, aad, ct) ^ d::ghash(h2, aad, ct) ^ s1 ^ s2;
    d::store(d::mul(rhs, d::inv(coeff)), cj);

    d::store(d::ghash(h1, aad, ct) ^ s1, out.tag.data());
    out.ciphertext = std::move(ct);
    return out;
  }
  return out;
}

}  // namespace kmscore_test
