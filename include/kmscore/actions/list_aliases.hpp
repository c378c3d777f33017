// kmscore/actions/list_aliases.hpp: list-aliases (api-metadata.md §5.4):
// `GET …/kms/aliases?key_id=&limit=&marker=` pages through the project's aliases (or one
// key's) in byte order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../route.hpp"
#include "alias_fields.hpp"

namespace kmscore {

inline constexpr std::uint32_t max_alias_list_limit = 100;

struct list_aliases_request {
  optional_field key_id;  // from the query string, as limit and marker
  optional_field limit;
  optional_field marker;
  optional_field sequence;

  static constexpr auto fields() {
    using r = list_aliases_request;
    return field_table(field{"key_id", &r::key_id}, field{"limit", &r::limit},
                       field{"marker", &r::marker}, field{"sequence", &r::sequence});
  }
};

class list_aliases_params {
 public:
  [[nodiscard]] const alias_list_query& query() const noexcept { return query_; }

 private:
  friend result<list_aliases_params> validate(const list_aliases_request& request);
  list_aliases_params() = default;

  alias_list_query query_;
};

// In table order: key_id (key-ID form, KMS.0205), limit (decimal digits 1–100, KMS.1601;
// default 100), marker (an alias per §5.1, KMS.0308 Invalid marker.), sequence.
[[nodiscard]] inline result<list_aliases_params> validate(const list_aliases_request& request) {
  list_aliases_params params;
  if (request.key_id) {
    KMSCORE_TRY_ASSIGN(const auto id, key_id::parse(*request.key_id));
    params.query_.key_id = id;
  }
  params.query_.limit = max_alias_list_limit;
  if (request.limit) {
    const auto limit = detail::parse_count(*request.limit, 1, max_alias_list_limit);
    if (!limit) return errc::invalid_limit;
    params.query_.limit = *limit;
  }
  if (request.marker) {
    KMSCORE_TRY(check_alias(*request.marker, "marker"));
    params.query_.after = *request.marker;
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return params;
}

// A page of aliases, and the marker of the next one ("" when none follows).
struct alias_page {
  std::vector<alias_view> aliases;
  std::string next_marker;
};

namespace actions {
struct list_aliases {
  static constexpr std::string_view name = "list-aliases";
  static constexpr action_route route{http_method::get, "aliases", false, "key_id limit marker"};
  using request = list_aliases_request;

  // Then: key_id given and no such key KMS.0207.
  template <crypto_backend Backend>
  [[nodiscard]] static result<alias_page> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(auto params, validate(r));
    if (params.query().key_id) KMSCORE_TRY(service.find_existing(*params.query().key_id, now_ms));
    auto query = params.query();
    query.now_ms = now_ms;
    const auto limit = query.limit;
    ++query.limit;  // one more tells whether another page follows
    KMSCORE_TRY_ASSIGN(auto entries, service.store().list_aliases(service.tenant().id, query));
    alias_page page;
    if (entries.size() > limit) {
      entries.resize(limit);
      page.next_marker = entries.back().alias;
    }
    page.aliases.reserve(entries.size());
    for (auto& entry : entries) page.aliases.push_back(detail::view_of(service, std::move(entry)));
    return page;
  }

  // {"aliases": [AliasEntity…], "page_info": {"next_marker", "current_count"}}.
  template <class Json>
  [[nodiscard]] static http_response render(const alias_page& page) {
    Json aliases = Json::array();
    for (const auto& view : page.aliases) aliases.push_back(detail::alias_entity<Json>(view));
    return detail::respond_json(Json{{"aliases", aliases},
                                     {"page_info", Json{{"next_marker", page.next_marker},
                                                        {"current_count", page.aliases.size()}}}});
  }
};
}  // namespace actions

}  // namespace kmscore
