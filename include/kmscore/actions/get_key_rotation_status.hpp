// kmscore/actions/get_key_rotation_status.hpp: get-key-rotation-status (api-rotation.md 3.4).
// Read-only: every existing key answers (keys that cannot rotate report it off).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common.hpp"

namespace kmscore::actions {

struct get_key_rotation_status {
  static constexpr std::string_view name = "get-key-rotation-status";
  using request = key_id_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    return detail::find_named_key(service, r, now_ms);
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return detail::respond_json(Json{
        {"key_rotation_enabled", record.rotation_enabled},
        {"rotation_interval", record.rotation_interval_days},
        {"last_rotation_time",
         record.last_rotation_ms == 0 ? std::string{} : std::to_string(record.last_rotation_ms)},
        {"number_of_rotations", record.number_of_rotations}});
  }
};

}  // namespace kmscore::actions
