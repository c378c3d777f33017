// The PostgreSQL key store: several hosts sharing one database, through libpq. The same
// schema, semantics and checks as the SQLite store (sqlite_key_store.cpp), method by method.
//
// Durability: every (re)connection reads back fsync, synchronous_commit and full_page_writes
// and refuses to run unless all are on (a commit is then on disk before it is acknowledged).
//
// Isolation: READ COMMITTED, set on every connection (whatever the server's default), is
// enough because no operation needs a snapshot spanning two writes:
//   - insert is one INSERT: uniqueness of key_id and alias is the primary and unique keys',
//     which wait for a concurrent inserter and fail with 23505 if it commits;
//   - update is one UPDATE whose WHERE carries the compare-and-set on `revision`: under READ
//     COMMITTED a row changed concurrently is re-checked against the WHERE at its newest
//     version, so exactly one of two racing updates matches (REPEATABLE READ would instead
//     fail the loser with a serialization error);
//   - ensure_project and meta_put_if_absent are INSERT ... ON CONFLICT DO NOTHING, then a
//     SELECT in a new statement, whose fresh snapshot sees the row either process stored;
//   - rows are never deleted, so "does this key exist" checked in a later statement stays
//     true;
//   - list counts and reads a page in one REPEATABLE READ READ ONLY transaction, so that its
//     total and its page describe the same snapshot.
//
// Reconnection: a command that fails on a bad connection is a 500 for that call (with a
// diagnostics line); the next call resets the connection first (and so does a call that
// finds the socket closed by a server that went away while the store was idle), so the store
// recovers by itself once the server is back, durability settings checked again.
// connect_timeout (10 s unless the URL sets one) bounds every (re)connection.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "durable_key_store.hpp"
#include "key_table.hpp"

namespace kmscore_host {

namespace {

constexpr int schema_version = 4;
// Serializes the schema check and migrations of processes opening the store at once
// ("kmscore1" in ASCII).
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(7740970205428475185)";
constexpr const char* default_connect_timeout = "10";  // seconds
constexpr std::string_view prefix = "postgresql store: ";

// The key statements, built once from the table's description (key_table.hpp).
struct key_statements {
  std::string insert = key_table::insert_sql(key_table::postgresql);
  std::string update = key_table::update_sql(key_table::postgresql);
  std::string remove = key_table::remove_sql(key_table::postgresql);
  std::string tags_delete = key_table::tags_delete_sql(key_table::postgresql);
  std::string tag_insert = key_table::tag_insert_sql(key_table::postgresql);
  std::string tag_values = key_table::tag_values_sql(key_table::postgresql);
  std::string alias_free = key_table::alias_free_sql(key_table::postgresql);
  std::string alias_key = key_table::alias_key_sql(key_table::postgresql) + " FOR UPDATE";
  std::string alias_held = key_table::alias_held_sql(key_table::postgresql);
  std::string alias_count = key_table::alias_count_sql(key_table::postgresql);
  std::string alias_insert = key_table::alias_insert_sql(key_table::postgresql);
  std::string alias_move = key_table::alias_move_sql(key_table::postgresql);
  std::string alias_delete = key_table::alias_delete_sql(key_table::postgresql);
  std::string alias_find = key_table::alias_find_sql(key_table::postgresql);
  std::string alias_list = key_table::alias_list_sql(key_table::postgresql, false);
  std::string alias_list_by_key = key_table::alias_list_sql(key_table::postgresql, true);
};
const key_statements& key_table_statements() {
  static const key_statements statements;
  return statements;
}

// Each entry migrates the schema from version i to i + 1, in one transaction. Ordered and
// compared columns use the "C" collation, so that list order is byte order (list_order)
// whatever the database's locale.
constexpr std::array<const char*, schema_version> migrations{{
    R"sql(
CREATE TABLE meta (
  name  text PRIMARY KEY,
  value bytea NOT NULL
);
CREATE TABLE projects (
  project_id text COLLATE "C" PRIMARY KEY CHECK (length(project_id) = 32),
  domain_id  text NOT NULL CHECK (length(domain_id) = 32)
);
CREATE TABLE keys (
  project_id            text COLLATE "C" NOT NULL REFERENCES projects (project_id),
  key_id                text COLLATE "C" NOT NULL CHECK (length(key_id) = 36),
  key_alias             text NOT NULL CHECK (length(key_alias) BETWEEN 1 AND 255),
  key_state             integer NOT NULL CHECK (key_state BETWEEN 1 AND 5),
  key_spec              text NOT NULL,
  enterprise_project_id text NOT NULL,
  creation_date         bigint NOT NULL,
  revision              bigint NOT NULL CHECK (revision >= 1),
  record                bytea NOT NULL,
  CONSTRAINT keys_pkey PRIMARY KEY (project_id, key_id),
  CONSTRAINT keys_alias_unique UNIQUE (project_id, key_alias)
);
CREATE INDEX keys_in_list_order ON keys (project_id, creation_date DESC, key_id);
)sql",
    // 2: keys scheduled for deletion are gone at their date (list-keys leaves them out);
    // rows already scheduled get their date from their record (backfill_deletion_dates).
    R"sql(
ALTER TABLE keys ADD COLUMN deletion_date bigint NOT NULL DEFAULT 0;
)sql",
    // 3: tags (api-metadata.md §3), one row per tag, indexed for the resource-instance query.
    // Records of earlier formats hold no tags: nothing to fill.
    R"sql(
CREATE TABLE key_tags (
  project_id text COLLATE "C" NOT NULL,
  key_id     text COLLATE "C" NOT NULL,
  tag_key    text COLLATE "C" NOT NULL,
  tag_value  text COLLATE "C" NOT NULL,
  CONSTRAINT key_tags_pkey PRIMARY KEY (project_id, key_id, tag_key),
  FOREIGN KEY (project_id, key_id) REFERENCES keys (project_id, key_id) ON DELETE CASCADE
);
CREATE INDEX key_tags_by_tag ON key_tags (project_id, tag_key, tag_value);
)sql",
    // 4: aliases (api-metadata.md §5), a namespace of their own beside key_alias.
    R"sql(
CREATE TABLE aliases (
  project_id  text COLLATE "C" NOT NULL,
  alias       text COLLATE "C" NOT NULL CHECK (length(alias) BETWEEN 7 AND 255),
  key_id      text COLLATE "C" NOT NULL,
  create_time bigint NOT NULL,
  update_time bigint NOT NULL,
  CONSTRAINT aliases_pkey PRIMARY KEY (project_id, alias),
  FOREIGN KEY (project_id, key_id) REFERENCES keys (project_id, key_id) ON DELETE CASCADE
);
CREATE INDEX aliases_by_key ON aliases (project_id, key_id);
)sql",
}};
constexpr std::string_view alias_constraint = "keys_alias_unique";

// The settings that must all be "on" (SHOW names).
constexpr std::array<const char*, 3> durability_settings{
    {"fsync", "synchronous_commit", "full_page_writes"}};

struct result_deleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using pg_result = std::unique_ptr<PGresult, result_deleter>;

// Statement parameters: text (format 0, NUL-terminated) or binary bytea (format 1), or NULL.
class params {
 public:
  params& text(std::string_view value) {
    if (value.find('\0') != std::string_view::npos) has_nul_ = true;
    return add(std::string{value}, 0);
  }
  params& integer(std::int64_t value) { return add(std::to_string(value), 0); }
  params& bytes(kmscore::byte_span value) {
    return add(std::string(reinterpret_cast<const char*>(value.data()), value.size()),  // NOLINT
               1);
  }
  params& null() {
    values_.emplace_back();
    formats_.push_back(0);
    return *this;
  }
  // A text value PostgreSQL cannot hold (it would be cut at the NUL).
  [[nodiscard]] bool has_nul() const noexcept { return has_nul_; }

  [[nodiscard]] pg_result run(PGconn* conn, const char* sql, int result_format) const {
    std::vector<const char*> pointers;
    std::vector<int> lengths;
    for (const auto& value : values_) {
      pointers.push_back(value ? value->c_str() : nullptr);
      lengths.push_back(value ? static_cast<int>(value->size()) : 0);
    }
    return pg_result{PQexecParams(conn, sql, static_cast<int>(values_.size()), nullptr,
                                  pointers.data(), lengths.data(), formats_.data(), result_format)};
  }

 private:
  params& add(std::string value, int format) {
    values_.emplace_back(std::move(value));
    formats_.push_back(format);
    return *this;
  }
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
  bool has_nul_ = false;
};

constexpr int text_results = 0;
constexpr int binary_results = 1;  // only for queries whose columns are all read as bytes

[[nodiscard]] bool succeeded(const pg_result& result) {
  if (!result) return false;
  const auto status = PQresultStatus(result.get());
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

[[nodiscard]] std::string_view error_field(const PGresult* result, int field) {
  const char* value = result == nullptr ? nullptr : PQresultErrorField(result, field);
  return value == nullptr ? std::string_view{} : std::string_view{value};
}

[[nodiscard]] std::string column_text(const PGresult* result, int row, int column) {
  return {PQgetvalue(result, row, column),
          static_cast<std::size_t>(PQgetlength(result, row, column))};
}

[[nodiscard]] std::vector<kmscore::byte> column_bytes(const PGresult* result, int row, int column) {
  const auto* data =
      reinterpret_cast<const kmscore::byte*>(PQgetvalue(result, row, column));  // NOLINT
  return std::vector<kmscore::byte>(data, data + PQgetlength(result, row, column));
}

[[nodiscard]] std::optional<std::int64_t> column_integer(const PGresult* result, int row,
                                                         int column) {
  const auto text = column_text(result, row, column);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// libpq's messages span lines (ERROR, DETAIL, HINT) and end with a newline; diagnostics
// lines and reasons are one line each.
[[nodiscard]] std::string trimmed(const char* message) {
  std::string text;
  for (const char* at = message == nullptr ? "" : message; *at != '\0'; ++at) {
    if (*at == '\n' || *at == '\t') {
      if (!text.empty() && text.back() != ' ') text.push_back(' ');
    } else {
      text.push_back(*at);
    }
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// A transaction, rolled back unless committed.
class transaction {
 public:
  transaction(PGconn* conn, const char* begin)
      : conn_{conn}, begin_{params{}.run(conn, begin, text_results)} {
    open_ = succeeded(begin_);
  }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (open_ && PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  [[nodiscard]] bool began() const noexcept { return open_; }
  [[nodiscard]] const PGresult* begin_result() const noexcept { return begin_.get(); }
  // The COMMIT's result; a transaction that had failed answers COMMIT with "ROLLBACK".
  [[nodiscard]] pg_result commit(bool& committed) {
    open_ = false;  // a COMMIT ends the transaction whatever it answers
    auto result = params{}.run(conn_, "COMMIT", text_results);
    committed = succeeded(result) && std::string_view{PQcmdStatus(result.get())} == "COMMIT";
    return result;
  }

 private:
  PGconn* conn_;
  pg_result begin_;
  bool open_ = false;
};

class postgres_key_store final : public durable_key_store {
 public:
  postgres_key_store(kmscore::record_sealer& sealer, kmscore::diagnostics_sink diagnostics)
      : sealer_{&sealer}, diagnostics_{std::move(diagnostics)} {}
  ~postgres_key_store() override { PQfinish(conn_); }
  postgres_key_store(const postgres_key_store&) = delete;
  postgres_key_store& operator=(const postgres_key_store&) = delete;
  postgres_key_store(postgres_key_store&&) = delete;
  postgres_key_store& operator=(postgres_key_store&&) = delete;

  // Connects, checks the settings and migrates the schema; false with the reason in `why`.
  [[nodiscard]] bool start(std::string_view url, std::string& why);

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

  void note(std::string_view message) const {
    if (diagnostics_) diagnostics_(std::string{prefix} + std::string{message});
  }

 private:
  // Runs `body` (which returns result<T>) so that no exception leaves the store.
  template <class T, class Body>
  [[nodiscard]] kmscore::result<T> shielded(std::string_view what, Body&& body) noexcept;
  // The connection, reset first if the last command found it broken. Lock held.
  [[nodiscard]] bool ready(std::string& detail);
  [[nodiscard]] bool closed_while_idle();
  // Per-connection setup: isolation, then the durability check. Lock held.
  [[nodiscard]] bool configure(std::string& detail);
  [[nodiscard]] std::optional<std::string> show(const char* name);
  [[nodiscard]] pg_result run(const char* sql, const params& values = {},
                              int result_format = text_results);
  // Reports a failed command (lock held): the diagnostics line, and 500.
  [[nodiscard]] kmscore::errc fault(std::string_view what, const PGresult* failed = nullptr);
  // Marks the connection for a reset if a failed command may have left it unusable.
  void suspect(const PGresult* failed);
  [[nodiscard]] kmscore::errc fault_detail(std::string_view what, std::string_view detail);
  [[nodiscard]] bool migrate(std::string& why);
  [[nodiscard]] bool backfill_deletion_dates();
  // Inside a transaction: the key's key_tags rows made those of its record (the old ones
  // cleared first for an update). The failed command, or nullptr.
  [[nodiscard]] pg_result write_tags(const kmscore::key_record& record, bool clear);
  // Inside a transaction: locks the key's row (alias writes for one key then count its
  // aliases one after the other, and lock the key before any alias row) and answers what
  // stops an alias write on it (alias_key_outcome); nullopt with `failed` set on failure.
  [[nodiscard]] std::optional<kmscore::alias_outcome> alias_key_check(
      const kmscore::project_id& tenant, const kmscore::key_id& key, pg_result& failed);
  // Whether the key's aliases, with `more` added, would exceed max_aliases_per_key; nullopt
  // with `failed` set on failure.
  [[nodiscard]] std::optional<bool> over_alias_limit(const kmscore::project_id& tenant,
                                                     const kmscore::key_id& key, std::size_t more,
                                                     pg_result& failed);
  [[nodiscard]] kmscore::result<std::vector<kmscore::alias_entry>> alias_rows(
      const pg_result& found);
  [[nodiscard]] kmscore::result<std::optional<kmscore::key_record>> open_row(
      const kmscore::project_id& tenant, const kmscore::key_id& id, kmscore::byte_span stored) {
    return key_table::open_row(*sealer_, tenant, id, stored, noter());
  }
  // The diagnostics sink with this store's prefix, for key_table's notes.
  [[nodiscard]] kmscore::diagnostics_sink noter() const {
    return [this](std::string_view message) { note(message); };
  }

  PGconn* conn_ = nullptr;
  bool reset_next_ = false;   // the server ended the session: reconnect before the next call
  bool refused_nul_ = false;  // the last command was not sent: a text parameter held a NUL
  std::mutex mutex_;          // one connection, used by one thread at a time
  kmscore::record_sealer* sealer_;
  kmscore::diagnostics_sink diagnostics_;
};

// Server warnings go to the diagnostics sink; notices (e.g. CREATE ... IF NOT EXISTS) are
// dropped rather than printed on stderr, libpq's default.
void forward_notice(void* store, const PGresult* notice) noexcept {
  try {
    const auto severity = error_field(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity == "NOTICE" || severity == "INFO" || severity == "LOG" ||
        severity.starts_with("DEBUG")) {
      return;
    }
    static_cast<const postgres_key_store*>(store)->note(trimmed(PQresultErrorMessage(notice)));
  } catch (...) {  // NOLINT(bugprone-empty-catch): a C callback must not throw
  }
}

template <class T, class Body>
kmscore::result<T> postgres_key_store::shielded(std::string_view what, Body&& body) noexcept {
  try {
    return std::forward<Body>(body)();
  } catch (const std::exception& failure) {
    try {
      note(std::string{what} + ": " + failure.what());
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing left to report with
    }
  } catch (...) {
    try {
      note(std::string{what} + ": an unknown exception");
    } catch (...) {  // NOLINT(bugprone-empty-catch)
    }
  }
  return kmscore::errc::kms_error;
}

pg_result postgres_key_store::run(const char* sql, const params& values, int result_format) {
  // PostgreSQL text cannot hold NUL: refuse rather than let libpq cut the value short.
  refused_nul_ = values.has_nul();
  if (refused_nul_) return nullptr;
  auto result = values.run(conn_, sql, result_format);
  if (!succeeded(result)) suspect(result.get());
  return result;
}

void postgres_key_store::suspect(const PGresult* failed) {
  if (failed == nullptr && refused_nul_) return;  // nothing was sent
  // An error libpq made itself (no SQLSTATE: the server vanished mid-command, out of
  // memory) can leave PQstatus at CONNECTION_OK until the next command fails too; connection
  // exceptions (08) and shutdowns (57P01..57P03) end the session.
  const auto state = error_field(failed, PG_DIAG_SQLSTATE);
  if (state.empty() || state.starts_with("08") || state.starts_with("57P")) reset_next_ = true;
}

kmscore::errc postgres_key_store::fault_detail(std::string_view what, std::string_view detail) {
  if (diagnostics_) {
    std::string message{what};
    message.append(": ");
    message.append(detail);
    if (reset_next_ || PQstatus(conn_) != CONNECTION_OK) {
      message.append(" (the next call reconnects)");
    }
    note(message);
  }
  return kmscore::errc::kms_error;
}

kmscore::errc postgres_key_store::fault(std::string_view what, const PGresult* failed) {
  if (failed != nullptr) suspect(failed);  // without a result, run() has judged it already
  std::string detail;
  if (failed != nullptr) {
    detail = trimmed(PQresultErrorMessage(failed));
  } else if (refused_nul_) {
    detail = "a text parameter holds a NUL byte";
  } else {
    detail = trimmed(PQerrorMessage(conn_));
  }
  return fault_detail(what, detail);
}

std::optional<std::string> postgres_key_store::show(const char* name) {
  const auto result = run((std::string{"SHOW "} + name).c_str());
  if (!succeeded(result) || PQntuples(result.get()) != 1) return std::nullopt;
  return column_text(result.get(), 0, 0);
}

bool postgres_key_store::configure(std::string& detail) {
  // READ COMMITTED whatever the server's default: see the top of this file.
  const auto isolation = run("SET default_transaction_isolation = 'read committed'");
  if (!succeeded(isolation)) {
    detail = "cannot set the transaction isolation: " + trimmed(PQerrorMessage(conn_));
    return false;
  }
  std::string found;
  bool durable = true;
  for (const char* name : durability_settings) {
    const auto value = show(name);
    if (!value) {
      detail =
          std::string{"cannot read the setting "} + name + ": " + trimmed(PQerrorMessage(conn_));
      return false;
    }
    durable = durable && *value == "on";
    found += (found.empty() ? "" : ", ") + std::string{name} + "=" + *value;
  }
  if (!durable) {
    detail =
        "the PostgreSQL server does not run with fsync, synchronous_commit and full_page_writes "
        "all on (" +
        found + "): acknowledged writes could be lost";
    return false;
  }
  return true;
}

bool postgres_key_store::closed_while_idle() {
  // A server that went away while the store was idle has left its last words and the end of
  // the stream on the socket: reading them (without blocking) marks the connection bad now,
  // so that this call reconnects instead of failing on a dead connection. A few rounds at
  // most: a live server sends nothing unasked but the odd notice.
  for (int round = 0; round < 4; ++round) {
    pollfd watch{PQsocket(conn_), POLLIN, 0};
    if (::poll(&watch, 1, 0) != 1) return false;
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) return true;
  }
  return false;
}

bool postgres_key_store::ready(std::string& detail) {
  if (!reset_next_ && PQstatus(conn_) == CONNECTION_OK && !closed_while_idle()) {
    // A transaction left open by a failure midway would capture the next statements.
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
    return true;
  }
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    detail = "cannot reconnect: " + trimmed(PQerrorMessage(conn_));
    reset_next_ = true;
    return false;
  }
  if (!configure(detail)) {
    reset_next_ = true;  // check again at the next call: the server may be fixed by then
    return false;
  }
  reset_next_ = false;
  note("reconnected to the server");
  return true;
}

bool postgres_key_store::migrate(std::string& why) {
  for (;;) {
    transaction migration{conn_, "BEGIN"};
    const auto lock = migration.began() ? run(migration_lock) : nullptr;
    // One row at most (only_row): the schema's version; no row before the first migration.
    const auto table = succeeded(lock)
                           ? run("CREATE TABLE IF NOT EXISTS schema_version ("
                                 "version integer NOT NULL, "
                                 "only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row))")
                           : nullptr;
    const auto current = succeeded(table) ? run("SELECT version FROM schema_version") : nullptr;
    if (!succeeded(current)) {
      why = "cannot read the schema version of the PostgreSQL database: " +
            trimmed(PQerrorMessage(conn_));
      return false;
    }
    std::int64_t version = 0;
    if (PQntuples(current.get()) == 1) {
      const auto stored = column_integer(current.get(), 0, 0);
      if (!stored) {
        why = "the PostgreSQL database has a malformed schema version";
        return false;
      }
      version = *stored;
    }
    if (version < 0) {
      why = "the PostgreSQL database has a malformed schema version";
      return false;
    }
    if (version > schema_version) {
      why = "the PostgreSQL database has schema version " + std::to_string(version) +
            ", newer than this build's " + std::to_string(schema_version);
      return false;
    }
    bool committed = false;
    if (version == schema_version) {
      (void)migration.commit(committed);
      if (!committed) {
        why = "cannot read the schema version of the PostgreSQL database: " +
              trimmed(PQerrorMessage(conn_));
        return false;
      }
      return true;
    }
    // PQexec: a migration is several statements, which PQexecParams refuses.
    const pg_result step{PQexec(conn_, migrations[static_cast<std::size_t>(version)])};
    const bool done = succeeded(step) && (version + 1 != 2 || backfill_deletion_dates());
    const auto bump = done ? run("INSERT INTO schema_version (version) VALUES ($1::integer) "
                                 "ON CONFLICT (only_row) DO UPDATE SET version = excluded.version",
                                 params{}.integer(version + 1))
                           : nullptr;
    if (succeeded(bump)) (void)migration.commit(committed);
    if (!committed) {
      why = "cannot migrate the PostgreSQL database to schema version " +
            std::to_string(version + 1) + ": " + trimmed(PQerrorMessage(conn_));
      return false;
    }
  }
}

bool postgres_key_store::backfill_deletion_dates() {
  const auto scheduled =
      run("SELECT project_id, key_id, record FROM keys WHERE key_state = 4", {}, binary_results);
  if (!succeeded(scheduled)) return false;
  for (int row = 0; row < PQntuples(scheduled.get()); ++row) {
    // Unreadable metadata stays 0: such a row is listed as gone, and never opens anyway.
    const auto date =
        key_table::deletion_date_of(column_bytes(scheduled.get(), row, 2)).value_or(0);
    const auto set =
        run("UPDATE keys SET deletion_date = $1::bigint WHERE project_id = $2 AND key_id = $3",
            params{}
                .integer(date)
                .text(column_text(scheduled.get(), row, 0))
                .text(column_text(scheduled.get(), row, 1)));
    if (!succeeded(set)) return false;
  }
  return true;
}

bool postgres_key_store::start(std::string_view url, std::string& why) {
  // The URL's options, plus a connect timeout if it has none (a (re)connection never hangs)
  // and UTF8 as the client encoding (the store's strings are UTF-8).
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string{url}.c_str(), &parse_error);
  if (options == nullptr) {
    // libpq's message quotes the token it could not read, which may be the password: every
    // quoted part is shown as "***".
    std::string detail = parse_error != nullptr ? trimmed(parse_error) : "out of memory";
    for (std::size_t open = detail.find('"'); open != std::string::npos;
         open = detail.find('"', open + 5)) {
      const auto close = detail.find('"', open + 1);
      if (close == std::string::npos) {
        detail.replace(open + 1, std::string::npos, "***\"");
        break;
      }
      detail.replace(open + 1, close - open - 1, "***");
    }
    why = "malformed PostgreSQL URL: " + detail;
    PQfreemem(parse_error);
    return false;
  }
  std::vector<std::pair<std::string, std::string>> settings;
  bool has_timeout = false;
  for (const auto* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view keyword{option->keyword};
    if (keyword == "client_encoding") continue;
    has_timeout = has_timeout || keyword == "connect_timeout";
    settings.emplace_back(option->keyword, option->val);
  }
  PQconninfoFree(options);
  if (!has_timeout) settings.emplace_back("connect_timeout", default_connect_timeout);
  settings.emplace_back("client_encoding", "UTF8");
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : settings) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  const std::lock_guard lock{mutex_};
  conn_ = PQconnectdbParams(keywords.data(), values.data(), 0);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    why = "cannot connect to the PostgreSQL database: " +
          (conn_ != nullptr ? trimmed(PQerrorMessage(conn_)) : std::string{"out of memory"});
    return false;
  }
  PQsetNoticeReceiver(conn_, forward_notice, this);
  std::string detail;
  if (!configure(detail)) {
    why = detail;
    return false;
  }
  return migrate(why);
}

kmscore::result<std::optional<kmscore::project>> postgres_key_store::find_project(
    const kmscore::project_id& id) {
  return shielded<std::optional<
      kmscore::project>>("find_project", [&]() -> kmscore::result<std::optional<kmscore::project>> {
    const std::lock_guard lock{mutex_};
    std::string detail;
    if (!ready(detail)) return fault_detail("find_project", detail);
    const auto found =
        run("SELECT domain_id FROM projects WHERE project_id = $1", params{}.text(id.view()));
    if (!succeeded(found)) return fault("find_project", found.get());
    if (PQntuples(found.get()) == 0) return std::optional<kmscore::project>{};
    return std::optional<kmscore::project>{kmscore::project{id, column_text(found.get(), 0, 0)}};
  });
}

kmscore::result<kmscore::project> postgres_key_store::ensure_project(const kmscore::project_id& id,
                                                                     std::string_view domain_id) {
  if (!kmscore::is_valid_domain_id(domain_id)) {
    return kmscore::errc::kms_error;
  }
  return shielded<kmscore::project>("ensure_project", [&]() -> kmscore::result<kmscore::project> {
    {
      const std::lock_guard lock{mutex_};
      std::string detail;
      if (!ready(detail)) return fault_detail("ensure_project", detail);
      const auto inserted =
          run("INSERT INTO projects (project_id, domain_id) VALUES ($1, $2) "
              "ON CONFLICT (project_id) DO NOTHING",
              params{}.text(id.view()).text(domain_id));
      if (!succeeded(inserted)) return fault("ensure_project", inserted.get());
    }
    KMSCORE_TRY_ASSIGN(const auto found, find_project(id));
    if (!found) {
      const std::lock_guard lock{mutex_};
      return fault_detail("ensure_project", "the project vanished");
    }
    return *found;
  });
}

kmscore::result<std::vector<kmscore::project>> postgres_key_store::list_projects() {
  return shielded<std::vector<kmscore::project>>(
      "list_projects", [&]() -> kmscore::result<std::vector<kmscore::project>> {
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("list_projects", detail);
        const auto rows = run("SELECT project_id, domain_id FROM projects ORDER BY project_id");
        if (!succeeded(rows)) return fault("list_projects", rows.get());
        std::vector<kmscore::project> all;
        all.reserve(static_cast<std::size_t>(PQntuples(rows.get())));
        for (int row = 0; row < PQntuples(rows.get()); ++row) {
          const auto id = kmscore::project_id::parse(column_text(rows.get(), row, 0));
          if (!id) return fault_detail("list_projects", "a malformed project_id column");
          all.push_back({*id, column_text(rows.get(), row, 1)});
        }
        return all;
      });
}

kmscore::result<std::optional<kmscore::key_record>> postgres_key_store::find(
    const kmscore::project_id& tenant, const kmscore::key_id& id) {
  return shielded<std::optional<kmscore::key_record>>(
      "find", [&]() -> kmscore::result<std::optional<kmscore::key_record>> {
        std::vector<kmscore::byte> stored;
        {
          const std::lock_guard lock{mutex_};
          std::string detail;
          if (!ready(detail)) return fault_detail("find", detail);
          const auto found = run("SELECT record FROM keys WHERE project_id = $1 AND key_id = $2",
                                 params{}.text(tenant.view()).text(id.view()), binary_results);
          if (!succeeded(found)) return fault("find", found.get());
          if (PQntuples(found.get()) == 0) return std::optional<kmscore::key_record>{};
          stored = column_bytes(found.get(), 0, 0);
        }
        return open_row(tenant, id, stored);
      });
}

kmscore::result<std::optional<std::uint64_t>> postgres_key_store::revision_of(
    const kmscore::project_id& tenant, const kmscore::key_id& id) {
  return shielded<std::optional<std::uint64_t>>(
      "revision_of", [&]() -> kmscore::result<std::optional<std::uint64_t>> {
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("revision_of", detail);
        const auto found = run("SELECT revision FROM keys WHERE project_id = $1 AND key_id = $2",
                               params{}.text(tenant.view()).text(id.view()));
        if (!succeeded(found)) return fault("revision_of", found.get());
        if (PQntuples(found.get()) == 0) return std::optional<std::uint64_t>{};
        const auto revision = column_integer(found.get(), 0, 0);
        if (!revision || *revision < 1) return fault_detail("revision_of", "not a revision");
        return std::optional<std::uint64_t>{static_cast<std::uint64_t>(*revision)};
      });
}

kmscore::result<std::optional<kmscore::key_record>> postgres_key_store::find_by_alias(
    const kmscore::project_id& tenant, std::string_view alias) {
  return shielded<std::optional<kmscore::key_record>>(
      "find_by_alias", [&]() -> kmscore::result<std::optional<kmscore::key_record>> {
        std::string key_id;
        std::vector<kmscore::byte> stored;
        {
          const std::lock_guard lock{mutex_};
          std::string detail;
          if (!ready(detail)) return fault_detail("find_by_alias", detail);
          // Key id and record in one statement (binary: text columns come as their bytes).
          const auto found =
              run("SELECT key_id, record FROM keys WHERE project_id = $1 AND key_alias = $2",
                  params{}.text(tenant.view()).text(alias), binary_results);
          if (!succeeded(found)) return fault("find_by_alias", found.get());
          if (PQntuples(found.get()) == 0) return std::optional<kmscore::key_record>{};
          key_id = column_text(found.get(), 0, 0);
          stored = column_bytes(found.get(), 0, 1);
        }
        const auto id = kmscore::key_id::parse(key_id);
        if (!id) {
          const std::lock_guard lock{mutex_};
          return fault_detail("find_by_alias", "a malformed key_id column");
        }
        return open_row(tenant, *id, stored);
      });
}

kmscore::result<void> postgres_key_store::insert(kmscore::key_record& record) {
  const auto previous = record.revision;
  auto inserted = shielded<void>("insert", [&]() -> kmscore::result<void> {
    record.revision = 1;
    auto sealed = sealer_->seal(record);
    if (!sealed) return sealed.error();
    const std::lock_guard lock{mutex_};
    std::string detail;
    if (!ready(detail)) return fault_detail("insert", detail);
    // A record with tags: its key_tags rows in the same transaction.
    std::optional<transaction> with_tags;
    if (!record.tags.empty()) {
      with_tags.emplace(conn_, "BEGIN");
      if (!with_tags->began()) return fault("insert: begin", with_tags->begin_result());
    }
    const auto row = run(key_table_statements().insert.c_str(), [&] {
      params values;
      values.text(record.project_id.view()).text(record.key.key_id.view());
      key_table::bind_indexed(
          record, [&](const std::string& text) { values.text(text); },
          [&](std::int64_t value) { values.integer(value); });
      values.bytes(*sealed);
      return values;
    }());
    if (succeeded(row) && with_tags) {
      if (const auto failed = write_tags(record, false)) return fault("insert: tags", failed.get());
      bool committed = false;
      const auto done = with_tags->commit(committed);
      if (!committed) return fault("insert: commit", done.get());
    }
    if (succeeded(row)) return {};
    if (error_field(row.get(), PG_DIAG_SQLSTATE) == "23505") {
      // Which constraint: the alias (the documented KMS.1104), or the key id (a fault). A
      // key id taken together with its alias answers as the alias, as in the SQLite store.
      if (error_field(row.get(), PG_DIAG_CONSTRAINT_NAME) == alias_constraint) {
        return kmscore::errc::duplicate_key_alias;
      }
      with_tags.reset();  // the failed transaction rolled back before the next statement
      const auto alias = run("SELECT 1 FROM keys WHERE project_id = $1 AND key_alias = $2",
                             params{}.text(record.project_id.view()).text(record.key_alias));
      if (succeeded(alias) && PQntuples(alias.get()) == 1) {
        return kmscore::errc::duplicate_key_alias;
      }
      return fault_detail("insert", "a key with this key_id exists");
    }
    return fault("insert", row.get());
  });
  if (!inserted) record.revision = previous;
  return inserted;
}

kmscore::result<kmscore::update_outcome> postgres_key_store::update(kmscore::key_record& record) {
  const auto expected = record.revision;
  auto outcome = shielded<kmscore::update_outcome>(
      "update", [&]() -> kmscore::result<kmscore::update_outcome> {
        // The sealed record binds its revision: seal it as the revision it will be stored as.
        record.revision = expected + 1;
        auto sealed = sealer_->seal(record);
        record.revision = expected;
        if (!sealed) return sealed.error();
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("update", detail);
        // One transaction: the UPDATE (its WHERE on revision is the compare-and-set), then
        // the key's key_tags rows.
        transaction write{conn_, "BEGIN"};
        if (!write.began()) return fault("update: begin", write.begin_result());
        const auto changed = run(key_table_statements().update.c_str(), [&] {
          params values;
          key_table::bind_indexed(
              record, [&](const std::string& text) { values.text(text); },
              [&](std::int64_t value) { values.integer(value); });
          values.integer(static_cast<std::int64_t>(expected + 1))
              .bytes(*sealed)
              .text(record.project_id.view())
              .text(record.key.key_id.view())
              .integer(static_cast<std::int64_t>(expected));
          return values;
        }());
        if (!succeeded(changed)) {
          // A rename onto an alias another key of the project holds (update-key-alias).
          if (error_field(changed.get(), PG_DIAG_SQLSTATE) == "23505" &&
              error_field(changed.get(), PG_DIAG_CONSTRAINT_NAME) == alias_constraint) {
            return kmscore::errc::duplicate_key_alias;
          }
          return fault("update", changed.get());
        }
        if (std::string_view{PQcmdTuples(changed.get())} == "1") {
          if (const auto failed = write_tags(record, true)) {
            return fault("update: tags", failed.get());
          }
          bool committed = false;
          const auto done = write.commit(committed);
          if (!committed) return fault("update: commit", done.get());
          record.revision = expected + 1;
          return kmscore::update_outcome::updated;
        }
        // No row matched: absent (never there, or removed), or another update came first.
        const auto exists =
            run("SELECT 1 FROM keys WHERE project_id = $1 AND key_id = $2",
                params{}.text(record.project_id.view()).text(record.key.key_id.view()));
        if (!succeeded(exists)) return fault("update: check", exists.get());
        if (PQntuples(exists.get()) == 0) return kmscore::errc::key_not_found;
        return kmscore::update_outcome::conflict;
      });
  if (!outcome) record.revision = expected;
  return outcome;
}

kmscore::result<kmscore::key_list_page> postgres_key_store::list(
    const kmscore::project_id& tenant, const kmscore::key_list_query& query) {
  return shielded<kmscore::key_list_page>("list", [&]() -> kmscore::result<kmscore::key_list_page> {
    // Filters as parameters: NULL matches everything.
    const std::string filter =
        " FROM keys WHERE project_id = $1 AND ($2::integer IS NULL OR key_state = $2) "
        "AND ($3::text IS NULL OR key_spec = $3) "
        "AND ($4::text IS NULL OR enterprise_project_id = $4) "
        "AND ($5::bigint IS NULL OR " +
        key_table::not_gone_at("$5::bigint") + ")" +
        // The resource-instance query's tag and alias filters, numbered from $6.
        key_table::list_filters_sql(key_table::postgresql, query, 6);
    params filters;
    filters.text(tenant.view());
    if (query.state) {
      filters.integer(static_cast<int>(*query.state));
    } else {
      filters.null();
    }
    if (query.spec) {
      filters.text(to_string(*query.spec));
    } else {
      filters.null();
    }
    if (query.enterprise_project_id) {
      filters.text(*query.enterprise_project_id);
    } else {
      filters.null();
    }
    if (query.now_ms) {
      filters.integer(*query.now_ms);
    } else {
      filters.null();
    }
    int bound = 5;
    key_table::bind_list_filters(query, [&](const std::string& text) {
      filters.text(text);
      ++bound;
    });
    // The page's LIMIT and OFFSET follow the filters. Past the largest bigint there is
    // nothing to show anyway.
    const std::string page_bounds = " LIMIT $" + std::to_string(bound + 1) + "::bigint OFFSET $" +
                                    std::to_string(bound + 2) + "::bigint";
    constexpr auto largest = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    params page_filters = filters;
    page_filters.integer(static_cast<std::int64_t>(std::min(query.limit, largest)))
        .integer(static_cast<std::int64_t>(std::min(query.offset, largest)));

    kmscore::key_list_page page;
    page.offset = query.offset;
    std::vector<std::pair<std::string, std::vector<kmscore::byte>>> rows;
    {
      const std::lock_guard lock{mutex_};
      std::string detail;
      if (!ready(detail)) return fault_detail("list", detail);
      // One snapshot for the count and the page.
      transaction snapshot{conn_, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"};
      if (!snapshot.began()) return fault("list: begin", snapshot.begin_result());
      const auto count = run(("SELECT count(*)" + filter).c_str(), filters);
      if (!succeeded(count)) return fault("list: count", count.get());
      const auto total = column_integer(count.get(), 0, 0);
      if (!total || *total < 0) return fault_detail("list: count", "not a count");
      page.total = static_cast<std::size_t>(*total);
      const auto found = run(("SELECT key_id, record" + filter + " ORDER BY " +
                              std::string{key_table::list_order} + page_bounds)
                                 .c_str(),
                             page_filters, binary_results);
      if (!succeeded(found)) return fault("list: rows", found.get());
      rows.reserve(static_cast<std::size_t>(PQntuples(found.get())));
      for (int row = 0; row < PQntuples(found.get()); ++row) {
        rows.emplace_back(column_text(found.get(), row, 0), column_bytes(found.get(), row, 1));
      }
      bool committed = false;
      const auto done = snapshot.commit(committed);
      if (!committed) return fault("list: commit", done.get());
    }
    for (auto& [key_id, stored] : rows) {
      auto record = key_table::list_row(tenant, key_id, stored, noter());
      if (record) page.records.push_back(std::move(*record));
    }
    return page;
  });
}

pg_result postgres_key_store::write_tags(const kmscore::key_record& record, bool clear) {
  if (clear) {
    auto gone = run(key_table_statements().tags_delete.c_str(),
                    params{}.text(record.project_id.view()).text(record.key.key_id.view()));
    if (!succeeded(gone)) return gone;
  }
  for (const auto& [key, value] : record.tags) {
    auto added = run(key_table_statements().tag_insert.c_str(), params{}
                                                                    .text(record.project_id.view())
                                                                    .text(record.key.key_id.view())
                                                                    .text(key)
                                                                    .text(value));
    if (!succeeded(added)) return added;
  }
  return nullptr;
}

kmscore::result<std::vector<kmscore::tag_values>> postgres_key_store::list_tags(
    const kmscore::project_id& tenant, std::int64_t now_ms) {
  return shielded<std::vector<kmscore::tag_values>>(
      "list_tags", [&]() -> kmscore::result<std::vector<kmscore::tag_values>> {
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("list_tags", detail);
        const auto found = run(key_table_statements().tag_values.c_str(),
                               params{}.text(tenant.view()).integer(now_ms));
        if (!succeeded(found)) return fault("list_tags", found.get());
        std::vector<kmscore::tag_values> all;
        for (int row = 0; row < PQntuples(found.get()); ++row) {
          auto key = column_text(found.get(), row, 0);
          if (all.empty() || all.back().key != key) all.push_back({std::move(key), {}});
          all.back().values.push_back(column_text(found.get(), row, 1));
        }
        return all;
      });
}

std::optional<kmscore::alias_outcome> postgres_key_store::alias_key_check(
    const kmscore::project_id& tenant, const kmscore::key_id& key, pg_result& failed) {
  auto locked =
      run(key_table_statements().alias_key.c_str(), params{}.text(tenant.view()).text(key.view()));
  if (!succeeded(locked)) {
    failed = std::move(locked);
    return std::nullopt;
  }
  std::optional<kmscore::key_state> state;
  if (PQntuples(locked.get()) == 1) {
    const auto value = column_integer(locked.get(), 0, 0);
    if (!value) {
      failed = std::move(locked);
      return std::nullopt;
    }
    state = static_cast<kmscore::key_state>(*value);
  }
  return kmscore::alias_key_outcome(state);
}

std::optional<bool> postgres_key_store::over_alias_limit(const kmscore::project_id& tenant,
                                                         const kmscore::key_id& key,
                                                         std::size_t more, pg_result& failed) {
  auto count = run(key_table_statements().alias_count.c_str(),
                   params{}.text(tenant.view()).text(key.view()));
  const auto held = succeeded(count) ? column_integer(count.get(), 0, 0) : std::nullopt;
  if (!held || *held < 0) {
    failed = std::move(count);
    return std::nullopt;
  }
  return static_cast<std::size_t>(*held) + more > kmscore::max_aliases_per_key;
}

kmscore::result<std::vector<kmscore::alias_entry>> postgres_key_store::alias_rows(
    const pg_result& found) {
  std::vector<kmscore::alias_entry> entries;
  for (int row = 0; row < PQntuples(found.get()); ++row) {
    const auto created = column_integer(found.get(), row, 2);
    const auto updated = column_integer(found.get(), row, 3);
    if (!created || !updated) return fault_detail("aliases", "a malformed time column");
    auto entry =
        key_table::alias_row(column_text(found.get(), row, 0), column_text(found.get(), row, 1),
                             *created, *updated, noter());
    if (entry) entries.push_back(std::move(*entry));
  }
  return entries;
}

kmscore::result<std::optional<kmscore::alias_entry>> postgres_key_store::find_alias(
    const kmscore::project_id& tenant, std::string_view alias, std::int64_t now_ms) {
  return shielded<std::optional<kmscore::alias_entry>>(
      "find_alias", [&]() -> kmscore::result<std::optional<kmscore::alias_entry>> {
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("find_alias", detail);
        const auto found = run(key_table_statements().alias_find.c_str(),
                               params{}.text(tenant.view()).text(alias).integer(now_ms));
        if (!succeeded(found)) return fault("find_alias", found.get());
        KMSCORE_TRY_ASSIGN(auto entries, alias_rows(found));
        if (PQntuples(found.get()) == 0) return std::optional<kmscore::alias_entry>{};
        if (entries.empty()) return kmscore::errc::kms_error;  // a malformed row, noted
        return std::optional<kmscore::alias_entry>{std::move(entries.front())};
      });
}

kmscore::result<kmscore::alias_outcome> postgres_key_store::add_alias(
    const kmscore::project_id& tenant, const kmscore::alias_entry& entry, std::int64_t now_ms) {
  return shielded<kmscore::alias_outcome>(
      "add_alias", [&]() -> kmscore::result<kmscore::alias_outcome> {
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("add_alias", detail);
        transaction write{conn_, "BEGIN"};
        if (!write.began()) return fault("add_alias: begin", write.begin_result());
        // The key's row first, then alias rows: the order of move_alias and of a key's removal.
        pg_result failed;
        const auto key = alias_key_check(tenant, entry.key_id, failed);
        if (!key) return fault("add_alias: key", failed.get());
        if (*key != kmscore::alias_outcome::done) return *key;
        const auto freed = run(key_table_statements().alias_free.c_str(),
                               params{}.text(tenant.view()).text(entry.alias).integer(now_ms));
        if (!succeeded(freed)) return fault("add_alias: free", freed.get());
        const auto held = run(key_table_statements().alias_held.c_str(),
                              params{}.text(tenant.view()).text(entry.alias));
        if (!succeeded(held)) return fault("add_alias: held", held.get());
        if (PQntuples(held.get()) != 0) return kmscore::alias_outcome::taken;
        const auto over = over_alias_limit(tenant, entry.key_id, 1, failed);
        if (!over) return fault("add_alias: count", failed.get());
        if (*over) return kmscore::alias_outcome::full;
        const auto added =
            run(key_table_statements().alias_insert.c_str(), params{}
                                                                 .text(tenant.view())
                                                                 .text(entry.alias)
                                                                 .text(entry.key_id.view())
                                                                 .integer(entry.create_time_ms)
                                                                 .integer(entry.update_time_ms));
        if (!succeeded(added)) {
          // Another key of the project holds it (committed before, or by a concurrent insert
          // that the primary key made this one wait for).
          if (error_field(added.get(), PG_DIAG_SQLSTATE) == "23505") {
            return kmscore::alias_outcome::taken;
          }
          return fault("add_alias", added.get());
        }
        bool committed = false;
        const auto done = write.commit(committed);
        if (!committed) return fault("add_alias: commit", done.get());
        return kmscore::alias_outcome::done;
      });
}

kmscore::result<kmscore::alias_outcome> postgres_key_store::move_alias(
    const kmscore::project_id& tenant, std::string_view alias, const kmscore::key_id& from,
    const kmscore::key_id& to, std::int64_t now_ms) {
  return shielded<
      kmscore::alias_outcome>("move_alias", [&]() -> kmscore::result<kmscore::alias_outcome> {
    const std::lock_guard lock{mutex_};
    std::string detail;
    if (!ready(detail)) return fault_detail("move_alias", detail);
    transaction write{conn_, "BEGIN"};
    if (!write.began()) return fault("move_alias: begin", write.begin_result());
    pg_result failed;
    const auto key = alias_key_check(tenant, to, failed);
    if (!key) return fault("move_alias: key", failed.get());
    if (*key != kmscore::alias_outcome::done) return *key;
    const auto moved = run(
        key_table_statements().alias_move.c_str(),
        params{}.text(tenant.view()).text(alias).text(from.view()).text(to.view()).integer(now_ms));
    if (!succeeded(moved)) return fault("move_alias", moved.get());
    if (std::string_view{PQcmdTuples(moved.get())} != "1") return kmscore::alias_outcome::moved;
    // Counted with the alias moved: a target that now holds more than the most refuses it (the
    // transaction rolls back).
    const auto over = over_alias_limit(tenant, to, 0, failed);
    if (!over) return fault("move_alias: count", failed.get());
    if (*over) return kmscore::alias_outcome::full;
    bool committed = false;
    const auto done = write.commit(committed);
    if (!committed) return fault("move_alias: commit", done.get());
    return kmscore::alias_outcome::done;
  });
}

kmscore::result<kmscore::alias_outcome> postgres_key_store::remove_aliases(
    const kmscore::project_id& tenant, const kmscore::key_id& key,
    const std::vector<std::string>& aliases) {
  return shielded<kmscore::alias_outcome>(
      "remove_aliases", [&]() -> kmscore::result<kmscore::alias_outcome> {
        std::vector<std::string_view> distinct(aliases.begin(), aliases.end());
        std::sort(distinct.begin(), distinct.end());
        distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("remove_aliases", detail);
        transaction write{conn_, "BEGIN"};
        if (!write.began()) return fault("remove_aliases: begin", write.begin_result());
        for (const auto alias : distinct) {
          const auto removed = run(key_table_statements().alias_delete.c_str(),
                                   params{}.text(tenant.view()).text(alias).text(key.view()));
          if (!succeeded(removed)) return fault("remove_aliases", removed.get());
          if (std::string_view{PQcmdTuples(removed.get())} != "1") {
            return kmscore::alias_outcome::not_associated;
          }
        }
        bool committed = false;
        const auto done = write.commit(committed);
        if (!committed) return fault("remove_aliases: commit", done.get());
        return kmscore::alias_outcome::done;
      });
}

kmscore::result<std::vector<kmscore::alias_entry>> postgres_key_store::list_aliases(
    const kmscore::project_id& tenant, const kmscore::alias_list_query& query) {
  return shielded<std::vector<kmscore::alias_entry>>(
      "list_aliases", [&]() -> kmscore::result<std::vector<kmscore::alias_entry>> {
        params values;
        values.text(tenant.view())
            .text(query.after)
            .integer(query.now_ms)
            .integer(static_cast<std::int64_t>(query.limit));
        if (query.key_id) values.text(query.key_id->view());
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("list_aliases", detail);
        const auto& sql = query.key_id ? key_table_statements().alias_list_by_key
                                       : key_table_statements().alias_list;
        const auto found = run(sql.c_str(), values);
        if (!succeeded(found)) return fault("list_aliases", found.get());
        return alias_rows(found);
      });
}

kmscore::result<kmscore::update_outcome> postgres_key_store::remove(
    const kmscore::project_id& tenant, const kmscore::key_id& id, std::uint64_t revision) {
  return shielded<kmscore::update_outcome>(
      "remove", [&]() -> kmscore::result<kmscore::update_outcome> {
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("remove", detail);
        // One statement: the WHERE on revision is the compare-and-set. The row's old
        // versions stay in the table's pages until VACUUM reclaims them (docs/storage.md).
        const auto removed = run(key_table_statements().remove.c_str(),
                                 params{}
                                     .text(tenant.view())
                                     .text(id.view())
                                     .integer(static_cast<std::int64_t>(revision)));
        if (!succeeded(removed)) return fault("remove", removed.get());
        if (std::string_view{PQcmdTuples(removed.get())} == "1") {
          return kmscore::update_outcome::updated;
        }
        const auto exists = run("SELECT 1 FROM keys WHERE project_id = $1 AND key_id = $2",
                                params{}.text(tenant.view()).text(id.view()));
        if (!succeeded(exists)) return fault("remove: check", exists.get());
        if (PQntuples(exists.get()) == 0) return kmscore::errc::key_not_found;
        return kmscore::update_outcome::conflict;
      });
}

kmscore::result<std::size_t> postgres_key_store::count_keys() {
  return shielded<std::size_t>("count_keys", [&]() -> kmscore::result<std::size_t> {
    const std::lock_guard lock{mutex_};
    std::string detail;
    if (!ready(detail)) return fault_detail("count_keys", detail);
    const auto count = run("SELECT count(*) FROM keys");
    if (!succeeded(count)) return fault("count_keys", count.get());
    const auto total = column_integer(count.get(), 0, 0);
    if (!total || *total < 0) return fault_detail("count_keys", "not a count");
    return static_cast<std::size_t>(*total);
  });
}

kmscore::result<std::optional<std::vector<kmscore::byte>>> postgres_key_store::meta_get(
    std::string_view name) {
  return shielded<std::optional<std::vector<kmscore::byte>>>(
      "meta: read", [&]() -> kmscore::result<std::optional<std::vector<kmscore::byte>>> {
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("meta: read", detail);
        const auto found =
            run("SELECT value FROM meta WHERE name = $1", params{}.text(name), binary_results);
        if (!succeeded(found)) return fault("meta: read", found.get());
        if (PQntuples(found.get()) == 0) return std::optional<std::vector<kmscore::byte>>{};
        return std::optional<std::vector<kmscore::byte>>{column_bytes(found.get(), 0, 0)};
      });
}

kmscore::result<std::vector<kmscore::byte>> postgres_key_store::meta_put_if_absent(
    std::string_view name, kmscore::byte_span value) {
  return shielded<std::vector<kmscore::byte>>(
      "meta: insert", [&]() -> kmscore::result<std::vector<kmscore::byte>> {
        const std::lock_guard lock{mutex_};
        std::string detail;
        if (!ready(detail)) return fault_detail("meta: insert", detail);
        // Two statements, not one: the SELECT's new snapshot sees a value another process
        // committed while our INSERT waited on it (one statement's snapshot would not).
        const auto inserted = run(
            "INSERT INTO meta (name, value) VALUES ($1, $2::bytea) ON CONFLICT (name) DO NOTHING",
            params{}.text(name).bytes(value));
        if (!succeeded(inserted)) return fault("meta: insert", inserted.get());
        const auto found =
            run("SELECT value FROM meta WHERE name = $1", params{}.text(name), binary_results);
        if (!succeeded(found)) return fault("meta: read", found.get());
        if (PQntuples(found.get()) != 1) return fault_detail("meta: read", "the value vanished");
        return column_bytes(found.get(), 0, 0);
      });
}

kmscore::result<bool> postgres_key_store::meta_replace(std::span<const meta_change> changes) {
  return shielded<bool>("meta: replace", [&]() -> kmscore::result<bool> {
    const std::lock_guard lock{mutex_};
    std::string detail;
    if (!ready(detail)) return fault_detail("meta: replace", detail);
    transaction write{conn_, "BEGIN"};
    if (!write.began()) return fault("meta: begin", write.begin_result());
    for (const auto& change : changes) {
      // The row locked, so that no other replacement commits between this check and ours.
      const auto held = run("SELECT value FROM meta WHERE name = $1 FOR UPDATE",
                            params{}.text(change.name), binary_results);
      if (!succeeded(held)) return fault("meta: read", held.get());
      if (PQntuples(held.get()) != 1) return false;
      const auto value = column_bytes(held.get(), 0, 0);
      if (!std::equal(value.begin(), value.end(), change.expected.begin(), change.expected.end())) {
        return false;
      }
      const auto updated = run("UPDATE meta SET value = $2::bytea WHERE name = $1",
                               params{}.text(change.name).bytes(change.replacement));
      if (!succeeded(updated)) return fault("meta: update", updated.get());
    }
    bool committed = false;
    const auto done = write.commit(committed);
    if (!committed) return fault("meta: commit", done.get());
    return true;
  });
}

kmscore::result<std::vector<setting>> postgres_key_store::settings() {
  return shielded<std::vector<setting>>("settings", [&]() -> kmscore::result<std::vector<setting>> {
    const std::lock_guard lock{mutex_};
    std::string detail;
    if (!ready(detail)) return fault_detail("settings", detail);
    std::vector<setting> all;
    for (const char* name :
         {"fsync", "synchronous_commit", "full_page_writes", "transaction_isolation"}) {
      auto value = show(name);
      if (!value) return fault(std::string{"settings: "} + name);
      all.emplace_back(name, std::move(*value));
    }
    return all;
  });
}

}  // namespace

std::unique_ptr<durable_key_store> open_postgres_key_store(std::string_view url,
                                                           kmscore::record_sealer& sealer,
                                                           kmscore::diagnostics_sink diagnostics,
                                                           std::string& why) {
  try {
    auto store = std::make_unique<postgres_key_store>(sealer, std::move(diagnostics));
    if (!store->start(url, why)) return nullptr;
    return store;
  } catch (const std::exception& failure) {
    try {
      why = std::string{"cannot open the PostgreSQL store: "} + failure.what();
    } catch (...) {  // NOLINT(bugprone-empty-catch): out of memory for the reason itself
    }
  } catch (...) {
    try {
      why = "cannot open the PostgreSQL store: an unknown exception";
    } catch (...) {  // NOLINT(bugprone-empty-catch)
    }
  }
  return nullptr;
}

}  // namespace kmscore_host
