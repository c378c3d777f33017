// kmscore/actions/create_alias.hpp: create-alias (api-metadata.md §5.2): `POST …/kms/aliases`
// gives a key a new alias; 201 with the AliasEntity.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../route.hpp"
#include "alias_fields.hpp"

namespace kmscore {

struct create_alias_request {
  optional_field key_id;
  optional_field alias;
  optional_field sequence;

  static constexpr auto fields() {
    using r = create_alias_request;
    return field_table(field{"key_id", &r::key_id}, field{"alias", &r::alias},
                       field{"sequence", &r::sequence});
  }
};

class create_alias_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const std::string& alias() const noexcept { return alias_; }

 private:
  friend result<create_alias_params> validate(const create_alias_request& request);
  create_alias_params(const kmscore::key_id& id, std::string alias)
      : key_id_{id}, alias_{std::move(alias)} {}

  kmscore::key_id key_id_;
  std::string alias_;
};

// In table order: key_id (KMS.0205), alias (absent KMS.0204; §5.1 KMS.0308), sequence.
[[nodiscard]] inline result<create_alias_params> validate(const create_alias_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.alias) return error{errc::missing_parameter, "alias"};
  KMSCORE_TRY(check_alias(*request.alias, "alias"));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return create_alias_params{id, *request.alias};
}

namespace actions {
struct create_alias {
  static constexpr std::string_view name = "create-alias";
  static constexpr action_route route{http_method::post, "aliases", true};
  using request = create_alias_request;

  // Then: no key KMS.0207; state 4 KMS.0210; alias taken in the project KMS.1104; the key
  // holding 50 aliases KMS.0308 Invalid alias.
  template <crypto_backend Backend>
  [[nodiscard]] static result<alias_view> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    KMSCORE_TRY(detail::check_alias_target(record));
    alias_entry entry{params.alias(), params.key_id(), now_ms, now_ms};
    KMSCORE_TRY_ASSIGN(const auto outcome,
                       service.store().add_alias(service.tenant().id, entry, now_ms));
    KMSCORE_TRY(detail::alias_write_result(outcome));
    return detail::view_of(service, std::move(entry));
  }

  template <class Json>
  [[nodiscard]] static http_response render(const alias_view& made) {
    return detail::respond(201, detail::alias_entity<Json>(made).dump());
  }
};
}  // namespace actions

}  // namespace kmscore
