// kmscore/actions/schedule_key_deletion.hpp: schedule-key-deletion (api.md): the key becomes
// pending deletion, pending_days (7..1096) from now.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "../create_key.hpp"
#include "cancel_key_deletion.hpp"
#include "common.hpp"

namespace kmscore {

struct schedule_key_deletion_request {
  optional_field key_id;
  optional_field pending_days;
  optional_field sequence;

  static constexpr auto fields() {
    using r = schedule_key_deletion_request;
    return field_table(field{"key_id", &r::key_id}, field{"pending_days", &r::pending_days},
                       field{"sequence", &r::sequence});
  }
};

class schedule_key_deletion_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] std::uint32_t pending_days() const noexcept { return pending_days_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<schedule_key_deletion_params> validate(
      const schedule_key_deletion_request& request);
  schedule_key_deletion_params(const kmscore::key_id& id, std::uint32_t days,
                               optional_field sequence)
      : key_id_{id}, pending_days_{days}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  std::uint32_t pending_days_;
  optional_field sequence_;
};

[[nodiscard]] inline result<schedule_key_deletion_params> validate(
    const schedule_key_deletion_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.pending_days) return error{errc::missing_parameter, "pending_days"};
  KMSCORE_TRY_ASSIGN(const auto days, parse_pending_days(*request.pending_days));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return schedule_key_deletion_params{id, days, request.sequence};
}

namespace actions {
struct schedule_key_deletion {
  static constexpr std::string_view name = "schedule-key-deletion";
  using request = schedule_key_deletion_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    return service.change_key(params.key_id(), now_ms, [&](key_record& record) {
      return kmscore::schedule_key_deletion(record, params.pending_days(), now_ms);
    });
  }

  // As cancel-key-deletion: key_id and key_state at top level.
  template <class Json>
  [[nodiscard]] static http_response render(const key_record& record) {
    return actions::cancel_key_deletion::render<Json>(record);
  }
};
}  // namespace actions

}  // namespace kmscore
