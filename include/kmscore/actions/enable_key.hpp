// kmscore/actions/enable_key.hpp: enable-key (api.md): a disabled key enabled; answers its id and
// new state.
#pragma once

#include <cstdint>
#include <string_view>

#include "../create_key.hpp"
#include "common.hpp"

namespace kmscore::actions {

struct enable_key {
  static constexpr std::string_view name = "enable-key";
  using request = key_id_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    return detail::change_named_key(service, r, now_ms,
                                    [](key_record& record) { return kmscore::enable_key(record); });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return detail::respond_json(
        Json{{"key_info",
              {{"key_id", record.key.key_id.view()}, {"key_state", detail::state_text(record)}}}});
  }
};

}  // namespace kmscore::actions
