// The SQLite key store (docs/storage.md): one database file, any number of processes on one
// host. Durability: WAL journal, synchronous=FULL (every commit is fsync'd before it is
// acknowledged), foreign keys on, secure_delete on (deleted content is overwritten, so a
// destroyed key's sealed record does not linger in free pages); each connection sets these
// and reads them back, refusing to run otherwise. Concurrency: every write is one BEGIN IMMEDIATE
// transaction (writers queue on the database lock; busy_timeout waits for it), uniqueness is the
// database's (primary and unique keys), updates are compare-and-set on the revision column.
#include "sqlite_key_store.hpp"
#include "key_table.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <string>
#include <utility>

namespace kmscore_host {

namespace {

constexpr int busy_timeout_ms = 30'000;
constexpr int schema_version = 4;

// Each entry migrates the schema from version i to i + 1, in one transaction.
constexpr std::array<const char*, schema_version> migrations{{
    R"sql(
CREATE TABLE meta (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
CREATE TABLE projects (
  project_id TEXT PRIMARY KEY CHECK (length(project_id) = 32),
  domain_id  TEXT NOT NULL CHECK (length(domain_id) = 32)
);
CREATE TABLE keys (
  project_id            TEXT NOT NULL REFERENCES projects (project_id),
  key_id                TEXT NOT NULL CHECK (length(key_id) = 36),
  key_alias             TEXT NOT NULL CHECK (length(key_alias) BETWEEN 1 AND 255),
  key_state             INTEGER NOT NULL CHECK (key_state BETWEEN 1 AND 5),
  key_spec              TEXT NOT NULL,
  enterprise_project_id TEXT NOT NULL,
  creation_date         INTEGER NOT NULL,
  revision              INTEGER NOT NULL CHECK (revision >= 1),
  record                BLOB NOT NULL,
  PRIMARY KEY (project_id, key_id),
  UNIQUE (project_id, key_alias)
);
CREATE INDEX keys_in_list_order ON keys (project_id, creation_date DESC, key_id);
)sql",
    // 2: keys scheduled for deletion are gone at their date (list-keys leaves them out).
    R"sql(
ALTER TABLE keys ADD COLUMN deletion_date INTEGER NOT NULL DEFAULT 0;
)sql",
    // 3: tags (api-metadata.md §3), one row per tag, indexed for the resource-instance query.
    // Records of earlier formats hold no tags: nothing to fill.
    R"sql(
CREATE TABLE key_tags (
  project_id TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  tag_key    TEXT NOT NULL,
  tag_value  TEXT NOT NULL,
  PRIMARY KEY (project_id, key_id, tag_key),
  FOREIGN KEY (project_id, key_id) REFERENCES keys (project_id, key_id) ON DELETE CASCADE
);
CREATE INDEX key_tags_by_tag ON key_tags (project_id, tag_key, tag_value);
)sql",
    // 4: aliases (api-metadata.md §5), a namespace of their own beside key_alias.
    R"sql(
CREATE TABLE aliases (
  project_id  TEXT NOT NULL,
  alias       TEXT NOT NULL CHECK (length(alias) BETWEEN 7 AND 255),
  key_id      TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  PRIMARY KEY (project_id, alias),
  FOREIGN KEY (project_id, key_id) REFERENCES keys (project_id, key_id) ON DELETE CASCADE
);
CREATE INDEX aliases_by_key ON aliases (project_id, key_id);
)sql",
}};

class statement {
 public:
  statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &handle_, nullptr) != SQLITE_OK) handle_ = nullptr;
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { sqlite3_finalize(handle_); }

  [[nodiscard]] bool ok() const noexcept { return handle_ != nullptr; }
  statement& text(int index, std::string_view value) {
    sqlite3_bind_text(handle_, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  statement& integer(int index, std::int64_t value) {
    sqlite3_bind_int64(handle_, index, value);
    return *this;
  }
  statement& blob(int index, kmscore::byte_span value) {
    sqlite3_bind_blob(handle_, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return handle_ == nullptr ? SQLITE_ERROR : sqlite3_step(handle_); }
  [[nodiscard]] std::string column_text(int index) const {
    const auto* text = sqlite3_column_text(handle_, index);
    return text == nullptr
               ? std::string{}
               : std::string{reinterpret_cast<const char*>(text),  // NOLINT
                             static_cast<std::size_t>(sqlite3_column_bytes(handle_, index))};
  }
  [[nodiscard]] std::int64_t column_integer(int index) const {
    return sqlite3_column_int64(handle_, index);
  }
  [[nodiscard]] std::vector<kmscore::byte> column_blob(int index) const {
    const auto* data = static_cast<const kmscore::byte*>(sqlite3_column_blob(handle_, index));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(handle_, index));
    return data == nullptr ? std::vector<kmscore::byte>{}
                           : std::vector<kmscore::byte>(data, data + size);
  }

 private:
  sqlite3_stmt* handle_ = nullptr;
};

}  // namespace

struct sqlite_key_store::connection {
  sqlite3* db = nullptr;
  std::mutex mutex;  // one connection, used by one thread at a time
  // revision_of's query, prepared once: it runs before every data-key request (key_cache).
  sqlite3_stmt* revision = nullptr;
  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  connection(connection&&) = delete;
  connection& operator=(connection&&) = delete;
  ~connection() {
    sqlite3_finalize(revision);
    sqlite3_close_v2(db);
  }
};

sqlite_key_store::sqlite_key_store(std::unique_ptr<connection> db, kmscore::record_sealer& sealer,
                                   kmscore::diagnostics_sink diagnostics)
    : db_{std::move(db)}, sealer_{&sealer}, diagnostics_{std::move(diagnostics)} {}

sqlite_key_store::~sqlite_key_store() = default;

kmscore::errc sqlite_key_store::fault(std::string_view what) const {
  if (diagnostics_) {
    std::string message{"sqlite store: "};
    message.append(what);
    message.append(": ");
    message.append(sqlite3_errmsg(db_->db));
    diagnostics_(message);
  }
  return kmscore::errc::kms_error;
}

namespace {

// Runs SQL without results; false on failure.
bool execute(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

// Switching a new database to WAL takes an exclusive lock that the busy handler does not
// wait for: processes opening it at the same time retry for up to the busy timeout.
bool set_wal_journal(sqlite3* db) {
  constexpr int pause_ms = 20;
  for (int waited = 0; waited <= busy_timeout_ms; waited += pause_ms) {
    const int code = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (code == SQLITE_OK) return true;
    if ((code & 0xFF) != SQLITE_BUSY && (code & 0xFF) != SQLITE_LOCKED) return false;
    ::usleep(pause_ms * 1000);
  }
  return false;
}

std::string pragma_value(sqlite3* db, const char* sql) {
  statement query{db, sql};
  if (!query.ok() || query.step() != SQLITE_ROW) return {};
  return query.column_text(0);
}

// A write transaction: BEGIN IMMEDIATE takes the database's write lock at once (no upgrade
// deadlock between two readers turning writers); rolled back unless committed.
class write_transaction {
 public:
  explicit write_transaction(sqlite3* db) : db_{db}, open_{execute(db, "BEGIN IMMEDIATE")} {}
  write_transaction(const write_transaction&) = delete;
  write_transaction& operator=(const write_transaction&) = delete;
  ~write_transaction() {
    if (open_) execute(db_, "ROLLBACK");
  }
  [[nodiscard]] bool began() const noexcept { return open_; }
  [[nodiscard]] bool commit() {
    open_ = !execute(db_, "COMMIT");
    return !open_;
  }

 private:
  sqlite3* db_;
  bool open_;
};

// Migration 2's second half: deletion_date for the rows already scheduled for deletion.
bool backfill_deletion_dates(sqlite3* db) {
  statement scheduled{db, "SELECT project_id, key_id, record FROM keys WHERE key_state = 4"};
  std::vector<std::pair<std::pair<std::string, std::string>, std::int64_t>> dates;
  int step = scheduled.step();
  for (; step == SQLITE_ROW; step = scheduled.step()) {
    const auto stored = scheduled.column_blob(2);
    // Unreadable metadata stays 0: such a row is listed as gone, and never opens anyway.
    dates.push_back({{scheduled.column_text(0), scheduled.column_text(1)},
                     key_table::deletion_date_of(stored).value_or(0)});
  }
  if (step != SQLITE_DONE) return false;
  for (const auto& [where, date] : dates) {
    statement set{db, "UPDATE keys SET deletion_date = ? WHERE project_id = ? AND key_id = ?"};
    set.integer(1, date).text(2, where.first).text(3, where.second);
    if (set.step() != SQLITE_DONE) return false;
  }
  return true;
}

// What a migration does beside its SQL, in the same transaction (by migration, or none).
constexpr std::array<bool (*)(sqlite3*), schema_version> after_migration{
    {nullptr, &backfill_deletion_dates, nullptr}};

}  // namespace

std::unique_ptr<sqlite_key_store> sqlite_key_store::open(const std::string& path,
                                                         kmscore::record_sealer& sealer,
                                                         kmscore::diagnostics_sink diagnostics,
                                                         std::string& why) {
  // A new database file is private to its owner (SQLite gives its WAL files the same mode).
  const int created =
      ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (created >= 0) ::close(created);
  auto db = std::make_unique<connection>();
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW;
  if (sqlite3_open_v2(path.c_str(), &db->db, flags, nullptr) != SQLITE_OK) {
    why = "cannot open the SQLite database " + path + ": " +
          (db->db != nullptr ? sqlite3_errmsg(db->db) : "out of memory");
    return nullptr;
  }
  sqlite3_busy_timeout(db->db, busy_timeout_ms);
  sqlite3_extended_result_codes(db->db, 1);
  // Durability and integrity settings: set, then read back; anything else refuses to run.
  const bool set = set_wal_journal(db->db) && execute(db->db, "PRAGMA synchronous=FULL") &&
                   execute(db->db, "PRAGMA foreign_keys=ON") &&
                   execute(db->db, "PRAGMA secure_delete=ON");
  if (!set || pragma_value(db->db, "PRAGMA journal_mode") != "wal" ||
      pragma_value(db->db, "PRAGMA synchronous") != "2" ||
      pragma_value(db->db, "PRAGMA foreign_keys") != "1" ||
      pragma_value(db->db, "PRAGMA secure_delete") != "1") {
    why = "the SQLite database " + path +
          " does not run with journal_mode=WAL, synchronous=FULL, foreign_keys=ON and "
          "secure_delete=ON: " +
          sqlite3_errmsg(db->db);
    return nullptr;
  }
  // The schema: migrate from the version found to this build's, one step per transaction.
  for (;;) {
    write_transaction transaction{db->db};
    if (!transaction.began()) {
      why = std::string{"cannot lock the SQLite database: "} + sqlite3_errmsg(db->db);
      return nullptr;
    }
    const auto version = std::stoi("0" + pragma_value(db->db, "PRAGMA user_version"));
    if (version > schema_version) {
      why = "the SQLite database " + path + " has schema version " + std::to_string(version) +
            ", newer than this build's " + std::to_string(schema_version);
      return nullptr;
    }
    if (version == schema_version) break;
    const auto step = static_cast<std::size_t>(version);
    const std::string bump = "PRAGMA user_version=" + std::to_string(version + 1);
    if (!execute(db->db, migrations[step]) ||
        (after_migration[step] != nullptr && !after_migration[step](db->db)) ||
        !execute(db->db, bump.c_str()) || !transaction.commit()) {
      why = "cannot migrate the SQLite database " + path + " to schema version " +
            std::to_string(version + 1) + ": " + sqlite3_errmsg(db->db);
      return nullptr;
    }
  }
  return std::unique_ptr<sqlite_key_store>{
      new sqlite_key_store{std::move(db), sealer, std::move(diagnostics)}};
}

kmscore::result<std::optional<kmscore::project>> sqlite_key_store::find_project(
    const kmscore::project_id& id) {
  const std::lock_guard lock{db_->mutex};
  statement query{db_->db, "SELECT domain_id FROM projects WHERE project_id = ?"};
  query.text(1, id.view());
  const int step = query.step();
  if (step == SQLITE_DONE) return std::optional<kmscore::project>{};
  if (step != SQLITE_ROW) return fault("find_project");
  return std::optional<kmscore::project>{kmscore::project{id, query.column_text(0)}};
}

kmscore::result<kmscore::project> sqlite_key_store::ensure_project(const kmscore::project_id& id,
                                                                   std::string_view domain_id) {
  if (!kmscore::is_valid_domain_id(domain_id)) {
    return kmscore::errc::kms_error;
  }
  {
    const std::lock_guard lock{db_->mutex};
    statement insert{db_->db,
                     "INSERT INTO projects (project_id, domain_id) VALUES (?, ?) "
                     "ON CONFLICT (project_id) DO NOTHING"};
    insert.text(1, id.view()).text(2, domain_id);
    if (insert.step() != SQLITE_DONE) return fault("ensure_project");
  }
  KMSCORE_TRY_ASSIGN(const auto found, find_project(id));
  if (!found) return fault("ensure_project: the project vanished");
  return *found;
}

kmscore::result<std::vector<kmscore::project>> sqlite_key_store::list_projects() {
  const std::lock_guard lock{db_->mutex};
  statement query{db_->db, "SELECT project_id, domain_id FROM projects ORDER BY project_id"};
  std::vector<kmscore::project> all;
  for (int step = query.step(); step != SQLITE_DONE; step = query.step()) {
    if (step != SQLITE_ROW) return fault("list_projects");
    const auto id = kmscore::project_id::parse(query.column_text(0));
    if (!id) return fault("list_projects: a malformed project_id column");
    all.push_back({*id, query.column_text(1)});
  }
  return all;
}

kmscore::result<std::optional<kmscore::key_record>> sqlite_key_store::open_row(
    const kmscore::project_id& tenant, const kmscore::key_id& id, kmscore::byte_span stored) {
  return key_table::open_row(*sealer_, tenant, id, stored, noter());
}

kmscore::diagnostics_sink sqlite_key_store::noter() const {
  if (!diagnostics_) return {};
  return
      [this](std::string_view message) { diagnostics_("sqlite store: " + std::string{message}); };
}

kmscore::result<std::optional<kmscore::key_record>> sqlite_key_store::find(
    const kmscore::project_id& tenant, const kmscore::key_id& id) {
  std::vector<kmscore::byte> stored;
  {
    const std::lock_guard lock{db_->mutex};
    statement query{db_->db, "SELECT record FROM keys WHERE project_id = ? AND key_id = ?"};
    query.text(1, tenant.view()).text(2, id.view());
    const int step = query.step();
    if (step == SQLITE_DONE) return std::optional<kmscore::key_record>{};
    if (step != SQLITE_ROW) return fault("find");
    stored = query.column_blob(0);
  }
  return open_row(tenant, id, stored);
}

kmscore::result<std::optional<std::uint64_t>> sqlite_key_store::revision_of(
    const kmscore::project_id& tenant, const kmscore::key_id& id) {
  const std::lock_guard lock{db_->mutex};
  if (db_->revision == nullptr &&
      sqlite3_prepare_v3(db_->db, "SELECT revision FROM keys WHERE project_id = ? AND key_id = ?",
                         -1, SQLITE_PREPARE_PERSISTENT, &db_->revision, nullptr) != SQLITE_OK) {
    db_->revision = nullptr;
    return fault("revision_of");
  }
  sqlite3_stmt* query = db_->revision;
  const auto project = tenant.view();
  const auto key = id.view();
  sqlite3_bind_text(query, 1, project.data(), static_cast<int>(project.size()), SQLITE_STATIC);
  sqlite3_bind_text(query, 2, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  // Reset on every path: ends the read; the bound texts are not kept past it.
  struct reset_after {
    sqlite3_stmt* query;
    explicit reset_after(sqlite3_stmt* statement) : query{statement} {}
    reset_after(const reset_after&) = delete;
    reset_after& operator=(const reset_after&) = delete;
    reset_after(reset_after&&) = delete;
    reset_after& operator=(reset_after&&) = delete;
    ~reset_after() {
      sqlite3_reset(query);
      sqlite3_clear_bindings(query);
    }
  } const reset{query};
  const int step = sqlite3_step(query);
  if (step == SQLITE_DONE) return std::optional<std::uint64_t>{};
  if (step != SQLITE_ROW) return fault("revision_of");
  return std::optional<std::uint64_t>{static_cast<std::uint64_t>(sqlite3_column_int64(query, 0))};
}

kmscore::result<std::optional<kmscore::key_record>> sqlite_key_store::find_by_alias(
    const kmscore::project_id& tenant, std::string_view alias) {
  std::string key_id;
  {
    const std::lock_guard lock{db_->mutex};
    statement query{db_->db, "SELECT key_id FROM keys WHERE project_id = ? AND key_alias = ?"};
    query.text(1, tenant.view()).text(2, alias);
    const int step = query.step();
    if (step == SQLITE_DONE) return std::optional<kmscore::key_record>{};
    if (step != SQLITE_ROW) return fault("find_by_alias");
    key_id = query.column_text(0);
  }
  const auto id = kmscore::key_id::parse(key_id);
  if (!id) return fault("find_by_alias: a malformed key_id column");
  return find(tenant, *id);
}

kmscore::result<void> sqlite_key_store::insert(kmscore::key_record& record) {
  const auto previous = record.revision;
  record.revision = 1;
  auto sealed = sealer_->seal(record);
  if (!sealed) {
    record.revision = previous;
    return sealed.error();
  }
  const std::lock_guard lock{db_->mutex};
  write_transaction transaction{db_->db};
  if (!transaction.began()) return fault("insert: begin");
  static const std::string insert_statement = key_table::insert_sql(key_table::sqlite);
  statement insert{db_->db, insert_statement.c_str()};
  insert.text(1, record.project_id.view()).text(2, record.key.key_id.view());
  int n = 3;
  key_table::bind_indexed(
      record, [&](const std::string& text) { insert.text(n++, text); },
      [&](std::int64_t value) { insert.integer(n++, value); });
  insert.blob(n, *sealed);
  const int step = insert.step();
  if (step == SQLITE_CONSTRAINT_UNIQUE) {
    // Which constraint: the alias (the documented KMS.1104), or the key id (a fault).
    statement alias{db_->db, "SELECT 1 FROM keys WHERE project_id = ? AND key_alias = ?"};
    alias.text(1, record.project_id.view()).text(2, record.key_alias);
    record.revision = previous;
    if (alias.step() == SQLITE_ROW) return kmscore::errc::duplicate_key_alias;
    return fault("insert: a key with this key_id exists");
  }
  if (step != SQLITE_DONE || !write_tags(record, false) || !transaction.commit()) {
    record.revision = previous;
    return fault("insert");
  }
  return {};
}

kmscore::result<kmscore::update_outcome> sqlite_key_store::update(kmscore::key_record& record) {
  const auto expected = record.revision;
  record.revision = expected + 1;
  auto sealed = sealer_->seal(record);
  record.revision = expected;
  if (!sealed) return sealed.error();
  const std::lock_guard lock{db_->mutex};
  write_transaction transaction{db_->db};
  if (!transaction.began()) return fault("update: begin");
  static const std::string update_statement = key_table::update_sql(key_table::sqlite);
  statement update{db_->db, update_statement.c_str()};
  int n = 1;
  key_table::bind_indexed(
      record, [&](const std::string& text) { update.text(n++, text); },
      [&](std::int64_t value) { update.integer(n++, value); });
  update.integer(n, static_cast<std::int64_t>(expected + 1))
      .blob(n + 1, *sealed)
      .text(n + 2, record.project_id.view())
      .text(n + 3, record.key.key_id.view())
      .integer(n + 4, static_cast<std::int64_t>(expected));
  const int step = update.step();
  if (step == SQLITE_CONSTRAINT_UNIQUE) return kmscore::errc::duplicate_key_alias;  // renamed
  if (step != SQLITE_DONE) return fault("update");
  if (sqlite3_changes(db_->db) == 1) {
    if (!write_tags(record, true)) return fault("update: tags");
    if (!transaction.commit()) return fault("update: commit");
    record.revision = expected + 1;
    return kmscore::update_outcome::updated;
  }
  statement exists{db_->db, "SELECT 1 FROM keys WHERE project_id = ? AND key_id = ?"};
  exists.text(1, record.project_id.view()).text(2, record.key.key_id.view());
  const int found = exists.step();
  if (found == SQLITE_DONE) return kmscore::errc::key_not_found;
  if (found != SQLITE_ROW) return fault("update: check");
  return kmscore::update_outcome::conflict;
}

kmscore::result<kmscore::key_list_page> sqlite_key_store::list(
    const kmscore::project_id& tenant, const kmscore::key_list_query& query) {
  // Filters as bound parameters: NULL matches everything.
  static const std::string fixed_filter =
      " FROM keys WHERE project_id = ?1 AND (?2 IS NULL OR key_state = ?2) "
      "AND (?3 IS NULL OR key_spec = ?3) AND (?4 IS NULL OR enterprise_project_id = ?4) "
      "AND (?7 IS NULL OR " +
      key_table::not_gone_at("?7") + ")";
  // The resource-instance query's tag and alias filters, numbered from ?8.
  constexpr int first_filter = 8;
  const std::string filter =
      fixed_filter + key_table::list_filters_sql(key_table::sqlite, query, first_filter);
  auto bind = [&](statement& s) {
    s.text(1, tenant.view());
    if (query.state) s.integer(2, static_cast<int>(*query.state));
    if (query.spec) s.text(3, to_string(*query.spec));
    if (query.enterprise_project_id) s.text(4, *query.enterprise_project_id);
    if (query.now_ms) s.integer(7, *query.now_ms);
    int n = first_filter;
    key_table::bind_list_filters(query, [&](const std::string& text) { s.text(n++, text); });
  };
  kmscore::key_list_page page;
  page.offset = query.offset;
  std::vector<std::pair<std::string, std::vector<kmscore::byte>>> rows;
  {
    const std::lock_guard lock{db_->mutex};
    if (!execute(db_->db, "BEGIN")) return fault("list: begin");  // one snapshot for both
    statement count{db_->db, ("SELECT count(*)" + filter).c_str()};
    bind(count);
    if (count.step() != SQLITE_ROW) {
      execute(db_->db, "ROLLBACK");
      return fault("list: count");
    }
    page.total = static_cast<std::size_t>(count.column_integer(0));
    statement rows_query{db_->db, (std::string{"SELECT key_id, record"} + filter + " ORDER BY " +
                                   std::string{key_table::list_order} + " LIMIT ?5 OFFSET ?6")
                                      .c_str()};
    bind(rows_query);
    rows_query.integer(5, static_cast<std::int64_t>(query.limit))
        .integer(6, static_cast<std::int64_t>(query.offset));
    int step = rows_query.step();
    for (; step == SQLITE_ROW; step = rows_query.step()) {
      rows.emplace_back(rows_query.column_text(0), rows_query.column_blob(1));
    }
    execute(db_->db, "COMMIT");
    if (step != SQLITE_DONE) return fault("list: rows");
  }
  for (auto& [key_id, stored] : rows) {
    auto record = key_table::list_row(tenant, key_id, stored, noter());
    if (record) page.records.push_back(std::move(*record));
  }
  return page;
}

kmscore::result<std::vector<kmscore::tag_values>> sqlite_key_store::list_tags(
    const kmscore::project_id& tenant, std::int64_t now_ms) {
  static const std::string sql = key_table::tag_values_sql(key_table::sqlite);
  std::vector<kmscore::tag_values> all;
  const std::lock_guard lock{db_->mutex};
  statement query{db_->db, sql.c_str()};
  query.text(1, tenant.view()).integer(2, now_ms);
  int step = query.step();
  for (; step == SQLITE_ROW; step = query.step()) {
    auto key = query.column_text(0);
    if (all.empty() || all.back().key != key) all.push_back({std::move(key), {}});
    all.back().values.push_back(query.column_text(1));
  }
  if (step != SQLITE_DONE) return fault("list_tags");
  return all;
}

// Inside the caller's write transaction: the key's rows of key_tags made those of its record
// (after clearing the old ones, for an update).
bool sqlite_key_store::write_tags(const kmscore::key_record& record, bool clear) {
  if (clear) {
    static const std::string delete_sql = key_table::tags_delete_sql(key_table::sqlite);
    statement gone{db_->db, delete_sql.c_str()};
    gone.text(1, record.project_id.view()).text(2, record.key.key_id.view());
    if (gone.step() != SQLITE_DONE) return false;
  }
  static const std::string insert_sql = key_table::tag_insert_sql(key_table::sqlite);
  for (const auto& [key, value] : record.tags) {
    statement insert{db_->db, insert_sql.c_str()};
    insert.text(1, record.project_id.view())
        .text(2, record.key.key_id.view())
        .text(3, key)
        .text(4, value);
    if (insert.step() != SQLITE_DONE) return false;
  }
  return true;
}

namespace {
struct alias_statements {
  std::string free = key_table::alias_free_sql(key_table::sqlite);
  std::string key = key_table::alias_key_sql(key_table::sqlite);
  std::string held = key_table::alias_held_sql(key_table::sqlite);
  std::string count = key_table::alias_count_sql(key_table::sqlite);
  std::string insert = key_table::alias_insert_sql(key_table::sqlite);
  std::string move = key_table::alias_move_sql(key_table::sqlite);
  std::string remove = key_table::alias_delete_sql(key_table::sqlite);
  std::string find = key_table::alias_find_sql(key_table::sqlite);
  std::string list = key_table::alias_list_sql(key_table::sqlite, false);
  std::string list_by_key = key_table::alias_list_sql(key_table::sqlite, true);
};
const alias_statements& alias_sql() {
  static const alias_statements statements;
  return statements;
}
}  // namespace

// What stops an alias write on the key (alias_key_outcome), in the caller's write
// transaction; nullopt on failure.
std::optional<kmscore::alias_outcome> sqlite_key_store::alias_key_check(
    const kmscore::project_id& tenant, const kmscore::key_id& key) {
  statement state{db_->db, alias_sql().key.c_str()};
  state.text(1, tenant.view()).text(2, key.view());
  const int found = state.step();
  if (found != SQLITE_ROW && found != SQLITE_DONE) return std::nullopt;
  std::optional<kmscore::key_state> current;
  if (found == SQLITE_ROW) current = static_cast<kmscore::key_state>(state.column_integer(0));
  return kmscore::alias_key_outcome(current);
}

// Whether the key's aliases, with `more` added, would exceed max_aliases_per_key, in the
// caller's write transaction; nullopt on failure.
std::optional<bool> sqlite_key_store::over_alias_limit(const kmscore::project_id& tenant,
                                                       const kmscore::key_id& key,
                                                       std::size_t more) {
  statement count{db_->db, alias_sql().count.c_str()};
  count.text(1, tenant.view()).text(2, key.view());
  if (count.step() != SQLITE_ROW) return std::nullopt;
  return static_cast<std::size_t>(count.column_integer(0)) + more > kmscore::max_aliases_per_key;
}

kmscore::result<std::optional<kmscore::alias_entry>> sqlite_key_store::find_alias(
    const kmscore::project_id& tenant, std::string_view alias, std::int64_t now_ms) {
  const std::lock_guard lock{db_->mutex};
  statement query{db_->db, alias_sql().find.c_str()};
  query.text(1, tenant.view()).text(2, alias).integer(3, now_ms);
  const int step = query.step();
  if (step == SQLITE_DONE) return std::optional<kmscore::alias_entry>{};
  if (step != SQLITE_ROW) return fault("find_alias");
  auto entry = key_table::alias_row(query.column_text(0), query.column_text(1),
                                    query.column_integer(2), query.column_integer(3), noter());
  if (!entry) return kmscore::errc::kms_error;
  return std::optional<kmscore::alias_entry>{std::move(*entry)};
}

kmscore::result<kmscore::alias_outcome> sqlite_key_store::add_alias(
    const kmscore::project_id& tenant, const kmscore::alias_entry& entry, std::int64_t now_ms) {
  const std::lock_guard lock{db_->mutex};
  write_transaction transaction{db_->db};
  if (!transaction.began()) return fault("add_alias: begin");
  const auto key = alias_key_check(tenant, entry.key_id);
  if (!key) return fault("add_alias: key");
  if (*key != kmscore::alias_outcome::done) return *key;
  statement free{db_->db, alias_sql().free.c_str()};
  free.text(1, tenant.view()).text(2, entry.alias).integer(3, now_ms);
  if (free.step() != SQLITE_DONE) return fault("add_alias: free");
  statement held{db_->db, alias_sql().held.c_str()};
  held.text(1, tenant.view()).text(2, entry.alias);
  const int taken = held.step();
  if (taken == SQLITE_ROW) return kmscore::alias_outcome::taken;
  if (taken != SQLITE_DONE) return fault("add_alias: held");
  const auto over = over_alias_limit(tenant, entry.key_id, 1);
  if (!over) return fault("add_alias: count");
  if (*over) return kmscore::alias_outcome::full;
  statement insert{db_->db, alias_sql().insert.c_str()};
  insert.text(1, tenant.view())
      .text(2, entry.alias)
      .text(3, entry.key_id.view())
      .integer(4, entry.create_time_ms)
      .integer(5, entry.update_time_ms);
  const int step = insert.step();
  if (step == SQLITE_CONSTRAINT_PRIMARYKEY) return kmscore::alias_outcome::taken;
  if (step != SQLITE_DONE) return fault("add_alias");
  if (!transaction.commit()) return fault("add_alias: commit");
  return kmscore::alias_outcome::done;
}

kmscore::result<kmscore::alias_outcome> sqlite_key_store::move_alias(
    const kmscore::project_id& tenant, std::string_view alias, const kmscore::key_id& from,
    const kmscore::key_id& to, std::int64_t now_ms) {
  const std::lock_guard lock{db_->mutex};
  write_transaction transaction{db_->db};
  if (!transaction.began()) return fault("move_alias: begin");
  const auto key = alias_key_check(tenant, to);
  if (!key) return fault("move_alias: key");
  if (*key != kmscore::alias_outcome::done) return *key;
  statement move{db_->db, alias_sql().move.c_str()};
  move.text(1, tenant.view())
      .text(2, alias)
      .text(3, from.view())
      .text(4, to.view())
      .integer(5, now_ms);
  if (move.step() != SQLITE_DONE) return fault("move_alias");
  if (sqlite3_changes(db_->db) != 1) return kmscore::alias_outcome::moved;
  // Counted with the alias moved: a target that now holds more than the most refuses it (the
  // transaction rolls back).
  const auto over = over_alias_limit(tenant, to, 0);
  if (!over) return fault("move_alias: count");
  if (*over) return kmscore::alias_outcome::full;
  if (!transaction.commit()) return fault("move_alias: commit");
  return kmscore::alias_outcome::done;
}

kmscore::result<kmscore::alias_outcome> sqlite_key_store::remove_aliases(
    const kmscore::project_id& tenant, const kmscore::key_id& key,
    const std::vector<std::string>& aliases) {
  const std::lock_guard lock{db_->mutex};
  write_transaction transaction{db_->db};
  if (!transaction.began()) return fault("remove_aliases: begin");
  std::vector<std::string_view> distinct(aliases.begin(), aliases.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (const auto alias : distinct) {
    statement remove{db_->db, alias_sql().remove.c_str()};
    remove.text(1, tenant.view()).text(2, alias).text(3, key.view());
    if (remove.step() != SQLITE_DONE) return fault("remove_aliases");
    if (sqlite3_changes(db_->db) != 1) return kmscore::alias_outcome::not_associated;
  }
  if (!transaction.commit()) return fault("remove_aliases: commit");
  return kmscore::alias_outcome::done;
}

kmscore::result<std::vector<kmscore::alias_entry>> sqlite_key_store::list_aliases(
    const kmscore::project_id& tenant, const kmscore::alias_list_query& query) {
  const std::lock_guard lock{db_->mutex};
  statement rows{db_->db, (query.key_id ? alias_sql().list_by_key : alias_sql().list).c_str()};
  rows.text(1, tenant.view())
      .text(2, query.after)
      .integer(3, query.now_ms)
      .integer(4, static_cast<std::int64_t>(query.limit));
  if (query.key_id) rows.text(5, query.key_id->view());
  std::vector<kmscore::alias_entry> page;
  int step = rows.step();
  for (; step == SQLITE_ROW; step = rows.step()) {
    auto entry = key_table::alias_row(rows.column_text(0), rows.column_text(1),
                                      rows.column_integer(2), rows.column_integer(3), noter());
    if (entry) page.push_back(std::move(*entry));
  }
  if (step != SQLITE_DONE) return fault("list_aliases");
  return page;
}

kmscore::result<kmscore::update_outcome> sqlite_key_store::remove(const kmscore::project_id& tenant,
                                                                  const kmscore::key_id& id,
                                                                  std::uint64_t revision) {
  const std::lock_guard lock{db_->mutex};
  {
    write_transaction transaction{db_->db};
    if (!transaction.began()) return fault("remove: begin");
    static const std::string remove_statement = key_table::remove_sql(key_table::sqlite);
    statement remove{db_->db, remove_statement.c_str()};
    remove.text(1, tenant.view())
        .text(2, id.view())
        .integer(3, static_cast<std::int64_t>(revision));
    if (remove.step() != SQLITE_DONE) return fault("remove");
    if (sqlite3_changes(db_->db) != 1) {
      statement exists{db_->db, "SELECT 1 FROM keys WHERE project_id = ? AND key_id = ?"};
      exists.text(1, tenant.view()).text(2, id.view());
      const int found = exists.step();
      if (found == SQLITE_DONE) return kmscore::errc::key_not_found;
      if (found != SQLITE_ROW) return fault("remove: check");
      return kmscore::update_outcome::conflict;
    }
    if (!transaction.commit()) return fault("remove: commit");
  }
  // secure_delete zeroed the row in the pages this transaction wrote; the write-ahead log
  // still holds earlier images of those pages until a checkpoint copies the new ones back:
  // checkpoint and truncate it now (it waits for readers; if it cannot finish, the next
  // automatic checkpoint overwrites them).
  int log_frames = 0;
  int copied = 0;
  if (sqlite3_wal_checkpoint_v2(db_->db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                &copied) != SQLITE_OK &&
      diagnostics_) {
    diagnostics_(std::string{"sqlite store: remove: the checkpoint did not complete: "} +
                 sqlite3_errmsg(db_->db));
  }
  return kmscore::update_outcome::updated;
}

kmscore::result<std::size_t> sqlite_key_store::count_keys() {
  const std::lock_guard lock{db_->mutex};
  statement query{db_->db, "SELECT count(*) FROM keys"};
  if (query.step() != SQLITE_ROW) return fault("count_keys");
  return static_cast<std::size_t>(query.column_integer(0));
}

kmscore::result<std::optional<std::vector<kmscore::byte>>> sqlite_key_store::meta_get(
    std::string_view name) {
  const std::lock_guard lock{db_->mutex};
  statement query{db_->db, "SELECT value FROM meta WHERE name = ?"};
  query.text(1, name);
  const int step = query.step();
  if (step == SQLITE_DONE) return std::optional<std::vector<kmscore::byte>>{};
  if (step != SQLITE_ROW) return fault("meta: read");
  return std::optional<std::vector<kmscore::byte>>{query.column_blob(0)};
}

kmscore::result<std::vector<kmscore::byte>> sqlite_key_store::meta_put_if_absent(
    std::string_view name, kmscore::byte_span value) {
  const std::lock_guard lock{db_->mutex};
  write_transaction transaction{db_->db};
  if (!transaction.began()) return fault("meta: begin");
  statement insert{db_->db,
                   "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"};
  insert.text(1, name).blob(2, value);
  if (insert.step() != SQLITE_DONE) return fault("meta: insert");
  statement query{db_->db, "SELECT value FROM meta WHERE name = ?"};
  query.text(1, name);
  if (query.step() != SQLITE_ROW) return fault("meta: read");
  auto stored = query.column_blob(0);
  if (!transaction.commit()) return fault("meta: commit");
  return stored;
}

kmscore::result<bool> sqlite_key_store::meta_replace(std::span<const meta_change> changes) {
  const std::lock_guard lock{db_->mutex};
  write_transaction transaction{db_->db};
  if (!transaction.began()) return fault("meta: begin");
  for (const auto& change : changes) {
    statement query{db_->db, "SELECT value FROM meta WHERE name = ?"};
    query.text(1, change.name);
    const int found = query.step();
    if (found == SQLITE_DONE) return false;  // no such value: not what was expected
    if (found != SQLITE_ROW) return fault("meta: read");
    const auto held = query.column_blob(0);
    if (!std::equal(held.begin(), held.end(), change.expected.begin(), change.expected.end())) {
      return false;
    }
    statement update{db_->db, "UPDATE meta SET value = ? WHERE name = ?"};
    update.blob(1, change.replacement).text(2, change.name);
    if (update.step() != SQLITE_DONE) return fault("meta: update");
  }
  if (!transaction.commit()) return fault("meta: commit");
  return true;
}

kmscore::result<std::vector<setting>> sqlite_key_store::settings() {
  const std::lock_guard lock{db_->mutex};
  std::vector<setting> all;
  for (const char* name :
       {"journal_mode", "synchronous", "foreign_keys", "secure_delete", "busy_timeout"}) {
    const std::string sql = std::string{"PRAGMA "} + name;
    all.emplace_back(name, pragma_value(db_->db, sql.c_str()));
  }
  return all;
}

}  // namespace kmscore_host
