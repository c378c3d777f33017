// The audit trail's cost per record (host/audit/): what `kmscore serve --audit-log` adds to
// each request, outside the server. A record as a create-datakey request writes it: the key
// facts read from the request and answer bodies, room reserved, the line appended (composed,
// chained, under the file's lock). One thread and two (the server's pool on this machine);
// the file in a directory of the benchmark's own under TMPDIR (else /tmp).
#include "audit_trail.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace {

namespace fs = std::filesystem;

const std::string request_body =
    R"({"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","datakey_length":"256"})";
// An answer of create-datakey's shape: a 32-byte key's envelope (as hex) and the key.
std::string answer_body() {
  std::string cipher(std::size_t{2} * 124, 'a');
  return R"({"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","plain_text":")" +
         std::string(64, 'b') + R"(","cipher_text":")" + cipher + R"("})";
}

struct fixture {
  fs::path dir;
  std::unique_ptr<kmscore_host::audit::trail> trail;

  fixture() {
    const char* tmp = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): before threads
    dir = fs::path{tmp != nullptr ? tmp : "/tmp"} / "kmscore_audit_benchmark";
    fs::remove_all(dir);
    fs::create_directories(dir);
    kmscore::secret_bytes seed{32};
    seed.expose()[0] = 1;
    std::string why;
    trail = kmscore_host::audit::trail::open({(dir / "audit.jsonl").string()}, seed, {}, why);
  }
  ~fixture() {
    trail.reset();
    fs::remove_all(dir);
  }
  fixture(const fixture&) = delete;
  fixture& operator=(const fixture&) = delete;
};

std::unique_ptr<fixture> shared;

void BM_AuditRecord(benchmark::State& state) {
  if (state.thread_index() == 0) shared = std::make_unique<fixture>();
  const std::string answer = answer_body();
  kmscore_host::audit::event what;
  what.time_ms = 1'765'000'000'000;
  what.request_id = "5f0d1c7e9a4b4f0e8d2c6b1a3e5f7d9c";
  what.access_key = "HPUAEXAMPLEACCESSKEY";
  what.project = "0123456789abcdef0123456789abcdef";
  what.client = "127.0.0.1";
  what.action = "create-datakey";
  what.status = 200;
  for (auto _ : state) {
    if (!shared->trail || !shared->trail->reserve()) {
      state.SkipWithError("the trail refused");
      break;
    }
    kmscore_host::audit::fill_key_facts(what, request_body, answer);
    if (!shared->trail->append(what)) {
      state.SkipWithError("the trail refused");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    // The power-loss window while appending at full speed (fdatasync every 100 ms).
    const auto figures =
        shared->trail ? shared->trail->sync_stats() : kmscore_host::audit::trail::sync_figures{};
    state.counters["syncs"] = static_cast<double>(figures.syncs);
    state.counters["window_max_ms"] = static_cast<double>(figures.longest_window.count()) / 1e3;
    state.counters["fdatasync_max_ms"] = static_cast<double>(figures.longest_sync.count()) / 1e3;
    shared.reset();
  }
}
BENCHMARK(BM_AuditRecord)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
