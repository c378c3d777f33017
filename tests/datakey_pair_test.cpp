// Data key pairs (shared spec api-import-mac.md §8) through the JSON layer, with the tool's
// default backend: every field row of create-rsa-datakey-pair and create-ec-datakey-pair with
// its accept twin, the CMK rows, and pairs judged by OpenSSL (called by the test): the public
// key parses as the spec's SubjectPublicKeyInfo, the private key as PKCS#8 of the same key, and
// decrypt-data opens the sealed private key (with its encryption context) to the same bytes.
#include <kmscore/json.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/openssl_base64.hpp"
#include "support/project.hpp"

namespace {

using kmscore::byte;
using nlohmann::json;
using bytes = std::vector<byte>;

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr const char* absent_key = "00000000-0000-4000-8000-000000000000";

struct pkey_free {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

// Base64 decoded by OpenSSL (EVP_DecodeBlock, padding removed by hand).
bytes unbase64(const std::string& text) {
  bytes out(3 * text.size() / 4 + 3);
  const int written =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  EXPECT_GE(written, 0) << text;
  std::size_t size = written < 0 ? 0 : static_cast<std::size_t>(written);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  out.resize(size);
  return out;
}

pkey_ptr public_key_of(const bytes& der) {
  const unsigned char* at = der.data();
  pkey_ptr key{d2i_PUBKEY(nullptr, &at, static_cast<long>(der.size()))};
  EXPECT_EQ(at, der.data() + der.size()) << "trailing bytes after the SubjectPublicKeyInfo";
  return key;
}
pkey_ptr private_key_of(const bytes& der) {
  const unsigned char* at = der.data();
  pkey_ptr key{d2i_AutoPrivateKey(nullptr, &at, static_cast<long>(der.size()))};
  EXPECT_EQ(at, der.data() + der.size()) << "trailing bytes after the PKCS#8 key";
  return key;
}

class DatakeyPairTest : public testing::Test {
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

  // A pair made and judged: the answer's members, the keys by OpenSSL, the sealed private key
  // opened by decrypt-data with the same context.
  void check_pair(const std::string& action, const std::string& cmk, const char* spec,
                  const char* openssl_type, int bits, const json& context = json::object()) {
    json body = {{"key_id", cmk}, {"key_spec", spec}};
    if (!context.empty()) body["encryption_context"] = context;
    const auto r = call(action, body);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["key_id"], cmk);
    EXPECT_EQ(r.body["key_spec"], spec);
    const std::vector<std::string> order{"key_id", "key_spec", "public_key",
                                         "private_key_cipher_text", "private_key_plain_text"};
    std::vector<std::string> names;
    for (const auto& [name, value] : r.body.items()) names.push_back(name);
    auto expected = order;
    std::sort(expected.begin(), expected.end());  // nlohmann::json keeps members sorted
    EXPECT_EQ(names, expected);
    for (std::size_t i = 1; i < order.size(); ++i) {  // the documented order, in the text
      EXPECT_LT(r.text.find('"' + order[i - 1] + '"'), r.text.find('"' + order[i] + '"'));
    }
    const auto public_der = unbase64(r.body["public_key"]);
    const auto private_der = unbase64(r.body["private_key_plain_text"]);
    EXPECT_EQ(kmscore_test::openssl_base64(private_der), r.body["private_key_plain_text"]);
    const auto public_key = public_key_of(public_der);
    const auto private_key = private_key_of(private_der);
    ASSERT_TRUE(public_key && private_key) << spec;
    EXPECT_TRUE(EVP_PKEY_is_a(public_key.get(), openssl_type)) << spec;
    if (std::string{openssl_type} != "RSA") {  // the named curve of the pair's spec
      std::array<char, 64> group{};
      ASSERT_EQ(EVP_PKEY_get_group_name(public_key.get(), group.data(), group.size(), nullptr), 1);
      const std::string want = std::string{spec} == "SM2"             ? "SM2"
                               : std::string{spec} == "ECC_NIST_P256" ? "prime256v1"
                                                                      : "secp384r1";
      EXPECT_EQ(std::string{group.data()}, want) << spec;
    }
    EXPECT_EQ(EVP_PKEY_get_bits(public_key.get()), bits) << spec;
    EXPECT_EQ(EVP_PKEY_eq(public_key.get(), private_key.get()), 1) << spec << ": not one pair";
    // decrypt-data opens the sealed private key to the same DER, with the context only.
    json open = {{"cipher_text", r.body["private_key_cipher_text"]}};
    if (!context.empty()) open["encryption_context"] = context;
    const auto opened = call("decrypt-data", open);
    ASSERT_EQ(opened.status, 200) << opened.body;
    EXPECT_EQ(opened.body["key_id"], cmk);
    EXPECT_EQ(opened.body["plain_text_base64"], r.body["private_key_plain_text"]);
    if (!context.empty()) {
      EXPECT_EQ(code("decrypt-data", {{"cipher_text", r.body["private_key_cipher_text"]}}),
                "KMS.2201");
    }
    // Another call, another pair.
    const auto again = call(action, body);
    ASSERT_EQ(again.status, 200);
    EXPECT_NE(again.body["public_key"], r.body["public_key"]);
  }

  kmscore_test::with_openssl backend_;  // the tool's: SM4, and key pairs
  kmscore::memory_key_store store_;
};

TEST_F(DatakeyPairTest, EcPairsAreOpenSslKeysSealedUnderTheCmk) {
  const auto aes = create_key("aes");
  check_pair("create-ec-datakey-pair", aes, "ECC_NIST_P256", "EC", 256);
  check_pair("create-ec-datakey-pair", aes, "ECC_NIST_P384", "EC", 384, {{"purpose", "pair"}});
  check_pair("create-ec-datakey-pair", aes, "SM2", "SM2", 256);
  // Under an SM4 CMK: envelope 21.
  const auto sm4 = create_key("sm4", {{"key_spec", "SM4"}});
  check_pair("create-ec-datakey-pair", sm4, "ECC_NIST_P256", "EC", 256, {{"k", "v"}});
}

TEST_F(DatakeyPairTest, RsaPairsAreOpenSslKeysSealedUnderTheCmk) {
  const auto aes = create_key("aes");
  check_pair("create-rsa-datakey-pair", aes, "RSA_2048", "RSA", 2048, {{"a", "b"}});
  check_pair("create-rsa-datakey-pair", aes, "RSA_3072", "RSA", 3072);
}

// The largest pair's sealed private key still fits decrypt-data's 5648 characters.
TEST_F(DatakeyPairTest, AnRsa4096PairOpensThroughDecryptData) {
  const auto aes = create_key("aes");
  const auto r = call("create-rsa-datakey-pair", {{"key_id", aes}, {"key_spec", "RSA_4096"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_LE(r.body["private_key_cipher_text"].get<std::string>().size(), 5648U);
  const auto opened = call("decrypt-data", {{"cipher_text", r.body["private_key_cipher_text"]}});
  ASSERT_EQ(opened.status, 200) << opened.body;
  EXPECT_EQ(opened.body["plain_text_base64"], r.body["private_key_plain_text"]);
  const auto key = private_key_of(unbase64(r.body["private_key_plain_text"]));
  ASSERT_TRUE(key);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 4096);
}

TEST_F(DatakeyPairTest, WithoutPlainTextTheAnswerHasNoPrivateKey) {
  const auto aes = create_key("aes");
  const auto r = call("create-ec-datakey-pair",
                      {{"key_id", aes}, {"key_spec", "ECC_NIST_P256"}, {"with_plain_text", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.body.contains("private_key_plain_text"));
  EXPECT_EQ(r.body.size(), 4U);
  const auto opened = call("decrypt-data", {{"cipher_text", r.body["private_key_cipher_text"]}});
  ASSERT_EQ(opened.status, 200) << opened.body;
  const auto key = private_key_of(unbase64(opened.body["plain_text_base64"]));
  const auto public_key = public_key_of(unbase64(r.body["public_key"]));
  ASSERT_TRUE(key && public_key);
  EXPECT_EQ(EVP_PKEY_eq(public_key.get(), key.get()), 1);
  const auto with =
      call("create-ec-datakey-pair",
           {{"key_id", aes}, {"key_spec", "ECC_NIST_P256"}, {"with_plain_text", true}});
  EXPECT_TRUE(with.body.contains("private_key_plain_text"));
}

TEST_F(DatakeyPairTest, FieldsAreCheckedInTheSpecsOrder) {
  const auto aes = create_key("aes");
  for (const char* action : {"create-rsa-datakey-pair", "create-ec-datakey-pair"}) {
    const bool ec = std::string{action} == "create-ec-datakey-pair";
    const json good = {{"key_id", aes}, {"key_spec", ec ? "ECC_NIST_P256" : "RSA_2048"}};
    auto with = [&](const char* name, const json& value) {
      json changed = good;
      changed[name] = value;
      return code(action, changed);
    };
    auto without = [&](const char* name) {
      json changed = good;
      changed.erase(name);
      return code(action, changed);
    };
    EXPECT_EQ(without("key_id"), "KMS.0204") << action;
    EXPECT_EQ(with("key_id", "alias/x"), "KMS.0205") << action;  // the key-ID form only
    EXPECT_EQ(without("key_spec"), "KMS.0204") << action;
    const std::vector<const char*> wrong =
        ec ? std::vector<const char*>{"EC_P256",  "ECC_NIST_P521", "ECC_SECG_P256K1",
                                      "RSA_2048", "ecc_nist_p256", ""}
           : std::vector<const char*>{"RSA_1024", "ECC_NIST_P256", "rsa_2048", "RSA_2048 ", ""};
    for (const char* spec : wrong) {
      EXPECT_EQ(with("key_spec", spec), "KMS.0308 Invalid key_spec.") << action << " " << spec;
    }
    EXPECT_EQ(with("key_spec", 2048), "KMS.0308 Invalid key_spec.");
    EXPECT_EQ(with("with_plain_text", "true"), "KMS.0308 Invalid with_plain_text.");
    EXPECT_EQ(with("with_plain_text", 1), "KMS.0308 Invalid with_plain_text.");
    EXPECT_EQ(with("with_plain_text", nullptr), "200");
    EXPECT_EQ(with("with_plain_text", false), "200");
    EXPECT_EQ(with("additional_authenticated_data", "aad"),
              "KMS.0308 Invalid additional_authenticated_data.");
    EXPECT_EQ(with("additional_authenticated_data", 7),
              "KMS.0308 Invalid additional_authenticated_data.");
    EXPECT_EQ(with("additional_authenticated_data", ""), "200");
    EXPECT_EQ(with("additional_authenticated_data", nullptr), "200");
    EXPECT_EQ(with("encryption_context", "x"), "KMS.0208");
    EXPECT_EQ(with("encryption_context", {{"k", 1}}), "KMS.0208");
    EXPECT_EQ(with("sequence", "x"), "KMS.0206");
    EXPECT_EQ(with("sequence", "919c82d4-8046-4722-9094-35c3c6524cff"), "200");
    // Field order: key_spec before with_plain_text before the context before the sequence.
    json late = good;
    late["key_spec"] = "bad";
    late["with_plain_text"] = "bad";
    EXPECT_EQ(code(action, late), "KMS.0308 Invalid key_spec.");
    late["key_spec"] = good["key_spec"];
    late["encryption_context"] = "x";
    EXPECT_EQ(code(action, late), "KMS.0308 Invalid with_plain_text.");
    late.erase("with_plain_text");
    late["sequence"] = "x";
    EXPECT_EQ(code(action, late), "KMS.0208");
    // Field checks before the key checks.
    json unknown = good;
    unknown["key_id"] = absent_key;
    EXPECT_EQ(code(action, unknown), "KMS.0207");
    unknown["sequence"] = "x";
    EXPECT_EQ(code(action, unknown), "KMS.0206");
  }
  // pin and pin_type: the EC action's, refused unless empty; the RSA action ignores the names.
  const json ec = {{"key_id", aes}, {"key_spec", "SM2"}};
  for (const char* name : {"pin", "pin_type"}) {
    json changed = ec;
    changed[name] = "1234";
    EXPECT_EQ(code("create-ec-datakey-pair", changed),
              std::string{"KMS.0308 Invalid "} + name + ".");
    changed[name] = "";
    EXPECT_EQ(code("create-ec-datakey-pair", changed), "200");
  }
  EXPECT_EQ(
      code("create-rsa-datakey-pair", {{"key_id", aes}, {"key_spec", "RSA_2048"}, {"pin", "1234"}}),
      "200");
}

TEST_F(DatakeyPairTest, OnlyUsableSymmetricCmksSealPairs) {
  const json spec = {{"key_spec", "ECC_NIST_P256"}};
  auto pair = [&](const std::string& id) {
    json body = spec;
    body["key_id"] = id;
    return code("create-ec-datakey-pair", body);
  };
  EXPECT_EQ(pair(absent_key), "KMS.0207");
  EXPECT_EQ(call("create-ec-datakey-pair", {{"key_id", absent_key}, {"key_spec", "SM2"}}).status,
            404);
  for (const char* kind : {"EC_P256", "SM2", "RSA_2048"}) {
    EXPECT_EQ(pair(create_key(std::string{"a-"} + kind, {{"key_spec", kind}})), "KMS.0325") << kind;
  }
  EXPECT_EQ(pair(create_key("mac", {{"key_spec", "HMAC_256"}})), "KMS.0341");
  const auto aes = create_key("aes");
  EXPECT_EQ(pair(aes), "200");
  ASSERT_EQ(code("disable-key", {{"key_id", aes}}), "200");
  EXPECT_EQ(pair(aes), "KMS.0209");
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", aes}, {"pending_days", "7"}}), "200");
  EXPECT_EQ(pair(aes), "KMS.0210");
  EXPECT_EQ(pair(create_key("ext", {{"origin", "external"}})), "KMS.1301");
  // The newest version seals: after a rotation the pair still opens.
  const auto rotated = create_key("rotated");
  ASSERT_EQ(code("rotate-key", {{"key_id", rotated}}), "200");
  const auto r = call("create-rsa-datakey-pair", {{"key_id", rotated}, {"key_spec", "RSA_2048"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(call("decrypt-data", {{"cipher_text", r.body["private_key_cipher_text"]}})
                .body["plain_text_base64"],
            r.body["private_key_plain_text"]);
}

// A backend that makes no key pairs answers 500 KMS.0101.
TEST_F(DatakeyPairTest, ABackendWithoutKeyPairsIs500) {
  const auto aes = create_key("aes");
  kmscore_test::sodium sodium;
  kmscore::kms_service service{sodium, store_, kmscore_test::test_project(store_)};
  const json body = {{"key_id", aes}, {"key_spec", "ECC_NIST_P256"}};
  const auto response = kmscore::handle_json(service, "create-ec-datakey-pair", body.dump(), t0);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(json::parse(std::string{response.text()})["error"]["error_code"], "KMS.0101");
}

}  // namespace
