// Tags, quotas and instances (shared spec api-metadata.md §3–4) through the JSON layer: every
// row of the field and error tables with its accept twin, the semantics of the batch and of
// the resource-instance query, on the memory store (the database stores' half is in
// store_test.cpp and the REST routes in server_test.cpp).
#include <kmscore/json.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/project.hpp"

namespace {

using nlohmann::json;

constexpr std::int64_t t0 = 1'700'000'000'000;

class TagsTest : public testing::Test {
 protected:
  struct reply {
    int status;
    json body;
    std::string text;  // as sent: field order included
  };
  reply call(const std::string& action, const json& body, std::int64_t now = t0) {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_),
                                 kmscore::datakey_length_policy::range};
    service.set_key_quota(quota_);
    const auto response = kmscore::handle_json(service, action, body.dump(), now);
    const std::string text{response.text()};
    return {response.status, text.empty() ? json() : json::parse(text), text};
  }
  std::string code(const std::string& action, const json& body) {
    const auto r = call(action, body);
    return r.status / 100 == 2 ? std::to_string(r.status)
                               : r.body["error"]["error_code"].get<std::string>();
  }
  std::string create_key(const std::string& alias, std::int64_t now = t0) {
    const auto r = call("create-key", {{"key_alias", alias}}, now);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body["key_info"]["key_id"];
  }
  std::string tag(const std::string& id, const std::string& key, const std::string& value) {
    return code("create-kms-tag", {{"key_id", id}, {"tag", {{"key", key}, {"value", value}}}});
  }
  json tags_of(const std::string& id) { return call("show-kms-tags", {{"key_id", id}}).body; }

  kmscore_test::combined backend_;
  kmscore::memory_key_store store_;
  std::int64_t quota_ = kmscore::unlimited_key_quota;
};

// n copies of a character (a code point of any width).
std::string repeat(const std::string& character, std::size_t n) {
  std::string text;
  for (std::size_t i = 0; i < n; ++i) text += character;
  return text;
}

// [{"key": "k0"[, "value": value]}, …] of n tags.
std::vector<json> numbered_tags(int n, const char* value = nullptr) {
  std::vector<json> tags;
  tags.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    json tag = {{"key", "k" + std::to_string(i)}};
    if (value != nullptr) tag["value"] = value;
    tags.push_back(std::move(tag));
  }
  return tags;
}

TEST_F(TagsTest, CreateKmsTagSetsReplacesAndAnswers204) {
  const auto id = create_key("tagged");
  const auto r =
      call("create-kms-tag", {{"key_id", id}, {"tag", {{"key", "env"}, {"value", "prod"}}}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(call("show-kms-tags", {{"key_id", id}}).text,
            R"({"tags":[{"key":"env","value":"prod"}],"sys_tags":[],"existTagsNum":1})");
  EXPECT_EQ(tag(id, "env", "test"), "204");  // an existing key: its value replaced
  EXPECT_EQ(code("create-kms-tag", {{"key_id", id}, {"tag", {{"key", "b"}}}}), "204");
  EXPECT_EQ(code("create-kms-tag", {{"key_id", id}, {"tag", {{"key", "a"}, {"value", nullptr}}}}),
            "204");
  // Sorted by key; an absent or null value is "".
  EXPECT_EQ(tags_of(id), json::parse(R"({"tags":[{"key":"a","value":""},{"key":"b","value":""},
      {"key":"env","value":"test"}],"sys_tags":[],"existTagsNum":3})"));
}

TEST_F(TagsTest, TagRulesOfEveryWriteInTableOrder) {
  const auto id = create_key("rules");
  const auto create = [&](const json& tag_value) {
    return code("create-kms-tag", {{"key_id", id}, {"tag", tag_value}});
  };
  // key_id, then tag: missing, not an object.
  EXPECT_EQ(code("create-kms-tag", {{"tag", {{"key", "k"}}}}), "KMS.0204");
  EXPECT_EQ(code("create-kms-tag", {{"key_id", "nope"}, {"tag", "x"}}), "KMS.0205");
  EXPECT_EQ(code("create-kms-tag", {{"key_id", id}}), "KMS.0204");
  EXPECT_EQ(create(json::array({{{"key", "k"}}})), "KMS.0414");
  EXPECT_EQ(create("k"), "KMS.0414");
  // key: absent, not a string, empty, a forbidden character, 37 code points.
  EXPECT_EQ(create({{"value", "v"}}), "KMS.0406");
  EXPECT_EQ(create({{"key", 1}}), "KMS.0406");
  EXPECT_EQ(create({{"key", ""}}), "KMS.0406");
  for (const char* bad : {"a*", "<a", "a>", "a\\b", "a=b", "a\x01", "\t"}) {
    EXPECT_EQ(create({{"key", bad}}), "KMS.0406") << bad;
    EXPECT_EQ(create({{"key", "k"}, {"value", bad}}), "KMS.0405") << bad;
  }
  EXPECT_EQ(create({{"key", repeat("环", 37)}}), "KMS.0411");
  EXPECT_EQ(create({{"key", repeat("k", 37)}}), "KMS.0411");
  EXPECT_EQ(create({{"key", repeat("环", 36)}}), "204");
  EXPECT_EQ(create({{"key", "a b:c/d_e-f.@+"}}), "204");  // spaces and punctuation are fine
  // value: not a string, 44 code points; 43 and "" are fine.
  EXPECT_EQ(create({{"key", "k"}, {"value", 1}}), "KMS.0405");
  EXPECT_EQ(create({{"key", "k"}, {"value", repeat("值", 44)}}), "KMS.0410");
  EXPECT_EQ(create({{"key", "k"}, {"value", repeat("值", 43)}}), "204");
  EXPECT_EQ(create({{"key", "k"}, {"value", ""}}), "204");
  // A forbidden key character wins over the length (both wrong).
  EXPECT_EQ(create({{"key", repeat("*", 40)}}), "KMS.0406");
  // sequence after the tag.
  EXPECT_EQ(code("create-kms-tag", {{"key_id", id}, {"tag", {{"key", ""}}}, {"sequence", "x"}}),
            "KMS.0406");
  EXPECT_EQ(code("create-kms-tag", {{"key_id", id}, {"tag", {{"key", "k"}}}, {"sequence", "x"}}),
            "KMS.0206");
  EXPECT_EQ(code("create-kms-tag", {{"key_id", id},
                                    {"tag", {{"key", "k"}}},
                                    {"sequence", "919c82d4-8046-4722-9094-35c3c6524cff"}}),
            "204");
}

// A structured field nested deeper than any rule reads is refused as the wrong type, however
// deep (64 KiB of brackets), without exhausting the stack.
TEST_F(TagsTest, DeeplyNestedFieldsAreRefusedAsTheirType) {
  const auto id = create_key("deep");
  const auto nested = [](std::size_t depth, const std::string& inner) {
    return std::string(depth, '[') + inner + std::string(depth, ']');
  };
  const auto raw = [&](const std::string& action, const std::string& body) {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_),
                                 kmscore::datakey_length_policy::range};
    const auto response = kmscore::handle_json(service, action, body, t0);
    return json::parse(response.text())["error"]["error_code"].get<std::string>();
  };
  const std::string key_id = R"({"key_id":")" + id + R"(",)";
  EXPECT_EQ(raw("create-kms-tag", key_id + R"("tag":)" + nested(30'000, "1") + "}"), "KMS.0414");
  EXPECT_EQ(
      raw("create-kms-tag", key_id + R"("tag":{"key":"k","value":)" + nested(30'000, "") + "}}"),
      "KMS.0405");
  EXPECT_EQ(raw("batch-create-kms-tags",
                key_id + R"("action":"create","tags":[)" + nested(30'000, "") + "]}"),
            "KMS.0412");
  EXPECT_EQ(raw("list-kms-by-tags",
                R"({"action":"filter","tags":[{"key":"k","values":)" + nested(30'000, "") + "}]}"),
            "KMS.0405");
  EXPECT_EQ(raw("list-kms-by-tags", R"({"action":"filter","matches":)" + nested(30'000, "") + "}"),
            "KMS.0415");
}

TEST_F(TagsTest, WritesNeedALiveKeyNotPendingDeletionReadsWorkInEveryState) {
  const auto id = create_key("states");
  const std::string absent = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
  EXPECT_EQ(tag(absent, "k", "v"), "KMS.0207");
  EXPECT_EQ(code("delete-tag", {{"key_id", absent}, {"key", "k"}}), "KMS.0207");
  EXPECT_EQ(code("show-kms-tags", {{"key_id", absent}}), "KMS.0207");
  EXPECT_EQ(tag(id, "k", "v"), "204");
  ASSERT_EQ(code("disable-key", {{"key_id", id}}), "200");
  EXPECT_EQ(tag(id, "disabled", "yes"), "204");  // a disabled key takes tags
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", id}, {"pending_days", "7"}}), "200");
  EXPECT_EQ(tag(id, "k", "w"), "KMS.0210");
  EXPECT_EQ(code("batch-create-kms-tags",
                 {{"key_id", id}, {"action", "delete"}, {"tags", {{{"key", "k"}}}}}),
            "KMS.0210");
  EXPECT_EQ(code("delete-tag", {{"key_id", id}, {"key", "k"}}), "KMS.0210");
  EXPECT_EQ(tags_of(id)["existTagsNum"], 2);  // nothing changed, and reads still work
  EXPECT_EQ(call("list-kms-tags", json::object()).body["tags"].size(), 2U);
}

TEST_F(TagsTest, AKeyHoldsAtMostTenTags) {
  const auto id = create_key("ten");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(tag(id, "k" + std::to_string(i), "v"), "204");
  EXPECT_EQ(tag(id, "k10", "v"), "KMS.0409");
  EXPECT_EQ(tag(id, "k3", "replaced"), "204");  // a key it holds: not an eleventh
  EXPECT_EQ(tags_of(id)["existTagsNum"], 10);
  EXPECT_EQ(code("delete-tag", {{"key_id", id}, {"key", "k0"}}), "204");
  EXPECT_EQ(tag(id, "k10", "v"), "204");
}

TEST_F(TagsTest, BatchIsAllOrNothing) {
  const auto id = create_key("batch");
  const auto batch = [&](const std::string& action, const json& tags) {
    return code("batch-create-kms-tags", {{"key_id", id}, {"action", action}, {"tags", tags}});
  };
  const auto nine = numbered_tags(9, "v");
  EXPECT_EQ(batch("create", nine), "204");
  // Two new keys on nine: eleven, refused whole (the first is not applied either).
  EXPECT_EQ(batch("create",
                  json::array({{{"key", "k0"}, {"value", "new"}}, {{"key", "x"}}, {{"key", "y"}}})),
            "KMS.0409");
  EXPECT_EQ(tags_of(id)["existTagsNum"], 9);
  EXPECT_EQ(tags_of(id)["tags"][0]["value"], "v");
  EXPECT_EQ(batch("create", json::array({{{"key", "k0"}, {"value", "new"}}, {{"key", "x"}}})),
            "204");
  EXPECT_EQ(tags_of(id)["existTagsNum"], 10);
  EXPECT_EQ(tags_of(id)["tags"][0]["value"], "new");
  // delete: a value given must match; an absent tag is skipped.
  EXPECT_EQ(batch("delete", json::array({{{"key", "k1"}, {"value", "other"}},
                                         {{"key", "k2"}, {"value", "v"}},
                                         {{"key", "k3"}},
                                         {{"key", "absent"}}})),
            "204");
  const auto left = tags_of(id)["tags"];
  std::vector<std::string> keys;
  for (const auto& t : left) keys.push_back(t["key"]);
  EXPECT_EQ(keys, (std::vector<std::string>{"k0", "k1", "k4", "k5", "k6", "k7", "k8", "x"}));
}

TEST_F(TagsTest, BatchFieldRowsInTableOrder) {
  const auto id = create_key("batch-rows");
  const auto batch = [&](const json& body) {
    json request = body;
    request["key_id"] = id;
    return code("batch-create-kms-tags", request);
  };
  const json one = json::array({{{"key", "k"}}});
  const auto eleven = numbered_tags(11);
  const auto ten = numbered_tags(10);
  EXPECT_EQ(code("batch-create-kms-tags", {{"key_id", "x"}, {"tags", 1}}), "KMS.0205");
  EXPECT_EQ(batch({{"action", "create"}}), "KMS.0204");
  EXPECT_EQ(batch({{"tags", {{"key", "k"}}}, {"action", "create"}}), "KMS.0412");  // an object
  EXPECT_EQ(batch({{"tags", "k"}, {"action", "create"}}), "KMS.0412");
  EXPECT_EQ(batch({{"tags", json::array()}, {"action", "create"}}), "KMS.0401");
  EXPECT_EQ(batch({{"tags", eleven}, {"action", "create"}}), "KMS.0407");
  EXPECT_EQ(batch({{"tags", ten}, {"action", "create"}}), "204");
  EXPECT_EQ(batch({{"tags", json::array({"k"})}, {"action", "create"}}), "KMS.0412");
  EXPECT_EQ(batch({{"tags", json::array({{{"key", "a"}}, {{"key", "a"}, {"value", "2"}}})},
                   {"action", "create"}}),
            "KMS.0412");
  EXPECT_EQ(batch({{"tags", json::array({{{"key", "a="}}})}, {"action", "create"}}), "KMS.0406");
  EXPECT_EQ(batch({{"tags", json::array({{{"key", "a"}, {"value", repeat("v", 44)}}})},
                   {"action", "create"}}),
            "KMS.0410");
  // action: missing, another word or case; checked after tags.
  EXPECT_EQ(batch({{"tags", json::array()}, {"action", "Create"}}), "KMS.0401");
  EXPECT_EQ(batch({{"tags", one}}), "KMS.0204");
  EXPECT_EQ(batch({{"tags", one}, {"action", "Create"}}), "KMS.0404");
  EXPECT_EQ(batch({{"tags", one}, {"action", "update"}}), "KMS.0404");
  EXPECT_EQ(batch({{"tags", one}, {"action", "delete"}, {"sequence", "short"}}), "KMS.0206");
  EXPECT_EQ(batch({{"tags", one}, {"action", "delete"}}), "204");
}

TEST_F(TagsTest, DeleteTagRows) {
  const auto id = create_key("delete");
  ASSERT_EQ(tag(id, "环境 1", "v"), "204");
  EXPECT_EQ(code("delete-tag", {{"key_id", "x"}, {"key", "k"}}), "KMS.0205");
  EXPECT_EQ(code("delete-tag", {{"key_id", id}}), "KMS.0204");
  EXPECT_EQ(code("delete-tag", {{"key_id", id}, {"key", ""}}), "KMS.0406");
  EXPECT_EQ(code("delete-tag", {{"key_id", id}, {"key", "a*"}}), "KMS.0406");
  EXPECT_EQ(code("delete-tag", {{"key_id", id}, {"key", repeat("k", 37)}}), "KMS.0411");
  EXPECT_EQ(code("delete-tag", {{"key_id", id}, {"key", "环境 2"}}), "KMS.0416");
  const auto r = call("delete-tag", {{"key_id", id}, {"key", "环境 1"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(code("delete-tag", {{"key_id", id}, {"key", "环境 1"}}), "KMS.0416");
  EXPECT_EQ(tags_of(id)["existTagsNum"], 0);
}

TEST_F(TagsTest, ListKmsTagsGivesEveryKeyWithItsDistinctValuesSorted) {
  EXPECT_EQ(call("list-kms-tags", json::object()).text, R"({"tags":[]})");
  const auto a = create_key("a");
  const auto b = create_key("b");
  ASSERT_EQ(tag(a, "team", "kms"), "204");
  ASSERT_EQ(tag(b, "team", "iam"), "204");
  ASSERT_EQ(tag(b, "env", "prod"), "204");
  ASSERT_EQ(tag(a, "env", "prod"), "204");
  EXPECT_EQ(call("list-kms-tags", json::object()).text,
            R"({"tags":[{"key":"env","values":["prod"]},{"key":"team","values":["iam","kms"]}]})");
}

TEST_F(TagsTest, ListKmsByTagsFieldRowsInTableOrder) {
  const auto query = [&](const json& body) { return code("list-kms-by-tags", body); };
  const json filter = {{"action", "filter"}};
  const auto with = [&](const char* name, const json& value) {
    json body = filter;
    body[name] = value;
    return query(body);
  };
  for (const char* bad : {"0", "1001", "abc", "", "-1", "01", "1.5"}) {
    EXPECT_EQ(with("limit", bad), "KMS.1601") << bad;
  }
  EXPECT_EQ(with("limit", 10), "KMS.1601");  // a JSON number, not a string
  EXPECT_EQ(with("limit", "1000"), "200");
  EXPECT_EQ(with("limit", "1"), "200");
  for (const char* bad : {"-1", "2147483648", "x", "", "00"}) {
    EXPECT_EQ(with("offset", bad), "KMS.0417") << bad;
  }
  EXPECT_EQ(with("offset", "2147483647"), "200");
  // Past 2^32 too (once wrapped round to small offsets).
  for (const char* bad : {"4294967296", "9999999990", "2147483648", "99999999999999999999"}) {
    EXPECT_EQ(with("offset", bad), "KMS.0417") << bad;
  }
  EXPECT_EQ(with("offset", "0"), "200");
  // action after limit and offset.
  EXPECT_EQ(query({{"limit", "0"}}), "KMS.1601");
  EXPECT_EQ(query({{"offset", "x"}}), "KMS.0417");
  EXPECT_EQ(query(json::object()), "KMS.0204");
  EXPECT_EQ(query({{"action", "Filter"}}), "KMS.0404");
  EXPECT_EQ(query({{"action", "list"}}), "KMS.0404");
  // tags.
  const auto eleven = numbered_tags(11);
  std::vector<json> values(11, "v");
  EXPECT_EQ(with("tags", {{"key", "k"}}), "KMS.0412");
  EXPECT_EQ(with("tags", eleven), "KMS.0407");
  EXPECT_EQ(with("tags", json::array({"k"})), "KMS.0412");
  EXPECT_EQ(with("tags", json::array({{{"key", "k"}}, {{"key", "k"}}})), "KMS.0412");
  EXPECT_EQ(with("tags", json::array({{{"key", "k"}, {"values", "v"}}})), "KMS.0412");
  EXPECT_EQ(with("tags", json::array({{{"key", "k"}, {"values", values}}})), "KMS.0413");
  EXPECT_EQ(with("tags", json::array({{{"key", "k="}}})), "KMS.0406");
  EXPECT_EQ(with("tags", json::array({{{"key", repeat("k", 37)}}})), "KMS.0411");
  EXPECT_EQ(with("tags", json::array({{{"key", "k"}, {"values", {"a>"}}}})), "KMS.0405");
  EXPECT_EQ(with("tags", json::array({{{"key", "k"}, {"values", {repeat("v", 44)}}}})), "KMS.0410");
  values.pop_back();
  EXPECT_EQ(with("tags", numbered_tags(10)), "200");
  EXPECT_EQ(with("tags", json::array({{{"key", "k"}, {"values", values}}})), "200");
  EXPECT_EQ(with("tags", json::array()), "200");
  // matches.
  const json name_match = {{"key", "resource_name"}, {"value", "x"}};
  EXPECT_EQ(with("matches", name_match), "KMS.0415");  // an object, not an array
  EXPECT_EQ(with("matches", json::array({name_match, name_match})), "KMS.0415");
  EXPECT_EQ(with("matches", json::array({"x"})), "KMS.0415");
  EXPECT_EQ(with("matches", json::array({{{"key", "name"}, {"value", "x"}}})), "KMS.0403");
  EXPECT_EQ(with("matches", json::array({{{"value", "x"}}})), "KMS.0403");
  EXPECT_EQ(with("matches", json::array({{{"key", "resource_name"}, {"value", ""}}})), "KMS.0402");
  EXPECT_EQ(with("matches", json::array({{{"key", "resource_name"}, {"value", 1}}})), "KMS.0402");
  EXPECT_EQ(
      with("matches", json::array({{{"key", "resource_name"}, {"value", repeat("名", 256)}}})),
      "KMS.0402");
  EXPECT_EQ(
      with("matches", json::array({{{"key", "resource_name"}, {"value", repeat("名", 255)}}})),
      "200");
  EXPECT_EQ(with("matches", json::array()), "200");
  EXPECT_EQ(with("sequence", "short"), "KMS.0206");
  // count: no offset (KMS.0418, after every field), a limit is fine.
  EXPECT_EQ(query({{"action", "count"}, {"offset", "0"}}), "KMS.0418");
  EXPECT_EQ(query({{"action", "count"}, {"offset", "0"}, {"sequence", "short"}}), "KMS.0206");
  EXPECT_EQ(query({{"action", "count"}, {"limit", "5"}}), "200");
}

TEST_F(TagsTest, ListKmsByTagsAndsKeysOrsValuesMatchesAliasesAndPages) {
  // Created one millisecond apart: list order is newest first.
  const auto web = create_key("team-web-prod", t0 + 1);
  const auto db = create_key("team-db-prod", t0 + 2);
  const auto dev = create_key("team-web-dev", t0 + 3);
  const auto bare = create_key("bare", t0 + 4);
  (void)bare;
  ASSERT_EQ(tag(web, "env", "prod"), "204");
  ASSERT_EQ(tag(web, "team", "web"), "204");
  ASSERT_EQ(tag(db, "env", "prod"), "204");
  ASSERT_EQ(tag(db, "team", "db"), "204");
  ASSERT_EQ(tag(dev, "env", "dev"), "204");
  ASSERT_EQ(tag(dev, "team", "web"), "204");
  const auto ids = [&](const json& body) {
    const auto r = call("list-kms-by-tags", body);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> found;
    for (const auto& resource : r.body["resources"]) found.push_back(resource["resource_id"]);
    return std::pair{found, r.body["total_count"].get<std::size_t>()};
  };
  using found = std::pair<std::vector<std::string>, std::size_t>;
  EXPECT_EQ(ids({{"action", "filter"}}), (found{{bare, dev, db, web}, 4}));
  EXPECT_EQ(ids({{"action", "filter"}, {"tags", {{{"key", "env"}}}}}), (found{{dev, db, web}, 3}));
  EXPECT_EQ(ids({{"action", "filter"}, {"tags", {{{"key", "env"}, {"values", {"prod"}}}}}}),
            (found{{db, web}, 2}));
  // Values of one key: OR; keys: AND.
  EXPECT_EQ(ids({{"action", "filter"}, {"tags", {{{"key", "env"}, {"values", {"dev", "prod"}}}}}}),
            (found{{dev, db, web}, 3}));
  EXPECT_EQ(
      ids({{"action", "filter"},
           {"tags",
            {{{"key", "env"}, {"values", {"prod"}}}, {{"key", "team"}, {"values", {"web"}}}}}}),
      (found{{web}, 1}));
  EXPECT_EQ(ids({{"action", "filter"}, {"tags", {{{"key", "env"}, {"values", {"Prod"}}}}}}),
            (found{{}, 0}));
  // matches: a case-sensitive substring of key_alias.
  const json web_match = json::array({{{"key", "resource_name"}, {"value", "-web-"}}});
  EXPECT_EQ(ids({{"action", "filter"}, {"matches", web_match}}), (found{{dev, web}, 2}));
  EXPECT_EQ(ids({{"action", "filter"},
                 {"matches", json::array({{{"key", "resource_name"}, {"value", "WEB"}}})}}),
            (found{{}, 0}));
  EXPECT_EQ(ids({{"action", "filter"},
                 {"matches", web_match},
                 {"tags", {{{"key", "env"}, {"values", {"prod"}}}}}}),
            (found{{web}, 1}));
  // Pages: [offset, offset + limit) of the matches, the total of all; count: no resources.
  EXPECT_EQ(ids({{"action", "filter"}, {"limit", "2"}}), (found{{bare, dev}, 4}));
  EXPECT_EQ(ids({{"action", "filter"}, {"limit", "2"}, {"offset", "2"}}), (found{{db, web}, 4}));
  EXPECT_EQ(ids({{"action", "filter"}, {"offset", "4"}}), (found{{}, 4}));
  EXPECT_EQ(ids({{"action", "count"}, {"tags", {{{"key", "team"}}}}}), (found{{}, 3}));
  // A resource: its id, describe-key's key_info, its tags sorted, its alias.
  const auto r = call("list-kms-by-tags",
                      {{"action", "filter"},
                       {"matches", json::array({{{"key", "resource_name"}, {"value", "db"}}})}});
  ASSERT_EQ(r.body["resources"].size(), 1U);
  const auto& resource = r.body["resources"][0];
  EXPECT_EQ(resource["resource_detail"], call("describe-key", {{"key_id", db}}).body["key_info"]);
  EXPECT_EQ(resource["tags"],
            json::parse(R"([{"key":"env","value":"prod"},{"key":"team","value":"db"}])"));
  EXPECT_EQ(resource["resource_name"], "team-db-prod");
  EXPECT_EQ(r.text.substr(0, 29), R"({"resources":[{"resource_id":)");
  EXPECT_NE(r.text.find(R"("total_count":1})"), std::string::npos);
}

TEST_F(TagsTest, QuotasCountTheProjectsKeysAndCreateKeyStopsAtTheHostsQuota) {
  EXPECT_EQ(call("show-user-instances", json::object()).text, R"({"instance_num":0})");
  const auto first = create_key("first");
  create_key("second");
  EXPECT_EQ(call("show-user-quotas", json::object()).text,
            R"({"quotas":{"resources":[{"type":"CMK","used":2,"quota":2147483647},)"
            R"({"type":"grant_per_CMK","used":0,"quota":100}]}})");
  quota_ = 3;
  create_key("third");
  EXPECT_EQ(code("create-key", {{"key_alias", "fourth"}}), "KMS.1105");
  const auto refused = call("create-key", {{"key_alias", "fourth"}});
  EXPECT_EQ(refused.text, R"({"error":{"error_code":"KMS.1105","error_msg":"Too many keys."}})");
  // Field checks first, then a taken alias (KMS.1104), then the quota.
  EXPECT_EQ(code("create-key", {{"key_alias", "bad alias"}}), "KMS.1101");
  EXPECT_EQ(code("create-key", {{"key_alias", "first"}}), "KMS.1104");
  EXPECT_EQ(call("show-user-instances", json::object()).text, R"({"instance_num":3})");
  EXPECT_EQ(call("show-user-quotas", json::object()).body["quotas"]["resources"][0]["quota"], 3);
  // A key past its deletion date no longer counts.
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", first}, {"pending_days", "7"}}), "200");
  const std::int64_t date = t0 + std::int64_t{7} * 86'400'000;
  EXPECT_EQ(call("show-user-instances", json::object(), date - 1).text, R"({"instance_num":3})");
  EXPECT_EQ(call("show-user-instances", json::object(), date).text, R"({"instance_num":2})");
  EXPECT_EQ(call("create-key", {{"key_alias", "fourth"}}, date - 1).status, 400);
  EXPECT_EQ(call("create-key", {{"key_alias", "fourth"}}, date).status, 200);
  quota_ = 0;
  EXPECT_EQ(call("create-key", {{"key_alias", "fifth"}}, date).body["error"]["error_code"],
            "KMS.1105");
}

}  // namespace
