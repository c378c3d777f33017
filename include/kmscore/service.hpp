// kmscore/service.hpp: one project's keys, for the actions to work on.
//
//   auto project = store.ensure_project(project_id, domain_id);     // key_store.hpp
//   kmscore::kms_service service{backend, store, *project};
//   auto created = kmscore::actions::create_key::run(service, request, now_ms);
//   auto made = service.run<kmscore::actions::create_datakey>(datakey_request, now_ms);
//
// The service holds what every action needs: the backend, the store, the project, the
// data-key length policy, the key cache and the host's diagnostics sink. Each action lives in
// a file of its own (include/kmscore/actions/, listed in actions.hpp) and works through the
// service's few operations: find a key (KMS.0207 when the project has none, or when it is
// gone: its deletion date has come by the host's clock, which every action is given), change
// one by compare-and-set, or use a key's derived data-key state through the cache; an alias
// held by a gone key is free (write_claiming_alias). State changes are
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
#include "validate.hpp"

namespace kmscore {

struct import_keys;  // import.hpp

inline constexpr int max_update_attempts = 8;
// The keys a project may hold when the host sets no quota: reported as the SDK's int32
// maximum, and not enforced (api-metadata.md §4).
inline constexpr std::int64_t unlimited_key_quota = 2147483647;

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
  // The keys the project may hold (the host's --key-quota; create-key refuses more with
  // KMS.1105); unlimited_key_quota unless set.
  [[nodiscard]] std::int64_t key_quota() const noexcept { return key_quota_; }
  void set_key_quota(std::int64_t quota) noexcept { key_quota_ = quota; }

  // The region alias URNs name (api-metadata.md §5.1: the host's --region), "local" unless set.
  [[nodiscard]] const std::string& region() const noexcept { return region_; }
  void set_region(std::string region) { region_ = std::move(region); }

  // The keys import tokens and fingerprints are made with (import.hpp), the host's, derived
  // from its store's service secret; without them the import actions answer KMS.0101.
  [[nodiscard]] const import_keys* import_secrets() const noexcept { return import_keys_; }
  void set_import_keys(const import_keys* keys) noexcept { import_keys_ = keys; }

  // The key a reference names (api-metadata.md §6), the first key check of the actions that
  // take one: a key ID as it is; an alias, or a URN of this region and project's domain, by
  // the alias it names; KMS.0207 when it names none (or a key gone at now_ms).
  [[nodiscard]] result<key_id> resolve(const key_reference& reference, std::int64_t now_ms) {
    if (reference.id()) return *reference.id();
    if (!reference.region().empty() &&
        (reference.region() != region_ || reference.domain_id() != project_.domain_id)) {
      return errc::key_not_found;
    }
    KMSCORE_TRY_ASSIGN(const auto entry,
                       store_->find_alias(project_.id, reference.alias(), now_ms));
    if (!entry) return errc::key_not_found;
    return entry->key_id;
  }

  // The project's keys in states 1–5 that are not gone at now_ms (quotas, instance count).
  [[nodiscard]] result<std::size_t> count_keys(std::int64_t now_ms) {
    key_list_query query;
    query.limit = 0;
    query.spec.reset();
    query.now_ms = now_ms;
    KMSCORE_TRY_ASSIGN(const auto page, store_->list(project_.id, query));
    return page.total;
  }

  // Runs one action (actions.hpp) on a request of its type, at the host's clock now_ms
  // (milliseconds since the epoch). Every action reads it: a key whose deletion date has come
  // is gone (key_record.hpp's is_gone) on every path.
  template <class Action>
  [[nodiscard]] auto run(const typename Action::request& request, std::int64_t now_ms) {
    return Action::run(*this, request, now_ms);
  }

  // The key's record (KMS.0207 when the project has no such key, or it is gone at now_ms).
  [[nodiscard]] result<key_record> find_existing(const key_id& id, std::int64_t now_ms) {
    auto found = store_->find(project_.id, id);
    if (!found) {
      report_unreadable(id);
      return found.error();
    }
    if (!*found || is_gone(**found, now_ms)) return errc::key_not_found;
    return std::move(**found);
  }

  using key_needs = typename key_cache<Backend>::needs;

  // Runs use with the key's data-key state from the cache (KMS.0207 when the project has no
  // such key, or it is gone at now_ms); need says which of its sealer and opener use reads.
  template <class Use>
  [[nodiscard]] auto with_key(const key_id& id, key_needs need, std::int64_t now_ms, Use&& use)
      -> decltype(use(std::declval<const key_entry&>())) {
    auto found = cache_->get(*store_, project_.id, id, need);
    if (!found) {
      report_unreadable(id);
      return found.error();
    }
    if (!*found || is_gone(*(*found)->record, now_ms)) return errc::key_not_found;
    return std::forward<Use>(use)(**found);
  }

  // Reads the key, applies change, and stores it by compare-and-set; a conflict (the key
  // changed in between) starts again from a fresh read, a bounded number of times.
  template <class Change>
  [[nodiscard]] result<key_record> change_key(const key_id& id, std::int64_t now_ms,
                                              Change&& change) {
    for (int attempt = 0; attempt < max_update_attempts; ++attempt) {
      KMSCORE_TRY_ASSIGN(auto record, find_existing(id, now_ms));
      KMSCORE_TRY(change(record));
      KMSCORE_TRY_ASSIGN(const auto outcome, store_->update(record));
      if (outcome == update_outcome::updated) return record;
    }
    report_conflicts(id);
    return errc::kms_error;
  }

  // Stores what write does (a new key's insert, a rename) while alias is taken only by a key
  // gone at now_ms: such a key is removed (store::remove, by compare-and-set) and write is
  // tried again, so a gone key's alias is free at once. KMS.1104 while a live key holds it.
  template <class Write>
  [[nodiscard]] auto write_claiming_alias(std::string_view alias, std::int64_t now_ms,
                                          Write&& write) -> decltype(write()) {
    for (int attempt = 0; attempt < max_update_attempts; ++attempt) {
      auto written = write();
      if (written || written.error().code() != errc::duplicate_key_alias) return written;
      // The holder, read to see whether it is gone. If it cannot be read now (a busy store),
      // the write's own answer stands (KMS.1104): the alias is taken as far as anyone knows.
      const auto found = store_->find_by_alias(project_.id, alias);
      if (!found) return written;
      const auto& holder = *found;
      if (holder && !is_gone(*holder, now_ms)) return written;
      if (holder) {
        // Conflict or already removed (another request reclaimed it): try the write again.
        const auto removed = store_->remove(project_.id, holder->key.key_id, holder->revision);
        if (!removed && removed.error().code() != errc::key_not_found) return removed.error();
      }
    }
    report("alias " + std::string{alias} + " of project " + project_.id.str() +
           ": still contended after " + std::to_string(max_update_attempts) + " attempts");
    return errc::kms_error;
  }

  // Tells the host's diagnostics sink what only an operator can act on.
  void report(const std::string& message) const {
    if (diagnostics_) diagnostics_(message);
  }

 private:
  void report_unreadable(const key_id& id) const {
    report("key " + id.str() + " of project " + project_.id.str() + " cannot be read");
  }
  void report_conflicts(const key_id& id) const {
    report("key " + id.str() + " of project " + project_.id.str() +
           ": update still conflicting after " + std::to_string(max_update_attempts) + " attempts");
  }

  Backend* backend_;
  key_store* store_;
  project project_;
  datakey_length_policy policy_;
  diagnostics_sink diagnostics_;
  std::unique_ptr<key_cache<Backend>> own_cache_;
  key_cache<Backend>* cache_;  // never null: the host's, or own_cache_
  std::int64_t key_quota_ = unlimited_key_quota;
  std::string region_{"local"};
  const import_keys* import_keys_ = nullptr;
};

}  // namespace kmscore
