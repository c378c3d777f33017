// kmscore/actions/show_kms_tags.hpp: show-kms-tags (api-metadata.md §3.5):
// `GET …/kms/{key_id}/tags` answers a key's tags, in any key state.
#pragma once

#include <cstdint>
#include <string_view>

#include "../route.hpp"
#include "tag_fields.hpp"

namespace kmscore {

namespace detail {
// A key's tags as [{"key", "value"}], in key order (code-point order).
template <class Json>
[[nodiscard]] Json tag_array(const key_tags& tags) {
  Json array = Json::array();
  for (const auto& [key, value] : tags) array.push_back(Json{{"key", key}, {"value", value}});
  return array;
}
}  // namespace detail

namespace actions {
struct show_kms_tags {
  static constexpr std::string_view name = "show-kms-tags";
  static constexpr action_route route{http_method::get, "{key_id}/tags", false};
  using request = key_id_request;  // key_id from the path

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    return detail::find_named_key(service, r, now_ms);
  }

  // {"tags": [...], "sys_tags": [] (no system tags here), "existTagsNum": n}.
  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return detail::respond_json(Json{{"tags", detail::tag_array<Json>(record.tags)},
                                     {"sys_tags", Json::array()},
                                     {"existTagsNum", record.tags.size()}});
  }
};
}  // namespace actions

}  // namespace kmscore
