// kmscore/key_cache.hpp: the one cache of derived per-CMK state, for hosts that serve many
// requests (the server; the throughput work reuses it for decrypt and re-wrap).
//
//   kmscore::key_cache<Backend> cache{backend};              // bounded, LRU
//   kmscore::kms_service service{backend, store, project, policy, diagnostics, &cache};
//
// Every kms_service has one: a service given none makes its own of capacity 0, which keeps
// nothing (each use reads the record and builds the entry for that use alone), so the
// actions have one path whether or not the host caches.
//
// Unsealing a key record (under the root key) and deriving envelope keys costs tens of
// microseconds; a data-key request should not pay it. An entry holds, for one key of one
// project: the opened record, a sealer for its current version and an opener that derives a
// material version's keys when an envelope of that version is first opened (so a key
// rotated a thousand times costs only the versions in use), shared between threads. The
// cache is bounded twice: by entries (LRU) and by the bytes its records and derived keys
// take (an estimate, `bytes()`); past the byte budget the least recently used entries go. Each use
// first reads the record's revision from the store (key_store::revision_of, one indexed read): a
// different revision (a state change, rotation, deletion, or a change made by another host on the
// same database) rebuilds the entry, so nothing stale is ever used. The cache holds key material:
// entries live in zeroizing buffers and are wiped when evicted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "datakey.hpp"
#include "key_record.hpp"
#include "key_store.hpp"

namespace kmscore {

template <crypto_backend Backend>
class key_cache {
 public:
  static constexpr std::size_t default_capacity = 4096;
  static constexpr std::size_t default_byte_budget = std::size_t{64} << 20U;  // 64 MiB

  // What a use needs of an entry. A cache of capacity 0 builds only that (the other member
  // is then KMS.0101, never read); a cache that keeps entries builds both, to share them.
  enum class needs : unsigned char { sealer = 1, opener = 2, both = 3 };

  // What one key's requests share. `sealer` and `opener` hold the CMK checks' outcome: an
  // error there (a disabled key, an asymmetric one) is answered from the cache as well.
  struct entry {
    std::unique_ptr<const key_record> record;  // its own allocation: the opener points into it
    result<datakey_sealer<Backend>> sealer;
    result<datakey_opener<Backend>> opener;
    detail::usage_charge charge;  // the record's and the sealer's bytes, while the entry lives
  };

  explicit key_cache(Backend& backend, std::size_t capacity = default_capacity,
                     std::size_t byte_budget = default_byte_budget)
      : backend_{&backend}, capacity_{capacity}, byte_budget_{byte_budget} {}

  // The current entry for the key, or nullptr when the store has no such key. Store faults
  // are KMS.0101.
  [[nodiscard]] result<std::shared_ptr<const entry>> get(key_store& store, const project_id& tenant,
                                                         const key_id& id,
                                                         needs need = needs::both) {
    if (capacity_ == 0) {  // nothing kept: no revision to compare, one read
      KMSCORE_TRY_ASSIGN(auto found, store.find(tenant, id));
      if (!found) return std::shared_ptr<const entry>{};
      return std::shared_ptr<const entry>{build(std::move(*found), need)};
    }
    KMSCORE_TRY_ASSIGN(const auto revision, store.revision_of(tenant, id));
    const auto where = std::make_pair(tenant, id);
    if (!revision) {
      forget(where);
      return std::shared_ptr<const entry>{};
    }
    if (auto cached = lookup(where, *revision)) return cached;
    KMSCORE_TRY_ASSIGN(auto found, store.find(tenant, id));
    if (!found) {
      forget(where);
      return std::shared_ptr<const entry>{};
    }
    auto built = build(std::move(*found));
    remember(where, built);
    return std::shared_ptr<const entry>{built};
  }

  // What the entries take, estimated: their records (material and public key), sealers and
  // derived keys, including entries evicted but still in use by a request.
  [[nodiscard]] std::size_t bytes() const noexcept { return usage_->load(); }
  [[nodiscard]] std::size_t byte_budget() const noexcept { return byte_budget_; }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock{mutex_};
    return entries_.size();
  }

 private:
  using where_t = std::pair<project_id, key_id>;
  struct slot {
    std::shared_ptr<const entry> value;
    std::list<where_t>::iterator recency;
  };

  [[nodiscard]] std::shared_ptr<const entry> build(key_record record, needs need = needs::both) {
    const auto wants = [need](needs part) {
      return (static_cast<unsigned>(need) & static_cast<unsigned>(part)) != 0;
    };
    auto owned = std::make_unique<const key_record>(std::move(record));
    auto sealer = wants(needs::sealer) ? datakey_sealer<Backend>::make(*backend_, owned->key)
                                       : result<datakey_sealer<Backend>>{errc::kms_error};
    auto opener = wants(needs::opener)
                      ? datakey_opener<Backend>::make(*backend_, owned->key, usage_)
                      : result<datakey_opener<Backend>>{errc::kms_error};
    std::size_t bytes = sizeof(entry) + sizeof(key_record) + owned->public_key.size();
    for (const auto& material : owned->key.material_versions) bytes += material.size();
    return std::make_shared<const entry>(entry{std::move(owned), std::move(sealer),
                                               std::move(opener),
                                               detail::usage_charge{usage_, bytes}});
  }

  // Under mutex_: evicts the least recently used entries while the cache holds more than its
  // capacity or is over its byte budget; the most recent one stays (a request is using it).
  // Run on every hit and every insertion: an opener grows as it derives versions on use.
  void evict_locked() {
    while (entries_.size() > 1 && (entries_.size() > capacity_ || usage_->load() > byte_budget_)) {
      entries_.erase(recency_.back());
      recency_.pop_back();
    }
  }

  [[nodiscard]] std::shared_ptr<const entry> lookup(const where_t& where, std::uint64_t revision) {
    const std::lock_guard lock{mutex_};
    const auto found = entries_.find(where);
    if (found == entries_.end() || found->second.value->record->revision != revision) return {};
    recency_.splice(recency_.begin(), recency_, found->second.recency);
    auto value = found->second.value;  // kept: eviction below may drop other entries only
    evict_locked();
    return value;
  }

  void remember(const where_t& where, std::shared_ptr<const entry> value) {
    const std::lock_guard lock{mutex_};
    if (const auto found = entries_.find(where); found != entries_.end()) {
      recency_.erase(found->second.recency);
      entries_.erase(found);
    }
    recency_.push_front(where);
    entries_.emplace(where, slot{std::move(value), recency_.begin()});
    evict_locked();
  }

  void forget(const where_t& where) {
    const std::lock_guard lock{mutex_};
    if (const auto found = entries_.find(where); found != entries_.end()) {
      recency_.erase(found->second.recency);
      entries_.erase(found);
    }
  }

  Backend* backend_;
  std::size_t capacity_;
  std::size_t byte_budget_;
  memory_usage usage_ = std::make_shared<std::atomic<std::size_t>>(0);
  mutable std::mutex mutex_;
  std::map<where_t, slot> entries_;
  std::list<where_t> recency_;  // front: most recently used
};

}  // namespace kmscore
