// Costs of the request-side building blocks: hex of a 64-byte DEK and field validation.
#include <kmscore/kmscore.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <string>

namespace {

void BM_HexEncode64(benchmark::State& state) {
  std::array<kmscore::byte, 64> dek{};
  for (std::size_t i = 0; i < dek.size(); ++i) dek[i] = static_cast<kmscore::byte>(i * 37);
  std::array<char, 128> out{};
  for (auto _ : state) {
    kmscore::hex_encode(dek, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 64);
}
BENCHMARK(BM_HexEncode64);

void BM_HexDecode64(benchmark::State& state) {
  const std::string hex(128, 'a');
  std::array<kmscore::byte, 64> out{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(kmscore::hex_decode(hex, out));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 64);
}
BENCHMARK(BM_HexDecode64);

void BM_ValidateCreateDatakey(benchmark::State& state) {
  kmscore::create_datakey_request request;
  request.key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
  request.datakey_length = "512";
  for (auto _ : state) {
    auto params = kmscore::validate(request);
    benchmark::DoNotOptimize(params);
  }
}
BENCHMARK(BM_ValidateCreateDatakey);

}  // namespace

BENCHMARK_MAIN();
