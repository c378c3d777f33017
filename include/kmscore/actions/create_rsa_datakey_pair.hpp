// kmscore/actions/create_rsa_datakey_pair.hpp: create-rsa-datakey-pair (api-import-mac.md section
// 8): an RSA pair (RSA_2048, RSA_3072, RSA_4096; e = 65537), its private key sealed under an
// AES_256 or SM4 CMK (datakey_pair.hpp).
#pragma once

#include <string_view>

#include "../datakey_pair.hpp"
#include "common.hpp"

namespace kmscore {

struct create_rsa_datakey_pair_request {
  optional_field key_id;
  optional_field key_spec;
  tree_field with_plain_text;  // a JSON boolean
  optional_field additional_authenticated_data;
  context_field encryption_context;
  optional_field sequence;

  static constexpr auto fields() {
    using r = create_rsa_datakey_pair_request;
    return field_table(field{"key_id", &r::key_id}, field{"key_spec", &r::key_spec},
                       field{"with_plain_text", &r::with_plain_text},
                       field{"additional_authenticated_data", &r::additional_authenticated_data},
                       field{"encryption_context", &r::encryption_context},
                       field{"sequence", &r::sequence});
  }
};

class create_rsa_datakey_pair_params : public datakey_pair_params {
 private:
  friend result<create_rsa_datakey_pair_params> validate(
      const create_rsa_datakey_pair_request& request);
  create_rsa_datakey_pair_params() = default;
};

[[nodiscard]] inline result<create_rsa_datakey_pair_params> validate(
    const create_rsa_datakey_pair_request& request) {
  create_rsa_datakey_pair_params params;
  KMSCORE_TRY(params.read_fields(request, rsa_pair_specs));
  return params;
}

namespace actions {
struct create_rsa_datakey_pair : detail::datakey_pair_action<create_rsa_datakey_pair_request> {
  static constexpr std::string_view name = "create-rsa-datakey-pair";
};
}  // namespace actions

}  // namespace kmscore
