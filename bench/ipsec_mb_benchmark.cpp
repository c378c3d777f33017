// Intel's multi-buffer crypto library (intel-ipsec-mb 1.3) on the batch path of data-key
// wrapping: per data key an HMAC-SHA-256 tag over 158 bytes under one fixed key, a fresh-key
// AES-256-GCM seal of a 64-byte DEK (44 bytes of AAD, 12-byte zero nonce), and the CMAC-AES-256
// of the counter KDF. Batches of 64 beside one HMAC at a time, so the figures show what the
// library's lanes buy. Each benchmark first checks its outputs against OpenSSL 3.
// Linked into datakey_benchmark (its main and allocation counter) and built only when
// libipsec-mb is found; this file assumes <intel-ipsec-mb.h> exists.
#include <benchmark/benchmark.h>
// Without this, the header defines short compatibility macros (GCM, CBC, SHA1, ENCRYPT, ...)
// that break other code in the same translation unit (Crypto++'s GCM<> among them).
#ifndef NO_COMPAT_IMB_API_053
#define NO_COMPAT_IMB_API_053
#endif
#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace {

using u8 = std::uint8_t;
constexpr std::size_t batch = 64;
constexpr std::size_t hmac_message_size = 158;  // the envelope bytes the tag covers
constexpr std::size_t sha256_size = 32;
constexpr std::size_t dek_size = 64;
constexpr std::size_t aad_size = 44;
constexpr std::size_t gcm_tag_size = 16;
constexpr std::size_t kdf_message_size = 68;  // [i]_32 || 27-byte label || 0x00 || salt || [L]_32

// Contents do not matter to the speed; only that every key and message differs.
void fill(u8* out, std::size_t size, std::size_t seed) {
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<u8>(seed * 131 + i * 7 + 1);
}

template <class T>
void wipe(T& secret) {
  OPENSSL_cleanse(&secret, sizeof secret);
}

const char* arch_name(IMB_ARCH arch) {
  switch (arch) {
    case IMB_ARCH_NOAESNI:
      return "noaesni";
    case IMB_ARCH_SSE:
      return "sse";
    case IMB_ARCH_AVX:
      return "avx";
    case IMB_ARCH_AVX2:
      return "avx2";
    case IMB_ARCH_AVX512:
      return "avx512";
    default:
      return "none";
  }
}

// The shared setup: a manager for the arch init_mb_mgr_auto picks, or the SSE one, named on
// the label. Without GFNI (an AMD EPYC with VAES and SHA-NI, not GFNI) auto picks AVX2
// "type 1": HMAC-SHA-256 on 8-lane AVX2 code, not SHA-NI; the SSE manager uses SHA-NI.
enum class arch_choice { automatic, sse };
class manager {
 public:
  explicit manager(benchmark::State& state, arch_choice choice = arch_choice::automatic)
      : mgr_{alloc_mb_mgr(0)} {
    IMB_ARCH arch = IMB_ARCH_NONE;
    if (mgr_ != nullptr && choice == arch_choice::automatic) init_mb_mgr_auto(mgr_, &arch);
    if (mgr_ != nullptr && choice == arch_choice::sse) {
      init_mb_mgr_sse(mgr_);
      arch = IMB_ARCH_SSE;
    }
    if (mgr_ != nullptr && (arch == IMB_ARCH_NONE || imb_get_errno(mgr_) != 0)) {
      free_mb_mgr(mgr_);
      mgr_ = nullptr;
    }
    if (mgr_ == nullptr) {
      state.SkipWithError("intel-ipsec-mb: no usable manager");
      return;
    }
    state.SetLabel(arch_name(arch));
  }
  ~manager() {
    if (mgr_ != nullptr) free_mb_mgr(mgr_);
  }
  manager(const manager&) = delete;
  manager& operator=(const manager&) = delete;

  [[nodiscard]] IMB_MGR* get() const noexcept { return mgr_; }

  // Submits `count` jobs, each filled by fill_job(job, i), then flushes. A submit returns a job
  // only once its lanes ran (a full set of buffers); flush runs the part-filled lanes. Returns
  // how many jobs completed.
  template <class Fill>
  std::size_t run(std::size_t count, Fill fill_job) {
    std::size_t completed = 0;
    const auto tally = [&](const IMB_JOB* job) {
      if (job->status == IMB_STATUS_COMPLETED) ++completed;
    };
    for (std::size_t i = 0; i < count; ++i) {
      fill_job(*IMB_GET_NEXT_JOB(mgr_), i);
      for (IMB_JOB* job = IMB_SUBMIT_JOB(mgr_); job != nullptr; job = IMB_GET_COMPLETED_JOB(mgr_)) {
        tally(job);
      }
    }
    for (IMB_JOB* job = IMB_FLUSH_JOB(mgr_); job != nullptr; job = IMB_FLUSH_JOB(mgr_)) tally(job);
    return completed;
  }

 private:
  IMB_MGR* mgr_;
};

// Items per iteration, and the allocs_per_op counter every datakey_benchmark run carries: the
// CSV reporter aborts when a run brings a counter its header (made from the first run) lacks.
// It is 0 here by construction: the timed loops only call into ipsec-mb (C, no operator new).
void report(benchmark::State& state, std::size_t per_iteration) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(per_iteration));
  state.counters["allocs_per_op"] = benchmark::Counter(0.0);
}

// ---- HMAC-SHA-256 ------------------------------------------------------------------------

struct hmac_batch {
  std::array<u8, sha256_size> key{};
  alignas(16) std::array<u8, sha256_size> ipad_state{};  // SHA-256 state after key ^ ipad
  alignas(16) std::array<u8, sha256_size> opad_state{};
  std::array<std::array<u8, hmac_message_size>, batch> messages{};
  std::array<std::array<u8, sha256_size>, batch> tags{};
};

// 1.3 has no imb_hmac_ipad_opad (added in 1.4): hash the padded key block with the library's
// one-block SHA-256, which leaves the state in the layout the HMAC jobs expect.
void precompute_pads(IMB_MGR* mgr, hmac_batch& h) {
  std::array<u8, IMB_SHA_256_BLOCK_SIZE> block{};
  const auto hash_padded_key = [&](u8 pad, u8* state) {
    block.fill(pad);
    for (std::size_t i = 0; i < h.key.size(); ++i) block[i] ^= h.key[i];
    IMB_SHA256_ONE_BLOCK(mgr, block.data(), state);
  };
  hash_padded_key(0x36, h.ipad_state.data());
  hash_padded_key(0x5c, h.opad_state.data());
  wipe(block);
}

// A hash-only job (no cipher) over one message, its tag written to `tag`.
void fill_hash_job(IMB_JOB& job, IMB_HASH_ALG algorithm, const u8* message,
                   std::size_t message_size, u8* tag, std::size_t tag_size) {
  job.cipher_mode = IMB_CIPHER_NULL;
  job.cipher_direction = IMB_DIR_ENCRYPT;
  job.chain_order = IMB_ORDER_HASH_CIPHER;
  job.hash_alg = algorithm;
  job.src = message;
  job.dst = nullptr;
  job.msg_len_to_cipher_in_bytes = 0;
  job.hash_start_src_offset_in_bytes = 0;
  job.msg_len_to_hash_in_bytes = message_size;
  job.auth_tag_output = tag;
  job.auth_tag_output_len_in_bytes = tag_size;
}

void fill_hmac_job(IMB_JOB& job, hmac_batch& h, std::size_t i) {
  fill_hash_job(job, IMB_AUTH_HMAC_SHA_256, h.messages[i].data(), hmac_message_size,
                h.tags[i].data(), sha256_size);
  job.u.HMAC._hashed_auth_key_xor_ipad = h.ipad_state.data();
  job.u.HMAC._hashed_auth_key_xor_opad = h.opad_state.data();
}

// EVP_Q_mac: HMAC (sub-algorithm a digest) or CMAC (a cipher) in one call.
bool matches_openssl_mac(const char* mac, const char* sub_algorithm, const u8* key,
                         std::size_t key_size, const u8* message, std::size_t message_size,
                         const u8* tag, std::size_t tag_size) {
  std::array<u8, EVP_MAX_MD_SIZE> expected{};
  std::size_t size = 0;
  return EVP_Q_mac(nullptr, mac, nullptr, sub_algorithm, nullptr, key, key_size, message,
                   message_size, expected.data(), expected.size(), &size) != nullptr &&
         size == tag_size && std::memcmp(expected.data(), tag, tag_size) == 0;
}

void hmac_benchmark(benchmark::State& state, std::size_t per_iteration,
                    arch_choice choice = arch_choice::automatic) {
  manager mgr{state, choice};
  if (mgr.get() == nullptr) return;
  hmac_batch h;
  fill(h.key.data(), h.key.size(), 0);
  for (std::size_t i = 0; i < batch; ++i) fill(h.messages[i].data(), hmac_message_size, i + 1);
  precompute_pads(mgr.get(), h);
  const auto job = [&h](IMB_JOB& j, std::size_t i) { fill_hmac_job(j, h, i); };

  bool ok = mgr.run(per_iteration, job) == per_iteration;
  for (std::size_t i = 0; ok && i < per_iteration; ++i) {
    ok = matches_openssl_mac("HMAC", "SHA256", h.key.data(), h.key.size(), h.messages[i].data(),
                             hmac_message_size, h.tags[i].data(), sha256_size);
  }
  if (!ok) state.SkipWithError("HMAC-SHA-256 differs from OpenSSL");
  for (auto _ : state) {
    if (mgr.run(per_iteration, job) != per_iteration) {
      state.SkipWithError("HMAC job failed");
      break;
    }
  }
  report(state, per_iteration);
  wipe(h);
}

void BM_IpsecMbHmacSha256Batch64(benchmark::State& state) { hmac_benchmark(state, batch); }
BENCHMARK(BM_IpsecMbHmacSha256Batch64);

void BM_IpsecMbHmacSha256Single(benchmark::State& state) { hmac_benchmark(state, 1); }
BENCHMARK(BM_IpsecMbHmacSha256Single);

void BM_IpsecMbHmacSha256Batch64Sse(benchmark::State& state) {
  hmac_benchmark(state, batch, arch_choice::sse);
}
BENCHMARK(BM_IpsecMbHmacSha256Batch64Sse);

// ---- AES-256-GCM under a fresh key per message ---------------------------------------------

// The library was built with gcm_key_data 64-byte aligned; the header says so only when
// LINUX is defined, so align it here whatever the build defines.
struct alignas(64) gcm_key {
  gcm_key_data data;
};

struct gcm_batch {
  std::array<std::array<u8, IMB_GCM_256_KEY_LEN>, batch> keys{};
  std::array<gcm_key, batch> expanded{};  // round keys and GHASH key powers, per message
  gcm_context_data context{};
  std::array<u8, 12> iv{};  // zero: every key seals once
  std::array<std::array<u8, dek_size>, batch> deks{};
  std::array<std::array<u8, aad_size>, batch> aads{};
  std::array<std::array<u8, dek_size>, batch> sealed{};
  std::array<std::array<u8, gcm_tag_size>, batch> tags{};
};

// GCM has no multi-buffer code in 1.3: a GCM job completes inside submit_job, one buffer at a
// time. So the direct API, without the job bookkeeping: key setup, then one seal, per key.
void gcm_seal_all(IMB_MGR* mgr, gcm_batch& g) {
  for (std::size_t i = 0; i < batch; ++i) {
    IMB_AES256_GCM_PRE(mgr, g.keys[i].data(), &g.expanded[i].data);
    IMB_AES256_GCM_ENC(mgr, &g.expanded[i].data, &g.context, g.sealed[i].data(), g.deks[i].data(),
                       dek_size, g.iv.data(), g.aads[i].data(), aad_size, g.tags[i].data(),
                       gcm_tag_size);
  }
}

bool matches_openssl_gcm(const gcm_batch& g, std::size_t i) {
  std::array<u8, dek_size> sealed{};
  std::array<u8, gcm_tag_size> tag{};
  int size = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  const bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, g.keys[i].data(), g.iv.data()) == 1 &&
      EVP_EncryptUpdate(ctx, nullptr, &size, g.aads[i].data(), static_cast<int>(aad_size)) == 1 &&
      EVP_EncryptUpdate(ctx, sealed.data(), &size, g.deks[i].data(), static_cast<int>(dek_size)) ==
          1 &&
      EVP_EncryptFinal_ex(ctx, sealed.data() + size, &size) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(gcm_tag_size), tag.data()) ==
          1;
  EVP_CIPHER_CTX_free(ctx);
  return ok && sealed == g.sealed[i] && tag == g.tags[i];
}

void BM_IpsecMbGcmFreshKeyBatch64(benchmark::State& state) {
  manager mgr{state};
  if (mgr.get() == nullptr) return;
  auto g = std::make_unique<gcm_batch>();  // 64 KiB of key schedules: not on the stack
  for (std::size_t i = 0; i < batch; ++i) {
    fill(g->keys[i].data(), IMB_GCM_256_KEY_LEN, 1000 + i);
    fill(g->deks[i].data(), dek_size, 2000 + i);
    fill(g->aads[i].data(), aad_size, 3000 + i);
  }
  gcm_seal_all(mgr.get(), *g);
  bool ok = true;
  for (std::size_t i = 0; ok && i < batch; ++i) ok = matches_openssl_gcm(*g, i);
  if (!ok) state.SkipWithError("AES-256-GCM differs from OpenSSL");
  for (auto _ : state) gcm_seal_all(mgr.get(), *g);
  report(state, batch);
  wipe(*g);
}
BENCHMARK(BM_IpsecMbGcmFreshKeyBatch64);

// ---- CMAC-AES-256 (the KDF's PRF) under one key ------------------------------------------

struct cmac_batch {
  std::array<u8, 32> key{};
  alignas(16) std::array<u8, std::size_t{16} * 15> encrypt_keys{};  // 14 rounds + 1
  alignas(16) std::array<u8, std::size_t{16} * 15> decrypt_keys{};  // keyexp writes both
  alignas(16) std::array<u8, 16> subkey1{};
  alignas(16) std::array<u8, 16> subkey2{};
  std::array<std::array<u8, kdf_message_size>, batch> messages{};
  std::array<std::array<u8, 16>, batch> tags{};
};

void fill_cmac_job(IMB_JOB& job, cmac_batch& c, std::size_t i) {
  fill_hash_job(job, IMB_AUTH_AES_CMAC_256, c.messages[i].data(), kdf_message_size,
                c.tags[i].data(), 16);
  job.u.CMAC._key_expanded = c.encrypt_keys.data();
  job.u.CMAC._skey1 = c.subkey1.data();
  job.u.CMAC._skey2 = c.subkey2.data();
}

void BM_IpsecMbAesCmacBatch64(benchmark::State& state) {
  manager mgr{state};
  if (mgr.get() == nullptr) return;
  cmac_batch c;
  fill(c.key.data(), c.key.size(), 4000);
  for (std::size_t i = 0; i < batch; ++i) fill(c.messages[i].data(), kdf_message_size, 5000 + i);
  IMB_AES_KEYEXP_256(mgr.get(), c.key.data(), c.encrypt_keys.data(), c.decrypt_keys.data());
  IMB_AES_CMAC_SUBKEY_GEN_256(mgr.get(), c.encrypt_keys.data(), c.subkey1.data(), c.subkey2.data());
  const auto job = [&c](IMB_JOB& j, std::size_t i) { fill_cmac_job(j, c, i); };

  bool ok = mgr.run(batch, job) == batch;
  for (std::size_t i = 0; ok && i < batch; ++i) {
    ok = matches_openssl_mac("CMAC", "AES-256-CBC", c.key.data(), c.key.size(),
                             c.messages[i].data(), kdf_message_size, c.tags[i].data(), 16);
  }
  if (!ok) state.SkipWithError("CMAC-AES-256 differs from OpenSSL");
  for (auto _ : state) {
    if (mgr.run(batch, job) != batch) {
      state.SkipWithError("CMAC job failed");
      break;
    }
  }
  report(state, batch);
  wipe(c);
}
BENCHMARK(BM_IpsecMbAesCmacBatch64);

}  // namespace
