// HMAC keys (shared spec api-import-mac.md §0.1, §0.3, §6, §7) through the JSON layer, with the
// tool's default backend: create-key's matrix for the four HMAC specs, every field and key row
// of generate-mac and verify-mac with its accept twin, MACs equal to OpenSSL's HMAC (called by
// the test) over the key's material read from the store, the spec's known answers, and
// KMS.0341 from every other action that takes a key.
#include <kmscore/json.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/backends.hpp"
#include "support/openssl_base64.hpp"
#include "support/openssl_envelope.hpp"
#include "support/project.hpp"

namespace {

using kmscore::byte;
using nlohmann::json;
using bytes = std::vector<byte>;

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr const char* absent_key = "00000000-0000-4000-8000-000000000000";

// Base64 by OpenSSL and hex by hand, not by the library under test.
std::string b64(const bytes& in) { return kmscore_test::openssl_base64(in); }
std::string lower_hex(const bytes& in) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const byte b : in) {
    out.push_back(digits[b >> 4U]);
    out.push_back(digits[b & 0xFU]);
  }
  return out;
}
bytes counting(std::size_t size) {
  bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<byte>(i);
  return out;
}

// HMAC by OpenSSL's own one-shot call.
bytes openssl_hmac(const EVP_MD* md, const bytes& key, const bytes& message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), message.data(), message.size(), out.data(),
           &size) == nullptr) {
    ADD_FAILURE() << "OpenSSL HMAC failed";
    return {};
  }
  return {out.begin(), out.begin() + size};
}

struct hmac_spec {
  const char* spec;
  const char* algorithm;
  std::size_t material;
  const EVP_MD* (*md)();
  const char* known_answer;  // api-import-mac.md §10 item 2: key 00 01 02 ..., message "fdsa"
};
const std::array<hmac_spec, 4> hmac_specs{{
    {"HMAC_256", "HMAC_SHA_256", 32, EVP_sha256,
     "68a86f2ce186e6bfd6a529ef0ff8db6a10f71e31f17d830fa818d69e31b98b3f"},
    {"HMAC_384", "HMAC_SHA_384", 48, EVP_sha384,
     "c1cad6cddaa46090bc8bd91a33b434dfc8a54671f9021134c3f6aab148e3ab347d3dd247db70ffbcf803e2a8f10c"
     "b507"},
    {"HMAC_512", "HMAC_SHA_512", 64, EVP_sha512,
     "32f137dd1a86d0acdcfcdd9ea08e6461873d73c6e7ea89d5de64aa83973d589dfbaf12701d9c52623ab978edbcaf"
     "5e7a1e8b036950597282d1d807b0998f3edb"},
    {"HMAC_SM3", "HMAC_SM3", 32, EVP_sm3,
     "2411916466865d810ff9060bf5c594293ed3b2d663943da04651f07b7b12557e"},
}};

class MacTest : public testing::Test {
 protected:
  struct reply {
    int status;
    json body;
    std::string text;  // as sent: nlohmann::json keeps members sorted, the text their order
  };
  reply call(const std::string& action, const json& body) {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_)};
    const auto response = kmscore::handle_json(service, action, body.dump(), t0);
    const std::string text{response.text()};
    return {response.status, text.empty() ? json() : json::parse(text), text};
  }
  std::string code(const std::string& action, const json& body) {
    const auto r = call(action, body);
    if (r.status == 200) return "200";
    const auto& e = r.body["error"];
    const std::string code = e["error_code"];
    return code == "KMS.0308" ? code + " " + e["error_msg"].get<std::string>() : code;
  }
  std::string create_key(const std::string& alias, const json& extra = json::object()) {
    json body = {{"key_alias", alias}};
    body.update(extra);
    const auto r = call("create-key", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body["key_info"]["key_id"];
  }
  // The key's material, read from the store (never through the API).
  bytes material(const std::string& id) {
    auto found = store_.find(kmscore_test::project_id, *kmscore::key_id::parse(id));
    EXPECT_TRUE(found && *found);
    const auto view = (*found)->key.material_versions.at(0).expose();
    return {view.begin(), view.end()};
  }
  // Replaces the key's material in the store (for the spec's known answers).
  void set_material(const std::string& id, const bytes& value) {
    auto found = store_.find(kmscore_test::project_id, *kmscore::key_id::parse(id));
    ASSERT_TRUE(found && *found);
    auto record = std::move(**found);
    kmscore::secret_bytes fresh{value.size()};
    std::copy(value.begin(), value.end(), fresh.expose().begin());
    record.key.material_versions.at(0) = std::move(fresh);
    const auto updated = store_.update(record);
    ASSERT_TRUE(updated && *updated == kmscore::update_outcome::updated);
  }

  kmscore_test::with_openssl backend_;  // the tool's
  kmscore::memory_key_store store_;
};

const bytes fdsa{'f', 'd', 's', 'a'};

TEST_F(MacTest, CreateKeyTakesTheFourHmacSpecsWithTheirOneUsage) {
  for (const auto& row : hmac_specs) {
    const auto r =
        call("create-key", {{"key_alias", std::string{"h-"} + row.spec}, {"key_spec", row.spec}});
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string id = r.body["key_info"]["key_id"];
    const auto described = call("describe-key", {{"key_id", id}});
    EXPECT_EQ(described.body["key_info"]["key_spec"], row.spec);
    EXPECT_EQ(described.body["key_info"]["key_usage"], "GENERATE_VERIFY_MAC");  // the default
    EXPECT_EQ(material(id).size(), row.material) << row.spec;
    EXPECT_EQ(code("create-key", {{"key_alias", std::string{"u-"} + row.spec},
                                  {"key_spec", row.spec},
                                  {"key_usage", "GENERATE_VERIFY_MAC"}}),
              "200");
    for (const char* usage : {"ENCRYPT_DECRYPT", "SIGN_VERIFY"}) {
      EXPECT_EQ(
          code("create-key", {{"key_alias", "u"}, {"key_spec", row.spec}, {"key_usage", usage}}),
          "KMS.0308 Invalid key_usage.")
          << row.spec << " " << usage;
    }
    EXPECT_EQ(
        code("create-key", {{"key_alias", "o"}, {"key_spec", row.spec}, {"origin", "external"}}),
        "KMS.0308 Invalid origin.");
    EXPECT_EQ(code("create-key", {{"key_alias", std::string{"o-"} + row.spec},
                                  {"key_spec", row.spec},
                                  {"origin", "kms"}}),
              "200");
  }
  // No other spec takes the MAC usage.
  for (const char* spec : {"AES_256", "SM4", "RSA_2048", "EC_P256", "SM2"}) {
    EXPECT_EQ(code("create-key",
                   {{"key_alias", "x"}, {"key_spec", spec}, {"key_usage", "GENERATE_VERIFY_MAC"}}),
              "KMS.0308 Invalid key_usage.")
        << spec;
  }
  EXPECT_EQ(code("create-key", {{"key_alias", "x"}, {"key_spec", "HMAC_224"}}),
            "KMS.0308 Invalid key_spec.");
  EXPECT_EQ(code("create-key", {{"key_alias", "x"}, {"key_spec", "hmac_256"}}),
            "KMS.0308 Invalid key_spec.");
}

TEST_F(MacTest, MacsEqualOpenSslHmacOverTheStoredMaterial) {
  const std::vector<bytes> messages{bytes{0x00}, fdsa, counting(4096)};
  for (const auto& row : hmac_specs) {
    const auto id = create_key(std::string{"m-"} + row.spec, {{"key_spec", row.spec}});
    const auto key = material(id);
    for (const auto& message : messages) {
      const auto r =
          call("generate-mac",
               {{"key_id", id}, {"mac_algorithm", row.algorithm}, {"message", b64(message)}});
      ASSERT_EQ(r.status, 200) << r.body;
      const json expected = {{"key_id", id},
                             {"mac_algorithm", row.algorithm},
                             {"mac", lower_hex(openssl_hmac(row.md(), key, message))}};
      EXPECT_EQ(r.body, expected) << row.spec << " " << message.size();
      // The documented order: key_id, mac_algorithm, mac.
      EXPECT_EQ(r.text.find("\"key_id\""), 1U);
      EXPECT_LT(r.text.find("\"key_id\""), r.text.find("\"mac_algorithm\""));
      EXPECT_LT(r.text.find("\"mac_algorithm\""), r.text.find("\"mac\":"));
      // verify-mac takes it back: true, in either case; any change is false.
      std::string mac = r.body["mac"];
      json verify = {{"key_id", id},
                     {"mac_algorithm", row.algorithm},
                     {"message", b64(message)},
                     {"mac", mac}};
      auto v = call("verify-mac", verify);
      ASSERT_EQ(v.status, 200) << v.body;
      EXPECT_EQ(v.body,
                (json{{"key_id", id}, {"mac_algorithm", row.algorithm}, {"mac_valid", true}}));
      EXPECT_TRUE(v.body["mac_valid"].is_boolean());
      for (auto& c : mac) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      verify["mac"] = mac;
      EXPECT_EQ(call("verify-mac", verify).body["mac_valid"], true);
      mac[5] = mac[5] == '0' ? '1' : '0';
      verify["mac"] = mac;
      EXPECT_EQ(call("verify-mac", verify).body["mac_valid"], false);
    }
  }
}

TEST_F(MacTest, TheSpecsKnownAnswers) {
  for (const auto& row : hmac_specs) {
    const auto id = create_key(std::string{"k-"} + row.spec, {{"key_spec", row.spec}});
    set_material(id, counting(row.material));
    const auto r =
        call("generate-mac",
             {{"key_id", id}, {"mac_algorithm", row.algorithm}, {"message", "ZmRzYQ=="}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["mac"], row.known_answer) << row.spec;
    EXPECT_EQ(call("verify-mac", {{"key_id", id},
                                  {"mac_algorithm", row.algorithm},
                                  {"message", "ZmRzYQ=="},
                                  {"mac", row.known_answer}})
                  .body["mac_valid"],
              true);
  }
}

TEST_F(MacTest, GenerateMacChecksItsFieldsInOrder) {
  const auto id = create_key("fields", {{"key_spec", "HMAC_256"}});
  const json good = {{"key_id", id}, {"mac_algorithm", "HMAC_SHA_256"}, {"message", b64(fdsa)}};
  EXPECT_EQ(code("generate-mac", good), "200");
  for (const char* action : {"generate-mac", "verify-mac"}) {
    json body = good;
    if (std::string{action} == "verify-mac") body["mac"] = std::string(64, '0');
    EXPECT_EQ(code(action, json{{"mac_algorithm", 7}}), "KMS.0204");
    auto with = [&](const char* name, const json& value) {
      json changed = body;
      changed[name] = value;
      return code(action, changed);
    };
    auto without = [&](const char* name) {
      json changed = body;
      changed.erase(name);
      return code(action, changed);
    };
    EXPECT_EQ(without("key_id"), "KMS.0204");
    EXPECT_EQ(with("key_id", "not-a-key"), "KMS.0205");
    EXPECT_EQ(with("key_id", 7), "KMS.0205");
    EXPECT_EQ(without("mac_algorithm"), "KMS.0204");
    for (const char* bad : {"HMAC_SHA_224", "hmac_sha_256", "", "HMAC_256"}) {
      EXPECT_EQ(with("mac_algorithm", bad), "KMS.0308 Invalid mac_algorithm.") << bad;
    }
    EXPECT_EQ(without("message"), "KMS.0204");
    EXPECT_EQ(with("message", ""), "KMS.0308 Invalid message.");
    EXPECT_EQ(with("message", "ZmRzYQ"), "KMS.0308 Invalid message.");  // unpadded
    EXPECT_EQ(with("message", "Zm!zYQ=="), "KMS.0308 Invalid message.");
    EXPECT_EQ(with("message", b64(counting(4097))), "KMS.0308 Invalid message.");
    EXPECT_EQ(with("message", b64(counting(4096))), "200");
    EXPECT_EQ(with("message", b64(bytes{0x01})), "200");
    EXPECT_EQ(with("sequence", "x"), "KMS.0206");
    EXPECT_EQ(with("sequence", "919c82d4-8046-4722-9094-35c3c6524cff"), "200");
    // Field checks before key checks.
    json unknown = body;
    unknown["key_id"] = absent_key;
    EXPECT_EQ(code(action, unknown), "KMS.0207");
    unknown["message"] = "";
    EXPECT_EQ(code(action, unknown), "KMS.0308 Invalid message.");
  }
}

TEST_F(MacTest, VerifyMacTakesHexOfTwoTo256Digits) {
  const auto id = create_key("verify", {{"key_spec", "HMAC_512"}});
  const json body = {{"key_id", id}, {"mac_algorithm", "HMAC_SHA_512"}, {"message", b64(fdsa)}};
  auto verdict = [&](const json& mac) {
    json changed = body;
    changed["mac"] = mac;
    const auto r = call("verify-mac", changed);
    if (r.status != 200)
      return r.body["error"]["error_code"].get<std::string>() + " " +
             r.body["error"]["error_msg"].get<std::string>();
    return std::string{r.body["mac_valid"].get<bool>() ? "true" : "false"};
  };
  EXPECT_EQ(code("verify-mac", body), "KMS.0204");
  const std::string right = lower_hex(openssl_hmac(EVP_sha512(), material(id), fdsa));
  EXPECT_EQ(verdict(right), "true");
  // Well-formed but wrong: 200 with false, whatever the length.
  EXPECT_EQ(verdict("00"), "false");
  EXPECT_EQ(verdict(std::string(256, 'f')), "false");
  EXPECT_EQ(verdict(right.substr(0, 126)), "false");  // truncated
  EXPECT_EQ(verdict(right + "00"), "false");          // extended
  const std::string invalid = "KMS.0308 Invalid mac.";
  EXPECT_EQ(verdict(""), invalid);
  EXPECT_EQ(verdict("0"), invalid);
  EXPECT_EQ(verdict("abc"), invalid);
  EXPECT_EQ(verdict(std::string(258, 'f')), invalid);
  EXPECT_EQ(verdict("zz"), invalid);
  EXPECT_EQ(verdict(" 00"), invalid);
  EXPECT_EQ(verdict(12), invalid);
  json late = body;
  late["mac"] = "0";
  late["sequence"] = "x";
  EXPECT_EQ(code("verify-mac", late), "KMS.0308 Invalid mac.");  // mac comes before sequence
}

TEST_F(MacTest, KeyChecksFollowTheStateRowsThenUsageThenAlgorithm) {
  auto body = [](const std::string& id, const char* algorithm = "HMAC_SHA_256") {
    return json{{"key_id", id}, {"mac_algorithm", algorithm}, {"message", "ZmRzYQ=="}};
  };
  const auto id = create_key("states", {{"key_spec", "HMAC_256"}});
  EXPECT_EQ(code("generate-mac", body(id)), "200");
  EXPECT_EQ(code("generate-mac", body(id, "HMAC_SHA_384")), "KMS.0308 Invalid mac_algorithm.");
  EXPECT_EQ(code("generate-mac", body(id, "HMAC_SM3")), "KMS.0308 Invalid mac_algorithm.");
  ASSERT_EQ(code("disable-key", {{"key_id", id}}), "200");
  EXPECT_EQ(code("generate-mac", body(id)), "KMS.0209");
  EXPECT_EQ(code("generate-mac", body(id, "HMAC_SHA_384")), "KMS.0209");  // state first
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", id}, {"pending_days", "7"}}), "200");
  EXPECT_EQ(code("generate-mac", body(id)), "KMS.0210");
  // Keys of the other usages, before the algorithm is compared.
  const auto aes = create_key("aes");
  const auto rsa_encrypt =
      create_key("rsa-e", {{"key_spec", "RSA_2048"}, {"key_usage", "ENCRYPT_DECRYPT"}});
  const auto ec = create_key("ec", {{"key_spec", "EC_P256"}});
  const auto sm2 = create_key("sm2", {{"key_spec", "SM2"}});
  for (const char* action : {"generate-mac", "verify-mac"}) {
    auto with_mac = [&](json b) {
      b["mac"] = "00";
      return b;
    };
    EXPECT_EQ(code(action, with_mac(body(aes))), "KMS.0334") << action;
    EXPECT_EQ(code(action, with_mac(body(rsa_encrypt))), "KMS.0334") << action;
    EXPECT_EQ(code(action, with_mac(body(ec, "HMAC_SM3"))), "KMS.0335") << action;
    EXPECT_EQ(code(action, with_mac(body(sm2))), "KMS.0335") << action;
    EXPECT_EQ(code(action, with_mac(body(absent_key))), "KMS.0207") << action;
  }
  const auto sm3 = create_key("sm3", {{"key_spec", "HMAC_SM3"}});
  EXPECT_EQ(code("generate-mac", body(sm3, "HMAC_SM3")), "200");
  EXPECT_EQ(code("generate-mac", body(sm3)), "KMS.0308 Invalid mac_algorithm.");
}

TEST_F(MacTest, AnAliasNamesTheKeyAndTheAnswerCarriesItsId) {
  const auto id = create_key("aliased", {{"key_spec", "HMAC_384"}});
  ASSERT_EQ(call("create-alias", {{"key_id", id}, {"alias", "alias/mac"}}).status, 201);
  const auto r =
      call("generate-mac",
           {{"key_id", "alias/mac"}, {"mac_algorithm", "HMAC_SHA_384"}, {"message", "AA=="}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["key_id"], id);
  EXPECT_EQ(call("verify-mac", {{"key_id", "alias/mac"},
                                {"mac_algorithm", "HMAC_SHA_384"},
                                {"message", "AA=="},
                                {"mac", r.body["mac"]}})
                .body["mac_valid"],
            true);
  EXPECT_EQ(
      code("generate-mac",
           {{"key_id", "alias/none"}, {"mac_algorithm", "HMAC_SHA_384"}, {"message", "AA=="}}),
      "KMS.0207");
}

// api-import-mac.md §0.3: an HMAC key in any other action that takes a key is KMS.0341.
TEST_F(MacTest, EveryOtherKeyActionRefusesHmacKeysWith0341) {
  const auto mac = create_key("hmac", {{"key_spec", "HMAC_256"}});
  const auto aes = create_key("aes");
  const auto made = call("create-datakey", {{"key_id", aes}, {"datakey_length", "256"}});
  ASSERT_EQ(made.status, 200);
  const std::string cipher = made.body["cipher_text"];
  const std::string plain = made.body["plain_text"];
  const std::string digest(64, '0');
  // An envelope (docs/envelope.md, version 16, made by the test's OpenSSL re-implementation)
  // that names the HMAC key: only a forger has one, and the key checks refuse it first.
  const auto forged_blob = kmscore_test::openssl_ref::seal(
      kmscore_test::openssl_ref::aes, material(mac), mac, 0,
      kmscore_test::openssl_ref::bytes(32, 7), kmscore_test::openssl_ref::bytes(32, 9), {});
  ASSERT_FALSE(forged_blob.empty());
  std::string forged;
  for (const auto b : forged_blob) {
    static constexpr char digits[] = "0123456789ABCDEF";
    forged.push_back(digits[b >> 4U]);
    forged.push_back(digits[b & 0xFU]);
  }
  const std::vector<std::pair<const char*, json>> calls{
      {"create-datakey", {{"key_id", mac}, {"datakey_length", "256"}}},
      {"create-datakey-without-plaintext", {{"key_id", mac}, {"datakey_length", "256"}}},
      {"encrypt-datakey",
       {{"key_id", mac}, {"plain_text", plain + digest}, {"datakey_plain_length", "32"}}},
      {"encrypt-data", {{"key_id", mac}, {"plain_text", "aGVsbG8="}}},
      {"decrypt-data",
       {{"key_id", mac},
        {"cipher_text", b64(counting(256))},
        {"encryption_algorithm", "RSAES_OAEP_SHA_256"}}},
      {"get-publickey", {{"key_id", mac}}},
      {"sign",
       {{"key_id", mac}, {"message", b64(counting(32))}, {"signing_algorithm", "ECDSA_SHA_256"}}},
      {"verify",
       {{"key_id", mac},
        {"message", b64(counting(32))},
        {"signature", "AA=="},
        {"signing_algorithm", "ECDSA_SHA_256"}}},
      {"enable-key-rotation", {{"key_id", mac}}},
      {"disable-key-rotation", {{"key_id", mac}}},
      {"update-key-rotation-interval", {{"key_id", mac}, {"rotation_interval", 30}}},
      {"rotate-key", {{"key_id", mac}}},
      {"update-key-min-decryption-version", {{"key_id", mac}, {"min_decryption_version", 0}}},
      {"decrypt-datakey",
       {{"key_id", mac}, {"cipher_text", forged}, {"datakey_cipher_length", "32"}}},
      {"re-encrypt-datakey",
       {{"key_id", mac}, {"cipher_text", forged}, {"datakey_cipher_length", "32"}}},
      {"re-encrypt-datakey",
       {{"key_id", aes},
        {"cipher_text", cipher},
        {"datakey_cipher_length", "32"},
        {"destination_key_id", mac}}},
  };
  for (const auto& [action, body] : calls) {
    EXPECT_EQ(code(action, body), "KMS.0341") << action;
    const auto r = call(action, body);
    EXPECT_EQ(r.status, 400) << action;
    EXPECT_EQ(r.body["error"]["error_msg"], "The hmac key do not support this operation.");
  }
  // The accept twins: the same calls with an AES key (or, for the key-pair actions, an EC key)
  // pass the key-kind rows.
  EXPECT_EQ(code("create-datakey", {{"key_id", aes}, {"datakey_length", "256"}}), "200");
  EXPECT_EQ(code("rotate-key", {{"key_id", aes}}), "200");
  const auto status = call("get-key-rotation-status", {{"key_id", mac}});
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(status.body["key_rotation_enabled"], false);
  // describe-key and list-keys show the spec and usage.
  const auto described = call("describe-key", {{"key_id", mac}});
  EXPECT_EQ(described.body["key_info"]["key_usage"], "GENERATE_VERIFY_MAC");
  const auto listed = call("list-keys", {{"key_spec", "HMAC_256"}});
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.body["key_details"].size(), 1U);
  EXPECT_EQ(listed.body["key_details"][0]["key_id"], mac);
}

// A backend without MACs (or without the key's algorithm) answers 500 KMS.0101, never another
// MAC.
TEST_F(MacTest, ABackendWithoutTheAlgorithmIs500) {
  const auto id = create_key("sm3-only", {{"key_spec", "HMAC_SM3"}});
  kmscore_test::sodium sodium;  // HMAC-SHA-256 and -512 only
  kmscore::kms_service service{sodium, store_, kmscore_test::test_project(store_)};
  const json body = {{"key_id", id}, {"mac_algorithm", "HMAC_SM3"}, {"message", "AA=="}};
  const auto response = kmscore::handle_json(service, "generate-mac", body.dump(), t0);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(json::parse(std::string{response.text()})["error"]["error_code"], "KMS.0101");
  const auto sha = create_key("sha-256", {{"key_spec", "HMAC_256"}});
  const json twin = {{"key_id", sha}, {"mac_algorithm", "HMAC_SHA_256"}, {"message", "AA=="}};
  EXPECT_EQ(kmscore::handle_json(service, "generate-mac", twin.dump(), t0).status, 200);
}

}  // namespace
