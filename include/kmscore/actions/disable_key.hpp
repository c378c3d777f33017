// kmscore/actions/disable_key.hpp: disable-key (api.md): an enabled key disabled; answers its id
// and new state.
#pragma once

#include <cstdint>
#include <string_view>

#include "../create_key.hpp"
#include "common.hpp"
#include "enable_key.hpp"

namespace kmscore::actions {

struct disable_key {
  static constexpr std::string_view name = "disable-key";
  using request = key_id_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    return detail::change_named_key(
        service, r, now_ms, [](key_record& record) { return kmscore::disable_key(record); });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return actions::enable_key::render<Json>(record);
  }
};

}  // namespace kmscore::actions
