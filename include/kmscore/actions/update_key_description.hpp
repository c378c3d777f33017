// kmscore/actions/update_key_description.hpp: update-key-description (api-metadata.md §2): a
// key's description replaced ("" clears it); answers its id and new description.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../validate.hpp"
#include "common.hpp"

namespace kmscore {

struct update_key_description_request {
  optional_field key_id;
  optional_field key_description;
  optional_field sequence;

  static constexpr auto fields() {
    using r = update_key_description_request;
    return field_table(field{"key_id", &r::key_id}, field{"key_description", &r::key_description},
                       field{"sequence", &r::sequence});
  }
};

class update_key_description_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const std::string& key_description() const noexcept { return key_description_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<update_key_description_params> validate(
      const update_key_description_request& request);
  update_key_description_params(const kmscore::key_id& id, std::string description,
                                optional_field sequence)
      : key_id_{id}, key_description_{std::move(description)}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  std::string key_description_;
  optional_field sequence_;
};

// In table order: key_id (KMS.0205), key_description as create-key's (KMS.1103), sequence.
[[nodiscard]] inline result<update_key_description_params> validate(
    const update_key_description_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.key_description) return error{errc::missing_parameter, "key_description"};
  KMSCORE_TRY(check_key_description(*request.key_description));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return update_key_description_params{id, *request.key_description, request.sequence};
}

// A key pending deletion is frozen, as for update-key-alias: KMS.0210.
[[nodiscard]] inline result<void> describe_key_as(key_record& record,
                                                  const std::string& description) {
  if (record.key.state == key_state::scheduled_deletion) return errc::key_pending_deletion;
  record.key_description = description;
  return {};
}

namespace actions {
struct update_key_description {
  static constexpr std::string_view name = "update-key-description";
  using request = update_key_description_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    return service.change_key(params.key_id(), now_ms, [&](key_record& record) {
      return describe_key_as(record, params.key_description());
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return detail::respond_json(Json{
        {"key_info",
         {{"key_id", record.key.key_id.view()}, {"key_description", record.key_description}}}});
  }
};
}  // namespace actions

}  // namespace kmscore
