// kmscore/master_key.hpp: a master key (CMK) as the data-key operations see it.
//
// The key's identity, spec and state, and its material by version (rotation: index = the
// key_version written into envelopes; new envelopes use the newest). Material lives in
// zeroizing buffers. Hosts build it from their key records (create_key.hpp, key_store.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "key_spec.hpp"
#include "result.hpp"
#include "secret.hpp"

namespace kmscore {

struct master_key {
  std::string key_id;
  key_spec spec = key_spec::aes_256;
  key_state state = key_state::enabled;
  std::vector<secret_bytes> material_versions;  // [0] first material, back() current

  [[nodiscard]] std::uint32_t current_version() const noexcept {
    return material_versions.empty() ? 0 : static_cast<std::uint32_t>(material_versions.size() - 1);
  }
};

// The checks api.md applies to the CMK of every data-key operation, in its order. A null
// pointer means the store has no key with that id.
[[nodiscard]] inline result<void> check_datakey_master_key(const master_key* cmk) noexcept {
  if (cmk == nullptr) return errc::key_not_found;
  switch (cmk->state) {
    case key_state::disabled:
      return errc::key_disabled;
    case key_state::scheduled_deletion:
      return errc::key_pending_deletion;
    case key_state::pending_activation:
    case key_state::pending_import:
      return errc::key_not_enabled;
    case key_state::enabled:
      break;
  }
  if (!spec_policy(cmk->spec).is_symmetric()) return errc::asymmetric_not_supported;
  if (cmk->material_versions.empty()) return errc::kms_error;  // enabled but no material
  return {};
}

}  // namespace kmscore
