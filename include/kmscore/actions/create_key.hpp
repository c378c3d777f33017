// kmscore/actions/create_key.hpp: create-key (api.md).
//
//   kmscore::create_key_request request;
//   request.key_alias = "test";
//   auto params = kmscore::validate(request);   // result<create_key_params>
//   auto record = kmscore::create_key(backend, *params, domain_id, now_ms);
//
// Fields in api.md's table order; a `*_params` can only come from `validate`, with every
// field already of its type. Key material comes from the backend (create_key.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "../create_key.hpp"
#include "common.hpp"

namespace kmscore {

struct create_key_request {
  optional_field key_alias;
  optional_field key_spec;
  optional_field key_usage;
  optional_field key_description;
  optional_field origin;
  optional_field enterprise_project_id;
  optional_field sequence;

  static constexpr auto fields() {
    using r = create_key_request;
    return field_table(field{"key_alias", &r::key_alias}, field{"key_spec", &r::key_spec},
                       field{"key_usage", &r::key_usage},
                       field{"key_description", &r::key_description}, field{"origin", &r::origin},
                       field{"enterprise_project_id", &r::enterprise_project_id},
                       field{"sequence", &r::sequence});
  }
};

class create_key_params {
 public:
  [[nodiscard]] const std::string& key_alias() const noexcept { return key_alias_; }
  [[nodiscard]] key_spec spec() const noexcept { return spec_; }
  [[nodiscard]] key_usage usage() const noexcept { return usage_; }
  [[nodiscard]] const std::string& key_description() const noexcept { return key_description_; }
  [[nodiscard]] key_origin origin() const noexcept { return origin_; }
  [[nodiscard]] const std::string& enterprise_project_id() const noexcept {
    return enterprise_project_id_;
  }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<create_key_params> validate(const create_key_request& request);
  create_key_params() = default;

  std::string key_alias_;
  kmscore::key_spec spec_ = key_spec::aes_256;
  kmscore::key_usage usage_ = key_usage::encrypt_decrypt;
  std::string key_description_;
  key_origin origin_ = key_origin::kms;
  std::string enterprise_project_id_ = "0";
  optional_field sequence_;
};

[[nodiscard]] inline result<create_key_params> validate(const create_key_request& request) {
  create_key_params params;
  if (!request.key_alias) return error{errc::missing_parameter, "key_alias"};
  KMSCORE_TRY(check_key_alias(*request.key_alias));
  params.key_alias_ = *request.key_alias;
  if (request.key_spec) {
    KMSCORE_TRY_ASSIGN(params.spec_, check_key_spec(*request.key_spec));
  }
  params.usage_ = spec_policy(params.spec_).default_usage;
  if (request.key_usage) {
    KMSCORE_TRY_ASSIGN(params.usage_, check_key_usage(*request.key_usage, params.spec_));
  }
  if (request.key_description) {
    KMSCORE_TRY(check_key_description(*request.key_description));
    params.key_description_ = *request.key_description;
  }
  if (request.origin) {
    KMSCORE_TRY_ASSIGN(params.origin_, check_origin(*request.origin, params.spec_));
  }
  if (request.enterprise_project_id) {
    KMSCORE_TRY(check_enterprise_project_id(*request.enterprise_project_id));
    params.enterprise_project_id_ = *request.enterprise_project_id;
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  return params;
}

template <crypto_backend Backend>
[[nodiscard]] result<key_record> create_key(Backend& backend, const create_key_params& params,
                                            std::string_view domain_id, std::int64_t now_ms) {
  if (!is_valid_domain_id(domain_id)) return errc::kms_error;  // the host's mistake
  key_record record;
  KMSCORE_TRY_ASSIGN(record.key.key_id, new_key_id(backend));
  record.key.spec = params.spec();
  record.domain_id = std::string{domain_id};
  record.key_alias = params.key_alias();
  record.key_description = params.key_description();
  record.usage = params.usage();
  record.origin = params.origin();
  record.enterprise_project_id = params.enterprise_project_id();
  record.creation_date_ms = now_ms;
  if (params.origin() == key_origin::external) {
    record.key.state = key_state::pending_import;
    return record;
  }
  KMSCORE_TRY(make_key_material(backend, record));
  record.key.state = key_state::enabled;
  return record;
}

// Under a host's key quota (api-metadata.md §4), before any key material is made: a live key
// holding the alias answers KMS.1104 first, then a project that holds `key_quota` keys
// (gone keys not counted) KMS.1105 Too many keys. Concurrent creates can each pass the count:
// the quota is a bound per request, not a transaction of the store.
template <crypto_backend Backend>
[[nodiscard]] result<void> check_key_quota(kms_service<Backend>& service, std::string_view alias,
                                           std::int64_t now_ms) {
  KMSCORE_TRY_ASSIGN(const auto holder, service.store().find_by_alias(service.tenant().id, alias));
  if (holder && !is_gone(*holder, now_ms)) return errc::duplicate_key_alias;
  KMSCORE_TRY_ASSIGN(const auto held, service.count_keys(now_ms));
  if (static_cast<std::int64_t>(held) >= service.key_quota()) return errc::too_many_keys;
  return {};
}

namespace actions {
struct create_key {
  static constexpr std::string_view name = "create-key";
  using request = create_key_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    if (service.key_quota() != unlimited_key_quota) {
      KMSCORE_TRY(check_key_quota(service, params.key_alias(), now_ms));
    }
    KMSCORE_TRY_ASSIGN(auto record, kmscore::create_key(service.backend(), params,
                                                        service.tenant().domain_id, now_ms));
    record.project_id = service.tenant().id;
    // KMS.1104 while a live key holds the alias; a gone key's alias is taken over.
    KMSCORE_TRY(service.write_claiming_alias(record.key_alias, now_ms,
                                             [&] { return service.store().insert(record); }));
    return record;
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record& made) {
    return detail::respond_json(
        Json{{"key_info", {{"key_id", made.key.key_id.view()}, {"domain_id", made.domain_id}}}});
  }
};
}  // namespace actions

}  // namespace kmscore
