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
#include <vector>

#include "key_record.hpp"

namespace kmscore {

class key_store {
 public:
  key_store() = default;
  key_store(const key_store&) = delete;
  key_store& operator=(const key_store&) = delete;
  virtual ~key_store() = default;

  // The record with this key_id, or nullopt. Errors are store faults (KMS.0101).
  [[nodiscard]] virtual result<std::optional<key_record>> find(const key_id& id) = 0;
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
  [[nodiscard]] result<std::optional<key_record>> find(const key_id& id) override {
    const std::lock_guard lock{mutex_};
    const auto found = records_.find(id);
    if (found == records_.end()) return std::optional<key_record>{};
    KMSCORE_TRY_ASSIGN(auto copy, clone_record(found->second));
    return std::optional<key_record>{std::move(copy)};
  }
  [[nodiscard]] result<void> insert(key_record record) override {
    const std::lock_guard lock{mutex_};
    if (records_.contains(record.key.key_id)) return errc::kms_error;
    if (!aliases_.insert(record.key_alias).second) return errc::duplicate_key_alias;
    order_.push_back(record.key.key_id);
    const auto id = record.key.key_id;
    records_.emplace(id, std::move(record));
    return {};
  }
  [[nodiscard]] result<void> update(const key_record& record) override {
    const std::lock_guard lock{mutex_};
    const auto found = records_.find(record.key.key_id);
    if (found == records_.end()) return errc::key_not_found;
    KMSCORE_TRY_ASSIGN(found->second, clone_record(record));
    return {};
  }
  [[nodiscard]] result<std::vector<key_record>> list() override {
    const std::lock_guard lock{mutex_};
    std::vector<key_record> all;
    all.reserve(order_.size());
    for (const auto& id : order_) {
      KMSCORE_TRY_ASSIGN(auto copy, clone_record(records_.at(id)));
      all.push_back(std::move(copy));
    }
    return all;
  }

 private:
  std::mutex mutex_;
  std::map<key_id, key_record> records_;
  std::set<std::string> aliases_;
  std::vector<key_id> order_;
};

}  // namespace kmscore
