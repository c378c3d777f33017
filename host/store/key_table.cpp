// host/store/key_table.cpp: the `keys` table's description and row decoding (key_table.hpp).
#include "key_table.hpp"

#include <utility>

namespace kmscore_host::key_table {

const std::array<indexed_column, 6> indexed_columns{{
    {"key_alias", sql_type::text, [](const kmscore::key_record& r) { return r.key_alias; },
     nullptr},
    {"key_state", sql_type::integer, nullptr,
     [](const kmscore::key_record& r) { return std::int64_t{static_cast<int>(r.key.state)}; }},
    {"key_spec", sql_type::text,
     [](const kmscore::key_record& r) { return std::string{to_string(r.key.spec)}; }, nullptr},
    {"enterprise_project_id", sql_type::text,
     [](const kmscore::key_record& r) { return r.enterprise_project_id; }, nullptr},
    {"creation_date", sql_type::bigint, nullptr,
     [](const kmscore::key_record& r) { return r.creation_date_ms; }},
    {"deletion_date", sql_type::bigint, nullptr,
     [](const kmscore::key_record& r) { return r.scheduled_deletion_date_ms; }},
}};

std::string not_gone_at(std::string_view now_placeholder) {
  return "NOT (key_state = " +
         std::to_string(static_cast<int>(kmscore::key_state::scheduled_deletion)) +
         " AND deletion_date <= " + std::string{now_placeholder} + ")";
}

std::optional<std::int64_t> deletion_date_of(kmscore::byte_span stored) {
  const auto record = kmscore::read_key_record_metadata(stored);
  if (!record) return std::nullopt;
  return record->scheduled_deletion_date_ms;
}

namespace {
std::string question_mark(int n, sql_type /*type*/) { return "?" + std::to_string(n); }
std::string dollar(int n, sql_type type) {
  std::string text = "$" + std::to_string(n);
  switch (type) {
    case sql_type::text:
      break;
    case sql_type::integer:
      text += "::integer";
      break;
    case sql_type::bigint:
      text += "::bigint";
      break;
    case sql_type::bytes:
      text += "::bytea";
      break;
  }
  return text;
}

std::string instr(std::string_view column, int n) {
  return "instr(" + std::string{column} + ", ?" + std::to_string(n) + ") > 0";
}
std::string strpos(std::string_view column, int n) {
  return "strpos(" + std::string{column} + ", $" + std::to_string(n) + ") > 0";
}
}  // namespace

const dialect sqlite{&question_mark, &instr};
const dialect postgresql{&dollar, &strpos};

std::string tags_delete_sql(const dialect& d) {
  return "DELETE FROM key_tags WHERE project_id = " + d.placeholder(1, sql_type::text) +
         " AND key_id = " + d.placeholder(2, sql_type::text);
}

std::string tag_insert_sql(const dialect& d) {
  return "INSERT INTO key_tags (project_id, key_id, tag_key, tag_value) VALUES (" +
         d.placeholder(1, sql_type::text) + ", " + d.placeholder(2, sql_type::text) + ", " +
         d.placeholder(3, sql_type::text) + ", " + d.placeholder(4, sql_type::text) + ")";
}

std::string list_filters_sql(const dialect& d, const kmscore::key_list_query& query, int first) {
  // Each filter as the set of keys holding the tag, read from the (project_id, tag_key,
  // tag_value) index, rather than a probe per listed key.
  std::string sql;
  int n = first;
  for (const auto& filter : query.tags) {
    sql += " AND key_id IN (SELECT t.key_id FROM key_tags t WHERE t.project_id = " +
           d.placeholder(1, sql_type::text) +
           " AND t.tag_key = " + d.placeholder(n++, sql_type::text);
    if (!filter.values.empty()) {
      sql += " AND t.tag_value IN (";
      for (std::size_t i = 0; i < filter.values.size(); ++i) {
        if (i > 0) sql += ", ";
        sql += d.placeholder(n++, sql_type::text);
      }
      sql += ")";
    }
    sql += ")";
  }
  if (query.alias_contains) sql += " AND " + d.contains("key_alias", n++);
  return sql;
}

std::string tag_values_sql(const dialect& d) {
  return "SELECT DISTINCT t.tag_key, t.tag_value FROM key_tags t JOIN keys ON keys.project_id = "
         "t.project_id AND keys.key_id = t.key_id WHERE t.project_id = " +
         d.placeholder(1, sql_type::text) + " AND " +
         not_gone_at(d.placeholder(2, sql_type::bigint)) + " ORDER BY t.tag_key, t.tag_value";
}

namespace {
// The SELECT of an alias's columns, joined with its key (for not_gone_at).
constexpr std::string_view alias_columns =
    "SELECT a.alias, a.key_id, a.create_time, a.update_time FROM aliases a JOIN keys ON "
    "keys.project_id = a.project_id AND keys.key_id = a.key_id WHERE a.project_id = ";
}  // namespace

std::string alias_free_sql(const dialect& d) {
  return "DELETE FROM aliases WHERE project_id = " + d.placeholder(1, sql_type::text) +
         " AND alias = " + d.placeholder(2, sql_type::text) +
         " AND key_id IN (SELECT key_id FROM keys WHERE project_id = " +
         d.placeholder(1, sql_type::text) + " AND NOT (" +
         not_gone_at(d.placeholder(3, sql_type::bigint)) + "))";
}

std::string alias_key_sql(const dialect& d) {
  return "SELECT key_state FROM keys WHERE project_id = " + d.placeholder(1, sql_type::text) +
         " AND key_id = " + d.placeholder(2, sql_type::text);
}

std::string alias_held_sql(const dialect& d) {
  return "SELECT 1 FROM aliases WHERE project_id = " + d.placeholder(1, sql_type::text) +
         " AND alias = " + d.placeholder(2, sql_type::text);
}

std::string alias_count_sql(const dialect& d) {
  return "SELECT count(*) FROM aliases WHERE project_id = " + d.placeholder(1, sql_type::text) +
         " AND key_id = " + d.placeholder(2, sql_type::text);
}

std::string alias_insert_sql(const dialect& d) {
  return "INSERT INTO aliases (project_id, alias, key_id, create_time, update_time) VALUES (" +
         d.placeholder(1, sql_type::text) + ", " + d.placeholder(2, sql_type::text) + ", " +
         d.placeholder(3, sql_type::text) + ", " + d.placeholder(4, sql_type::bigint) + ", " +
         d.placeholder(5, sql_type::bigint) + ")";
}

std::string alias_move_sql(const dialect& d) {
  return "UPDATE aliases SET key_id = " + d.placeholder(4, sql_type::text) +
         ", update_time = " + d.placeholder(5, sql_type::bigint) +
         " WHERE project_id = " + d.placeholder(1, sql_type::text) +
         " AND alias = " + d.placeholder(2, sql_type::text) +
         " AND key_id = " + d.placeholder(3, sql_type::text);
}

std::string alias_delete_sql(const dialect& d) {
  return "DELETE FROM aliases WHERE project_id = " + d.placeholder(1, sql_type::text) +
         " AND alias = " + d.placeholder(2, sql_type::text) +
         " AND key_id = " + d.placeholder(3, sql_type::text);
}

std::string alias_find_sql(const dialect& d) {
  return std::string{alias_columns} + d.placeholder(1, sql_type::text) +
         " AND a.alias = " + d.placeholder(2, sql_type::text) + " AND " +
         not_gone_at(d.placeholder(3, sql_type::bigint));
}

std::string alias_list_sql(const dialect& d, bool by_key) {
  std::string sql = std::string{alias_columns} + d.placeholder(1, sql_type::text) +
                    " AND a.alias > " + d.placeholder(2, sql_type::text) + " AND " +
                    not_gone_at(d.placeholder(3, sql_type::bigint));
  if (by_key) sql += " AND a.key_id = " + d.placeholder(5, sql_type::text);
  return sql + " ORDER BY a.alias LIMIT " + d.placeholder(4, sql_type::bigint);
}

std::optional<kmscore::alias_entry> alias_row(std::string alias, std::string_view key_id,
                                              std::int64_t create_time, std::int64_t update_time,
                                              const kmscore::diagnostics_sink& note) {
  const auto id = kmscore::key_id::parse(key_id);
  if (!id || !kmscore::is_alias(alias)) {
    if (note) note("alias row " + alias + " is malformed; left out");
    return std::nullopt;
  }
  return kmscore::alias_entry{std::move(alias), *id, create_time, update_time};
}

std::string insert_sql(const dialect& d) {
  std::string names = "project_id, key_id";
  std::string values = d.placeholder(1, sql_type::text) + ", " + d.placeholder(2, sql_type::text);
  int n = 3;
  for (const auto& column : indexed_columns) {
    names.append(", ").append(column.name);
    values.append(", ").append(d.placeholder(n++, column.type));
  }
  return "INSERT INTO keys (" + names + ", revision, record) VALUES (" + values + ", 1, " +
         d.placeholder(n, sql_type::bytes) + ")";
}

std::string update_sql(const dialect& d) {
  std::string sql = "UPDATE keys SET ";
  int n = 1;
  for (const auto& column : indexed_columns) {
    sql.append(column.name).append(" = ").append(d.placeholder(n++, column.type)).append(", ");
  }
  sql += "revision = " + d.placeholder(n, sql_type::bigint) + ", ";
  sql += "record = " + d.placeholder(n + 1, sql_type::bytes);
  sql += " WHERE project_id = " + d.placeholder(n + 2, sql_type::text);
  sql += " AND key_id = " + d.placeholder(n + 3, sql_type::text);
  sql += " AND revision = " + d.placeholder(n + 4, sql_type::bigint);
  return sql;
}

std::string remove_sql(const dialect& d) {
  return "DELETE FROM keys WHERE project_id = " + d.placeholder(1, sql_type::text) +
         " AND key_id = " + d.placeholder(2, sql_type::text) +
         " AND revision = " + d.placeholder(3, sql_type::bigint);
}

kmscore::result<std::optional<kmscore::key_record>> open_row(
    kmscore::record_sealer& sealer, const kmscore::project_id& tenant, const kmscore::key_id& id,
    kmscore::byte_span stored, const kmscore::diagnostics_sink& note) {
  auto record = sealer.open(stored);
  if (!record || record->project_id != tenant || record->key.key_id != id) {
    if (note) {
      note("the record of key " + id.str() + " in project " + tenant.str() +
           " does not open (corrupt, moved or foreign)");
    }
    return kmscore::errc::kms_error;
  }
  return std::optional<kmscore::key_record>{std::move(*record)};
}

std::optional<kmscore::key_record> list_row(const kmscore::project_id& tenant,
                                            std::string_view key_id, kmscore::byte_span stored,
                                            const kmscore::diagnostics_sink& note) {
  auto record = kmscore::read_key_record_metadata(stored);
  if (!record || record->project_id != tenant || record->key.key_id != key_id) {
    if (note) {
      note("list-keys leaves out key " + std::string{key_id} + " of project " + tenant.str() +
           ": its metadata is unreadable");
    }
    return std::nullopt;
  }
  return std::move(*record);
}

}  // namespace kmscore_host::key_table
