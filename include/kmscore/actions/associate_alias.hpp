// kmscore/actions/associate_alias.hpp: associate-alias (api-metadata.md §5.5):
// `POST …/kms/alias/associate` points an alias at another key of the project; 200 with the
// AliasEntity.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../key_spec.hpp"
#include "../route.hpp"
#include "alias_fields.hpp"

namespace kmscore {

struct associate_alias_request {
  optional_field alias;
  optional_field target_key_id;
  optional_field sequence;

  static constexpr auto fields() {
    using r = associate_alias_request;
    return field_table(field{"alias", &r::alias}, field{"target_key_id", &r::target_key_id},
                       field{"sequence", &r::sequence});
  }
};

class associate_alias_params {
 public:
  [[nodiscard]] const std::string& alias() const noexcept { return alias_; }
  [[nodiscard]] const key_id& target() const noexcept { return target_; }

 private:
  friend result<associate_alias_params> validate(const associate_alias_request& request);
  associate_alias_params(std::string alias, const key_id& target)
      : alias_{std::move(alias)}, target_{target} {}

  std::string alias_;
  key_id target_;
};

// In table order: alias (absent KMS.0204; §5.1 KMS.0308), target_key_id (absent KMS.0204;
// key-ID form KMS.0205), sequence.
[[nodiscard]] inline result<associate_alias_params> validate(
    const associate_alias_request& request) {
  if (!request.alias) return error{errc::missing_parameter, "alias"};
  KMSCORE_TRY(check_alias(*request.alias, "alias"));
  if (!request.target_key_id) return error{errc::missing_parameter, "target_key_id"};
  KMSCORE_TRY_ASSIGN(const auto target, key_id::parse(*request.target_key_id));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return associate_alias_params{*request.alias, target};
}

namespace detail {
// Whether an alias may move between two keys (AWS UpdateAlias's rule, §5.5): the same usage
// and the same class (symmetric, asymmetric; HMAC keys would be a third).
[[nodiscard]] constexpr bool alias_may_move(const key_record& from, const key_record& to) noexcept {
  return from.usage == to.usage &&
         spec_policy(from.key.spec).is_symmetric() == spec_policy(to.key.spec).is_symmetric();
}
}  // namespace detail

namespace actions {
struct associate_alias {
  static constexpr std::string_view name = "associate-alias";
  static constexpr action_route route{http_method::post, "alias/associate", true};
  using request = associate_alias_request;

  // Then: no target KMS.0207; target in state 4 KMS.0210; the alias not in the project
  // KMS.0308 Invalid alias.; the target's usage or class not the current key's KMS.0308
  // Invalid target_key_id.; the target (another key) holding 50 aliases KMS.0308 Invalid
  // alias. The alias moves (update_time now, create_time kept); to its own key, only
  // update_time changes. A move by another request in between is read again and retried.
  template <crypto_backend Backend>
  [[nodiscard]] static result<alias_view> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto target, service.find_existing(params.target(), now_ms));
    KMSCORE_TRY(detail::check_alias_target(target));
    auto& store = service.store();
    const auto& tenant = service.tenant().id;
    for (int attempt = 0; attempt < max_update_attempts; ++attempt) {
      KMSCORE_TRY_ASSIGN(auto entry, store.find_alias(tenant, params.alias(), now_ms));
      if (!entry) return error{errc::invalid_parameter, "alias"};
      if (entry->key_id != target.key.key_id) {
        auto current = service.find_existing(entry->key_id, now_ms);
        if (!current && current.error().code() != errc::key_not_found) return current.error();
        if (!current) continue;  // its key is gone since: read the alias again
        if (!detail::alias_may_move(*current, target)) {
          return error{errc::invalid_parameter, "target_key_id"};
        }
      }
      KMSCORE_TRY_ASSIGN(const auto outcome, store.move_alias(tenant, params.alias(), entry->key_id,
                                                              target.key.key_id, now_ms));
      if (outcome == alias_outcome::moved) continue;  // moved by another request: read again
      KMSCORE_TRY(detail::alias_write_result(outcome));
      entry->key_id = target.key.key_id;
      entry->update_time_ms = now_ms;
      return detail::view_of(service, std::move(*entry));
    }
    service.report("alias " + params.alias() + " of project " + tenant.str() +
                   ": still moving under other requests after " +
                   std::to_string(max_update_attempts) + " attempts");
    return errc::kms_error;
  }

  template <class Json>
  [[nodiscard]] static http_response render(const alias_view& moved) {
    return detail::respond_json(detail::alias_entity<Json>(moved));
  }
};
}  // namespace actions

}  // namespace kmscore
