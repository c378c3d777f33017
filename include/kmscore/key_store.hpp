// kmscore/key_store.hpp: the interface a host implements over its database, and an
// in-memory implementation.
//
//   kmscore::memory_key_store store;
//   kmscore::kms_service service{backend, store, domain_id};   // service.hpp
//
// The operations find master keys by key_id and rely on `insert` to keep aliases unique
// (KMS.1104 Duplicate key aliases.): a store must check and insert atomically. Records hold
// key material in zeroizing buffers; `find` and `list` hand out copies (clone_record).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "create_key.hpp"

namespace kmscore {

// A deep copy of a record (material cloned into new zeroizing buffers).
[[nodiscard]] inline key_record clone_record(const key_record& record) {
  key_record copy;
  copy.key.key_id = record.key.key_id;
  copy.key.spec = record.key.spec;
  copy.key.state = record.key.state;
  for (const auto& material : record.key.material_versions) {
    copy.key.material_versions.push_back(material.clone());
  }
  copy.domain_id = record.domain_id;
  copy.key_alias = record.key_alias;
  copy.key_description = record.key_description;
  copy.usage = record.usage;
  copy.origin = record.origin;
  copy.enterprise_project_id = record.enterprise_project_id;
  copy.creation_date_ms = record.creation_date_ms;
  copy.scheduled_deletion_date_ms = record.scheduled_deletion_date_ms;
  copy.public_key = record.public_key;
  return copy;
}

class key_store {
 public:
  key_store() = default;
  key_store(const key_store&) = delete;
  key_store& operator=(const key_store&) = delete;
  virtual ~key_store() = default;

  // The record with this key_id, or nullopt. Errors are store faults (KMS.0101).
  [[nodiscard]] virtual result<std::optional<key_record>> find(std::string_view key_id) = 0;
  // Adds a new record; KMS.1104 if a record with the same alias exists (checked atomically).
  [[nodiscard]] virtual result<void> insert(key_record record) = 0;
  // Replaces the record with the same key_id (KMS.0207 if there is none).
  [[nodiscard]] virtual result<void> update(const key_record& record) = 0;
  // Every record, in creation order.
  [[nodiscard]] virtual result<std::vector<key_record>> list() = 0;
};

// A thread-safe store in memory, for tests, tools and single-process hosts.
class memory_key_store final : public key_store {
 public:
  [[nodiscard]] result<std::optional<key_record>> find(std::string_view key_id) override {
    const std::lock_guard lock{mutex_};
    const auto found = records_.find(std::string{key_id});
    if (found == records_.end()) return std::optional<key_record>{};
    return std::optional<key_record>{clone_record(found->second)};
  }
  [[nodiscard]] result<void> insert(key_record record) override {
    const std::lock_guard lock{mutex_};
    if (!aliases_.insert(record.key_alias).second) return errc::duplicate_key_alias;
    order_.push_back(record.key.key_id);
    const auto key_id = record.key.key_id;
    records_.emplace(key_id, std::move(record));
    return {};
  }
  [[nodiscard]] result<void> update(const key_record& record) override {
    const std::lock_guard lock{mutex_};
    const auto found = records_.find(record.key.key_id);
    if (found == records_.end()) return errc::key_not_found;
    found->second = clone_record(record);
    return {};
  }
  [[nodiscard]] result<std::vector<key_record>> list() override {
    const std::lock_guard lock{mutex_};
    std::vector<key_record> all;
    for (const auto& key_id : order_) all.push_back(clone_record(records_.at(key_id)));
    return all;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, key_record> records_;
  std::set<std::string> aliases_;
  std::vector<std::string> order_;
};

}  // namespace kmscore
