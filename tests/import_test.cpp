// Imported key material (shared spec api-import-mac.md §0-§5) through the JSON layer, with the
// tool's default backend, against OpenSSL as the client: OpenSSL wraps the material to the
// answered public key (RSAES-OAEP-SHA-256, RSAES-OAEP-SHA-1, SM2 encryption) and wraps private
// keys it made itself by RFC 5649 key wrap with padding; the imported keys are then used: an
// AES or SM4 key's encrypt-data blob is opened by the tests' OpenSSL re-implementation of
// docs/envelope.md with the material the test imported, and an RSA/EC/SM2 key's signature is
// verified by OpenSSL with the public key the test made. Every field row has its twin, every
// refusal code of §1, §3 and §4 its test; expiry runs through the maintenance pass.
#include <kmscore/import.hpp>
#include <kmscore/json.hpp>
#include <kmscore/maintenance.hpp>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/backends.hpp"
#include "support/openssl_base64.hpp"
#include "support/openssl_envelope.hpp"
#include "support/openssl_pkey_encrypt.hpp"
#include "support/project.hpp"

namespace {

using kmscore::byte;
using nlohmann::json;
using bytes = std::vector<byte>;

constexpr std::int64_t t0 = kmscore_test::test_now_ms;
constexpr std::int64_t t0_s = t0 / 1000;
constexpr const char* absent_key = "00000000-0000-4000-8000-000000000000";

std::string b64(const bytes& in) { return kmscore_test::openssl_base64(in); }
bytes unb64(const std::string& text) {
  bytes out(text.size());
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  EXPECT_GE(n, 0);
  out.resize(static_cast<std::size_t>(n) - (text.ends_with("==")  ? 2
                                            : text.ends_with("=") ? 1
                                                                  : 0));
  return out;
}
bytes filled(std::size_t size, byte value) { return bytes(size, value); }

// ---- the client: OpenSSL ------------------------------------------------------------------

struct pkey_free {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct ctx_free {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, ctx_free>;

pkey_ptr make_key(const std::string& spec) {
  if (spec == "RSA_2048")
    return pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})};
  if (spec == "RSA_3072")
    return pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072})};
  if (spec == "EC_P256") return pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  if (spec == "EC_P384") return pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")};
  if (spec == "SM2") return pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2")};
  ADD_FAILURE() << spec;
  return nullptr;
}

// `openssl pkcs8 -topk8 -outform DER`: the PrivateKeyInfo.
bytes pkcs8_of(EVP_PKEY* key) {
  PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key);
  EXPECT_NE(info, nullptr);
  unsigned char* der = nullptr;
  const int size = i2d_PKCS8_PRIV_KEY_INFO(info, &der);
  PKCS8_PRIV_KEY_INFO_free(info);
  EXPECT_GT(size, 0);
  bytes out(der, der + size);
  OPENSSL_clear_free(der, static_cast<std::size_t>(size));
  return out;
}
bytes spki_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  EXPECT_GT(size, 0);
  bytes out(der, der + size);
  OPENSSL_free(der);
  return out;
}
// get-publickey's PEM, read by OpenSSL, as DER.
bytes spki_from_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  pkey_ptr key{PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr)};
  BIO_free(bio);
  EXPECT_TRUE(key) << pem;
  return key ? spki_of(key.get()) : bytes{};
}
pkey_ptr public_key(const bytes& der) {
  const unsigned char* at = der.data();
  pkey_ptr key{d2i_PUBKEY(nullptr, &at, static_cast<long>(der.size()))};
  EXPECT_TRUE(key && at == der.data() + der.size());
  return key;
}

// What a client sends as encrypted_key_material: OAEP (MGF1 of the same hash, empty label),
// as `openssl pkeyutl -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:…` writes it, or SM2
// encryption as `openssl pkeyutl -encrypt` writes it for an SM2 key.
bytes wrap_to(const bytes& public_der, const std::string& algorithm, const bytes& plain) {
  const auto key = public_key(public_der);
  if (algorithm == "SM2_ENCRYPT") return kmscore_test::openssl_encrypt(key.get(), plain);
  const EVP_MD* md = algorithm == "RSAES_OAEP_SHA_1" ? EVP_sha1() : EVP_sha256();
  return kmscore_test::openssl_encrypt(key.get(), plain, md, md);
}

// `openssl enc -id-aes256-wrap-pad -K … -iv A65959A6` (or AES-128 by the KEK's size).
bytes kwp_wrap(const bytes& kek, const bytes& plain) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  const EVP_CIPHER* cipher = kek.size() == 16 ? EVP_aes_128_wrap_pad() : EVP_aes_256_wrap_pad();
  bytes out(plain.size() + 16);
  int size = 0;
  EXPECT_EQ(EVP_EncryptInit_ex(ctx, cipher, nullptr, kek.data(), nullptr), 1);
  EXPECT_EQ(EVP_EncryptUpdate(ctx, out.data(), &size, plain.data(), static_cast<int>(plain.size())),
            1);
  EVP_CIPHER_CTX_free(ctx);
  out.resize(static_cast<std::size_t>(size));
  return out;
}

// OpenSSL's verdict on a signature over a digest, with the test's own key: PSS (MGF1-SHA-256,
// salt 32) for RSA, ECDSA, SM2 with the digest as e.
bool openssl_verifies(EVP_PKEY* key, const std::string& spec, const bytes& digest,
                      const bytes& signature) {
  const ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr)};
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return false;
  if (spec.starts_with("RSA")) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), 32) != 1) {
      return false;
    }
  } else if (spec != "SM2") {
    if (EVP_PKEY_CTX_set_signature_md(ctx.get(), spec == "EC_P384" ? EVP_sha384() : EVP_sha256()) !=
        1) {
      return false;
    }
  }
  return EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(),
                         digest.size()) == 1;
}

// A valid 2048-bit RSA key (e = 65537) whose p has 1100 bits and q the rest: OpenSSL's own
// checks take it; §3.2's "an n-bit modulus" with primes of n/2 bits does not.
pkey_ptr unbalanced_rsa_2048() {
  BN_CTX* bn = BN_CTX_new();
  BIGNUM* p = BN_new();
  BIGNUM* q = BN_new();
  BIGNUM* n = BN_new();
  BIGNUM* e = BN_new();
  BIGNUM* d = BN_new();
  BIGNUM* dp = BN_new();
  BIGNUM* dq = BN_new();
  BIGNUM* qinv = BN_new();
  BIGNUM* p1 = BN_new();
  BIGNUM* q1 = BN_new();
  BIGNUM* phi = BN_new();
  BN_set_word(e, 65537);
  pkey_ptr key;
  for (int attempt = 0; attempt < 20 && !key; ++attempt) {
    BN_generate_prime_ex(p, 1100, 0, nullptr, nullptr, nullptr);
    BN_generate_prime_ex(q, 948, 0, nullptr, nullptr, nullptr);
    BN_mul(n, p, q, bn);
    if (BN_num_bits(n) != 2048) continue;
    BN_sub(p1, p, BN_value_one());
    BN_sub(q1, q, BN_value_one());
    BN_mul(phi, p1, q1, bn);
    if (BN_mod_inverse(d, e, phi, bn) == nullptr) continue;
    BN_mod(dp, d, p1, bn);
    BN_mod(dq, d, q1, bn);
    BN_mod_inverse(qinv, q, p, bn);
    OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, e);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_D, d);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_FACTOR1, p);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_FACTOR2, q);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq);
    OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv);
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
    const ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr)};
    EVP_PKEY* made = nullptr;
    if (ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
        EVP_PKEY_fromdata(ctx.get(), &made, EVP_PKEY_KEYPAIR, params) == 1) {
      key.reset(made);
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(build);
  }
  for (BIGNUM* b : {p, q, n, e, d, dp, dq, qinv, p1, q1, phi}) BN_clear_free(b);
  BN_CTX_free(bn);
  if (key) {  // OpenSSL itself finds nothing wrong with it
    const ctx_ptr check{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
    EXPECT_EQ(EVP_PKEY_pairwise_check(check.get()), 1);
  }
  return key;
}

struct signing_row {
  std::string spec;
  std::string algorithm;
  std::size_t digest_size;
};
const std::array<signing_row, 4> signing_rows{{
    {"RSA_2048", "RSASSA_PSS_SHA_256", 32},
    {"EC_P256", "ECDSA_SHA_256", 32},
    {"EC_P384", "ECDSA_SHA_384", 48},
    {"SM2", "SM2DSA_SM3", 32},
}};

// ---- the service ----------------------------------------------------------------------------

kmscore::import_keys fixed_keys(byte token, byte fingerprint) {
  kmscore::import_keys keys;
  keys.token_key = kmscore::secret_bytes{bytes(32, token)};
  keys.fingerprint_key = kmscore::secret_bytes{bytes(32, fingerprint)};
  return keys;
}

class ImportTest : public testing::Test {
 protected:
  struct reply {
    int status;
    json body;
    std::string text;
  };
  reply call(const std::string& action, const json& body, std::int64_t now = t0,
             const kmscore::import_keys* keys = nullptr) {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_)};
    service.set_import_keys(keys != nullptr ? keys : &keys_);
    const auto response = kmscore::handle_json(service, action, body.dump(), now);
    const std::string text{response.text()};
    return {response.status, text.empty() ? json() : json::parse(text), text};
  }
  std::string code(const std::string& action, const json& body, std::int64_t now = t0) {
    const auto r = call(action, body, now);
    if (r.status == 200) return "200";
    const auto& e = r.body["error"];
    const std::string c = e["error_code"];
    return c == "KMS.0308" || c == "KMS.0204" ? c + " " + e["error_msg"].get<std::string>() : c;
  }
  std::string create_key(const std::string& spec, const std::string& origin = "external",
                         const std::string& usage = "") {
    json body = {
        {"key_alias", "k" + std::to_string(++aliases_)}, {"key_spec", spec}, {"origin", origin}};
    if (!usage.empty()) body["key_usage"] = usage;
    const auto r = call("create-key", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body["key_info"]["key_id"];
  }
  json info(const std::string& id) {
    return call("describe-key", {{"key_id", id}}).body["key_info"];
  }
  struct parameters {
    std::string token;
    bytes public_key;
    std::int64_t expiry = 0;
  };
  parameters get_parameters(const std::string& id, const std::string& algorithm,
                            std::int64_t now = t0) {
    const auto r =
        call("get-parameters-for-import", {{"key_id", id}, {"wrapping_algorithm", algorithm}}, now);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return {r.body["import_token"], unb64(r.body["public_key"]),
            r.body["expiration_time"].get<std::int64_t>()};
  }
  // A symmetric key's import body for material, wrapped with algorithm.
  json symmetric_body(const std::string& id, const std::string& algorithm, const bytes& material,
                      std::int64_t now = t0) {
    const auto p = get_parameters(id, algorithm, now);
    return {{"key_id", id},
            {"import_token", p.token},
            {"encrypted_key_material", b64(wrap_to(p.public_key, algorithm, material))}};
  }
  json asymmetric_body(const std::string& id, const bytes& private_der, std::size_t kek_size = 32,
                       const std::string& algorithm = "RSAES_OAEP_SHA_256") {
    const auto p = get_parameters(id, algorithm);
    const bytes kek = filled(kek_size, 0x5a);
    return {{"key_id", id},
            {"import_token", p.token},
            {"encrypted_key_material", b64(wrap_to(p.public_key, algorithm, kek))},
            {"encrypted_privatekey", b64(kwp_wrap(kek, private_der))}};
  }
  std::optional<kmscore::key_record> stored(const std::string& id) {
    auto found = store_.find(kmscore_test::project_id, *kmscore::key_id::parse(id));
    EXPECT_TRUE(found);
    if (!found || !*found) return std::nullopt;
    return std::move(**found);
  }

  kmscore_test::with_openssl backend_;  // the tool's
  kmscore::memory_key_store store_;
  kmscore::import_keys keys_ = fixed_keys(0x11, 0x22);
  int aliases_ = 0;
};

// ---- §1 get-parameters-for-import ---------------------------------------------------------

TEST_F(ImportTest, ParametersAreAFreshWrappingKeyOfTheDocumentedFormAndADayLongToken) {
  const auto id = create_key("AES_256");
  EXPECT_EQ(info(id)["key_state"], "5");
  EXPECT_EQ(info(id)["expiration_time"], "");
  bytes previous;
  for (const char* algorithm : {"RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "SM2_ENCRYPT"}) {
    const auto r =
        call("get-parameters-for-import", {{"key_id", id},
                                           {"wrapping_algorithm", algorithm},
                                           {"sequence", "919c82d4-8046-4722-9094-35c3c6524cff"}});
    ASSERT_EQ(r.status, 200) << r.body;
    // The documented order and types: key_id, import_token, expiration_time (integer), public_key.
    EXPECT_EQ(r.text.find("\"key_id\""), 1U);
    EXPECT_LT(r.text.find("\"key_id\""), r.text.find("\"import_token\""));
    EXPECT_LT(r.text.find("\"import_token\""), r.text.find("\"expiration_time\""));
    EXPECT_LT(r.text.find("\"expiration_time\""), r.text.find("\"public_key\""));
    EXPECT_EQ(r.body.size(), 4U);
    EXPECT_EQ(r.body["key_id"], id);
    ASSERT_TRUE(r.body["expiration_time"].is_number_integer());
    EXPECT_EQ(r.body["expiration_time"].get<std::int64_t>(), t0_s + 86400);
    const std::string token = r.body["import_token"];
    EXPECT_GE(token.size(), 200U);
    EXPECT_LE(token.size(), 6144U);
    const auto der = unb64(r.body["public_key"]);
    const auto key = public_key(der);
    ASSERT_TRUE(key);
    if (std::string{algorithm} == "SM2_ENCRYPT") {
      EXPECT_EQ(der.size(), 91U);
      EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "SM2") == 1 || EVP_PKEY_is_a(key.get(), "EC") == 1);
      std::array<char, 32> group{};
      std::size_t length = 0;
      ASSERT_EQ(EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                               group.size(), &length),
                1);
      EXPECT_EQ(std::string(group.data(), length), "SM2");
    } else {
      EXPECT_EQ(der.size(), 294U);  // rsaEncryption, NULL parameters, 2048 bits, e = 65537
      EXPECT_EQ(EVP_PKEY_is_a(key.get(), "RSA"), 1);
      EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
      BIGNUM* e = nullptr;
      ASSERT_EQ(EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &e), 1);
      EXPECT_TRUE(BN_is_word(e, 65537));
      BN_free(e);
    }
    EXPECT_NE(der, previous);  // fresh per request
    previous = der;
  }
}

TEST_F(ImportTest, ParameterFieldsAndKeyRowsInOrder) {
  const auto aes = create_key("AES_256");
  const auto rsa = create_key("RSA_2048");
  const auto kms = create_key("AES_256", "kms");
  const json ok = {{"key_id", aes}, {"wrapping_algorithm", "RSAES_OAEP_SHA_256"}};
  EXPECT_EQ(code("get-parameters-for-import", ok), "200");
  EXPECT_EQ(code("get-parameters-for-import", {{"wrapping_algorithm", "RSAES_OAEP_SHA_256"}}),
            "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(code("get-parameters-for-import",
                 {{"key_id", "not-a-key"}, {"wrapping_algorithm", "RSAES_PKCS1_V1_5"}}),
            "KMS.0205");
  EXPECT_EQ(code("get-parameters-for-import", {{"key_id", aes}}),
            "KMS.0204 Parameters missing in the request message.");
  for (const char* bad : {"RSAES_PKCS1_V1_5", "rsaes_oaep_sha_256", "", "RSAES_OAEP_SHA_384"}) {
    EXPECT_EQ(code("get-parameters-for-import", {{"key_id", aes}, {"wrapping_algorithm", bad}}),
              "KMS.0308 Invalid wrapping_algorithm.")
        << bad;
  }
  EXPECT_EQ(code("get-parameters-for-import",
                 {{"key_id", aes}, {"wrapping_algorithm", "SM2_ENCRYPT"}, {"sequence", "x"}}),
            "KMS.0206");
  // Key rows: absent, not external, SM2_ENCRYPT for a key pair; the state row is below.
  EXPECT_EQ(code("get-parameters-for-import",
                 {{"key_id", absent_key}, {"wrapping_algorithm", "SM2_ENCRYPT"}}),
            "KMS.0207");
  EXPECT_EQ(
      code("get-parameters-for-import", {{"key_id", kms}, {"wrapping_algorithm", "SM2_ENCRYPT"}}),
      "KMS.0309");
  EXPECT_EQ(
      code("get-parameters-for-import", {{"key_id", rsa}, {"wrapping_algorithm", "SM2_ENCRYPT"}}),
      "KMS.0308 Invalid wrapping_algorithm.");
  EXPECT_EQ(code("get-parameters-for-import",
                 {{"key_id", rsa}, {"wrapping_algorithm", "RSAES_OAEP_SHA_1"}}),
            "200");
  // Once imported, no more parameters.
  ASSERT_EQ(code("import-key-material", symmetric_body(aes, "RSAES_OAEP_SHA_256", filled(32, 1))),
            "200");
  EXPECT_EQ(code("get-parameters-for-import", ok), "KMS.0310");
  // A host without import keys cannot make tokens (a fault, never a silent answer).
  kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_)};
  const auto response = kmscore::handle_json(
      service, "get-parameters-for-import",
      json{{"key_id", rsa}, {"wrapping_algorithm", "RSAES_OAEP_SHA_256"}}.dump(), t0);
  EXPECT_EQ(response.status, 500);
}

// ---- §3 import-key-material: symmetric ------------------------------------------------------

TEST_F(ImportTest, ImportedAesAndSm4MaterialSealsEnvelopesOpenSslOpensWithThatMaterial) {
  struct row {
    std::string spec;
    std::string algorithm;
    std::size_t size;
  };
  for (const row& r : {row{"AES_256", "RSAES_OAEP_SHA_256", 32},
                       row{"AES_256", "RSAES_OAEP_SHA_1", 32}, row{"AES_256", "SM2_ENCRYPT", 32},
                       row{"SM4", "SM2_ENCRYPT", 16}, row{"SM4", "RSAES_OAEP_SHA_256", 16}}) {
    const auto id = create_key(r.spec);
    bytes material(r.size);
    for (std::size_t i = 0; i < material.size(); ++i) material[i] = static_cast<byte>(0xa0 + i);
    auto body = symmetric_body(id, r.algorithm, material);
    body["expiration_time"] = t0_s + 3600;  // a JSON integer
    const auto imported = call("import-key-material", body);
    ASSERT_EQ(imported.status, 200) << r.spec << " " << r.algorithm << " " << imported.body;
    EXPECT_EQ(imported.text, "{}");
    const auto described = info(id);
    EXPECT_EQ(described["key_state"], "2");
    EXPECT_EQ(described["origin"], "external");
    EXPECT_EQ(described["expiration_time"], std::to_string((t0_s + 3600) * 1000));
    // The material the test imported is the key's version 0.
    const auto record = stored(id);
    ASSERT_TRUE(record);
    ASSERT_EQ(record->key.material_versions.size(), 1U);
    const auto held = record->key.material_versions[0].expose();
    EXPECT_EQ(bytes(held.begin(), held.end()), material);
    // encrypt-data under it; OpenSSL opens the blob with the imported material.
    const bytes plain{'b', 'y', 'o', 'k'};
    const auto sealed =
        call("encrypt-data",
             {{"key_id", id}, {"plain_text", "byok"}, {"encryption_context", {{"who", "test"}}}});
    ASSERT_EQ(sealed.status, 200) << sealed.body;
    const auto blob = unb64(sealed.body["cipher_text"]);
    const auto& suite =
        r.spec == "SM4" ? kmscore_test::openssl_ref::sm4_data : kmscore_test::openssl_ref::aes_data;
    EXPECT_EQ(kmscore_test::openssl_ref::open(suite, material, blob, {{"who", "test"}}), plain)
        << r.spec << " " << r.algorithm;
    // With any other material it does not open.
    auto other = material;
    other[0] ^= 1U;
    EXPECT_TRUE(kmscore_test::openssl_ref::open(suite, other, blob, {{"who", "test"}}).empty());
    // Imported keys never rotate.
    EXPECT_EQ(code("rotate-key", {{"key_id", id}}), "KMS.0312");
    EXPECT_EQ(code("enable-key-rotation", {{"key_id", id}}), "KMS.0312");
  }
}

TEST_F(ImportTest, ImportFieldRowsEachWithTheirTwin) {
  const auto id = create_key("AES_256");
  const auto base = symmetric_body(id, "RSAES_OAEP_SHA_256", filled(32, 3));
  const auto with = [&](const std::string& name, const json& value) {
    json body = base;
    if (value.is_null()) {
      body.erase(name);
    } else {
      body[name] = value;
    }
    return code("import-key-material", body);
  };
  const std::string token = base["import_token"];
  const std::string material = base["encrypted_key_material"];
  EXPECT_EQ(with("key_id", nullptr), "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(with("key_id", "abc"), "KMS.0205");
  EXPECT_EQ(with("import_token", nullptr), "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(with("import_token", std::string(199, 'A')), "KMS.0308 Invalid import_token.");
  EXPECT_EQ(with("import_token", std::string(6145, 'A')), "KMS.0308 Invalid import_token.");
  EXPECT_EQ(with("import_token", token.substr(0, 10) + "-" + token.substr(11)),
            "KMS.0308 Invalid import_token.");
  EXPECT_EQ(with("import_token", 12345), "KMS.0308 Invalid import_token.");
  // Inside the pattern but not a token of ours: the key rows come first, then KMS.2605.
  EXPECT_EQ(with("import_token", std::string(200, 'A')), "KMS.2605");
  EXPECT_EQ(with("import_token", std::string(6144, 'A')), "KMS.2605");
  EXPECT_EQ(with("encrypted_key_material", nullptr),
            "KMS.0204 Parameters missing in the request message.");
  EXPECT_EQ(with("encrypted_key_material", "AA="), "KMS.0308 Invalid encrypted_key_material.");
  EXPECT_EQ(with("encrypted_key_material", std::string(364, 'A')),
            "KMS.0308 Invalid encrypted_key_material.");
  EXPECT_EQ(with("encrypted_key_material", material.substr(0, 340) + "*AAA"),
            "KMS.0308 Invalid encrypted_key_material.");
  // 4 and 360 characters are well-formed; they fail unwrapping (KMS.2605), not the field.
  EXPECT_EQ(with("encrypted_key_material", "AAAA"), "KMS.2605");
  EXPECT_EQ(with("encrypted_key_material", std::string(360, 'A')), "KMS.2605");
  EXPECT_EQ(with("encrypted_privatekey", std::string(20, 'A')),
            "KMS.0308 Invalid encrypted_privatekey.");
  EXPECT_EQ(with("encrypted_privatekey", std::string(6148, 'A')),
            "KMS.0308 Invalid encrypted_privatekey.");
  EXPECT_EQ(with("encrypted_privatekey", std::string(23, 'A') + "*"),
            "KMS.0308 Invalid encrypted_privatekey.");
  // 24 characters pass the field; a symmetric key refuses any private key (row 9).
  EXPECT_EQ(with("encrypted_privatekey", std::string(24, 'A')),
            "KMS.0308 Invalid encrypted_privatekey.");
  for (const json& bad :
       {json("0"), json(0), json("253402300800"), json(253402300800LL), json("1e9"), json(1.5),
        json(true), json(""), json("-5"), json(" 99999999999")}) {
    EXPECT_EQ(with("expiration_time", bad), "KMS.0308 Invalid expiration_time.") << bad;
  }
  EXPECT_EQ(with("sequence", "short"), "KMS.0206");
  // Absent, null and "" private keys are not given; the largest expiry is taken, as a string.
  EXPECT_EQ(with("encrypted_privatekey", ""), "200");
  EXPECT_EQ(info(id)["key_state"], "2");
  ASSERT_EQ(code("delete-imported-key-material", {{"key_id", id}}), "200");
  auto again = symmetric_body(id, "RSAES_OAEP_SHA_1", filled(32, 3));
  again["expiration_time"] = "253402300799";
  again["encrypted_privatekey"] = nullptr;
  EXPECT_EQ(code("import-key-material", again), "200");
  EXPECT_EQ(info(id)["expiration_time"], "253402300799000");
}

TEST_F(ImportTest, ImportKeyRowsInTheSpecsOrder) {
  const auto aes = create_key("AES_256");
  const auto sm4 = create_key("SM4");
  const auto rsa = create_key("RSA_2048");
  const auto kms = create_key("AES_256", "kms");
  const auto good = symmetric_body(aes, "RSAES_OAEP_SHA_256", filled(32, 4));
  auto body_for = [&](const std::string& id) {
    json body = good;
    body["key_id"] = id;
    return body;
  };
  // 1-3: absent, not external, not pending import.
  EXPECT_EQ(code("import-key-material", body_for(absent_key)), "KMS.0207");
  EXPECT_EQ(code("import-key-material", body_for(kms)), "KMS.0309");
  // 4: a token that does not open: any changed character, another service secret.
  std::string altered = good["import_token"];
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  auto changed = good;
  changed["import_token"] = altered;
  EXPECT_EQ(code("import-key-material", changed), "KMS.2605");
  const auto other_keys = fixed_keys(0x33, 0x22);
  EXPECT_EQ(call("import-key-material", good, t0, &other_keys).body["error"]["error_code"],
            "KMS.2605");
  // A token of this project presented in another, for a key waiting there: it does not open
  // (the project is in its AAD), before the key comparison of row 6 could answer.
  {
    const auto other_project = *kmscore::project_id::parse("0123456789abcdef0123456789abcdef");
    auto tenant = store_.ensure_project(other_project, kmscore_test::domain_id);
    ASSERT_TRUE(tenant);
    kmscore::kms_service elsewhere{backend_, store_, *tenant};
    elsewhere.set_import_keys(&keys_);
    const auto made =
        kmscore::handle_json(elsewhere, "create-key",
                             json{{"key_alias", "elsewhere"}, {"origin", "external"}}.dump(), t0);
    ASSERT_EQ(made.status, 200);
    auto foreign = good;
    foreign["key_id"] = json::parse(made.text())["key_info"]["key_id"];
    const auto answered =
        kmscore::handle_json(elsewhere, "import-key-material", foreign.dump(), t0);
    EXPECT_EQ(json::parse(answered.text())["error"]["error_code"], "KMS.2605");
  }
  // 5: expired: the token's last second is expiry - 1.
  EXPECT_EQ(code("import-key-material", good, (t0_s + 86400) * 1000), "KMS.2601");
  // 6: a token of another key.
  EXPECT_EQ(code("import-key-material", body_for(sm4)), "KMS.2603");
  // 7: expiration_time for a key pair (before its other rows).
  const auto rsa_key = make_key("RSA_2048");
  auto pair_body = asymmetric_body(rsa, pkcs8_of(rsa_key.get()));
  auto rsa_expiring = pair_body;
  rsa_expiring["expiration_time"] = t0_s + 100;
  EXPECT_EQ(code("import-key-material", rsa_expiring), "KMS.0308 Invalid expiration_time.");
  // 8: an expiry not in the future.
  auto past = good;
  past["expiration_time"] = t0_s;
  EXPECT_EQ(code("import-key-material", past), "KMS.2602");
  past["expiration_time"] = t0_s + 1;
  // 9, 10: a private key for a symmetric key; none for a key pair.
  auto with_private = good;
  with_private["encrypted_privatekey"] = pair_body["encrypted_privatekey"];
  EXPECT_EQ(code("import-key-material", with_private), "KMS.0308 Invalid encrypted_privatekey.");
  auto without_private = pair_body;
  without_private.erase("encrypted_privatekey");
  EXPECT_EQ(code("import-key-material", without_private), "KMS.2608");
  // 11: material that does not unwrap: random bytes of the right size, the wrong OAEP hash,
  // a ciphertext of another size.
  auto garbage = good;
  garbage["encrypted_key_material"] = b64(filled(256, 0x42));
  EXPECT_EQ(code("import-key-material", garbage), "KMS.2605");
  const auto p = get_parameters(aes, "RSAES_OAEP_SHA_256");
  auto wrong_hash = good;
  wrong_hash["import_token"] = p.token;
  wrong_hash["encrypted_key_material"] =
      b64(wrap_to(p.public_key, "RSAES_OAEP_SHA_1", filled(32, 4)));
  EXPECT_EQ(code("import-key-material", wrong_hash), "KMS.2605");
  auto short_block = good;
  short_block["encrypted_key_material"] = b64(filled(255, 0x01));
  EXPECT_EQ(code("import-key-material", short_block), "KMS.2605");
  // 12: the wrong length for the spec (31 and 33 bytes; SM4 takes 16, not 32).
  EXPECT_EQ(code("import-key-material", symmetric_body(aes, "SM2_ENCRYPT", filled(31, 4))),
            "KMS.2604");
  EXPECT_EQ(code("import-key-material", symmetric_body(aes, "RSAES_OAEP_SHA_256", filled(33, 4))),
            "KMS.2604");
  EXPECT_EQ(code("import-key-material", symmetric_body(sm4, "SM2_ENCRYPT", filled(32, 4))),
            "KMS.2604");
  // The twins: each passes once its row is put right; the token's last millisecond still
  // takes an expiry one second ahead of it.
  past["expiration_time"] = t0_s + 86400 + 1;
  EXPECT_EQ(code("import-key-material", past, (t0_s + 86400) * 1000 - 1), "200");
  EXPECT_EQ(code("import-key-material", symmetric_body(sm4, "SM2_ENCRYPT", filled(16, 4))), "200");
  // 3: not pending import any more.
  EXPECT_EQ(code("import-key-material", good), "KMS.0310");
}

// ---- §3.2 asymmetric material -------------------------------------------------------------

TEST_F(ImportTest, ImportedKeyPairsSignWhatOpenSslVerifiesWithTheTestsPublicKey) {
  for (const auto& row : signing_rows) {
    for (const std::size_t kek_size : {std::size_t{16}, std::size_t{32}}) {
      const auto id = create_key(row.spec);
      const auto key = make_key(row.spec);
      ASSERT_TRUE(key);
      const auto imported =
          call("import-key-material", asymmetric_body(id, pkcs8_of(key.get()), kek_size));
      ASSERT_EQ(imported.status, 200) << row.spec << " " << imported.body;
      EXPECT_EQ(info(id)["key_state"], "2");
      EXPECT_EQ(info(id)["expiration_time"], "");
      // get-publickey answers the test's own public key.
      const auto published = call("get-publickey", {{"key_id", id}});
      ASSERT_EQ(published.status, 200) << published.body;
      EXPECT_EQ(spki_from_pem(published.body["public_key"]), spki_of(key.get())) << row.spec;
      bytes digest(row.digest_size);
      for (std::size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<byte>(i * 7);
      const auto signed_reply = call("sign", {{"key_id", id},
                                              {"message", b64(digest)},
                                              {"signing_algorithm", row.algorithm},
                                              {"message_type", "DIGEST"}});
      ASSERT_EQ(signed_reply.status, 200) << signed_reply.body;
      const auto signature = unb64(signed_reply.body["signature"]);
      EXPECT_TRUE(openssl_verifies(key.get(), row.spec, digest, signature)) << row.spec;
      digest[0] ^= 1U;
      EXPECT_FALSE(openssl_verifies(key.get(), row.spec, digest, signature)) << row.spec;
      // Key pairs' material can be neither deleted nor rotated.
      EXPECT_EQ(code("delete-imported-key-material", {{"key_id", id}}), "KMS.2702");
      EXPECT_EQ(code("rotate-key", {{"key_id", id}}), "KMS.0312");
    }
  }
}

TEST_F(ImportTest, PrivateKeysThatAreNotExactlyTheSpecsAreRefused) {
  const auto p256 = create_key("EC_P256");
  const auto rsa = create_key("RSA_2048");
  const auto ec_key = make_key("EC_P256");
  const auto der = pkcs8_of(ec_key.get());
  // 13: a temporary key of 24 bytes (or 0 < n < 16).
  EXPECT_EQ(code("import-key-material", asymmetric_body(p256, der, 24)), "KMS.2610");
  EXPECT_EQ(code("import-key-material", asymmetric_body(p256, der, 8)), "KMS.2610");
  // 14: the wrap altered, another KEK, trailing bytes, another curve, another spec, another
  // RSA size, e = 3, an inconsistent key.
  auto altered = asymmetric_body(p256, der);
  auto wrapped = unb64(altered["encrypted_privatekey"]);
  wrapped[wrapped.size() / 2] ^= 1U;
  altered["encrypted_privatekey"] = b64(wrapped);
  EXPECT_EQ(code("import-key-material", altered), "KMS.2609");
  auto trailing = der;
  trailing.push_back(0);
  EXPECT_EQ(code("import-key-material", asymmetric_body(p256, trailing)), "KMS.2609");
  EXPECT_EQ(code("import-key-material", asymmetric_body(p256, bytes(64, 0x30))), "KMS.2609");
  const auto p384_key = make_key("EC_P384");
  EXPECT_EQ(code("import-key-material", asymmetric_body(p256, pkcs8_of(p384_key.get()))),
            "KMS.2609");
  const auto sm2_key = make_key("SM2");
  EXPECT_EQ(code("import-key-material", asymmetric_body(p256, pkcs8_of(sm2_key.get()))),
            "KMS.2609");
  const auto rsa3072 = make_key("RSA_3072");
  EXPECT_EQ(code("import-key-material", asymmetric_body(rsa, pkcs8_of(rsa3072.get()))), "KMS.2609");
  EXPECT_EQ(code("import-key-material", asymmetric_body(rsa, der)), "KMS.2609");
  pkey_ptr e3;
  {
    const ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr)};
    ASSERT_TRUE(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048), 1);
    BIGNUM* three = BN_new();
    BN_set_word(three, 3);
    ASSERT_EQ(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), three), 1);
    BN_free(three);
    EVP_PKEY* made = nullptr;
    ASSERT_EQ(EVP_PKEY_keygen(ctx.get(), &made), 1);
    e3.reset(made);
  }
  EXPECT_EQ(code("import-key-material", asymmetric_body(rsa, pkcs8_of(e3.get()))), "KMS.2609");
  // An EC key whose embedded public point is another key's: the scalar does not match it.
  {
    const auto other = make_key("EC_P256");
    auto mixed = der;
    const auto other_der = pkcs8_of(other.get());
    // Both PrivateKeyInfos have the same layout; the public point is the last 65 bytes.
    ASSERT_EQ(mixed.size(), other_der.size());
    std::copy(other_der.end() - 65, other_der.end(), mixed.end() - 65);
    EXPECT_EQ(code("import-key-material", asymmetric_body(p256, mixed)), "KMS.2609");
  }
  // Explicit curve parameters instead of the named curve.
  {
    const auto explicit_key = make_key("EC_P256");
    ASSERT_EQ(EVP_PKEY_set_utf8_string_param(explicit_key.get(), OSSL_PKEY_PARAM_EC_ENCODING,
                                             OSSL_PKEY_EC_ENCODING_EXPLICIT),
              1);
    EXPECT_EQ(code("import-key-material", asymmetric_body(p256, pkcs8_of(explicit_key.get()))),
              "KMS.2609");
  }
  // RSA with three primes; RSA whose p has more than half the modulus's bits (a valid key, but
  // one whose primality tests a client could make arbitrarily long).
  {
    const ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr)};
    ASSERT_TRUE(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_keygen_primes(ctx.get(), 3), 1);
    EVP_PKEY* made = nullptr;
    ASSERT_EQ(EVP_PKEY_keygen(ctx.get(), &made), 1);
    const pkey_ptr three_primes{made};
    EXPECT_EQ(code("import-key-material", asymmetric_body(rsa, pkcs8_of(three_primes.get()))),
              "KMS.2609");
    const auto unbalanced = unbalanced_rsa_2048();
    ASSERT_TRUE(unbalanced);
    EXPECT_EQ(code("import-key-material", asymmetric_body(rsa, pkcs8_of(unbalanced.get()))),
              "KMS.2609");
  }
  // The twins: the right key, under a 16-byte and a 32-byte KEK.
  EXPECT_EQ(code("import-key-material", asymmetric_body(p256, der, 16)), "200");
  const auto rsa_key = make_key("RSA_2048");
  EXPECT_EQ(code("import-key-material",
                 asymmetric_body(rsa, pkcs8_of(rsa_key.get()), 32, "RSAES_OAEP_SHA_1")),
            "200");
}

// A P-256 key whose PKCS#8 holds its public point compressed, or none: taken, and stored and
// published as generated keys are (get-publickey: the uncompressed point).
TEST_F(ImportTest, EcPublicPointsAreUncompressedWhateverThePkcs8Held) {
  for (const char* form : {"compressed", "absent"}) {
    const auto id = create_key("EC_P256");
    const auto key = make_key("EC_P256");
    const auto uncompressed = spki_of(key.get());
    if (std::string{form} == "compressed") {
      ASSERT_EQ(EVP_PKEY_set_utf8_string_param(
                    key.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"),
                1);
    } else {
      ASSERT_EQ(EVP_PKEY_set_int_param(key.get(), OSSL_PKEY_PARAM_EC_INCLUDE_PUBLIC, 0), 1);
    }
    const auto der = pkcs8_of(key.get());
    ASSERT_EQ(code("import-key-material", asymmetric_body(id, der)), "200") << form;
    const auto published = call("get-publickey", {{"key_id", id}});
    ASSERT_EQ(published.status, 200);
    EXPECT_EQ(spki_from_pem(published.body["public_key"]), uncompressed) << form;
    EXPECT_EQ(stored(id)->public_key, uncompressed) << form;
    EXPECT_EQ(uncompressed.size(), 91U);
    // The stored private key carries the uncompressed point (as generate_key_pair writes it).
    const auto record = stored(id);
    ASSERT_TRUE(record);
    const auto held = record->key.material_versions.at(0).expose();
    EXPECT_EQ(std::search(held.begin(), held.end(), uncompressed.end() - 65, uncompressed.end()),
              held.end() - 65)
        << form;
  }
}

// The fingerprint of §3.1, computed by OpenSSL: HMAC-SHA-256(K_fp, key_id || material).
TEST_F(ImportTest, TheFingerprintIsTheSpecsHmac) {
  const auto id = create_key("AES_256");
  const bytes material = filled(32, 0x3c);
  ASSERT_EQ(code("import-key-material", symmetric_body(id, "RSAES_OAEP_SHA_256", material)), "200");
  bytes message(id.begin(), id.end());
  message.insert(message.end(), material.begin(), material.end());
  const auto k_fp = keys_.fingerprint_key.expose();
  std::array<unsigned char, 32> expected{};
  unsigned int size = 0;
  ASSERT_NE(HMAC(EVP_sha256(), k_fp.data(), static_cast<int>(k_fp.size()), message.data(),
                 message.size(), expected.data(), &size),
            nullptr);
  EXPECT_EQ(stored(id)->import_fingerprint, bytes(expected.begin(), expected.end()));
}

// ---- §4 delete, §3.1 re-import, §5 expiry ---------------------------------------------------

TEST_F(ImportTest, DeletedMaterialComesBackOnlyAsTheSameMaterial) {
  const auto id = create_key("AES_256");
  const auto rsa = create_key("RSA_2048");
  const auto kms = create_key("AES_256", "kms");
  const bytes material = filled(32, 0x77);
  // Rows of §4: not external, a key pair, not enabled or disabled.
  EXPECT_EQ(code("delete-imported-key-material", {{"key_id", absent_key}}), "KMS.0207");
  EXPECT_EQ(code("delete-imported-key-material", {{"key_id", kms}}), "KMS.0309");
  EXPECT_EQ(code("delete-imported-key-material", {{"key_id", rsa}}), "KMS.2702");
  EXPECT_EQ(code("delete-imported-key-material", {{"key_id", id}}), "KMS.2701");
  EXPECT_EQ(code("delete-imported-key-material", {{"key_id", "x"}}), "KMS.0205");
  ASSERT_EQ(code("import-key-material", symmetric_body(id, "RSAES_OAEP_SHA_256", material)), "200");
  const auto made = call("create-datakey", {{"key_id", id}, {"datakey_length", "256"}});
  ASSERT_EQ(made.status, 200) << made.body;
  const json decrypt = {
      {"key_id", id}, {"cipher_text", made.body["cipher_text"]}, {"datakey_cipher_length", "32"}};
  EXPECT_EQ(code("decrypt-datakey", decrypt), "200");
  ASSERT_EQ(code("disable-key", {{"key_id", id}}), "200");
  const auto deleted = call("delete-imported-key-material", {{"key_id", id}});
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.text, "{}");
  EXPECT_EQ(info(id)["key_state"], "5");
  EXPECT_EQ(info(id)["expiration_time"], "");
  EXPECT_TRUE(stored(id)->key.material_versions.empty());
  // Without material nothing opens or seals; enable/disable keep their answers.
  EXPECT_EQ(code("decrypt-datakey", decrypt), "KMS.1301");
  EXPECT_EQ(code("create-datakey", {{"key_id", id}, {"datakey_length", "256"}}), "KMS.1301");
  EXPECT_EQ(code("enable-key", {{"key_id", id}}), "KMS.1201");
  EXPECT_EQ(code("disable-key", {{"key_id", id}}), "KMS.1301");
  // Other material: KMS.2606, by any wrapping algorithm; the same: the key is back, and so
  // are its envelopes.
  EXPECT_EQ(code("import-key-material", symmetric_body(id, "RSAES_OAEP_SHA_256", filled(32, 0x78))),
            "KMS.2606");
  EXPECT_EQ(code("import-key-material", symmetric_body(id, "SM2_ENCRYPT", filled(32, 0x78))),
            "KMS.2606");
  EXPECT_EQ(code("import-key-material", symmetric_body(id, "SM2_ENCRYPT", material)), "200");
  EXPECT_EQ(info(id)["key_state"], "2");
  const auto opened = call("decrypt-datakey", decrypt);
  ASSERT_EQ(opened.status, 200) << opened.body;
  EXPECT_EQ(opened.body["data_key"], made.body["plain_text"]);
  // The fingerprint depends on the key too: the same material fits a fresh key.
  const auto fresh = create_key("AES_256");
  EXPECT_EQ(code("import-key-material", symmetric_body(fresh, "SM2_ENCRYPT", material)), "200");
  EXPECT_NE(stored(fresh)->import_fingerprint, stored(id)->import_fingerprint);
}

TEST_F(ImportTest,
       TheMaintenancePassExpiresMaterialAndCancellingADeletionWithoutMaterialGivesState5) {
  const auto id = create_key("AES_256");
  const auto doomed = create_key("AES_256");
  const auto lasting = create_key("AES_256");
  const std::int64_t expiry_s = t0_s + 600;
  for (const auto& key : {id, doomed}) {
    auto body = symmetric_body(key, "RSAES_OAEP_SHA_256", filled(32, 0x09));
    body["expiration_time"] = std::to_string(expiry_s);
    ASSERT_EQ(code("import-key-material", body), "200");
  }
  ASSERT_EQ(
      code("import-key-material", symmetric_body(lasting, "RSAES_OAEP_SHA_256", filled(32, 0x0a))),
      "200");
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", doomed}, {"pending_days", "7"}}), "200");
  kmscore_test::with_openssl backend;
  std::vector<std::string> seen;
  const kmscore::maintenance_observer observe =
      [&](const kmscore::project_id&, const kmscore::key_id& key, std::string_view done) {
        seen.push_back(key.str() + " " + std::string{done});
      };
  // One second before: nothing; at the expiry: both, the scheduled one staying in state 4.
  auto counts = kmscore::maintain(backend, store_, expiry_s * 1000 - 1, {}, observe);
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->expired, 0U);
  EXPECT_EQ(
      code("create-datakey", {{"key_id", id}, {"datakey_length", "256"}}, expiry_s * 1000 - 1),
      "200");  // until the pass, the key still works (§0 Decisions)
  counts = kmscore::maintain(backend, store_, expiry_s * 1000, {}, observe);
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->expired, 2U);
  EXPECT_EQ(counts->deleted, 0U);
  EXPECT_EQ(seen.size(), 2U);
  EXPECT_EQ(info(id)["key_state"], "5");
  EXPECT_EQ(info(id)["expiration_time"], "");
  EXPECT_TRUE(stored(id)->key.material_versions.empty());
  EXPECT_EQ(info(doomed)["key_state"], "4");
  EXPECT_TRUE(stored(doomed)->key.material_versions.empty());
  EXPECT_EQ(info(lasting)["key_state"], "2");
  EXPECT_EQ(stored(lasting)->key.material_versions.size(), 1U);
  // A second pass finds nothing more.
  counts = kmscore::maintain(backend, store_, expiry_s * 1000 + 1, {}, observe);
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->expired, 0U);
  // Cancelling the deletion of a key without material: state 5 (§0.2); with material: 3.
  EXPECT_EQ(code("cancel-key-deletion", {{"key_id", doomed}}), "200");
  EXPECT_EQ(info(doomed)["key_state"], "5");
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", lasting}, {"pending_days", "7"}}), "200");
  EXPECT_EQ(code("cancel-key-deletion", {{"key_id", lasting}}), "200");
  EXPECT_EQ(info(lasting)["key_state"], "3");
  // The expired key takes its own material back.
  EXPECT_EQ(code("import-key-material", symmetric_body(id, "RSAES_OAEP_SHA_1", filled(32, 0x09))),
            "200");
}

// A backend without asymmetric algorithms (libsodium + Crypto++) cannot make wrapping keys or
// unwrap: KMS.0101 after the key rows, never another answer; a host without import keys, too.
TEST_F(ImportTest, WithoutTheAlgorithmsOrTheKeysTheActionsAnswerKmsError) {
  const auto id = create_key("AES_256");
  const auto body = symmetric_body(id, "RSAES_OAEP_SHA_256", filled(32, 1));
  kmscore_test::combined symmetric_only;
  kmscore::kms_service service{symmetric_only, store_, kmscore_test::test_project(store_)};
  service.set_import_keys(&keys_);
  const auto run = [&](const std::string& action, const json& request) {
    return kmscore::handle_json(service, action, request.dump(), t0).status;
  };
  EXPECT_EQ(
      run("get-parameters-for-import", {{"key_id", id}, {"wrapping_algorithm", "SM2_ENCRYPT"}}),
      500);
  EXPECT_EQ(run("import-key-material", body), 500);
  EXPECT_EQ(run("import-key-material", json{{"key_id", absent_key},
                                            {"import_token", body["import_token"]},
                                            {"encrypted_key_material", "AAAA"}}),
            404);
  kmscore::kms_service keyless{backend_, store_, kmscore_test::test_project(store_)};
  EXPECT_EQ(kmscore::handle_json(keyless, "import-key-material", body.dump(), t0).status, 500);
  EXPECT_EQ(info(id)["key_state"], "5");
  EXPECT_EQ(code("import-key-material", body), "200");  // the twin: the tool's backend and keys
}

// ---- §2 the token, at the core ----------------------------------------------------------------

TEST(ImportToken, BindsProjectKeyAlgorithmAndExpiryAndEveryByteIsChecked) {
  kmscore_test::with_openssl backend;
  const auto keys = fixed_keys(0x44, 0x55);
  const auto project = *kmscore::project_id::parse("0123456789abcdef0123456789abcdef");
  const auto other_project = *kmscore::project_id::parse("fedcba9876543210fedcba9876543210");
  const auto id = *kmscore::key_id::parse("bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e");
  const bytes secret = filled(121, 0x66);
  const auto& algorithm = kmscore::wrapping_algorithms[2];
  const auto token =
      kmscore::seal_import_token(backend, keys, project, id, algorithm, 1'501'578'672, secret);
  ASSERT_TRUE(token);
  const auto raw = unb64(*token);
  // The layout of §2, read by the test.
  ASSERT_EQ(raw.size(), 78U + secret.size() + 16U);
  EXPECT_EQ(raw[0], 0x01);
  EXPECT_EQ(raw[1], 0x03);
  std::uint64_t expiry = 0;
  for (std::size_t i = 2; i < 10; ++i) expiry = (expiry << 8U) | raw[i];
  EXPECT_EQ(expiry, 1'501'578'672U);
  EXPECT_EQ(std::string(raw.begin() + 10, raw.begin() + 46), id.str());
  // Nothing of the secret in clear.
  EXPECT_EQ(std::search(raw.begin(), raw.end(), secret.begin(), secret.begin() + 8), raw.end());
  // It opens for its project under its keys.
  const auto opened = kmscore::open_import_token(backend, keys, project, *token);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->algorithm, &algorithm);
  EXPECT_EQ(opened->expiry_s, 1'501'578'672);
  EXPECT_EQ(opened->key_id, id.str());
  const auto held = opened->wrapping_private_key.expose();
  EXPECT_EQ(bytes(held.begin(), held.end()), secret);
  // Opened by OpenSSL as §2 says: K = HKDF-SHA-256(IKM = K_tok, salt = bytes 46-77, info
  // "kmscore/import-token/v1/aead"); AES-256-GCM, twelve zero bytes of nonce, AAD = bytes 0-77
  // then the project ID.
  {
    const auto k_tok = keys.token_key.expose();
    bytes k(32);
    std::string info{"kmscore/import-token/v1/aead"};
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
    std::string digest{"SHA256"};
    bytes ikm(k_tok.begin(), k_tok.end());
    bytes salt(raw.begin() + 46, raw.begin() + 78);
    const std::array<OSSL_PARAM, 5> params{
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm.data(), ikm.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
        OSSL_PARAM_construct_end()};
    ASSERT_EQ(EVP_KDF_derive(kctx, k.data(), k.size(), params.data()), 1);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    bytes aad(raw.begin(), raw.begin() + 78);
    const auto project_text = project.view();
    aad.insert(aad.end(), project_text.begin(), project_text.end());
    const bytes nonce(12, 0);
    const std::size_t n = raw.size() - 78 - 16;
    bytes tag(raw.end() - 16, raw.end());
    bytes plain(n);
    EVP_CIPHER_CTX* cctx = EVP_CIPHER_CTX_new();
    int out = 0;
    ASSERT_EQ(EVP_DecryptInit_ex(cctx, EVP_aes_256_gcm(), nullptr, k.data(), nonce.data()), 1);
    ASSERT_EQ(EVP_DecryptUpdate(cctx, nullptr, &out, aad.data(), static_cast<int>(aad.size())), 1);
    ASSERT_EQ(EVP_DecryptUpdate(cctx, plain.data(), &out, raw.data() + 78, static_cast<int>(n)), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data()), 1);
    EXPECT_EQ(EVP_DecryptFinal_ex(cctx, plain.data() + out, &out), 1);
    EVP_CIPHER_CTX_free(cctx);
    EXPECT_EQ(plain, secret);
  }
  // Another project, other keys, and bits 0 and 7 of every byte changed: KMS.2605.
  const auto refused = [&](const kmscore::import_keys& k, const kmscore::project_id& p,
                           const std::string& text) {
    const auto r = kmscore::open_import_token(backend, k, p, text);
    return !r && r.error().code() == kmscore::errc::import_token_unverifiable;
  };
  EXPECT_TRUE(refused(keys, other_project, *token));
  EXPECT_TRUE(refused(fixed_keys(0x45, 0x55), project, *token));
  for (std::size_t i = 0; i < raw.size(); ++i) {
    for (unsigned bit : {0U, 7U}) {
      auto flipped = raw;
      flipped[i] = static_cast<byte>(flipped[i] ^ (1U << bit));
      EXPECT_TRUE(refused(keys, project, b64(flipped))) << "byte " << i << " bit " << bit;
    }
  }
  // Too short, not Base64, truncated.
  EXPECT_TRUE(refused(keys, project, b64(bytes(raw.begin(), raw.begin() + 94))));
  EXPECT_TRUE(refused(keys, project, "A" + token->substr(1, token->size() - 2)));
  EXPECT_TRUE(refused(keys, project, b64(bytes(raw.begin(), raw.end() - 1))));
}

}  // namespace
