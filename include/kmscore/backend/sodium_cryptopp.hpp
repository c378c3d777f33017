// kmscore/backend/sodium_cryptopp.hpp: libsodium and Crypto++ together, each primitive from the library
// that is fastest at it on x86-64, and randomness drawn in batches.
//
//   kmscore::backend::sodium_cryptopp backend;
//   auto sealer = kmscore::datakey_sealer<kmscore::backend::sodium_cryptopp>::make(backend, cmk);
//
// AES-256-GCM from libsodium (AES-NI + PCLMUL; Crypto++ when the CPU lacks them), SM4-GCM,
// SHA-256, SM3 and HMAC from Crypto++ (its SHA-256 uses the SHA extensions; libsodium
// 1.0.18's does not), key pairs from Crypto++. Random bytes come from a per-thread buffer
// refilled 4 KiB at a time: ChaCha20 keystream under a fresh 256-bit seed from the OS. The
// buffer holds future key material, so every byte handed out is wiped from it at once, the
// whole buffer is wiped at thread exit, and a fork discards it in the child
// (pthread_atfork), so parent and child never share a stream. Thread safety: an instance
// may be shared by threads.
#pragma once

#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "cryptopp.hpp"
#include "sodium.hpp"

namespace kmscore::backend {

namespace detail {

// Bumped in every child process after fork(): per-thread buffers filled before are stale.
inline std::atomic<std::uint64_t>& fork_generation() noexcept {
  static std::atomic<std::uint64_t> generation{1};
  static const bool registered = [] {
    return pthread_atfork(nullptr, nullptr, [] { fork_generation().fetch_add(1); }) == 0;
  }();
  (void)registered;
  return generation;
}

class random_buffer {
 public:
  static constexpr std::size_t capacity = 4096;

  random_buffer() noexcept = default;
  random_buffer(const random_buffer&) = delete;
  random_buffer& operator=(const random_buffer&) = delete;
  ~random_buffer() { kmscore::detail::secure_wipe(bytes_.data(), bytes_.size()); }

  // Copies out.size() fresh bytes, wiping them from the buffer.
  void take(mutable_byte_span out) noexcept {
    const auto generation = fork_generation().load(std::memory_order_relaxed);
    if (generation != generation_) {
      kmscore::detail::secure_wipe(bytes_.data(), bytes_.size());
      used_ = capacity;
      generation_ = generation;
    }
    if (out.size() > capacity) {  // large requests bypass the buffer
      randombytes_buf(out.data(), out.size());
      return;
    }
    if (capacity - used_ < out.size()) refill();
    std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(used_), out.size(), out.begin());
    kmscore::detail::secure_wipe(bytes_.data() + used_, out.size());
    used_ += out.size();
  }

 private:
  // A fresh 256-bit seed from the operating system (libsodium's randombytes_buf), expanded
  // with ChaCha20 (randombytes_buf_deterministic): one system call per 4 KiB instead of one
  // per request, the construction of OpenBSD's arc4random. The seed is wiped at once.
  void refill() noexcept {
    std::array<byte, randombytes_SEEDBYTES> seed{};
    randombytes_buf(seed.data(), seed.size());
    randombytes_buf_deterministic(bytes_.data(), bytes_.size(), seed.data());
    kmscore::detail::secure_wipe(seed.data(), seed.size());
    used_ = 0;
  }

  std::array<byte, capacity> bytes_{};
  std::size_t used_ = capacity;
  std::uint64_t generation_ = 0;
};

}  // namespace detail

class sodium_cryptopp {
 public:
  static constexpr std::string_view name = "sodium_cryptopp";
  using hmac_key = cryptopp::hmac_key;

  [[nodiscard]] bool supports(envelope_suite suite) const noexcept {
    return cryptopp_.supports(suite);
  }
  [[nodiscard]] bool supports(hash_id hash) const noexcept { return cryptopp_.supports(hash); }

  [[nodiscard]] result<void> random_bytes(mutable_byte_span out) noexcept {
    if (!sodium_.ready()) return errc::kms_error;
    thread_local detail::random_buffer buffer;
    buffer.take(out);
    return {};
  }

  [[nodiscard]] result<void> digest(hash_id hash, byte_pieces pieces, digest_out out) noexcept {
    return cryptopp_.digest(hash, pieces, out);
  }
  [[nodiscard]] result<hmac_key> hmac_init(hash_id hash, byte_span key) noexcept {
    return cryptopp_.hmac_init(hash, key);
  }
  [[nodiscard]] result<void> hmac_keyed(const hmac_key& key, byte_pieces pieces,
                                        digest_out out) noexcept {
    return cryptopp_.hmac_keyed(key, pieces, out);
  }

  [[nodiscard]] result<void> aead_seal(const aead_params& params, byte_span plaintext,
                                       mutable_byte_span ciphertext,
                                       std::span<byte, gcm_tag_size> tag) noexcept {
    return sodium_serves(params) ? sodium_.aead_seal(params, plaintext, ciphertext, tag)
                                 : cryptopp_.aead_seal(params, plaintext, ciphertext, tag);
  }
  [[nodiscard]] result<void> aead_open(const aead_params& params, byte_span ciphertext,
                                       std::span<const byte, gcm_tag_size> tag,
                                       mutable_byte_span plaintext) noexcept {
    return sodium_serves(params) ? sodium_.aead_open(params, ciphertext, tag, plaintext)
                                 : cryptopp_.aead_open(params, ciphertext, tag, plaintext);
  }

  [[nodiscard]] result<key_pair> generate_key_pair(key_spec spec) noexcept {
    return cryptopp_.generate_key_pair(spec);
  }

 private:
  [[nodiscard]] bool sodium_serves(const aead_params& params) const noexcept {
    return params.cipher == cipher_id::aes256_gcm && aes_ni_;
  }

  sodium sodium_;
  cryptopp cryptopp_;
  bool aes_ni_ = sodium_.supports(envelope_suite::aes256_gcm_hmac_sha256);
};

static_assert(key_pair_backend<sodium_cryptopp>);

}  // namespace kmscore::backend
