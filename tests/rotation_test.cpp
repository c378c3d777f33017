// Key rotation (api-rotation.md) and its extensions (docs/rotation.md): versions, re-wrap,
// the minimum decryption version, every error row through the JSON layer, and when rotation
// is due.
#include <kmscore/json.hpp>
#include <kmscore/key_cache.hpp>
#include <kmscore/maintenance.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/cached_service.hpp"
#include "support/project.hpp"

namespace {

using nlohmann::json;

constexpr std::int64_t day = 86'400'000;
constexpr std::int64_t t0 = 1'700'000'000'000;

// Every test runs twice: without a key cache (the tool) and with one (the server).
class RotationTest : public testing::TestWithParam<bool> {
 protected:
  struct reply {
    int status;
    json body;
    std::string text;  // as sent: field order included
  };
  reply call(const std::string& action, const json& body, std::int64_t now = t0) {
    kmscore::kms_service service{backend_,
                                 store_,
                                 kmscore_test::test_project(store_),
                                 kmscore::datakey_length_policy::range,
                                 {},
                                 GetParam() ? &cache_ : nullptr};
    const auto response = kmscore::handle_json(service, action, body.dump(), now);
    return {response.status, json::parse(response.text()), std::string{response.text()}};
  }
  std::string code(const std::string& action, const json& body, std::int64_t now = t0) {
    const auto r = call(action, body, now);
    return r.status == 200 ? "200" : r.body["error"]["error_code"].get<std::string>();
  }
  std::string create_key(const json& body) {
    const auto r = call("create-key", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body["key_info"]["key_id"];
  }
  // A 32-byte data key under the key; its envelope and plain text.
  std::pair<std::string, std::string> datakey(const std::string& key_id,
                                              const json& context = json::object()) {
    json body = {{"key_id", key_id}, {"datakey_length", "256"}};
    if (!context.empty()) body["encryption_context"] = context;
    const auto r = call("create-datakey", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return {r.body["cipher_text"], r.body["plain_text"]};
  }
  std::string decrypt(const std::string& key_id, const std::string& cipher,
                      const json& context = json::object()) {
    json body = {{"key_id", key_id}, {"cipher_text", cipher}, {"datakey_cipher_length", "32"}};
    if (!context.empty()) body["encryption_context"] = context;
    const auto r = call("decrypt-datakey", body);
    return r.status == 200 ? r.body["data_key"].get<std::string>()
                           : "error " + r.body["error"]["error_code"].get<std::string>();
  }
  std::uint32_t version_of(const std::string& cipher) {
    std::vector<kmscore::byte> blob(cipher.size() / 2);
    EXPECT_TRUE(kmscore::hex_decode(cipher, blob));
    return kmscore::parse_envelope(blob)->key_version();
  }
  json key(const std::string& id) { return {{"key_id", id}}; }

  kmscore_test::combined backend_;
  kmscore::memory_key_store store_;
  kmscore::key_cache<kmscore_test::combined> cache_{backend_};
};

TEST_P(RotationTest, RotatingThreeTimesKeepsFourVersionsThatAllDecrypt) {
  for (const char* spec : {"AES_256", "SM4"}) {
    const auto id = create_key({{"key_alias", std::string{"r-"} + spec}, {"key_spec", spec}});
    std::vector<std::pair<std::string, std::string>> made{datakey(id)};
    for (std::uint32_t n = 1; n <= 3; ++n) {
      const auto rotated = call("rotate-key", key(id), t0 + n);
      ASSERT_EQ(rotated.status, 200) << rotated.body;
      EXPECT_EQ(rotated.body["key_version"], n);
      EXPECT_TRUE(rotated.body["key_version"].is_number_integer());
      made.push_back(datakey(id));
    }
    for (std::uint32_t n = 0; n < made.size(); ++n) {
      EXPECT_EQ(version_of(made[n].first), n) << spec;
      EXPECT_EQ(decrypt(id, made[n].first), made[n].second) << spec << " version " << n;
    }
    const auto status = call("get-key-rotation-status", key(id));
    EXPECT_EQ(status.body["number_of_rotations"], 3);
    EXPECT_EQ(status.body["last_rotation_time"], std::to_string(t0 + 3));
    EXPECT_EQ(status.body["key_rotation_enabled"], false);  // on demand needs no schedule
  }
}

TEST_P(RotationTest, ReWrapMovesADekToTheCurrentVersionWithoutShowingIt) {
  const auto id = create_key({{"key_alias", "rewrap"}});
  const json context = {{"bucket", "photos"}};
  const auto [old_cipher, plain] = datakey(id, context);
  ASSERT_EQ(call("rotate-key", key(id)).status, 200);
  ASSERT_EQ(call("rotate-key", key(id)).status, 200);
  // Same key, context kept.
  auto r = call("re-encrypt-datakey", {{"key_id", id},
                                       {"cipher_text", old_cipher},
                                       {"datakey_cipher_length", "32"},
                                       {"encryption_context", context}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.size(), 3U);  // key_id, cipher_text, datakey_length: never the DEK
  EXPECT_EQ(r.body["key_id"], id);
  EXPECT_EQ(r.body["datakey_length"], "32");
  EXPECT_EQ(r.body.dump().find(plain), std::string::npos);
  const std::string rewrapped = r.body["cipher_text"];
  EXPECT_EQ(version_of(rewrapped), 2U);
  EXPECT_EQ(decrypt(id, rewrapped, context), plain);
  EXPECT_EQ(decrypt(id, rewrapped), "error KMS.2203");  // the context is still bound
  // Another key of the project, with a new context.
  const auto other = create_key({{"key_alias", "destination"}});
  const json new_context = {{"bucket", "archive"}};
  r = call("re-encrypt-datakey", {{"key_id", id},
                                  {"cipher_text", old_cipher},
                                  {"datakey_cipher_length", "32"},
                                  {"encryption_context", context},
                                  {"destination_key_id", other},
                                  {"destination_encryption_context", new_context}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["key_id"], other);
  EXPECT_EQ(decrypt(other, r.body["cipher_text"], new_context), plain);
  EXPECT_EQ(decrypt(other, r.body["cipher_text"], context), "error KMS.2203");
}

TEST_P(RotationTest, ReWrapChecksSourceFieldsThenDestinationFieldsThenKeys) {
  const auto id = create_key({{"key_alias", "order"}});
  const auto [cipher, plain] = datakey(id);
  json body = {{"key_id", id},
               {"cipher_text", cipher},
               {"datakey_cipher_length", "32"},
               {"destination_key_id", "BAD"},
               {"destination_encryption_context", {{"k", 1}}},
               {"sequence", "short"}};
  body["cipher_text"] = "zz";
  EXPECT_EQ(code("re-encrypt-datakey", body), "KMS.2201");  // source first
  body["cipher_text"] = cipher;
  body["datakey_cipher_length"] = "16";
  EXPECT_EQ(code("re-encrypt-datakey", body), "KMS.2204");
  body["datakey_cipher_length"] = "32";
  EXPECT_EQ(code("re-encrypt-datakey", body), "KMS.0205");  // then the destination
  body["destination_key_id"] = "00000000-0000-4000-8000-000000000000";
  EXPECT_EQ(code("re-encrypt-datakey", body), "KMS.0208");
  body["destination_encryption_context"] = {{"k", "v"}};
  EXPECT_EQ(code("re-encrypt-datakey", body), "KMS.0206");
  body.erase("sequence");
  EXPECT_EQ(code("re-encrypt-datakey", body), "KMS.0207");  // then the keys
  ASSERT_EQ(code("disable-key", key(id)), "200");
  EXPECT_EQ(code("re-encrypt-datakey", body), "KMS.0209");  // the source's state first
  ASSERT_EQ(code("enable-key", key(id)), "200");
  const auto disabled = create_key({{"key_alias", "disabled-destination"}});
  ASSERT_EQ(code("disable-key", key(disabled)), "200");
  body["destination_key_id"] = disabled;
  EXPECT_EQ(code("re-encrypt-datakey", body), "KMS.0209");
  const auto signer = create_key({{"key_alias", "signer"}, {"key_spec", "EC_P256"}});
  body["destination_key_id"] = signer;
  EXPECT_EQ(code("re-encrypt-datakey", body), "KMS.0325");
  body.erase("destination_key_id");
  EXPECT_EQ(code("re-encrypt-datakey", body), "200");
}

TEST_P(RotationTest, MinimumDecryptionVersionRefusesOldEnvelopesButReWrapOpensThem) {
  const auto id = create_key({{"key_alias", "retire"}});
  const auto [old_cipher, plain] = datakey(id);
  ASSERT_EQ(code("rotate-key", key(id)), "200");
  const auto [new_cipher, new_plain] = datakey(id);
  auto set = [&](const json& version) {
    return code("update-key-min-decryption-version",
                {{"key_id", id}, {"min_decryption_version", version}});
  };
  EXPECT_EQ(set(2), "KMS.3011");    // above the newest version (1)
  EXPECT_EQ(set("1"), "KMS.3011");  // a JSON string is the wrong type
  EXPECT_EQ(set(-1), "KMS.3011");
  EXPECT_EQ(set(1.0), "KMS.3011");
  EXPECT_EQ(code("update-key-min-decryption-version", key(id)), "KMS.0204");
  EXPECT_EQ(set(1), "200");
  EXPECT_EQ(decrypt(id, old_cipher), "error KMS.2210");
  EXPECT_EQ(decrypt(id, new_cipher), new_plain);
  const auto r =
      call("re-encrypt-datakey",
           {{"key_id", id}, {"cipher_text", old_cipher}, {"datakey_cipher_length", "32"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(decrypt(id, r.body["cipher_text"]), plain);
  EXPECT_EQ(set(0), "200");  // it may be lowered again
  EXPECT_EQ(decrypt(id, old_cipher), plain);
  const auto signer = create_key({{"key_alias", "ec"}, {"key_spec", "EC_P256"}});
  EXPECT_EQ(code("update-key-min-decryption-version",
                 {{"key_id", signer}, {"min_decryption_version", 0}}),
            "KMS.0325");
}

TEST_P(RotationTest, EnableDisableIntervalAndStatusWithEveryErrorRow) {
  const auto id = create_key({{"key_alias", "auto"}});
  auto status = call("get-key-rotation-status", key(id));
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(
      status.text,
      R"({"key_rotation_enabled":false,"rotation_interval":365,"last_rotation_time":"","number_of_rotations":0})");
  EXPECT_EQ(code("disable-key-rotation", key(id)), "KMS.0313");
  EXPECT_EQ(code("update-key-rotation-interval", {{"key_id", id}, {"rotation_interval", 30}}),
            "KMS.0313");
  const auto enabled = call("enable-key-rotation", key(id));
  EXPECT_EQ(enabled.status, 200);
  EXPECT_EQ(enabled.body, json::object());
  EXPECT_EQ(code("enable-key-rotation", key(id)), "KMS.2901");
  auto interval = [&](const json& days) {
    return code("update-key-rotation-interval", {{"key_id", id}, {"rotation_interval", days}});
  };
  EXPECT_EQ(interval(29), "KMS.3001");
  EXPECT_EQ(interval(30), "200");
  EXPECT_EQ(interval(365), "200");
  EXPECT_EQ(interval(366), "KMS.3001");
  EXPECT_EQ(interval("30"), "KMS.3001");
  EXPECT_EQ(interval(30.0), "KMS.3001");
  EXPECT_EQ(interval(-30), "KMS.3001");
  EXPECT_EQ(code("update-key-rotation-interval", key(id)), "KMS.0204");
  EXPECT_EQ(interval(90), "200");
  status = call("get-key-rotation-status", key(id));
  EXPECT_EQ(status.body["key_rotation_enabled"], true);
  EXPECT_EQ(status.body["rotation_interval"], 90);
  EXPECT_EQ(call("describe-key", key(id)).body["key_info"]["key_rotation_enabled"], "true");
  EXPECT_EQ(code("disable-key-rotation", key(id)), "200");
  EXPECT_EQ(call("get-key-rotation-status", key(id)).body["rotation_interval"], 90);  // kept

  // Field errors, then the key's: missing, state, origin, spec.
  EXPECT_EQ(code("enable-key-rotation", json::object()), "KMS.0204");
  EXPECT_EQ(code("enable-key-rotation", {{"key_id", "X"}}), "KMS.0205");
  EXPECT_EQ(code("enable-key-rotation", {{"key_id", id}, {"sequence", "x"}}), "KMS.0206");
  EXPECT_EQ(code("enable-key-rotation", key("00000000-0000-4000-8000-000000000000")), "KMS.0207");
  EXPECT_EQ(code("get-key-rotation-status", key("00000000-0000-4000-8000-000000000000")),
            "KMS.0207");
  ASSERT_EQ(code("disable-key", key(id)), "200");
  for (const char* action : {"enable-key-rotation", "disable-key-rotation", "rotate-key"}) {
    EXPECT_EQ(code(action, key(id)), "KMS.0209") << action;
  }
  EXPECT_EQ(code("get-key-rotation-status", key(id)), "200");  // read-only: always answers
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", id}, {"pending_days", "7"}}), "200");
  EXPECT_EQ(code("enable-key-rotation", key(id)), "KMS.0210");
  EXPECT_EQ(code("rotate-key", key(id)), "KMS.0210");
  const auto external = create_key({{"key_alias", "ext"}, {"origin", "external"}});
  EXPECT_EQ(code("enable-key-rotation", key(external)), "KMS.1301");  // state 5 comes first
  for (const auto& [spec, expected] :
       {std::pair{"RSA_2048", "KMS.0324"}, std::pair{"EC_P384", "KMS.0325"},
        std::pair{"SM2", "KMS.0325"}}) {
    const auto asymmetric =
        create_key({{"key_alias", std::string{"a-"} + spec}, {"key_spec", spec}});
    for (const char* action : {"enable-key-rotation", "disable-key-rotation", "rotate-key"}) {
      EXPECT_EQ(code(action, key(asymmetric)), expected) << spec << " " << action;
    }
    EXPECT_EQ(call("get-key-rotation-status", key(asymmetric)).body["key_rotation_enabled"], false);
  }
}

// External keys refuse with KMS.0312 once usable (state checks come first).
TEST(RotationRulesTest, ExternalKeysRefuseWith0312) {
  kmscore::key_record record;
  record.key.state = kmscore::key_state::enabled;
  record.origin = kmscore::key_origin::external;
  EXPECT_EQ(kmscore::check_key_can_rotate(record).error().code_string(), "KMS.0312");
  record.origin = kmscore::key_origin::kms;
  EXPECT_TRUE(kmscore::check_key_can_rotate(record));
}

// The key cache derives a material version's keys only when an envelope of that version is
// opened, and stays within its byte budget by evicting the least recently used keys. (The
// review of 0f70773 found every version derived in both formats up front: 14 MiB per key
// rotated to its limit, and about 56 GiB reachable with 4,096 entries.)
TEST(KeyCacheTest, DerivesOnlyTheVersionsInUseAndStaysWithinItsByteBudget) {
  kmscore_test::cached_service setup;
  const auto id = setup.make_key("rotated", t0);
  kmscore::create_datakey_request request;
  request.key_id = id.str();
  request.datakey_length = "256";
  std::vector<std::string> envelopes;  // of versions 0, 20 and 40
  for (int version = 0; version <= 40; ++version) {
    if (version % 20 == 0) {
      const auto dek =
          setup.service.run<kmscore::actions::create_datakey>(request, kmscore_test::test_now_ms);
      ASSERT_TRUE(dek);
      envelopes.emplace_back(dek->cipher_text());
    }
    ASSERT_TRUE(setup.rotate(id, t0 + version));
  }
  const auto entry = setup.cache.get(setup.store, setup.tenant.id, id);
  ASSERT_TRUE(entry && *entry && (*entry)->opener);
  const auto& opener = *(*entry)->opener;
  EXPECT_EQ((*entry)->record->key.material_versions.size(), 42U);
  EXPECT_EQ(opener.derived_count(), 0U);  // making data keys derives nothing to open with
  const auto before = setup.cache.bytes();
  const auto open = [&](const std::string& envelope) {
    kmscore::decrypt_datakey_request decrypt;
    decrypt.key_id = id.str();
    decrypt.cipher_text = envelope;
    decrypt.datakey_cipher_length = "32";
    return setup.service.run<kmscore::actions::decrypt_datakey>(decrypt, kmscore_test::test_now_ms)
        .has_value();
  };
  EXPECT_TRUE(open(envelopes[0]));
  EXPECT_EQ(opener.derived_count(), 1U);
  EXPECT_TRUE(open(envelopes[2]));
  EXPECT_TRUE(open(envelopes[0]));
  EXPECT_EQ(opener.derived_count(), 2U);  // versions 0 and 40, each once
  EXPECT_EQ(setup.cache.bytes(),
            before + 2 * kmscore::datakey_opener<kmscore_test::combined>::derived_key_bytes);
  // The twin: deriving everything up front is 42 versions in each of the suite's two formats.
  const auto eager = kmscore::datakey_opener<kmscore_test::combined>::make_derived(
      setup.backend, (*entry)->record->key);
  ASSERT_TRUE(eager);
  EXPECT_EQ(eager->derived_count(), 84U);

  // A budget for about two such keys: using a third evicts the least recently used.
  kmscore::key_cache<kmscore_test::combined> small{setup.backend, 4096, before * 5 / 2};
  kmscore::kms_service bounded{
      setup.backend, setup.store, setup.tenant, kmscore::datakey_length_policy::range, {}, &small};
  std::vector<kmscore::key_id> keys{id};
  for (const char* alias : {"second", "third"}) {
    const auto another = setup.make_key(alias, t0);
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(setup.rotate(another, t0 + i));
    }
    keys.push_back(another);
  }
  for (const auto& key : keys) {
    ASSERT_TRUE(small.get(setup.store, setup.tenant.id, key));
    EXPECT_LE(small.bytes(), small.byte_budget());
  }
  EXPECT_EQ(small.size(), 2U);
  const auto newest = small.get(setup.store, setup.tenant.id, keys.back());
  ASSERT_TRUE(newest && *newest);  // the most recent one stayed
}

TEST(RotationRulesTest, RotationIsDueAtTheBoundaryInstantNotBefore) {
  kmscore::key_record record;
  record.key.state = kmscore::key_state::enabled;
  record.rotation_enabled = true;
  record.rotation_interval_days = 30;
  record.rotation_enabled_ms = t0;
  EXPECT_FALSE(kmscore::rotation_due(record, t0 + 30 * day - 1));
  EXPECT_TRUE(kmscore::rotation_due(record, t0 + 30 * day));
  record.last_rotation_ms = t0 + 40 * day;  // after a rotation the base moves
  EXPECT_FALSE(kmscore::rotation_due(record, t0 + 70 * day - 1));
  EXPECT_TRUE(kmscore::rotation_due(record, t0 + 70 * day));
  record.rotation_enabled = false;
  EXPECT_FALSE(kmscore::rotation_due(record, t0 + 1000 * day));
  record.rotation_enabled = true;
  record.key.state = kmscore::key_state::disabled;  // never while disabled
  EXPECT_FALSE(kmscore::rotation_due(record, t0 + 1000 * day));
}

TEST_P(RotationTest, RotateDueKeysRotatesEachDueKeyOnceAndMovesItsBase) {
  const auto due = create_key({{"key_alias", "due"}});
  const auto later = create_key({{"key_alias", "later"}});
  const auto off = create_key({{"key_alias", "off"}});
  ASSERT_EQ(code("enable-key-rotation", key(due), t0), "200");
  ASSERT_EQ(code("update-key-rotation-interval", {{"key_id", due}, {"rotation_interval", 30}}),
            "200");
  ASSERT_EQ(code("enable-key-rotation", key(later), t0 + 20 * day), "200");
  ASSERT_EQ(code("update-key-rotation-interval", {{"key_id", later}, {"rotation_interval", 30}}),
            "200");
  (void)off;
  // 95 days on: three intervals missed for `due`, one rotation; `later` is due too.
  auto rotated = kmscore::rotate_due_keys(backend_, store_, t0 + 95 * day);
  ASSERT_TRUE(rotated);
  EXPECT_EQ(*rotated, 2U);
  EXPECT_EQ(call("get-key-rotation-status", key(due)).body["number_of_rotations"], 1);
  EXPECT_EQ(call("get-key-rotation-status", key(off)).body["number_of_rotations"], 0);
  // Not again until a whole interval after that run.
  EXPECT_EQ(*kmscore::rotate_due_keys(backend_, store_, t0 + 124 * day), 0U);
  EXPECT_EQ(*kmscore::rotate_due_keys(backend_, store_, t0 + 125 * day), 2U);
  const auto [cipher, plain] = datakey(due);
  EXPECT_EQ(version_of(cipher), 2U);
}

// rotate-key rotates a key at most max_on_demand_rotations (25, like AWS RotateKeyOnDemand)
// times in its life, then answers 400 KMS.3013 with the key unchanged; automatic rotation
// goes on. (The review of 0f70773 found a replayed rotate-key could push a key to its version
// cap within the signature's 15 minutes.)
TEST_P(RotationTest, RotateKeyStopsAtItsOnDemandLimitWhileAutomaticRotationGoesOn) {
  ASSERT_EQ(kmscore::max_on_demand_rotations, 25U);
  const auto id = create_key({{"key_alias", "on-demand"}});
  for (std::uint32_t n = 1; n <= 25; ++n) {
    const auto rotated = call("rotate-key", key(id), t0 + n);
    ASSERT_EQ(rotated.status, 200) << n << " " << rotated.body;
    EXPECT_EQ(rotated.body["key_version"], n);
  }
  const auto refused = call("rotate-key", key(id), t0 + 26);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(
      refused.text,
      R"({"error":{"error_code":"KMS.3013","error_msg":"The key has reached its maximum number of on-demand rotations."}})");
  const auto status = call("get-key-rotation-status", key(id));
  EXPECT_EQ(status.body["number_of_rotations"], 25);
  EXPECT_EQ(status.body["last_rotation_time"], std::to_string(t0 + 25));
  EXPECT_EQ(version_of(datakey(id).first), 25U);
  // The schedule is not limited by it.
  ASSERT_EQ(code("enable-key-rotation", key(id), t0 + 30), "200");
  ASSERT_EQ(code("update-key-rotation-interval", {{"key_id", id}, {"rotation_interval", 30}}),
            "200");
  EXPECT_EQ(*kmscore::rotate_due_keys(backend_, store_, t0 + 30 + 30 * day), 1U);
  EXPECT_EQ(version_of(datakey(id).first), 26U);
  EXPECT_EQ(code("rotate-key", key(id), t0 + 31 * day), "KMS.3013");
  // The twin: another key's count is its own.
  const auto other = create_key({{"key_alias", "on-demand-2"}});
  EXPECT_EQ(code("rotate-key", key(other), t0 + 31 * day), "200");
}

INSTANTIATE_TEST_SUITE_P(WithAndWithoutKeyCache, RotationTest, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& param) {
                           return param.param ? "cached" : "uncached";
                         });

}  // namespace
