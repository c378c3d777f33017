// kmscore/actions/cancel_key_deletion.hpp: cancel-key-deletion (api.md): a scheduled deletion
// cancelled (the key returns to disabled); answers key_id and key_state at top level.
#pragma once

#include <cstdint>
#include <string_view>

#include "../create_key.hpp"
#include "common.hpp"

namespace kmscore::actions {

struct cancel_key_deletion {
  static constexpr std::string_view name = "cancel-key-deletion";
  using request = key_id_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    return detail::change_named_key(service, r, now_ms, [](key_record& record) {
      return kmscore::cancel_key_deletion(record);
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return detail::respond_json(
        Json{{"key_id", record.key.key_id.view()}, {"key_state", detail::state_text(record)}});
  }
};

}  // namespace kmscore::actions
