// kmscore/actions/tag_fields.hpp: what the tag actions share (api-metadata.md §3): a
// {"key", "value"} object read from the wire under §3.1, and the checks of the three writes.
#pragma once

#include <optional>
#include <string>

#include "../fields.hpp"
#include "../key_record.hpp"
#include "../tags.hpp"
#include "common.hpp"

namespace kmscore {

// A tag as a request gives it; value nullopt when the request gave none (create: "").
struct tag_entry {
  std::string key;
  std::optional<std::string> value;
};

namespace detail {
// The members of a {"key", "value"} object (the caller has checked it is an object): key a
// JSON string per check_tag_key (absent or another type: KMS.0406), value absent or a JSON
// string per check_tag_value (another type: KMS.0405).
[[nodiscard]] inline result<tag_entry> read_tag_entry(const wire_value& object) {
  tag_entry entry;
  const auto* key = object.member("key");
  if (key == nullptr || !key->is(wire_value::kind::string)) return errc::invalid_tag_key;
  KMSCORE_TRY(check_tag_key(key->text));
  entry.key = key->text;
  if (const auto* value = object.member("value")) {
    if (!value->is(wire_value::kind::string)) return errc::invalid_tag_value;
    KMSCORE_TRY(check_tag_value(value->text));
    entry.value = value->text;
  }
  return entry;
}

// The key checks of a tag write, after the lookup (KMS.0207): a key pending deletion is
// frozen (KMS.0210); default keys (KMS.0211) do not exist here.
[[nodiscard]] inline result<void> check_tag_write(const key_record& record) {
  if (record.key.state == key_state::scheduled_deletion) return errc::key_pending_deletion;
  return {};
}

// Sets a tag (an existing tag key gets the new value); KMS.0409 for a new tag key on a key
// that holds max_tags_per_key.
[[nodiscard]] inline result<void> put_tag(key_tags& tags, const tag_entry& entry) {
  const auto found = tags.find(entry.key);
  if (found != tags.end()) {
    found->second = entry.value.value_or("");
    return {};
  }
  if (tags.size() >= max_tags_per_key) return errc::too_many_tags;
  tags.emplace(entry.key, entry.value.value_or(""));
  return {};
}
}  // namespace detail

}  // namespace kmscore
