// kmscore/key_store.hpp: the interface a host implements over its database, and an
// in-memory implementation.
//
//   kmscore::memory_key_store store;
//   auto project = store.ensure_project(project_id, domain_id);
//   kmscore::kms_service service{backend, store, *project};   // service.hpp
//
// Every record belongs to a project (a tenant): key ids and aliases are unique per project,
// and a key of one project is never found through another. A store makes a record and its
// alias unique in one atomic step (KMS.1104 Duplicate key aliases.), updates by
// compare-and-set on the record's revision (a lost update is impossible: a changed record is
// reported, and the service reads again and retries), and lists a project's keys by page
// and filters, with their metadata only (no material is unsealed to list). Records hold key
// material in zeroizing buffers; what a store hands out is a copy. Stores with I/O (SQLite,
// PostgreSQL) live in host/store/.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aliases.hpp"
#include "key_record.hpp"

namespace kmscore {

inline constexpr std::size_t max_list_limit = 2000;

// What list-keys asks for (actions/list_keys.hpp validates it from the wire).
struct key_list_query {
  std::size_t offset = 0;  // 0-based position in the ordered list (list-keys' marker)
  std::size_t limit = max_list_limit;
  std::optional<key_state> state;                    // nullopt: every state
  std::optional<key_spec> spec;                      // nullopt: every spec ("ALL")
  std::optional<std::string> enterprise_project_id;  // nullopt: every enterprise project
  std::vector<tag_filter> tags;               // the resource-instance query's (tags.hpp): ANDed
  std::optional<std::string> alias_contains;  // key_alias contains it (case-sensitive)
  // The host's clock: keys gone at this instant (is_gone) are neither listed nor counted.
  // nullopt lists them too: only the maintenance pass, which removes them, asks so.
  std::optional<std::int64_t> now_ms;
};

// One page: the records (metadata only: no material) and how many keys match in all.
struct key_list_page {
  std::vector<key_record> records;
  std::size_t total = 0;
  std::size_t offset = 0;  // where the page starts: the query's offset
};

// The order of list-keys: newest creation_date first, ties by ascending key_id.
[[nodiscard]] inline bool list_order(const key_record& a, const key_record& b) noexcept {
  if (a.creation_date_ms != b.creation_date_ms) return a.creation_date_ms > b.creation_date_ms;
  return a.key.key_id < b.key.key_id;
}

[[nodiscard]] inline bool matches(const key_list_query& query, const key_record& record) noexcept {
  return (!query.state || record.key.state == *query.state) &&
         (!query.spec || record.key.spec == *query.spec) &&
         (!query.enterprise_project_id ||
          record.enterprise_project_id == *query.enterprise_project_id) &&
         (!query.now_ms || !is_gone(record, *query.now_ms)) &&
         std::all_of(query.tags.begin(), query.tags.end(),
                     [&](const tag_filter& filter) { return has_tag(record.tags, filter); }) &&
         (!query.alias_contains ||
          record.key_alias.find(*query.alias_contains) != std::string::npos);
}

// Whether an alias may be given to a key in this state (nullopt: no such key), checked by
// the stores inside the write itself: no_key, key_pending (state 4), or done when it may.
[[nodiscard]] constexpr alias_outcome alias_key_outcome(std::optional<key_state> state) noexcept {
  if (!state) return alias_outcome::no_key;
  if (*state == key_state::scheduled_deletion) return alias_outcome::key_pending;
  return alias_outcome::done;
}

// list-kms-tags (api-metadata.md §3.6): every tag key on a project's keys, with its distinct
// values, keys and values in byte order.
struct tag_values {
  std::string key;
  std::vector<std::string> values;
};

// The outcome of a compare-and-set update or removal.
enum class update_outcome : std::uint8_t {
  updated,   // stored (or removed); record.revision now names the new revision
  conflict,  // the stored revision differs from the expected one: nothing was written
};

class key_store {
 public:
  key_store() = default;
  key_store(const key_store&) = delete;
  key_store& operator=(const key_store&) = delete;
  key_store(key_store&&) = delete;
  key_store& operator=(key_store&&) = delete;
  virtual ~key_store() = default;

  // Errors are store faults (500 KMS.0101) unless stated.

  // The project, or nullopt.
  [[nodiscard]] virtual result<std::optional<project>> find_project(const project_id& id) = 0;
  // The project with this id, created with domain_id if it did not exist (atomically: of
  // two hosts creating it at once, both get the one stored).
  [[nodiscard]] virtual result<project> ensure_project(const project_id& id,
                                                       std::string_view domain_id) = 0;
  // Every project, for maintenance across tenants (rotate-due-keys).
  [[nodiscard]] virtual result<std::vector<project>> list_projects() = 0;

  // The record with this key_id in the project, or nullopt.
  [[nodiscard]] virtual result<std::optional<key_record>> find(const project_id& tenant,
                                                               const key_id& id) = 0;
  // The record's current revision, or nullopt if there is no such record: a cheap read that
  // tells a cache (key_cache.hpp) whether what it derived from the record is still current.
  [[nodiscard]] virtual result<std::optional<std::uint64_t>> revision_of(const project_id& tenant,
                                                                         const key_id& id) = 0;
  // The record holding this alias in the project, or nullopt.
  [[nodiscard]] virtual result<std::optional<key_record>> find_by_alias(const project_id& tenant,
                                                                        std::string_view alias) = 0;
  // Adds a new record to record.project_id (which must exist), its alias unique in the
  // project in the same atomic step: KMS.1104 if taken. Sets record.revision to 1.
  [[nodiscard]] virtual result<void> insert(key_record& record) = 0;
  // Replaces the record if its stored revision is still record.revision, then sets
  // record.revision to the new one; conflict (nothing written) if another update came
  // first; KMS.0207 if there is no such record.
  [[nodiscard]] virtual result<update_outcome> update(key_record& record) = 0;
  // A page of the project's records in list order (list_order), metadata only.
  [[nodiscard]] virtual result<key_list_page> list(const project_id& tenant,
                                                   const key_list_query& query) = 0;
  // Every tag key on the project's keys not gone at now_ms, with its distinct values, in
  // byte order (one snapshot).
  [[nodiscard]] virtual result<std::vector<tag_values>> list_tags(const project_id& tenant,
                                                                  std::int64_t now_ms) = 0;
  // Aliases (aliases.hpp, api-metadata.md §5), each write one atomic step. An alias naming a
  // key gone at now_ms is free: it is neither found nor listed, and a write may take it.
  // The alias, if it names a key of the project not gone at now_ms.
  [[nodiscard]] virtual result<std::optional<alias_entry>> find_alias(const project_id& tenant,
                                                                      std::string_view alias,
                                                                      std::int64_t now_ms) = 0;
  // Adds entry, in the order of create-alias' key checks: no_key or key_pending for entry's
  // key (alias_key_outcome), taken if a key not gone at now_ms holds the alias, full if
  // entry's key has max_aliases_per_key aliases; else done.
  [[nodiscard]] virtual result<alias_outcome> add_alias(const project_id& tenant,
                                                        const alias_entry& entry,
                                                        std::int64_t now_ms) = 0;
  // Points alias at `to` (update_time now_ms) if it still names `from`: no_key or key_pending
  // for `to` (alias_key_outcome); moved if the alias no longer names `from`; full if `to` is
  // another key and has max_aliases_per_key aliases; else done.
  [[nodiscard]] virtual result<alias_outcome> move_alias(const project_id& tenant,
                                                         std::string_view alias, const key_id& from,
                                                         const key_id& to, std::int64_t now_ms) = 0;
  // Deletes the aliases (repeats allowed) if every one names `key`; not_associated, nothing
  // deleted, otherwise.
  [[nodiscard]] virtual result<alias_outcome> remove_aliases(
      const project_id& tenant, const key_id& key, const std::vector<std::string>& aliases) = 0;
  // A page of the project's aliases as the query says (alias_list_query).
  [[nodiscard]] virtual result<std::vector<alias_entry>> list_aliases(
      const project_id& tenant, const alias_list_query& query) = 0;
  // Deletes the record, every version of its material and its alias in one atomic step, if
  // its stored revision is still `revision` (updated); conflict (nothing deleted) if it
  // changed; KMS.0207 if there is no such record. Only the maintenance pass and the
  // reclaiming of a gone key's alias call it, for keys past their deletion date.
  [[nodiscard]] virtual result<update_outcome> remove(const project_id& tenant, const key_id& id,
                                                      std::uint64_t revision) = 0;
};

// A thread-safe store in memory, for tests, tools and single-process hosts.
class memory_key_store final : public key_store {
 public:
  [[nodiscard]] result<std::optional<project>> find_project(const project_id& id) override {
    const std::lock_guard lock{mutex_};
    const auto found = projects_.find(id);
    if (found == projects_.end()) return std::optional<project>{};
    return std::optional<project>{found->second};
  }
  [[nodiscard]] result<project> ensure_project(const project_id& id,
                                               std::string_view domain_id) override {
    if (!is_valid_domain_id(domain_id)) return errc::kms_error;
    const std::lock_guard lock{mutex_};
    const auto [at, inserted] = projects_.try_emplace(id, project{id, std::string{domain_id}});
    (void)inserted;
    return at->second;
  }
  [[nodiscard]] result<std::vector<project>> list_projects() override {
    const std::lock_guard lock{mutex_};
    std::vector<project> all;
    for (const auto& [id, entry] : projects_) all.push_back(entry);
    return all;
  }

  [[nodiscard]] result<std::optional<key_record>> find(const project_id& tenant,
                                                       const key_id& id) override {
    const std::lock_guard lock{mutex_};
    const auto found = records_.find({tenant, id});
    if (found == records_.end()) return std::optional<key_record>{};
    KMSCORE_TRY_ASSIGN(auto copy, clone_record(found->second));
    return std::optional<key_record>{std::move(copy)};
  }
  [[nodiscard]] result<std::optional<std::uint64_t>> revision_of(const project_id& tenant,
                                                                 const key_id& id) override {
    const std::lock_guard lock{mutex_};
    const auto found = records_.find({tenant, id});
    if (found == records_.end()) return std::optional<std::uint64_t>{};
    return std::optional<std::uint64_t>{found->second.revision};
  }
  [[nodiscard]] result<std::optional<key_record>> find_by_alias(const project_id& tenant,
                                                                std::string_view alias) override {
    const std::lock_guard lock{mutex_};
    const auto found = aliases_.find({tenant, std::string{alias}});
    if (found == aliases_.end()) return std::optional<key_record>{};
    KMSCORE_TRY_ASSIGN(auto copy, clone_record(records_.at({found->first.first, found->second})));
    return std::optional<key_record>{std::move(copy)};
  }
  [[nodiscard]] result<void> insert(key_record& record) override {
    const std::lock_guard lock{mutex_};
    if (!projects_.contains(record.project_id)) return errc::kms_error;
    const std::pair<project_id, key_id> where{record.project_id, record.key.key_id};
    if (records_.contains(where)) return errc::kms_error;
    if (aliases_.contains({record.project_id, record.key_alias})) {
      return errc::duplicate_key_alias;
    }
    record.revision = 1;
    KMSCORE_TRY_ASSIGN(auto copy, clone_record(record));
    aliases_.emplace(std::pair{record.project_id, record.key_alias}, record.key.key_id);
    records_.emplace(where, std::move(copy));
    return {};
  }
  [[nodiscard]] result<update_outcome> update(key_record& record) override {
    const std::lock_guard lock{mutex_};
    const auto found = records_.find({record.project_id, record.key.key_id});
    if (found == records_.end()) return errc::key_not_found;
    if (found->second.revision != record.revision) return update_outcome::conflict;
    const bool renamed = found->second.key_alias != record.key_alias;
    if (renamed && aliases_.contains({record.project_id, record.key_alias})) {
      return errc::duplicate_key_alias;  // another key of the project holds it
    }
    KMSCORE_TRY_ASSIGN(auto copy, clone_record(record));
    if (renamed) {
      aliases_.erase({record.project_id, found->second.key_alias});
      aliases_.emplace(std::pair{record.project_id, record.key_alias}, record.key.key_id);
    }
    found->second = std::move(copy);
    ++record.revision;
    found->second.revision = record.revision;
    return update_outcome::updated;
  }
  [[nodiscard]] result<update_outcome> remove(const project_id& tenant, const key_id& id,
                                              std::uint64_t revision) override {
    const std::lock_guard lock{mutex_};
    const auto found = records_.find({tenant, id});
    if (found == records_.end()) return errc::key_not_found;
    if (found->second.revision != revision) return update_outcome::conflict;
    aliases_.erase({tenant, found->second.key_alias});
    std::erase_if(alias_entries_, [&](const auto& entry) {
      return entry.first.first == tenant && entry.second.key_id == id;
    });
    records_.erase(found);  // its buffers wipe the material
    return update_outcome::updated;
  }
  [[nodiscard]] result<std::vector<tag_values>> list_tags(const project_id& tenant,
                                                          std::int64_t now_ms) override {
    const std::lock_guard lock{mutex_};
    std::map<std::string, std::set<std::string>> found;
    for (const auto& [where, record] : records_) {
      if (where.first != tenant || is_gone(record, now_ms)) continue;
      for (const auto& [key, value] : record.tags) found[key].insert(value);
    }
    std::vector<tag_values> all;
    all.reserve(found.size());
    for (auto& [key, values] : found) all.push_back({key, {values.begin(), values.end()}});
    return all;
  }
  [[nodiscard]] result<key_list_page> list(const project_id& tenant,
                                           const key_list_query& query) override {
    const std::lock_guard lock{mutex_};
    std::vector<const key_record*> matching;
    for (const auto& [where, record] : records_) {
      if (where.first == tenant && matches(query, record)) matching.push_back(&record);
    }
    std::sort(matching.begin(), matching.end(),
              [](const key_record* a, const key_record* b) { return list_order(*a, *b); });
    key_list_page page;
    page.total = matching.size();
    page.offset = query.offset;
    for (std::size_t i = query.offset; i < matching.size() && page.records.size() < query.limit;
         ++i) {
      KMSCORE_TRY_ASSIGN(auto copy, clone_record(*matching[i]));
      copy.key.material_versions.clear();  // metadata only, as every store lists
      page.records.push_back(std::move(copy));
    }
    return page;
  }

  [[nodiscard]] result<std::optional<alias_entry>> find_alias(const project_id& tenant,
                                                              std::string_view alias,
                                                              std::int64_t now_ms) override {
    const std::lock_guard lock{mutex_};
    const auto* entry = live_alias(tenant, alias, now_ms);
    if (entry == nullptr) return std::optional<alias_entry>{};
    return std::optional<alias_entry>{*entry};
  }
  [[nodiscard]] result<alias_outcome> add_alias(const project_id& tenant, const alias_entry& entry,
                                                std::int64_t now_ms) override {
    const std::lock_guard lock{mutex_};
    const auto key = alias_key_outcome(state_of(tenant, entry.key_id));
    if (key != alias_outcome::done) return key;
    if (live_alias(tenant, entry.alias, now_ms) != nullptr) return alias_outcome::taken;
    if (aliases_of(tenant, entry.key_id) >= max_aliases_per_key) return alias_outcome::full;
    alias_entries_.insert_or_assign({tenant, entry.alias}, entry);
    return alias_outcome::done;
  }
  [[nodiscard]] result<alias_outcome> move_alias(const project_id& tenant, std::string_view alias,
                                                 const key_id& from, const key_id& to,
                                                 std::int64_t now_ms) override {
    const std::lock_guard lock{mutex_};
    const auto key = alias_key_outcome(state_of(tenant, to));
    if (key != alias_outcome::done) return key;
    const auto found = alias_entries_.find({tenant, std::string{alias}});
    if (found == alias_entries_.end() || found->second.key_id != from) {
      return alias_outcome::moved;
    }
    if (to != from && aliases_of(tenant, to) >= max_aliases_per_key) return alias_outcome::full;
    found->second.key_id = to;
    found->second.update_time_ms = now_ms;
    return alias_outcome::done;
  }
  [[nodiscard]] result<alias_outcome> remove_aliases(
      const project_id& tenant, const key_id& key,
      const std::vector<std::string>& aliases) override {
    const std::lock_guard lock{mutex_};
    for (const auto& alias : aliases) {
      const auto found = alias_entries_.find({tenant, alias});
      if (found == alias_entries_.end() || found->second.key_id != key) {
        return alias_outcome::not_associated;
      }
    }
    for (const auto& alias : aliases) alias_entries_.erase({tenant, alias});
    return alias_outcome::done;
  }
  [[nodiscard]] result<std::vector<alias_entry>> list_aliases(
      const project_id& tenant, const alias_list_query& query) override {
    const std::lock_guard lock{mutex_};
    std::vector<alias_entry> page;
    for (auto at = alias_entries_.upper_bound({tenant, query.after});
         at != alias_entries_.end() && at->first.first == tenant && page.size() < query.limit;
         ++at) {
      const auto& entry = at->second;
      if (query.key_id && entry.key_id != *query.key_id) continue;
      if (live_alias(tenant, entry.alias, query.now_ms) == nullptr) continue;
      page.push_back(entry);
    }
    return page;
  }

 private:
  // The alias's entry if it names a key not gone at now_ms; the caller holds the lock.
  [[nodiscard]] const alias_entry* live_alias(const project_id& tenant, std::string_view alias,
                                              std::int64_t now_ms) const {
    const auto found = alias_entries_.find({tenant, std::string{alias}});
    if (found == alias_entries_.end()) return nullptr;
    const auto key = records_.find({tenant, found->second.key_id});
    if (key == records_.end() || is_gone(key->second, now_ms)) return nullptr;
    return &found->second;
  }
  [[nodiscard]] std::optional<key_state> state_of(const project_id& tenant,
                                                  const key_id& key) const {
    const auto found = records_.find({tenant, key});
    if (found == records_.end()) return std::nullopt;
    return found->second.key.state;
  }
  [[nodiscard]] std::size_t aliases_of(const project_id& tenant, const key_id& key) const {
    return static_cast<std::size_t>(
        std::count_if(alias_entries_.begin(), alias_entries_.end(), [&](const auto& entry) {
          return entry.first.first == tenant && entry.second.key_id == key;
        }));
  }

  std::mutex mutex_;
  std::map<project_id, project> projects_;
  std::map<std::pair<project_id, key_id>, key_record> records_;
  std::map<std::pair<project_id, std::string>, key_id> aliases_;             // key_alias
  std::map<std::pair<project_id, std::string>, alias_entry> alias_entries_;  // aliases.hpp
};

}  // namespace kmscore
