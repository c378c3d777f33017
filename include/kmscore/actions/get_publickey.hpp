// kmscore/actions/get_publickey.hpp: get-publickey (api-asymmetric.md section 2): the key's
// public key as PEM.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../sign.hpp"
#include "common.hpp"

namespace kmscore {

struct public_key_response {
  kmscore::key_id key_id;
  std::string public_key;  // PEM
};

namespace actions {
struct get_publickey {
  static constexpr std::string_view name = "get-publickey";
  using request = key_id_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&key_id_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<public_key_response> run(kms_service<Backend>& service,
                                                       const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto record, detail::find_named_key(service, r, now_ms));
    KMSCORE_TRY_ASSIGN(auto pem, kmscore::get_public_key(record));
    return public_key_response{record.key.key_id, std::move(pem)};
  }

  template <class Json>
  [[nodiscard]] static http_response render(const public_key_response& made) {
    return detail::respond_json(
        Json{{"key_id", made.key_id.view()}, {"public_key", made.public_key}});
  }
};
}  // namespace actions

}  // namespace kmscore
