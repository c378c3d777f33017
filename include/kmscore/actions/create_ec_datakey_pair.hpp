// kmscore/actions/create_ec_datakey_pair.hpp: create-ec-datakey-pair (api-import-mac.md section 8):
// an EC pair (ECC_NIST_P256, ECC_NIST_P384, SM2); pin and pin_type (Huawei's level-4 option) are
// refused unless empty, its private key sealed under an AES_256 or SM4 CMK (datakey_pair.hpp).
#pragma once

#include <string_view>

#include "../datakey_pair.hpp"
#include "common.hpp"

namespace kmscore {

struct create_ec_datakey_pair_request {
  optional_field key_id;
  optional_field key_spec;
  tree_field with_plain_text;  // a JSON boolean
  optional_field additional_authenticated_data;
  context_field encryption_context;
  optional_field sequence;
  optional_field pin;
  optional_field pin_type;

  static constexpr auto fields() {
    using r = create_ec_datakey_pair_request;
    return field_table(field{"key_id", &r::key_id}, field{"key_spec", &r::key_spec},
                       field{"with_plain_text", &r::with_plain_text},
                       field{"additional_authenticated_data", &r::additional_authenticated_data},
                       field{"encryption_context", &r::encryption_context},
                       field{"sequence", &r::sequence}, field{"pin", &r::pin},
                       field{"pin_type", &r::pin_type});
  }
};

class create_ec_datakey_pair_params : public datakey_pair_params {
 private:
  friend result<create_ec_datakey_pair_params> validate(
      const create_ec_datakey_pair_request& request);
  create_ec_datakey_pair_params() = default;
};

[[nodiscard]] inline result<create_ec_datakey_pair_params> validate(
    const create_ec_datakey_pair_request& request) {
  create_ec_datakey_pair_params params;
  KMSCORE_TRY(params.read_fields(request, ec_pair_specs));
  return params;
}

namespace actions {
struct create_ec_datakey_pair : detail::datakey_pair_action<create_ec_datakey_pair_request> {
  static constexpr std::string_view name = "create-ec-datakey-pair";
};
}  // namespace actions

}  // namespace kmscore
