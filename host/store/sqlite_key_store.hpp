// host/store/sqlite_key_store.hpp: the default key store, one SQLite database file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "durable_key_store.hpp"

namespace kmscore_host {

class sqlite_key_store final : public durable_key_store {
 public:
  // Opens (creating if needed) the database at path; nullptr with the reason in `why`.
  [[nodiscard]] static std::unique_ptr<sqlite_key_store> open(const std::string& path,
                                                              kmscore::record_sealer& sealer,
                                                              kmscore::diagnostics_sink diagnostics,
                                                              std::string& why);
  ~sqlite_key_store() override;
  sqlite_key_store(const sqlite_key_store&) = delete;
  sqlite_key_store& operator=(const sqlite_key_store&) = delete;
  sqlite_key_store(sqlite_key_store&&) = delete;
  sqlite_key_store& operator=(sqlite_key_store&&) = delete;

  [[nodiscard]] kmscore::result<std::optional<kmscore::project>> find_project(
      const kmscore::project_id& id) override;
  [[nodiscard]] kmscore::result<kmscore::project> ensure_project(
      const kmscore::project_id& id, std::string_view domain_id) override;
  [[nodiscard]] kmscore::result<std::vector<kmscore::project>> list_projects() override;
  [[nodiscard]] kmscore::result<std::optional<kmscore::key_record>> find(
      const kmscore::project_id& tenant, const kmscore::key_id& id) override;
  [[nodiscard]] kmscore::result<std::optional<std::uint64_t>> revision_of(
      const kmscore::project_id& tenant, const kmscore::key_id& id) override;
  [[nodiscard]] kmscore::result<std::optional<kmscore::key_record>> find_by_alias(
      const kmscore::project_id& tenant, std::string_view alias) override;
  [[nodiscard]] kmscore::result<void> insert(kmscore::key_record& record) override;
  [[nodiscard]] kmscore::result<kmscore::update_outcome> update(
      kmscore::key_record& record) override;
  [[nodiscard]] kmscore::result<kmscore::key_list_page> list(
      const kmscore::project_id& tenant, const kmscore::key_list_query& query) override;
  [[nodiscard]] kmscore::result<std::vector<kmscore::tag_values>> list_tags(
      const kmscore::project_id& tenant, std::int64_t now_ms) override;
  [[nodiscard]] kmscore::result<kmscore::update_outcome> remove(const kmscore::project_id& tenant,
                                                                const kmscore::key_id& id,
                                                                std::uint64_t revision) override;
  [[nodiscard]] kmscore::result<std::optional<kmscore::alias_entry>> find_alias(
      const kmscore::project_id& tenant, std::string_view alias, std::int64_t now_ms) override;
  [[nodiscard]] kmscore::result<kmscore::alias_outcome> add_alias(const kmscore::project_id& tenant,
                                                                  const kmscore::alias_entry& entry,
                                                                  std::int64_t now_ms) override;
  [[nodiscard]] kmscore::result<kmscore::alias_outcome> move_alias(
      const kmscore::project_id& tenant, std::string_view alias, const kmscore::key_id& from,
      const kmscore::key_id& to, std::int64_t now_ms) override;
  [[nodiscard]] kmscore::result<kmscore::alias_outcome> remove_aliases(
      const kmscore::project_id& tenant, const kmscore::key_id& key,
      const std::vector<std::string>& aliases) override;
  [[nodiscard]] kmscore::result<std::vector<kmscore::alias_entry>> list_aliases(
      const kmscore::project_id& tenant, const kmscore::alias_list_query& query) override;
  [[nodiscard]] kmscore::result<std::size_t> count_keys() override;
  [[nodiscard]] kmscore::result<std::optional<std::vector<kmscore::byte>>> meta_get(
      std::string_view name) override;
  [[nodiscard]] kmscore::result<std::vector<kmscore::byte>> meta_put_if_absent(
      std::string_view name, kmscore::byte_span value) override;
  [[nodiscard]] kmscore::result<bool> meta_replace(std::span<const meta_change> changes) override;
  [[nodiscard]] kmscore::result<std::vector<setting>> settings() override;

 private:
  struct connection;
  sqlite_key_store(std::unique_ptr<connection> db, kmscore::record_sealer& sealer,
                   kmscore::diagnostics_sink diagnostics);
  [[nodiscard]] kmscore::errc fault(std::string_view what) const;
  // The diagnostics sink with this store's prefix, for key_table's notes.
  [[nodiscard]] kmscore::diagnostics_sink noter() const;
  [[nodiscard]] kmscore::result<std::optional<kmscore::key_record>> open_row(
      const kmscore::project_id& tenant, const kmscore::key_id& id, kmscore::byte_span stored);
  [[nodiscard]] bool write_tags(const kmscore::key_record& record, bool clear);
  [[nodiscard]] std::optional<kmscore::alias_outcome> alias_key_check(
      const kmscore::project_id& tenant, const kmscore::key_id& key);
  [[nodiscard]] std::optional<bool> over_alias_limit(const kmscore::project_id& tenant,
                                                     const kmscore::key_id& key, std::size_t more);

  std::unique_ptr<connection> db_;
  kmscore::record_sealer* sealer_;
  kmscore::diagnostics_sink diagnostics_;
};

}  // namespace kmscore_host
