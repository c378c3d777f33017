// kmscore/actions/update_key_min_decryption_version.hpp: update-key-min-decryption-version
// (extension, docs/rotation.md); answers {}.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

#include "../rotation.hpp"
#include "common.hpp"

namespace kmscore {

struct update_min_decryption_version_request {
  optional_field key_id;
  optional_field min_decryption_version;  // a JSON integer, as rotation_interval
  optional_field sequence;

  static constexpr auto fields() {
    using r = update_min_decryption_version_request;
    return field_table(
        field{"key_id", &r::key_id},
        field{"min_decryption_version", &r::min_decryption_version, wire_type::integer},
        field{"sequence", &r::sequence});
  }
};

class update_min_decryption_version_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] std::uint32_t version() const noexcept { return version_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<update_min_decryption_version_params> validate(
      const update_min_decryption_version_request& request);
  update_min_decryption_version_params(const kmscore::key_id& id, std::uint32_t version,
                                       optional_field sequence)
      : key_id_{id}, version_{version}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  std::uint32_t version_;
  optional_field sequence_;
};

[[nodiscard]] inline result<update_min_decryption_version_params> validate(
    const update_min_decryption_version_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.min_decryption_version) {
    return error{errc::missing_parameter, "min_decryption_version"};
  }
  // The upper bound (the key's newest version) is checked against the key.
  const auto version = detail::parse_decimal(*request.min_decryption_version, 0xFFFF'FFFEU);
  if (!version) return errc::invalid_min_decryption_version;
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return update_min_decryption_version_params{id, *version, request.sequence};
}

namespace actions {
struct update_key_min_decryption_version {
  static constexpr std::string_view name = "update-key-min-decryption-version";
  using request = update_min_decryption_version_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    return service.change_key(params.key_id(), now_ms, [&](key_record& record) {
      return kmscore::update_min_decryption_version(record, params.version());
    });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& /*record*/) {
    return detail::respond_empty<Json>();
  }
};
}  // namespace actions

}  // namespace kmscore
