// kmscore/actions/delete_tag.hpp: delete-tag (api-metadata.md §3.4):
// `DELETE …/kms/{key_id}/tags/{key}` removes one tag of a key; 204, no body either way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../route.hpp"
#include "tag_fields.hpp"

namespace kmscore {

struct delete_tag_request {
  optional_field key_id;  // from the path
  optional_field key;     // from the path, percent-decoded
  optional_field sequence;

  static constexpr auto fields() {
    using r = delete_tag_request;
    return field_table(field{"key_id", &r::key_id}, field{"key", &r::key},
                       field{"sequence", &r::sequence});
  }
};

class delete_tag_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const std::string& key() const noexcept { return key_; }

 private:
  friend result<delete_tag_params> validate(const delete_tag_request& request);
  delete_tag_params(const kmscore::key_id& id, std::string key)
      : key_id_{id}, key_{std::move(key)} {}

  kmscore::key_id key_id_;
  std::string key_;
};

// key_id (KMS.0205), then the tag key per §3.1 (KMS.0406 / KMS.0411; absent KMS.0204, only
// possible through the library and the tool), sequence.
[[nodiscard]] inline result<delete_tag_params> validate(const delete_tag_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.key) return error{errc::missing_parameter, "key"};
  KMSCORE_TRY(check_tag_key(*request.key));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return delete_tag_params{id, *request.key};
}

namespace actions {
struct delete_tag {
  static constexpr std::string_view name = "delete-tag";
  static constexpr action_route route{http_method::del, "{key_id}/tags/{key}", false};
  using request = delete_tag_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    return service.change_key(params.key_id(), now_ms, [&](key_record& record) -> result<void> {
      KMSCORE_TRY(detail::check_tag_write(record));
      // No such tag: 404 KMS.0416 Invalid tag ID.
      if (record.tags.erase(params.key()) == 0) return errc::tag_not_found;
      return {};
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& /*untagged*/) {
    return detail::respond_no_content();
  }
};
}  // namespace actions

}  // namespace kmscore
