// kmscore/actions.hpp: every action of the API, in one list.
//
//   kmscore::actions::create_datakey::run(service, request, now_ms);   // one action
//   for (auto name : kmscore::action_names) ...                        // every action's name
//
// Each action is one file in actions/ (its request and field table, validation, operation
// and rendering; actions/common.hpp says how). Adding an action is that file, its include
// here and its entry in `all_actions`: the JSON layer, the tool and the server find it
// through this list. The order is api.md's, then api-rotation.md's and this project's
// extensions, then api-asymmetric.md's, then api-metadata.md's, then api-import-mac.md's.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "actions/associate_alias.hpp"
#include "actions/batch_create_kms_tags.hpp"
#include "actions/cancel_key_deletion.hpp"
#include "actions/create_alias.hpp"
#include "actions/create_datakey.hpp"
#include "actions/create_datakey_without_plaintext.hpp"
#include "actions/create_ec_datakey_pair.hpp"
#include "actions/create_key.hpp"
#include "actions/create_kms_tag.hpp"
#include "actions/create_rsa_datakey_pair.hpp"
#include "actions/decrypt_data.hpp"
#include "actions/decrypt_datakey.hpp"
#include "actions/delete_alias.hpp"
#include "actions/delete_imported_key_material.hpp"
#include "actions/delete_tag.hpp"
#include "actions/describe_key.hpp"
#include "actions/disable_key.hpp"
#include "actions/disable_key_rotation.hpp"
#include "actions/enable_key.hpp"
#include "actions/enable_key_rotation.hpp"
#include "actions/encrypt_data.hpp"
#include "actions/encrypt_datakey.hpp"
#include "actions/gen_random.hpp"
#include "actions/generate_mac.hpp"
#include "actions/get_key_rotation_status.hpp"
#include "actions/get_parameters_for_import.hpp"
#include "actions/get_publickey.hpp"
#include "actions/import_key_material.hpp"
#include "actions/list_aliases.hpp"
#include "actions/list_keys.hpp"
#include "actions/list_kms_by_tags.hpp"
#include "actions/list_kms_tags.hpp"
#include "actions/re_encrypt_datakey.hpp"
#include "actions/rotate_key.hpp"
#include "actions/schedule_key_deletion.hpp"
#include "actions/show_kms_tags.hpp"
#include "actions/show_user_quotas.hpp"
#include "actions/sign.hpp"
#include "actions/update_key_alias.hpp"
#include "actions/update_key_description.hpp"
#include "actions/update_key_min_decryption_version.hpp"
#include "actions/update_key_rotation_interval.hpp"
#include "actions/verify.hpp"
#include "actions/verify_mac.hpp"

namespace kmscore {

template <class... Actions>
struct action_list {
  static constexpr std::size_t size = sizeof...(Actions);
  static constexpr std::array<std::string_view, size> names{Actions::name...};
};

using all_actions = action_list<
    actions::create_key, actions::create_datakey, actions::create_datakey_without_plaintext,
    actions::encrypt_datakey, actions::decrypt_datakey, actions::describe_key, actions::list_keys,
    actions::enable_key, actions::disable_key, actions::schedule_key_deletion,
    actions::cancel_key_deletion, actions::enable_key_rotation, actions::disable_key_rotation,
    actions::update_key_rotation_interval, actions::get_key_rotation_status, actions::rotate_key,
    actions::update_key_min_decryption_version, actions::re_encrypt_datakey, actions::get_publickey,
    actions::sign, actions::verify, actions::encrypt_data, actions::decrypt_data,
    actions::gen_random, actions::update_key_alias, actions::update_key_description,
    actions::create_kms_tag, actions::batch_create_kms_tags, actions::delete_tag,
    actions::show_kms_tags, actions::list_kms_tags, actions::list_kms_by_tags,
    actions::show_user_quotas, actions::show_user_instances, actions::create_alias,
    actions::delete_alias, actions::list_aliases, actions::associate_alias, actions::generate_mac,
    actions::verify_mac, actions::create_rsa_datakey_pair, actions::create_ec_datakey_pair,
    actions::get_parameters_for_import, actions::import_key_material,
    actions::delete_imported_key_material>;

// The names of every action, in the list's order.
inline constexpr auto action_names = all_actions::names;

// An action by its position in all_actions; found once per request, by name.
class action_id {
 public:
  [[nodiscard]] static constexpr std::optional<action_id> find(std::string_view name) noexcept {
    for (std::size_t i = 0; i < action_names.size(); ++i) {
      if (action_names[i] == name) return action_id{i};
    }
    return std::nullopt;
  }
  [[nodiscard]] constexpr std::size_t index() const noexcept { return index_; }
  [[nodiscard]] constexpr std::string_view name() const noexcept { return action_names[index_]; }

 private:
  constexpr explicit action_id(std::size_t index) noexcept : index_{index} {}
  std::size_t index_;
};

[[nodiscard]] constexpr bool is_known_action(std::string_view action) noexcept {
  return action_id::find(action).has_value();
}

}  // namespace kmscore
