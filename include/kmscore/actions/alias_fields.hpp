// kmscore/actions/alias_fields.hpp: what the alias actions share (api-metadata.md §5): the
// AliasEntity they answer, and the key checks of the two writes.
#pragma once

#include <string>
#include <utility>

#include "../aliases.hpp"
#include "common.hpp"

namespace kmscore {

// An alias as the API shows it: the entry, with the project's domain and the alias's URN.
struct alias_view {
  alias_entry entry;
  std::string domain_id;
  std::string urn;
};

namespace detail {
template <crypto_backend Backend>
[[nodiscard]] alias_view view_of(const kms_service<Backend>& service, alias_entry entry) {
  auto urn = alias_urn(service.region(), service.tenant().domain_id, entry.alias);
  return alias_view{std::move(entry), service.tenant().domain_id, std::move(urn)};
}

// AliasEntity: {"domain_id", "key_id", "alias", "alias_urn", "create_time", "update_time"}.
template <class Json>
[[nodiscard]] Json alias_entity(const alias_view& view) {
  return Json{{"domain_id", view.domain_id},
              {"key_id", view.entry.key_id.str()},
              {"alias", view.entry.alias},
              {"alias_urn", view.urn},
              {"create_time", utc_seconds_text(view.entry.create_time_ms)},
              {"update_time", utc_seconds_text(view.entry.update_time_ms)}};
}

// The key checks of create-alias and associate-alias after the lookup (KMS.0207): a key
// pending deletion takes no alias (KMS.0210); default keys (KMS.0211) do not exist here.
[[nodiscard]] inline result<void> check_alias_target(const key_record& record) {
  if (record.key.state == key_state::scheduled_deletion) return errc::key_pending_deletion;
  return {};
}

// The answer to a store's outcome of create-alias or associate-alias (key_store.hpp): done,
// or the refusal in the order of §5.2 and §5.5; an outcome these writes never have is a
// fault (associate-alias retries `moved` before asking).
[[nodiscard]] inline result<void> alias_write_result(alias_outcome outcome) {
  switch (outcome) {
    case alias_outcome::no_key:
      return errc::key_not_found;
    case alias_outcome::key_pending:
      return errc::key_pending_deletion;
    case alias_outcome::taken:
      return errc::duplicate_key_alias;
    case alias_outcome::full:
      return error{errc::invalid_parameter, "alias"};
    case alias_outcome::done:
      return {};
    case alias_outcome::moved:
    case alias_outcome::not_associated:
      break;
  }
  return errc::kms_error;
}
}  // namespace detail

}  // namespace kmscore
