// kmscore/actions/generate_mac.hpp: generate-mac (api-import-mac.md section 6). The MAC is
// rendered as lower-case hex; key_id is the key's own ID, never the alias the request gave.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "../hex.hpp"
#include "../mac.hpp"
#include "common.hpp"

namespace kmscore {

struct generate_mac_request {
  optional_field key_id;
  optional_field mac_algorithm;
  optional_field message;
  optional_field sequence;

  static constexpr auto fields() {
    using r = generate_mac_request;
    return field_table(field{"key_id", &r::key_id}, field{"mac_algorithm", &r::mac_algorithm},
                       field{"message", &r::message}, field{"sequence", &r::sequence});
  }
};

class generate_mac_params : public mac_params {
 private:
  friend result<generate_mac_params> validate(const generate_mac_request& request);
  generate_mac_params() = default;
};

[[nodiscard]] inline result<generate_mac_params> validate(const generate_mac_request& request) {
  generate_mac_params params;
  KMSCORE_TRY(params.read_fields(request));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return params;
}

struct generate_mac_response {
  kmscore::key_id key_id;
  mac_algorithm algorithm = mac_algorithm::none;
  mac_value mac;
};

namespace actions {
struct generate_mac {
  static constexpr std::string_view name = "generate-mac";
  using request = generate_mac_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&generate_mac_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<generate_mac_response> run(kms_service<Backend>& service,
                                                         const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    KMSCORE_TRY_ASSIGN(auto mac, compute_mac(service.backend(), record, params));
    return generate_mac_response{record.key.key_id, params.algorithm(), mac};
  }

  template <class Json>
  [[nodiscard]] static http_response render(const generate_mac_response& made) {
    return detail::respond_json(Json{{"key_id", made.key_id.view()},
                                     {"mac_algorithm", to_string(made.algorithm)},
                                     {"mac", hex_encode_lower(made.mac.view())}});
  }
};
}  // namespace actions

}  // namespace kmscore
