// kmscore/maintenance.hpp: the maintenance pass, with the host's clock.
//
//   auto counts = kmscore::maintain(backend, store, now_ms, diagnostics);
//   // counts->rotated, counts->deleted, counts->expired
//
// One pass over every project of a store: it destroys every key whose deletion date has come
// (its record, every version of its material and its alias, in one atomic step per key:
// key_store::remove), then expires imported material whose expiration_time has come
// (import.hpp: wiped, the key back to pending import), then rotates every key that is due
// (once each, however many intervals were missed, rotation.hpp). A key past its deletion date is
// already gone for every action before the pass removes it (key_record.hpp's is_gone); the pass is
// what makes the store forget it. Each step stands alone: a pass cut short (a crash, a store fault)
// has removed or rotated whole keys only, and the next pass does the rest. Keys that fail are
// reported to the diagnostics sink and skipped. Hosts run it on a timer (`kmscore serve`) or once
// (`kmscore maintain`; `rotate-due-keys` is the rotation step alone).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "import.hpp"
#include "rotation.hpp"
#include "service.hpp"

namespace kmscore {

// Told of each key the pass changed: its project, its id, and "deleted", "expired" or
// "rotated" (hosts audit each one).
using maintenance_observer =
    std::function<void(const project_id&, const key_id&, std::string_view done)>;

// What one pass did: keys rotated, keys destroyed, imported material expired.
struct maintenance_counts {
  std::size_t rotated = 0;
  std::size_t deleted = 0;
  std::size_t expired = 0;
};

namespace detail {

// The ids of the project's keys that pick says yes to, in list order, every page read first
// (the pass then changes keys, which would move later pages).
template <class Pick>
[[nodiscard]] result<std::vector<key_id>> keys_where(key_store& store, const project_id& tenant,
                                                     key_list_query query, Pick&& pick) {
  std::vector<key_id> picked;
  for (query.offset = 0;; query.offset += query.limit) {
    KMSCORE_TRY_ASSIGN(const auto page, store.list(tenant, query));
    for (const auto& record : page.records) {
      if (pick(record)) picked.push_back(record.key.key_id);
    }
    if (query.offset + query.limit >= page.total) break;
  }
  return picked;
}

}  // namespace detail

// Destroys every key of the service's project that is gone at now_ms; the number destroyed.
template <crypto_backend Backend>
[[nodiscard]] result<std::size_t> remove_gone_keys(kms_service<Backend>& service,
                                                   std::int64_t now_ms,
                                                   const maintenance_observer& observe = {}) {
  auto& store = service.store();
  const auto& tenant = service.tenant().id;
  key_list_query scheduled;
  scheduled.spec.reset();
  scheduled.state = key_state::scheduled_deletion;  // now_ms unset: gone keys are listed too
  KMSCORE_TRY_ASSIGN(const auto gone,
                     detail::keys_where(store, tenant, scheduled, [&](const key_record& record) {
                       return is_gone(record, now_ms);
                     }));
  std::size_t removed = 0;
  for (const auto& id : gone) {
    // Read again: the revision to remove at, and whether it is still gone (a host whose clock
    // runs behind may have cancelled the deletion in between). Another host's pass may remove
    // it first (KMS.0207): that is no fault.
    auto outcome = [&]() -> result<update_outcome> {
      KMSCORE_TRY_ASSIGN(const auto found, store.find(tenant, id));
      if (!found || !is_gone(*found, now_ms)) return errc::key_not_found;
      return store.remove(tenant, id, found->revision);
    }();
    if (outcome && *outcome == update_outcome::updated) {
      ++removed;
      if (observe) observe(tenant, id, "deleted");
    } else if (outcome || outcome.error().code() != errc::key_not_found) {
      service.report("key " + id.str() + " of project " + tenant.str() +
                     " is past its deletion date but was not removed: " +
                     (outcome ? std::string{"it changed meanwhile"}
                              : std::string{outcome.error().code_string()}) +
                     " (the next pass tries again)");
    }
  }
  return removed;
}

// Rotates every key of the service's project that is due at now_ms (once each, however many
// intervals were missed); the number rotated.
template <crypto_backend Backend>
[[nodiscard]] result<std::size_t> rotate_due_keys(kms_service<Backend>& service,
                                                  std::int64_t now_ms,
                                                  const maintenance_observer& observe = {}) {
  key_list_query every;
  every.spec.reset();
  every.now_ms = now_ms;
  KMSCORE_TRY_ASSIGN(const auto due, detail::keys_where(service.store(), service.tenant().id, every,
                                                        [&](const key_record& r) {
                                                          return rotation_due(r, now_ms);
                                                        }));
  std::size_t rotated = 0;
  for (const auto& id : due) {
    bool still_due = true;
    const auto changed = service.change_key(id, now_ms, [&](key_record& record) -> result<void> {
      still_due = rotation_due(record, now_ms);  // another host may have rotated it
      if (!still_due) return {};
      KMSCORE_TRY(kmscore::rotate_key(service.backend(), record, now_ms));
      return {};
    });
    if (!changed) {
      service.report("key " + id.str() + " of project " + service.tenant().id.str() +
                     " was due but not rotated: " + std::string{changed.error().code_string()} +
                     " " + std::string{changed.error().message()});
    } else if (still_due) {
      ++rotated;
      if (observe) observe(service.tenant().id, id, "rotated");
    }
  }
  return rotated;
}

// Expires every imported material of the service's project whose expiration_time has come
// at now_ms (api-import-mac.md §5: wiped, the key to state 5, or kept in 4); the number expired.
template <crypto_backend Backend>
[[nodiscard]] result<std::size_t> expire_imported_material(
    kms_service<Backend>& service, std::int64_t now_ms, const maintenance_observer& observe = {}) {
  key_list_query every;
  every.spec.reset();
  every.now_ms = now_ms;
  KMSCORE_TRY_ASSIGN(const auto due, detail::keys_where(service.store(), service.tenant().id, every,
                                                        [&](const key_record& r) {
                                                          return material_expired(r, now_ms);
                                                        }));
  std::size_t expired = 0;
  for (const auto& id : due) {
    bool still_due = true;
    const auto changed = service.change_key(id, now_ms, [&](key_record& record) -> result<void> {
      still_due = material_expired(record, now_ms);  // another host may have expired it
      if (still_due) remove_imported_material(record);
      return {};
    });
    if (!changed) {
      service.report("key " + id.str() + " of project " + service.tenant().id.str() +
                     ": imported material past its expiry was not removed: " +
                     std::string{changed.error().code_string()} + " (the next pass tries again)");
    } else if (still_due) {
      ++expired;
      if (observe) observe(service.tenant().id, id, "expired");
    }
  }
  return expired;
}

namespace detail {
template <crypto_backend Backend, class Step>
[[nodiscard]] result<void> for_each_project(Backend& backend, key_store& store,
                                            const diagnostics_sink& diagnostics, Step&& step) {
  KMSCORE_TRY_ASSIGN(const auto projects, store.list_projects());
  for (const auto& tenant : projects) {
    kms_service<Backend> service{backend, store, tenant, datakey_length_policy::range, diagnostics};
    KMSCORE_TRY(step(service));
  }
  return {};
}
}  // namespace detail

// The rotation step alone, over every project (the tool's rotate-due-keys action).
template <crypto_backend Backend>
[[nodiscard]] result<std::size_t> rotate_due_keys(Backend& backend, key_store& store,
                                                  std::int64_t now_ms,
                                                  const diagnostics_sink& diagnostics = {},
                                                  const maintenance_observer& observe = {}) {
  std::size_t rotated = 0;
  KMSCORE_TRY(
      detail::for_each_project(backend, store, diagnostics, [&](auto& service) -> result<void> {
        KMSCORE_TRY_ASSIGN(const auto count, rotate_due_keys(service, now_ms, observe));
        rotated += count;
        return result<void>{};
      }));
  return rotated;
}

// The whole pass over every project: destroy, expire, then rotate.
template <crypto_backend Backend>
[[nodiscard]] result<maintenance_counts> maintain(Backend& backend, key_store& store,
                                                  std::int64_t now_ms,
                                                  const diagnostics_sink& diagnostics = {},
                                                  const maintenance_observer& observe = {}) {
  maintenance_counts counts;
  KMSCORE_TRY(
      detail::for_each_project(backend, store, diagnostics, [&](auto& service) -> result<void> {
        KMSCORE_TRY_ASSIGN(const auto deleted, remove_gone_keys(service, now_ms, observe));
        counts.deleted += deleted;
        KMSCORE_TRY_ASSIGN(const auto expired, expire_imported_material(service, now_ms, observe));
        counts.expired += expired;
        KMSCORE_TRY_ASSIGN(const auto rotated, rotate_due_keys(service, now_ms, observe));
        counts.rotated += rotated;
        return result<void>{};
      }));
  return counts;
}

}  // namespace kmscore
