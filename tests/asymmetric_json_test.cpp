// Keys used directly (api-asymmetric.md) through the JSON layer, with the tool's default backend
// (libsodium, Crypto++ and OpenSSL combined):
//   - every error row of get-publickey, sign, verify, encrypt-data, decrypt-data and
//     gen-random with its exact code (and field), the field order, and the key-check order;
//   - round trips for every asymmetric spec, with OpenSSL called by the test itself as the
//     judge of the public keys (PEM, SubjectPublicKeyInfo), signatures (PSS, PKCS#1 v1.5,
//     ECDSA, SM2 with Z over the default ID) and ciphertexts (RSA-OAEP, SM2), both directions;
//   - encrypt-data's symmetric blobs: framing, exact plaintexts, rotation and the minimum
//     decryption version, and their domain separation from data-key envelopes (envelope.md).
// RSA keys are slow to make: keys used unchanged are made once for the binary; tests that
// change a key's state make their own, of the cheap specs. At most one RSA_4096 key is made.
#include <kmscore/json.hpp>

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/backends.hpp"
#include "support/hex.hpp"
#include "support/openssl_base64.hpp"
#include "support/openssl_pkey_encrypt.hpp"
#include "support/project.hpp"

namespace {

using kmscore::byte;
using nlohmann::json;
using bytes = std::vector<byte>;

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr const char* absent_key = "00000000-0000-4000-8000-000000000000";
constexpr const char* good_sequence = "919c82d4-8046-4722-9094-35c3c6524cff";
constexpr std::string_view sm2_default_id = "1234567812345678";

// ---- OpenSSL, called by the test itself -----------------------------------------------------

struct openssl_free {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_free>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_free>;
using bio_ptr = std::unique_ptr<BIO, openssl_free>;

bytes of(std::string_view text) { return {text.begin(), text.end()}; }

// A byte pattern (not all one value, so truncations and shifts show).
bytes pattern(std::size_t size, unsigned seed = 1) {
  bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<byte>((i * 7U + seed) & 0xFFU);
  return out;
}

// Base64 by OpenSSL (EVP_EncodeBlock / EVP_DecodeBlock), not by the library under test.
std::string b64(const bytes& in) { return kmscore_test::openssl_base64(in); }
std::string b64(std::string_view text) { return b64(of(text)); }

std::optional<bytes> unb64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  bytes out(text.size() / 4 * 3);
  if (!text.empty()) {
    const int written =
        EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                        static_cast<int>(text.size()));
    if (written < 0) return std::nullopt;
  }
  const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  out.resize(out.size() - padding);
  return out;
}

std::string hex_upper(const bytes& in) {
  static constexpr std::string_view digits = "0123456789ABCDEF";
  std::string out;
  for (const byte b : in) {
    out.push_back(digits[b >> 4U]);
    out.push_back(digits[b & 0xFU]);
  }
  return out;
}

bytes digest(const EVP_MD* md, const bytes& message) {
  bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int size = 0;
  EXPECT_EQ(EVP_Digest(message.data(), message.size(), out.data(), &size, md, nullptr), 1);
  out.resize(size);
  return out;
}

enum class scheme { pss, pkcs1, ecdsa, sm2 };
struct algorithm_row {
  std::string_view name;
  scheme kind;
  const EVP_MD* (*md)();
  std::size_t hash_size;
};
// The ten names of section 0.3 with what they mean (section 3's table), written out here.
constexpr std::array<algorithm_row, 10> algorithms{{
    {"RSASSA_PSS_SHA_256", scheme::pss, EVP_sha256, 32},
    {"RSASSA_PSS_SHA_384", scheme::pss, EVP_sha384, 48},
    {"RSASSA_PSS_SHA_512", scheme::pss, EVP_sha512, 64},
    {"RSASSA_PKCS1_V1_5_SHA_256", scheme::pkcs1, EVP_sha256, 32},
    {"RSASSA_PKCS1_V1_5_SHA_384", scheme::pkcs1, EVP_sha384, 48},
    {"RSASSA_PKCS1_V1_5_SHA_512", scheme::pkcs1, EVP_sha512, 64},
    {"ECDSA_SHA_256", scheme::ecdsa, EVP_sha256, 32},
    {"ECDSA_SHA_384", scheme::ecdsa, EVP_sha384, 48},
    {"ECDSA_SHA_512", scheme::ecdsa, EVP_sha512, 64},
    {"SM2DSA_SM3", scheme::sm2, EVP_sm3, 32},
}};
const algorithm_row& algorithm(std::string_view name) {
  for (const auto& row : algorithms) {
    if (row.name == name) return row;
  }
  ADD_FAILURE() << "no algorithm " << name;
  return algorithms[0];
}

// RSA padding parameters of section 0 ("Decisions"): PSS with MGF1 of the same hash and a salt
// of the hash's length (explicit, so a different salt length fails).
bool set_rsa_parameters(EVP_PKEY_CTX* ctx, const algorithm_row& row) {
  if (row.kind == scheme::pkcs1) return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
  if (row.kind == scheme::pss) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, row.md()) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, static_cast<int>(row.hash_size)) == 1;
  }
  return true;
}

// OpenSSL's verdict on a signature over a digest: 1 valid, 0 not, negative on an error.
int openssl_verify_digest(EVP_PKEY* key, const algorithm_row& row, const bytes& hash,
                          const bytes& signature) {
  const pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr)};
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return -1;
  if (row.kind != scheme::sm2 && EVP_PKEY_CTX_set_signature_md(ctx.get(), row.md()) != 1) return -1;
  if (!set_rsa_parameters(ctx.get(), row)) return -1;
  return EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(), hash.size());
}

// OpenSSL's verdict on a signature over a message it hashes itself (SM2: with Z over the
// given ID, GB/T 32918.2).
int openssl_verify_message(EVP_PKEY* key, const algorithm_row& row, const bytes& message,
                           const bytes& signature, std::string_view sm2_id = sm2_default_id) {
  const pkey_ctx_ptr sm2_ctx{row.kind == scheme::sm2 ? EVP_PKEY_CTX_new(key, nullptr) : nullptr};
  const md_ctx_ptr md{EVP_MD_CTX_new()};
  if (!md) return -1;
  EVP_PKEY_CTX* ctx = nullptr;
  if (sm2_ctx) {
    if (EVP_PKEY_CTX_set1_id(sm2_ctx.get(), sm2_id.data(), static_cast<int>(sm2_id.size())) != 1) {
      return -1;
    }
    EVP_MD_CTX_set_pkey_ctx(md.get(), sm2_ctx.get());
  }
  if (EVP_DigestVerifyInit(md.get(), sm2_ctx ? nullptr : &ctx, row.md(), nullptr, key) != 1) {
    return -1;
  }
  if (!sm2_ctx && !set_rsa_parameters(ctx, row)) return -1;
  return EVP_DigestVerify(md.get(), signature.data(), signature.size(), message.data(),
                          message.size());
}

// RSAES-OAEP (label empty) or SM2 encryption by OpenSSL to a public key.
using kmscore_test::openssl_encrypt;

// The inverse with a private key; nullopt when OpenSSL refuses the ciphertext.
std::optional<bytes> openssl_decrypt(EVP_PKEY* key, const bytes& cipher,
                                     const EVP_MD* oaep_md = nullptr,
                                     const EVP_MD* mgf1_md = nullptr) {
  const pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr)};
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1) return std::nullopt;
  if (oaep_md != nullptr && (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
                             EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), oaep_md) != 1 ||
                             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), mgf1_md) != 1)) {
    return std::nullopt;
  }
  std::size_t size = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &size, cipher.data(), cipher.size()) != 1) {
    return std::nullopt;
  }
  bytes out(size);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &size, cipher.data(), cipher.size()) != 1) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::string group_name(EVP_PKEY* key) {
  std::array<char, 80> name{};
  std::size_t size = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(),
                                     &size) != 1) {
    return "";
  }
  return {name.data(), size};
}

// The PEM text of section 2, checked line by line, its Base64 body decoded by OpenSSL and its
// DER parsed as a SubjectPublicKeyInfo (whole, and re-encoding to the same bytes); the text
// also goes through OpenSSL's own PEM reader, which must find the same key.
struct parsed_public_key {
  bytes der;
  pkey_ptr key;
};
testing::AssertionResult parse_pem(const std::string& pem, parsed_public_key& out) {
  constexpr std::string_view begin = "-----BEGIN PUBLIC KEY-----\r\n";
  constexpr std::string_view end = "-----END PUBLIC KEY-----\r\n";
  if (!pem.starts_with(begin)) return testing::AssertionFailure() << "no BEGIN line: " << pem;
  if (!pem.ends_with(end)) return testing::AssertionFailure() << "no END line: " << pem;
  const std::string body = pem.substr(begin.size(), pem.size() - begin.size() - end.size());
  std::string joined;
  std::size_t at = 0;
  while (at < body.size()) {
    const auto crlf = body.find("\r\n", at);
    if (crlf == std::string::npos) return testing::AssertionFailure() << "line without CR LF";
    const std::string line = body.substr(at, crlf - at);
    at = crlf + 2;
    if (line.find_first_of("\r\n") != std::string::npos) {
      return testing::AssertionFailure() << "a bare CR or LF inside a line";
    }
    const bool last = at == body.size();
    if (line.empty() || line.size() > 64 || (!last && line.size() != 64)) {
      return testing::AssertionFailure() << "line of " << line.size() << " characters";
    }
    joined += line;
  }
  const auto der = unb64(joined);
  if (!der || der->empty()) return testing::AssertionFailure() << "body is not Base64";
  const unsigned char* cursor = der->data();
  pkey_ptr key{d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der->size()))};
  if (!key) return testing::AssertionFailure() << "OpenSSL cannot parse the SubjectPublicKeyInfo";
  if (cursor != der->data() + der->size()) return testing::AssertionFailure() << "trailing bytes";
  unsigned char* encoded = nullptr;
  const int encoded_size = i2d_PUBKEY(key.get(), &encoded);
  const bytes again(encoded, encoded + std::max(encoded_size, 0));
  OPENSSL_free(encoded);
  if (again != *der) return testing::AssertionFailure() << "DER does not re-encode to itself";
  const bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  const pkey_ptr read{PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)};
  if (!read || EVP_PKEY_eq(read.get(), key.get()) != 1) {
    return testing::AssertionFailure() << "OpenSSL's PEM reader disagrees";
  }
  out.der = *der;
  out.key = std::move(key);
  return testing::AssertionSuccess();
}

// GB/T 32918.2 section 5.5: Z_A = SM3(ENTL || ID || a || b || x_G || y_G || x_A || y_A) on
// sm2p256v1 (GB/T 32918.5), the public point taken from the SubjectPublicKeyInfo's last 64
// bytes (uncompressed point).
bytes sm2_z(const bytes& spki, std::string_view id) {
  bytes input{static_cast<byte>((id.size() * 8) >> 8U), static_cast<byte>((id.size() * 8) & 0xFFU)};
  input.insert(input.end(), id.begin(), id.end());
  for (const std::string_view value :
       {"FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC",
        "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
        "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7",
        "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"}) {
    const auto raw = kmscore_test::unhex(value);
    input.insert(input.end(), raw.begin(), raw.end());
  }
  input.insert(input.end(), spki.end() - 64, spki.end());
  return digest(EVP_sm3(), input);
}

// A minimal DER walk: the elements (tag, contents) of the SEQUENCE that is the whole input.
std::vector<std::pair<byte, bytes>> der_sequence(const bytes& der) {
  std::vector<std::pair<byte, bytes>> out;
  auto length_at = [&](std::size_t& at) -> std::size_t {
    if (at >= der.size()) return 0;
    std::size_t length = der[at++];
    if (length < 0x80) return length;
    const std::size_t count = length & 0x7FU;
    length = 0;
    for (std::size_t i = 0; i < count && at < der.size(); ++i) length = (length << 8U) | der[at++];
    return length;
  };
  if (der.size() < 2 || der[0] != 0x30) return out;
  std::size_t at = 1;
  const std::size_t total = length_at(at);
  if (at + total != der.size()) return out;
  while (at < der.size()) {
    const byte tag = der[at++];
    const std::size_t length = length_at(at);
    if (at + length > der.size()) return {};
    out.emplace_back(tag, bytes(der.begin() + static_cast<std::ptrdiff_t>(at),
                                der.begin() + static_cast<std::ptrdiff_t>(at + length)));
    at += length;
  }
  return out;
}

std::uint32_t le32(const bytes& blob, std::size_t at) {
  return static_cast<std::uint32_t>(blob[at]) | (static_cast<std::uint32_t>(blob[at + 1]) << 8U) |
         (static_cast<std::uint32_t>(blob[at + 2]) << 16U) |
         (static_cast<std::uint32_t>(blob[at + 3]) << 24U);
}
unsigned le16(const bytes& blob, std::size_t at) {
  return static_cast<unsigned>(blob[at]) | (static_cast<unsigned>(blob[at + 1]) << 8U);
}

json with(json body, const std::string& name, json value) {
  body[name] = std::move(value);
  return body;
}
json without(json body, const std::string& name) {
  body.erase(name);
  return body;
}

// ---- the service under test ----------------------------------------------------------------

// One store and backend for the binary, so each (spec, usage) key used unchanged is made once.
struct shared_service {
  kmscore_test::with_openssl backend;
  kmscore::memory_key_store store;
  std::map<std::string, std::string> keys;
  unsigned aliases = 0;
};
shared_service& shared() {
  static shared_service service;
  return service;
}

class AsymmetricJsonTest : public testing::Test {
 protected:
  struct reply {
    int status;
    json body;
    std::string text;
  };

  static reply call(const std::string& action, const json& body,
                    kmscore::datakey_length_policy policy = kmscore::datakey_length_policy::range) {
    auto& s = shared();
    kmscore::kms_service service{s.backend, s.store, kmscore_test::test_project(s.store), policy};
    const auto response = kmscore::handle_json(service, action, body.dump(), t0);
    const std::string text{response.text()};
    return {response.status, json::parse(text), text};
  }

  // The error code of a call ("200" when it succeeds), checking the error body's shape.
  static std::string code(
      const std::string& action, const json& body,
      kmscore::datakey_length_policy policy = kmscore::datakey_length_policy::range) {
    const auto r = call(action, body, policy);
    if (r.status == 200) return "200";
    EXPECT_EQ(r.body.size(), 1U) << r.text;
    EXPECT_EQ(r.body.at("error").size(), 2U) << r.text;
    EXPECT_TRUE(r.body.at("error").at("error_msg").is_string()) << r.text;
    return r.body.at("error").at("error_code").get<std::string>();
  }

  // Code and message, for the rows whose message names the field (KMS.0308).
  static std::string code_and_message(const std::string& action, const json& body) {
    const auto r = call(action, body);
    if (r.status == 200) return "200";
    return r.body.at("error").at("error_code").get<std::string>() + " " +
           r.body.at("error").at("error_msg").get<std::string>();
  }

  static std::string new_key(const std::string& spec, const std::string& usage,
                             const std::string& origin = "") {
    json body = {{"key_alias", "asym-" + std::to_string(++shared().aliases)},
                 {"key_spec", spec},
                 {"key_usage", usage}};
    if (!origin.empty()) body["origin"] = origin;
    const auto r = call("create-key", body);
    EXPECT_EQ(r.status, 200) << r.text;
    return r.status == 200 ? r.body.at("key_info").at("key_id").get<std::string>() : absent_key;
  }
  // A key of the binary's shared set, made on first use; never changed by a test.
  static std::string key(const std::string& spec, const std::string& usage) {
    auto& keys = shared().keys;
    const auto found = keys.find(spec + "/" + usage);
    if (found != keys.end()) return found->second;
    auto made = new_key(spec, usage);
    keys.emplace(spec + "/" + usage, made);
    return made;
  }
  static std::string rsa_sign() { return key("RSA_2048", "SIGN_VERIFY"); }
  static std::string rsa_encrypt() { return key("RSA_2048", "ENCRYPT_DECRYPT"); }
  static std::string ec256() { return key("EC_P256", "SIGN_VERIFY"); }
  static std::string ec384() { return key("EC_P384", "SIGN_VERIFY"); }
  static std::string sm2_sign() { return key("SM2", "SIGN_VERIFY"); }
  static std::string sm2_encrypt() { return key("SM2", "ENCRYPT_DECRYPT"); }
  static std::string aes() { return key("AES_256", "ENCRYPT_DECRYPT"); }
  static std::string sm4() { return key("SM4", "ENCRYPT_DECRYPT"); }

  // Puts a key in a state no action reaches (1, pending activation), behind the service.
  static void set_state(const std::string& id, kmscore::key_state state) {
    auto& store = shared().store;
    auto found = store.find(kmscore_test::project_id, *kmscore::key_id::parse(id));
    ASSERT_TRUE(found && found->has_value());
    auto& record = **found;
    record.key.state = state;
    ASSERT_TRUE(store.update(record));
  }
  // The key's private key as the store holds it (PKCS#8), parsed by OpenSSL.
  static pkey_ptr private_key(const std::string& id) {
    auto found = shared().store.find(kmscore_test::project_id, *kmscore::key_id::parse(id));
    EXPECT_TRUE(found && found->has_value());
    if (!found || !found->has_value()) return nullptr;
    const auto der = (**found).key.material_versions.back().expose();
    const unsigned char* cursor = der.data();
    return pkey_ptr{d2i_AutoPrivateKey(nullptr, &cursor, static_cast<long>(der.size()))};
  }
  static parsed_public_key public_key(const std::string& id) {
    const auto r = call("get-publickey", {{"key_id", id}});
    EXPECT_EQ(r.status, 200) << r.text;
    parsed_public_key parsed;
    EXPECT_TRUE(r.status == 200 && parse_pem(r.body.at("public_key").get<std::string>(), parsed));
    return parsed;
  }

  static json sign_body(const std::string& id, std::string_view algorithm_name,
                        const bytes& message, const char* type = nullptr) {
    json body = {{"key_id", id}, {"message", b64(message)}, {"signing_algorithm", algorithm_name}};
    if (type != nullptr) body["message_type"] = type;
    return body;
  }
  static json verify_body(const std::string& id, std::string_view algorithm_name,
                          const bytes& message, const bytes& signature,
                          const char* type = nullptr) {
    return with(sign_body(id, algorithm_name, message, type), "signature", b64(signature));
  }
  // The body of sign, or of verify with some signature: the rows both share.
  static json signing_body(const std::string& action, const std::string& id,
                           std::string_view algorithm_name, const bytes& message,
                           const char* type = nullptr) {
    auto body = sign_body(id, algorithm_name, message, type);
    if (action == "verify") body["signature"] = b64(pattern(72));
    return body;
  }
  static bytes signature_of(const json& body) {
    const auto r = call("sign", body);
    EXPECT_EQ(r.status, 200) << r.text;
    if (r.status != 200) return {};
    EXPECT_EQ(r.body.size(), 2U);
    EXPECT_EQ(r.body.at("key_id"), body.at("key_id"));
    const auto signature = unb64(r.body.at("signature").get<std::string>());
    EXPECT_TRUE(signature.has_value());
    return signature.value_or(bytes{});
  }
  // verify's answer: "true", "false", or the error code.
  static std::string verdict(const json& body) {
    const auto r = call("verify", body);
    if (r.status != 200) return r.body.at("error").at("error_code").get<std::string>();
    EXPECT_EQ(r.body.size(), 2U) << r.text;
    EXPECT_EQ(r.body.at("key_id"), body.at("key_id"));
    EXPECT_TRUE(r.body.at("signature_valid").is_string()) << r.text;  // a string, not a bool
    return r.body.at("signature_valid").get<std::string>();
  }

  static json encrypt_body(const std::string& id, const std::string& plain,
                           const char* algorithm_name = nullptr) {
    json body = {{"key_id", id}, {"plain_text", plain}};
    if (algorithm_name != nullptr) body["encryption_algorithm"] = algorithm_name;
    return body;
  }
  static std::string encrypt(const json& body) {
    const auto r = call("encrypt-data", body);
    EXPECT_EQ(r.status, 200) << r.text;
    if (r.status != 200) return "";
    EXPECT_EQ(r.body.size(), 2U) << r.text;
    EXPECT_EQ(r.body.at("key_id"), body.at("key_id"));
    return r.body.at("cipher_text").get<std::string>();
  }
  // decrypt-data's plain_text, after checking the answer's shape; the error code otherwise.
  static std::string decrypt(const json& body) {
    const auto r = call("decrypt-data", body);
    if (r.status != 200) return r.body.at("error").at("error_code").get<std::string>();
    EXPECT_EQ(r.body.size(), 3U) << r.text;
    EXPECT_TRUE(r.text.starts_with("{\"key_id\":\"")) << r.text;
    EXPECT_LT(r.text.find("\"plain_text\""), r.text.find("\"plain_text_base64\"")) << r.text;
    auto plain = r.body.at("plain_text").get<std::string>();
    const auto exact = unb64(r.body.at("plain_text_base64").get<std::string>());
    EXPECT_EQ(exact, of(plain)) << r.text;  // the callers' plaintexts are UTF-8 text
    if (body.contains("key_id")) {
      EXPECT_EQ(r.body.at("key_id"), body.at("key_id"));
    }
    return plain;
  }
  static json decrypt_body(const std::string& cipher, const char* algorithm_name = nullptr,
                           const std::string& id = "") {
    json body = {{"cipher_text", cipher}};
    if (algorithm_name != nullptr) body["encryption_algorithm"] = algorithm_name;
    if (!id.empty()) body["key_id"] = id;
    return body;
  }
};

// ---- get-publickey rows (section 2) -------------------------------------------------------

TEST_F(AsymmetricJsonTest, GetPublicKeyFieldRows) {
  const auto id = ec256();
  EXPECT_EQ(code("get-publickey", json::object()), "KMS.0204");
  EXPECT_EQ(code("get-publickey", {{"key_id", nullptr}}), "KMS.0204");
  const std::string upper = "0D0466B0-E727-4D9C-B35D-F84BB474A37F";  // [0-9a-z] only
  for (const std::string& bad :
       {std::string{}, std::string{"x"}, upper, id.substr(0, 35), id + "0", "alias:" + id}) {
    EXPECT_EQ(code("get-publickey", {{"key_id", bad}}), "KMS.0205") << bad;
  }
  // An alias is a form of key_id here (api-metadata.md §6, settling §0.1): one that names no
  // key is not found (aliases_test.cpp has the rest).
  EXPECT_EQ(code("get-publickey", {{"key_id", "alias/" + id}}), "KMS.0207");
  EXPECT_EQ(code("get-publickey", {{"key_id", 5}}), "KMS.0205");
  EXPECT_EQ(code("get-publickey", {{"key_id", id}}), "200");
}

TEST_F(AsymmetricJsonTest, GetPublicKeyKeyRowsInOrder) {
  const auto absent = call("get-publickey", {{"key_id", absent_key}});
  EXPECT_EQ(absent.status, 404);
  EXPECT_EQ(absent.body["error"]["error_code"], "KMS.0207");
  const auto id = new_key("EC_P256", "SIGN_VERIFY");
  const json body = {{"key_id", id}};
  ASSERT_EQ(code("disable-key", body), "200");
  EXPECT_EQ(code("get-publickey", body), "KMS.0209");
  ASSERT_EQ(code("schedule-key-deletion", with(body, "pending_days", "7")), "200");
  EXPECT_EQ(code("get-publickey", body), "KMS.0210");
  ASSERT_EQ(code("cancel-key-deletion", body), "200");
  EXPECT_EQ(code("get-publickey", body), "KMS.0209");
  ASSERT_EQ(code("enable-key", body), "200");
  EXPECT_EQ(code("get-publickey", body), "200");
  set_state(id, kmscore::key_state::pending_activation);
  EXPECT_EQ(code("get-publickey", body), "KMS.1301");
  // A symmetric key pending import: the state row comes before the symmetric row.
  const auto external = new_key("AES_256", "ENCRYPT_DECRYPT", "external");
  EXPECT_EQ(code("get-publickey", {{"key_id", external}}), "KMS.1301");
  const auto disabled_aes = new_key("AES_256", "ENCRYPT_DECRYPT");
  ASSERT_EQ(code("disable-key", {{"key_id", disabled_aes}}), "200");
  EXPECT_EQ(code("get-publickey", {{"key_id", disabled_aes}}), "KMS.0209");
  EXPECT_EQ(code("get-publickey", {{"key_id", aes()}}), "KMS.0331");
  EXPECT_EQ(code("get-publickey", {{"key_id", sm4()}}), "KMS.0331");
  // Any usage is accepted.
  for (const auto& usable : {rsa_sign(), rsa_encrypt(), sm2_sign(), sm2_encrypt(), ec384()}) {
    EXPECT_EQ(code("get-publickey", {{"key_id", usable}}), "200") << usable;
  }
}

// KMS.0204's body does not name the field; the typed API does (docs/validation.md: the
// missing field's name in error::field()), and so does KMS.0308's message.
template <class Made>
std::string failure_of(const Made& made) {
  if (made) return "ok";
  return std::string{made.error().code_string()} + " " + std::string{made.error().field()};
}

TEST(AsymmetricFieldsTest, EachMissingRequiredFieldIsNamed) {
  using kmscore::validate;
  const std::string id = absent_key;
  const std::string digest32 = b64(pattern(32));
  const std::string signature = b64(pattern(64));
  const std::string alg = "ECDSA_SHA_256";
  const std::nullopt_t none = std::nullopt;
  EXPECT_EQ(failure_of(validate(kmscore::key_id_request{none, none})), "KMS.0204 key_id");
  EXPECT_EQ(failure_of(validate(kmscore::sign_request{none, digest32, alg, none, none})),
            "KMS.0204 key_id");
  EXPECT_EQ(failure_of(validate(kmscore::sign_request{id, none, alg, none, none})),
            "KMS.0204 message");
  EXPECT_EQ(failure_of(validate(kmscore::sign_request{id, digest32, none, none, none})),
            "KMS.0204 signing_algorithm");
  EXPECT_EQ(failure_of(validate(kmscore::sign_request{id, digest32, alg, none, none})), "ok");
  EXPECT_EQ(
      failure_of(validate(kmscore::verify_request{none, digest32, signature, alg, none, none})),
      "KMS.0204 key_id");
  EXPECT_EQ(failure_of(validate(kmscore::verify_request{id, none, signature, alg, none, none})),
            "KMS.0204 message");
  EXPECT_EQ(failure_of(validate(kmscore::verify_request{id, digest32, none, alg, none, none})),
            "KMS.0204 signature");
  EXPECT_EQ(
      failure_of(validate(kmscore::verify_request{id, digest32, signature, none, none, none})),
      "KMS.0204 signing_algorithm");
  EXPECT_EQ(failure_of(validate(kmscore::verify_request{id, digest32, signature, alg, none, none})),
            "ok");
  EXPECT_EQ(failure_of(validate(kmscore::verify_request{id, digest32, "!", alg, none, none})),
            "KMS.0308 signature");
  const kmscore::secret_string plain{"p"};
  EXPECT_EQ(failure_of(validate(kmscore::encrypt_data_request{none, none, plain, none, none})),
            "KMS.0204 key_id");
  EXPECT_EQ(failure_of(validate(kmscore::encrypt_data_request{id, none, std::nullopt, none, none})),
            "KMS.0204 plain_text");
  EXPECT_EQ(failure_of(validate(kmscore::encrypt_data_request{id, none, plain, none, none})), "ok");
  const std::string cipher(128, 'A');
  EXPECT_EQ(failure_of(validate(kmscore::decrypt_data_request{none, none, id, none, none})),
            "KMS.0204 cipher_text");
  EXPECT_EQ(failure_of(validate(
                kmscore::decrypt_data_request{cipher, "RSAES_OAEP_SHA_256", none, none, none})),
            "KMS.0204 key_id");
  EXPECT_EQ(failure_of(validate(
                kmscore::decrypt_data_request{cipher, "RSAES_OAEP_SHA_256", id, none, none})),
            "ok");
  EXPECT_EQ(failure_of(validate(kmscore::gen_random_request{none, none})),
            "KMS.0204 random_data_length");
  EXPECT_EQ(failure_of(validate(kmscore::gen_random_request{"512", none})), "ok");
}

// ---- sign / verify field rows (sections 3, 4) ----------------------------------------------

TEST_F(AsymmetricJsonTest, SignAndVerifyKeyIdRows) {
  for (const std::string action : {"sign", "verify"}) {
    const auto body = signing_body(action, ec256(), "ECDSA_SHA_256", pattern(32));
    EXPECT_EQ(code(action, body), "200") << action;
    EXPECT_EQ(code(action, without(body, "key_id")), "KMS.0204") << action;
    EXPECT_EQ(code(action, with(body, "key_id", nullptr)), "KMS.0204") << action;
    EXPECT_EQ(code(action, with(body, "key_id", "0d0466b0-e727-4d9c-b35d")), "KMS.0205") << action;
    EXPECT_EQ(code(action, with(body, "key_id", 7)), "KMS.0205") << action;
  }
}

TEST_F(AsymmetricJsonTest, MessageRows) {
  for (const std::string action : {"sign", "verify"}) {
    const auto raw = signing_body(action, ec256(), "ECDSA_SHA_256", pattern(4095), "RAW");
    EXPECT_EQ(code(action, raw), "200") << action;  // 4095 bytes: "less than 4096"
    EXPECT_EQ(code(action, with(raw, "message", b64(pattern(1)))), "200") << action;
    EXPECT_EQ(code_and_message(action, with(raw, "message", b64(pattern(4096)))),
              "KMS.0308 Invalid message.")
        << action;
    EXPECT_EQ(code_and_message(action, with(raw, "message", "")), "KMS.0308 Invalid message.")
        << action;
    for (const char* bad : {"!!!!", "Zg=", "Zm9v\n", "Zm9v Zm9v", "Zm-v", "Zg==Zg==", "===="}) {
      EXPECT_EQ(code_and_message(action, with(raw, "message", bad)), "KMS.0308 Invalid message.")
          << action << " " << bad;
    }
    EXPECT_EQ(code_and_message(action, with(raw, "message", 5)), "KMS.0308 Invalid message.");
    EXPECT_EQ(code(action, without(raw, "message")), "KMS.0204") << action;
    EXPECT_EQ(code(action, with(raw, "message", nullptr)), "KMS.0204") << action;
  }
}

TEST_F(AsymmetricJsonTest, SigningAlgorithmRows) {
  for (const std::string action : {"sign", "verify"}) {
    const auto body = signing_body(action, ec256(), "ECDSA_SHA_256", pattern(32));
    EXPECT_EQ(code(action, without(body, "signing_algorithm")), "KMS.0204") << action;
    for (const char* bad : {"", "ecdsa_sha_256", "ECDSA_SHA256", "ECDSA_SHA_256 ", "ECDSA_SHA_224",
                            "RSAES_OAEP_SHA_256", "SYMMETRIC_DEFAULT", "SM2_ENCRYPT"}) {
      EXPECT_EQ(code_and_message(action, with(body, "signing_algorithm", bad)),
                "KMS.0308 Invalid signing_algorithm.")
          << action << " " << bad;
    }
    EXPECT_EQ(code_and_message(action, with(body, "signing_algorithm", json::array())),
              "KMS.0308 Invalid signing_algorithm.");
    // All ten documented names pass the field checks (the key is then looked up).
    for (const auto& row : algorithms) {
      EXPECT_EQ(code(action, signing_body(action, absent_key, row.name, pattern(row.hash_size))),
                "KMS.0207")
          << action << " " << row.name;
    }
  }
}

TEST_F(AsymmetricJsonTest, MessageTypeRows) {
  for (const std::string action : {"sign", "verify"}) {
    const auto body = signing_body(action, ec256(), "ECDSA_SHA_256", pattern(33));
    for (const char* bad : {"raw", "digest", "", "RAW ", "HASH"}) {
      EXPECT_EQ(code_and_message(action, with(body, "message_type", bad)),
                "KMS.0308 Invalid message_type.")
          << action << " " << bad;
    }
    EXPECT_EQ(code_and_message(action, with(body, "message_type", 1)),
              "KMS.0308 Invalid message_type.");
    EXPECT_EQ(code(action, with(body, "message_type", "RAW")), "200") << action;
    // DIGEST is the default: 33 bytes are no SHA-256 digest, 32 are.
    EXPECT_EQ(code(action, body), "KMS.0329") << action;
    EXPECT_EQ(code(action, with(body, "message_type", nullptr)), "KMS.0329") << action;
    EXPECT_EQ(code(action, with(body, "message", b64(pattern(32)))), "200") << action;
    EXPECT_EQ(code(action, with(with(body, "message", b64(pattern(32))), "message_type", "DIGEST")),
              "200")
        << action;
    // SM2 signs digests only.
    const auto sm2 = signing_body(action, sm2_sign(), "SM2DSA_SM3", pattern(32));
    EXPECT_EQ(code_and_message(action, with(sm2, "message_type", "RAW")),
              "KMS.0308 Invalid message_type.")
        << action;
    EXPECT_EQ(
        code_and_message(action, with(with(sm2, "message_type", "RAW"), "key_id", absent_key)),
        "KMS.0308 Invalid message_type.")
        << action;  // a field rule: before the key is looked up
    EXPECT_EQ(code(action, with(sm2, "message_type", "DIGEST")), "200") << action;
    EXPECT_EQ(code(action, sm2), "200") << action;
  }
}

TEST_F(AsymmetricJsonTest, DigestLengthMustMatchTheHash) {
  struct row {
    std::string key_id;
    const char* algorithm_name;
    std::size_t size;
  };
  const std::vector<row> rows = {
      {ec256(), "ECDSA_SHA_256", 32},         {ec384(), "ECDSA_SHA_384", 48},
      {rsa_sign(), "RSASSA_PSS_SHA_256", 32}, {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_384", 48},
      {rsa_sign(), "RSASSA_PSS_SHA_512", 64}, {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_512", 64},
      {sm2_sign(), "SM2DSA_SM3", 32},
  };
  for (const std::string action : {"sign", "verify"}) {
    for (const auto& [id, name, size] : rows) {
      for (const char* type : {static_cast<const char*>(nullptr), "DIGEST"}) {
        EXPECT_EQ(code(action, signing_body(action, id, name, pattern(size - 1), type)), "KMS.0329")
            << action << " " << name;
        EXPECT_EQ(code(action, signing_body(action, id, name, pattern(size + 1), type)), "KMS.0329")
            << action << " " << name;
        EXPECT_EQ(code(action, signing_body(action, id, name, pattern(size), type)), "200")
            << action << " " << name;
      }
    }
    // ECDSA_SHA_512's digest is 64 bytes (checked before the key, which refuses it anyway).
    EXPECT_EQ(code(action, signing_body(action, ec256(), "ECDSA_SHA_512", pattern(32))),
              "KMS.0329");
    EXPECT_EQ(code(action, signing_body(action, ec256(), "ECDSA_SHA_512", pattern(64))),
              "KMS.0332");
  }
}

TEST_F(AsymmetricJsonTest, VerifySignatureFieldRows) {
  const auto body = verify_body(ec256(), "ECDSA_SHA_256", pattern(32), pattern(70));
  EXPECT_EQ(verdict(body), "false");
  EXPECT_EQ(code("verify", without(body, "signature")), "KMS.0204");
  EXPECT_EQ(code("verify", with(body, "signature", nullptr)), "KMS.0204");
  for (const char* bad : {"!!!!", "AAA", "AA==AA==", "AAA_", "AA A", "A==="}) {
    EXPECT_EQ(code_and_message("verify", with(body, "signature", bad)),
              "KMS.0308 Invalid signature.")
        << bad;
  }
  EXPECT_EQ(code_and_message("verify", with(body, "signature", 5)), "KMS.0308 Invalid signature.");
  // Empty Base64 is Base64: a signature that does not verify.
  EXPECT_EQ(verdict(with(body, "signature", "")), "false");
}

TEST_F(AsymmetricJsonTest, SequenceRowsOfEveryAction) {
  const auto cipher = encrypt(encrypt_body(aes(), "sequence"));
  const std::vector<std::pair<std::string, json>> bodies = {
      {"get-publickey", {{"key_id", ec256()}}},
      {"sign", sign_body(ec256(), "ECDSA_SHA_256", pattern(32))},
      {"verify", verify_body(ec256(), "ECDSA_SHA_256", pattern(32), pattern(70))},
      {"encrypt-data", encrypt_body(aes(), "sequence")},
      {"decrypt-data", decrypt_body(cipher)},
      {"gen-random", {{"random_data_length", "512"}}},
  };
  for (const auto& [action, body] : bodies) {
    EXPECT_EQ(code(action, body), "200") << action;
    EXPECT_EQ(code(action, with(body, "sequence", good_sequence)), "200") << action;
    EXPECT_EQ(code(action, with(body, "sequence", nullptr)), "200") << action;
    for (const std::string& bad :
         {std::string{"919c82d4"}, std::string(35, 'a'), std::string(37, 'a'),
          std::string(35, 'a') + " ", std::string{}}) {
      EXPECT_EQ(code(action, with(body, "sequence", bad)), "KMS.0206") << action << " " << bad;
    }
    EXPECT_EQ(code(action, with(body, "sequence", 12)), "KMS.0206") << action;
  }
}

// ---- field order: the first failing field in table order wins --------------------------------

TEST_F(AsymmetricJsonTest, FieldOrderSignAndVerify) {
  json body = {{"key_id", "bad"},          {"message", "!!"},     {"signature", "!!"},
               {"signing_algorithm", "x"}, {"message_type", "x"}, {"sequence", "x"}};
  EXPECT_EQ(code("sign", body), "KMS.0205");
  EXPECT_EQ(code("verify", body), "KMS.0205");
  body["key_id"] = absent_key;  // field checks come before the key is looked up
  EXPECT_EQ(code_and_message("sign", body), "KMS.0308 Invalid message.");
  EXPECT_EQ(code_and_message("verify", body), "KMS.0308 Invalid message.");
  body["message"] = b64(pattern(33));
  EXPECT_EQ(code_and_message("sign", body), "KMS.0308 Invalid signing_algorithm.");
  EXPECT_EQ(code_and_message("verify", body), "KMS.0308 Invalid signature.");
  EXPECT_EQ(code("verify", without(body, "signature")),
            "KMS.0204");  // missing, before the algorithm
  body["signature"] = b64(pattern(64));
  EXPECT_EQ(code_and_message("verify", body), "KMS.0308 Invalid signing_algorithm.");
  body["signing_algorithm"] = "ECDSA_SHA_256";
  EXPECT_EQ(code_and_message("sign", body), "KMS.0308 Invalid message_type.");
  EXPECT_EQ(code_and_message("verify", body), "KMS.0308 Invalid message_type.");
  body["message_type"] = "DIGEST";  // 33 bytes: the message_type row's KMS.0329, before sequence
  EXPECT_EQ(code("sign", body), "KMS.0329");
  EXPECT_EQ(code("verify", body), "KMS.0329");
  body["message"] = b64(pattern(32));
  EXPECT_EQ(code("sign", body), "KMS.0206");
  EXPECT_EQ(code("verify", body), "KMS.0206");
  body.erase("sequence");
  EXPECT_EQ(code("sign", body), "KMS.0207");
  EXPECT_EQ(code("verify", body), "KMS.0207");
  // A field error wins over the key's kind.
  body["key_id"] = aes();
  EXPECT_EQ(code("sign", body), "KMS.1115");
  EXPECT_EQ(code_and_message("sign", with(body, "message", "")), "KMS.0308 Invalid message.");
}

TEST_F(AsymmetricJsonTest, FieldOrderEncryptAndDecryptData) {
  json body = {{"key_id", "bad"},
               {"encryption_context", "a=b"},
               {"plain_text", ""},
               {"encryption_algorithm", "x"},
               {"sequence", "x"}};
  EXPECT_EQ(code("encrypt-data", body), "KMS.0205");
  body["key_id"] = absent_key;
  EXPECT_EQ(code("encrypt-data", body), "KMS.0208");
  body["encryption_context"] = {{"a", "b"}};
  EXPECT_EQ(code("encrypt-data", body), "KMS.2101");
  EXPECT_EQ(code("encrypt-data", without(body, "plain_text")), "KMS.0204");
  body["plain_text"] = "p";
  EXPECT_EQ(code_and_message("encrypt-data", body), "KMS.0308 Invalid encryption_algorithm.");
  body["encryption_algorithm"] = "SYMMETRIC_DEFAULT";
  EXPECT_EQ(code("encrypt-data", body), "KMS.0206");
  body.erase("sequence");
  EXPECT_EQ(code("encrypt-data", body), "KMS.0207");
  // A field error wins over the key's kind.
  EXPECT_EQ(code("encrypt-data", with(with(body, "key_id", ec256()), "plain_text", "")),
            "KMS.2101");

  json decrypt = {{"cipher_text", "!!"},
                  {"encryption_algorithm", "x"},
                  {"key_id", "bad"},
                  {"encryption_context", "a=b"},
                  {"sequence", "x"}};
  EXPECT_EQ(code("decrypt-data", decrypt), "KMS.2201");
  EXPECT_EQ(code("decrypt-data", without(decrypt, "cipher_text")), "KMS.0204");
  decrypt["cipher_text"] = std::string(128, 'A');
  EXPECT_EQ(code_and_message("decrypt-data", decrypt), "KMS.0308 Invalid encryption_algorithm.");
  decrypt["encryption_algorithm"] = "RSAES_OAEP_SHA_256";
  EXPECT_EQ(code("decrypt-data", decrypt), "KMS.0205");
  EXPECT_EQ(code("decrypt-data", without(decrypt, "key_id")), "KMS.0204");
  decrypt["key_id"] = absent_key;
  EXPECT_EQ(code("decrypt-data", decrypt), "KMS.0208");
  decrypt["encryption_context"] = json::object();
  EXPECT_EQ(code("decrypt-data", decrypt), "KMS.0206");
  decrypt.erase("sequence");
  EXPECT_EQ(code("decrypt-data", decrypt), "KMS.0207");
  // Symmetric: a text that is no blob is refused after the field checks.
  const json not_a_blob = {{"cipher_text", std::string(128, 'A')}, {"sequence", "x"}};
  EXPECT_EQ(code("decrypt-data", not_a_blob), "KMS.0206");
  EXPECT_EQ(code("decrypt-data", without(not_a_blob, "sequence")), "KMS.2201");
}

// ---- sign / verify key rows (section 1, then the key-kind rows) ------------------------------

TEST_F(AsymmetricJsonTest, SignAndVerifyKeyStateRows) {
  for (const std::string action : {"sign", "verify"}) {
    const auto absent =
        call(action, signing_body(action, absent_key, "ECDSA_SHA_256", pattern(32)));
    EXPECT_EQ(absent.status, 404);
    EXPECT_EQ(absent.body["error"]["error_code"], "KMS.0207");
  }
  const auto id = new_key("EC_P256", "SIGN_VERIFY");
  const auto aes_key = new_key("AES_256", "ENCRYPT_DECRYPT");
  auto all = [&](const std::string& key_id) {
    std::string codes;
    for (const std::string action : {"sign", "verify"}) {
      codes += code(action, signing_body(action, key_id, "ECDSA_SHA_256", pattern(32))) + " ";
    }
    return codes;
  };
  EXPECT_EQ(all(id), "200 200 ");
  EXPECT_EQ(all(aes_key), "KMS.1115 KMS.1115 ");
  for (const auto& key_id : {id, aes_key}) {
    ASSERT_EQ(code("disable-key", {{"key_id", key_id}}), "200");
  }
  EXPECT_EQ(all(id), "KMS.0209 KMS.0209 ");
  EXPECT_EQ(all(aes_key), "KMS.0209 KMS.0209 ");  // the state rows before the kind rows
  for (const auto& key_id : {id, aes_key}) {
    ASSERT_EQ(code("schedule-key-deletion", {{"key_id", key_id}, {"pending_days", "7"}}), "200");
  }
  EXPECT_EQ(all(id), "KMS.0210 KMS.0210 ");
  EXPECT_EQ(all(aes_key), "KMS.0210 KMS.0210 ");
  for (const auto& key_id : {id, aes_key}) {
    ASSERT_EQ(code("cancel-key-deletion", {{"key_id", key_id}}), "200");
    ASSERT_EQ(code("enable-key", {{"key_id", key_id}}), "200");
  }
  EXPECT_EQ(all(id), "200 200 ");
  set_state(id, kmscore::key_state::pending_activation);
  EXPECT_EQ(all(id), "KMS.1301 KMS.1301 ");
  EXPECT_EQ(all(new_key("AES_256", "ENCRYPT_DECRYPT", "external")), "KMS.1301 KMS.1301 ");
}

TEST_F(AsymmetricJsonTest, SignAndVerifyKeyKindRows) {
  struct row {
    std::string key_id;
    std::string algorithm_name;
    const char* expected;
  };
  const std::vector<row> rows = {
      // Symmetric keys: KMS.1115, before the algorithm is considered.
      {aes(), "ECDSA_SHA_256", "KMS.1115"},
      {sm4(), "SM2DSA_SM3", "KMS.1115"},
      {aes(), "ECDSA_SHA_512", "KMS.1115"},
      // RSA and SM2 keys for encryption: KMS.0334, before the algorithm is considered.
      {rsa_encrypt(), "RSASSA_PSS_SHA_256", "KMS.0334"},
      {rsa_encrypt(), "RSASSA_PKCS1_V1_5_SHA_256", "KMS.0334"},
      {sm2_encrypt(), "SM2DSA_SM3", "KMS.0334"},
      {rsa_encrypt(), "ECDSA_SHA_256", "KMS.0334"},
      // Algorithms the spec does not take: KMS.0332.
      {ec256(), "ECDSA_SHA_384", "KMS.0332"},
      {ec256(), "ECDSA_SHA_512", "KMS.0332"},
      {ec384(), "ECDSA_SHA_256", "KMS.0332"},
      {ec384(), "ECDSA_SHA_512", "KMS.0332"},
      {ec256(), "RSASSA_PSS_SHA_256", "KMS.0332"},
      {ec384(), "RSASSA_PKCS1_V1_5_SHA_384", "KMS.0332"},
      {ec256(), "SM2DSA_SM3", "KMS.0332"},
      {rsa_sign(), "ECDSA_SHA_256", "KMS.0332"},
      {rsa_sign(), "ECDSA_SHA_512", "KMS.0332"},
      {rsa_sign(), "SM2DSA_SM3", "KMS.0332"},
      {sm2_sign(), "ECDSA_SHA_256", "KMS.0332"},
      {sm2_sign(), "RSASSA_PSS_SHA_256", "KMS.0332"},
      // The pairs of section 0.3.
      {ec256(), "ECDSA_SHA_256", "200"},
      {ec384(), "ECDSA_SHA_384", "200"},
      {sm2_sign(), "SM2DSA_SM3", "200"},
      {rsa_sign(), "RSASSA_PSS_SHA_256", "200"},
      {rsa_sign(), "RSASSA_PSS_SHA_384", "200"},
      {rsa_sign(), "RSASSA_PSS_SHA_512", "200"},
      {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_256", "200"},
      {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_384", "200"},
      {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_512", "200"},
  };
  for (const std::string action : {"sign", "verify"}) {
    for (const auto& [id, name, expected] : rows) {
      EXPECT_EQ(code(action, signing_body(action, id, name, pattern(algorithm(name).hash_size))),
                expected)
          << action << " " << name << " " << id;
    }
  }
}

// ---- encrypt-data rows (section 5) ----------------------------------------------------------

TEST_F(AsymmetricJsonTest, EncryptDataFieldRows) {
  const auto body = encrypt_body(aes(), "secret");
  EXPECT_EQ(code("encrypt-data", body), "200");
  EXPECT_EQ(code("encrypt-data", without(body, "key_id")), "KMS.0204");
  EXPECT_EQ(code("encrypt-data", with(body, "key_id", "x")), "KMS.0205");
  // encryption_context
  EXPECT_EQ(code("encrypt-data", with(body, "encryption_context", "a=b")), "KMS.0208");
  EXPECT_EQ(code("encrypt-data", with(body, "encryption_context", {{"a", 1}})), "KMS.0208");
  EXPECT_EQ(code("encrypt-data", with(body, "encryption_context", json::array())), "KMS.0208");
  EXPECT_EQ(code("encrypt-data", with(body, "encryption_context", {{"a", "b"}})), "200");
  EXPECT_EQ(code("encrypt-data", with(body, "encryption_context", json::object())), "200");
  // plain_text: 1..4096 bytes of UTF-8, counted in bytes.
  EXPECT_EQ(code("encrypt-data", without(body, "plain_text")), "KMS.0204");
  EXPECT_EQ(code("encrypt-data", with(body, "plain_text", nullptr)), "KMS.0204");
  EXPECT_EQ(code("encrypt-data", with(body, "plain_text", "")), "KMS.2101");
  EXPECT_EQ(code("encrypt-data", with(body, "plain_text", 5)), "KMS.2101");
  EXPECT_EQ(code("encrypt-data", with(body, "plain_text", "a")), "200");
  EXPECT_EQ(code("encrypt-data", with(body, "plain_text", std::string(4096, 'a'))), "200");
  EXPECT_EQ(code("encrypt-data", with(body, "plain_text", std::string(4097, 'a'))), "KMS.2101");
  std::string wide;
  for (int i = 0; i < 1365; ++i) wide += "\xE4\xB8\xAD";  // U+4E2D, three bytes
  EXPECT_EQ(code("encrypt-data", with(body, "plain_text", wide + "a")), "200");        // 4096
  EXPECT_EQ(code("encrypt-data", with(body, "plain_text", wide + "ab")), "KMS.2101");  // 4097
  EXPECT_EQ(code("encrypt-data", with(body, "plain_text", wide + "\xE4\xB8\xAD")), "KMS.2101");
  // encryption_algorithm
  for (const char* bad : {"", "symmetric_default", "AES_256", "RSAES_OAEP_SHA_1", "SM2"}) {
    EXPECT_EQ(code_and_message("encrypt-data", with(body, "encryption_algorithm", bad)),
              "KMS.0308 Invalid encryption_algorithm.")
        << bad;
  }
  EXPECT_EQ(code_and_message("encrypt-data", with(body, "encryption_algorithm", 5)),
            "KMS.0308 Invalid encryption_algorithm.");
  EXPECT_EQ(code("encrypt-data", with(body, "encryption_algorithm", "SYMMETRIC_DEFAULT")), "200");
  EXPECT_EQ(code("encrypt-data", with(body, "encryption_algorithm", nullptr)), "200");
}

TEST_F(AsymmetricJsonTest, EncryptDataKeyRows) {
  const auto absent = call("encrypt-data", encrypt_body(absent_key, "x"));
  EXPECT_EQ(absent.status, 404);
  EXPECT_EQ(absent.body["error"]["error_code"], "KMS.0207");
  struct row {
    std::string key_id;
    const char* algorithm_name;  // nullptr: the default, SYMMETRIC_DEFAULT
    const char* expected;
  };
  const std::vector<row> rows = {
      {ec256(), nullptr, "KMS.1114"},
      {ec384(), nullptr, "KMS.1114"},
      {ec256(), "RSAES_OAEP_SHA_256", "KMS.1114"},
      {ec384(), "SM2_ENCRYPT", "KMS.1114"},
      {rsa_sign(), "RSAES_OAEP_SHA_256", "KMS.0335"},
      {rsa_sign(), nullptr, "KMS.0335"},  // the usage row before the algorithm row
      {sm2_sign(), "SM2_ENCRYPT", "KMS.0335"},
      {aes(), "RSAES_OAEP_SHA_256", "KMS.2105"},
      {aes(), "SM2_ENCRYPT", "KMS.2105"},
      {sm4(), "RSAES_OAEP_SHA_256", "KMS.2105"},
      {rsa_encrypt(), nullptr, "KMS.2106"},
      {rsa_encrypt(), "SYMMETRIC_DEFAULT", "KMS.2106"},
      {rsa_encrypt(), "SM2_ENCRYPT", "KMS.2106"},
      {sm2_encrypt(), nullptr, "KMS.0308 Invalid encryption_algorithm."},
      {sm2_encrypt(), "RSAES_OAEP_SHA_256", "KMS.0308 Invalid encryption_algorithm."},
      // The accepted pairs.
      {aes(), nullptr, "200"},
      {aes(), "SYMMETRIC_DEFAULT", "200"},
      {sm4(), nullptr, "200"},
      {rsa_encrypt(), "RSAES_OAEP_SHA_256", "200"},
      {sm2_encrypt(), "SM2_ENCRYPT", "200"},
  };
  for (const auto& [id, name, expected] : rows) {
    const auto body = encrypt_body(id, "data", name);
    const auto answer = std::string_view{expected}.starts_with("KMS.0308")
                            ? code_and_message("encrypt-data", body)
                            : code("encrypt-data", body);
    EXPECT_EQ(answer, expected) << id << " " << (name == nullptr ? "default" : name);
  }
  // The state rows come first: a disabled EC key is KMS.0209, not KMS.1114.
  const auto ec = new_key("EC_P256", "SIGN_VERIFY");
  const auto symmetric = new_key("AES_256", "ENCRYPT_DECRYPT");
  const auto sm2 = new_key("SM2", "ENCRYPT_DECRYPT");
  for (const auto& id : {ec, symmetric, sm2})
    ASSERT_EQ(code("disable-key", {{"key_id", id}}), "200");
  EXPECT_EQ(code("encrypt-data", encrypt_body(ec, "data")), "KMS.0209");
  EXPECT_EQ(code("encrypt-data", encrypt_body(symmetric, "data", "RSAES_OAEP_SHA_256")),
            "KMS.0209");
  EXPECT_EQ(code("encrypt-data", encrypt_body(sm2, "data")), "KMS.0209");
  for (const auto& id : {ec, symmetric, sm2}) {
    ASSERT_EQ(code("schedule-key-deletion", {{"key_id", id}, {"pending_days", "30"}}), "200");
  }
  EXPECT_EQ(code("encrypt-data", encrypt_body(ec, "data")), "KMS.0210");
  EXPECT_EQ(code("encrypt-data", encrypt_body(symmetric, "data")), "KMS.0210");
  EXPECT_EQ(code("encrypt-data", encrypt_body(sm2, "data", "SM2_ENCRYPT")), "KMS.0210");
  EXPECT_EQ(
      code("encrypt-data", encrypt_body(new_key("AES_256", "ENCRYPT_DECRYPT", "external"), "data")),
      "KMS.1301");
  set_state(sm2, kmscore::key_state::pending_activation);
  EXPECT_EQ(code("encrypt-data", encrypt_body(sm2, "data", "SM2_ENCRYPT")), "KMS.1301");
}

TEST_F(AsymmetricJsonTest, RsaPlaintextLimitAndContextWithAsymmetricKeys) {
  const auto rsa = rsa_encrypt();
  EXPECT_EQ(code("encrypt-data", encrypt_body(rsa, std::string(190, 'p'), "RSAES_OAEP_SHA_256")),
            "200");
  EXPECT_EQ(code("encrypt-data", encrypt_body(rsa, std::string(191, 'p'), "RSAES_OAEP_SHA_256")),
            "KMS.2108");
  std::string wide;
  for (int i = 0; i < 63; ++i) wide += "\xE4\xB8\xAD";  // 189 bytes in 63 characters
  EXPECT_EQ(code("encrypt-data", encrypt_body(rsa, wide + "a", "RSAES_OAEP_SHA_256")), "200");
  EXPECT_EQ(code("encrypt-data", encrypt_body(rsa, wide + "ab", "RSAES_OAEP_SHA_256")), "KMS.2108");
  // SM2 has no such limit below encrypt-data's own.
  EXPECT_EQ(
      code("encrypt-data", encrypt_body(sm2_encrypt(), std::string(4096, 's'), "SM2_ENCRYPT")),
      "200");
  // A non-empty context has nowhere to go with RSA-OAEP or SM2.
  const json context = {{"a", "b"}};
  EXPECT_EQ(code("encrypt-data",
                 with(encrypt_body(rsa, "p", "RSAES_OAEP_SHA_256"), "encryption_context", context)),
            "KMS.0208");
  EXPECT_EQ(code("encrypt-data", with(encrypt_body(sm2_encrypt(), "p", "SM2_ENCRYPT"),
                                      "encryption_context", context)),
            "KMS.0208");
  EXPECT_EQ(code("encrypt-data", with(encrypt_body(rsa, "p", "RSAES_OAEP_SHA_256"),
                                      "encryption_context", json::object())),
            "200");
  EXPECT_EQ(code("encrypt-data", with(encrypt_body(aes(), "p"), "encryption_context", context)),
            "200");
}

// ---- decrypt-data rows (section 6) ----------------------------------------------------------

TEST_F(AsymmetricJsonTest, DecryptDataFieldRows) {
  const auto cipher = encrypt(encrypt_body(aes(), "field rows"));
  EXPECT_EQ(decrypt(decrypt_body(cipher)), "field rows");
  EXPECT_EQ(code("decrypt-data", json::object()), "KMS.0204");
  EXPECT_EQ(code("decrypt-data", {{"cipher_text", nullptr}}), "KMS.0204");
  EXPECT_EQ(code("decrypt-data", {{"cipher_text", ""}}), "KMS.2201");
  EXPECT_EQ(code("decrypt-data", {{"cipher_text", 5}}), "KMS.2201");
  // Not Base64, at the blob's own length.
  for (const char bad : {'!', '-', '_', ' ', '\n', '.'}) {
    std::string broken = cipher;
    broken[10] = bad;
    EXPECT_EQ(code("decrypt-data", decrypt_body(broken)), "KMS.2201") << bad;
  }
  // 128..5648 characters: with an asymmetric algorithm and a key that does not exist, a text
  // that passes the field checks is KMS.0207.
  auto length_row = [&](std::size_t characters) {
    return code("decrypt-data",
                decrypt_body(std::string(characters, 'A'), "RSAES_OAEP_SHA_256", absent_key));
  };
  EXPECT_EQ(length_row(124), "KMS.2201");
  EXPECT_EQ(length_row(127), "KMS.2201");
  EXPECT_EQ(length_row(128), "KMS.0207");
  EXPECT_EQ(length_row(5648), "KMS.0207");
  EXPECT_EQ(length_row(5649), "KMS.2201");
  EXPECT_EQ(length_row(5652), "KMS.2201");
  // encryption_algorithm
  for (const char* bad : {"", "AES", "rsaes_oaep_sha_256", "SM2DSA_SM3"}) {
    EXPECT_EQ(code_and_message("decrypt-data", decrypt_body(cipher, bad)),
              "KMS.0308 Invalid encryption_algorithm.")
        << bad;
  }
  EXPECT_EQ(code_and_message("decrypt-data", with(decrypt_body(cipher), "encryption_algorithm", 1)),
            "KMS.0308 Invalid encryption_algorithm.");
  EXPECT_EQ(decrypt(decrypt_body(cipher, "SYMMETRIC_DEFAULT")), "field rows");
  // key_id: required for the asymmetric algorithms only.
  const std::string any(172, 'B');
  EXPECT_EQ(code("decrypt-data", decrypt_body(any, "RSAES_OAEP_SHA_256")), "KMS.0204");
  EXPECT_EQ(code("decrypt-data", decrypt_body(any, "SM2_ENCRYPT")), "KMS.0204");
  EXPECT_EQ(code("decrypt-data", with(decrypt_body(any, "SM2_ENCRYPT"), "key_id", nullptr)),
            "KMS.0204");
  EXPECT_EQ(code("decrypt-data", decrypt_body(any, "SM2_ENCRYPT", "not-a-key")), "KMS.0205");
  EXPECT_EQ(code("decrypt-data", decrypt_body(cipher, nullptr, "not-a-key")), "KMS.0205");
  EXPECT_EQ(code("decrypt-data", with(decrypt_body(cipher), "key_id", 3)), "KMS.0205");
  EXPECT_EQ(decrypt(decrypt_body(cipher, nullptr, aes())), "field rows");
  // encryption_context
  EXPECT_EQ(code("decrypt-data", with(decrypt_body(cipher), "encryption_context", "x")),
            "KMS.0208");
  EXPECT_EQ(code("decrypt-data", with(decrypt_body(cipher), "encryption_context", {{"k", false}})),
            "KMS.0208");
}

TEST_F(AsymmetricJsonTest, DecryptDataSymmetricRefusals) {
  const json context = {{"bucket", "photos"}};
  const auto id = aes();
  const auto cipher = encrypt(
      with(encrypt_body(id, "thirty-two bytes of plaintext!!!"), "encryption_context", context));
  const auto blob = *unb64(cipher);
  ASSERT_EQ(blob.size(), 124U + 32U);
  auto opened = [&](const bytes& changed, const json& ctx) {
    return decrypt(with(decrypt_body(b64(changed)), "encryption_context", ctx));
  };
  EXPECT_EQ(opened(blob, context), "thirty-two bytes of plaintext!!!");
  // Context: missing, different, extra.
  EXPECT_EQ(decrypt(decrypt_body(cipher)), "KMS.2201");
  EXPECT_EQ(opened(blob, {{"bucket", "photoz"}}), "KMS.2201");
  EXPECT_EQ(opened(blob, {{"bucket", "photos"}, {"x", "y"}}), "KMS.2201");
  // Every byte outside the key_id: version, length, salt, ciphertext, GCM tag, key_version, tag.
  for (const std::size_t at : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{4},
                               std::size_t{40}, std::size_t{60}, std::size_t{75}, blob.size() - 36,
                               blob.size() - 33, blob.size() - 32, blob.size() - 1}) {
    bytes tampered = blob;
    tampered[at] ^= 0x01;
    EXPECT_EQ(opened(tampered, context), "KMS.2201") << "byte " << at;
  }
  // Truncated or extended (still Base64).
  EXPECT_EQ(opened(bytes(blob.begin(), blob.end() - 3), context), "KMS.2201");
  bytes longer = blob;
  longer.insert(longer.end(), {0, 0, 0});
  EXPECT_EQ(opened(longer, context), "KMS.2201");
  // key_id sent with a symmetric blob must be the blob's own.
  EXPECT_EQ(decrypt(with(decrypt_body(cipher, nullptr, aes()), "encryption_context", context)),
            "thirty-two bytes of plaintext!!!");
  const auto other = new_key("AES_256", "ENCRYPT_DECRYPT");
  EXPECT_EQ(decrypt(with(decrypt_body(cipher, nullptr, other), "encryption_context", context)),
            "KMS.2201");
  // The key named inside the blob goes through section 1 (and is the only key used).
  auto renamed = [&](const std::string& key_id) {
    bytes changed = blob;
    std::copy(key_id.begin(), key_id.end(), changed.end() - 72);
    return opened(changed, context);
  };
  EXPECT_EQ(renamed(absent_key), "KMS.0207");
  EXPECT_EQ(renamed(new_key("AES_256", "ENCRYPT_DECRYPT", "external")), "KMS.1301");
  EXPECT_EQ(renamed(other), "KMS.2201");          // another AES key: the tag does not verify
  EXPECT_EQ(renamed(sm4()), "KMS.2201");          // an SM4 key for an AES blob
  EXPECT_EQ(renamed(rsa_encrypt()), "KMS.2201");  // an asymmetric key cannot have made a blob
  // A key version the key does not have.
  bytes future = blob;
  future[blob.size() - 36] = 1;
  EXPECT_EQ(opened(future, context), "KMS.2201");
  // State rows, on a key of its own.
  const auto mine = new_key("SM4", "ENCRYPT_DECRYPT");
  const auto sealed = encrypt(encrypt_body(mine, "state rows"));
  ASSERT_EQ(code("disable-key", {{"key_id", mine}}), "200");
  EXPECT_EQ(decrypt(decrypt_body(sealed)), "KMS.0209");
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", mine}, {"pending_days", "7"}}), "200");
  EXPECT_EQ(decrypt(decrypt_body(sealed)), "KMS.0210");
  ASSERT_EQ(code("cancel-key-deletion", {{"key_id", mine}}), "200");
  ASSERT_EQ(code("enable-key", {{"key_id", mine}}), "200");
  EXPECT_EQ(decrypt(decrypt_body(sealed)), "state rows");
}

TEST_F(AsymmetricJsonTest, DecryptDataAsymmetricRows) {
  const auto rsa = rsa_encrypt();
  const auto sm2 = sm2_encrypt();
  const auto rsa_cipher = encrypt(encrypt_body(rsa, "hello rsa", "RSAES_OAEP_SHA_256"));
  const auto sm2_cipher = encrypt(encrypt_body(sm2, "hello sm2", "SM2_ENCRYPT"));
  EXPECT_EQ(decrypt(decrypt_body(rsa_cipher, "RSAES_OAEP_SHA_256", rsa)), "hello rsa");
  EXPECT_EQ(decrypt(decrypt_body(sm2_cipher, "SM2_ENCRYPT", sm2)), "hello sm2");
  // RSA failures: KMS.0311, whatever the shape.
  const auto rsa_blob = *unb64(rsa_cipher);
  ASSERT_EQ(rsa_blob.size(), 256U);
  for (const std::size_t at : {std::size_t{0}, std::size_t{128}, std::size_t{255}}) {
    bytes tampered = rsa_blob;
    tampered[at] ^= 0x40;
    EXPECT_EQ(decrypt(decrypt_body(b64(tampered), "RSAES_OAEP_SHA_256", rsa)), "KMS.0311") << at;
  }
  EXPECT_EQ(decrypt(decrypt_body(b64(bytes(rsa_blob.begin(), rsa_blob.end() - 1)),
                                 "RSAES_OAEP_SHA_256", rsa)),
            "KMS.0311");
  EXPECT_EQ(decrypt(decrypt_body(b64(pattern(96)), "RSAES_OAEP_SHA_256", rsa)), "KMS.0311");
  EXPECT_EQ(decrypt(decrypt_body(b64(bytes(256, 0xFF)), "RSAES_OAEP_SHA_256", rsa)), "KMS.0311");
  // SM2 failures: KMS.2201.
  const auto sm2_blob = *unb64(sm2_cipher);
  for (const std::size_t at : {std::size_t{5}, sm2_blob.size() - 45, sm2_blob.size() - 1}) {
    bytes tampered = sm2_blob;
    tampered[at] ^= 0x01;
    EXPECT_EQ(decrypt(decrypt_body(b64(tampered), "SM2_ENCRYPT", sm2)), "KMS.2201") << at;
  }
  EXPECT_EQ(decrypt(decrypt_body(b64(pattern(120)), "SM2_ENCRYPT", sm2)), "KMS.2201");
  EXPECT_EQ(decrypt(decrypt_body(rsa_cipher, "SM2_ENCRYPT", sm2)), "KMS.2201");
  // The key rows of encrypt-data, then the context.
  EXPECT_EQ(decrypt(decrypt_body(rsa_cipher, "SM2_ENCRYPT", rsa)), "KMS.2106");
  EXPECT_EQ(decrypt(decrypt_body(rsa_cipher, "RSAES_OAEP_SHA_256", ec256())), "KMS.1114");
  EXPECT_EQ(decrypt(decrypt_body(rsa_cipher, "RSAES_OAEP_SHA_256", rsa_sign())), "KMS.0335");
  EXPECT_EQ(decrypt(decrypt_body(sm2_cipher, "SM2_ENCRYPT", sm2_sign())), "KMS.0335");
  EXPECT_EQ(decrypt(decrypt_body(rsa_cipher, "RSAES_OAEP_SHA_256", aes())), "KMS.2105");
  EXPECT_EQ(code_and_message("decrypt-data", decrypt_body(sm2_cipher, "RSAES_OAEP_SHA_256", sm2)),
            "KMS.0308 Invalid encryption_algorithm.");
  EXPECT_EQ(decrypt(with(decrypt_body(rsa_cipher, "RSAES_OAEP_SHA_256", rsa), "encryption_context",
                         {{"a", "b"}})),
            "KMS.0208");
  EXPECT_EQ(decrypt(with(decrypt_body(rsa_cipher, "RSAES_OAEP_SHA_256", rsa), "encryption_context",
                         json::object())),
            "hello rsa");
  // Section 1 on key_id.
  const auto absent = call("decrypt-data", decrypt_body(sm2_cipher, "SM2_ENCRYPT", absent_key));
  EXPECT_EQ(absent.status, 404);
  EXPECT_EQ(absent.body["error"]["error_code"], "KMS.0207");
  const auto mine = new_key("SM2", "ENCRYPT_DECRYPT");
  const auto mine_cipher = encrypt(encrypt_body(mine, "mine", "SM2_ENCRYPT"));
  ASSERT_EQ(code("disable-key", {{"key_id", mine}}), "200");
  EXPECT_EQ(decrypt(decrypt_body(mine_cipher, "SM2_ENCRYPT", mine)), "KMS.0209");
  EXPECT_EQ(decrypt(decrypt_body(mine_cipher, "RSAES_OAEP_SHA_256", mine)), "KMS.0209");
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", mine}, {"pending_days", "7"}}), "200");
  EXPECT_EQ(decrypt(decrypt_body(mine_cipher, "SM2_ENCRYPT", mine)), "KMS.0210");
  ASSERT_EQ(code("cancel-key-deletion", {{"key_id", mine}}), "200");
  set_state(mine, kmscore::key_state::pending_activation);
  EXPECT_EQ(decrypt(decrypt_body(mine_cipher, "SM2_ENCRYPT", mine)), "KMS.1301");
  set_state(mine, kmscore::key_state::enabled);
  EXPECT_EQ(decrypt(decrypt_body(mine_cipher, "SM2_ENCRYPT", mine)), "mine");
}

// ---- gen-random (section 7) -----------------------------------------------------------------

TEST_F(AsymmetricJsonTest, GenRandomRows) {
  auto length = [](const json& value,
                   kmscore::datakey_length_policy policy = kmscore::datakey_length_policy::range) {
    return code("gen-random", {{"random_data_length", value}}, policy);
  };
  EXPECT_EQ(code("gen-random", json::object()), "KMS.0204");
  EXPECT_EQ(length(nullptr), "KMS.0204");
  // Not a number, or out of 8..8192: KMS.1801.
  for (const char* bad : {"abc", "", "0", "7", "8193", "8200", "-8", "+8", " 8", "8 ", "0x10",
                          "512.0", "99999999999999999999999"}) {
    EXPECT_EQ(length(bad), "KMS.1801") << bad;
  }
  EXPECT_EQ(length(512), "KMS.1801");  // a JSON number is the wrong type
  // In range, not a multiple of 8: KMS.1802.
  for (const char* bad : {"9", "12", "511", "8191"}) EXPECT_EQ(length(bad), "KMS.1802") << bad;
  for (const char* good : {"8", "16", "512", "8192"}) EXPECT_EQ(length(good), "200") << good;
  // The strict policy: only 512.
  const auto strict = kmscore::datakey_length_policy::strict512;
  EXPECT_EQ(length("512", strict), "200");
  for (const char* bad : {"256", "504", "520", "8", "9", "abc"}) {
    EXPECT_EQ(length(bad, strict), "KMS.1801") << bad;
  }
  // Field order: the length before the sequence.
  EXPECT_EQ(code("gen-random", {{"random_data_length", "abc"}, {"sequence", "x"}}), "KMS.1801");
  EXPECT_EQ(code("gen-random", {{"random_data_length", "9"}, {"sequence", "x"}}), "KMS.1802");
  EXPECT_EQ(code("gen-random", {{"random_data_length", "8"}, {"sequence", "x"}}), "KMS.0206");
}

TEST_F(AsymmetricJsonTest, GenRandomOutput) {
  auto random = [](const char* bits) {
    const auto r = call("gen-random", {{"random_data_length", bits}});
    EXPECT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(r.body.size(), 1U) << r.text;
    auto text = r.body.at("random_data").get<std::string>();
    EXPECT_TRUE(std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    })) << text;
    return text;
  };
  EXPECT_EQ(random("512").size(), 128U);
  EXPECT_EQ(random("8").size(), 2U);
  EXPECT_EQ(random("8192").size(), 2048U);
  EXPECT_EQ(random("16").size(), 4U);
  EXPECT_NE(random("512"), random("512"));
  const auto strict = call("gen-random", {{"random_data_length", "512"}},
                           kmscore::datakey_length_policy::strict512);
  EXPECT_EQ(strict.body.at("random_data").get<std::string>().size(), 128U);
  // Not a constant: of 2048 hex characters, every digit appears.
  const auto big = random("8192");
  for (const char c : std::string_view{"0123456789ABCDEF"}) {
    EXPECT_NE(big.find(c), std::string::npos) << c;
  }
}

// ---- round trips: public keys ---------------------------------------------------------------

TEST_F(AsymmetricJsonTest, PublicKeysArePemSubjectPublicKeyInfoOfTheKey) {
  struct row {
    std::string key_id;
    const char* type;  // OpenSSL's key type
    int bits;
    const char* group;      // OpenSSL's group name, "" for RSA
    const char* der_start;  // SubjectPublicKeyInfo up to the key bits (section 2's encodings)
    std::size_t der_size;
  };
  constexpr const char* rsa_start = "30820122300D06092A864886F70D0101010500038201";  // NULL params
  constexpr const char* p256_start = "3059301306072A8648CE3D020106082A8648CE3D03010703420004";
  constexpr const char* p384_start = "3076301006072A8648CE3D020106052B8104002203620004";
  constexpr const char* sm2_start = "3059301306072A8648CE3D020106082A811CCF5501822D03420004";
  const std::vector<row> rows = {
      {rsa_sign(), "RSA", 2048, "", rsa_start, 294},
      {rsa_encrypt(), "RSA", 2048, "", rsa_start, 294},
      {ec256(), "EC", 256, "prime256v1", p256_start, 91},
      {ec384(), "EC", 384, "secp384r1", p384_start, 120},
      {sm2_sign(), "SM2", 256, "SM2", sm2_start, 91},
      {sm2_encrypt(), "SM2", 256, "SM2", sm2_start, 91},
  };
  for (const auto& [id, type, bits, group, start, size] : rows) {
    SCOPED_TRACE(id + " " + type);
    const auto r = call("get-publickey", {{"key_id", id}});
    ASSERT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(r.body.size(), 2U);
    EXPECT_EQ(r.body.at("key_id"), id);
    parsed_public_key parsed;
    ASSERT_TRUE(parse_pem(r.body.at("public_key").get<std::string>(), parsed));
    EXPECT_EQ(parsed.der.size(), size);
    EXPECT_EQ(hex_upper(parsed.der).substr(0, std::string_view{start}.size()), start);
    EXPECT_EQ(EVP_PKEY_is_a(parsed.key.get(), type), 1);
    EXPECT_EQ(EVP_PKEY_get_bits(parsed.key.get()), bits);
    EXPECT_EQ(group_name(parsed.key.get()), group);
    if (std::string_view{type} == "SM2") {
      EXPECT_EQ(OBJ_sn2nid(group_name(parsed.key.get()).c_str()), NID_sm2);
    }
    // It is the public half of the key the store holds.
    const auto secret = private_key(id);
    ASSERT_TRUE(secret);
    EXPECT_EQ(EVP_PKEY_eq(parsed.key.get(), secret.get()), 1);
  }
  // Two keys of one spec have different public keys (the twin of the check above).
  EXPECT_NE(public_key(sm2_sign()).der, public_key(sm2_encrypt()).der);
  EXPECT_EQ(EVP_PKEY_eq(public_key(rsa_sign()).key.get(), private_key(rsa_encrypt()).get()), 0);
}

// ---- round trips: signatures ----------------------------------------------------------------

TEST_F(AsymmetricJsonTest, SignaturesVerifyHereAndWithOpenSsl) {
  const std::vector<std::pair<std::string, std::string_view>> pairs = {
      {rsa_sign(), "RSASSA_PSS_SHA_256"},
      {rsa_sign(), "RSASSA_PSS_SHA_384"},
      {rsa_sign(), "RSASSA_PSS_SHA_512"},
      {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_256"},
      {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_384"},
      {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_512"},
      {ec256(), "ECDSA_SHA_256"},
      {ec384(), "ECDSA_SHA_384"},
      {sm2_sign(), "SM2DSA_SM3"},
  };
  const bytes message = of("The quick brown fox jumps over the lazy dog, signed by a KMS key.");
  for (const auto& [id, name] : pairs) {
    SCOPED_TRACE(std::string{name});
    const auto& row = algorithm(name);
    const auto key = public_key(id);
    ASSERT_TRUE(key.key);
    const bytes hash = digest(row.md(), message);
    ASSERT_EQ(hash.size(), row.hash_size);
    // DIGEST
    const bytes by_digest = signature_of(sign_body(id, name, hash));
    ASSERT_FALSE(by_digest.empty());
    if (row.kind == scheme::pss || row.kind == scheme::pkcs1) {
      EXPECT_EQ(by_digest.size(), 256U);  // the modulus length
    } else {
      const auto parts = der_sequence(by_digest);  // SEQUENCE { INTEGER r, INTEGER s }
      ASSERT_EQ(parts.size(), 2U);
      EXPECT_EQ(parts[0].first, 0x02);
      EXPECT_EQ(parts[1].first, 0x02);
    }
    EXPECT_EQ(verdict(verify_body(id, name, hash, by_digest)), "true");
    EXPECT_EQ(verdict(verify_body(id, name, hash, by_digest, "DIGEST")), "true");
    EXPECT_EQ(openssl_verify_digest(key.key.get(), row, hash, by_digest), 1);
    // Tampered digest or signature: "false" here, and OpenSSL agrees.
    bytes other_hash = hash;
    other_hash[0] ^= 0x01;
    EXPECT_EQ(verdict(verify_body(id, name, other_hash, by_digest)), "false");
    EXPECT_EQ(openssl_verify_digest(key.key.get(), row, other_hash, by_digest), 0);
    bytes other_signature = by_digest;
    other_signature[other_signature.size() / 2] ^= 0x10;
    EXPECT_EQ(verdict(verify_body(id, name, hash, other_signature)), "false");
    EXPECT_NE(openssl_verify_digest(key.key.get(), row, hash, other_signature), 1);
    if (row.kind == scheme::sm2) continue;  // SM2 signs digests only
    // RAW: the service hashes with the algorithm's hash.
    const bytes raw_signature = signature_of(sign_body(id, name, message, "RAW"));
    EXPECT_EQ(verdict(verify_body(id, name, message, raw_signature, "RAW")), "true");
    EXPECT_EQ(openssl_verify_message(key.key.get(), row, message, raw_signature), 1);
    EXPECT_EQ(openssl_verify_digest(key.key.get(), row, hash, raw_signature), 1);
    bytes tampered = message;
    tampered.back() ^= 0x01;
    EXPECT_EQ(verdict(verify_body(id, name, tampered, raw_signature, "RAW")), "false");
    EXPECT_EQ(openssl_verify_message(key.key.get(), row, tampered, raw_signature), 0);
  }
}

TEST_F(AsymmetricJsonTest, RsaPssUsesMgf1OfTheSameHashAndASaltOfTheHashLength) {
  const auto key = public_key(rsa_sign());
  const bytes message = of("salt length");
  for (const std::string_view name :
       {"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"}) {
    const auto& row = algorithm(name);
    const bytes hash = digest(row.md(), message);
    const bytes signature = signature_of(sign_body(rsa_sign(), name, hash));
    EXPECT_EQ(openssl_verify_digest(key.key.get(), row, hash, signature), 1) << name;
    // A salt length other than the hash's, or MGF1 over SHA-1: OpenSSL refuses.
    const pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_pkey(nullptr, key.key.get(), nullptr)};
    ASSERT_EQ(EVP_PKEY_verify_init(ctx.get()), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_signature_md(ctx.get(), row.md()), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), row.md()), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), 20), 1);
    EXPECT_NE(
        EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), hash.data(), hash.size()), 1)
        << name;
    const pkey_ctx_ptr sha1{EVP_PKEY_CTX_new_from_pkey(nullptr, key.key.get(), nullptr)};
    ASSERT_EQ(EVP_PKEY_verify_init(sha1.get()), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_signature_md(sha1.get(), row.md()), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(sha1.get(), RSA_PKCS1_PSS_PADDING), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(sha1.get(), EVP_sha1()), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(sha1.get(), static_cast<int>(row.hash_size)), 1);
    EXPECT_NE(
        EVP_PKEY_verify(sha1.get(), signature.data(), signature.size(), hash.data(), hash.size()),
        1)
        << name;
    // PSS is randomised: two signatures differ (PKCS#1 v1.5 is not: see RawAndDigest...).
    EXPECT_NE(signature_of(sign_body(rsa_sign(), name, hash)), signature) << name;
  }
}

TEST_F(AsymmetricJsonTest, Sm2SignsTheDigestOfZAndTheMessageWithTheDefaultId) {
  const auto id = sm2_sign();
  const auto key = public_key(id);
  ASSERT_TRUE(key.key);
  const bytes message = of("message digest");
  bytes z_and_message = sm2_z(key.der, sm2_default_id);
  z_and_message.insert(z_and_message.end(), message.begin(), message.end());
  const bytes e = digest(EVP_sm3(), z_and_message);
  const bytes signature = signature_of(sign_body(id, "SM2DSA_SM3", e));
  EXPECT_EQ(verdict(verify_body(id, "SM2DSA_SM3", e, signature)), "true");
  // OpenSSL computes Z itself from the ID and verifies over the message.
  const auto& row = algorithm("SM2DSA_SM3");
  EXPECT_EQ(openssl_verify_message(key.key.get(), row, message, signature), 1);
  EXPECT_EQ(openssl_verify_message(key.key.get(), row, message, signature, "1234567812345679"), 0);
  EXPECT_EQ(openssl_verify_digest(key.key.get(), row, e, signature), 1);
  // SM3(M) alone is another digest: it verifies only for what it was signed over.
  const bytes plain_hash = digest(EVP_sm3(), message);
  EXPECT_EQ(verdict(verify_body(id, "SM2DSA_SM3", plain_hash, signature)), "false");
  // Another SM2 key's verdict on the same signature.
  const auto second = new_key("SM2", "SIGN_VERIFY");
  EXPECT_EQ(verdict(verify_body(second, "SM2DSA_SM3", e, signature)), "false");
}

TEST_F(AsymmetricJsonTest, RawAndDigestAreEquivalent) {
  const bytes message = pattern(1000, 5);
  const std::vector<std::pair<std::string, std::string_view>> pairs = {
      {ec256(), "ECDSA_SHA_256"},
      {ec384(), "ECDSA_SHA_384"},
      {rsa_sign(), "RSASSA_PSS_SHA_256"},
      {rsa_sign(), "RSASSA_PSS_SHA_512"},
      {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_256"},
      {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_384"},
  };
  for (const auto& [id, name] : pairs) {
    SCOPED_TRACE(std::string{name});
    const auto& row = algorithm(name);
    const bytes hash = digest(row.md(), message);
    const bytes raw_signature = signature_of(sign_body(id, name, message, "RAW"));
    EXPECT_EQ(verdict(verify_body(id, name, hash, raw_signature, "DIGEST")), "true");
    const bytes digest_signature = signature_of(sign_body(id, name, hash, "DIGEST"));
    EXPECT_EQ(verdict(verify_body(id, name, message, digest_signature, "RAW")), "true");
    if (row.kind == scheme::pkcs1) {
      EXPECT_EQ(raw_signature, digest_signature);  // deterministic: the very same bytes
    }
    // The twin: the digest of another message.
    bytes longer = message;
    longer.push_back(0);
    EXPECT_EQ(verdict(verify_body(id, name, digest(row.md(), longer), raw_signature, "DIGEST")),
              "false");
  }
  // SHA-256 of M for ECDSA_SHA_256, as the brief's simplest case (computed here, by OpenSSL).
  const bytes hash = digest(EVP_sha256(), message);
  const bytes signature = signature_of(sign_body(ec256(), "ECDSA_SHA_256", message, "RAW"));
  EXPECT_EQ(verdict(verify_body(ec256(), "ECDSA_SHA_256", hash, signature)), "true");
}

TEST_F(AsymmetricJsonTest, VerifyAnswersFalseForSignaturesThatDoNotVerify) {
  const bytes hash256 = pattern(32, 9);
  const bytes hash384 = pattern(48, 9);
  struct row {
    std::string key_id;
    std::string_view algorithm_name;
    bytes hash;
  };
  const std::vector<row> rows = {
      {ec256(), "ECDSA_SHA_256", hash256},
      {ec384(), "ECDSA_SHA_384", hash384},
      {rsa_sign(), "RSASSA_PSS_SHA_256", hash256},
      {rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_256", hash256},
      {sm2_sign(), "SM2DSA_SM3", hash256},
  };
  for (const auto& [id, name, hash] : rows) {
    SCOPED_TRACE(std::string{name});
    const bytes good = signature_of(sign_body(id, name, hash));
    EXPECT_EQ(verdict(verify_body(id, name, hash, good)), "true");
    bytes appended = good;
    appended.push_back(0);
    bytes prefixed{0};
    prefixed.insert(prefixed.end(), good.begin(), good.end());
    for (const auto& bad :
         {bytes{}, bytes{0x30}, bytes{0x30, 0x00}, bytes(1024, 0xFF),
          bytes(good.begin(), good.end() - 1), appended, prefixed, bytes(256, 0)}) {
      EXPECT_EQ(verdict(verify_body(id, name, hash, bad)), "false") << bad.size() << " bytes";
    }
  }
  // A PKCS#1 v1.5 signature is no PSS signature, and the other way round.
  const bytes pkcs1 = signature_of(sign_body(rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_256", hash256));
  EXPECT_EQ(verdict(verify_body(rsa_sign(), "RSASSA_PSS_SHA_256", hash256, pkcs1)), "false");
  const bytes pss = signature_of(sign_body(rsa_sign(), "RSASSA_PSS_SHA_256", hash256));
  EXPECT_EQ(verdict(verify_body(rsa_sign(), "RSASSA_PKCS1_V1_5_SHA_256", hash256, pss)), "false");
  // Another key of the same spec.
  const bytes ecdsa = signature_of(sign_body(ec256(), "ECDSA_SHA_256", hash256));
  EXPECT_EQ(
      verdict(verify_body(new_key("EC_P256", "SIGN_VERIFY"), "ECDSA_SHA_256", hash256, ecdsa)),
      "false");
}

// ---- round trips: encrypt-data / decrypt-data -------------------------------------------------

TEST_F(AsymmetricJsonTest, SymmetricRoundTripsAndTheBlobsFraming) {
  const json context = {{"purpose", "round trip"}, {"n", "1"}};
  for (const auto& [spec, version] : {std::pair{"AES_256", 20U}, std::pair{"SM4", 21U}}) {
    const auto id = key(spec, "ENCRYPT_DECRYPT");
    for (const std::size_t size : {std::size_t{1}, std::size_t{17}, std::size_t{4096}}) {
      SCOPED_TRACE(std::string{spec} + " " + std::to_string(size));
      std::string plain(size, ' ');
      for (std::size_t i = 0; i < size; ++i) plain[i] = static_cast<char>('!' + i % 90);
      const auto cipher = encrypt(with(encrypt_body(id, plain), "encryption_context", context));
      const auto blob = unb64(cipher);
      ASSERT_TRUE(blob.has_value()) << cipher;
      // docs/envelope.md: 124 + n bytes; version, length = T - 36, key_id, key_version 0.
      ASSERT_EQ(blob->size(), 124U + size);
      EXPECT_EQ(cipher.size(), 4 * ((124 + size + 2) / 3));
      EXPECT_EQ(le16(*blob, 0), version);
      EXPECT_EQ(le16(*blob, 2), blob->size() - 36);
      EXPECT_EQ(std::string(blob->end() - 72, blob->end() - 36), id);
      EXPECT_EQ(le32(*blob, blob->size() - 36), 0U);
      // The plaintext is not in the blob (long enough not to occur there by chance).
      if (size >= 16) {
        EXPECT_EQ(std::search(blob->begin(), blob->end(), plain.begin(), plain.end()), blob->end());
      }
      const auto r =
          call("decrypt-data", with(decrypt_body(cipher), "encryption_context", context));
      ASSERT_EQ(r.status, 200) << r.text;
      EXPECT_EQ(r.body.size(), 3U);
      EXPECT_EQ(r.body.at("key_id"), id);
      EXPECT_EQ(r.body.at("plain_text"), plain);
      EXPECT_EQ(unb64(r.body.at("plain_text_base64").get<std::string>()), of(plain));
      // A fresh salt each time.
      EXPECT_NE(encrypt(with(encrypt_body(id, plain), "encryption_context", context)), cipher);
    }
  }
}

TEST_F(AsymmetricJsonTest, PlainTextComesBackExactly) {
  const std::vector<std::string> texts = {
      "\xE4\xB8\xAD\xE6\x96\x87\"\\\n\x01",  // 中文"\ newline U+0001
      "\t\r\b\f/</script>\x7F",
      std::string{"nul\0inside", 10},
      "emoji \xF0\x9F\x98\x80 and U+2028 \xE2\x80\xA8 U+FFFD \xEF\xBF\xBD",
      "\x1F",
      " ",
  };
  struct target {
    std::string key_id;
    const char* algorithm_name;
  };
  const std::vector<target> targets = {{aes(), nullptr},
                                       {sm4(), nullptr},
                                       {rsa_encrypt(), "RSAES_OAEP_SHA_256"},
                                       {sm2_encrypt(), "SM2_ENCRYPT"}};
  for (const auto& [id, name] : targets) {
    for (const auto& text : texts) {
      const auto cipher = encrypt(encrypt_body(id, text, name));
      const auto r = call("decrypt-data", decrypt_body(cipher, name, name == nullptr ? "" : id));
      ASSERT_EQ(r.status, 200) << r.text;
      EXPECT_EQ(r.body.at("plain_text").get<std::string>(), text) << r.text;
      EXPECT_EQ(unb64(r.body.at("plain_text_base64").get<std::string>()), of(text)) << r.text;
      EXPECT_EQ(r.body.at("key_id"), id);
    }
  }
}

TEST_F(AsymmetricJsonTest, RsaOaepRoundTripsBothWays) {
  const auto id = rsa_encrypt();
  const auto key = public_key(id);
  const auto secret = private_key(id);
  ASSERT_TRUE(key.key && secret);
  // The service encrypts, OpenSSL decrypts: OAEP with SHA-256 and MGF1-SHA-256, empty label.
  const std::string plain = "attack at dawn";
  const auto cipher = *unb64(encrypt(encrypt_body(id, plain, "RSAES_OAEP_SHA_256")));
  EXPECT_EQ(cipher.size(), 256U);
  EXPECT_EQ(openssl_decrypt(secret.get(), cipher, EVP_sha256(), EVP_sha256()), of(plain));
  EXPECT_FALSE(openssl_decrypt(secret.get(), cipher, EVP_sha256(), EVP_sha1()).has_value());
  EXPECT_FALSE(openssl_decrypt(secret.get(), cipher, EVP_sha1(), EVP_sha1()).has_value());
  // OpenSSL encrypts to the PEM's key, the service decrypts.
  for (const std::size_t size : {std::size_t{1}, std::size_t{190}}) {
    const bytes message = pattern(size, 65);
    const auto made = openssl_encrypt(key.key.get(), message, EVP_sha256(), EVP_sha256());
    const auto r = call("decrypt-data", decrypt_body(b64(made), "RSAES_OAEP_SHA_256", id));
    ASSERT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(unb64(r.body.at("plain_text_base64").get<std::string>()), message);
  }
  // MGF1 over SHA-1 (Java's default for "OAEPWithSHA-256AndMGF1Padding"): not this algorithm.
  const auto sha1_mgf = openssl_encrypt(key.key.get(), of(plain), EVP_sha256(), EVP_sha1());
  EXPECT_EQ(decrypt(decrypt_body(b64(sha1_mgf), "RSAES_OAEP_SHA_256", id)), "KMS.0311");
  // Bytes that are not UTF-8: plain_text with U+FFFD for each bad byte, the Base64 exact.
  const bytes binary{'a', 0xFF, 'b', 0x00, 0xC3};
  const auto made = openssl_encrypt(key.key.get(), binary, EVP_sha256(), EVP_sha256());
  const auto r = call("decrypt-data", decrypt_body(b64(made), "RSAES_OAEP_SHA_256", id));
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body.at("plain_text").get<std::string>(), std::string("a\xEF\xBF\xBD"
                                                                    "b\0\xEF\xBF\xBD",
                                                                    9));
  EXPECT_EQ(unb64(r.body.at("plain_text_base64").get<std::string>()), binary);
  // OAEP is randomised.
  EXPECT_NE(encrypt(encrypt_body(id, plain, "RSAES_OAEP_SHA_256")),
            encrypt(encrypt_body(id, plain, "RSAES_OAEP_SHA_256")));
}

TEST_F(AsymmetricJsonTest, Sm2EncryptionRoundTripsBothWays) {
  const auto id = sm2_encrypt();
  const auto key = public_key(id);
  const auto secret = private_key(id);
  ASSERT_TRUE(key.key && secret);
  ASSERT_EQ(EVP_PKEY_is_a(secret.get(), "SM2"), 1);
  const std::string plain = "hello sm2 \xE4\xB8\xAD";
  const auto cipher = *unb64(encrypt(encrypt_body(id, plain, "SM2_ENCRYPT")));
  // GM/T 0009: SEQUENCE { INTEGER x, INTEGER y, OCTET STRING C3 (32), OCTET STRING C2 (n) }.
  const auto parts = der_sequence(cipher);
  ASSERT_EQ(parts.size(), 4U);
  EXPECT_EQ(parts[0].first, 0x02);
  EXPECT_EQ(parts[1].first, 0x02);
  EXPECT_EQ(parts[2].first, 0x04);
  EXPECT_EQ(parts[2].second.size(), 32U);
  EXPECT_EQ(parts[3].first, 0x04);
  EXPECT_EQ(parts[3].second.size(), plain.size());
  EXPECT_EQ(openssl_decrypt(secret.get(), cipher), of(plain));
  // OpenSSL encrypts to the PEM's key, the service decrypts.
  for (const std::size_t size : {std::size_t{1}, std::size_t{4096}}) {
    const bytes message = pattern(size, 3);
    const auto made = openssl_encrypt(key.key.get(), message);
    const auto r = call("decrypt-data", decrypt_body(b64(made), "SM2_ENCRYPT", id));
    ASSERT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(unb64(r.body.at("plain_text_base64").get<std::string>()), message);
    bytes tampered = made;
    tampered.back() ^= 0x01;
    EXPECT_EQ(decrypt(decrypt_body(b64(tampered), "SM2_ENCRYPT", id)), "KMS.2201");
  }
  // The other SM2 key cannot open it.
  const auto made = openssl_encrypt(key.key.get(), of(plain));
  EXPECT_EQ(decrypt(decrypt_body(b64(made), "SM2_ENCRYPT", new_key("SM2", "ENCRYPT_DECRYPT"))),
            "KMS.2201");
}

TEST_F(AsymmetricJsonTest, Rsa4096OneKey) {
  const auto id = new_key("RSA_4096", "ENCRYPT_DECRYPT");
  const auto key = public_key(id);
  ASSERT_TRUE(key.key);
  EXPECT_EQ(EVP_PKEY_is_a(key.key.get(), "RSA"), 1);
  EXPECT_EQ(EVP_PKEY_get_bits(key.key.get()), 4096);
  EXPECT_EQ(code("encrypt-data", encrypt_body(id, std::string(447, 'x'), "RSAES_OAEP_SHA_256")),
            "KMS.2108");
  const std::string plain(446, 'x');
  const auto cipher = encrypt(encrypt_body(id, plain, "RSAES_OAEP_SHA_256"));
  EXPECT_EQ(unb64(cipher)->size(), 512U);
  EXPECT_EQ(decrypt(decrypt_body(cipher, "RSAES_OAEP_SHA_256", id)), plain);
  const auto made = openssl_encrypt(key.key.get(), of("from openssl"), EVP_sha256(), EVP_sha256());
  EXPECT_EQ(decrypt(decrypt_body(b64(made), "RSAES_OAEP_SHA_256", id)), "from openssl");
}

// RSA_3072: OAEP takes 384 - 66 = 318 bytes, not 319.
TEST_F(AsymmetricJsonTest, Rsa3072PlaintextLimit) {
  const auto id = new_key("RSA_3072", "ENCRYPT_DECRYPT");
  EXPECT_EQ(code("encrypt-data", encrypt_body(id, std::string(319, 'x'), "RSAES_OAEP_SHA_256")),
            "KMS.2108");
  const std::string plain(318, 'x');
  const auto cipher = encrypt(encrypt_body(id, plain, "RSAES_OAEP_SHA_256"));
  EXPECT_EQ(unb64(cipher)->size(), 384U);
  EXPECT_EQ(decrypt(decrypt_body(cipher, "RSAES_OAEP_SHA_256", id)), plain);
}

// decrypt-data without encryption_algorithm reads cipher_text as a symmetric blob (spec §6), so
// an RSA key_id with the default algorithm is a key_id that does not match the blob: KMS.2201,
// before the key is looked at (§0.3's KMS.2106 is encrypt-data's row for that pairing).
TEST_F(AsymmetricJsonTest, DecryptDataWithAnRsaKeyAndTheDefaultAlgorithm) {
  const auto rsa = rsa_encrypt();
  const auto rsa_cipher = encrypt(encrypt_body(rsa, "text", "RSAES_OAEP_SHA_256"));
  EXPECT_EQ(decrypt(decrypt_body(rsa_cipher, nullptr, rsa)), "KMS.2201");
  const auto aes_cipher = encrypt(encrypt_body(aes(), "text"));
  EXPECT_EQ(decrypt(decrypt_body(aes_cipher, nullptr, rsa)), "KMS.2201");
  EXPECT_EQ(decrypt(decrypt_body(aes_cipher, "RSAES_OAEP_SHA_256", rsa)), "KMS.0311");
}

// ---- domain separation (envelope.md: both refusals) -----------------------------------------

TEST_F(AsymmetricJsonTest, DataKeyEnvelopesDoNotOpenThroughDecryptData) {
  for (const auto& [spec, data_version] : {std::pair{"AES_256", 20}, std::pair{"SM4", 21}}) {
    SCOPED_TRACE(spec);
    const auto id = key(spec, "ENCRYPT_DECRYPT");
    const auto made = call("create-datakey", {{"key_id", id}, {"datakey_length", "256"}});
    ASSERT_EQ(made.status, 200) << made.text;
    const auto hex = made.body.at("cipher_text").get<std::string>();
    const auto envelope = kmscore_test::unhex(hex);
    // The twin: it opens where it belongs.
    EXPECT_EQ(code("decrypt-datakey",
                   {{"key_id", id}, {"cipher_text", hex}, {"datakey_cipher_length", "32"}}),
              "200");
    EXPECT_EQ(decrypt(decrypt_body(b64(envelope))), "KMS.2201");
    EXPECT_EQ(decrypt(decrypt_body(b64(envelope), nullptr, id)), "KMS.2201");
    // Relabelled as an encrypt-data blob: the labels differ, so the tag fails.
    bytes relabelled = envelope;
    relabelled[0] = static_cast<byte>(data_version);
    relabelled[1] = 0;
    EXPECT_EQ(decrypt(decrypt_body(b64(relabelled))), "KMS.2201");
  }
}

TEST_F(AsymmetricJsonTest, EncryptDataBlobsDoNotOpenThroughTheDataKeyActions) {
  for (const auto& [spec, data_key_versions] : {std::pair{"AES_256", std::vector<int>{16, 18}},
                                                std::pair{"SM4", std::vector<int>{17, 19}}}) {
    SCOPED_TRACE(spec);
    const auto id = key(spec, "ENCRYPT_DECRYPT");
    const std::string plain(32, 'k');  // a data key's length
    const auto cipher = encrypt(encrypt_body(id, plain));
    const auto blob = *unb64(cipher);
    EXPECT_EQ(decrypt(decrypt_body(cipher)), plain);  // the twin
    auto datakey_body = [&](const bytes& envelope) {
      return json{
          {"key_id", id}, {"cipher_text", hex_upper(envelope)}, {"datakey_cipher_length", "32"}};
    };
    EXPECT_EQ(code("decrypt-datakey", datakey_body(blob)), "KMS.2201");
    EXPECT_EQ(code("re-encrypt-datakey", datakey_body(blob)), "KMS.2201");
    // Relabelled as a data-key envelope: it parses, but the tag fails (KMS.2203).
    for (const int version : data_key_versions) {
      bytes relabelled = blob;
      relabelled[0] = static_cast<byte>(version);
      relabelled[1] = 0;
      EXPECT_EQ(code("decrypt-datakey", datakey_body(relabelled)), "KMS.2203") << version;
      EXPECT_EQ(code("re-encrypt-datakey", datakey_body(relabelled)), "KMS.2203") << version;
    }
  }
}

// ---- rotation (api-rotation.md section 2.1 applies to encrypt-data) -------------------------

TEST_F(AsymmetricJsonTest, RotationAndTheMinimumDecryptionVersionApply) {
  for (const char* spec : {"AES_256", "SM4"}) {
    SCOPED_TRACE(spec);
    const auto id = new_key(spec, "ENCRYPT_DECRYPT");
    const auto old_cipher = encrypt(encrypt_body(id, "version zero"));
    const auto rotated = call("rotate-key", {{"key_id", id}});
    ASSERT_EQ(rotated.status, 200) << rotated.text;
    const auto new_cipher = encrypt(encrypt_body(id, "version one"));
    const auto old_blob = *unb64(old_cipher);
    const auto new_blob = *unb64(new_cipher);
    EXPECT_EQ(le32(old_blob, old_blob.size() - 36), 0U);
    EXPECT_EQ(le32(new_blob, new_blob.size() - 36), 1U);
    EXPECT_EQ(decrypt(decrypt_body(old_cipher)), "version zero");
    EXPECT_EQ(decrypt(decrypt_body(new_cipher)), "version one");
    // The version number is authenticated: the old blob relabelled as version 1 fails.
    bytes relabelled = old_blob;
    relabelled[old_blob.size() - 36] = 1;
    EXPECT_EQ(decrypt(decrypt_body(b64(relabelled))), "KMS.2201");
    ASSERT_EQ(
        code("update-key-min-decryption-version", {{"key_id", id}, {"min_decryption_version", 1}}),
        "200");
    EXPECT_EQ(decrypt(decrypt_body(old_cipher)), "KMS.2210");
    EXPECT_EQ(decrypt(decrypt_body(new_cipher)), "version one");
    ASSERT_EQ(
        code("update-key-min-decryption-version", {{"key_id", id}, {"min_decryption_version", 0}}),
        "200");
    EXPECT_EQ(decrypt(decrypt_body(old_cipher)), "version zero");
  }
}

// ---- the error bodies of section 8 ----------------------------------------------------------

TEST_F(AsymmetricJsonTest, ErrorBodiesCarryTheDocumentedStatusAndMessage) {
  const auto disabled = new_key("EC_P256", "SIGN_VERIFY");
  ASSERT_EQ(code("disable-key", {{"key_id", disabled}}), "200");
  const auto scheduled = new_key("EC_P256", "SIGN_VERIFY");
  ASSERT_EQ(code("schedule-key-deletion", {{"key_id", scheduled}, {"pending_days", "7"}}), "200");
  const auto rsa_cipher = *unb64(encrypt(encrypt_body(rsa_encrypt(), "x", "RSAES_OAEP_SHA_256")));
  bytes tampered = rsa_cipher;
  tampered[0] ^= 0x01;
  struct row {
    std::string action;
    json body;
    int status;
    const char* code_string;
    const char* message;
  };
  const std::vector<row> rows = {
      {"get-publickey", json::object(), 400, "KMS.0204",
       "Parameters missing in the request message."},
      {"get-publickey", {{"key_id", "x"}}, 400, "KMS.0205", "Invalid key ID."},
      {"get-publickey",
       {{"key_id", ec256()}, {"sequence", "x"}},
       400,
       "KMS.0206",
       "Invalid sequence number."},
      {"get-publickey", {{"key_id", absent_key}}, 404, "KMS.0207", "The key does not exist."},
      {"encrypt-data", with(encrypt_body(aes(), "x"), "encryption_context", "x"), 400, "KMS.0208",
       "Invalid value of value encryption_context."},
      {"get-publickey", {{"key_id", disabled}}, 400, "KMS.0209", "The key has been disabled."},
      {"get-publickey",
       {{"key_id", scheduled}},
       400,
       "KMS.0210",
       "The key is in Scheduled deletion state and cannot be used."},
      {"get-publickey",
       {{"key_id", new_key("AES_256", "ENCRYPT_DECRYPT", "external")}},
       400,
       "KMS.1301",
       "The key is not enabled."},
      {"sign", with(sign_body(ec256(), "ECDSA_SHA_256", pattern(32)), "message", "!"), 400,
       "KMS.0308", "Invalid message."},
      {"decrypt-data", decrypt_body(b64(tampered), "RSAES_OAEP_SHA_256", rsa_encrypt()), 400,
       "KMS.0311", "Failed to decrypt data using the RSA private key."},
      {"sign", sign_body(ec256(), "ECDSA_SHA_256", pattern(31)), 400, "KMS.0329",
       "Hash algorithm does not match the digest length."},
      {"get-publickey",
       {{"key_id", aes()}},
       400,
       "KMS.0331",
       "The symmetric key is not support this operation."},
      {"sign", sign_body(ec256(), "ECDSA_SHA_384", pattern(48)), 400, "KMS.0332",
       "This key is not support the signing algorithm."},
      {"sign", sign_body(rsa_encrypt(), "RSASSA_PSS_SHA_256", pattern(32)), 400, "KMS.0334",
       "The cmk is used to encrypt and decrypt."},
      {"encrypt-data", encrypt_body(rsa_sign(), "x", "RSAES_OAEP_SHA_256"), 400, "KMS.0335",
       "The cmk is used to sign and verify."},
      {"encrypt-data", encrypt_body(ec256(), "x"), 400, "KMS.1114",
       "EC keys do not support to encrypt/decrypt."},
      {"sign", sign_body(aes(), "ECDSA_SHA_256", pattern(32)), 400, "KMS.1115",
       "Symmetric keys do not support to sign/verify."},
      {"gen-random",
       {{"random_data_length", "0"}},
       400,
       "KMS.1801",
       "random_data_length must be 512 bits."},
      {"gen-random",
       {{"random_data_length", "9"}},
       400,
       "KMS.1802",
       "random_data_length must be a multiple of 8."},
      {"encrypt-data", encrypt_body(aes(), ""), 400, "KMS.2101", "Invalid plain_text."},
      {"encrypt-data", encrypt_body(aes(), "x", "SM2_ENCRYPT"), 400, "KMS.2105",
       "The symmetric key not support this encryption algorithm."},
      {"encrypt-data", encrypt_body(rsa_encrypt(), "x"), 400, "KMS.2106",
       "The rsa key not support this encryption algorithm."},
      {"encrypt-data", encrypt_body(rsa_encrypt(), std::string(191, 'x'), "RSAES_OAEP_SHA_256"),
       400, "KMS.2108", "The rsa encryption plain_text is over length."},
      {"decrypt-data", decrypt_body("!"), 400, "KMS.2201", "Invalid cipher_text."},
  };
  for (const auto& [action, body, status, code_string, message] : rows) {
    const auto r = call(action, body);
    EXPECT_EQ(r.status, status) << code_string;
    EXPECT_EQ(r.text,
              json({{"error", {{"error_code", code_string}, {"error_msg", message}}}}).dump())
        << code_string;
  }
}

}  // namespace
