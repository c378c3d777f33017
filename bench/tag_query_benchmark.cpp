// The resource-instance query (api-metadata.md §3.7) and list-kms-tags over 10,000 tagged keys,
// through the JSON layer on a database store: what list-kms-by-tags costs a server. The store
// is SQLite in a directory of the benchmark's own under TMPDIR (else /tmp), or the PostgreSQL
// database KMSCORE_BENCH_STORE names (a postgresql:// URL of an empty database; scripts/bench
// tags starts a throwaway server for it). Each key has two tags: tier (gold for one key in 7,
// else silver) and n (0–9). On PostgreSQL the tables are ANALYZEd once loaded (psql).
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/create_key.hpp>
#include <kmscore/json.hpp>
#include <kmscore/keyring.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "durable_key_store.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int keys = 10'000;
constexpr std::string_view project_hex = "0123456789abcdef0123456789abcdef";
constexpr std::string_view domain = "aaaabbbbccccddddeeeeffff00001111";

kmscore::master_key bench_root_key() {
  kmscore::master_key root;
  root.key_id = *kmscore::key_id::parse("00000000-0000-4000-8000-00000000000b");
  root.material_versions.emplace_back(std::vector<kmscore::byte>(32, 0x5A));
  return root;
}

struct fixture {
  kmscore::backend::cryptopp backend;
  kmscore::root_key_sealer<kmscore::backend::cryptopp> sealer{backend, bench_root_key()};
  fs::path dir;
  std::unique_ptr<kmscore_host::durable_key_store> store;
  std::unique_ptr<kmscore::kms_service<kmscore::backend::cryptopp>> service;

  fixture() {
    const char* url = std::getenv("KMSCORE_BENCH_STORE");  // NOLINT(concurrency-mt-unsafe)
    std::string where;
    if (url != nullptr && *url != '\0') {
      where = url;
    } else {
      const char* tmp = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): before threads
      dir = fs::path{tmp != nullptr ? tmp : "/tmp"} / "kmscore_tag_query_benchmark";
      fs::remove_all(dir);
      fs::create_directories(dir);
      where = "sqlite:" + (dir / "kmscore.db").string();
    }
    std::string why;
    store = kmscore_host::open_key_store(where, sealer, {}, why);
    if (!store) {
      std::cerr << "tag_query_benchmark: " << why << "\n";
      std::abort();
    }
    const auto project = store->ensure_project(*kmscore::project_id::parse(project_hex), domain);
    service = std::make_unique<kmscore::kms_service<kmscore::backend::cryptopp>>(backend, *store,
                                                                                 *project);
    kmscore::create_key_request request;
    request.key_spec = "AES_256";
    for (int i = 0; i < keys; ++i) {
      request.key_alias = "bulk-" + std::to_string(i);
      const auto params = kmscore::validate(request);
      auto record = kmscore::create_key(backend, *params, domain, 1000 + i);
      record->project_id = project->id;
      record->tags = {{"tier", i % 7 == 0 ? "gold" : "silver"}, {"n", std::to_string(i % 10)}};
      if (!store->insert(*record)) std::abort();
    }
    // PostgreSQL plans from its statistics, which autovacuum gathers about a minute after a
    // bulk change: measured without them, a two-tag filter took 1.4 s (a nested loop on
    // estimates of one row). The figures are those of a database with its statistics.
    if (dir.empty()) {
      const std::string analyze = "psql -q '" + where + "' -c ANALYZE";
      // NOLINTNEXTLINE(cert-env33-c,concurrency-mt-unsafe): a benchmark, before its threads
      if (std::system(analyze.c_str()) != 0) std::abort();
    }
  }
  ~fixture() {
    service.reset();
    store.reset();
    if (!dir.empty()) fs::remove_all(dir);
  }
  fixture(const fixture&) = delete;
  fixture& operator=(const fixture&) = delete;
};

fixture& shared() {
  static fixture made;
  return made;
}

void run(benchmark::State& state, std::string_view action, const json& body) {
  auto& f = shared();
  const std::string text = body.dump();
  for (auto _ : state) {
    const auto response = kmscore::handle_json(*f.service, action, text, 5000);
    if (response.status != 200) state.SkipWithError("not 200");
    benchmark::DoNotOptimize(response.body.expose().data());
  }
}

void BM_FilterOneTagFirstPage(benchmark::State& state) {
  run(state, "list-kms-by-tags",
      {{"action", "filter"}, {"tags", {{{"key", "tier"}, {"values", {"gold"}}}}}});
}
void BM_FilterTwoTagsFirstPage(benchmark::State& state) {
  run(state, "list-kms-by-tags",
      {{"action", "filter"},
       {"tags",
        {{{"key", "tier"}, {"values", {"gold"}}}, {{"key", "n"}, {"values", {"0", "7"}}}}}});
}
void BM_CountOneTag(benchmark::State& state) {
  run(state, "list-kms-by-tags",
      {{"action", "count"}, {"tags", {{{"key", "tier"}, {"values", {"gold"}}}}}});
}
void BM_AliasMatchFirstPage(benchmark::State& state) {
  run(state, "list-kms-by-tags",
      {{"action", "filter"}, {"matches", {{{"key", "resource_name"}, {"value", "bulk-99"}}}}});
}
void BM_EveryKeyPageOf1000AtOffset9000(benchmark::State& state) {
  run(state, "list-kms-by-tags", {{"action", "filter"}, {"limit", "1000"}, {"offset", "9000"}});
}
void BM_ListKmsTags(benchmark::State& state) { run(state, "list-kms-tags", json::object()); }

BENCHMARK(BM_FilterOneTagFirstPage)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FilterTwoTagsFirstPage)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CountOneTag)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AliasMatchFirstPage)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EveryKeyPageOf1000AtOffset9000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ListKmsTags)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
