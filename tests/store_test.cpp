// One typed suite over every key store: the memory store, SQLite and PostgreSQL (the last in
// its own binary, store_postgres_test, which starts a real PostgreSQL 15 server). Every
// operation, paging edges, aliases at their limits, project isolation, revision conflicts,
// processes racing, and corrupt rows for the stores that persist bytes.
#include <kmscore/actions.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/json.hpp>
#include <kmscore/key_cache.hpp>
#include <kmscore/maintenance.hpp>

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "key_table.hpp"
#include "state.hpp"
#include "support/project.hpp"
#include "support/stores.hpp"

namespace {

using kmscore::errc;
using kmscore::key_state;
using kmscore::update_outcome;
using kmscore_test::sqlite_kind;
namespace fs = std::filesystem;

constexpr kmscore::project_id project_a =
    *kmscore::project_id::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
constexpr kmscore::project_id project_b =
    *kmscore::project_id::parse("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
constexpr const char* domain_a = "0123456789abcdef0123456789abcdef";
constexpr const char* domain_b = "fedcba9876543210fedcba9876543210";

// A fresh record as create-key makes it (material from the backend), in a project.
kmscore::key_record make_record(const kmscore::project_id& project, const std::string& alias,
                                std::int64_t created, const char* spec = "AES_256") {
  kmscore::backend::cryptopp backend;
  kmscore::create_key_request request;
  request.key_alias = alias;
  request.key_spec = spec;
  const auto params = kmscore::validate(request);
  EXPECT_TRUE(params);
  auto record = kmscore::create_key(backend, *params, domain_a, created);
  EXPECT_TRUE(record);
  record->project_id = project;
  return std::move(*record);
}

kmscore::key_list_query every_spec() {
  kmscore::key_list_query query;
  query.spec.reset();
  return query;
}

template <class Kind>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store().ensure_project(project_a, domain_a));
    ASSERT_TRUE(store().ensure_project(project_b, domain_b));
  }
  kmscore::key_store& store() { return subject_.store(); }
  kmscore_test::store_under_test<Kind> subject_;
};

#ifdef KMSCORE_STORE_TEST_POSTGRES
using store_kinds = ::testing::Types<kmscore_test::postgres_kind>;
#else
using store_kinds = ::testing::Types<kmscore_test::memory_kind, sqlite_kind>;
#endif
// The key statements both stores run, built from the table's one description: written out
// here as each database must receive them (the columns the migrations create, in order).
TEST(KeyTableTest, StatementsNameEveryIndexedColumnInBothDialects) {
  using namespace kmscore_host::key_table;
  EXPECT_EQ(insert_sql(sqlite),
            "INSERT INTO keys (project_id, key_id, key_alias, key_state, key_spec, "
            "enterprise_project_id, creation_date, deletion_date, revision, record) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9)");
  EXPECT_EQ(insert_sql(postgresql),
            "INSERT INTO keys (project_id, key_id, key_alias, key_state, key_spec, "
            "enterprise_project_id, creation_date, deletion_date, revision, record) "
            "VALUES ($1, $2, $3, $4::integer, $5, $6, $7::bigint, $8::bigint, 1, $9::bytea)");
  EXPECT_EQ(update_sql(sqlite),
            "UPDATE keys SET key_alias = ?1, key_state = ?2, key_spec = ?3, "
            "enterprise_project_id = ?4, creation_date = ?5, deletion_date = ?6, revision = ?7, "
            "record = ?8 WHERE project_id = ?9 AND key_id = ?10 AND revision = ?11");
  EXPECT_EQ(update_sql(postgresql),
            "UPDATE keys SET key_alias = $1, key_state = $2::integer, key_spec = $3, "
            "enterprise_project_id = $4, creation_date = $5::bigint, deletion_date = $6::bigint, "
            "revision = $7::bigint, record = $8::bytea WHERE project_id = $9 AND key_id = $10 "
            "AND revision = $11::bigint");
  EXPECT_EQ(remove_sql(sqlite),
            "DELETE FROM keys WHERE project_id = ?1 AND key_id = ?2 AND revision = ?3");
  EXPECT_EQ(remove_sql(postgresql),
            "DELETE FROM keys WHERE project_id = $1 AND key_id = $2 AND revision = $3::bigint");
  EXPECT_EQ(not_gone_at("?7"), "NOT (key_state = 4 AND deletion_date <= ?7)");
  // The tag statements (key_tags, migration 3 of both stores).
  EXPECT_EQ(tags_delete_sql(sqlite), "DELETE FROM key_tags WHERE project_id = ?1 AND key_id = ?2");
  EXPECT_EQ(
      tag_insert_sql(postgresql),
      "INSERT INTO key_tags (project_id, key_id, tag_key, tag_value) VALUES ($1, $2, $3, $4)");
  kmscore::key_list_query query;
  query.tags = {{"env", {"prod", "dev"}}, {"team", {}}};
  query.alias_contains = "web";
  EXPECT_EQ(list_filters_sql(sqlite, query, 8),
            " AND key_id IN (SELECT t.key_id FROM key_tags t WHERE t.project_id = ?1 AND "
            "t.tag_key = ?8 AND t.tag_value IN (?9, ?10))"
            " AND key_id IN (SELECT t.key_id FROM key_tags t WHERE t.project_id = ?1 AND "
            "t.tag_key = ?11) AND instr(key_alias, ?12) > 0");
  query.tags.pop_back();
  EXPECT_EQ(list_filters_sql(postgresql, query, 6),
            " AND key_id IN (SELECT t.key_id FROM key_tags t WHERE t.project_id = $1 AND "
            "t.tag_key = $6 AND t.tag_value IN ($7, $8)) AND strpos(key_alias, $9) > 0");
  std::vector<std::string> bound;
  bind_list_filters(query, [&](const std::string& text) { bound.push_back(text); });
  EXPECT_EQ(bound, (std::vector<std::string>{"env", "prod", "dev", "web"}));
  EXPECT_EQ(tag_values_sql(postgresql),
            "SELECT DISTINCT t.tag_key, t.tag_value FROM key_tags t JOIN keys ON keys.project_id = "
            "t.project_id AND keys.key_id = t.key_id WHERE t.project_id = $1 AND NOT (key_state = "
            "4 AND deletion_date <= $2::bigint) ORDER BY t.tag_key, t.tag_value");
  // The alias statements (aliases, migration 4 of both stores).
  EXPECT_EQ(alias_free_sql(sqlite),
            "DELETE FROM aliases WHERE project_id = ?1 AND alias = ?2 AND key_id IN (SELECT "
            "key_id FROM keys WHERE project_id = ?1 AND NOT (NOT (key_state = 4 AND "
            "deletion_date <= ?3)))");
  EXPECT_EQ(alias_insert_sql(postgresql),
            "INSERT INTO aliases (project_id, alias, key_id, create_time, update_time) VALUES "
            "($1, $2, $3, $4::bigint, $5::bigint)");
  EXPECT_EQ(alias_move_sql(sqlite),
            "UPDATE aliases SET key_id = ?4, update_time = ?5 WHERE project_id = ?1 AND alias = "
            "?2 AND key_id = ?3");
  EXPECT_EQ(alias_delete_sql(postgresql),
            "DELETE FROM aliases WHERE project_id = $1 AND alias = $2 AND key_id = $3");
  EXPECT_EQ(alias_count_sql(sqlite),
            "SELECT count(*) FROM aliases WHERE project_id = ?1 AND key_id = ?2");
  EXPECT_EQ(alias_find_sql(postgresql),
            "SELECT a.alias, a.key_id, a.create_time, a.update_time FROM aliases a JOIN keys ON "
            "keys.project_id = a.project_id AND keys.key_id = a.key_id WHERE a.project_id = $1 "
            "AND a.alias = $2 AND NOT (key_state = 4 AND deletion_date <= $3::bigint)");
  EXPECT_EQ(alias_list_sql(sqlite, true),
            "SELECT a.alias, a.key_id, a.create_time, a.update_time FROM aliases a JOIN keys ON "
            "keys.project_id = a.project_id AND keys.key_id = a.key_id WHERE a.project_id = ?1 "
            "AND a.alias > ?2 AND NOT (key_state = 4 AND deletion_date <= ?3) AND a.key_id = ?5 "
            "ORDER BY a.alias LIMIT ?4");
}

// A store URL as printed: every password replaced, everything else as given.
TEST(StoreUrlTest, PasswordsAreMaskedAndNothingElseChanges) {
  using kmscore_host::printable_store_url;
  EXPECT_EQ(printable_store_url("postgresql://kms:S3cr3t@db.example:5432/kms?sslmode=require"),
            "postgresql://kms:***@db.example:5432/kms?sslmode=require");
  EXPECT_EQ(printable_store_url("postgres://kms@db/kms?password=S3cr3t&sslmode=disable"),
            "postgres://kms@db/kms?password=***&sslmode=disable");
  EXPECT_EQ(printable_store_url("postgresql://db/kms?sslmode=disable&password=S3cr3t"),
            "postgresql://db/kms?sslmode=disable&password=***");
  EXPECT_EQ(printable_store_url("postgresql://kms:p@ss@db/kms"), "postgresql://kms:***@db/kms");
  EXPECT_EQ(printable_store_url("mysql://u:S3cr3t@h/d"), "mysql://u:***@h/d");
  // As libpq reads them: '?' and '#' inside a password, the key's passphrase, encoded names.
  EXPECT_EQ(printable_store_url("postgresql://kms:pa?ss#w@db/kms"), "postgresql://kms:***@db/kms");
  EXPECT_EQ(printable_store_url("postgresql://db/kms?sslpassword=S3cr3t"),
            "postgresql://db/kms?sslpassword=***");
  EXPECT_EQ(printable_store_url("postgresql://db/kms?passwor%64=S3cr3t"),
            "postgresql://db/kms?passwor%64=***");
  EXPECT_EQ(printable_store_url("postgresql://db/kms?PASSWORD=S3cr3t"),
            "postgresql://db/kms?PASSWORD=***");
  // Not a scheme://… URL (libpq's key=value form, a typo): only a plain scheme is shown.
  EXPECT_EQ(printable_store_url("host=db password=S3cr3t"), "***");
  EXPECT_EQ(printable_store_url("postgresql:kms:S3cr3t@db"), "postgresql:***");
  // Its twins: URLs without a password are unchanged.
  for (const char* url : {"postgresql://kms@db:5432/kms?sslmode=require", "postgresql://db/kms",
                          "postgresql:///kms?host=/run/postgresql", "sqlite:/var/lib/kms/k.db",
                          "sqlite:relative.db", "postgres://kms@db/kms?application_name=k"}) {
    EXPECT_EQ(printable_store_url(url), url);
  }
}

TEST(KeyTableTest, IndexedValuesComeFromTheRecord) {
  kmscore::key_record record;
  record.key_alias = "alias-1";
  record.key.state = kmscore::key_state::disabled;
  record.key.spec = kmscore::key_spec::sm4;
  record.enterprise_project_id = "0";
  record.creation_date_ms = 1'700'000'000'123;
  record.scheduled_deletion_date_ms = 1'700'604'800'123;
  std::vector<std::string> bound;
  kmscore_host::key_table::bind_indexed(
      record, [&](const std::string& text) { bound.push_back("text:" + text); },
      [&](std::int64_t value) { bound.push_back("int:" + std::to_string(value)); });
  EXPECT_EQ(bound, (std::vector<std::string>{"text:alias-1", "int:3", "text:SM4", "text:0",
                                             "int:1700000000123", "int:1700604800123"}));
}

TYPED_TEST_SUITE(StoreTest, store_kinds);

TYPED_TEST(StoreTest, ProjectsAreMadeOnceAndListed) {
  auto& store = this->store();
  const auto again = store.ensure_project(project_a, domain_b);  // exists: the stored one
  ASSERT_TRUE(again);
  EXPECT_EQ(again->domain_id, domain_a);
  const auto found = store.find_project(project_b);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->domain_id, domain_b);
  EXPECT_FALSE(
      *store.find_project(*kmscore::project_id::parse("cccccccccccccccccccccccccccccccc")));
  const auto all = store.list_projects();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2U);
  EXPECT_FALSE(store.ensure_project(*kmscore::project_id::parse("cccccccccccccccccccccccccccccccc"),
                                    "not-a-domain"));
  EXPECT_FALSE(
      *store.find_project(*kmscore::project_id::parse("cccccccccccccccccccccccccccccccc")));
}

TYPED_TEST(StoreTest, InsertFindUpdateAndTheirRefusals) {
  auto& store = this->store();
  auto record = make_record(project_a, "alias/one", 10);
  ASSERT_TRUE(store.insert(record));
  EXPECT_EQ(record.revision, 1U);
  const auto found = store.find(project_a, record.key.key_id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->key_alias, "alias/one");
  EXPECT_EQ((*found)->revision, 1U);
  ASSERT_EQ((*found)->key.material_versions.size(), 1U);
  EXPECT_TRUE((*found)->key.material_versions[0] == record.key.material_versions[0]);
  const auto by_alias = store.find_by_alias(project_a, "alias/one");
  ASSERT_TRUE(by_alias && *by_alias);
  EXPECT_EQ((*by_alias)->key.key_id, record.key.key_id);
  EXPECT_FALSE(*store.find_by_alias(project_a, "alias/none"));
  EXPECT_FALSE(
      *store.find(project_a, *kmscore::key_id::parse("00000000-0000-4000-8000-000000000000")));

  // Another key with the same alias in the project: KMS.1104, nothing stored.
  auto twin = make_record(project_a, "alias/one", 11);
  EXPECT_EQ(store.insert(twin).error().code(), errc::duplicate_key_alias);
  EXPECT_FALSE(*store.find(project_a, twin.key.key_id));
  // The same alias in another project is another key; the key is not found through it.
  auto other = make_record(project_b, "alias/one", 12);
  EXPECT_TRUE(store.insert(other));
  EXPECT_FALSE(*store.find(project_b, record.key.key_id));
  EXPECT_FALSE(*store.find(project_a, other.key.key_id));

  // Compare-and-set: an update with the revision read succeeds once; the stale one conflicts.
  auto first = std::move(**store.find(project_a, record.key.key_id));
  auto second = std::move(**store.find(project_a, record.key.key_id));
  first.key.state = key_state::disabled;
  ASSERT_EQ(*store.update(first), update_outcome::updated);
  EXPECT_EQ(first.revision, 2U);
  second.key_description = "lost update";
  EXPECT_EQ(*store.update(second), update_outcome::conflict);
  const auto now = store.find(project_a, record.key.key_id);
  EXPECT_EQ((*now)->key.state, key_state::disabled);
  EXPECT_EQ((*now)->key_description, "");
  EXPECT_EQ((*now)->revision, 2U);
  auto missing = make_record(project_a, "alias/missing", 13);
  missing.revision = 1;
  EXPECT_EQ(store.update(missing).error().code(), errc::key_not_found);
}

// update-key-alias's store half: a rename moves the alias (the old one is free, the new one
// finds the key); a rename onto an alias another key of the project holds is KMS.1104 and
// changes nothing; the same alias in another project, or the key's own alias, is no conflict.
TYPED_TEST(StoreTest, RenamesMoveTheAliasAndRefuseOneAnotherKeyHolds) {
  auto& store = this->store();
  auto a = make_record(project_a, "alias/a", 20);
  auto b = make_record(project_a, "alias/b", 21);
  auto elsewhere = make_record(project_b, "alias/c", 22);
  ASSERT_TRUE(store.insert(a));
  ASSERT_TRUE(store.insert(b));
  ASSERT_TRUE(store.insert(elsewhere));

  auto taken = std::move(**store.find(project_a, b.key.key_id));
  taken.key_alias = "alias/a";
  EXPECT_EQ(store.update(taken).error().code(), errc::duplicate_key_alias);
  const auto unchanged = store.find(project_a, b.key.key_id);
  EXPECT_EQ((*unchanged)->key_alias, "alias/b");
  EXPECT_EQ((*unchanged)->revision, 1U);
  EXPECT_EQ((*store.find_by_alias(project_a, "alias/a"))->key.key_id, a.key.key_id);

  auto renamed = std::move(**store.find(project_a, b.key.key_id));
  renamed.key_alias = "alias/c";  // another project's alias: free here
  ASSERT_EQ(*store.update(renamed), update_outcome::updated);
  EXPECT_EQ(renamed.revision, 2U);
  EXPECT_EQ((*store.find_by_alias(project_a, "alias/c"))->key.key_id, b.key.key_id);
  EXPECT_FALSE(*store.find_by_alias(project_a, "alias/b"));
  EXPECT_EQ((*store.find_by_alias(project_b, "alias/c"))->key.key_id, elsewhere.key.key_id);
  auto same = std::move(**store.find(project_a, b.key.key_id));  // its own alias: no conflict
  EXPECT_EQ(*store.update(same), update_outcome::updated);
  // The freed alias takes a new key.
  auto reuse = make_record(project_a, "alias/b", 23);
  EXPECT_TRUE(store.insert(reuse));
}

TYPED_TEST(StoreTest, AliasesAtTheirLimitsWithEveryAllowedCharacter) {
  auto& store = this->store();
  const std::string allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/_-";
  std::string long_alias;
  while (long_alias.size() < 255) long_alias += allowed;
  for (const std::size_t size : {std::size_t{1}, std::size_t{254}, std::size_t{255}}) {
    const std::string alias = long_alias.substr(long_alias.size() - size);
    ASSERT_TRUE(kmscore::check_key_alias(alias)) << size;
    auto record = make_record(project_a, alias, static_cast<std::int64_t>(size));
    ASSERT_TRUE(store.insert(record)) << size;
    const auto found = store.find_by_alias(project_a, alias);
    ASSERT_TRUE(found && *found) << size;
    EXPECT_EQ((*found)->key_alias, alias);
  }
}

TYPED_TEST(StoreTest, ListPagesInOrderWithFiltersAndEdges) {
  auto& store = this->store();
  const auto empty = store.list(project_a, every_spec());
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->total, 0U);
  EXPECT_TRUE(empty->records.empty());
  // Five keys: creation dates 1, 2, 2, 3, 4; one SM4; one disabled; one in another project.
  std::vector<kmscore::key_record> made;
  for (const auto& [alias, created] :
       {std::pair{"k1", 1}, std::pair{"k2a", 2}, std::pair{"k2b", 2}, std::pair{"k3", 3}}) {
    made.push_back(make_record(project_a, alias, created));
    ASSERT_TRUE(store.insert(made.back()));
  }
  made.push_back(make_record(project_a, "k4", 4, "SM4"));
  ASSERT_TRUE(store.insert(made.back()));
  auto other = make_record(project_b, "elsewhere", 9);
  ASSERT_TRUE(store.insert(other));
  made[0].key.state = key_state::disabled;
  ASSERT_EQ(*store.update(made[0]), update_outcome::updated);

  // Newest first, ties by ascending key_id.
  const auto first_two = std::min(made[1].key.key_id, made[2].key.key_id);
  const auto second_two = std::max(made[1].key.key_id, made[2].key.key_id);
  const std::vector<kmscore::key_id> order{made[4].key.key_id, made[3].key.key_id, first_two,
                                           second_two, made[0].key.key_id};
  auto query = every_spec();
  query.limit = 1;
  for (std::size_t offset = 0; offset < order.size(); ++offset) {
    query.offset = offset;
    const auto page = store.list(project_a, query);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->total, 5U);
    ASSERT_EQ(page->records.size(), 1U) << offset;
    EXPECT_EQ(page->records[0].key.key_id, order[offset]) << offset;
    EXPECT_TRUE(page->records[0].key.material_versions.empty());  // metadata only
  }
  query.limit = 2;
  query.offset = 4;  // the last page: one key
  EXPECT_EQ(store.list(project_a, query)->records.size(), 1U);
  query.offset = 5;  // just past the end
  EXPECT_TRUE(store.list(project_a, query)->records.empty());
  query.offset = 1000;
  const auto past = store.list(project_a, query);
  EXPECT_TRUE(past->records.empty());
  EXPECT_EQ(past->total, 5U);

  auto aes = every_spec();
  aes.spec = kmscore::key_spec::aes_256;
  EXPECT_EQ(store.list(project_a, aes)->total, 4U);
  auto sm4 = every_spec();
  sm4.spec = kmscore::key_spec::sm4;
  EXPECT_EQ(store.list(project_a, sm4)->total, 1U);
  auto disabled = every_spec();
  disabled.state = key_state::disabled;
  const auto only_disabled = store.list(project_a, disabled);
  ASSERT_EQ(only_disabled->records.size(), 1U);
  EXPECT_EQ(only_disabled->records[0].key.key_id, made[0].key.key_id);
  auto enterprise = every_spec();
  enterprise.enterprise_project_id = "11111111-2222-3333-4444-555555555555";
  EXPECT_EQ(store.list(project_a, enterprise)->total, 0U);
  enterprise.enterprise_project_id = "0";
  EXPECT_EQ(store.list(project_a, enterprise)->total, 5U);
  EXPECT_EQ(store.list(project_b, every_spec())->total, 1U);
}

// The service retries a compare-and-set conflict (another writer came first) from a fresh
// read, and reports one that persists as 500 with a diagnostics line.
TYPED_TEST(StoreTest, ServiceRetriesConflictsAndReportsPersistentOnes) {
  auto& store = this->store();
  kmscore::backend::cryptopp backend;
  std::vector<std::string> reported;
  const auto project = *store.find_project(project_a);
  kmscore::kms_service service{backend, store, *project, kmscore::datakey_length_policy::range,
                               [&](std::string_view line) { reported.emplace_back(line); }};
  kmscore::create_key_request create;
  create.key_alias = "contended";
  const auto made = service.template run<kmscore::actions::create_key>(create, 1);
  ASSERT_TRUE(made);
  const kmscore::key_id_request id{made->key.key_id.str(), std::nullopt};
  // A store that lets another writer in before each of our updates, `interferences` times.
  class interfering final : public kmscore::key_store {
   public:
    interfering(kmscore::key_store& inner, int interferences)
        : inner_{&inner}, left_{interferences} {}
    kmscore::result<std::optional<kmscore::project>> find_project(
        const kmscore::project_id& id) override {
      return inner_->find_project(id);
    }
    kmscore::result<kmscore::project> ensure_project(const kmscore::project_id& id,
                                                     std::string_view domain) override {
      return inner_->ensure_project(id, domain);
    }
    kmscore::result<std::vector<kmscore::project>> list_projects() override {
      return inner_->list_projects();
    }
    kmscore::result<std::optional<kmscore::key_record>> find(const kmscore::project_id& project,
                                                             const kmscore::key_id& key) override {
      return inner_->find(project, key);
    }
    kmscore::result<std::optional<std::uint64_t>> revision_of(const kmscore::project_id& project,
                                                              const kmscore::key_id& key) override {
      return inner_->revision_of(project, key);
    }
    kmscore::result<std::optional<kmscore::key_record>> find_by_alias(
        const kmscore::project_id& project, std::string_view alias) override {
      return inner_->find_by_alias(project, alias);
    }
    kmscore::result<void> insert(kmscore::key_record& record) override {
      return inner_->insert(record);
    }
    kmscore::result<std::vector<kmscore::tag_values>> list_tags(const kmscore::project_id& project,
                                                                std::int64_t now_ms) override {
      return inner_->list_tags(project, now_ms);
    }
    kmscore::result<update_outcome> update(kmscore::key_record& record) override {
      if (left_ > 0) {
        --left_;
        auto theirs = std::move(**inner_->find(record.project_id, record.key.key_id));
        theirs.key_description = "another writer";
        (void)inner_->update(theirs);
      }
      return inner_->update(record);
    }
    kmscore::result<update_outcome> remove(const kmscore::project_id& project,
                                           const kmscore::key_id& key,
                                           std::uint64_t revision) override {
      return inner_->remove(project, key, revision);
    }
    kmscore::result<kmscore::key_list_page> list(const kmscore::project_id& project,
                                                 const kmscore::key_list_query& query) override {
      return inner_->list(project, query);
    }
    kmscore::result<std::optional<kmscore::alias_entry>> find_alias(
        const kmscore::project_id& tenant, std::string_view alias, std::int64_t now_ms) override {
      return inner_->find_alias(tenant, alias, now_ms);
    }
    kmscore::result<kmscore::alias_outcome> add_alias(const kmscore::project_id& tenant,
                                                      const kmscore::alias_entry& entry,
                                                      std::int64_t now_ms) override {
      return inner_->add_alias(tenant, entry, now_ms);
    }
    kmscore::result<kmscore::alias_outcome> move_alias(const kmscore::project_id& tenant,
                                                       std::string_view alias,
                                                       const kmscore::key_id& from,
                                                       const kmscore::key_id& to,
                                                       std::int64_t now_ms) override {
      return inner_->move_alias(tenant, alias, from, to, now_ms);
    }
    kmscore::result<kmscore::alias_outcome> remove_aliases(
        const kmscore::project_id& tenant, const kmscore::key_id& key,
        const std::vector<std::string>& aliases) override {
      return inner_->remove_aliases(tenant, key, aliases);
    }
    kmscore::result<std::vector<kmscore::alias_entry>> list_aliases(
        const kmscore::project_id& tenant, const kmscore::alias_list_query& query) override {
      return inner_->list_aliases(tenant, query);
    }

   private:
    kmscore::key_store* inner_;
    int left_;
  };
  interfering twice{store, 2};
  kmscore::kms_service retrying{backend, twice, *project};
  const auto disabled =
      retrying.template run<kmscore::actions::disable_key>(id, kmscore_test::test_now_ms);
  ASSERT_TRUE(disabled);
  EXPECT_EQ(disabled->key.state, key_state::disabled);
  EXPECT_EQ(disabled->key_description, "another writer");  // built on the other write
  interfering always{store, 1000};
  kmscore::kms_service failing{backend, always, *project, kmscore::datakey_length_policy::range,
                               [&](std::string_view line) { reported.emplace_back(line); }};
  const auto refused =
      failing.template run<kmscore::actions::enable_key>(id, kmscore_test::test_now_ms);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code_string(), "KMS.0101");
  ASSERT_EQ(reported.size(), 1U);
  EXPECT_NE(reported[0].find(made->key.key_id.str()), std::string::npos);
}

// Writers race: 8 writers x 50 create-key make 400 usable keys; 8 racing for one alias make
// one key and seven KMS.1104. Separate processes for the stores that persist (each with its
// own connection), threads for the memory store.
template <class Kind, class Work>
void in_eight_writers(kmscore_test::store_under_test<Kind>& subject, Work work) {
  if constexpr (Kind::persistent) {
    std::vector<pid_t> children;
    children.reserve(8);
    for (int writer = 0; writer < 8; ++writer) {
      const pid_t child = ::fork();
      if (child == 0) {
        auto connection = subject.connect();
        ::_exit(connection && work(*connection, writer) ? 0 : 1);
      }
      children.push_back(child);
    }
    for (const pid_t child : children) {
      int status = 1;
      ::waitpid(child, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
  } else {
    std::vector<std::thread> threads;
    threads.reserve(8);
    std::atomic<int> failed{0};
    for (int writer = 0; writer < 8; ++writer) {
      threads.emplace_back([&, writer] {
        if (!work(subject.store(), writer)) ++failed;
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failed.load(), 0);
  }
}

TYPED_TEST(StoreTest, EightWritersTimesFiftyCreateKeysLoseNothing) {
  in_eight_writers(this->subject_, [](kmscore::key_store& store, int writer) {
    kmscore::backend::cryptopp backend;
    const auto project = store.find_project(project_a);
    if (!project || !*project) return false;
    kmscore::kms_service service{backend, store, **project};
    for (int i = 0; i < 50; ++i) {
      kmscore::create_key_request create;
      create.key_alias = "w" + std::to_string(writer) + "-" + std::to_string(i);
      if (!service.template run<kmscore::actions::create_key>(create, i)) return false;
    }
    return true;
  });
  auto query = every_spec();
  const auto all = this->store().list(project_a, query);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->total, 400U);
  ASSERT_EQ(all->records.size(), 400U);
  kmscore::backend::cryptopp backend;
  kmscore::kms_service service{backend, this->store(), **this->store().find_project(project_a)};
  std::set<std::string> aliases;
  for (const auto& listed : all->records) {
    aliases.insert(listed.key_alias);
    kmscore::create_datakey_request request;
    request.key_id = listed.key.key_id.str();
    request.datakey_length = "256";
    EXPECT_TRUE(
        service.template run<kmscore::actions::create_datakey>(request, kmscore_test::test_now_ms))
        << listed.key_alias;
  }
  EXPECT_EQ(aliases.size(), 400U);
}

TYPED_TEST(StoreTest, EightWritersRacingForOneAliasMakeOneKey) {
  std::atomic<int> winners{0};
  // Exit status carries the outcome for processes: 0 won, 0 also for KMS.1104 (counted by
  // the list below), anything else failed.
  in_eight_writers(this->subject_, [&](kmscore::key_store& store, int /*writer*/) {
    auto record = make_record(project_a, "race", 1);
    const auto inserted = store.insert(record);
    if (inserted) ++winners;
    return inserted || inserted.error().code() == errc::duplicate_key_alias;
  });
  const auto listed = this->store().list(project_a, every_spec());
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->total, 1U);
  if constexpr (!TypeParam::persistent) {
    EXPECT_EQ(winners.load(), 1);
  }
}

// Eight writers rename eight keys to one alias at once: exactly one key holds it after.
TYPED_TEST(StoreTest, EightWritersRenamingToOneAliasLeaveOneHolder) {
  for (int i = 0; i < 8; ++i) {
    auto record = make_record(project_a, "writer-" + std::to_string(i), 30 + i);
    ASSERT_TRUE(this->store().insert(record));
  }
  in_eight_writers(this->subject_, [&](kmscore::key_store& store, int writer) {
    auto found = store.find_by_alias(project_a, "writer-" + std::to_string(writer));
    if (!found || !*found) return false;
    auto record = std::move(**found);
    record.key_alias = "renamed";
    const auto outcome = store.update(record);
    return outcome ? *outcome == update_outcome::updated
                   : outcome.error().code() == errc::duplicate_key_alias;
  });
  const auto listed = this->store().list(project_a, every_spec());
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->total, 8U);
  int holders = 0;
  for (const auto& record : listed->records) holders += record.key_alias == "renamed" ? 1 : 0;
  EXPECT_EQ(holders, 1);
  EXPECT_TRUE(*this->store().find_by_alias(project_a, "renamed"));
}

// Rotation under concurrency: eight writers rotate one key and make data keys under it at
// once; every rotation that answered 200 is a version (compare-and-set: none is lost), and
// every envelope made meanwhile decrypts.
TYPED_TEST(StoreTest, ConcurrentRotationsLoseNoVersionAndEveryEnvelopeDecrypts) {
  kmscore::backend::cryptopp backend;
  const auto project = *this->store().find_project(project_a);
  kmscore::kms_service service{backend, this->store(), *project};
  kmscore::create_key_request create;
  create.key_alias = "rotating";
  const auto made = service.template run<kmscore::actions::create_key>(create, 1);
  ASSERT_TRUE(made);
  const std::string id = made->key.key_id.str();
  char pattern[] = "/tmp/kmscore-rotation-XXXXXX";
  const std::string dir = ::mkdtemp(pattern);
  in_eight_writers(this->subject_, [&](kmscore::key_store& store, int writer) {
    kmscore::backend::cryptopp own;
    kmscore::kms_service mine{own, store, *project};
    std::string lines;
    int rotations = 0;
    for (int i = 0; i < 5; ++i) {
      if (mine.template run<kmscore::actions::rotate_key>({id, std::nullopt}, i)) ++rotations;
      kmscore::create_datakey_request request;
      request.key_id = id;
      request.datakey_length = "256";
      const auto dek =
          mine.template run<kmscore::actions::create_datakey>(request, kmscore_test::test_now_ms);
      if (!dek) return false;
      lines += std::string{dek->cipher_text()} + " " + std::string{dek->expose_plain_text()} + "\n";
    }
    lines += "rotations " + std::to_string(rotations) + "\n";
    FILE* out = std::fopen((dir + "/w" + std::to_string(writer)).c_str(), "w");
    const bool written = out != nullptr && std::fputs(lines.c_str(), out) >= 0;
    if (out != nullptr) (void)std::fclose(out);
    return written;
  });
  int rotations = 0;
  int envelopes = 0;
  for (int writer = 0; writer < 8; ++writer) {
    FILE* in = std::fopen((dir + "/w" + std::to_string(writer)).c_str(), "r");
    ASSERT_NE(in, nullptr);
    char cipher[512];
    char plain[128];
    while (std::fscanf(in, "%511s %127s", cipher, plain) == 2) {
      if (std::string{cipher} == "rotations") {
        rotations += std::stoi(plain);
        continue;
      }
      kmscore::decrypt_datakey_request request;
      request.key_id = id;
      request.cipher_text = cipher;
      request.datakey_cipher_length = "32";
      const auto opened = service.template run<kmscore::actions::decrypt_datakey>(
          request, kmscore_test::test_now_ms);
      ASSERT_TRUE(opened) << opened.error().code_string();
      EXPECT_EQ(opened->expose_data_key(), plain);
      ++envelopes;
    }
    (void)std::fclose(in);
  }
  fs::remove_all(dir);
  EXPECT_EQ(envelopes, 40);
  EXPECT_GE(rotations, 8);  // retried conflicts: most rotations land
  const auto after = this->store().find(project_a, made->key.key_id);
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->key.material_versions.size(), static_cast<std::size_t>(rotations) + 1);
  EXPECT_EQ((*after)->number_of_rotations, static_cast<std::uint32_t>(rotations));
}

// The key cache (key_cache.hpp): a key's derived state is reused while its revision holds,
// and a change made through another connection (another host) is seen at once.
TYPED_TEST(StoreTest, KeyCacheReusesDerivedStateUntilTheRevisionChanges) {
  kmscore::backend::cryptopp backend;
  const auto project = *this->store().find_project(project_a);
  kmscore::key_cache<kmscore::backend::cryptopp> cache{backend, 2};
  kmscore::kms_service cached_service{
      backend, this->store(), *project, kmscore::datakey_length_policy::range, {}, &cache};
  kmscore::create_key_request create;
  create.key_alias = "cached";
  const auto made = cached_service.template run<kmscore::actions::create_key>(create, 1);
  ASSERT_TRUE(made);
  const std::string id = made->key.key_id.str();
  kmscore::create_datakey_request request;
  request.key_id = id;
  request.datakey_length = "256";
  const auto first = cached_service.template run<kmscore::actions::create_datakey>(
      request, kmscore_test::test_now_ms);
  ASSERT_TRUE(first);
  const auto entry = cache.get(this->store(), project_a, made->key.key_id);
  ASSERT_TRUE(entry && *entry);
  const auto again = cache.get(this->store(), project_a, made->key.key_id);
  EXPECT_EQ(entry->get(), again->get());  // the same derived state, not rebuilt
  kmscore::decrypt_datakey_request decrypt;
  decrypt.key_id = id;
  decrypt.cipher_text = std::string{first->cipher_text()};
  decrypt.datakey_cipher_length = "32";
  const auto opened = cached_service.template run<kmscore::actions::decrypt_datakey>(
      decrypt, kmscore_test::test_now_ms);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->expose_data_key(), first->expose_plain_text());

  // Another host (another connection, no cache) disables the key, then rotates it.
  std::unique_ptr<kmscore_host::durable_key_store> other_connection;
  kmscore::key_store* other = &this->store();
  if constexpr (TypeParam::persistent) {
    other_connection = this->subject_.connect();
    other = other_connection.get();
  }
  kmscore::kms_service other_host{backend, *other, *project};
  ASSERT_TRUE(other_host.template run<kmscore::actions::disable_key>({id, std::nullopt},
                                                                     kmscore_test::test_now_ms));
  EXPECT_EQ(cached_service
                .template run<kmscore::actions::create_datakey>(request, kmscore_test::test_now_ms)
                .error()
                .code_string(),
            "KMS.0209");
  ASSERT_TRUE(other_host.template run<kmscore::actions::enable_key>({id, std::nullopt},
                                                                    kmscore_test::test_now_ms));
  ASSERT_TRUE(other_host.template run<kmscore::actions::rotate_key>({id, std::nullopt}, 2));
  const auto after = cached_service.template run<kmscore::actions::create_datakey>(
      request, kmscore_test::test_now_ms);
  ASSERT_TRUE(after);
  std::vector<kmscore::byte> blob(after->cipher_text().size() / 2);
  ASSERT_TRUE(kmscore::hex_decode(after->cipher_text(), blob));
  EXPECT_EQ(kmscore::parse_envelope(blob)->key_version(), 1U);  // the new version at once
  EXPECT_TRUE(cached_service.template run<kmscore::actions::decrypt_datakey>(
      decrypt, kmscore_test::test_now_ms));  // the old one still opens
  // Bounded: two keys fit, a third evicts the least recently used.
  for (const char* alias : {"second", "third"}) {
    kmscore::create_key_request more;
    more.key_alias = alias;
    const auto key = cached_service.template run<kmscore::actions::create_key>(more, 1);
    ASSERT_TRUE(key);
    request.key_id = key->key.key_id.str();
    ASSERT_TRUE(cached_service.template run<kmscore::actions::create_datakey>(
        request, kmscore_test::test_now_ms));
  }
  EXPECT_EQ(cache.size(), 2U);
  // A key that is gone is not served from the cache.
  kmscore::key_id_request unknown{"00000000-0000-4000-8000-000000000000", std::nullopt};
  request.key_id = unknown.key_id;
  EXPECT_EQ(cached_service
                .template run<kmscore::actions::create_datakey>(request, kmscore_test::test_now_ms)
                .error()
                .code_string(),
            "KMS.0207");
}

// Deletion (issue 24): from its deletion date on, by the clock the actions are given, a key
// is gone on every path before any sweep: every action that names it answers 404 KMS.0207
// (the key cache included), list-keys neither lists nor counts it, its alias is free again and
// nothing under it decrypts; the maintenance pass then removes its record. Each is checked
// one millisecond before the date too, where none of it holds.
TYPED_TEST(StoreTest, PastItsDeletionDateAKeyIsGoneOnEveryPathThenRemoved) {
  using nlohmann::json;
  constexpr std::int64_t day = 86'400'000;
  constexpr std::int64_t t0 = 1'700'000'000'000;
  constexpr std::int64_t date = t0 + 7 * day;  // pending_days 7, scheduled at t0
  kmscore::backend::cryptopp backend;
  auto& store = this->store();
  const auto project = *store.find_project(project_a);
  kmscore::key_cache<kmscore::backend::cryptopp> cache{backend};
  kmscore::kms_service service{backend, store, *project, kmscore::datakey_length_policy::range,
                               {},      &cache};
  const auto call = [&](std::string_view action, const json& body, std::int64_t now) {
    const auto response = kmscore::handle_json(service, action, body.dump(), now);
    const auto text = response.text();
    return std::pair{response.status, text.empty() ? json::object() : json::parse(text)};
  };
  const auto code = [&](std::string_view action, const json& body, std::int64_t now) {
    const auto [status, reply] = call(action, body, now);
    return status / 100 == 2 ? std::to_string(status)
                             : reply["error"]["error_code"].template get<std::string>();
  };
  const auto make = [&](const std::string& alias, const json& extra = json::object()) {
    json body = {{"key_alias", alias}};
    body.update(extra);
    const auto [status, reply] = call("create-key", body, t0);
    EXPECT_EQ(status, 200) << reply;
    return reply["key_info"]["key_id"].template get<std::string>();
  };
  const auto doomed = make("doomed");
  const auto signer =
      make("doomed-signer", {{"key_spec", "EC_P256"}, {"key_usage", "SIGN_VERIFY"}});
  const auto swept = make("doomed-swept");
  const auto mac_key = make("doomed-mac", {{"key_spec", "HMAC_256"}});
  const auto kept = make("kept");
  const auto datakey = call("create-datakey", {{"key_id", doomed}, {"datakey_length", "256"}}, t0);
  const auto kept_datakey =
      call("create-datakey", {{"key_id", kept}, {"datakey_length", "256"}}, t0);
  const auto sealed = call("encrypt-data", {{"key_id", doomed}, {"plain_text", "hello"}}, t0);
  const json message = {{"key_id", signer},
                        {"message", "aGVsbG8="},
                        {"signing_algorithm", "ECDSA_SHA_256"},
                        {"message_type", "RAW"}};
  ASSERT_EQ(datakey.first, 200);
  ASSERT_EQ(kept_datakey.first, 200);
  ASSERT_EQ(sealed.first, 200);
  const auto opened = call("decrypt-datakey",
                           {{"key_id", doomed},
                            {"cipher_text", datakey.second["cipher_text"]},
                            {"datakey_cipher_length", "32"}},
                           t0);
  ASSERT_EQ(opened.first, 200);
  const std::string plain = datakey.second["plain_text"].template get<std::string>() +
                            opened.second["datakey_dgst"].template get<std::string>();
  for (const auto& [id, value] : {std::pair{doomed, "doomed"}, std::pair{kept, "kept"}}) {
    ASSERT_EQ(
        code("create-kms-tag", {{"key_id", id}, {"tag", {{"key", "env"}, {"value", value}}}}, t0),
        "204");
  }
  ASSERT_EQ(code("create-alias", {{"key_id", doomed}, {"alias", "alias/doomed"}}, t0), "201");
  ASSERT_EQ(code("create-alias", {{"key_id", kept}, {"alias", "alias/kept"}}, t0), "201");
  for (const auto& id : {doomed, signer, swept, mac_key}) {
    ASSERT_EQ(code("schedule-key-deletion", {{"key_id", id}, {"pending_days", "7"}}, t0), "200");
  }
  json verify = message;
  verify["signature"] = std::string(96, 'A');  // well-formed base64; checked against the key
  const std::string cipher = datakey.second["cipher_text"];
  const json decrypt = {
      {"key_id", doomed}, {"cipher_text", cipher}, {"datakey_cipher_length", "32"}};
  json rewrap_from = decrypt;
  rewrap_from["destination_key_id"] = kept;
  json rewrap_to = {{"key_id", kept},
                    {"cipher_text", kept_datakey.second["cipher_text"]},
                    {"datakey_cipher_length", "32"},
                    {"destination_key_id", doomed}};
  const json named = {{"key_id", doomed}};
  const std::vector<std::pair<std::string, json>> uses{
      {"describe-key", named},
      {"enable-key", named},
      {"disable-key", named},
      {"schedule-key-deletion", {{"key_id", doomed}, {"pending_days", "7"}}},
      {"create-datakey", {{"key_id", doomed}, {"datakey_length", "256"}}},
      {"create-datakey-without-plaintext", {{"key_id", doomed}, {"datakey_length", "256"}}},
      {"encrypt-datakey",
       {{"key_id", doomed}, {"plain_text", plain}, {"datakey_plain_length", "32"}}},
      {"decrypt-datakey", decrypt},
      {"re-encrypt-datakey", rewrap_from},
      {"re-encrypt-datakey", rewrap_to},
      {"encrypt-data", {{"key_id", doomed}, {"plain_text", "hello"}}},
      {"decrypt-data", {{"cipher_text", sealed.second["cipher_text"]}}},
      {"get-key-rotation-status", named},
      {"enable-key-rotation", named},
      {"disable-key-rotation", named},
      {"rotate-key", named},
      {"update-key-rotation-interval", {{"key_id", doomed}, {"rotation_interval", 30}}},
      {"update-key-min-decryption-version", {{"key_id", doomed}, {"min_decryption_version", 0}}},
      {"update-key-alias", {{"key_id", doomed}, {"key_alias", "renamed"}}},
      {"update-key-description", {{"key_id", doomed}, {"key_description", "d"}}},
      {"create-kms-tag", {{"key_id", doomed}, {"tag", {{"key", "k"}}}}},
      {"batch-create-kms-tags",
       {{"key_id", doomed}, {"action", "delete"}, {"tags", {{{"key", "env"}}}}}},
      {"delete-tag", {{"key_id", doomed}, {"key", "env"}}},
      {"show-kms-tags", named},
      {"sign", message},
      {"verify", verify},
      {"get-publickey", {{"key_id", signer}}},
      {"create-ec-datakey-pair", {{"key_id", doomed}, {"key_spec", "ECC_NIST_P256"}}},
      {"create-rsa-datakey-pair", {{"key_id", doomed}, {"key_spec", "RSA_2048"}}},
      {"generate-mac",
       {{"key_id", mac_key}, {"mac_algorithm", "HMAC_SHA_256"}, {"message", "aGVsbG8="}}},
      {"verify-mac",
       {{"key_id", mac_key},
        {"mac_algorithm", "HMAC_SHA_256"},
        {"message", "aGVsbG8="},
        {"mac", "00"}}},
      {"get-parameters-for-import", {{"key_id", doomed}, {"wrapping_algorithm", "SM2_ENCRYPT"}}},
      {"import-key-material",
       {{"key_id", doomed},
        {"import_token", std::string(200, 'A')},
        {"encrypted_key_material", "AAAA"}}},
      {"delete-imported-key-material", named},
      {"create-alias", {{"key_id", doomed}, {"alias", "alias/another"}}},
      {"delete-alias", {{"key_id", doomed}, {"aliases", {"alias/kept"}}}},
      {"list-aliases", named},
      {"associate-alias", {{"alias", "alias/kept"}, {"target_key_id", doomed}}},
      {"cancel-key-deletion", named},  // last: before the date it would bring the key back
  };
  // Every action that names a key is here (an action added later must be added too); the
  // project-wide reads are checked below.
  const std::vector<std::string_view> project_wide{
      "create-key",       "list-keys",        "gen-random",         "list-kms-tags",
      "list-kms-by-tags", "show-user-quotas", "show-user-instances"};
  for (const auto name : kmscore::action_names) {
    if (std::find(project_wide.begin(), project_wide.end(), name) != project_wide.end()) continue;
    EXPECT_TRUE(std::any_of(uses.begin(), uses.end(), [&](const auto& use) {
      return use.first == name;
    })) << name;
  }
  for (const auto& [action, body] : uses) {
    if (action == "cancel-key-deletion") continue;  // the one that would change the outcome
    EXPECT_NE(code(action, body, date - 1), "KMS.0207") << action << " before the date";
  }
  const auto listed = [&](std::int64_t now) {
    const auto [status, reply] = call("list-keys", {{"key_spec", "ALL"}}, now);
    EXPECT_EQ(status, 200);
    return std::pair{reply["keys"].size(), reply["total"].template get<std::size_t>()};
  };
  EXPECT_EQ(listed(date - 1), (std::pair<std::size_t, std::size_t>{5, 5}));
  for (const auto& [action, body] : uses) {
    const auto [status, reply] = call(action, body, date);
    EXPECT_EQ(status, 404) << action << " " << reply;
    EXPECT_EQ(reply["error"]["error_code"], "KMS.0207") << action;
  }
  EXPECT_EQ(listed(date), (std::pair<std::size_t, std::size_t>{1, 1}));
  // The project-wide reads of api-metadata.md leave the gone keys out from the date on.
  EXPECT_EQ(call("list-kms-tags", json::object(), date - 1).second,
            json::parse(R"({"tags":[{"key":"env","values":["doomed","kept"]}]})"));
  EXPECT_EQ(call("list-kms-tags", json::object(), date).second,
            json::parse(R"({"tags":[{"key":"env","values":["kept"]}]})"));
  const auto aliases_at = [&](std::int64_t now) {
    std::vector<std::string> names;
    const auto reply = call("list-aliases", json::object(), now);
    EXPECT_EQ(reply.first, 200) << reply.second;
    for (const auto& entry : reply.second["aliases"]) {
      names.push_back(entry["alias"]);
    }
    return names;
  };
  EXPECT_EQ(aliases_at(date - 1), (std::vector<std::string>{"alias/doomed", "alias/kept"}));
  EXPECT_EQ(aliases_at(date), std::vector<std::string>{"alias/kept"});
  const json by_env = {{"action", "filter"}, {"tags", {{{"key", "env"}}}}};
  EXPECT_EQ(call("list-kms-by-tags", by_env, date - 1).second["total_count"], 2);
  const auto found = call("list-kms-by-tags", by_env, date).second;
  EXPECT_EQ(found["total_count"], 1);
  ASSERT_EQ(found["resources"].size(), 1U);
  EXPECT_EQ(found["resources"][0]["resource_id"], kept);
  EXPECT_EQ(call("list-kms-by-tags", {{"action", "count"}}, date).second["total_count"], 1);
  EXPECT_EQ(call("show-user-instances", json::object(), date - 1).second["instance_num"], 5);
  EXPECT_EQ(call("show-user-instances", json::object(), date).second["instance_num"], 1);
  EXPECT_EQ(call("show-user-quotas", json::object(), date).second["quotas"]["resources"][0]["used"],
            1);
  const json state_filter = {{"key_state", "4"}, {"key_spec", "ALL"}};
  EXPECT_EQ(call("list-keys", state_filter, date - 1).second["total"], 4);
  EXPECT_EQ(call("list-keys", state_filter, date).second["total"], 0);
  // The other key's envelope still opens: only the gone key's are refused.
  EXPECT_EQ(code("decrypt-datakey",
                 {{"key_id", kept},
                  {"cipher_text", kept_datakey.second["cipher_text"]},
                  {"datakey_cipher_length", "32"}},
                 date),
            "200");
  // Aliases: taken until the date, free from it (the gone holder's record goes with it).
  EXPECT_EQ(code("create-key", {{"key_alias", "doomed"}}, date - 1), "KMS.1104");
  EXPECT_EQ(code("update-key-alias", {{"key_id", kept}, {"key_alias", "doomed-signer"}}, date - 1),
            "KMS.1104");
  EXPECT_EQ(code("create-key", {{"key_alias", "doomed"}}, date), "200");
  EXPECT_EQ(code("update-key-alias", {{"key_id", kept}, {"key_alias", "doomed-signer"}}, date),
            "200");
  EXPECT_FALSE(*store.find(project_a, *kmscore::key_id::parse(doomed)));
  EXPECT_FALSE(*store.find(project_a, *kmscore::key_id::parse(signer)));
  // The pass removes what remains, once, and only from the date on.
  const auto pass = [&](std::int64_t now) {
    const auto done = kmscore::maintain(backend, store, now);
    EXPECT_TRUE(done);
    return done ? done->deleted : 99;
  };
  EXPECT_EQ(pass(date - 1), 0U);
  EXPECT_TRUE(*store.find(project_a, *kmscore::key_id::parse(swept)));
  EXPECT_TRUE(*store.find(project_a, *kmscore::key_id::parse(mac_key)));
  EXPECT_EQ(pass(date), 2U);  // swept and the MAC key (no write path freed its alias)
  EXPECT_FALSE(*store.find(project_a, *kmscore::key_id::parse(swept)));
  EXPECT_FALSE(*store.find(project_a, *kmscore::key_id::parse(mac_key)));
  EXPECT_FALSE(*store.revision_of(project_a, *kmscore::key_id::parse(swept)));
  EXPECT_EQ(pass(date), 0U);
  kmscore::key_list_query everything = every_spec();        // now_ms unset: gone keys too
  EXPECT_EQ(store.list(project_a, everything)->total, 2U);  // kept, and the new "doomed"
}

// Tags (api-metadata.md §3) live in the record and, in the database stores, in key_tags rows
// written with it: found, filtered (keys ANDed, values ORed, alias substring), listed per
// project, replaced by an update and removed with the key, alike on every store.
TYPED_TEST(StoreTest, TagsAreStoredFilteredListedAndRemovedWithTheirKey) {
  auto& store = this->store();
  auto web = make_record(project_a, "team-web", 10);
  web.tags = {{"env", "prod"}, {"team", "web"}, {"环境", "生产 1"}};
  auto db = make_record(project_a, "team-db", 11);
  db.tags = {{"env", "dev"}};
  auto other = make_record(project_b, "team-web", 12);  // another project's
  other.tags = {{"env", "prod"}};
  ASSERT_TRUE(store.insert(web));
  ASSERT_TRUE(store.insert(db));
  ASSERT_TRUE(store.insert(other));
  EXPECT_EQ((*store.find(project_a, web.key.key_id))->tags, web.tags);
  // An update replaces the key's tags whole.
  db.tags = {{"env", "prod"}, {"x", "y"}};
  ASSERT_EQ(*store.update(db), update_outcome::updated);
  EXPECT_EQ((*store.find(project_a, db.key.key_id))->tags, db.tags);
  const auto found = [&](std::vector<kmscore::tag_filter> tags,
                         std::optional<std::string> alias = std::nullopt) {
    auto query = every_spec();
    query.tags = std::move(tags);
    query.alias_contains = std::move(alias);
    query.now_ms = 100;
    const auto page = store.list(project_a, query);
    EXPECT_TRUE(page);
    std::vector<std::string> aliases;
    for (const auto& record : page->records) aliases.push_back(record.key_alias);
    EXPECT_EQ(page->total, aliases.size());
    return aliases;
  };
  using aliases = std::vector<std::string>;
  EXPECT_EQ(found({{"env", {}}}), (aliases{"team-db", "team-web"}));
  EXPECT_EQ(found({{"env", {"dev"}}}), aliases{});  // the old value went with the update
  EXPECT_EQ(found({{"env", {"dev", "prod"}}, {"x", {}}}), aliases{"team-db"});
  EXPECT_EQ(found({{"环境", {"生产 1"}}}), aliases{"team-web"});
  EXPECT_EQ(found({{"env", {"prod"}}}, "web"), aliases{"team-web"});
  EXPECT_EQ(found({}, "team-"), (aliases{"team-db", "team-web"}));
  EXPECT_EQ(found({}, "TEAM"), aliases{});
  EXPECT_EQ(found({}, "%"), aliases{});  // no pattern characters: a plain substring
  EXPECT_EQ(found({}, "_"), aliases{});
  const auto listed = store.list_tags(project_a, 100);
  ASSERT_TRUE(listed);
  std::vector<std::pair<std::string, std::vector<std::string>>> tags;
  for (const auto& tag : *listed) tags.emplace_back(tag.key, tag.values);
  EXPECT_EQ(tags, (std::vector<std::pair<std::string, std::vector<std::string>>>{
                      {"env", {"prod"}}, {"team", {"web"}}, {"x", {"y"}}, {"环境", {"生产 1"}}}));
  // A key gone at the time is left out; its removal takes its tags.
  db.key.state = key_state::scheduled_deletion;
  db.scheduled_deletion_date_ms = 50;
  ASSERT_EQ(*store.update(db), update_outcome::updated);
  EXPECT_EQ(store.list_tags(project_a, 49)->size(), 4U);
  EXPECT_EQ(store.list_tags(project_a, 50)->size(), 3U);  // no x
  ASSERT_EQ(*store.remove(project_a, web.key.key_id, web.revision), update_outcome::updated);
  EXPECT_EQ(store.list_tags(project_a, 49)->size(), 2U);  // db's env and x
  EXPECT_EQ(store.list_tags(project_b, 49)->size(), 1U);
}

// Aliases (api-metadata.md §5): added unique in the project, at most 50 per key, moved by
// compare-and-set on the key they name, removed all or nothing, listed in byte order, gone
// with their key's deletion date and removed with the key.
TYPED_TEST(StoreTest, AliasesAreAddedMovedListedAndRemovedWithTheirKey) {
  auto& store = this->store();
  auto first = make_record(project_a, "first", 10);
  auto second = make_record(project_a, "second", 11);
  auto foreign = make_record(project_b, "first", 12);
  ASSERT_TRUE(store.insert(first));
  ASSERT_TRUE(store.insert(second));
  ASSERT_TRUE(store.insert(foreign));
  const auto& a = first.key.key_id;
  const auto& b = second.key.key_id;
  using kmscore::alias_outcome;
  const auto add = [&](const kmscore::project_id& project, const kmscore::key_id& key,
                       const std::string& alias, std::int64_t now = 100) {
    const auto added = store.add_alias(project, {alias, key, now, now}, now);
    EXPECT_TRUE(added) << alias;
    return added ? *added : alias_outcome::done;
  };
  EXPECT_EQ(add(project_a, a, "alias/b"), alias_outcome::done);
  EXPECT_EQ(add(project_a, a, "alias/B"), alias_outcome::done);
  EXPECT_EQ(add(project_a, b, "alias/b"), alias_outcome::taken);
  EXPECT_EQ(add(project_b, foreign.key.key_id, "alias/b"), alias_outcome::done);
  for (int i = 2; i < 50; ++i) {
    ASSERT_EQ(add(project_a, a, "alias/n" + std::to_string(i / 10) + std::to_string(i % 10)),
              alias_outcome::done);
  }
  EXPECT_EQ(add(project_a, a, "alias/one-more"), alias_outcome::full);
  EXPECT_EQ(add(project_a, a, "alias/b"), alias_outcome::taken);  // taken before full (§5.2)
  EXPECT_EQ(add(project_a, a, "alias/B"), alias_outcome::taken);  // its own
  const auto list = [&](const kmscore::project_id& project, std::optional<kmscore::key_id> key,
                        std::string after, std::size_t limit, std::int64_t now = 100) {
    kmscore::alias_list_query query;
    query.key_id = key;
    query.after = std::move(after);
    query.limit = limit;
    query.now_ms = now;
    const auto page = store.list_aliases(project, query);
    EXPECT_TRUE(page);
    std::vector<std::string> names;
    for (const auto& entry : *page) names.push_back(entry.alias);
    return names;
  };
  using names = std::vector<std::string>;
  EXPECT_EQ(list(project_a, std::nullopt, "", 3), (names{"alias/B", "alias/b", "alias/n02"}));
  EXPECT_EQ(list(project_a, std::nullopt, "alias/n48", 5), (names{"alias/n49"}));
  EXPECT_EQ(list(project_a, b, "", 5), names{});
  EXPECT_EQ(list(project_b, std::nullopt, "", 5), names{"alias/b"});
  // The entry as stored.
  const auto found = store.find_alias(project_a, "alias/b", 100);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->key_id, a);
  EXPECT_EQ((*found)->create_time_ms, 100);
  EXPECT_FALSE(*store.find_alias(project_a, "alias/none", 100));
  EXPECT_FALSE(*store.find_alias(project_b, "alias/B", 100));
  // A move from a key the alias no longer names is refused; a full target refuses another's.
  EXPECT_EQ(*store.move_alias(project_a, "alias/b", b, b, 200), alias_outcome::moved);
  EXPECT_EQ(*store.move_alias(project_a, "alias/none", a, b, 200), alias_outcome::moved);
  ASSERT_EQ(*store.move_alias(project_a, "alias/b", a, b, 200), alias_outcome::done);
  EXPECT_EQ(*store.move_alias(project_a, "alias/b", b, a, 200), alias_outcome::done);  // 50 again
  ASSERT_EQ(add(project_a, b, "alias/c"), alias_outcome::done);
  EXPECT_EQ(*store.move_alias(project_a, "alias/c", b, a, 300), alias_outcome::full);
  // A stale read (alias/b names a, not b) is moved, whatever the full target says: retried,
  // it succeeds onto a, which holds it already.
  EXPECT_EQ(*store.move_alias(project_a, "alias/b", b, a, 300), alias_outcome::moved);
  EXPECT_EQ(*store.move_alias(project_a, "alias/b", a, a, 300), alias_outcome::done);
  EXPECT_EQ(*store.move_alias(project_a, "alias/c", b, b, 300), alias_outcome::done);
  const auto moved = store.find_alias(project_a, "alias/c", 300);
  EXPECT_EQ((*moved)->create_time_ms, 100);
  EXPECT_EQ((*moved)->update_time_ms, 300);
  // Removal: all named aliases of the key, or none.
  EXPECT_EQ(*store.remove_aliases(project_a, a, {"alias/B", "alias/c"}),
            alias_outcome::not_associated);
  EXPECT_TRUE(*store.find_alias(project_a, "alias/B", 100));
  EXPECT_EQ(*store.remove_aliases(project_a, a, {"alias/B", "alias/B", "alias/n02"}),
            alias_outcome::done);
  EXPECT_FALSE(*store.find_alias(project_a, "alias/B", 100));
  EXPECT_EQ(list(project_a, a, "", 100).size(), 48U);
  // Gone at its deletion date: neither found nor listed, and free for another key.
  second.key.state = key_state::scheduled_deletion;
  second.scheduled_deletion_date_ms = 500;
  ASSERT_EQ(*store.update(second), update_outcome::updated);
  EXPECT_TRUE(*store.find_alias(project_a, "alias/c", 499));
  EXPECT_FALSE(*store.find_alias(project_a, "alias/c", 500));
  EXPECT_EQ(list(project_a, b, "", 5, 499), names{"alias/c"});
  EXPECT_EQ(list(project_a, b, "", 5, 500), names{});
  EXPECT_EQ(add(project_a, a, "alias/c", 499), alias_outcome::taken);
  EXPECT_EQ(add(project_a, a, "alias/c", 500), alias_outcome::done);
  // The key is checked inside the write: pending deletion (scheduled since it was read), or
  // not there (removed since).
  EXPECT_EQ(add(project_a, b, "alias/late", 400), alias_outcome::key_pending);
  EXPECT_EQ(*store.move_alias(project_a, "alias/c", a, b, 400), alias_outcome::key_pending);
  // Removing a key removes its aliases.
  ASSERT_EQ(*store.remove(project_a, a, first.revision), update_outcome::updated);
  EXPECT_EQ(list(project_a, std::nullopt, "", 100), names{});
  EXPECT_EQ(add(project_a, a, "alias/late"), alias_outcome::no_key);
  EXPECT_EQ(*store.move_alias(project_a, "alias/b", foreign.key.key_id, a, 500),
            alias_outcome::no_key);
  EXPECT_EQ(list(project_b, std::nullopt, "", 5), names{"alias/b"});
}

// Eight writers give one alias to eight keys at once: one holds it. Then eight writers add
// ten aliases each to one key holding ten: it ends with exactly fifty.
TYPED_TEST(StoreTest, EightWritersRacingForAliasesKeepThemUniqueAndCounted) {
  std::vector<kmscore::key_id> keys;
  for (int i = 0; i < 8; ++i) {
    auto record = make_record(project_a, "holder-" + std::to_string(i), 40 + i);
    ASSERT_TRUE(this->store().insert(record));
    keys.push_back(record.key.key_id);
  }
  // The writers' outcomes, counted in memory shared over fork() (writers of a persistent
  // store are processes): exactly one is told done, the seven others taken.
  void* shared = ::mmap(nullptr, 2 * sizeof(std::atomic<int>), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED);
  auto* done = new (shared) std::atomic<int>{0};
  auto* taken = new (done + 1) std::atomic<int>{0};
  in_eight_writers(this->subject_, [&](kmscore::key_store& store, int writer) {
    const auto i = static_cast<std::size_t>(writer);
    const auto added = store.add_alias(project_a, {"alias/race", keys[i], 1, 1}, 1);
    if (!added) return false;
    if (*added == kmscore::alias_outcome::done) ++*done;
    if (*added == kmscore::alias_outcome::taken) ++*taken;
    return *added == kmscore::alias_outcome::done || *added == kmscore::alias_outcome::taken;
  });
  EXPECT_EQ(done->load(), 1);
  EXPECT_EQ(taken->load(), 7);
  ::munmap(shared, 2 * sizeof(std::atomic<int>));
  kmscore::alias_list_query query;
  query.now_ms = 1;
  auto listed = this->store().list_aliases(project_a, query);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1U);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        this->store().add_alias(project_a, {"alias/seed" + std::to_string(i), keys[0], 1, 1}, 1));
  }
  in_eight_writers(this->subject_, [&](kmscore::key_store& store, int writer) {
    for (int i = 0; i < 10; ++i) {
      const auto name = "alias/w" + std::to_string(writer) + "-" + std::to_string(i);
      const auto added = store.add_alias(project_a, {name, keys[0], 1, 1}, 1);
      if (!added) return false;
    }
    return true;
  });
  query.key_id = keys[0];
  listed = this->store().list_aliases(project_a, query);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 50U);  // whichever key holds alias/race
}

// remove is compare-and-set on the revision, takes the alias with the record, and answers
// KMS.0207 for a record that is not there.
TYPED_TEST(StoreTest, RemoveIsCompareAndSetAndFreesTheAlias) {
  auto& store = this->store();
  auto record = make_record(project_a, "removed", 10);
  ASSERT_TRUE(store.insert(record));
  const auto& id = record.key.key_id;
  EXPECT_EQ(*store.remove(project_a, id, 2), update_outcome::conflict);
  EXPECT_EQ(store.remove(project_b, id, 1).error().code_string(), "KMS.0207");  // not its project
  EXPECT_TRUE(*store.find(project_a, id));
  EXPECT_EQ(*store.remove(project_a, id, 1), update_outcome::updated);
  EXPECT_FALSE(*store.find(project_a, id));
  EXPECT_FALSE(*store.find_by_alias(project_a, "removed"));
  EXPECT_EQ(store.remove(project_a, id, 1).error().code_string(), "KMS.0207");
  auto again = make_record(project_a, "removed", 11);
  EXPECT_TRUE(store.insert(again));  // the alias is free
}

// ---- what only a store that persists bytes can show -------------------------------------

template <class Kind>
class PersistentStoreTest : public StoreTest<Kind> {};
#ifdef KMSCORE_STORE_TEST_POSTGRES
using persistent_kinds = ::testing::Types<kmscore_test::postgres_kind>;
#else
using persistent_kinds = ::testing::Types<sqlite_kind>;
#endif
TYPED_TEST_SUITE(PersistentStoreTest, persistent_kinds);

TYPED_TEST(PersistentStoreTest, DurabilitySettingsAreReadBack) {
  const auto settings = this->subject_.durable().settings();
  ASSERT_TRUE(settings);
  std::map<std::string, std::string> values(settings->begin(), settings->end());
  if constexpr (std::is_same_v<TypeParam, sqlite_kind>) {
    EXPECT_EQ(values["journal_mode"], "wal");
    EXPECT_EQ(values["synchronous"], "2");  // FULL
    EXPECT_EQ(values["foreign_keys"], "1");
  } else {
    EXPECT_EQ(values["fsync"], "on");
    EXPECT_EQ(values["synchronous_commit"], "on");
    EXPECT_EQ(values["full_page_writes"], "on");
  }
}

TYPED_TEST(PersistentStoreTest, MetaValuesAreKeptOnce) {
  auto& durable = this->subject_.durable();
  EXPECT_FALSE(*durable.meta_get("x"));
  const auto first = durable.meta_put_if_absent("x", kmscore::as_bytes("one"));
  ASSERT_TRUE(first);
  const auto second = durable.meta_put_if_absent("x", kmscore::as_bytes("two"));
  ASSERT_TRUE(second);
  EXPECT_EQ(kmscore::as_chars(*second), "one");
  EXPECT_EQ(*durable.count_keys(), 0U);
}

// A damaged row: describe-key of it answers 500 and the key id is logged; other keys and
// list-keys keep working; list-keys shows it while its metadata reads, else leaves it out
// and logs it.
// Schema 2 added the deletion date as a column: a store made before it (schema 1, here the
// column dropped again) gets the date of every key already scheduled for deletion when it is
// next opened, so list-keys leaves such a key out from its date on, and not before.
TYPED_TEST(PersistentStoreTest, ASchemaOneStoreGetsItsDeletionDatesOnOpen) {
  auto& store = this->store();
  constexpr std::int64_t date = 1'700'604'800'000;
  auto scheduled = make_record(project_a, "scheduled", 10);
  scheduled.key.state = key_state::scheduled_deletion;
  scheduled.scheduled_deletion_date_ms = date;
  auto plain = make_record(project_a, "plain", 11);
  ASSERT_TRUE(store.insert(scheduled));
  ASSERT_TRUE(store.insert(plain));
  if constexpr (std::is_same_v<TypeParam, sqlite_kind>) {
    this->subject_.run_sql(
        "DROP TABLE aliases; DROP TABLE key_tags; ALTER TABLE keys DROP COLUMN deletion_date; "
        "PRAGMA user_version=1");
  } else {
    this->subject_.run_sql(
        "DROP TABLE aliases; DROP TABLE key_tags; ALTER TABLE keys DROP COLUMN deletion_date; "
        "UPDATE schema_version SET version = 1");
  }
  const auto reopened = this->subject_.connect();
  ASSERT_TRUE(reopened);
  auto query = every_spec();
  query.now_ms = date - 1;
  EXPECT_EQ(reopened->list(project_a, query)->total, 2U);
  query.now_ms = date;
  const auto at_date = reopened->list(project_a, query);
  ASSERT_TRUE(at_date);
  EXPECT_EQ(at_date->total, 1U);
  ASSERT_EQ(at_date->records.size(), 1U);
  EXPECT_EQ(at_date->records[0].key_alias, "plain");
}

// The resource-instance query (api-metadata.md §3.7) over 10,000 tagged keys, through the
// JSON layer: pages of 1,000 cover every key once, in list order (newest first, ties by
// key_id) computed here independently of the store, and a tag filter finds exactly the keys
// tagged so. Both database stores run it (SQLite here, PostgreSQL in store_postgres), so they
// answer in the same order. Its time is measured by bench/tag_query_benchmark.cpp.
TYPED_TEST(PersistentStoreTest, TenThousandTaggedKeysPageInListOrder) {
  using nlohmann::json;
  constexpr int keys = 10'000;
  auto& store = this->store();
  kmscore::backend::cryptopp backend;
  const auto project = **store.find_project(project_a);
  kmscore::kms_service service{backend, store, project};
  std::vector<std::pair<std::int64_t, std::string>> expected;  // (creation date, key id)
  std::set<std::string> tagged;                                // tier=gold
  for (int i = 0; i < keys; ++i) {
    auto record = make_record(project_a, "bulk-" + std::to_string(i), 1000 + i / 3);  // ties
    record.tags = {{"tier", i % 7 == 0 ? "gold" : "silver"}, {"n", std::to_string(i % 10)}};
    ASSERT_TRUE(store.insert(record));
    expected.emplace_back(record.creation_date_ms, record.key.key_id.str());
    if (i % 7 == 0) tagged.insert(record.key.key_id.str());
  }
  std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  const auto query = [&](const json& body) {
    const auto response = kmscore::handle_json(service, "list-kms-by-tags", body.dump(), 5000);
    EXPECT_EQ(response.status, 200) << response.text();
    return json::parse(response.text());
  };
  std::vector<std::string> paged;
  for (int offset = 0; offset < keys; offset += 1000) {
    const auto page =
        query({{"action", "filter"}, {"limit", "1000"}, {"offset", std::to_string(offset)}});
    EXPECT_EQ(page["total_count"], keys);
    for (const auto& resource : page["resources"]) paged.push_back(resource["resource_id"]);
  }
  ASSERT_EQ(paged.size(), expected.size());
  for (std::size_t i = 0; i < paged.size(); ++i) ASSERT_EQ(paged[i], expected[i].second) << i;
  EXPECT_EQ(query({{"action", "filter"}, {"offset", "10000"}})["resources"].size(), 0U);
  // tier=gold and n in {0, 7}: i % 7 == 0 and i % 10 in {0, 7}.
  const json gold = {{{"key", "tier"}, {"values", {"gold"}}},
                     {{"key", "n"}, {"values", {"0", "7"}}}};
  const auto found = query({{"action", "filter"}, {"limit", "1000"}, {"tags", gold}});
  std::size_t want = 0;
  for (int i = 0; i < keys; ++i) want += (i % 7 == 0 && (i % 10 == 0 || i % 10 == 7)) ? 1 : 0;
  EXPECT_EQ(found["total_count"], want);
  EXPECT_EQ(found["resources"].size(), want);
  std::string previous_date = "99999999999999";
  for (const auto& resource : found["resources"]) {
    EXPECT_TRUE(tagged.contains(resource["resource_id"]));
    const std::string date = resource["resource_detail"]["creation_date"];
    EXPECT_LE(std::stoll(date), std::stoll(previous_date));
    previous_date = date;
  }
  EXPECT_EQ(query({{"action", "count"},
                   {"tags", {{{"key", "tier"}, {"values", {"gold"}}}}}})["total_count"],
            tagged.size());
}

TYPED_TEST(PersistentStoreTest, ACorruptRowIsReportedAndTheRestKeepsWorking) {
  auto& store = this->store();
  kmscore::backend::cryptopp backend;
  const auto project = **store.find_project(project_a);
  kmscore::kms_service service{backend, store, project};
  std::vector<std::string> ids;
  for (const char* alias : {"sound", "tag-damaged", "metadata-damaged"}) {
    kmscore::create_key_request create;
    create.key_alias = alias;
    const auto made = service.template run<kmscore::actions::create_key>(create, 1);
    ASSERT_TRUE(made);
    ids.push_back(made->key.key_id.str());
  }
  this->subject_.flip_record_byte(*kmscore::key_id::parse(ids[1]), -1);  // the sealing tag
  this->subject_.flip_record_byte(*kmscore::key_id::parse(ids[2]), 12);  // inside the metadata
  for (const std::size_t damaged : {std::size_t{1}, std::size_t{2}}) {
    const auto described = service.template run<kmscore::actions::describe_key>(
        {ids[damaged], std::nullopt}, kmscore_test::test_now_ms);
    ASSERT_FALSE(described);
    EXPECT_EQ(described.error().code_string(), "KMS.0101");
    EXPECT_EQ(described.error().http_status(), 500);
    EXPECT_TRUE(this->subject_.log.mentions(ids[damaged])) << ids[damaged];
  }
  EXPECT_TRUE(service.template run<kmscore::actions::describe_key>({ids[0], std::nullopt},
                                                                   kmscore_test::test_now_ms));
  kmscore::create_datakey_request datakey;
  datakey.key_id = ids[0];
  datakey.datakey_length = "512";
  EXPECT_TRUE(
      service.template run<kmscore::actions::create_datakey>(datakey, kmscore_test::test_now_ms));
  const auto listed =
      service.template run<kmscore::actions::list_keys>({}, kmscore_test::test_now_ms);
  ASSERT_TRUE(listed);
  std::set<std::string> shown;
  for (const auto& record : listed->records) shown.insert(record.key.key_id.str());
  EXPECT_TRUE(shown.contains(ids[0]));
  EXPECT_TRUE(shown.contains(ids[1]));   // metadata readable: listed
  EXPECT_FALSE(shown.contains(ids[2]));  // metadata unreadable: left out, and logged
  EXPECT_TRUE(this->subject_.log.mentions("leaves out key " + ids[2]));
}

#ifndef KMSCORE_STORE_TEST_POSTGRES
// Processes starting at once on a new state directory: one root key wins, and nobody ever
// reads one still being written. (Created in place, it could be read empty and refused: that
// failed ToolTest.EightProcessesTimesFiftyCreateKeysLoseNothing in CI once.)
TEST(RootKeyTest, ProcessesCreatingItAtOnceNeverSeeItHalfWritten) {
  for (int round = 0; round < 100; ++round) {
    char pattern[] = "/tmp/kmscore-root-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    const std::string dir = pattern;
    const std::string path = dir + "/root.key";
    std::array<int, 2> go{};
    ASSERT_EQ(::pipe(go.data()), 0);
    std::vector<pid_t> children;
    for (int child = 0; child < 4; ++child) {
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(go[1]);
        char started = 0;
        (void)::read(go[0], &started, 1);  // returns when the parent closes its end
        kmscore::master_key root;
        std::array<kmscore::byte, 16> id{};
        id.fill(static_cast<kmscore::byte>(child + 1));
        root.key_id = kmscore::key_id::from_uuid(kmscore::uuid::version4(id));
        kmscore::secret_bytes material{32};
        for (auto& b : material.expose()) b = static_cast<kmscore::byte>(child);
        root.material_versions.push_back(std::move(material));
        std::string why;
        const auto made = kmscore_host::create_root_key(path, root, why);
        ::_exit(made == kmscore_host::create_outcome::failed ? 1 : 0);
      }
      children.push_back(pid);
    }
    ::close(go[0]);
    ::close(go[1]);  // all start
    int finished = 0;
    int status = 0;
    std::string refused;
    while (finished < static_cast<int>(children.size())) {
      std::string why;
      if (::access(path.c_str(), F_OK) == 0 && !kmscore_host::load_root_key(path, why)) {
        refused = why;
      }
      const pid_t done = ::waitpid(-1, &status, WNOHANG);
      if (done > 0) {
        ++finished;
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      }
    }
    std::string why;
    EXPECT_TRUE(kmscore_host::load_root_key(path, why)) << why;
    std::filesystem::remove_all(dir);
    ASSERT_EQ(refused, "") << "round " << round;
  }
}
#endif

}  // namespace
