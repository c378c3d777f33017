// kmscore/actions/update_key_alias.hpp: update-key-alias (api-metadata.md §1): a key renamed;
// answers its id and new alias.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "../validate.hpp"
#include "common.hpp"

namespace kmscore {

struct update_key_alias_request {
  optional_field key_id;
  optional_field key_alias;
  optional_field sequence;

  static constexpr auto fields() {
    using r = update_key_alias_request;
    return field_table(field{"key_id", &r::key_id}, field{"key_alias", &r::key_alias},
                       field{"sequence", &r::sequence});
  }
};

class update_key_alias_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const std::string& key_alias() const noexcept { return key_alias_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<update_key_alias_params> validate(const update_key_alias_request& request);
  update_key_alias_params(const kmscore::key_id& id, std::string alias, optional_field sequence)
      : key_id_{id}, key_alias_{std::move(alias)}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  std::string key_alias_;
  optional_field sequence_;
};

// In table order: key_id (KMS.0205), key_alias as create-key's (KMS.1101), sequence.
[[nodiscard]] inline result<update_key_alias_params> validate(
    const update_key_alias_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.key_alias) return error{errc::missing_parameter, "key_alias"};
  KMSCORE_TRY(check_key_alias(*request.key_alias));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return update_key_alias_params{id, *request.key_alias, request.sequence};
}

// A key pending deletion is frozen (api-metadata.md §1, proposed): KMS.0210. Another key of
// the project holding the alias is the store's to find (KMS.1104, under concurrency too).
[[nodiscard]] inline result<void> rename_key(key_record& record, const std::string& alias) {
  if (record.key.state == key_state::scheduled_deletion) return errc::key_pending_deletion;
  record.key_alias = alias;
  return {};
}

namespace actions {
struct update_key_alias {
  static constexpr std::string_view name = "update-key-alias";
  using request = update_key_alias_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    // KMS.1104 while another live key holds the alias; a gone key's alias is taken over.
    return service.write_claiming_alias(params.key_alias(), now_ms, [&] {
      return service.change_key(params.key_id(), now_ms, [&](key_record& record) {
        return rename_key(record, params.key_alias());
      });
    });
  }

  // {"key_info": {"key_id", "key_alias"}}: an object, as every example of the API's pages.
  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return detail::respond_json(Json{
        {"key_info", {{"key_id", record.key.key_id.view()}, {"key_alias", record.key_alias}}}});
  }
};
}  // namespace actions

}  // namespace kmscore
