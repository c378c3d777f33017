// host/store/key_table.hpp: the `keys` table of the database stores, described once.
//
// A key is one row: its project and key_id (the primary key), the sealed record (the only
// source of truth, key_record_codec.hpp), its revision (the compare-and-set), and the
// indexed columns that let the database find, list and keep aliases unique without opening
// records. Both stores (sqlite_key_store.cpp, postgres_key_store.cpp) build their key
// statements from `indexed_columns` and `list_order`, bind the columns' values from the
// record through it, and decode rows with `open_row` / `list_row`; only the placeholder
// syntax (`?N` or `$N::type`) differs, given by a `dialect`. The CREATE TABLE statements of
// each store's migrations are history (a migration never changes once released): a new
// indexed column is a new migration in both stores and a new row here.
#pragma once

#include <kmscore/diagnostics.hpp>
#include <kmscore/key_id.hpp>
#include <kmscore/key_record.hpp>
#include <kmscore/key_record_codec.hpp>
#include <kmscore/key_store.hpp>
#include <kmscore/result.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kmscore_host::key_table {

// The column types the statements bind.
enum class sql_type : unsigned char { text, integer, bigint, bytes };

// An indexed column: its name, type and value in a record (text or integer, by type).
struct indexed_column {
  std::string_view name;
  sql_type type;
  std::string (*text)(const kmscore::key_record& record);      // for sql_type::text
  std::int64_t (*integer)(const kmscore::key_record& record);  // for integer and bigint
};

// In the order of the tables' declarations.
extern const std::array<indexed_column, 6> indexed_columns;

// The condition that leaves out the keys gone at a time (kmscore::is_gone), given the
// placeholder of that time: a row scheduled for deletion whose date has come.
[[nodiscard]] std::string not_gone_at(std::string_view now_placeholder);

// Migration 2 added deletion_date: the value for a row already stored, from its record's
// metadata (0 for a row not scheduled for deletion; nullopt if the metadata is unreadable).
[[nodiscard]] std::optional<std::int64_t> deletion_date_of(kmscore::byte_span stored);

// list-keys' order: newest first, then by key_id (a total order, so pages never overlap).
inline constexpr std::string_view list_order = "creation_date DESC, key_id ASC";

// How a database writes the placeholder of the n-th (1-based) parameter of a type, and a
// case-sensitive "column contains the text of parameter n" condition.
struct dialect {
  std::string (*placeholder)(int n, sql_type type);
  std::string (*contains)(std::string_view column, int n);
};
extern const dialect sqlite;      // ?N
extern const dialect postgresql;  // $N, with a cast for non-text types

// INSERT of a new row at revision 1. Parameters: project_id, key_id, every indexed column
// in order, the sealed record.
[[nodiscard]] std::string insert_sql(const dialect& d);
// The compare-and-set UPDATE. Parameters: every indexed column in order, the new revision,
// the sealed record, project_id, key_id, the expected revision.
[[nodiscard]] std::string update_sql(const dialect& d);
// The compare-and-set DELETE. Parameters: project_id, key_id, the expected revision.
[[nodiscard]] std::string remove_sql(const dialect& d);

// The `key_tags` table: one row per tag of a key (project_id, key_id, tag_key, tag_value),
// written with the key's row in one transaction from the record's tags (the record stays the
// truth), removed with it (ON DELETE CASCADE), indexed by (project_id, tag_key, tag_value)
// for the resource-instance query. Its statements:
//   - delete every tag of a key. Parameters: project_id, key_id;
//   - insert one tag. Parameters: project_id, key_id, tag_key, tag_value.
[[nodiscard]] std::string tags_delete_sql(const dialect& d);
[[nodiscard]] std::string tag_insert_sql(const dialect& d);

// The conditions list-keys' filters add for the resource-instance query (api-metadata.md
// §3.7): per tag filter, key_id among the project's keys holding that tag key (and one of its
// values when it has any), then key_alias containing `alias_contains`. The project is the
// statement's first parameter; the filters' placeholders are numbered from `first` on, and
// bind_list_filters binds them in the same order.
[[nodiscard]] std::string list_filters_sql(const dialect& d, const kmscore::key_list_query& query,
                                           int first);
template <class Text>
void bind_list_filters(const kmscore::key_list_query& query, Text&& bind_text) {
  for (const auto& filter : query.tags) {
    bind_text(filter.key);
    for (const auto& value : filter.values) bind_text(value);
  }
  if (query.alias_contains) bind_text(*query.alias_contains);
}

// list-kms-tags (§3.6): every tag key and value on the project's keys not gone at a time,
// each pair once, in byte order. Parameters: project_id, the time.
[[nodiscard]] std::string tag_values_sql(const dialect& d);

// The `aliases` table (api-metadata.md §5, kmscore/aliases.hpp): one row per alias,
// (project_id, alias) its primary key, key_id a foreign key to `keys` (ON DELETE CASCADE),
// indexed by (project_id, key_id); times in milliseconds. An alias whose key is gone (by
// not_gone_at) is neither found nor listed, and alias_free_sql lets a write take it. Its
// statements, each with its parameters:
//   - alias_free_sql: delete the alias if its key is gone. project_id, alias, the time;
//   - alias_key_sql: the state of the key an alias is to name (alias_key_outcome), the row
//     PostgreSQL locks (FOR UPDATE) so that writes for one key count its aliases in turn.
//     project_id, key_id;
//   - alias_held_sql: whether the alias is held (after alias_free_sql: by a key not gone).
//     project_id, alias;
//   - alias_count_sql: the aliases of a key. project_id, key_id;
//   - alias_insert_sql: project_id, alias, key_id, create_time, update_time;
//   - alias_move_sql: point the alias at another key if it names the one read. project_id,
//     alias, the key read, the new key, update_time;
//   - alias_delete_sql: delete the alias if it names the key. project_id, alias, key_id;
//   - alias_find_sql: the alias's alias_row columns if its key is not gone. project_id,
//     alias, the time;
//   - alias_list_sql: the aliases after one, in byte order, of keys not gone (and of one key
//     when by_key). project_id, the alias listed after, the time, the limit[, key_id].
[[nodiscard]] std::string alias_free_sql(const dialect& d);
[[nodiscard]] std::string alias_key_sql(const dialect& d);
[[nodiscard]] std::string alias_held_sql(const dialect& d);
[[nodiscard]] std::string alias_count_sql(const dialect& d);
[[nodiscard]] std::string alias_insert_sql(const dialect& d);
[[nodiscard]] std::string alias_move_sql(const dialect& d);
[[nodiscard]] std::string alias_delete_sql(const dialect& d);
[[nodiscard]] std::string alias_find_sql(const dialect& d);
[[nodiscard]] std::string alias_list_sql(const dialect& d, bool by_key);
// A row of alias_find_sql or alias_list_sql (alias, key_id, create_time, update_time, as
// text), or nullopt, noted, for a malformed one.
[[nodiscard]] std::optional<kmscore::alias_entry> alias_row(std::string alias,
                                                            std::string_view key_id,
                                                            std::int64_t create_time,
                                                            std::int64_t update_time,
                                                            const kmscore::diagnostics_sink& note);

// Binds every indexed column of record through bind_text(value) / bind_integer(value), in
// order.
template <class Text, class Integer>
void bind_indexed(const kmscore::key_record& record, Text&& bind_text, Integer&& bind_integer) {
  for (const auto& column : indexed_columns) {
    if (column.type == sql_type::text) {
      bind_text(column.text(record));
    } else {
      bind_integer(column.integer(record));
    }
  }
}

// A row's sealed record, opened and checked to be the key asked for (a record moved to
// another row or project, corrupt or sealed under another root key is a fault, noted).
[[nodiscard]] kmscore::result<std::optional<kmscore::key_record>> open_row(
    kmscore::record_sealer& sealer, const kmscore::project_id& tenant, const kmscore::key_id& id,
    kmscore::byte_span stored, const kmscore::diagnostics_sink& note);

// A list-keys row's metadata (the material stays sealed); nullopt, noted, when it is
// unreadable or not the row's key (such a key is left out of the page).
[[nodiscard]] std::optional<kmscore::key_record> list_row(const kmscore::project_id& tenant,
                                                          std::string_view key_id,
                                                          kmscore::byte_span stored,
                                                          const kmscore::diagnostics_sink& note);

}  // namespace kmscore_host::key_table
