// The JSON wire layer: the seeds' samples, the general rules, and one test per error row of
// api.md (the tool's end-to-end tests cover the same rows through a process).
#include <kmscore/json.hpp>

#include <gtest/gtest.h>

#include <string>

#include "support/backends.hpp"
#include "support/project.hpp"

namespace {

using nlohmann::json;

constexpr const char* seed_key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
constexpr const char* domain = "b168fe00ff56492495a7d22974df2d0b";

bool is_upper_hex(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

class JsonTest : public testing::Test {
 protected:
  struct reply {
    int status;
    json body;
    std::string text;
  };

  reply call(const std::string& action, const std::string& body,
             kmscore::datakey_length_policy policy = kmscore::datakey_length_policy::range) {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_), policy};
    const auto response = kmscore::handle_json(service, action, body, 1'700'000'000'000);
    const std::string text{response.text()};
    return {response.status, json::parse(text), text};
  }

  // The error code of a call, checking the documented body shape on the way.
  std::string code(const std::string& action, const std::string& body,
                   kmscore::datakey_length_policy policy = kmscore::datakey_length_policy::range) {
    const auto r = call(action, body, policy);
    if (r.status == 200) return "200";
    EXPECT_EQ(r.body.size(), 1U);
    EXPECT_TRUE(r.body.at("error").at("error_msg").is_string());
    EXPECT_EQ(r.body.at("error").size(), 2U);
    return r.body.at("error").at("error_code").get<std::string>();
  }

  std::string create_key(const std::string& body) {
    const auto r = call("create-key", body);
    EXPECT_EQ(r.status, 200) << r.text;
    return r.body.at("key_info").at("key_id").get<std::string>();
  }

  // A key with the seed's key_id, so the seed's create-datakey request finds it.
  void add_seed_key(kmscore::key_spec spec = kmscore::key_spec::aes_256,
                    kmscore::key_state state = kmscore::key_state::enabled) {
    kmscore::key_record record;
    record.key.key_id = *kmscore::key_id::parse(seed_key_id);
    record.key.spec = spec;
    record.key.state = state;
    record.key.material_versions.emplace_back(std::vector<kmscore::byte>(
        kmscore::spec_policy(spec).is_symmetric() ? kmscore::spec_policy(spec).material_size : 8,
        3));
    record.project_id = kmscore_test::project_id;
    record.domain_id = domain;
    record.key_alias = "seed";
    (void)kmscore_test::test_project(store_);
    ASSERT_TRUE(store_.insert(record));
  }

  std::string datakey_body(const std::string& key_id, const std::string& extra = "") {
    return R"({"key_id":")" + key_id + R"(","datakey_length":"512")" + extra + "}";
  }

  kmscore_test::combined backend_;
  kmscore::memory_key_store store_;
};

// ---- the seeds' samples ------------------------------------------------------------------

TEST_F(JsonTest, SeedCreateKeyResponseShape) {
  const auto r = call("create-key", R"({"key_alias": "test"})");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body.size(), 1U);
  const auto& info = r.body.at("key_info");
  ASSERT_EQ(info.size(), 2U);
  const auto key_id = info.at("key_id").get<std::string>();
  EXPECT_TRUE(kmscore::uuid::is_canonical(key_id));
  EXPECT_EQ(key_id[14], '4');
  EXPECT_EQ(info.at("domain_id"), domain);
}

TEST_F(JsonTest, SeedCreateDatakeyResponseShape) {
  add_seed_key();
  const auto r =
      call("create-datakey",
           R"({"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "datakey_length": "512"})");
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_EQ(r.body.size(), 3U);
  EXPECT_EQ(r.body.at("key_id"), seed_key_id);
  const auto plain = r.body.at("plain_text").get<std::string>();
  const auto cipher = r.body.at("cipher_text").get<std::string>();
  EXPECT_EQ(plain.size(), 128U);   // 64 bytes, like the seed
  EXPECT_EQ(cipher.size(), 376U);  // 188 bytes, like the seed
  EXPECT_TRUE(is_upper_hex(plain));
  EXPECT_TRUE(is_upper_hex(cipher));
  // Members in the documented order.
  EXPECT_EQ(r.text.find("\"key_id\""), 1U);
  EXPECT_LT(r.text.find("\"plain_text\""), r.text.find("\"cipher_text\""));
}

TEST_F(JsonTest, FullDataKeyCycle) {
  const auto key_id = create_key(R"({"key_alias":"cycle"})");
  const auto made =
      call("create-datakey", datakey_body(key_id, R"(,"encryption_context":{"a":"b"})"));
  ASSERT_EQ(made.status, 200);
  const auto cipher = made.body.at("cipher_text").get<std::string>();
  const auto opened = call("decrypt-datakey",
                           R"({"key_id":")" + key_id + R"(","cipher_text":")" + cipher +
                               R"(","datakey_cipher_length":"64","encryption_context":{"a":"b"}})");
  ASSERT_EQ(opened.status, 200) << opened.text;
  EXPECT_EQ(opened.body.at("data_key"), made.body.at("plain_text"));
  EXPECT_EQ(opened.body.at("datakey_length"), "64");
  EXPECT_EQ(opened.body.at("datakey_dgst").get<std::string>().size(), 64U);
  // encrypt-datakey with the DEK and the digest decrypt-datakey reported.
  const auto plain = made.body.at("plain_text").get<std::string>() +
                     opened.body.at("datakey_dgst").get<std::string>();
  const auto sealed = call("encrypt-datakey", R"({"key_id":")" + key_id + R"(","plain_text":")" +
                                                  plain + R"(","datakey_plain_length":"64"})");
  ASSERT_EQ(sealed.status, 200) << sealed.text;
  EXPECT_EQ(sealed.body.at("datakey_length"), "64");
  EXPECT_EQ(sealed.body.at("cipher_text").get<std::string>().size(), 376U);
  const auto bare = call("create-datakey-without-plaintext", datakey_body(key_id));
  ASSERT_EQ(bare.status, 200);
  EXPECT_EQ(bare.body.size(), 2U);
  EXPECT_FALSE(bare.body.contains("plain_text"));
}

// ---- general rules -------------------------------------------------------------------------

TEST_F(JsonTest, MalformedBodiesAre0202) {
  EXPECT_EQ(code("create-key", "not json"), "KMS.0202");
  EXPECT_EQ(code("create-key", ""), "KMS.0202");
  EXPECT_EQ(code("create-key", R"(["key_alias","test"])"), "KMS.0202");
  EXPECT_EQ(code("create-key", R"("test")"), "KMS.0202");
  EXPECT_EQ(code("create-key", R"({"key_alias":"a","key_alias":"b"})"), "KMS.0202");
  EXPECT_EQ(code("create-key", R"({"key_alias":"a","x":{"y":1,"y":2}})"), "KMS.0202");
  EXPECT_EQ(code("create-key", R"({"key_alias":"a"} trailing)"), "KMS.0202");
  EXPECT_EQ(code("create-key", R"({"key_alias":"a"})"), "200");  // the twin
}

TEST_F(JsonTest, BodySizeLimitIs0203) {
  const std::string padding(64 * 1024 - 40, ' ');
  const std::string fits = R"({"key_alias":"big")" + padding + "}";
  ASSERT_LE(fits.size(), 64U * 1024U);
  EXPECT_EQ(code("create-key", fits), "200");
  const std::string over =
      R"({"key_alias":"big2")" + std::string(std::size_t{64} * 1024, ' ') + "}";
  EXPECT_EQ(code("create-key", over), "KMS.0203");
}

TEST_F(JsonTest, MissingOrNullRequiredFieldIs0204) {
  EXPECT_EQ(code("create-key", "{}"), "KMS.0204");
  EXPECT_EQ(code("create-key", R"({"key_alias":null})"), "KMS.0204");
  EXPECT_EQ(code("create-datakey", R"({"datakey_length":"512"})"), "KMS.0204");
  EXPECT_EQ(code("create-datakey", R"({"key_id":")" + std::string{seed_key_id} + R"("})"),
            "KMS.0204");
}

TEST_F(JsonTest, NullOptionalIsAbsentAndUnknownFieldsAreIgnored) {
  EXPECT_EQ(code("create-key", R"({"key_alias":"n1","key_spec":null,"sequence":null})"), "200");
  EXPECT_EQ(code("create-key", R"({"key_alias":"n2","realm":"x","keystore_id":{"a":[1]}})"), "200");
}

TEST_F(JsonTest, WrongTypesGiveTheFieldsOwnErrorInFieldOrder) {
  EXPECT_EQ(code("create-key", R"({"key_alias":5})"), "KMS.1101");
  const auto spec = call("create-key", R"({"key_alias":"t","key_spec":1})");
  EXPECT_EQ(spec.body["error"]["error_msg"], "Invalid key_spec.");
  EXPECT_EQ(code("create-key", R"({"key_alias":"t","key_description":[]})"), "KMS.1103");
  EXPECT_EQ(code("create-key", R"({"key_alias":"t","sequence":true})"), "KMS.0206");
  // An earlier field's value error wins over a later field's type error.
  EXPECT_EQ(code("create-key", R"({"key_alias":"bad alias","key_spec":1})"), "KMS.1101");
  EXPECT_EQ(code("create-datakey", R"({"key_id":1,"datakey_length":"512"})"), "KMS.0205");
  EXPECT_EQ(code("create-datakey",
                 R"({"key_id":")" + std::string{seed_key_id} + R"(","datakey_length":512})"),
            "KMS.1901");
  EXPECT_EQ(code("create-datakey", datakey_body(seed_key_id, R"(,"encryption_context":"a=b")")),
            "KMS.0208");
  EXPECT_EQ(code("create-datakey", datakey_body(seed_key_id, R"(,"encryption_context":{"a":1})")),
            "KMS.0208");
}

TEST_F(JsonTest, SequenceIs0206) {
  EXPECT_EQ(
      code("create-key", R"({"key_alias":"s1","sequence":"919c82d4-8046-4722-9094-35c3c6524cff"})"),
      "200");
  EXPECT_EQ(code("create-key", R"({"key_alias":"s2","sequence":"919c82d4"})"), "KMS.0206");
  EXPECT_EQ(code("list-keys", R"({"sequence":"919c82d4"})"), "KMS.0206");
}

// ---- create-key rows -----------------------------------------------------------------------

TEST_F(JsonTest, CreateKeyErrorRows) {
  EXPECT_EQ(code("create-key", R"({"key_alias":"a/default"})"), "KMS.1101");
  EXPECT_EQ(code("create-key", R"({"key_alias":"a/defaultx"})"), "200");
  EXPECT_EQ(code("create-key", R"({"key_alias":"k1","key_spec":"AES_128"})"), "KMS.0308");
  EXPECT_EQ(code("create-key",
                 R"({"key_alias":"k2","key_spec":"EC_P256","key_usage":"ENCRYPT_DECRYPT"})"),
            "KMS.0308");
  EXPECT_EQ(
      code("create-key", R"({"key_alias":"k3","key_spec":"EC_P256","key_usage":"SIGN_VERIFY"})"),
      "200");
  EXPECT_EQ(code("create-key",
                 R"({"key_alias":"k4","key_description":")" + std::string(256, 'd') + "\"}"),
            "KMS.1103");
  EXPECT_EQ(code("create-key", R"({"key_alias":"k5","key_spec":"HMAC_256","origin":"external"})"),
            "KMS.0308");
  EXPECT_EQ(code("create-key", R"({"key_alias":"k5","key_spec":"SM4","origin":"external"})"),
            "200");
  EXPECT_EQ(code("create-key", R"({"key_alias":"k6","origin":"external"})"), "200");
  EXPECT_EQ(code("create-key", R"({"key_alias":"k7","enterprise_project_id":"1"})"), "KMS.0308");
  EXPECT_EQ(code("create-key", R"({"key_alias":"dup"})"), "200");
  EXPECT_EQ(code("create-key", R"({"key_alias":"dup"})"), "KMS.1104");
}

// ---- create-datakey rows ------------------------------------------------------------------

TEST_F(JsonTest, CreateDatakeyFieldRows) {
  add_seed_key();
  auto with_length = [](const std::string& length) {
    return R"({"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","datakey_length":")" + length +
           "\"}";
  };
  EXPECT_EQ(code("create-datakey",
                 R"({"key_id":"0D0466B0-E727-4D9C-B35D-F84BB474A37F","datakey_length":"512"})"),
            "KMS.0205");
  EXPECT_EQ(code("create-datakey", with_length("8200")), "KMS.1901");
  EXPECT_EQ(code("create-datakey", with_length("12")), "KMS.1903");
  EXPECT_EQ(code("create-datakey", with_length("8192")), "200");
  EXPECT_EQ(code("create-datakey", with_length("256"), kmscore::datakey_length_policy::strict512),
            "KMS.2001");
  EXPECT_EQ(code("create-datakey", with_length("512"), kmscore::datakey_length_policy::strict512),
            "200");
  EXPECT_EQ(code("create-datakey",
                 R"({"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","key_spec":"SM4"})"),
            "KMS.1902");
  const auto aes128 =
      call("create-datakey",
           R"({"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","key_spec":"AES_128"})");
  ASSERT_EQ(aes128.status, 200);
  EXPECT_EQ(aes128.body["plain_text"].get<std::string>().size(), 32U);
  const std::string big_value(8200, 'v');
  EXPECT_EQ(code("create-datakey",
                 datakey_body(seed_key_id, R"(,"encryption_context":{"k":")" + big_value + "\"}")),
            "KMS.0208");
}

TEST_F(JsonTest, CreateDatakeyMasterKeyRows) {
  EXPECT_EQ(code("create-datakey", datakey_body(seed_key_id)), "KMS.0207");
  EXPECT_EQ(call("create-datakey", datakey_body(seed_key_id)).status, 404);
  const auto key_id = create_key(R"({"key_alias":"states"})");
  EXPECT_EQ(code("disable-key", R"({"key_id":")" + key_id + "\"}"), "200");
  EXPECT_EQ(code("create-datakey", datakey_body(key_id)), "KMS.0209");
  EXPECT_EQ(code("schedule-key-deletion", R"({"key_id":")" + key_id + R"(","pending_days":"7"})"),
            "200");
  EXPECT_EQ(code("create-datakey", datakey_body(key_id)), "KMS.0210");
  const auto external = create_key(R"({"key_alias":"ext","origin":"external"})");
  EXPECT_EQ(code("create-datakey", datakey_body(external)), "KMS.1301");
  const auto signer = create_key(R"({"key_alias":"signer","key_spec":"EC_P256"})");
  EXPECT_EQ(code("create-datakey", datakey_body(signer)), "KMS.0325");
  EXPECT_EQ(code("create-datakey-without-plaintext", datakey_body(signer)), "KMS.0325");
}

TEST_F(JsonTest, BackendThatCannotServeTheKeyIs500) {
  const auto sm4 = create_key(R"({"key_alias":"national","key_spec":"SM4"})");
  kmscore_test::sodium sodium;
  kmscore::kms_service service{sodium, store_, kmscore_test::test_project(store_)};
  const auto response = kmscore::handle_json(service, "create-datakey", datakey_body(sm4), 1);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(json::parse(response.text())["error"]["error_code"], "KMS.0101");
  EXPECT_EQ(json::parse(response.text())["error"]["error_msg"], "KMS error.");
}

// ---- encrypt-datakey / decrypt-datakey rows -------------------------------------------------

TEST_F(JsonTest, EncryptDatakeyRows) {
  const auto key_id = create_key(R"({"key_alias":"enc"})");
  auto body = [&](const std::string& plain, const std::string& length) {
    return R"({"key_id":")" + key_id + R"(","plain_text":")" + plain +
           R"(","datakey_plain_length":")" + length + "\"}";
  };
  const std::string dek(128, 'A');
  // Some 32-byte digest: the rows below fail before the digest is checked (the accepted
  // twin with the right digest is FullDataKeyCycle).
  const std::string digest(64, 'F');
  EXPECT_EQ(code("encrypt-datakey", body(dek + std::string(63, '0') + "G", "64")), "KMS.2101");
  EXPECT_EQ(code("encrypt-datakey", body(dek + digest, "1025")), "KMS.2102");
  EXPECT_EQ(code("encrypt-datakey", body(dek + digest, "0")), "KMS.2102");
  EXPECT_EQ(code("encrypt-datakey", body(dek + digest, "63")), "KMS.2104");
  EXPECT_EQ(code("encrypt-datakey", body(dek + std::string(64, '0'), "64")), "KMS.2103");
}

TEST_F(JsonTest, DecryptDatakeyRows) {
  const auto key_id = create_key(R"({"key_alias":"dec"})");
  const auto cipher =
      call("create-datakey", datakey_body(key_id)).body["cipher_text"].get<std::string>();
  auto body = [&](const std::string& text, const std::string& length) {
    return R"({"key_id":")" + key_id + R"(","cipher_text":")" + text +
           R"(","datakey_cipher_length":")" + length + "\"}";
  };
  EXPECT_EQ(code("decrypt-datakey", body(cipher, "64")), "200");
  std::string lower = cipher;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  EXPECT_EQ(code("decrypt-datakey", body(lower, "64")), "200");                       // either case
  EXPECT_EQ(code("decrypt-datakey", body(cipher + "Z", "64")), "KMS.2201");           // not hex
  EXPECT_EQ(code("decrypt-datakey", body(cipher.substr(0, 100), "64")), "KMS.2201");  // malformed
  std::string unknown_version = cipher;
  unknown_version[0] = '7';
  EXPECT_EQ(code("decrypt-datakey", body(unknown_version, "64")), "KMS.2201");
  const auto other_key = create_key(R"({"key_alias":"dec2"})");
  EXPECT_EQ(code("decrypt-datakey", R"({"key_id":")" + other_key + R"(","cipher_text":")" + cipher +
                                        R"(","datakey_cipher_length":"64"})"),
            "KMS.2201");  // the envelope names another key
  EXPECT_EQ(code("decrypt-datakey", body(cipher, "1025")), "KMS.2202");
  EXPECT_EQ(code("decrypt-datakey", body(cipher, "32")), "KMS.2204");
  std::string tampered = cipher;
  tampered[20] = tampered[20] == '0' ? '1' : '0';
  EXPECT_EQ(code("decrypt-datakey", body(tampered, "64")), "KMS.2203");
  EXPECT_EQ(code("decrypt-datakey",
                 R"({"key_id":")" + key_id + R"(","cipher_text":")" + cipher +
                     R"(","datakey_cipher_length":"64","encryption_context":{"x":"y"}})"),
            "KMS.2203");
}

// ---- lifecycle rows ------------------------------------------------------------------------

TEST_F(JsonTest, LifecycleRowsAndShapes) {
  const auto key_id = create_key(R"({"key_alias":"life","key_description":"d"})");
  const std::string id_body = R"({"key_id":")" + key_id + "\"}";
  const auto described = call("describe-key", id_body);
  ASSERT_EQ(described.status, 200);
  const auto& info = described.body.at("key_info");
  for (const char* field :
       {"key_id", "domain_id", "key_alias", "key_description", "key_spec", "key_usage", "origin",
        "key_state", "creation_date", "scheduled_deletion_date", "default_key_flag",
        "sys_enterprise_project_id"}) {
    EXPECT_TRUE(info.at(field).is_string()) << field;
  }
  EXPECT_EQ(info.at("key_state"), "2");
  EXPECT_EQ(info.at("creation_date"), "1700000000000");
  EXPECT_EQ(info.at("scheduled_deletion_date"), "");
  EXPECT_EQ(info.at("default_key_flag"), "0");

  EXPECT_EQ(code("enable-key", id_body), "KMS.1201");
  const auto disabled = call("disable-key", id_body);
  EXPECT_EQ(disabled.body["key_info"]["key_state"], "3");
  EXPECT_EQ(code("disable-key", id_body), "KMS.1301");
  EXPECT_EQ(code("enable-key", id_body), "200");
  EXPECT_EQ(code("cancel-key-deletion", id_body), "KMS.1501");
  const std::string schedule = R"({"key_id":")" + key_id + R"(","pending_days":")";
  EXPECT_EQ(code("schedule-key-deletion", schedule + "6\"}"), "KMS.1401");
  EXPECT_EQ(code("schedule-key-deletion", schedule + "1097\"}"), "KMS.1401");
  const auto scheduled = call("schedule-key-deletion", schedule + "1096\"}");
  EXPECT_EQ(scheduled.body["key_state"], "4");
  EXPECT_EQ(code("schedule-key-deletion", schedule + "7\"}"), "KMS.1402");
  EXPECT_NE(call("describe-key", id_body).body["key_info"]["scheduled_deletion_date"], "");
  EXPECT_EQ(call("cancel-key-deletion", id_body).body["key_state"], "3");
  EXPECT_EQ(code("describe-key", R"({"key_id":"00000000-0000-4000-8000-000000000000"})"),
            "KMS.0207");
  const auto listed = call("list-keys", "{}");
  EXPECT_EQ(listed.body["total"], 1);
  EXPECT_EQ(listed.body["keys"][0], key_id);
}

// ---- no exception escapes; no malformed body is ever rendered ---------------------------

// A store (a host's database) hands back a record whose description is not UTF-8: nlohmann's
// dump() throws type_error.316 inside the layer, which answers 500 KMS.0101 instead.
class corrupt_store final : public kmscore::key_store {
 public:
  kmscore::result<std::optional<kmscore::project>> find_project(
      const kmscore::project_id& id) override {
    return std::optional<kmscore::project>{kmscore::project{id, domain}};
  }
  kmscore::result<kmscore::project> ensure_project(const kmscore::project_id& id,
                                                   std::string_view domain_id) override {
    return kmscore::project{id, std::string{domain_id}};
  }
  kmscore::result<std::vector<kmscore::project>> list_projects() override {
    return std::vector<kmscore::project>{};
  }
  kmscore::result<std::optional<kmscore::key_record>> find(const kmscore::project_id& project_id,
                                                           const kmscore::key_id& id) override {
    kmscore::key_record record;
    record.key.key_id = id;
    record.project_id = project_id;
    record.domain_id = domain;
    record.key_alias = "corrupt";
    record.key_description = "\xC3\x28";  // an invalid two-byte sequence
    return std::optional<kmscore::key_record>{std::move(record)};
  }
  kmscore::result<std::optional<std::uint64_t>> revision_of(
      const kmscore::project_id& /*project_id*/, const kmscore::key_id& /*id*/) override {
    return std::optional<std::uint64_t>{1};
  }
  kmscore::result<std::optional<kmscore::key_record>> find_by_alias(
      const kmscore::project_id& /*project_id*/, std::string_view /*alias*/) override {
    return std::optional<kmscore::key_record>{};
  }
  kmscore::result<void> insert(kmscore::key_record& /*record*/) override { return {}; }
  kmscore::result<kmscore::update_outcome> update(kmscore::key_record& /*record*/) override {
    return kmscore::update_outcome::updated;
  }
  kmscore::result<kmscore::update_outcome> remove(const kmscore::project_id& /*tenant*/,
                                                  const kmscore::key_id& /*id*/,
                                                  std::uint64_t /*revision*/) override {
    return kmscore::update_outcome::updated;
  }
  kmscore::result<kmscore::key_list_page> list(const kmscore::project_id& project_id,
                                               const kmscore::key_list_query& /*query*/) override {
    kmscore::key_list_page page;
    auto one = find(project_id, *kmscore::key_id::parse(seed_key_id));
    page.records.push_back(std::move(**one));
    page.total = 1;
    return page;
  }
  kmscore::result<std::vector<kmscore::tag_values>> list_tags(const kmscore::project_id& /*tenant*/,
                                                              std::int64_t /*now_ms*/) override {
    return std::vector<kmscore::tag_values>{};
  }
  kmscore::result<std::optional<kmscore::alias_entry>> find_alias(const kmscore::project_id& tenant,
                                                                  std::string_view alias,
                                                                  std::int64_t now_ms) override {
    (void)tenant, (void)alias, (void)now_ms;
    return std::optional<kmscore::alias_entry>{};
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
    return std::vector<kmscore::alias_entry>{};
  }
};

TEST(JsonExceptionTest, InvalidUtf8FromTheStoreIs500NotAnException) {
  kmscore_test::cryptopp backend;
  corrupt_store store;
  kmscore::kms_service service{backend, store, kmscore_test::test_project(store)};
  for (const char* action : {"describe-key", "list-keys"}) {
    kmscore::http_response response;
    EXPECT_NO_THROW(response = kmscore::handle_json(
                        service, action, R"({"key_id":")" + std::string{seed_key_id} + "\"}", 1));
    EXPECT_EQ(response.status, 500) << action;
    EXPECT_EQ(json::parse(response.text()).at("error").at("error_code"), "KMS.0101") << action;
  }
}

TEST(JsonExceptionTest, ValuesThatWouldNeedEscapingAreRefusedNotRendered) {
  EXPECT_EQ(kmscore::detail::render_plain_object({{"a", "0123456789ABCDEF-xyz"}}).status, 200);
  for (const char* bad : {"quote\"", "back\\slash", "new\nline", "\x7F", "\xC3\xA9"}) {
    const auto response = kmscore::detail::render_plain_object({{"a", bad}});
    EXPECT_EQ(response.status, 500) << bad;
    EXPECT_EQ(json::parse(response.text()).at("error").at("error_code"), "KMS.0101");
  }
}

}  // namespace
