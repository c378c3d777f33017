// kmscore/detail/counter_kdf.hpp: CMAC (NIST SP 800-38B) and the KDF in counter mode of NIST
// SP 800-108r1 (§4.1) with CMAC as the PRF, built once over any backend's block cipher
// (docs/envelope.md, suites 18 and 19):
//
//   K(i) = CMAC(K, [i]_32 || Label || 0x00 || Context || [L]_32),  output K(1) || K(2) ...
//
// A counter_kdf is made once per key and label: the expanded key, CMAC's subkeys, and for each
// output block the CMAC chaining value after [i] || Label || 0x00 (labels are sized so that
// this prefix fills whole blocks). derive() then costs, per output block, one block
// encryption per 16 bytes of Context || [L]; the blocks of all outputs ("lanes") are
// encrypted side by side, one backend call per step.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "../crypto.hpp"
#include "../secret.hpp"
#include "wipe.hpp"

namespace kmscore::detail {

inline constexpr std::size_t counter_kdf_max_output = 2 * cipher_block_size;

// A CMAC key: the expanded block-cipher key and the subkeys K1, K2. CBC-MAC runs over one or
// more lanes at once, each lane a 16-byte chaining value in `chains`.
template <block_cipher_backend Backend>
class cmac_key {
 public:
  [[nodiscard]] static result<cmac_key> make(Backend& backend, cipher_id cipher,
                                             byte_span key) noexcept {
    auto expanded = backend.block_init(cipher, key);
    if (!expanded) return expanded.error();
    cmac_key made{std::move(*expanded)};
    // K1 = dbl(E(K, 0^128)), K2 = dbl(K1).
    secret_array<cipher_block_size> zero_image;
    const std::array<byte, cipher_block_size> zeros{};
    KMSCORE_TRY(backend.encrypt_blocks(made.key_, zeros, zero_image.expose()));
    double_block(zero_image.expose(), made.k1_.expose());
    double_block(made.k1_.expose(), made.k2_.expose());
    return made;
  }

  // chains = E(chains): one CBC step of every lane, the data already added in.
  [[nodiscard]] result<void> encrypt(Backend& backend, mutable_byte_span chains) const noexcept {
    return backend.encrypt_blocks(key_, chains, chains);
  }

  // The last block: a complete one is masked with K1; a partial one is padded 10* and
  // masked with K2.
  void mask_last(std::array<byte, cipher_block_size>& block, std::size_t used) const noexcept {
    if (used < cipher_block_size) block[used] = 0x80;
    const auto mask = used == cipher_block_size ? k1_.expose() : k2_.expose();
    for (std::size_t k = 0; k < cipher_block_size; ++k) block[k] ^= mask[k];
  }

  // One CBC step with different data per lane: chains ^= blocks; chains = E(chains). For
  // message blocks that are known not to be the last.
  [[nodiscard]] result<void> absorb(Backend& backend, mutable_byte_span chains,
                                    byte_span blocks) const noexcept {
    if (chains.size() != blocks.size() || chains.size() % cipher_block_size != 0) {
      return errc::kms_error;
    }
    for (std::size_t i = 0; i < chains.size(); ++i) chains[i] ^= blocks[i];
    return encrypt(backend, chains);
  }

  // The rest of the message, the same bytes for every lane (the concatenation of `pieces`),
  // up to and including its last block; chains then hold each lane's CMAC. An empty rest is
  // one padded block, as an empty message is.
  [[nodiscard]] result<void> finish(Backend& backend, mutable_byte_span chains,
                                    byte_pieces pieces) const noexcept {
    if (chains.empty() || chains.size() % cipher_block_size != 0) return errc::kms_error;
    std::size_t total = 0;
    for (const auto piece : pieces) total += piece.size();
    piece_reader message{pieces};
    std::array<byte, cipher_block_size> block{};
    auto done = result<void>{};
    for (std::size_t at = 0; done && (at < total || at == 0); at += cipher_block_size) {
      const std::size_t used = total - at < cipher_block_size ? total - at : cipher_block_size;
      block = {};
      message.read(block.data(), used);
      if (at + cipher_block_size >= total) mask_last(block, used);
      for (std::size_t lane = 0; lane < chains.size(); lane += cipher_block_size) {
        for (std::size_t k = 0; k < cipher_block_size; ++k) chains[lane + k] ^= block[k];
      }
      done = encrypt(backend, chains);
    }
    secure_wipe(block.data(), block.size());  // the last one holds a subkey
    return done;
  }

 private:
  using block_key = typename Backend::block_key;
  explicit cmac_key(block_key key) noexcept : key_{std::move(key)} {}

  // Reads a message given in pieces as one run of bytes.
  struct piece_reader {
    byte_pieces pieces;
    std::size_t piece = 0;
    std::size_t offset = 0;
    void read(byte* out, std::size_t count) noexcept {
      while (count > 0) {
        const auto current = pieces[piece];
        const std::size_t take = count < current.size() - offset ? count : current.size() - offset;
        if (take != 0) std::memcpy(out, current.data() + offset, take);
        out += take;
        count -= take;
        offset += take;
        if (offset == current.size()) {
          ++piece;
          offset = 0;
        }
      }
    }
  };

  // dbl: shift left by one bit; when the bit shifted out is set, add 0x87 (no branch on it).
  static void double_block(std::span<const byte, cipher_block_size> in,
                           std::span<byte, cipher_block_size> out) noexcept {
    const unsigned carry = 0U - (unsigned{in[0]} >> 7U);
    for (std::size_t k = 0; k + 1 < cipher_block_size; ++k) {
      out[k] = static_cast<byte>((unsigned{in[k]} << 1U) | (unsigned{in[k + 1]} >> 7U));
    }
    out[cipher_block_size - 1] =
        static_cast<byte>((unsigned{in[cipher_block_size - 1]} << 1U) ^ (carry & 0x87U));
  }

  block_key key_;
  secret_array<cipher_block_size> k1_;
  secret_array<cipher_block_size> k2_;
};

// CMAC of a message under a key used once (tests check it against Wycheproof).
template <block_cipher_backend Backend>
[[nodiscard]] result<void> cmac(Backend& backend, cipher_id cipher, byte_span key,
                                byte_pieces message,
                                std::span<byte, cipher_block_size> out) noexcept {
  auto keyed = cmac_key<Backend>::make(backend, cipher, key);
  if (!keyed) return keyed.error();
  for (auto& b : out) b = 0;
  auto done = keyed->finish(backend, out, message);
  if (!done) secure_wipe(out.data(), out.size());
  return done;
}

template <block_cipher_backend Backend>
class counter_kdf {
 public:
  // KMS.0101 unless key fits the cipher, out_size is 1..32 bytes and [i] || label || 0x00
  // fills whole blocks.
  [[nodiscard]] static result<counter_kdf> make(Backend& backend, cipher_id cipher, byte_span key,
                                                std::string_view label,
                                                std::size_t out_size) noexcept {
    if (key.size() != cipher_key_size(cipher) || out_size == 0 ||
        out_size > counter_kdf_max_output ||
        (counter_size + label.size() + 1) % cipher_block_size != 0) {
      return errc::kms_error;
    }
    auto keyed = cmac_key<Backend>::make(backend, cipher, key);
    if (!keyed) return keyed.error();
    counter_kdf kdf{std::move(*keyed), out_size};
    KMSCORE_TRY(kdf.absorb_prefixes(backend, as_bytes(label)));
    return kdf;
  }

  // out (exactly the size made for) = KDF(K, label, context, 8 * out.size()).
  [[nodiscard]] result<void> derive(Backend& backend, byte_span context,
                                    mutable_byte_span out) const noexcept {
    return derive_many(backend, context, context.size(), out);
  }

  // Many derivations with contexts of one size: contexts holds them back to back, and out
  // receives each output in turn (out_size bytes each). The blocks of up to
  // max_batch_derivations derivations go to the backend in one call.
  [[nodiscard]] result<void> derive_many(Backend& backend, byte_span contexts,
                                         std::size_t context_size,
                                         mutable_byte_span out) const noexcept {
    const std::size_t count = context_size == 0 ? 1 : contexts.size() / context_size;
    if (contexts.size() != count * context_size || out.size() != count * out_size_) {
      return errc::kms_error;
    }
    const std::size_t lane_bytes = lanes() * cipher_block_size;
    const auto length_bits = be32(static_cast<std::uint32_t>(8 * out_size_));
    const std::size_t tail = context_size + counter_size;
    std::array<byte, max_batch_derivations * counter_kdf_max_output> chains;
    std::array<byte, cipher_block_size> block{};
    auto derived = result<void>{};
    for (std::size_t first = 0; derived && first < count; first += max_batch_derivations) {
      const std::size_t group = std::min(max_batch_derivations, count - first);
      const auto running = mutable_byte_span{chains}.first(group * lane_bytes);
      for (std::size_t g = 0; g < group; ++g) {
        std::memcpy(running.data() + g * lane_bytes, prefix_chains_.expose().data(), lane_bytes);
      }
      // Context || [L]_32 of each derivation, block by block, its last block masked.
      for (std::size_t at = 0; derived && at < tail; at += cipher_block_size) {
        const std::size_t used = std::min(cipher_block_size, tail - at);
        for (std::size_t g = 0; g < group; ++g) {
          const byte* context = contexts.data() + (first + g) * context_size;
          const std::size_t from_context =
              at < context_size ? std::min(used, context_size - at) : 0;
          block = {};
          if (from_context != 0) std::memcpy(block.data(), context + at, from_context);
          if (used > from_context) {
            std::memcpy(block.data() + from_context,
                        length_bits.data() + (at + from_context - context_size),
                        used - from_context);
          }
          if (at + cipher_block_size >= tail) key_.mask_last(block, used);
          byte* lanes_of = running.data() + g * lane_bytes;
          for (std::size_t lane = 0; lane < lane_bytes; lane += cipher_block_size) {
            for (std::size_t k = 0; k < cipher_block_size; ++k) lanes_of[lane + k] ^= block[k];
          }
        }
        derived = key_.encrypt(backend, running);
      }
      for (std::size_t g = 0; derived && g < group; ++g) {
        std::memcpy(out.data() + (first + g) * out_size_, running.data() + g * lane_bytes,
                    out_size_);
      }
    }
    // Only what was used: the first (largest) group's lanes.
    secure_wipe(chains.data(), std::min(count, max_batch_derivations) * lane_bytes);
    secure_wipe(block.data(), block.size());
    if (!derived) secure_wipe(out.data(), out.size());
    return derived;
  }

  static constexpr std::size_t max_batch_derivations = 32;

 private:
  static constexpr std::size_t counter_size = 4;

  counter_kdf(cmac_key<Backend> key, std::size_t out_size) noexcept
      : key_{std::move(key)}, out_size_{out_size} {}

  [[nodiscard]] std::size_t lanes() const noexcept {
    return (out_size_ + cipher_block_size - 1) / cipher_block_size;
  }

  [[nodiscard]] static std::array<byte, counter_size> be32(std::uint32_t value) noexcept {
    std::array<byte, counter_size> out{};
    for (std::size_t i = 0; i < counter_size; ++i) {
      out[i] = static_cast<byte>((value >> (8U * (counter_size - 1 - i))) & 0xFFU);
    }
    return out;
  }

  // The chaining value of lane i (output block i + 1) after [i] || label || 0x00. These are
  // never a message's last blocks (Context || [L] follows), so no subkey applies.
  [[nodiscard]] result<void> absorb_prefixes(Backend& backend, byte_span label) noexcept {
    const std::size_t prefix_size = counter_size + label.size() + 1;
    const auto running = prefix_chains_.expose().first(lanes() * cipher_block_size);
    for (auto& b : running) b = 0;
    std::array<byte, counter_kdf_max_output> blocks{};
    for (std::size_t at = 0; at < prefix_size; at += cipher_block_size) {
      for (std::size_t lane = 0; lane < lanes(); ++lane) {
        const auto counter = be32(static_cast<std::uint32_t>(lane + 1));
        for (std::size_t k = 0; k < cipher_block_size; ++k) {
          const std::size_t p = at + k;
          byte b = 0;  // the separator 0x00 ends the prefix
          if (p < counter_size) {
            b = counter[p];
          } else if (p < counter_size + label.size()) {
            b = label[p - counter_size];
          }
          blocks[lane * cipher_block_size + k] = b;
        }
      }
      KMSCORE_TRY(key_.absorb(backend, running, byte_span{blocks}.first(running.size())));
    }
    return {};
  }

  cmac_key<Backend> key_;
  secret_array<counter_kdf_max_output> prefix_chains_;  // lane i at bytes 16i..16i+15
  std::size_t out_size_;
};

}  // namespace kmscore::detail
