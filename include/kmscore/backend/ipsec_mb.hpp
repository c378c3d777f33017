// kmscore/backend/ipsec_mb.hpp: AES-256-GCM from Intel's multi-buffer crypto library
// (intel-ipsec-mb 1.3, Debian 12), everything else from an inner sodium_cryptopp.
//
//   kmscore::backend::ipsec_mb backend;   // one ipsec-mb manager, set up for this CPU
//   auto sealer = kmscore::datakey_sealer<kmscore::backend::ipsec_mb>::make(backend, cmk);
//
// Every envelope seals under a fresh key: ipsec-mb's fresh-key GCM (direct API) takes ~170-190
// ns for a 64-byte DEK with 44 bytes of AAD, libsodium's ~300-350 ns. Where the manager gets no
// arch with AES-NI, AES-GCM stays sodium_cryptopp's; everything else (SM4-GCM, digests, HMAC,
// randomness, the raw block ciphers, key pairs) is sodium_cryptopp's, inherited. Optional: built
// only where libipsec-mb is found (-lIPSec_MB; CMake target kmscore::ipsec_mb, defining
// KMSCORE_HAVE_IPSEC_MB, which the tests check). Thread safety: an instance may be shared by
// threads. Only the constructor writes the manager; a GCM call (IMB_AES256_GCM_ENC(mgr, ...) is
// mgr->gcm256_enc(...), which never sees mgr) reads its function pointer and works on our stack.
// ipsec-mb's parameter checks write a process-wide error code, so sizes are checked here and that
// code never read.
#pragma once

// Without this, the header defines short compatibility macros (GCM, CBC, SHA1, ENCRYPT, ...)
// that break other code in the same translation unit (Crypto++'s GCM<> among them).
#ifndef NO_COMPAT_IMB_API_053
#define NO_COMPAT_IMB_API_053
#endif
#include <intel-ipsec-mb.h>

#include <array>
#include <cstddef>
#include <memory>
#include <string_view>

#include "../crypto.hpp"
#include "../detail/wipe.hpp"
#include "../secret.hpp"
#include "sodium_cryptopp.hpp"

namespace kmscore::backend {

// sodium_cryptopp with its AES-256-GCM replaced: every other primitive is inherited as is.
class ipsec_mb : public sodium_cryptopp {
 public:
  static constexpr std::string_view name = "ipsec_mb";

  ipsec_mb() noexcept : manager_{make_manager()} {}

  // Whether ipsec-mb serves AES-256-GCM here (false: sodium_cryptopp's GCM does).
  [[nodiscard]] bool accelerated() const noexcept { return manager_ != nullptr; }

  [[nodiscard]] result<void> aead_seal(const aead_params& params, byte_span plaintext,
                                       mutable_byte_span ciphertext,
                                       std::span<byte, gcm_tag_size> tag) noexcept {
    if (!ipsec_serves(params)) {
      return sodium_cryptopp::aead_seal(params, plaintext, ciphertext, tag);
    }
    if (!sizes_ok(params, plaintext, ciphertext)) return errc::kms_error;
    gcm_secrets secrets;
    byte empty = 0;  // ipsec-mb's checks may refuse null buffers, and a refused call does nothing
    IMB_AES256_GCM_PRE(manager_.get(), params.key.data(), &secrets.key);
    IMB_AES256_GCM_ENC(manager_.get(), &secrets.key, &secrets.context, non_null(ciphertext, empty),
                       non_null(plaintext, empty), plaintext.size(), params.nonce.data(),
                       non_null(params.aad, empty), params.aad.size(), tag.data(), tag.size());
    return {};
  }

  [[nodiscard]] result<void> aead_open(const aead_params& params, byte_span ciphertext,
                                       std::span<const byte, gcm_tag_size> tag,
                                       mutable_byte_span plaintext) noexcept {
    if (!ipsec_serves(params)) {
      return sodium_cryptopp::aead_open(params, ciphertext, tag, plaintext);
    }
    if (!sizes_ok(params, ciphertext, plaintext)) return errc::kms_error;
    gcm_secrets secrets;
    byte empty = 0;
    std::array<byte, gcm_tag_size> expected{};  // ~tag: a call ipsec-mb refused cannot match
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<byte>(~tag[i]);
    IMB_AES256_GCM_PRE(manager_.get(), params.key.data(), &secrets.key);
    IMB_AES256_GCM_DEC(manager_.get(), &secrets.key, &secrets.context, non_null(plaintext, empty),
                       non_null(ciphertext, empty), ciphertext.size(), params.nonce.data(),
                       non_null(params.aad, empty), params.aad.size(), expected.data(),
                       expected.size());
    const bool authentic = constant_time_equal(expected, tag);
    detail::secure_wipe(expected.data(), expected.size());
    // Whether the message authenticates is public by design (as in the other backends).
    if (!detail::declassify(authentic)) {
      detail::secure_wipe(plaintext.data(), plaintext.size());
      return errc::decrypt_failed;
    }
    return {};
  }

 private:
  static_assert(gcm_nonce_size == IMB_GCM_IV_DATA_LEN && gcm_tag_size == IMB_MAX_TAG_LEN &&
                aes256_key_size == IMB_GCM_256_KEY_LEN);

  // SP 800-38D's limit, as libsodium's. A call past ipsec-mb's (higher) one does nothing.
  static constexpr std::size_t max_message_size = (std::size_t{1} << 36) - 32;

  struct free_manager {
    void operator()(IMB_MGR* manager) const noexcept { free_mb_mgr(manager); }
  };
  using manager_ptr = std::unique_ptr<IMB_MGR, free_manager>;

  // A manager for the fastest arch this CPU has, or none if that arch lacks AES-NI (GCM would
  // run on ipsec-mb's software emulation of AES-NI).
  [[nodiscard]] static manager_ptr make_manager() noexcept {
    manager_ptr manager{alloc_mb_mgr(0)};
    if (manager == nullptr) return manager;
    IMB_ARCH arch = IMB_ARCH_NONE;
    init_mb_mgr_auto(manager.get(), &arch);
    if (imb_get_errno(manager.get()) != 0 || arch == IMB_ARCH_NONE || arch == IMB_ARCH_NOAESNI) {
      manager.reset();
    }
    return manager;
  }

  // The expanded key, its GHASH powers and the running GCM state of one call: on the stack,
  // wiped when the call ends, whatever the path. The assembly wants the key 64-byte aligned,
  // which the header itself only asks for when LINUX is defined.
  struct gcm_secrets {
    alignas(64) gcm_key_data key;
    gcm_context_data context;
    ~gcm_secrets() {
      detail::secure_wipe(&key, sizeof key);
      detail::secure_wipe(&context, sizeof context);
    }
  };

  [[nodiscard]] bool ipsec_serves(const aead_params& params) const noexcept {
    return params.cipher == cipher_id::aes256_gcm && manager_ != nullptr;
  }
  [[nodiscard]] static bool sizes_ok(const aead_params& params, byte_span in,
                                     mutable_byte_span out) noexcept {
    return aead_sizes_ok(params.cipher, params.key.size(), in.size(), out.size()) &&
           in.size() <= max_message_size;
  }
  [[nodiscard]] static byte* non_null(mutable_byte_span buffer, byte& empty) noexcept {
    return buffer.empty() ? &empty : buffer.data();
  }
  [[nodiscard]] static const byte* non_null(byte_span buffer, const byte& empty) noexcept {
    return buffer.empty() ? &empty : buffer.data();
  }

  manager_ptr manager_;  // null: AES-GCM stays sodium_cryptopp's (no AES-NI, or no manager)
};

static_assert(key_pair_backend<ipsec_mb>);
static_assert(block_cipher_backend<ipsec_mb>);

}  // namespace kmscore::backend
