// kmscore/service.hpp: one project's keys, for the actions to work on.
//
//   auto project = store.ensure_project(project_id, domain_id);     // key_store.hpp
//   kmscore::kms_service service{backend, store, *project};
//   auto created = kmscore::actions::create_key::run(service, request, now_ms);
//   auto made = service.run<kmscore::actions::create_datakey>(datakey_request);
//
// The service holds what every action needs: the backend, the store, the project, the
// data-key length policy, the key cache and the host's diagnostics sink. Each action lives in
// a file of its own (include/kmscore/actions/, listed in actions.hpp) and works through the
// service's few operations: find a key (KMS.0207 when the project has none), change one by
// compare-and-set, or use a key's derived data-key state through the cache. State changes are
// compare-and-set on the record's revision: a conflict (another host changed the key in
// between) is read again and retried a bounded number of times; one that persists answers
// 500 KMS.0101 and is reported to the host's diagnostics sink (the library prints nothing
// itself). Thread safety: as the backend and store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "diagnostics.hpp"
#include "key_cache.hpp"
#include "key_store.hpp"
#include "rotation.hpp"
#include "validate.hpp"

namespace kmscore {

inline constexpr int max_update_attempts = 8;

template <crypto_backend Backend>
class kms_service {
 public:
  using backend_type = Backend;
  // A key's data-key state: its record, and its sealer and opener or why it has none.
  using key_entry = typename key_cache<Backend>::entry;

  // cache: the host's (key_cache.hpp), shared by its services; without one the service
  // keeps a cache of capacity 0 of its own, which keeps nothing.
  kms_service(Backend& backend, key_store& store, project tenant,
              datakey_length_policy policy = datakey_length_policy::range,
              diagnostics_sink diagnostics = {}, key_cache<Backend>* cache = nullptr)
      : backend_{&backend},
        store_{&store},
        project_{std::move(tenant)},
        policy_{policy},
        diagnostics_{std::move(diagnostics)},
        own_cache_{cache == nullptr ? std::make_unique<key_cache<Backend>>(backend, 0) : nullptr},
        cache_{cache == nullptr ? own_cache_.get() : cache} {}

  [[nodiscard]] Backend& backend() const noexcept { return *backend_; }
  [[nodiscard]] key_store& store() const noexcept { return *store_; }
  [[nodiscard]] datakey_length_policy policy() const noexcept { return policy_; }
  [[nodiscard]] const project& tenant() const noexcept { return project_; }

  // Runs one action (actions.hpp) on a request of its type, at the host's clock now_ms
  // (milliseconds since the epoch).
  template <class Action>
  [[nodiscard]] auto run(const typename Action::request& request, std::int64_t now_ms) {
    return Action::run(*this, request, now_ms);
  }
  // The same for an action that reads no clock; one that does (it declares `uses_clock`:
  // create-key, schedule-key-deletion, enable-key-rotation, rotate-key) must be given it.
  template <class Action>
  requires(!requires { requires Action::uses_clock; })
      [[nodiscard]] auto run(const typename Action::request& request) {
    return Action::run(*this, request, 0);
  }

  // The key's record (KMS.0207 when the project has no such key).
  [[nodiscard]] result<key_record> find_existing(const key_id& id) {
    auto found = store_->find(project_.id, id);
    if (!found) {
      report_unreadable(id);
      return found.error();
    }
    if (!*found) return errc::key_not_found;
    return std::move(**found);
  }

  using key_needs = typename key_cache<Backend>::needs;

  // Runs use with the key's data-key state from the cache (KMS.0207 when the project has no
  // such key); need says which of its sealer and opener use reads.
  template <class Use>
  [[nodiscard]] auto with_key(const key_id& id, key_needs need, Use&& use)
      -> decltype(use(std::declval<const key_entry&>())) {
    auto found = cache_->get(*store_, project_.id, id, need);
    if (!found) {
      report_unreadable(id);
      return found.error();
    }
    if (!*found) return errc::key_not_found;
    return std::forward<Use>(use)(**found);
  }

  // Reads the key, applies change, and stores it by compare-and-set; a conflict (the key
  // changed in between) starts again from a fresh read, a bounded number of times.
  template <class Change>
  [[nodiscard]] result<key_record> change_key(const key_id& id, Change&& change) {
    for (int attempt = 0; attempt < max_update_attempts; ++attempt) {
      KMSCORE_TRY_ASSIGN(auto record, find_existing(id));
      KMSCORE_TRY(change(record));
      KMSCORE_TRY_ASSIGN(const auto outcome, store_->update(record));
      if (outcome == update_outcome::updated) return record;
    }
    report("key " + id.str() + " of project " + project_.id.str() +
           ": update still conflicting after " + std::to_string(max_update_attempts) + " attempts");
    return errc::kms_error;
  }

  // Tells the host's diagnostics sink what only an operator can act on.
  void report(const std::string& message) const {
    if (diagnostics_) diagnostics_(message);
  }

  // Rotates every key of the project that is due at now_ms (once each, however many
  // intervals were missed); the number rotated. Keys that fail are reported and skipped.
  [[nodiscard]] result<std::size_t> rotate_due_keys(std::int64_t now_ms) {
    key_list_query every;
    every.spec.reset();
    std::vector<key_id> due;
    for (every.offset = 0;; every.offset += every.limit) {
      KMSCORE_TRY_ASSIGN(const auto page, store_->list(project_.id, every));
      for (const auto& record : page.records) {
        if (rotation_due(record, now_ms)) due.push_back(record.key.key_id);
      }
      if (every.offset + every.limit >= page.total) break;
    }
    std::size_t rotated = 0;
    for (const auto& id : due) {
      bool still_due = true;
      const auto changed = change_key(id, [&](key_record& record) -> result<void> {
        still_due = rotation_due(record, now_ms);  // another host may have rotated it
        if (!still_due) return {};
        KMSCORE_TRY(kmscore::rotate_key(*backend_, record, now_ms));
        return {};
      });
      if (!changed) {
        report("key " + id.str() + " of project " + project_.id.str() +
               " was due but not rotated: " + std::string{changed.error().code_string()} + " " +
               std::string{changed.error().message()});
      } else if (still_due) {
        ++rotated;
      }
    }
    return rotated;
  }

 private:
  void report_unreadable(const key_id& id) const {
    report("key " + id.str() + " of project " + project_.id.str() + " cannot be read");
  }

  Backend* backend_;
  key_store* store_;
  project project_;
  datakey_length_policy policy_;
  diagnostics_sink diagnostics_;
  std::unique_ptr<key_cache<Backend>> own_cache_;
  key_cache<Backend>* cache_;  // never null: the host's, or own_cache_
};

// The maintenance entry point: rotates every due key of every project in the store, with the
// host's clock. `serve` runs it on a timer; the tool as the rotate-due-keys action.
template <crypto_backend Backend>
[[nodiscard]] result<std::size_t> rotate_due_keys(Backend& backend, key_store& store,
                                                  std::int64_t now_ms,
                                                  const diagnostics_sink& diagnostics = {}) {
  KMSCORE_TRY_ASSIGN(const auto projects, store.list_projects());
  std::size_t rotated = 0;
  for (const auto& tenant : projects) {
    kms_service<Backend> service{backend, store, tenant, datakey_length_policy::range, diagnostics};
    KMSCORE_TRY_ASSIGN(const auto count, service.rotate_due_keys(now_ms));
    rotated += count;
  }
  return rotated;
}

}  // namespace kmscore
