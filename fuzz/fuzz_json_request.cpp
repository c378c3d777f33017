// JSON requests for every action: never crashes; every response is one JSON object whose
// shape matches its status (documented error body, or a success body).
#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/sodium.hpp>
#include <kmscore/json.hpp>

#include <string>

#include "fuzz_common.hpp"

namespace {
using backend_t = kmscore::backend::combined<kmscore::backend::sodium, kmscore::backend::cryptopp>;

struct fixture {
  backend_t backend;
  kmscore::memory_key_store store;
  kmscore::project tenant =
      *store.ensure_project(*kmscore::project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c"),
                            "b168fe00ff56492495a7d22974df2d0b");
  kmscore::kms_service<backend_t> service{backend, store, tenant};
  fixture() {
    // A key with the id the corpus uses, so requests reach the crypto.
    kmscore::key_record record;
    record.key.key_id = *kmscore::key_id::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37f");
    record.key.material_versions.emplace_back(32);
    record.project_id = tenant.id;
    record.domain_id = tenant.domain_id;
    record.key_alias = "fuzz";
    FUZZ_CHECK(store.insert(record).has_value());
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > fuzz_max_input) return 0;
  static fixture f;
  // The first byte picks the action; create-key is left out so the store stays small.
  const auto action = kmscore::action_names[1 + data[0] % (kmscore::action_names.size() - 1)];
  const std::string_view body = kmscore::as_chars({data + 1, size - 1});
  const auto response = kmscore::handle_json(f.service, action, body, 1);
  const auto json = nlohmann::json::parse(response.text(), nullptr, false);
  FUZZ_CHECK(!json.is_discarded() && json.is_object());
  if (response.status == 200) {
    FUZZ_CHECK(!json.contains("error"));
  } else {
    const auto& failure = json.at("error");
    FUZZ_CHECK(json.size() == 1 && failure.size() == 2);
    const auto code = failure.at("error_code").get<std::string>();
    bool known = false;
    for (const auto& row : kmscore::error_table) {
      if (row.code_string == code) {
        known = true;
        FUZZ_CHECK(row.http_status == response.status);
      }
    }
    FUZZ_CHECK(known);
  }
  return 0;
}
