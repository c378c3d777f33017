// Data-key throughput (issue: "DEK throughput"): kmscore per backend beside what a user would
// write by hand on libsodium, Crypto++ and OpenSSL ("naive"), and beside the bare primitives
// of the AES suite ("floor"), all in one binary so every figure is a ratio from one run.
// Every benchmark checks a correct result before timing. scripts/bench prints the table.
#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/sodium.hpp>
#include <kmscore/backend/sodium_cryptopp.hpp>
#include <kmscore/kmscore.hpp>

#include <benchmark/benchmark.h>
#include <cryptopp/gcm.h>
#include <cryptopp/osrng.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
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
    const auto made = sealer->create(params);
    kmscore::decrypt_datakey_request request{
        key_id, made->cipher_text, std::to_string(params.size().bytes()), {}, {}};
    const auto opened = kmscore::decrypt_datakey(backend, cmk, *kmscore::validate(request));
    if (!opened || opened->data_key.expose_text() != made->plain_text.expose_text()) {
      return fail(state, "round trip");
    }
  }
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto made = sealer->create(params);
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
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakey, kmscore::backend::sodium)
    ->Arg(128)
    ->Arg(512)
    ->Arg(8192);
BENCHMARK_TEMPLATE(BM_KmscoreCreateDatakey, kmscore::backend::cryptopp)
    ->Arg(128)
    ->Arg(512)
    ->Arg(8192);

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

void BM_KmscoreCreateDatakeyBatch(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  const auto cmk = make_cmk();
  const auto params = params_for(512);
  auto sealer = kmscore::datakey_sealer<kmscore::backend::sodium_cryptopp>::make(backend, cmk);
  const auto count = static_cast<std::size_t>(state.range(0));
  if (!sealer || sealer->create_many(params, count)->size() != count) return fail(state, "batch");
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto made = sealer->create_many(params, count);
    benchmark::DoNotOptimize(made);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KmscoreCreateDatakeyBatch)->Arg(64);

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

void BM_KmscoreDecryptDatakey(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  const auto cmk = make_cmk();
  const auto made = kmscore::create_datakey(backend, cmk, params_for(512));
  kmscore::decrypt_datakey_request request{key_id, made->cipher_text, "64", {}, {}};
  const auto params = *kmscore::validate(request);
  if (!kmscore::decrypt_datakey(backend, cmk, params)) return fail(state, "decrypt");
  const allocation_meter meter{state};
  for (auto _ : state) {
    auto opened = kmscore::decrypt_datakey(backend, cmk, params);
    benchmark::DoNotOptimize(opened);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KmscoreDecryptDatakey);

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
  if (!kmscore::hex_decode(made->cipher_text, blob) || !kmscore::parse_envelope(blob)) {
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

// ---- floor: the AES suite's primitives called directly, nothing around them ---------------

void BM_FloorAesSuite(benchmark::State& state) {
  kmscore::backend::sodium_cryptopp backend;
  kmscore::backend::cryptopp cryptopp;
  const std::array<byte, 32> prk{1};
  const std::array<byte, 32> commit{2};
  auto prk_key = *cryptopp.hmac_init(kmscore::hash_id::sha256, prk);
  auto commit_key = *cryptopp.hmac_init(kmscore::hash_id::sha256, commit);
  std::array<byte, 96> drawn{};
  std::array<byte, 188> blob{};
  std::array<byte, 32> wrap_key{};
  std::array<char, 128> dek_hex{};
  std::array<char, 376> blob_hex{};
  const std::array<byte, 12> nonce{};
  const std::array<byte, 4> wrap_label{'w', 'r', 'a', 'p'};
  const std::array<byte, 1> one{1};
  const std::array<byte, 2> empty_context{};
  const allocation_meter meter{state};
  for (auto _ : state) {
    (void)backend.random_bytes(drawn);  // DEK || salt
    const std::array<kmscore::byte_span, 3> info{wrap_label, kmscore::byte_span{drawn}.last(32),
                                                 one};
    (void)cryptopp.hmac_keyed(prk_key, info, wrap_key);
    std::array<byte, 44> aad{};
    std::copy(blob.begin() + 116, blob.begin() + 156, aad.begin() + 4);
    crypto_aead_aes256gcm_encrypt_detached(blob.data() + 36, blob.data() + 100, nullptr,
                                           drawn.data(), 64, aad.data(), aad.size(), nullptr,
                                           nonce.data(), wrap_key.data());
    const std::array<kmscore::byte_span, 2> tagged{kmscore::byte_span{blob}.first(156),
                                                   empty_context};
    (void)cryptopp.hmac_keyed(commit_key, tagged, std::span<byte, 32>{blob.data() + 156, 32});
    (void)kmscore::hex_encode(kmscore::byte_span{drawn}.first(64), dek_hex);
    (void)kmscore::hex_encode(blob, blob_hex);
    benchmark::DoNotOptimize(blob_hex.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FloorAesSuite);

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

}  // namespace

BENCHMARK_MAIN();
