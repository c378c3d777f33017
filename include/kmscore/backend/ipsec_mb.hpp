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
//
// Batches of HMAC-SHA-256 tags (hmac_keyed_many: the commit tags of create_datakeys) run as
// multi-buffer jobs, several messages in the lanes of one set of registers, on a job manager
// per thread (a job manager queues state, so threads cannot share one): the SSE manager where
// the CPU has the SHA extensions (its lanes use them; ipsec-mb 1.3's AVX2 manager does not),
// else the fastest one. Only where the library clears its lanes after each job (SAFE_DATA, as
// Debian builds it): a lane holds the key's inner and outer states, which are as good as the
// key. The manager's memory is ours, wiped when the thread ends.
#pragma once

// Without this, the header defines short compatibility macros (GCM, CBC, SHA1, ENCRYPT, ...)
// that break other code in the same translation unit (Crypto++'s GCM<> among them).
#ifndef NO_COMPAT_IMB_API_053
#define NO_COMPAT_IMB_API_053
#endif
#include <intel-ipsec-mb.h>

#include <array>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <variant>

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

  // sodium_cryptopp's keyed states, and for HMAC-SHA-256 also the inner and outer states in
  // ipsec-mb's layout (for the multi-buffer jobs), all wiped when the key goes.
  class hmac_key {  // NOLINT(bugprone-exception-escape): as the cryptopp::hmac_key it holds
    struct job_pads {
      job_pads() noexcept : inner{}, outer{} {}
      job_pads(const job_pads&) = default;
      job_pads& operator=(const job_pads&) = default;
      ~job_pads() {
        detail::secure_wipe(inner.data(), inner.size());
        detail::secure_wipe(outer.data(), outer.size());
      }
      alignas(16) std::array<byte, IMB_SHA256_DIGEST_SIZE_IN_BYTES> inner;
      alignas(16) std::array<byte, IMB_SHA256_DIGEST_SIZE_IN_BYTES> outer;
    };
    explicit hmac_key(sodium_cryptopp::hmac_key states) : states_{std::move(states)} {}
    sodium_cryptopp::hmac_key states_;
    std::variant<std::monostate, job_pads> pads_;  // monostate: no multi-buffer HMAC here
    friend class ipsec_mb;
  };

  [[nodiscard]] result<hmac_key> hmac_init(hash_id hash, byte_span key) noexcept {
    try {  // moving Crypto++'s hash states may throw in principle (never in practice)
      return make_hmac_key(hash, key);
    } catch (...) {
      return errc::kms_error;
    }
  }
  [[nodiscard]] result<void> hmac_keyed(const hmac_key& key, byte_pieces pieces,
                                        digest_out out) noexcept {
    return sodium_cryptopp::hmac_keyed(key.states_, pieces, out);
  }

  // The tags of messages under one key (tags_out: digest_size bytes per message), as HMAC jobs
  // in the lanes of this thread's job manager; without one (or for HMAC-SM3), one at a time.
  // On failure tags_out is wiped.
  [[nodiscard]] result<void> hmac_keyed_many(const hmac_key& key,
                                             std::span<const byte_span> messages,
                                             mutable_byte_span tags_out) noexcept {
    if (tags_out.size() != messages.size() * digest_size) return errc::kms_error;
    const auto* pads = std::get_if<hmac_key::job_pads>(&key.pads_);
    IMB_MGR* manager = pads == nullptr ? nullptr : job_manager();
    if (manager == nullptr) {
      return detail::hmac_keyed_each(*this, key, messages, tags_out,
                                     [](byte_span) { return true; });
    }
    std::size_t completed = 0;
    const auto tally = [&completed](const IMB_JOB* job) {
      if (job->status == IMB_STATUS_COMPLETED) ++completed;
    };
    std::size_t submitted = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (messages[i].empty()) continue;  // ipsec-mb refuses a job with nothing to hash
      ++submitted;
      IMB_JOB& job = *IMB_GET_NEXT_JOB(manager);
      job.cipher_mode = IMB_CIPHER_NULL;
      job.cipher_direction = IMB_DIR_ENCRYPT;
      job.chain_order = IMB_ORDER_HASH_CIPHER;
      job.hash_alg = IMB_AUTH_HMAC_SHA_256;
      job.src = messages[i].data();
      job.dst = nullptr;
      job.msg_len_to_cipher_in_bytes = 0;
      job.cipher_start_src_offset_in_bytes = 0;
      job.hash_start_src_offset_in_bytes = 0;
      job.msg_len_to_hash_in_bytes = messages[i].size();
      job.auth_tag_output = tags_out.data() + i * digest_size;
      job.auth_tag_output_len_in_bytes = digest_size;
      job.u.HMAC._hashed_auth_key_xor_ipad = pads->inner.data();
      job.u.HMAC._hashed_auth_key_xor_opad = pads->outer.data();
      // A submit hands back a job once its lanes have run (a full set of messages).
      for (IMB_JOB* done = IMB_SUBMIT_JOB(manager); done != nullptr;
           done = IMB_GET_COMPLETED_JOB(manager)) {
        tally(done);
      }
    }
    for (IMB_JOB* done = IMB_FLUSH_JOB(manager); done != nullptr; done = IMB_FLUSH_JOB(manager)) {
      tally(done);
    }
    // Every job is back (the manager holds none), so the empty messages may fail alone.
    result<void> tagged = completed == submitted ? result<void>{} : errc::kms_error;
    if (tagged) {
      tagged = detail::hmac_keyed_each(*this, key, messages, tags_out,
                                       [](byte_span message) { return message.empty(); });
    }
    if (!tagged) detail::secure_wipe(tags_out.data(), tags_out.size());
    return tagged;
  }

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

  [[nodiscard]] result<hmac_key> make_hmac_key(hash_id hash, byte_span key) {
    auto states = sodium_cryptopp::hmac_init(hash, key);
    if (!states) return states.error();
    hmac_key keyed{std::move(*states)};
    IMB_MGR* manager = hash == hash_id::sha256 ? job_manager() : nullptr;
    if (manager == nullptr) return keyed;
    // RFC 2104: a key longer than the block is hashed first; then each pad is one block
    // hashed without padding (1.3 has no imb_hmac_ipad_opad), which leaves the state in
    // the layout the HMAC jobs take.
    secret_array<IMB_SHA_256_BLOCK_SIZE> block;
    byte_span short_key = key;
    secret_array<digest_size> hashed;
    if (key.size() > IMB_SHA_256_BLOCK_SIZE) {
      const std::array<byte_span, 1> pieces{key};
      KMSCORE_TRY(digest(hash_id::sha256, pieces, hashed.expose()));
      short_key = hashed.expose();
    }
    auto& pads = keyed.pads_.emplace<hmac_key::job_pads>();
    const auto hash_padded_key = [&](byte pad, byte* state) {
      auto bytes = block.expose();
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<byte>(pad ^ (i < short_key.size() ? short_key[i] : byte{0}));
      }
      IMB_SHA256_ONE_BLOCK(manager, bytes.data(), state);
    };
    hash_padded_key(0x36, pads.inner.data());
    hash_padded_key(0x5c, pads.outer.data());
    return keyed;
  }
  // This thread's job manager for multi-buffer hashing, made on first use (null when none can
  // serve: no memory, an error, or a library that leaves key states in its lanes). Its memory
  // (lanes included) is wiped and freed when the thread ends.
  class thread_job_manager {
   public:
    thread_job_manager() noexcept
        : memory_{std::aligned_alloc(64, rounded(imb_get_mb_mgr_size())),
                  wipe_and_free{imb_get_mb_mgr_size()}} {
      if (memory_ == nullptr) return;
      IMB_MGR* manager = imb_set_pointers_mb_mgr(memory_.get(), 0, 1);
      if (manager == nullptr || (manager->features & IMB_FEATURE_SAFE_DATA) == 0) return;
      IMB_ARCH arch = IMB_ARCH_SSE;
      if ((manager->features & IMB_FEATURE_SHANI) != 0) {
        init_mb_mgr_sse(manager);
      } else {
        init_mb_mgr_auto(manager, &arch);
      }
      if (imb_get_errno(manager) == 0 && arch != IMB_ARCH_NONE) manager_ = manager;
    }
    [[nodiscard]] IMB_MGR* get() const noexcept { return manager_; }

   private:
    [[nodiscard]] static std::size_t rounded(std::size_t size) noexcept {
      return (size + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
    }
    struct wipe_and_free {
      std::size_t size;
      void operator()(void* memory) const noexcept {
        detail::secure_wipe(memory, size);
        std::free(memory);
      }
    };
    std::unique_ptr<void, wipe_and_free> memory_;
    IMB_MGR* manager_ = nullptr;
  };
  [[nodiscard]] static IMB_MGR* job_manager() noexcept {
    thread_local const thread_job_manager manager;
    return manager.get();
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
static_assert(batch_hmac_backend<ipsec_mb>);
static_assert(block_cipher_backend<ipsec_mb>);

}  // namespace kmscore::backend
