// kmscore/actions/describe_key.hpp: describe-key (api.md): the key's key_info.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "common.hpp"

namespace kmscore::actions {

struct describe_key {
  static constexpr std::string_view name = "describe-key";
  using request = key_id_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&key_id_request::key_id};

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
