// kmscore/actions/list_kms_by_tags.hpp: list-kms-by-tags (api-metadata.md §3.7):
// `POST …/kms/resource_instances/action` finds the project's keys by tags and alias, as a
// page (`filter`) or a count (`count`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../route.hpp"
#include "show_kms_tags.hpp"
#include "tag_fields.hpp"

namespace kmscore {

inline constexpr std::size_t max_tag_filter_limit = 1000;
inline constexpr std::size_t default_tag_filter_limit = 10;
inline constexpr std::uint32_t max_tag_filter_offset = 2147483647;
inline constexpr std::size_t max_match_value_code_points = 255;

struct list_kms_by_tags_request {
  optional_field limit;
  optional_field offset;
  optional_field action;
  tree_field tags;
  tree_field matches;
  optional_field sequence;

  static constexpr auto fields() {
    using r = list_kms_by_tags_request;
    return field_table(field{"limit", &r::limit}, field{"offset", &r::offset},
                       field{"action", &r::action}, field{"tags", &r::tags},
                       field{"matches", &r::matches}, field{"sequence", &r::sequence});
  }
};

class list_kms_by_tags_params {
 public:
  [[nodiscard]] const key_list_query& query() const noexcept { return query_; }
  [[nodiscard]] bool counts() const noexcept { return count_; }

 private:
  friend result<list_kms_by_tags_params> validate(const list_kms_by_tags_request& request);
  list_kms_by_tags_params() = default;

  key_list_query query_;
  bool count_ = false;
};

namespace detail {
// tags: an array (else KMS.0412) of at most 10 (else KMS.0407) objects (else KMS.0412)
// {"key", "values"}: key per §3.1 and not repeated (KMS.0412), values an array (else
// KMS.0412) of at most 10 (else KMS.0413) tag values per §3.1.
[[nodiscard]] inline result<std::vector<tag_filter>> read_tag_filters(const wire_value& tags) {
  if (!tags.is(wire_value::kind::array)) return errc::invalid_tag_list;
  if (tags.elements.size() > max_tags_per_key) return errc::invalid_tag_list_size;
  std::vector<tag_filter> filters;
  for (const auto& element : tags.elements) {
    if (!element.is(wire_value::kind::object)) return errc::invalid_tag_list;
    const auto* key = element.member("key");
    if (key == nullptr || !key->is(wire_value::kind::string)) return errc::invalid_tag_key;
    KMSCORE_TRY(check_tag_key(key->text));
    for (const auto& earlier : filters) {
      if (earlier.key == key->text) return errc::invalid_tag_list;
    }
    tag_filter filter{key->text, {}};
    if (const auto* values = element.member("values")) {
      if (!values->is(wire_value::kind::array)) return errc::invalid_tag_list;
      if (values->elements.size() > max_tags_per_key) return errc::too_many_tag_values;
      for (const auto& value : values->elements) {
        if (!value.is(wire_value::kind::string)) return errc::invalid_tag_value;
        KMSCORE_TRY(check_tag_value(value.text));
        filter.values.push_back(value.text);
      }
    }
    filters.push_back(std::move(filter));
  }
  return filters;
}

// matches: an array of at most one object (else KMS.0415) {"key": "resource_name" (else
// KMS.0403), "value": 1–255 code points (else KMS.0402)}; the alias substring, or nullopt.
[[nodiscard]] inline result<std::optional<std::string>> read_matches(const wire_value& matches) {
  if (!matches.is(wire_value::kind::array) || matches.elements.size() > 1) {
    return errc::invalid_matches;
  }
  if (matches.elements.empty()) return std::optional<std::string>{};
  const auto& match = matches.elements.front();
  if (!match.is(wire_value::kind::object)) return errc::invalid_matches;
  const auto* key = match.member("key");
  if (key == nullptr || !key->is(wire_value::kind::string) || key->text != "resource_name") {
    return errc::invalid_match_key;
  }
  const auto* value = match.member("value");
  if (value == nullptr || !value->is(wire_value::kind::string)) return errc::invalid_match_value;
  const auto code_points = utf8_code_points(value->text);
  if (!code_points || *code_points < 1 || *code_points > max_match_value_code_points) {
    return errc::invalid_match_value;
  }
  return std::optional<std::string>{value->text};
}
}  // namespace detail

// In table order: limit (KMS.1601), offset (KMS.0417), action `filter` or `count` (absent
// KMS.0204, else KMS.0404), tags, matches, sequence; then `count` with an offset KMS.0418.
[[nodiscard]] inline result<list_kms_by_tags_params> validate(
    const list_kms_by_tags_request& request) {
  list_kms_by_tags_params params;
  params.query_.limit = default_tag_filter_limit;
  if (request.limit) {
    const auto limit = detail::parse_count(*request.limit, 1, max_tag_filter_limit);
    if (!limit) return errc::invalid_limit;
    params.query_.limit = *limit;
  }
  if (request.offset) {
    const auto offset = detail::parse_count(*request.offset, 0, max_tag_filter_offset);
    if (!offset) return errc::invalid_offset;
    params.query_.offset = *offset;
  }
  if (!request.action) return error{errc::missing_parameter, "action"};
  if (*request.action != "filter" && *request.action != "count") return errc::invalid_action;
  params.count_ = *request.action == "count";
  if (request.tags) {
    KMSCORE_TRY_ASSIGN(params.query_.tags, detail::read_tag_filters(*request.tags));
  }
  if (request.matches) {
    KMSCORE_TRY_ASSIGN(params.query_.alias_contains, detail::read_matches(*request.matches));
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  if (params.count_ && request.offset) return errc::offset_not_required;
  params.query_.spec.reset();                  // every key of the project, whatever its spec
  if (params.count_) params.query_.limit = 0;  // the count only
  return params;
}

namespace actions {
struct list_kms_by_tags {
  static constexpr std::string_view name = "list-kms-by-tags";
  static constexpr action_route route{http_method::post, "resource_instances/action", true};
  using request = list_kms_by_tags_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_list_page> run(kms_service<Backend>& service, const request& r,
                                                 std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    auto query = params.query();
    query.now_ms = now_ms;  // gone keys are neither found nor counted
    return service.store().list(service.tenant().id, query);
  }

  // {"resources": [{"resource_id", "resource_detail": key_info, "tags", "resource_name"}],
  //  "total_count": n}, in list-keys' order.
  template <class Json>
  [[nodiscard]] static http_response render(const key_list_page& page) {
    Json resources = Json::array();
    for (const auto& record : page.records) {
      resources.push_back(Json{{"resource_id", record.key.key_id.view()},
                               {"resource_detail", detail::key_info<Json>(record)},
                               {"tags", detail::tag_array<Json>(record.tags)},
                               {"resource_name", record.key_alias}});
    }
    return detail::respond_json(Json{{"resources", resources}, {"total_count", page.total}});
  }
};
}  // namespace actions

}  // namespace kmscore
