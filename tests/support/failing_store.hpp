// tests/support/failing_store.hpp: a key store whose every call is a store fault (500
// KMS.0101): what a host sees when its database is down; or, with keys_absent, one whose
// key reads answer "no such key" while every other call fails.
#pragma once

#include <kmscore/key_store.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmscore_test {

class failing_store final : public kmscore::key_store {
 public:
  kmscore::result<std::optional<kmscore::project>> find_project(
      const kmscore::project_id& /*id*/) override {
    return kmscore::errc::kms_error;
  }
  kmscore::result<kmscore::project> ensure_project(const kmscore::project_id& /*id*/,
                                                   std::string_view /*domain*/) override {
    return kmscore::errc::kms_error;
  }
  kmscore::result<std::vector<kmscore::project>> list_projects() override {
    return kmscore::errc::kms_error;
  }
  // With keys_absent, a key read answers "no such key" instead (only the other calls fail).
  bool keys_absent = false;

  kmscore::result<std::optional<kmscore::key_record>> find(const kmscore::project_id& /*tenant*/,
                                                           const kmscore::key_id& /*id*/) override {
    if (keys_absent) return std::optional<kmscore::key_record>{};
    return kmscore::errc::kms_error;
  }
  kmscore::result<std::optional<std::uint64_t>> revision_of(
      const kmscore::project_id& /*tenant*/, const kmscore::key_id& /*id*/) override {
    if (keys_absent) return std::optional<std::uint64_t>{};
    return kmscore::errc::kms_error;
  }
  kmscore::result<std::optional<kmscore::key_record>> find_by_alias(
      const kmscore::project_id& /*tenant*/, std::string_view /*alias*/) override {
    return kmscore::errc::kms_error;
  }
  kmscore::result<std::vector<kmscore::tag_values>> list_tags(const kmscore::project_id& /*tenant*/,
                                                              std::int64_t /*now_ms*/) override {
    return kmscore::errc::kms_error;
  }
  kmscore::result<void> insert(kmscore::key_record& /*record*/) override {
    return kmscore::errc::kms_error;
  }
  kmscore::result<kmscore::update_outcome> update(kmscore::key_record& /*record*/) override {
    return kmscore::errc::kms_error;
  }
  kmscore::result<kmscore::update_outcome> remove(const kmscore::project_id& /*tenant*/,
                                                  const kmscore::key_id& /*id*/,
                                                  std::uint64_t /*revision*/) override {
    return kmscore::errc::kms_error;
  }
  kmscore::result<kmscore::key_list_page> list(const kmscore::project_id& /*tenant*/,
                                               const kmscore::key_list_query& /*q*/) override {
    return kmscore::errc::kms_error;
  }
  kmscore::result<std::optional<kmscore::alias_entry>> find_alias(const kmscore::project_id& tenant,
                                                                  std::string_view alias,
                                                                  std::int64_t now_ms) override {
    (void)tenant, (void)alias, (void)now_ms;
    return kmscore::errc::kms_error;
  }
  kmscore::result<kmscore::alias_outcome> add_alias(const kmscore::project_id& tenant,
                                                    const kmscore::alias_entry& entry,
                                                    std::int64_t now_ms) override {
    (void)tenant, (void)entry, (void)now_ms;
    return kmscore::errc::kms_error;
  }
  kmscore::result<kmscore::alias_outcome> move_alias(const kmscore::project_id& tenant,
                                                     std::string_view alias,
                                                     const kmscore::key_id& from,
                                                     const kmscore::key_id& to,
                                                     std::int64_t now_ms) override {
    (void)tenant, (void)alias, (void)from, (void)to, (void)now_ms;
    return kmscore::errc::kms_error;
  }
  kmscore::result<kmscore::alias_outcome> remove_aliases(
      const kmscore::project_id& tenant, const kmscore::key_id& key,
      const std::vector<std::string>& aliases) override {
    (void)tenant, (void)key, (void)aliases;
    return kmscore::errc::kms_error;
  }
  kmscore::result<std::vector<kmscore::alias_entry>> list_aliases(
      const kmscore::project_id& tenant, const kmscore::alias_list_query& query) override {
    (void)tenant, (void)query;
    return kmscore::errc::kms_error;
  }
};

}  // namespace kmscore_test
