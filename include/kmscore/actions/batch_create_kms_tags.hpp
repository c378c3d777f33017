// kmscore/actions/batch_create_kms_tags.hpp: batch-create-kms-tags (api-metadata.md §3.3):
// `POST …/kms/{key_id}/tags/action` creates or deletes up to 10 tags, all or nothing; 204.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "../route.hpp"
#include "tag_fields.hpp"

namespace kmscore {

struct batch_create_kms_tags_request {
  optional_field key_id;  // from the path
  tree_field tags;
  optional_field action;
  optional_field sequence;

  static constexpr auto fields() {
    using r = batch_create_kms_tags_request;
    return field_table(field{"key_id", &r::key_id}, field{"tags", &r::tags},
                       field{"action", &r::action}, field{"sequence", &r::sequence});
  }
};

class batch_create_kms_tags_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const std::vector<tag_entry>& tags() const noexcept { return tags_; }
  [[nodiscard]] bool deletes() const noexcept { return deletes_; }

 private:
  friend result<batch_create_kms_tags_params> validate(
      const batch_create_kms_tags_request& request);
  batch_create_kms_tags_params() = default;

  kmscore::key_id key_id_;
  std::vector<tag_entry> tags_;
  bool deletes_ = false;
};

namespace detail {
// tags: a JSON array (else KMS.0412) of 1 (else KMS.0401) to 10 (else KMS.0407) objects
// (else KMS.0412), each per §3.1, no tag key twice (KMS.0412).
[[nodiscard]] inline result<std::vector<tag_entry>> read_tag_list(const wire_value& tags) {
  if (!tags.is(wire_value::kind::array)) return errc::invalid_tag_list;
  if (tags.elements.empty()) return errc::tag_list_empty;
  if (tags.elements.size() > max_tags_per_key) return errc::invalid_tag_list_size;
  std::vector<tag_entry> entries;
  entries.reserve(tags.elements.size());
  for (const auto& element : tags.elements) {
    if (!element.is(wire_value::kind::object)) return errc::invalid_tag_list;
    KMSCORE_TRY_ASSIGN(auto entry, read_tag_entry(element));
    for (const auto& earlier : entries) {
      if (earlier.key == entry.key) return errc::invalid_tag_list;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}
}  // namespace detail

// In table order: key_id (KMS.0205), tags (absent KMS.0204, then detail::read_tag_list),
// action `create` or `delete` (absent KMS.0204, else KMS.0404), sequence.
[[nodiscard]] inline result<batch_create_kms_tags_params> validate(
    const batch_create_kms_tags_request& request) {
  batch_create_kms_tags_params params;
  KMSCORE_TRY_ASSIGN(params.key_id_, detail::parse_required_key_id(request.key_id));
  if (!request.tags) return error{errc::missing_parameter, "tags"};
  KMSCORE_TRY_ASSIGN(params.tags_, detail::read_tag_list(*request.tags));
  if (!request.action) return error{errc::missing_parameter, "action"};
  if (*request.action != "create" && *request.action != "delete") return errc::invalid_action;
  params.deletes_ = *request.action == "delete";
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return params;
}

// The batch on a key's tags, on a copy (so a refusal changes nothing): create sets every
// entry (KMS.0409 if the key would hold more than 10); delete removes each entry's tag key
// when present and, if the entry gives a value, only when the stored value equals it.
[[nodiscard]] inline result<void> apply_tag_batch(key_tags& tags,
                                                  const batch_create_kms_tags_params& params) {
  key_tags changed = tags;
  for (const auto& entry : params.tags()) {
    if (!params.deletes()) {
      KMSCORE_TRY(detail::put_tag(changed, entry));
      continue;
    }
    const auto found = changed.find(entry.key);
    if (found != changed.end() && (!entry.value || *entry.value == found->second)) {
      changed.erase(found);
    }
  }
  tags = std::move(changed);
  return {};
}

namespace actions {
struct batch_create_kms_tags {
  static constexpr std::string_view name = "batch-create-kms-tags";
  static constexpr action_route route{http_method::post, "{key_id}/tags/action", true};
  using request = batch_create_kms_tags_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    return service.change_key(params.key_id(), now_ms, [&](key_record& record) -> result<void> {
      KMSCORE_TRY(detail::check_tag_write(record));
      return apply_tag_batch(record.tags, params);
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& /*tagged*/) {
    return detail::respond_no_content();
  }
};
}  // namespace actions

}  // namespace kmscore
