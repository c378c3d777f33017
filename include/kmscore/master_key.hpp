// kmscore/master_key.hpp: a master key (CMK) as the data-key operations see it.
//
// The key's identity, spec and state, and its material by version (rotation: index = the
// key_version written into envelopes; new envelopes use the newest). Material lives in
// zeroizing buffers. Hosts build it from their key records (key_record.hpp, key_store.hpp);
// the operations take it by reference, after the host has found it (KMS.0207 otherwise).
#pragma once

#include <cstdint>
#include <vector>

#include "key_id.hpp"
#include "key_spec.hpp"
#include "result.hpp"
#include "secret.hpp"

namespace kmscore {

struct master_key {
  kmscore::key_id key_id;
  key_spec spec = key_spec::aes_256;
  key_state state = key_state::enabled;
  std::vector<secret_bytes> material_versions;  // [0] first material, back() current
  std::uint32_t min_decryption_version = 0;     // older envelopes are refused (KMS.2210)

  [[nodiscard]] std::uint32_t current_version() const noexcept {
    return material_versions.empty() ? 0 : static_cast<std::uint32_t>(material_versions.size() - 1);
  }
};

// The state rows api.md applies to a key before using it: 3 disabled, 4 scheduled for
// deletion, 1 or 5 not yet usable (data-key operations and rotation alike).
[[nodiscard]] inline result<void> check_key_state_usable(key_state state) noexcept {
  switch (state) {
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
  return {};
}

// The checks api.md applies to the CMK of every data-key operation, in its order (the host
// has reported KMS.0207 for a key it does not hold). Then the material: every version of a
// symmetric key must be exactly its spec's size; anything else is a fault of the store
// (500 KMS.0101), and nothing is sealed under it.
[[nodiscard]] inline result<void> check_datakey_master_key(const master_key& cmk) noexcept {
  KMSCORE_TRY(check_key_state_usable(cmk.state));
  const auto& policy = spec_policy(cmk.spec);
  if (policy.is_hmac()) return errc::hmac_key_not_supported;  // api-import-mac.md §0.3
  if (!policy.is_symmetric()) return errc::asymmetric_not_supported;
  if (cmk.material_versions.empty()) return errc::kms_error;  // enabled but no material
  for (const auto& material : cmk.material_versions) {
    if (material.size() != policy.material_size) return errc::kms_error;
  }
  return {};
}

}  // namespace kmscore
