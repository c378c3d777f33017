// kmscore/actions/list_kms_tags.hpp: list-kms-tags (api-metadata.md §3.6): `GET …/kms/tags`
// answers every tag key on the project's keys with its distinct values.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "../route.hpp"
#include "common.hpp"

namespace kmscore {

// No fields but the general sequence (a GET carries none; the tool may).
struct no_field_request {
  optional_field sequence;

  static constexpr auto fields() {
    return field_table(field{"sequence", &no_field_request::sequence});
  }
};

[[nodiscard]] inline result<void> validate(const no_field_request& request) {
  return detail::check_optional_sequence(request.sequence);
}

namespace actions {
struct list_kms_tags {
  static constexpr std::string_view name = "list-kms-tags";
  static constexpr action_route route{http_method::get, "tags", false};
  using request = no_field_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<std::vector<tag_values>> run(kms_service<Backend>& service,
                                                           const request& r, std::int64_t now_ms) {
    KMSCORE_TRY(validate(r));
    return service.store().list_tags(service.tenant().id, now_ms);  // gone keys left out
  }

  // {"tags": [{"key", "values": [...]}]}: keys and values in code-point order.
  template <class Json>
  [[nodiscard]] static http_response render(const std::vector<tag_values>& all) {
    Json tags = Json::array();
    for (const auto& tag : all) tags.push_back(Json{{"key", tag.key}, {"values", tag.values}});
    return detail::respond_json(Json{{"tags", tags}});
  }
};
}  // namespace actions

}  // namespace kmscore
