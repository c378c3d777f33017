// kmscore/actions/delete_alias.hpp: delete-alias (api-metadata.md §5.3): `DELETE …/kms/aliases`
// with a JSON body removes aliases of one key, all or none; 204.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../route.hpp"
#include "alias_fields.hpp"

namespace kmscore {

struct delete_alias_request {
  tree_field aliases;
  optional_field key_id;
  optional_field sequence;

  static constexpr auto fields() {
    using r = delete_alias_request;
    return field_table(field{"aliases", &r::aliases}, field{"key_id", &r::key_id},
                       field{"sequence", &r::sequence});
  }
};

class delete_alias_params {
 public:
  [[nodiscard]] const std::vector<std::string>& aliases() const noexcept { return aliases_; }
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }

 private:
  friend result<delete_alias_params> validate(const delete_alias_request& request);
  delete_alias_params(std::vector<std::string> aliases, const kmscore::key_id& id)
      : aliases_{std::move(aliases)}, key_id_{id} {}

  std::vector<std::string> aliases_;
  kmscore::key_id key_id_;
};

inline constexpr std::size_t max_aliases_per_delete = 50;

// In table order: aliases (absent KMS.0204; not an array of 1–50 strings each per §5.1
// KMS.0308 Invalid aliases.; repeats allowed), key_id (KMS.0205), sequence.
[[nodiscard]] inline result<delete_alias_params> validate(const delete_alias_request& request) {
  if (!request.aliases) return error{errc::missing_parameter, "aliases"};
  const auto& list = *request.aliases;
  const error invalid{errc::invalid_parameter, "aliases"};
  if (!list.is(wire_value::kind::array) || list.elements.empty() ||
      list.elements.size() > max_aliases_per_delete) {
    return invalid;
  }
  std::vector<std::string> aliases;
  aliases.reserve(list.elements.size());
  for (const auto& element : list.elements) {
    if (!element.is(wire_value::kind::string) || !is_alias(element.text)) return invalid;
    aliases.push_back(element.text);
  }
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return delete_alias_params{std::move(aliases), id};
}

namespace actions {
struct delete_alias {
  static constexpr std::string_view name = "delete-alias";
  static constexpr action_route route{http_method::del, "aliases", true};
  using request = delete_alias_request;

  // Then: no key KMS.0207 (any state); an alias that does not name the key KMS.0308 Invalid
  // aliases., nothing deleted.
  template <crypto_backend Backend>
  [[nodiscard]] static result<kmscore::key_id> run(kms_service<Backend>& service, const request& r,
                                                   std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY(service.find_existing(params.key_id(), now_ms));
    KMSCORE_TRY_ASSIGN(
        const auto outcome,
        service.store().remove_aliases(service.tenant().id, params.key_id(), params.aliases()));
    if (outcome != alias_outcome::done) return error{errc::invalid_parameter, "aliases"};
    return params.key_id();
  }

  template <class Json>
  [[nodiscard]] static http_response render(const kmscore::key_id& /*key*/) {
    return detail::respond_no_content();
  }
};
}  // namespace actions

}  // namespace kmscore
