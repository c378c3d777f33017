// kmscore/actions/create_kms_tag.hpp: create-kms-tag (api-metadata.md §3.2):
// `POST …/kms/{key_id}/tags` sets one tag on a key; 204.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "../route.hpp"
#include "tag_fields.hpp"

namespace kmscore {

struct create_kms_tag_request {
  optional_field key_id;  // from the path
  tree_field tag;
  optional_field sequence;

  static constexpr auto fields() {
    using r = create_kms_tag_request;
    return field_table(field{"key_id", &r::key_id}, field{"tag", &r::tag},
                       field{"sequence", &r::sequence});
  }
};

class create_kms_tag_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const tag_entry& tag() const noexcept { return tag_; }

 private:
  friend result<create_kms_tag_params> validate(const create_kms_tag_request& request);
  create_kms_tag_params(const kmscore::key_id& id, tag_entry tag)
      : key_id_{id}, tag_{std::move(tag)} {}

  kmscore::key_id key_id_;
  tag_entry tag_;
};

// In table order: key_id (KMS.0205), tag (absent KMS.0204; not an object KMS.0414; its
// members per §3.1), sequence.
[[nodiscard]] inline result<create_kms_tag_params> validate(const create_kms_tag_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.tag) return error{errc::missing_parameter, "tag"};
  if (!request.tag->is(wire_value::kind::object)) return errc::invalid_tags;
  KMSCORE_TRY_ASSIGN(auto tag, detail::read_tag_entry(*request.tag));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return create_kms_tag_params{id, std::move(tag)};
}

namespace actions {
struct create_kms_tag {
  static constexpr std::string_view name = "create-kms-tag";
  static constexpr action_route route{http_method::post, "{key_id}/tags", true};
  using request = create_kms_tag_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    return service.change_key(params.key_id(), now_ms, [&](key_record& record) -> result<void> {
      KMSCORE_TRY(detail::check_tag_write(record));
      return detail::put_tag(record.tags, params.tag());
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& /*tagged*/) {
    return detail::respond_no_content();
  }
};
}  // namespace actions

}  // namespace kmscore
