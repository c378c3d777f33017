// Aliases (shared spec api-metadata.md §5) through the JSON layer: every row of the field and
// error tables with its accept twin, paging, the move of associate-alias, and gone keys, on
// the memory store (the database stores' half is in store_test.cpp, the REST routes in
// server_test.cpp).
#include <kmscore/json.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/failing_store.hpp"
#include "support/project.hpp"

namespace {

using nlohmann::json;

// 2023-11-14T22:13:20Z: 1,700,000,000 s after the epoch (a date that `date -u -d @1700000000`
// prints, not computed by the code under test).
constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr std::int64_t day = 86'400'000;

class AliasesTest : public testing::Test {
 protected:
  struct reply {
    int status;
    json body;
    std::string text;
  };
  reply call(const std::string& action, const json& body, std::int64_t now = t0) {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_),
                                 kmscore::datakey_length_policy::range};
    if (!region_.empty()) service.set_region(region_);
    const auto response = kmscore::handle_json(service, action, body.dump(), now);
    const std::string text{response.text()};
    return {response.status, text.empty() ? json() : json::parse(text), text};
  }
  std::string code(const std::string& action, const json& body, std::int64_t now = t0) {
    const auto r = call(action, body, now);
    if (r.status / 100 == 2) return std::to_string(r.status);
    return r.body["error"]["error_code"].get<std::string>() + " " +
           r.body["error"]["error_msg"].get<std::string>();
  }
  std::string create_key(const std::string& key_alias, const json& extra = json::object()) {
    json body = {{"key_alias", key_alias}};
    body.update(extra);
    const auto r = call("create-key", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body["key_info"]["key_id"];
  }
  std::string add(const std::string& id, const std::string& alias, std::int64_t now = t0) {
    return code("create-alias", {{"key_id", id}, {"alias", alias}}, now);
  }
  std::vector<std::string> listed(const json& query = json::object(), std::int64_t now = t0) {
    const auto r = call("list-aliases", query, now);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> names;
    for (const auto& entry : r.body["aliases"]) names.push_back(entry["alias"]);
    return names;
  }
  void schedule_deletion(const std::string& id) {
    ASSERT_EQ(code("schedule-key-deletion", {{"key_id", id}, {"pending_days", "7"}}), "200");
  }

  kmscore_test::with_openssl backend_;  // the tool's: SM4 and ECDSA too
  kmscore::memory_key_store store_;
  std::string region_;
};

const std::string invalid_alias = "KMS.0308 Invalid alias.";
const std::string invalid_aliases = "KMS.0308 Invalid aliases.";

TEST_F(AliasesTest, CreateAliasAnswers201WithTheAliasEntity) {
  const auto id = create_key("named");
  const auto r = call("create-alias", {{"key_id", id}, {"alias", "alias/kms-1234"}});
  ASSERT_EQ(r.status, 201) << r.text;
  const auto domain = kmscore_test::test_project(store_).domain_id;
  const json expected = {{"domain_id", domain},
                         {"key_id", id},
                         {"alias", "alias/kms-1234"},
                         {"alias_urn", "kms:local:" + domain + ":alias:kms-1234"},
                         {"create_time", "2023-11-14T22:13:20Z"},
                         {"update_time", "2023-11-14T22:13:20Z"}};
  EXPECT_EQ(r.body, expected);
  // The documented field order.
  EXPECT_LT(r.text.find("\"domain_id\""), r.text.find("\"key_id\""));
  EXPECT_LT(r.text.find("\"alias_urn\""), r.text.find("\"create_time\""));
  // The region is the host's.
  region_ = "eu-de";
  const auto other = call("create-alias", {{"key_id", id}, {"alias", "alias/second"}});
  EXPECT_EQ(other.body["alias_urn"], "kms:eu-de:" + domain + ":alias:second");
}

TEST_F(AliasesTest, CreateAliasChecksItsFieldsInOrder) {
  const auto id = create_key("fields");
  EXPECT_EQ(code("create-alias", {{"alias", "alias/a"}}),
            "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(code("create-alias", {{"key_id", "not-a-key"}, {"alias", "bad"}}),
            "KMS.0205 Invalid key ID.");
  EXPECT_EQ(code("create-alias", {{"key_id", id}}),
            "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(code("create-alias", {{"key_id", id}, {"alias", 7}}), invalid_alias);
  EXPECT_EQ(code("create-alias", {{"key_id", id}, {"alias", "alias/ok"}, {"sequence", "x"}}),
            "KMS.0206 Invalid sequence number.");
}

TEST_F(AliasesTest, AnAliasIsThePrefixAndOneTo249AllowedCharacters) {
  const auto id = create_key("rules");
  EXPECT_EQ(add(id, "alias/" + std::string(249, 'a')), "201");
  EXPECT_EQ(add(id, "alias/" + std::string(250, 'a')), invalid_alias);
  EXPECT_EQ(add(id, "alias/b"), "201");
  EXPECT_EQ(add(id, "alias/"), invalid_alias);
  EXPECT_EQ(add(id, "alias/aZ09:/_-"), "201");
  for (const char* bad : {"kms-1234", "Alias/x", "alias/a b", "alias/a.b", "alias/a*", "alias/é",
                          "alias/a\\b", "/alias/x", "aliasx"}) {
    EXPECT_EQ(add(id, bad), invalid_alias) << bad;
  }
}

TEST_F(AliasesTest, CreateAliasKeyChecks) {
  EXPECT_EQ(add("0d0466b0-e727-4d9c-b35d-f84bb474a37f", "alias/none"),
            "KMS.0207 The key does not exist.");
  const auto id = create_key("pending");
  EXPECT_EQ(add(id, "alias/before"), "201");
  schedule_deletion(id);
  EXPECT_EQ(add(id, "alias/after"),
            "KMS.0210 The key is in Scheduled deletion state and cannot be used.");
}

TEST_F(AliasesTest, AnAliasIsUniqueInItsProjectOnly) {
  const auto a = create_key("a");
  const auto b = create_key("b");
  EXPECT_EQ(add(a, "alias/shared"), "201");
  EXPECT_EQ(add(a, "alias/shared"), "KMS.1104 Duplicate key aliases.");
  EXPECT_EQ(add(b, "alias/shared"), "KMS.1104 Duplicate key aliases.");
  EXPECT_EQ(add(b, "alias/Shared"), "201");  // compared exactly
  // Another project holds its own.
  auto other = kmscore::project_id::parse("ffffffffffffffffffffffffffffffff");
  ASSERT_TRUE(other);
  auto project = store_.ensure_project(*other, kmscore_test::test_project(store_).domain_id);
  ASSERT_TRUE(project);
  kmscore::kms_service service{backend_, store_, *project};
  const auto made = kmscore::handle_json(service, "create-key", R"({"key_alias": "x"})", t0);
  ASSERT_EQ(made.status, 200);
  const auto other_id = json::parse(made.text())["key_info"]["key_id"].get<std::string>();
  const auto created = kmscore::handle_json(
      service, "create-alias", json{{"key_id", other_id}, {"alias", "alias/shared"}}.dump(), t0);
  EXPECT_EQ(created.status, 201);
  // ...and neither project sees the other's.
  EXPECT_EQ(listed(), (std::vector<std::string>{"alias/Shared", "alias/shared"}));
}

TEST_F(AliasesTest, AKeyHoldsAtMostFiftyAliases) {
  const auto id = create_key("many");
  for (int i = 0; i < 50; ++i) ASSERT_EQ(add(id, "alias/n" + std::to_string(i)), "201") << i;
  EXPECT_EQ(add(id, "alias/n50"), invalid_alias);
  // Deleting one makes room again.
  EXPECT_EQ(code("delete-alias", {{"key_id", id}, {"aliases", {"alias/n0"}}}), "204");
  EXPECT_EQ(add(id, "alias/n50"), "201");
}

TEST_F(AliasesTest, ATakenAliasIsRefusedBeforeAFullKey) {
  const auto full = create_key("full");
  const auto other = create_key("other");
  for (int i = 0; i < 50; ++i) ASSERT_EQ(add(full, "alias/f" + std::to_string(i)), "201") << i;
  ASSERT_EQ(add(other, "alias/held"), "201");
  // §5.2: taken (KMS.1104) comes before the key's fifty (KMS.0308).
  EXPECT_EQ(add(full, "alias/held"), "KMS.1104 Duplicate key aliases.");
  EXPECT_EQ(add(full, "alias/f0"), "KMS.1104 Duplicate key aliases.");
  EXPECT_EQ(add(full, "alias/free"), invalid_alias);
}

TEST_F(AliasesTest, DeleteAliasRemovesAllOrNothingAndAnswers204) {
  const auto a = create_key("a");
  const auto b = create_key("b");
  ASSERT_EQ(add(a, "alias/a1"), "201");
  ASSERT_EQ(add(a, "alias/a2"), "201");
  ASSERT_EQ(add(b, "alias/b1"), "201");
  // One alias names another key: nothing is deleted.
  EXPECT_EQ(code("delete-alias", {{"key_id", a}, {"aliases", {"alias/a1", "alias/b1"}}}),
            invalid_aliases);
  EXPECT_EQ(code("delete-alias", {{"key_id", a}, {"aliases", {"alias/a1", "alias/none"}}}),
            invalid_aliases);
  EXPECT_EQ(listed(), (std::vector<std::string>{"alias/a1", "alias/a2", "alias/b1"}));
  // Repeats are allowed; the answer has no body.
  const auto r = call("delete-alias", {{"key_id", a}, {"aliases", {"alias/a1", "alias/a1"}}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(listed(), (std::vector<std::string>{"alias/a2", "alias/b1"}));
  // Deleted: the name is free.
  EXPECT_EQ(add(b, "alias/a1"), "201");
}

TEST_F(AliasesTest, DeleteAliasChecksItsFieldsInOrder) {
  const auto id = create_key("fields");
  ASSERT_EQ(add(id, "alias/x"), "201");
  EXPECT_EQ(code("delete-alias", {{"key_id", id}}),
            "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(code("delete-alias", {{"key_id", "bad"}, {"aliases", "alias/x"}}), invalid_aliases);
  EXPECT_EQ(code("delete-alias", {{"key_id", id}, {"aliases", json::array()}}), invalid_aliases);
  EXPECT_EQ(code("delete-alias", {{"key_id", id}, {"aliases", {1}}}), invalid_aliases);
  EXPECT_EQ(code("delete-alias", {{"key_id", id}, {"aliases", {"x"}}}), invalid_aliases);
  std::vector<std::string> fifty(50, "alias/x");
  std::vector<std::string> fifty_one(51, "alias/x");
  EXPECT_EQ(code("delete-alias", {{"key_id", id}, {"aliases", fifty_one}}), invalid_aliases);
  EXPECT_EQ(code("delete-alias", {{"aliases", fifty}, {"key_id", "bad"}}),
            "KMS.0205 Invalid key ID.");
  EXPECT_EQ(code("delete-alias", {{"aliases", fifty}}),
            "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(code("delete-alias",
                 {{"aliases", fifty}, {"key_id", "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}}),
            "KMS.0207 The key does not exist.");
  EXPECT_EQ(code("delete-alias", {{"key_id", id}, {"aliases", fifty}}), "204");
}

TEST_F(AliasesTest, DeleteAliasWorksInEveryKeyState) {
  const auto id = create_key("pending");
  ASSERT_EQ(add(id, "alias/p"), "201");
  schedule_deletion(id);
  EXPECT_EQ(code("delete-alias", {{"key_id", id}, {"aliases", {"alias/p"}}}), "204");
}

TEST_F(AliasesTest, ListAliasesPagesInByteOrder) {
  const auto a = create_key("a");
  const auto b = create_key("b");
  for (const char* name : {"alias/b", "alias/a", "alias/B", "alias/a-", "alias/_"}) {
    ASSERT_EQ(add(a, name), "201");
  }
  ASSERT_EQ(add(b, "alias/0"), "201");
  // Byte order: '-' < '0' < 'B' < '_' < 'a' < 'b'.
  EXPECT_EQ(listed(), (std::vector<std::string>{"alias/0", "alias/B", "alias/_", "alias/a",
                                                "alias/a-", "alias/b"}));
  const auto first = call("list-aliases", {{"limit", "4"}});
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body["aliases"].size(), 4U);
  EXPECT_EQ(first.body["page_info"], (json{{"next_marker", "alias/a"}, {"current_count", 4}}));
  const auto second = call("list-aliases", {{"limit", "4"}, {"marker", "alias/a"}});
  EXPECT_EQ(second.body["page_info"], (json{{"next_marker", ""}, {"current_count", 2}}));
  EXPECT_EQ(second.body["aliases"][0]["alias"], "alias/a-");
  // A page that ends exactly at the last alias says nothing follows.
  const auto exact = call("list-aliases", {{"limit", "2"}, {"marker", "alias/a"}});
  EXPECT_EQ(exact.body["page_info"]["next_marker"], "");
  // A marker need not be an existing alias; marker without limit is allowed.
  EXPECT_EQ(listed({{"marker", "alias/Z"}}),
            (std::vector<std::string>{"alias/_", "alias/a", "alias/a-", "alias/b"}));
  // One key's.
  EXPECT_EQ(listed({{"key_id", b}}), (std::vector<std::string>{"alias/0"}));
  // Entities as create-alias answers them.
  const auto one = call("list-aliases", {{"key_id", b}});
  EXPECT_EQ(one.body["aliases"][0]["key_id"], b);
  EXPECT_EQ(one.body["aliases"][0]["create_time"], "2023-11-14T22:13:20Z");
}

TEST_F(AliasesTest, ListAliasesChecksItsParameters) {
  const auto id = create_key("params");
  ASSERT_EQ(add(id, "alias/x"), "201");
  EXPECT_EQ(code("list-aliases", {{"key_id", "bad"}, {"limit", "0"}}), "KMS.0205 Invalid key ID.");
  EXPECT_EQ(code("list-aliases", {{"key_id", "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}}),
            "KMS.0207 The key does not exist.");
  for (const char* bad : {"0", "101", "01", "-1", "", "1.0", "abc", "99999999999"}) {
    EXPECT_EQ(code("list-aliases", {{"limit", bad}}), "KMS.1601 Invalid limit.") << bad;
  }
  EXPECT_EQ(code("list-aliases", {{"limit", 5}}), "KMS.1601 Invalid limit.");
  for (const char* good : {"1", "100"}) EXPECT_EQ(code("list-aliases", {{"limit", good}}), "200");
  EXPECT_EQ(code("list-aliases", {{"marker", "x"}}), "KMS.0308 Invalid marker.");
  EXPECT_EQ(code("list-aliases", {{"marker", "alias/x"}}), "200");
  // 100 at most per page.
  for (int i = 0; i < 49; ++i) ASSERT_EQ(add(id, "alias/m" + std::to_string(i)), "201");
  const auto second = create_key("second");
  for (int i = 0; i < 50; ++i) ASSERT_EQ(add(second, "alias/s" + std::to_string(i)), "201");
  const auto third = create_key("third");
  ASSERT_EQ(add(third, "alias/z"), "201");
  const auto all = call("list-aliases", json::object());
  EXPECT_EQ(all.body["page_info"]["current_count"], 100);
  EXPECT_EQ(all.body["page_info"]["next_marker"], "alias/x");
  EXPECT_EQ(listed({{"marker", "alias/x"}}), (std::vector<std::string>{"alias/z"}));
}

TEST_F(AliasesTest, AGoneKeysAliasesAreUnlistedAndFreeAtOnce) {
  const auto old_key = create_key("old");
  ASSERT_EQ(add(old_key, "alias/reused"), "201");
  schedule_deletion(old_key);
  const auto fresh = create_key("fresh");
  // Before the deletion date the alias is still held, and listed.
  EXPECT_EQ(add(fresh, "alias/reused", t0 + 6 * day), "KMS.1104 Duplicate key aliases.");
  EXPECT_EQ(listed(json::object(), t0 + 6 * day), (std::vector<std::string>{"alias/reused"}));
  // From it on: neither listed nor held.
  const auto later = t0 + 8 * day;
  EXPECT_EQ(listed(json::object(), later), std::vector<std::string>{});
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/reused"}, {"target_key_id", fresh}}, later),
            invalid_alias);
  EXPECT_EQ(add(fresh, "alias/reused", later), "201");
  EXPECT_EQ(listed({{"key_id", fresh}}, later), (std::vector<std::string>{"alias/reused"}));
}

TEST_F(AliasesTest, AssociateAliasMovesItAndKeepsItsCreateTime) {
  const auto a = create_key("a");
  const auto b = create_key("b");
  ASSERT_EQ(add(a, "alias/moving"), "201");
  const auto r =
      call("associate-alias", {{"alias", "alias/moving"}, {"target_key_id", b}}, t0 + day);
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["key_id"], b);
  EXPECT_EQ(r.body["create_time"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(r.body["update_time"], "2023-11-15T22:13:20Z");
  EXPECT_EQ(listed({{"key_id", b}}), (std::vector<std::string>{"alias/moving"}));
  EXPECT_EQ(listed({{"key_id", a}}), std::vector<std::string>{});
  // To its own key: only update_time changes.
  const auto again =
      call("associate-alias", {{"alias", "alias/moving"}, {"target_key_id", b}}, t0 + 2 * day);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["update_time"], "2023-11-16T22:13:20Z");
}

TEST_F(AliasesTest, AssociateAliasChecksFieldsThenKeys) {
  const auto a = create_key("a");
  const auto b = create_key("b");
  ASSERT_EQ(add(a, "alias/x"), "201");
  EXPECT_EQ(code("associate-alias", {{"target_key_id", b}}),
            "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(code("associate-alias", {{"alias", "x"}, {"target_key_id", "bad"}}), invalid_alias);
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/x"}}),
            "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/x"}, {"target_key_id", "bad"}}),
            "KMS.0205 Invalid key ID.");
  EXPECT_EQ(code("associate-alias",
                 {{"alias", "alias/x"}, {"target_key_id", "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}}),
            "KMS.0207 The key does not exist.");
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/none"}, {"target_key_id", b}}),
            invalid_alias);
  // A target of another usage or class.
  const auto signing = create_key("ec", {{"key_spec", "EC_P256"}, {"key_usage", "SIGN_VERIFY"}});
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/x"}, {"target_key_id", signing}}),
            "KMS.0308 Invalid target_key_id.");
  const auto sm4 = create_key("sm4", {{"key_spec", "SM4"}});
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/x"}, {"target_key_id", sm4}}), "200");
  // A target pending deletion.
  schedule_deletion(b);
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/x"}, {"target_key_id", b}}),
            "KMS.0210 The key is in Scheduled deletion state and cannot be used.");
}

TEST_F(AliasesTest, AssociateAliasToAFullKeyIsRefused) {
  const auto full = create_key("full");
  const auto other = create_key("other");
  for (int i = 0; i < 50; ++i) ASSERT_EQ(add(full, "alias/f" + std::to_string(i)), "201");
  ASSERT_EQ(add(other, "alias/o"), "201");
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/o"}, {"target_key_id", full}}),
            invalid_alias);
  // Its own aliases still move onto it (it keeps 50).
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/f0"}, {"target_key_id", full}}), "200");
  EXPECT_EQ(code("delete-alias", {{"key_id", full}, {"aliases", {"alias/f0"}}}), "204");
  EXPECT_EQ(code("associate-alias", {{"alias", "alias/o"}, {"target_key_id", full}}), "200");
}

TEST(AliasTextTest, UtcSecondsTextAgreesWithKnownDates) {
  // Dates printed by `date -u -d @SECONDS +%Y-%m-%dT%H:%M:%SZ`.
  EXPECT_EQ(kmscore::utc_seconds_text(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(kmscore::utc_seconds_text(951'782'400'000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(kmscore::utc_seconds_text(1'709'251'199'999), "2024-02-29T23:59:59Z");
  EXPECT_EQ(kmscore::utc_seconds_text(4'102'444'800'000), "2100-01-01T00:00:00Z");
  EXPECT_EQ(kmscore::utc_seconds_text(-1), "1969-12-31T23:59:59Z");
}

TEST(AliasTextTest, KeyReferencesTakeThreeFormsOnly) {
  const std::string domain(32, 'a');
  const auto id = kmscore::key_reference::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37f");
  ASSERT_TRUE(id);
  EXPECT_TRUE(id->id());
  const auto alias = kmscore::key_reference::parse("alias/app");
  ASSERT_TRUE(alias);
  EXPECT_EQ(alias->alias(), "alias/app");
  EXPECT_TRUE(alias->region().empty());
  const auto urn = kmscore::key_reference::parse("kms:eu-de:" + domain + ":alias:app/x");
  ASSERT_TRUE(urn);
  EXPECT_EQ(urn->alias(), "alias/app/x");
  EXPECT_EQ(urn->region(), "eu-de");
  EXPECT_EQ(urn->domain_id(), domain);
  for (const std::string& bad : std::vector<std::string>{
           "", "app", "alias/", "kms:eu-de:" + domain + ":alias:", "kms::" + domain + ":alias:a",
           "kms:EU:" + domain + ":alias:a", "kms:eu-de:3ba44455500dd43127:alias:4555",
           "kms:eu-de:" + domain + ":key:a", "kms:eu-de:" + domain + ":alias:a b",
           "kms:" + std::string(65, 'r') + ":" + domain + ":alias:a",
           "0d0466b0-e727-4d9c-b35d-f84bb474a37"}) {
    const auto parsed = kmscore::key_reference::parse(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code(), kmscore::errc::invalid_key_id) << bad;
  }
  EXPECT_TRUE(
      kmscore::key_reference::parse("kms:" + std::string(64, 'r') + ":" + domain + ":alias:a"));
}

}  // namespace

namespace {

// api-metadata.md §6: twelve actions take a key by alias or URN; the answers carry its ID.
class KeyReferencesTest : public AliasesTest {
 protected:
  void SetUp() override {
    aes_ = create_key("aes");
    ec_ = create_key("ec", {{"key_spec", "EC_P256"}, {"key_usage", "SIGN_VERIFY"}});
    ASSERT_EQ(add(aes_, "alias/app"), "201");
    ASSERT_EQ(add(ec_, "alias/signer"), "201");
    domain_ = kmscore_test::test_project(store_).domain_id;
  }
  std::string urn(const std::string& name, const std::string& region = "local") const {
    return "kms:" + region + ":" + domain_ + ":alias:" + name;
  }

  std::string aes_;
  std::string ec_;
  std::string domain_;
};

TEST_F(KeyReferencesTest, EveryActionOfSection6TakesAnAliasOrAUrnAndAnswersTheKeyId) {
  for (const auto& app : {std::string{"alias/app"}, urn("app")}) {
    const auto made = call("create-datakey", {{"key_id", app}, {"datakey_length", "256"}});
    ASSERT_EQ(made.status, 200) << made.text;
    EXPECT_EQ(made.body["key_id"], aes_);
    const auto without =
        call("create-datakey-without-plaintext", {{"key_id", app}, {"datakey_length", "256"}});
    EXPECT_EQ(without.body["key_id"], aes_);
    const auto opened = call("decrypt-datakey", {{"key_id", app},
                                                 {"cipher_text", made.body["cipher_text"]},
                                                 {"datakey_cipher_length", "32"}});
    ASSERT_EQ(opened.status, 200) << opened.text;
    EXPECT_EQ(opened.body["data_key"], made.body["plain_text"]);
    const auto wrapped =
        call("encrypt-datakey", {{"key_id", app},
                                 {"plain_text", opened.body["data_key"].get<std::string>() +
                                                    opened.body["datakey_dgst"].get<std::string>()},
                                 {"datakey_plain_length", "32"}});
    ASSERT_EQ(wrapped.status, 200) << wrapped.text;
    EXPECT_EQ(wrapped.body["key_id"], aes_);
    const auto rewrapped = call("re-encrypt-datakey", {{"key_id", app},
                                                       {"cipher_text", made.body["cipher_text"]},
                                                       {"datakey_cipher_length", "32"},
                                                       {"destination_key_id", app}});
    ASSERT_EQ(rewrapped.status, 200) << rewrapped.text;
    EXPECT_EQ(rewrapped.body["key_id"], aes_);
    const auto sealed = call("encrypt-data", {{"key_id", app}, {"plain_text", "hello"}});
    EXPECT_EQ(sealed.body["key_id"], aes_);
    const auto described = call("describe-key", {{"key_id", app}});
    EXPECT_EQ(described.body["key_info"]["key_id"], aes_);
  }
  for (const auto& signer : {std::string{"alias/signer"}, urn("signer")}) {
    EXPECT_EQ(call("get-publickey", {{"key_id", signer}}).body["key_id"], ec_);
    const json message = {{"key_id", signer},
                          {"message", "aGVsbG8="},
                          {"signing_algorithm", "ECDSA_SHA_256"},
                          {"message_type", "RAW"}};
    const auto signature = call("sign", message);
    ASSERT_EQ(signature.status, 200) << signature.text;
    EXPECT_EQ(signature.body["key_id"], ec_);
    json verify = message;
    verify["signature"] = signature.body["signature"];
    const auto verified = call("verify", verify);
    EXPECT_EQ(verified.body["key_id"], ec_);
    EXPECT_EQ(verified.body["signature_valid"], "true");
  }
}

TEST_F(KeyReferencesTest, AReferenceThatNamesNoKeyIs0207AfterTheFieldChecks) {
  const std::string not_found = "KMS.0207 The key does not exist.";
  for (const auto& nothing : {std::string{"alias/none"}, urn("none"), urn("app", "eu-de"),
                              "kms:local:" + std::string(32, 'f') + ":alias:app"}) {
    EXPECT_EQ(code("describe-key", {{"key_id", nothing}}), not_found) << nothing;
    EXPECT_EQ(code("create-datakey", {{"key_id", nothing}, {"datakey_length", "256"}}), not_found);
    // A field after key_id is checked first.
    EXPECT_EQ(code("create-datakey", {{"key_id", nothing}, {"datakey_length", "7"}}),
              "KMS.1901 datakey_length must be in the range 8 bits to 8,192 bits.");
  }
  region_ = "eu-de";
  EXPECT_EQ(call("describe-key", {{"key_id", urn("app", "eu-de")}}).body["key_info"]["key_id"],
            aes_);
  EXPECT_EQ(code("describe-key", {{"key_id", urn("app")}}), not_found);
  // Neither form: the field's code.
  for (const char* bad : {"app", "alias/", "kms:local:abc:alias:app", "alias/a b"}) {
    EXPECT_EQ(code("describe-key", {{"key_id", bad}}), "KMS.0205 Invalid key ID.") << bad;
  }
}

TEST_F(KeyReferencesTest, DecryptDatakeyComparesTheEnvelopeWithTheResolvedKey) {
  const auto other = create_key("other");
  ASSERT_EQ(add(other, "alias/other"), "201");
  const auto made = call("create-datakey", {{"key_id", aes_}, {"datakey_length", "256"}});
  ASSERT_EQ(made.status, 200);
  const json envelope = {{"cipher_text", made.body["cipher_text"]},
                         {"datakey_cipher_length", "32"}};
  json by_other = envelope;
  by_other["key_id"] = "alias/other";
  EXPECT_EQ(code("decrypt-datakey", by_other), "KMS.2201 Invalid cipher_text.");
  json by_nothing = envelope;
  by_nothing["key_id"] = "alias/none";
  EXPECT_EQ(code("decrypt-datakey", by_nothing), "KMS.0207 The key does not exist.");
  by_nothing["cipher_text"] = "00";
  EXPECT_EQ(code("decrypt-datakey", by_nothing), "KMS.2201 Invalid cipher_text.");
  json rewrap = envelope;
  rewrap["key_id"] = aes_;
  rewrap["destination_key_id"] = "alias/other";
  const auto moved = call("re-encrypt-datakey", rewrap);
  ASSERT_EQ(moved.status, 200) << moved.text;
  EXPECT_EQ(moved.body["key_id"], other);
  rewrap["destination_key_id"] = "alias/none";
  EXPECT_EQ(code("re-encrypt-datakey", rewrap), "KMS.0207 The key does not exist.");
}

TEST_F(KeyReferencesTest, TheNilKeyIdIsComparedWithTheEnvelopeAsAnyOther) {
  // A client's own nil key ID is a key ID: its envelope check (KMS.2201) comes first.
  const auto made = call("create-datakey", {{"key_id", aes_}, {"datakey_length", "256"}});
  ASSERT_EQ(made.status, 200);
  const json nil = {{"key_id", "00000000-0000-0000-0000-000000000000"},
                    {"cipher_text", made.body["cipher_text"]},
                    {"datakey_cipher_length", "32"}};
  EXPECT_EQ(code("decrypt-datakey", nil), "KMS.2201 Invalid cipher_text.");
  json rewrap = nil;
  rewrap["destination_key_id"] = aes_;
  EXPECT_EQ(code("re-encrypt-datakey", rewrap), "KMS.2201 Invalid cipher_text.");
  rewrap["key_id"] = "alias/none";
  EXPECT_EQ(code("re-encrypt-datakey", rewrap), "KMS.0207 The key does not exist.");
}

// A store fault while resolving an alias is the first key check's answer (500), after the
// field checks.
TEST(KeyReferencesFaultTest, AStoreFaultWhileResolvingComesAfterTheFieldChecks) {
  kmscore_test::with_openssl backend;
  kmscore_test::failing_store store;
  store.keys_absent = true;  // the lookups answer "no such key": only the resolution fails
  const auto project =
      kmscore::project{*kmscore::project_id::parse(std::string(32, 'a')), std::string(32, 'b')};
  kmscore::kms_service service{backend, store, project};
  const auto answer = [&](const json& body) {
    const auto response = kmscore::handle_json(service, "create-datakey", body.dump(), t0);
    return json::parse(response.text())["error"]["error_code"].get<std::string>();
  };
  EXPECT_EQ(answer({{"key_id", "alias/app"}, {"datakey_length", "7"}}), "KMS.1901");
  EXPECT_EQ(answer({{"key_id", "alias/app"}, {"datakey_length", "256"}}), "KMS.0101");
  EXPECT_EQ(answer({{"key_id", "not a key"}, {"datakey_length", "256"}}), "KMS.0205");
  // Its twin: a key ID needs no resolution, and the lookup's own answer stands.
  EXPECT_EQ(answer({{"key_id", "0d0466b0-e727-4d9c-b35d-f84bb474a37f"}, {"datakey_length", "256"}}),
            "KMS.0207");
}

TEST_F(KeyReferencesTest, OtherActionsTakeTheKeyIdOnly) {
  for (const char* action : {"enable-key", "disable-key", "cancel-key-deletion",
                             "get-key-rotation-status", "rotate-key", "show-kms-tags"}) {
    EXPECT_EQ(code(action, {{"key_id", "alias/app"}}), "KMS.0205 Invalid key ID.") << action;
    EXPECT_EQ(code(action, {{"key_id", urn("app")}}), "KMS.0205 Invalid key ID.") << action;
  }
  EXPECT_EQ(code("update-key-alias", {{"key_id", "alias/app"}, {"key_alias", "x"}}),
            "KMS.0205 Invalid key ID.");
  EXPECT_EQ(code("create-alias", {{"key_id", "alias/app"}, {"alias", "alias/x"}}),
            "KMS.0205 Invalid key ID.");
  EXPECT_EQ(code("list-aliases", {{"key_id", "alias/app"}}), "KMS.0205 Invalid key ID.");
}

TEST_F(KeyReferencesTest, AGoneKeysAliasNamesNothing) {
  schedule_deletion(aes_);
  EXPECT_EQ(code("describe-key", {{"key_id", "alias/app"}}, t0 + 6 * day), "200");
  EXPECT_EQ(code("describe-key", {{"key_id", "alias/app"}}, t0 + 7 * day),
            "KMS.0207 The key does not exist.");
}

}  // namespace
