// kmscore/actions/describe_key.hpp: describe-key (api.md): the key's key_info.
#pragma once

#include <cstdint>
#include <string_view>

#include "common.hpp"

namespace kmscore::actions {

struct describe_key {
  static constexpr std::string_view name = "describe-key";
  using request = key_id_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    return detail::find_named_key(service, r, now_ms);
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return detail::respond_json(Json{{"key_info", detail::key_info<Json>(record)}});
  }
};

}  // namespace kmscore::actions
