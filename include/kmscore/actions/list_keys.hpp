// kmscore/actions/list_keys.hpp: list-keys (api-rotation.md section 5): a page of the
// project's keys, filtered by state, spec and enterprise project.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common.hpp"

namespace kmscore {

struct list_keys_request {
  optional_field limit;
  optional_field marker;
  optional_field key_state;
  optional_field key_spec;
  optional_field enterprise_project_id;
  optional_field sequence;

  static constexpr auto fields() {
    using r = list_keys_request;
    return field_table(field{"limit", &r::limit}, field{"marker", &r::marker},
                       field{"key_state", &r::key_state}, field{"key_spec", &r::key_spec},
                       field{"enterprise_project_id", &r::enterprise_project_id},
                       field{"sequence", &r::sequence});
  }
};

class list_keys_params {
 public:
  [[nodiscard]] const key_list_query& query() const noexcept { return query_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<list_keys_params> validate(const list_keys_request& request);
  list_keys_params() = default;

  key_list_query query_;
  optional_field sequence_;
};

namespace detail {
// limit: decimal digits without a leading zero, 1..2000.
[[nodiscard]] constexpr result<std::size_t> parse_list_limit(std::string_view text) noexcept {
  const auto value = parse_count(text, 1, max_list_limit);
  if (!value) return errc::invalid_limit;
  return std::size_t{*value};
}
// marker: decimal digits, an offset (anything beyond the last key gives an empty page).
[[nodiscard]] constexpr result<std::size_t> parse_list_marker(std::string_view text) noexcept {
  constexpr std::uint32_t cap = 0xFFFF'FFFEU;
  const auto value = parse_decimal(text, cap);
  if (!value) return errc::invalid_marker;
  return std::size_t{*value};
}
}  // namespace detail

[[nodiscard]] inline result<list_keys_params> validate(const list_keys_request& request) {
  list_keys_params params;
  params.query_.spec = key_spec::aes_256;  // Huawei's default: AES_256 keys only
  if (request.limit) {
    KMSCORE_TRY_ASSIGN(params.query_.limit, detail::parse_list_limit(*request.limit));
  }
  if (request.marker) {
    KMSCORE_TRY_ASSIGN(params.query_.offset, detail::parse_list_marker(*request.marker));
  }
  if (request.key_state) {
    const auto& text = *request.key_state;
    if (text.size() != 1 || text[0] < '1' || text[0] > '5') {
      return error{errc::invalid_parameter, "key_state"};
    }
    params.query_.state = static_cast<key_state>(text[0] - '0');
  }
  if (request.key_spec) {
    if (*request.key_spec == "ALL") {
      params.query_.spec.reset();
    } else {
      KMSCORE_TRY_ASSIGN(params.query_.spec, check_key_spec(*request.key_spec));
    }
  }
  if (request.enterprise_project_id && *request.enterprise_project_id != "all") {
    KMSCORE_TRY(check_enterprise_project_id(*request.enterprise_project_id));
    params.query_.enterprise_project_id = *request.enterprise_project_id;
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  return params;
}

namespace actions {
struct list_keys {
  static constexpr std::string_view name = "list-keys";
  using request = list_keys_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_list_page> run(kms_service<Backend>& service, const request& r,
                                                 std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    auto query = params.query();
    query.now_ms = now_ms;  // gone keys are neither listed nor counted
    return service.store().list(service.tenant().id, query);
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_list_page& page) {
    Json ids = Json::array();
    Json details = Json::array();
    for (const auto& record : page.records) {
      ids.push_back(record.key.key_id.view());
      details.push_back(detail::key_info<Json>(record));
    }
    // The marker is the offset of the next page (api-rotation.md: opaque to clients).
    const std::size_t next = page.offset + page.records.size();
    const bool truncated = next < page.total;
    return detail::respond_json(Json{{"keys", ids},
                                     {"key_details", details},
                                     {"next_marker", truncated ? std::to_string(next) : ""},
                                     {"truncated", truncated ? "true" : "false"},
                                     {"total", page.total}});
  }
};
}  // namespace actions

}  // namespace kmscore
