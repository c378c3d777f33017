// Key metadata (shared spec api-metadata.md §1–2): update-key-alias and update-key-description
// through the JSON layer, every row of their field and error tables with its accept twin, on
// the memory store (the stores' half, the alias moved or refused under concurrency, is in
// store_test.cpp).
#include <kmscore/json.hpp>

#include <gtest/gtest.h>

#include <string>

#include "support/backends.hpp"
#include "support/project.hpp"

namespace {

using nlohmann::json;

constexpr std::int64_t t0 = 1'700'000'000'000;

class MetadataTest : public testing::Test {
 protected:
  struct reply {
    int status;
    json body;
    std::string text;  // as sent: field order included
  };
  reply call(const std::string& action, const json& body) {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_),
                                 kmscore::datakey_length_policy::range};
    const auto response = kmscore::handle_json(service, action, body.dump(), t0);
    return {response.status, json::parse(response.text()), std::string{response.text()}};
  }
  std::string code(const std::string& action, const json& body) {
    const auto r = call(action, body);
    return r.status == 200 ? "200" : r.body["error"]["error_code"].get<std::string>();
  }
  std::string create_key(const std::string& alias) {
    const auto r = call("create-key", {{"key_alias", alias}, {"key_description", "first"}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body["key_info"]["key_id"];
  }
  json describe(const std::string& id) {
    return call("describe-key", {{"key_id", id}}).body["key_info"];
  }

  kmscore_test::combined backend_;
  kmscore::memory_key_store store_;
};

TEST_F(MetadataTest, UpdateKeyAliasRenamesAndFreesTheOldAlias) {
  const auto id = create_key("before");
  const auto r = call("update-key-alias", {{"key_id", id}, {"key_alias", "after"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.text, R"({"key_info":{"key_id":")" + id + R"(","key_alias":"after"}})");
  EXPECT_EQ(describe(id)["key_alias"], "after");
  EXPECT_EQ(describe(id)["key_description"], "first");              // nothing else changed
  EXPECT_EQ(code("create-key", {{"key_alias", "before"}}), "200");  // the old alias is free
  EXPECT_EQ(code("create-key", {{"key_alias", "after"}}), "KMS.1104");
  // Its own alias again: succeeds, changes nothing.
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "after"}}), "200");
  EXPECT_EQ(describe(id)["key_alias"], "after");
}

TEST_F(MetadataTest, UpdateKeyAliasFieldRowsInTableOrder) {
  const auto id = create_key("fields");
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/_-";
  std::string longest;
  while (longest.size() < 255) longest += alphabet;
  longest.resize(255);
  // key_id: missing (KMS.0204), not a key id (KMS.0205); checked before key_alias.
  EXPECT_EQ(code("update-key-alias", {{"key_alias", "x"}}), "KMS.0204");
  EXPECT_EQ(code("update-key-alias", {{"key_id", "not-a-key"}, {"key_alias", "x"}}), "KMS.0205");
  EXPECT_EQ(code("update-key-alias", {{"key_id", "not-a-key"}, {"key_alias", "bad alias"}}),
            "KMS.0205");
  // key_alias: missing, empty, a character outside the set, 256 characters, `/default`.
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}}), "KMS.0204");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", ""}}), "KMS.1101");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "a b"}}), "KMS.1101");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", longest + "a"}}), "KMS.1101");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "team/default"}}), "KMS.1101");
  // sequence: not 36 characters.
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "x"}, {"sequence", "1"}}),
            "KMS.0206");
  // The accept twins: 1 and 255 characters of the whole set, `default` not at the end.
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "a"}}), "200");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", longest}}), "200");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "default/team"}}), "200");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id},
                                      {"key_alias", "y"},
                                      {"sequence", "919c82d4-8046-4722-9094-35c3c6524cff"}}),
            "200");
}

TEST_F(MetadataTest, UpdateKeyAliasKeyRows) {
  const auto id = create_key("mine");
  create_key("theirs");
  // No such key: 404 KMS.0207.
  EXPECT_EQ(code("update-key-alias",
                 {{"key_id", "00000000-0000-4000-8000-000000000000"}, {"key_alias", "x"}}),
            "KMS.0207");
  // Another key holds the alias: KMS.1104, nothing changed.
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "theirs"}}), "KMS.1104");
  EXPECT_EQ(describe(id)["key_alias"], "mine");
  // A disabled key may be renamed; a key pending deletion may not (KMS.0210).
  ASSERT_EQ(code("disable-key", {{"key_id", id}}), "200");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "disabled"}}), "200");
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", id}, {"pending_days", "7"}}), "200");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "frozen"}}), "KMS.0210");
  EXPECT_EQ(describe(id)["key_alias"], "disabled");
  ASSERT_EQ(code("cancel-key-deletion", {{"key_id", id}}), "200");
  EXPECT_EQ(code("update-key-alias", {{"key_id", id}, {"key_alias", "thawed"}}), "200");
}

TEST_F(MetadataTest, UpdateKeyDescriptionReplacesAndClears) {
  const auto id = create_key("described");
  auto r = call("update-key-description", {{"key_id", id}, {"key_description", "second"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.text, R"({"key_info":{"key_id":")" + id + R"(","key_description":"second"}})");
  EXPECT_EQ(describe(id)["key_description"], "second");
  EXPECT_EQ(describe(id)["key_alias"], "described");  // nothing else changed
  r = call("update-key-description", {{"key_id", id}, {"key_description", ""}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(describe(id)["key_description"], "");
}

TEST_F(MetadataTest, UpdateKeyDescriptionRows) {
  const auto id = create_key("rows");
  std::string most;  // 255 code points of two bytes each
  for (int i = 0; i < 255; ++i) most += "\xC3\xA9";
  EXPECT_EQ(code("update-key-description", {{"key_description", "x"}}), "KMS.0204");
  EXPECT_EQ(code("update-key-description", {{"key_id", "nope"}, {"key_description", "x"}}),
            "KMS.0205");
  EXPECT_EQ(code("update-key-description", {{"key_id", id}}), "KMS.0204");
  EXPECT_EQ(code("update-key-description", {{"key_id", id}, {"key_description", most + "e"}}),
            "KMS.1103");
  EXPECT_EQ(code("update-key-description", {{"key_id", id}, {"key_description", most}}), "200");
  EXPECT_EQ(describe(id)["key_description"], most);
  EXPECT_EQ(code("update-key-description",
                 {{"key_id", id}, {"key_description", "x"}, {"sequence", "short"}}),
            "KMS.0206");
  EXPECT_EQ(code("update-key-description",
                 {{"key_id", "00000000-0000-4000-8000-000000000000"}, {"key_description", "x"}}),
            "KMS.0207");
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", id}, {"pending_days", "7"}}), "200");
  EXPECT_EQ(code("update-key-description", {{"key_id", id}, {"key_description", "frozen"}}),
            "KMS.0210");
  EXPECT_EQ(describe(id)["key_description"], most);
}

}  // namespace
