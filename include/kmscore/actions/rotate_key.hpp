// kmscore/actions/rotate_key.hpp: rotate-key (extension, docs/rotation.md; like AWS
// RotateKeyOnDemand): a new material version now; answers key_id and key_version.
#pragma once

#include <cstdint>
#include <string_view>

#include "../rotation.hpp"
#include "common.hpp"

namespace kmscore::actions {

struct rotate_key {
  static constexpr std::string_view name = "rotate-key";
  using request = key_id_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    return detail::change_named_key(service, r, now_ms, [&](key_record& record) -> result<void> {
      KMSCORE_TRY(kmscore::rotate_key_on_demand(service.backend(), record, now_ms));
      return {};
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return detail::respond_json(
        Json{{"key_id", record.key.key_id.view()}, {"key_version", record.key.current_version()}});
  }
};

}  // namespace kmscore::actions
