// kmscore/actions/disable_key_rotation.hpp: disable-key-rotation (api-rotation.md 3.2);
// answers {}.
#pragma once

#include <cstdint>
#include <string_view>

#include "../rotation.hpp"
#include "common.hpp"

namespace kmscore::actions {

struct disable_key_rotation {
  static constexpr std::string_view name = "disable-key-rotation";
  using request = key_id_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    return detail::change_named_key(service, r, now_ms, [](key_record& record) {
      return kmscore::disable_key_rotation(record);
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& /*record*/) {
    return detail::respond_empty<Json>();
  }
};

}  // namespace kmscore::actions
