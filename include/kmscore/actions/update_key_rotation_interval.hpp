// kmscore/actions/update_key_rotation_interval.hpp: update-key-rotation-interval
// (api-rotation.md 3.3); answers {}.
//
// rotation_interval is a JSON integer on the wire: the JSON layer passes its decimal digits
// (and a value no integer rule accepts for any other JSON type).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "../rotation.hpp"
#include "common.hpp"

namespace kmscore {

struct update_rotation_interval_request {
  optional_field key_id;
  optional_field rotation_interval;
  optional_field sequence;

  static constexpr auto fields() {
    using r = update_rotation_interval_request;
    return field_table(field{"key_id", &r::key_id},
                       field{"rotation_interval", &r::rotation_interval, wire_type::integer},
                       field{"sequence", &r::sequence});
  }
};

class update_rotation_interval_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] std::uint32_t days() const noexcept { return days_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<update_rotation_interval_params> validate(
      const update_rotation_interval_request& request);
  update_rotation_interval_params(const kmscore::key_id& id, std::uint32_t days,
                                  optional_field sequence)
      : key_id_{id}, days_{days}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  std::uint32_t days_;
  optional_field sequence_;
};

[[nodiscard]] inline result<update_rotation_interval_params> validate(
    const update_rotation_interval_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.rotation_interval) return error{errc::missing_parameter, "rotation_interval"};
  const auto days = detail::parse_decimal(*request.rotation_interval, 366);
  if (!days || *days < 30 || *days > 365) return errc::invalid_rotation_interval;
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return update_rotation_interval_params{id, *days, request.sequence};
}

namespace actions {
struct update_key_rotation_interval {
  static constexpr std::string_view name = "update-key-rotation-interval";
  using request = update_rotation_interval_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    return service.change_key(params.key_id(), now_ms, [&](key_record& record) {
      return kmscore::update_rotation_interval(record, params.days());
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& /*record*/) {
    return detail::respond_empty<Json>();
  }
};
}  // namespace actions

}  // namespace kmscore
