// Data-key throughput (issue: "DEK throughput"): kmscore per backend beside what a user would
// write by hand on libsodium, Crypto++ and OpenSSL ("naive"), and beside the bare primitives
// of the AES suite ("floor"), all in one binary so every figure is a ratio from one run.
// Every benchmark checks a correct result before timing. scripts/bench prints the table.
#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#ifdef KMSCORE_HAVE_IPSEC_MB
#include <kmscore/backend/ipsec_mb.hpp>
#endif
#include <kmscore/backend/sodium.hpp>
#include <kmscore/backend/sodium_cryptopp.hpp>
#include <kmscore/detail/counter_kdf.hpp>
#include <kmscore/kmscore.hpp>

#include <benchmark/benchmark.h>
#include <cryptopp/gcm.h>
#include <cryptopp/osrng.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

// ---- allocation counter ------------------------------------------------------------------
namespace {
std::atomic<std::size_t> allocations{0};
}
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc{};
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using kmscore::byte;
constexpr const char* key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

kmscore::master_key make_cmk(kmscore::key_spec spec = kmscore::key_spec::aes_256) {
  kmscore::master_key cmk;
  cmk.key_id = *kmscore::key_id::parse(key_id);
  cmk.spec = spec;
  cmk.material_versions.emplace_back(
      std::vector<byte>(kmscore::spec_policy(spec).material_size, 0x5A));
  return cmk;
}

kmscore::create_datakey_params params_for(std::size_t bits) {
  kmscore::create_datakey_request request;
  request.key_id = key_id;
  request.datakey_length = std::to_string(bits);
  return *kmscore::validate(request);
}

// sodium_cryptopp without its raw block cipher: the same primitives, sealing version 16
// (HKDF-derived keys) instead of 18 (CMAC counter KDF), so one run shows what 18 gives.
class sodium_cryptopp_hkdf {
 public:
  static constexpr std::string_view name = "sodium_cryptopp_hkdf";
  using hmac_key = kmscore::backend::sodium_cryptopp::hmac_key;
  [[nodiscard]] bool supports(kmscore::envelope_suite suite) const noexcept {
    return inner_.supports(suite);
  }
  [[nodiscard]] bool supports(kmscore::hash_id hash) const noexcept {
    return inner_.supports(hash);
  }
  [[nodiscard]] kmscore::result<void> random_bytes(kmscore::mutable_byte_span out) noexcept {
    return inner_.random_bytes(out);
  }
  [[nodiscard]] kmscore::result<void> digest(kmscore::hash_id hash, kmscore::byte_pieces pieces,
                                             kmscore::digest_out out) noexcept {
    return inner_.digest(hash, pieces, out);
  }
  [[nodiscard]] kmscore::result<hmac_key> hmac_init(kmscore::hash_id hash,
                                                    kmscore::byte_span key) noexcept {
    return inner_.hmac_init(hash, key);
  }
  [[nodiscard]] kmscore::result<void> hmac_keyed(const hmac_key& key, kmscore::byte_pieces pieces,
                                                 kmscore::digest_out out) noexcept {
    return inner_.hmac_keyed(key, pieces, out);
  }
  [[nodiscard]] kmscore::result<void> aead_seal(
      const kmscore::aead_params& params, kmscore::byte_span in, kmscore::mutable_byte_span out,
      std::span<byte, kmscore::gcm_tag_size> tag) noexcept {
    return inner_.aead_seal(params, in, out, tag);
  }
  [[nodiscard]] kmscore::result<void> aead_open(const kmscore::aead_params& params,
                                                kmscore::byte_span in,
                                                std::span<const byte, kmscore::gcm_tag_size> tag,
                                                kmscore::mutable_byte_span out) noexcept {
    return inner_.aead_open(params, in, tag, out);
  }

 private:
  kmscore::backend::sodium_cryptopp inner_;
};
static_assert(kmscore::crypto_backend<sodium_cryptopp_hkdf> &&
              !kmscore::block_cipher_backend<sodium_cryptopp_hkdf>);

// The hex a user writes: a 16-entry table (fine for them; kmscore's is table-free).
void table_hex(kmscore::byte_span in, char* out) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (const byte b : in) {
    *out++ = digits[b >> 4U];
    *out++ = digits[b & 15U];
  }
}

void fail(benchmark::State& state, const char* what) { state.SkipWithError(what); }

// Heap allocations per iteration of the timed loop, reported by every benchmark (the CSV
// reporter needs the same counters in every run).
class allocation_meter {
 public:
  explicit allocation_meter(benchmark::State& state) : state_{state}, before_{allocations.load()} {}
  allocation_meter(const allocation_meter&) = delete;
  allocation_meter& operator=(const allocation_meter&) = delete;
  ~allocation_meter() {
    const auto iterations = static_cast<double>(state_.iterations());
    state_.counters["allocs_per_op"] = benchmark::Counter(
        iterations > 0 ? static_cast<double>(allocations.load() - before_) / iterations : 0.0);
  }

 private:
  benchmark::State& state_;
  std::size_t before_;
};

// ---- kmscore -------------------------------------------------------------------------------

template <class Backend>
void BM_KmscoreCreateDatakey(benchmark::State& state) {
  Backend backend;
  const auto cmk = make_cmk();
  const auto params = params_for(static_cast<std::size_t>(state.range(0)));
  auto sealer = kmscore::datakey_sealer<Backend>::make(backend, cmk);
  if (!sealer) return fail(state, "sealer");
  {  // correct before timed: the data key opens again
    const auto made = sealer->create(params.size(), params.context());
    kmscore::decrypt_datakey_request request{
        key_id, std::string{made->cipher_text()}, std::to_string(params.size().bytes()), {}, {}};
    const auto opened = kmscore::decrypt_datakey(backend, cmk, *kmscore::validate(request));
    if (!opened || opened->expose_data_key() != made->expose_plain_text()) {
      return fail(state, "round trip");
    }
  }
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto made = sealer->create(params.size(), params.context());
    benchmark::DoNotOptimize(made);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakey, kmscore::backend::sodium_cryptopp)
    ->Arg(128)
    ->Arg(512)
    ->Arg(8192)
    ->ThreadRange(1, 2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakey, sodium_cryptopp_hkdf)->Arg(512);
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakey, kmscore::backend::sodium)
    ->Arg(128)
    ->Arg(512)
    ->Arg(8192);
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakey, kmscore::backend::cryptopp)
    ->Arg(128)
    ->Arg(512)
    ->Arg(8192);

// SM4 CMKs (version 17: Crypto++'s SM4 is table-based, so 19 is not sealed; docs/envelope.md).
template <class Backend>
void BM_KmscoreCreateDatakeySm4(benchmark::State& state) {
  Backend backend;
  const auto cmk = make_cmk(kmscore::key_spec::sm4);
  const auto params = params_for(512);
  auto sealer = kmscore::datakey_sealer<Backend>::make(backend, cmk);
  if (!sealer || !sealer->create(params.size(), params.context())) return fail(state, "sealer");
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto made = sealer->create(params.size(), params.context());
    benchmark::DoNotOptimize(made);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakeySm4, kmscore::backend::sodium_cryptopp);

// create_datakey including the per-CMK key derivation (no cached sealer).
void BM_KmscoreCreateDatakeyUncached(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  const auto cmk = make_cmk();
  const auto params = params_for(512);
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto made = kmscore::create_datakey(backend, cmk, params);
    benchmark::DoNotOptimize(made);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KmscoreCreateDatakeyUncached);

template <class Backend>
void BM_KmscoreCreateDatakeyBatch(benchmark::State& state) {
  Backend backend;
  const auto cmk = make_cmk();
  const auto params = params_for(512);
  auto sealer = kmscore::datakey_sealer<Backend>::make(backend, cmk);
  const auto count = static_cast<std::size_t>(state.range(0));
  if (!sealer || sealer->create_many(params.size(), params.context(), count)->size() != count)
    return fail(state, "batch");
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto made = sealer->create_many(params.size(), params.context(), count);
    benchmark::DoNotOptimize(made);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakeyBatch, kmscore::backend::sodium_cryptopp)->Arg(64);

// The caller-buffer path, hex included, counting heap allocations per data key.
template <class Backend>
void BM_KmscoreCreateDatakeyInto(benchmark::State& state) {
  Backend backend;
  const auto cmk = make_cmk();
  auto sealer = kmscore::datakey_sealer<Backend>::make(backend, cmk);
  const kmscore::encryption_context context;
  std::array<byte, 64> dek{};
  std::array<byte, 188> envelope{};
  std::array<char, 128> dek_hex{};
  std::array<char, 376> envelope_hex{};
  if (!sealer || !sealer->create_into(dek, context, envelope)) return fail(state, "sealer");
  const allocation_meter meter{state};
  for (auto _ : state) {
    if (!sealer->create_into(dek, context, envelope)) return fail(state, "create_into");
    (void)kmscore::hex_encode(dek, dek_hex);
    (void)kmscore::hex_encode(envelope, envelope_hex);
    benchmark::DoNotOptimize(envelope_hex.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakeyInto, kmscore::backend::sodium_cryptopp);
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakeyInto, kmscore::backend::sodium);

kmscore::decrypt_datakey_request decrypt_request_for(std::string_view cipher_text) {
  return kmscore::decrypt_datakey_request{key_id, std::string{cipher_text}, "64", {}, {}, false};
}

// decrypt-datakey with its CMK's keys derived on every call (no cache).
void BM_KmscoreDecryptDatakeyUncached(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  const auto cmk = make_cmk();
  const auto made = kmscore::create_datakey(backend, cmk, params_for(512));
  const auto params = *kmscore::validate(decrypt_request_for(made->cipher_text()));
  if (!kmscore::decrypt_datakey(backend, cmk, params)) return fail(state, "decrypt");
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto opened = kmscore::decrypt_datakey(backend, cmk, params);
    benchmark::DoNotOptimize(opened);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KmscoreDecryptDatakeyUncached);

// decrypt-datakey as the server runs it with its key_cache: the request validated (hex of the
// envelope decoded and parsed), opened with the CMK's keys derived once, DEK and its digest
// returned as hex.
template <class Backend>
void BM_KmscoreDecryptDatakey(benchmark::State& state) {
  using backend_type = Backend;
  backend_type backend;
  const auto cmk = make_cmk();
  const auto made = kmscore::create_datakey(backend, cmk, params_for(512));
  const auto request = decrypt_request_for(made->cipher_text());
  const auto opener = kmscore::datakey_opener<backend_type>::make_derived(backend, cmk);
  if (!opener) return fail(state, "opener");
  {
    const auto opened =
        kmscore::decrypt_datakey_with(backend, cmk, *opener, *kmscore::validate(request));
    if (!opened || opened->expose_data_key() != made->expose_plain_text()) {
      return fail(state, "decrypt");
    }
  }
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto params = kmscore::validate(request);
    auto opened = kmscore::decrypt_datakey_with(backend, cmk, *opener, *params);
    benchmark::DoNotOptimize(opened);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_KmscoreDecryptDatakey, kmscore::backend::sodium_cryptopp);

#ifdef KMSCORE_HAVE_IPSEC_MB
// The same paths with AES-256-GCM from Intel's multi-buffer library (backend::ipsec_mb).
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakey, kmscore::backend::ipsec_mb)
    ->Arg(512)
    ->ThreadRange(1, 2)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakeyBatch, kmscore::backend::ipsec_mb)->Arg(64);
BENCHMARK_TEMPLATE(BM_KmscoreDecryptDatakey, kmscore::backend::ipsec_mb);
#endif

void BM_KmscoreCreateKey(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  const auto spec = static_cast<kmscore::key_spec>(state.range(0));
  kmscore::create_key_request request;
  request.key_alias = "bench";
  request.key_spec = std::string{kmscore::to_string(spec)};
  const auto params = *kmscore::validate(request);
  if (!kmscore::create_key(backend, params, "b168fe00ff56492495a7d22974df2d0b", 0)) {
    return fail(state, "create_key");
  }
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto record = kmscore::create_key(backend, params, "b168fe00ff56492495a7d22974df2d0b", 0);
    benchmark::DoNotOptimize(record);
  }
  state.SetLabel(std::string{kmscore::to_string(spec)});
}
BENCHMARK(BM_KmscoreCreateKey)->DenseRange(0, 7)->Unit(benchmark::kMicrosecond)->Iterations(5);

void BM_KmscoreValidateCreateDatakey(benchmark::State& state) {
  kmscore::create_datakey_request request;
  request.key_id = key_id;
  request.datakey_length = "512";
  if (!kmscore::validate(request)) return fail(state, "validate");
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto params = kmscore::validate(request);
    benchmark::DoNotOptimize(params);
  }
}
BENCHMARK(BM_KmscoreValidateCreateDatakey);

// The validation half of decrypt-datakey: key_id, hex of the envelope decoded and parsed.
void BM_KmscoreValidateDecryptDatakey(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  const auto made = kmscore::create_datakey(backend, make_cmk(), params_for(512));
  const auto request = decrypt_request_for(made->cipher_text());
  if (!kmscore::validate(request)) return fail(state, "validate");
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto params = kmscore::validate(request);
    benchmark::DoNotOptimize(params);
  }
}
BENCHMARK(BM_KmscoreValidateDecryptDatakey);

void BM_KmscoreValidateAlias(benchmark::State& state) {
  const std::string alias(255, 'a');
  if (!kmscore::check_key_alias(alias)) return fail(state, "alias");
  const allocation_meter meter{state};
  for (auto _ : state) benchmark::DoNotOptimize(kmscore::check_key_alias(alias));
}
BENCHMARK(BM_KmscoreValidateAlias);

void BM_KmscoreEnvelopeParse(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  const auto cmk = make_cmk();
  const auto made = kmscore::create_datakey(backend, cmk, params_for(512));
  std::vector<byte> blob(188);
  if (!kmscore::hex_decode(made->cipher_text(), blob) || !kmscore::parse_envelope(blob)) {
    return fail(state, "parse");
  }
  const allocation_meter meter{state};
  for (auto _ : state) benchmark::DoNotOptimize(kmscore::parse_envelope(blob));
}
BENCHMARK(BM_KmscoreEnvelopeParse);

// ---- naive: what a user writes by hand (64-byte DEK, 12-byte nonce, AES-256-GCM under the
// fixed pre-keyed CMK, uppercase hex of DEK and blob) ------------------------------------------

struct naive_output {
  std::array<byte, 64> dek{};
  std::array<byte, 12 + 64 + 16> blob{};  // nonce || ciphertext || tag
  std::array<char, 128> dek_hex{};
  std::array<char, std::size_t{2} * (12 + 64 + 16)> blob_hex{};
  void hex() {
    table_hex(dek, dek_hex.data());
    table_hex(blob, blob_hex.data());
  }
};

void BM_NaiveSodium(benchmark::State& state) {
  if (sodium_init() < 0 || crypto_aead_aes256gcm_is_available() == 0) return fail(state, "aes-ni");
  const std::array<byte, 32> cmk{0x5A};
  crypto_aead_aes256gcm_state keyed;
  crypto_aead_aes256gcm_beforenm(&keyed, cmk.data());
  naive_output out;
  auto wrap = [&] {
    randombytes_buf(out.dek.data(), out.dek.size());
    randombytes_buf(out.blob.data(), 12);
    crypto_aead_aes256gcm_encrypt_detached_afternm(out.blob.data() + 12, out.blob.data() + 76,
                                                   nullptr, out.dek.data(), 64, nullptr, 0, nullptr,
                                                   out.blob.data(), &keyed);
    out.hex();
  };
  wrap();
  std::array<byte, 64> check{};
  if (crypto_aead_aes256gcm_decrypt_detached_afternm(check.data(), nullptr, out.blob.data() + 12,
                                                     64, out.blob.data() + 76, nullptr, 0,
                                                     out.blob.data(), &keyed) != 0 ||
      check != out.dek) {
    return fail(state, "naive sodium");
  }
  const allocation_meter meter{state};
  for (auto _ : state) {
    wrap();
    benchmark::DoNotOptimize(out.blob_hex.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NaiveSodium);

void BM_NaiveCryptopp(benchmark::State& state) {
  CryptoPP::AutoSeededRandomPool rng;
  const std::array<byte, 32> cmk{0x5A};
  CryptoPP::GCM<CryptoPP::AES>::Encryption gcm;
  const std::array<byte, 12> first_iv{};
  gcm.SetKeyWithIV(cmk.data(), cmk.size(), first_iv.data(), first_iv.size());
  naive_output out;
  auto wrap = [&] {
    rng.GenerateBlock(out.dek.data(), out.dek.size());
    rng.GenerateBlock(out.blob.data(), 12);
    gcm.EncryptAndAuthenticate(out.blob.data() + 12, out.blob.data() + 76, 16, out.blob.data(), 12,
                               nullptr, 0, out.dek.data(), 64);
    out.hex();
  };
  wrap();
  CryptoPP::GCM<CryptoPP::AES>::Decryption check_gcm;
  check_gcm.SetKeyWithIV(cmk.data(), cmk.size(), first_iv.data(), first_iv.size());
  std::array<byte, 64> check{};
  if (!check_gcm.DecryptAndVerify(check.data(), out.blob.data() + 76, 16, out.blob.data(), 12,
                                  nullptr, 0, out.blob.data() + 12, 64) ||
      check != out.dek) {
    return fail(state, "naive cryptopp");
  }
  const allocation_meter meter{state};
  for (auto _ : state) {
    wrap();
    benchmark::DoNotOptimize(out.blob_hex.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NaiveCryptopp);

// The naive open a user writes beside that wrap: hex-decode the blob, GCM-open it under the
// pre-keyed CMK, hex of the DEK.
bool naive_unhex(const char* text, std::size_t bytes, byte* out) {
  const auto nibble = [](char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;  // a user's decoder: digits, letters
  };
  for (std::size_t i = 0; i < bytes; ++i) {
    const int high = nibble(text[2 * i]);
    const int low = nibble(text[2 * i + 1]);
    if (high < 0 || high > 15 || low < 0 || low > 15) return false;
    out[i] = static_cast<byte>(high * 16 + low);
  }
  return true;
}

void BM_NaiveCryptoppOpen(benchmark::State& state) {
  CryptoPP::AutoSeededRandomPool rng;
  const std::array<byte, 32> cmk{0x5A};
  const std::array<byte, 12> first_iv{};
  naive_output sealed;
  rng.GenerateBlock(sealed.dek.data(), sealed.dek.size());
  rng.GenerateBlock(sealed.blob.data(), 12);
  CryptoPP::GCM<CryptoPP::AES>::Encryption seal;
  seal.SetKeyWithIV(cmk.data(), cmk.size(), first_iv.data(), first_iv.size());
  seal.EncryptAndAuthenticate(sealed.blob.data() + 12, sealed.blob.data() + 76, 16,
                              sealed.blob.data(), 12, nullptr, 0, sealed.dek.data(), 64);
  sealed.hex();
  CryptoPP::GCM<CryptoPP::AES>::Decryption gcm;
  gcm.SetKeyWithIV(cmk.data(), cmk.size(), first_iv.data(), first_iv.size());
  naive_output out;
  auto open = [&] {
    return naive_unhex(sealed.blob_hex.data(), out.blob.size(), out.blob.data()) &&
           gcm.DecryptAndVerify(out.dek.data(), out.blob.data() + 76, 16, out.blob.data(), 12,
                                nullptr, 0, out.blob.data() + 12, 64) &&
           (table_hex(out.dek, out.dek_hex.data()), true);
  };
  if (!open() || out.dek != sealed.dek) return fail(state, "naive open");
  const allocation_meter meter{state};
  for (auto _ : state) {
    if (!open()) return fail(state, "naive open");
    benchmark::DoNotOptimize(out.dek_hex.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NaiveCryptoppOpen);

void BM_NaiveOpenssl(benchmark::State& state) {
  const std::array<byte, 32> cmk{0x5A};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, cmk.data(), nullptr);
  naive_output out;
  auto wrap = [&] {
    int n = 0;
    RAND_bytes(out.dek.data(), 64);
    RAND_bytes(out.blob.data(), 12);
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, out.blob.data());
    EVP_EncryptUpdate(ctx, out.blob.data() + 12, &n, out.dek.data(), 64);
    EVP_EncryptFinal_ex(ctx, out.blob.data() + 12 + n, &n);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.blob.data() + 76);
    out.hex();
  };
  wrap();
  EVP_CIPHER_CTX* check_ctx = EVP_CIPHER_CTX_new();
  std::array<byte, 64> check{};
  int n = 0;
  const bool ok =
      EVP_DecryptInit_ex(check_ctx, EVP_aes_256_gcm(), nullptr, cmk.data(), out.blob.data()) &&
      EVP_DecryptUpdate(check_ctx, check.data(), &n, out.blob.data() + 12, 64) &&
      EVP_CIPHER_CTX_ctrl(check_ctx, EVP_CTRL_GCM_SET_TAG, 16, out.blob.data() + 76) &&
      EVP_DecryptFinal_ex(check_ctx, check.data() + n, &n) && check == out.dek;
  EVP_CIPHER_CTX_free(check_ctx);
  if (!ok) {
    EVP_CIPHER_CTX_free(ctx);
    return fail(state, "naive openssl");
  }
  const allocation_meter meter{state};
  for (auto _ : state) {
    wrap();
    benchmark::DoNotOptimize(out.blob_hex.data());
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NaiveOpenssl);

// ---- floor: the AES suite's steps by the library calls performance-facts.md names, nothing
// around them: RNG from a per-thread buffer (ChaCha20 under an OS seed), the CMAC counter KDF
// by Crypto++ AES block calls on a pre-expanded key, libsodium's GCM with a fresh key
// (beforenm + afternm), HMAC from precomputed pads through Crypto++'s SHA-NI Transform, SIMD
// hex. Version 16's floor has HKDF-Expand (one HMAC of 37 bytes) in place of the CMAC KDF. ---

constexpr std::string_view wrap_label = "kmscore/v18/AES-GCM/wrapkey";

// The wrap key of version 18 by raw Crypto++ calls: CMAC's subkey and the chaining values
// after [i] || label || 0x00 are made once; per salt, both output blocks take three AES
// calls side by side. Checked against kmscore's counter_kdf before use.
class library_cmac_kdf {
 public:
  explicit library_cmac_kdf(kmscore::byte_span cmk) {
    aes_.SetKey(cmk.data(), cmk.size());
    std::array<byte, 16> l{};
    aes_.ProcessBlock(l.data());
    std::array<byte, 16> k1{};
    std::array<byte, 16> k2{};
    const auto dbl = [](const std::array<byte, 16>& in, std::array<byte, 16>& out) {
      for (std::size_t k = 0; k < 16; ++k) {
        out[k] = static_cast<byte>((unsigned{in[k]} << 1U) |
                                   (k + 1 < 16 ? unsigned{in[k + 1]} >> 7U : 0U));
      }
      if ((unsigned{in[0]} & 0x80U) != 0) out[15] = static_cast<byte>(out[15] ^ 0x87U);
    };
    dbl(l, k1);
    dbl(k1, k2);
    // [L]_32 = 256 bits, padded 10*, masked with K2: the last block, the same for every salt.
    final_ = {0x00, 0x00, 0x01, 0x00, 0x80};
    for (std::size_t k = 0; k < 16; ++k) final_[k] ^= k2[k];
    for (std::size_t lane = 0; lane < 2; ++lane) {
      std::array<byte, 32> prefix{};
      prefix[3] = static_cast<byte>(lane + 1);
      std::copy(wrap_label.begin(), wrap_label.end(), prefix.begin() + 4);
      auto* chain = chains_.data() + 16 * lane;
      for (std::size_t k = 0; k < 16; ++k) chain[k] = prefix[k];
      aes_.ProcessBlock(chain);
      for (std::size_t k = 0; k < 16; ++k) chain[k] ^= prefix[16 + k];
      aes_.ProcessBlock(chain);
    }
  }
  void derive(kmscore::byte_span salt, std::span<byte, 32> out) const {
    std::array<byte, 32> lanes = chains_;
    for (std::size_t step = 0; step < 3; ++step) {
      for (std::size_t k = 0; k < 32; ++k) {
        lanes[k] ^= step < 2 ? salt[16 * step + k % 16] : final_[k % 16];
      }
      aes_.AdvancedProcessBlocks(lanes.data(), nullptr, lanes.data(), lanes.size(),
                                 CryptoPP::BlockTransformation::BT_AllowParallel);
    }
    std::copy(lanes.begin(), lanes.end(), out.begin());
  }

 private:
  CryptoPP::AES::Encryption aes_;
  std::array<byte, 32> chains_{};
  std::array<byte, 16> final_{};
};

bool library_kdf_matches_kmscore(const library_cmac_kdf& library, kmscore::byte_span cmk) {
  kmscore::backend::cryptopp cryptopp;
  const auto ours = kmscore::detail::counter_kdf<kmscore::backend::cryptopp>::make(
      cryptopp, kmscore::cipher_id::aes256_gcm, cmk, wrap_label, 32);
  std::array<byte, 32> salt{};
  for (std::size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<byte>(i * 5);
  std::array<byte, 32> expected{};
  std::array<byte, 32> derived{};
  library.derive(salt, derived);
  return ours && ours->derive(cryptopp, salt, expected) && derived == expected;
}

// One floor wrap, the wrap key from derive_wrap_key(salt, key): everything but the KDF is the
// same in versions 16 and 18.
template <class DeriveWrapKey>
void floor_wrap(benchmark::State& state, DeriveWrapKey&& derive_wrap_key) {
  kmscore::backend::sodium_cryptopp backend;
  kmscore::backend::cryptopp cryptopp;
  const std::array<byte, 32> commit{2};
  auto commit_key = *cryptopp.hmac_init(kmscore::hash_id::sha256, commit);
  std::array<byte, 96> drawn{};
  std::array<byte, 188> blob{};
  std::array<byte, 32> wrap_key{};
  std::array<char, 128> dek_hex{};
  std::array<char, 376> blob_hex{};
  const std::array<byte, 12> nonce{};
  const std::array<byte, 2> empty_context{};
  crypto_aead_aes256gcm_state gcm;
  const allocation_meter meter{state};
  for (auto _ : state) {
    (void)backend.random_bytes(drawn);  // DEK || salt
    const auto salt = kmscore::byte_span{drawn}.last(32);
    derive_wrap_key(salt, wrap_key);
    std::copy(salt.begin(), salt.end(), blob.begin() + 4);
    std::array<byte, 44> aad{};
    std::copy(blob.begin() + 116, blob.begin() + 156, aad.begin() + 4);
    crypto_aead_aes256gcm_beforenm(&gcm, wrap_key.data());
    crypto_aead_aes256gcm_encrypt_detached_afternm(blob.data() + 36, blob.data() + 100, nullptr,
                                                   drawn.data(), 64, aad.data(), aad.size(),
                                                   nullptr, nonce.data(), &gcm);
    const std::array<kmscore::byte_span, 2> tagged{kmscore::byte_span{blob}.first(156),
                                                   empty_context};
    (void)cryptopp.hmac_keyed(commit_key, tagged, std::span<byte, 32>{blob.data() + 156, 32});
    (void)kmscore::hex_encode(kmscore::byte_span{drawn}.first(64), dek_hex);
    (void)kmscore::hex_encode(blob, blob_hex);
    benchmark::DoNotOptimize(blob_hex.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_FloorAesSuite(benchmark::State& state) {  // version 18: the CMAC counter KDF
  const std::array<byte, 32> cmk{5};
  const library_cmac_kdf kdf{cmk};
  if (!library_kdf_matches_kmscore(kdf, cmk)) return fail(state, "kdf");
  floor_wrap(state,
             [&](kmscore::byte_span salt, std::span<byte, 32> key) { kdf.derive(salt, key); });
}
BENCHMARK(BM_FloorAesSuite);

void BM_FloorAesSuiteHkdf(benchmark::State& state) {  // version 16: HKDF-Expand
  kmscore::backend::cryptopp cryptopp;
  const std::array<byte, 32> prk{1};
  const auto prk_key = *cryptopp.hmac_init(kmscore::hash_id::sha256, prk);
  const std::array<byte, 4> hkdf_wrap_label{'w', 'r', 'a', 'p'};
  const std::array<byte, 1> one{1};
  floor_wrap(state, [&](kmscore::byte_span salt, std::span<byte, 32> key) {
    const std::array<kmscore::byte_span, 3> info{hkdf_wrap_label, salt, one};
    (void)cryptopp.hmac_keyed(prk_key, info, key);
  });
}
BENCHMARK(BM_FloorAesSuiteHkdf);

// The floor of decrypt-datakey (version 18): hex-decode the envelope, recompute and compare
// the HMAC tag, derive the wrap key, GCM-open (libsodium, fresh key), SHA-256 of the DEK, hex
// of DEK and digest.
void BM_FloorAesSuiteOpen(benchmark::State& state) {
  kmscore::backend::cryptopp cryptopp;
  const std::array<byte, 32> cmk{5};
  const library_cmac_kdf kdf{cmk};
  const std::array<byte, 32> commit{2};
  auto commit_key = *cryptopp.hmac_init(kmscore::hash_id::sha256, commit);
  // A sealed blob to open: the floor's own wrap, once.
  std::array<byte, 188> sealed{};
  std::array<byte, 64> dek{};
  dek.fill(0x42);
  std::array<byte, 32> wrap_key{};
  const std::array<byte, 12> nonce{};
  const std::array<byte, 2> empty_context{};
  std::array<byte, 44> aad{};
  crypto_aead_aes256gcm_state gcm;
  for (std::size_t i = 0; i < 32; ++i) sealed[4 + i] = static_cast<byte>(i);
  kdf.derive(kmscore::byte_span{sealed}.subspan(4, 32), wrap_key);
  crypto_aead_aes256gcm_beforenm(&gcm, wrap_key.data());
  crypto_aead_aes256gcm_encrypt_detached_afternm(sealed.data() + 36, sealed.data() + 100, nullptr,
                                                 dek.data(), 64, aad.data(), aad.size(), nullptr,
                                                 nonce.data(), &gcm);
  const std::array<kmscore::byte_span, 2> to_tag{kmscore::byte_span{sealed}.first(156),
                                                 empty_context};
  (void)cryptopp.hmac_keyed(commit_key, to_tag, std::span<byte, 32>{sealed.data() + 156, 32});
  const std::string blob_text = kmscore::hex_encode(sealed);
  std::array<byte, 188> blob{};
  std::array<byte, 64> opened{};
  std::array<byte, 32> tag{};
  std::array<byte, 32> digest{};
  std::array<char, 128> dek_hex{};
  std::array<char, 64> digest_hex{};
  auto open = [&] {
    if (!kmscore::hex_decode(blob_text, blob)) return false;
    const std::array<kmscore::byte_span, 2> tagged{kmscore::byte_span{blob}.first(156),
                                                   empty_context};
    (void)cryptopp.hmac_keyed(commit_key, tagged, tag);
    if (!kmscore::constant_time_equal(tag, kmscore::byte_span{blob}.subspan(156, 32))) return false;
    kdf.derive(kmscore::byte_span{blob}.subspan(4, 32), wrap_key);
    crypto_aead_aes256gcm_beforenm(&gcm, wrap_key.data());
    if (crypto_aead_aes256gcm_decrypt_detached_afternm(opened.data(), nullptr, blob.data() + 36, 64,
                                                       blob.data() + 100, aad.data(), aad.size(),
                                                       nonce.data(), &gcm) != 0) {
      return false;
    }
    const std::array<kmscore::byte_span, 1> pieces{opened};
    (void)cryptopp.digest(kmscore::hash_id::sha256, pieces, digest);
    return kmscore::hex_encode(opened, dek_hex) && kmscore::hex_encode(digest, digest_hex);
  };
  if (!open() || opened != dek) return fail(state, "floor open");
  const allocation_meter meter{state};
  for (auto _ : state) {
    if (!open()) return fail(state, "floor open");
    benchmark::DoNotOptimize(digest_hex.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FloorAesSuiteOpen);

// ---- where the time goes: each step of the AES suite alone (fast backend's choices) ------

void BM_PartRandom96(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  std::array<byte, 96> drawn{};  // DEK || salt
  if (!backend.random_bytes(drawn)) return fail(state, "rng");
  const allocation_meter meter{state};
  for (auto _ : state) {
    (void)backend.random_bytes(drawn);
    benchmark::DoNotOptimize(drawn.data());
  }
}
BENCHMARK(BM_PartRandom96);

template <std::size_t MessageBytes>
void BM_PartHmacKeyed(benchmark::State& state) {  // 37: wrap-key HKDF-Expand; 158: the tag
  kmscore::backend::cryptopp cryptopp;
  const std::array<byte, 32> key{1};
  const auto keyed = cryptopp.hmac_init(kmscore::hash_id::sha256, key);
  if (!keyed) return fail(state, "hmac_init");
  const std::array<byte, MessageBytes> message{};
  const std::array<kmscore::byte_span, 1> pieces{message};
  std::array<byte, 32> mac{};
  const allocation_meter meter{state};
  for (auto _ : state) {
    (void)cryptopp.hmac_keyed(*keyed, pieces, mac);
    benchmark::DoNotOptimize(mac.data());
  }
}
BENCHMARK_TEMPLATE(BM_PartHmacKeyed, 37);
BENCHMARK_TEMPLATE(BM_PartHmacKeyed, 158);

// The batch's commit tags: 64 messages of 158 bytes under one key through hmac_keyed_many
// (ipsec_mb: multi-buffer jobs; sodium_cryptopp: one Crypto++ call each), per tag.
template <class Backend>
void BM_PartHmacKeyedMany(benchmark::State& state) {
  Backend backend;
  const std::array<byte, 32> key{1};
  const auto keyed = backend.hmac_init(kmscore::hash_id::sha256, key);
  if (!keyed) return fail(state, "hmac_init");
  constexpr std::size_t count = 64;
  std::array<std::array<byte, 158>, count> messages{};
  std::array<kmscore::byte_span, count> views;
  for (std::size_t i = 0; i < count; ++i) {
    messages[i][0] = static_cast<byte>(i);
    views[i] = messages[i];
  }
  std::array<byte, count * 32> tags{};
  std::array<byte, 32> one{};
  const std::array<kmscore::byte_span, 1> last{views[count - 1]};
  if (!kmscore::hmac_keyed_many(backend, *keyed, views, tags) ||
      !backend.hmac_keyed(*keyed, last, one) ||
      !std::equal(one.begin(), one.end(), tags.end() - 32)) {
    return fail(state, "hmac_keyed_many");
  }
  const allocation_meter meter{state};
  for (auto _ : state) {
    (void)kmscore::hmac_keyed_many(backend, *keyed, views, tags);
    benchmark::DoNotOptimize(tags.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
}
BENCHMARK_TEMPLATE(BM_PartHmacKeyedMany, kmscore::backend::sodium_cryptopp);
#ifdef KMSCORE_HAVE_IPSEC_MB
BENCHMARK_TEMPLATE(BM_PartHmacKeyedMany, kmscore::backend::ipsec_mb);
#endif

// Version 18's wrap key: kmscore's counter_kdf over the backend, and the same by raw Crypto++.
void BM_PartCounterKdf(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  const std::array<byte, 32> cmk{5};
  const auto kdf = kmscore::detail::counter_kdf<kmscore::backend::sodium_cryptopp>::make(
      backend, kmscore::cipher_id::aes256_gcm, cmk, wrap_label, 32);
  if (!kdf) return fail(state, "kdf");
  const std::array<byte, 32> salt{9};
  std::array<byte, 32> key{};
  const allocation_meter meter{state};
  for (auto _ : state) {
    (void)kdf->derive(backend, salt, key);
    benchmark::DoNotOptimize(key.data());
  }
}
BENCHMARK(BM_PartCounterKdf);

void BM_PartCounterKdfLibrary(benchmark::State& state) {
  const std::array<byte, 32> cmk{5};
  const library_cmac_kdf kdf{cmk};
  if (!library_kdf_matches_kmscore(kdf, cmk)) return fail(state, "kdf");
  const std::array<byte, 32> salt{9};
  std::array<byte, 32> key{};
  const allocation_meter meter{state};
  for (auto _ : state) {
    kdf.derive(salt, key);
    benchmark::DoNotOptimize(key.data());
  }
}
BENCHMARK(BM_PartCounterKdfLibrary);

void BM_PartGcmFreshKey(benchmark::State& state) {  // libsodium, new key each message
  kmscore::backend::sodium sodium;
  if (!sodium.supports(kmscore::envelope_suite::aes256_gcm_hmac_sha256)) return fail(state, "aes");
  const std::array<byte, 32> key{1};
  const std::array<byte, 12> nonce{};
  const std::array<byte, 44> aad{};
  const std::array<byte, 64> dek{};
  std::array<byte, 64> sealed{};
  std::array<byte, 16> tag{};
  const kmscore::aead_params params{kmscore::cipher_id::aes256_gcm, key, nonce, aad};
  const allocation_meter meter{state};
  for (auto _ : state) {
    (void)sodium.aead_seal(params, dek, sealed, tag);
    benchmark::DoNotOptimize(tag.data());
  }
}
BENCHMARK(BM_PartGcmFreshKey);

void BM_PartHex252(benchmark::State& state) {  // DEK (64) + envelope (188), table-free
  const std::array<byte, 252> bytes{};
  std::array<char, 504> hex{};
  const allocation_meter meter{state};
  for (auto _ : state) {
    (void)kmscore::hex_encode(bytes, hex);
    benchmark::DoNotOptimize(hex.data());
  }
}
BENCHMARK(BM_PartHex252);

void BM_PartHexDecode188(benchmark::State& state) {  // the envelope of a decrypt request
  const std::string text(376, 'A');
  std::array<byte, 188> bytes{};
  if (!kmscore::hex_decode(text, bytes)) return fail(state, "hex");
  const allocation_meter meter{state};
  for (auto _ : state) {
    (void)kmscore::hex_decode(text, bytes);
    benchmark::DoNotOptimize(bytes.data());
  }
}
BENCHMARK(BM_PartHexDecode188);

}  // namespace

BENCHMARK_MAIN();
