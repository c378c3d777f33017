// kmscore/actions/show_user_quotas.hpp: show-user-quotas and show-user-instances
// (api-metadata.md §4, for a self-hosted server): `GET …/kms/user-quotas` and
// `GET …/kms/user-instances`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../route.hpp"
#include "list_kms_tags.hpp"

namespace kmscore {

// Grants are not implemented: none used, the documented example's quota.
inline constexpr std::int64_t grants_per_key_quota = 100;

// The project's keys (states 1–5, gone keys not counted) and its key quota.
struct key_quota_use {
  std::size_t used = 0;
  std::int64_t quota = unlimited_key_quota;
};

namespace actions {
struct show_user_quotas {
  static constexpr std::string_view name = "show-user-quotas";
  static constexpr action_route route{http_method::get, "user-quotas", false};
  using request = no_field_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_quota_use> run(kms_service<Backend>& service, const request& r,
                                                 std::int64_t now_ms) {
    KMSCORE_TRY(validate(r));
    KMSCORE_TRY_ASSIGN(const auto used, service.count_keys(now_ms));
    return key_quota_use{used, service.key_quota()};
  }

  // {"quotas": {"resources": [{"type": "CMK", …}, {"type": "grant_per_CMK", …}]}}.
  template <class Json>
  [[nodiscard]] static http_response render(const key_quota_use& use) {
    Json resources = Json::array();
    resources.push_back(Json{{"type", "CMK"}, {"used", use.used}, {"quota", use.quota}});
    resources.push_back(
        Json{{"type", "grant_per_CMK"}, {"used", 0}, {"quota", grants_per_key_quota}});
    return detail::respond_json(Json{{"quotas", Json{{"resources", resources}}}});
  }
};

struct show_user_instances {
  static constexpr std::string_view name = "show-user-instances";
  static constexpr action_route route{http_method::get, "user-instances", false};
  using request = no_field_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<std::size_t> run(kms_service<Backend>& service, const request& r,
                                               std::int64_t now_ms) {
    KMSCORE_TRY(validate(r));
    return service.count_keys(now_ms);
  }

  // {"instance_num": n}.
  template <class Json>
  [[nodiscard]] static http_response render(std::size_t keys) {
    return detail::respond_json(Json{{"instance_num", keys}});
  }
};
}  // namespace actions

}  // namespace kmscore
