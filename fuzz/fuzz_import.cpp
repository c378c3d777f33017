// import-key-material's inputs (api-import-mac.md §3): the token, the encrypted material and
// the encrypted private key, against keys of origin external waiting for material, with the
// tool's backend. The first byte picks the surface:
//   0: the three fields from the input (split at 0x00 bytes, Base64-encoded) with the AES and
//      the EC key: never 200 (no input forges a token), never 500, the keys stay in state 5;
//   1: a valid token with the input as the encrypted material and private key: never 500,
//      never 200 for material that was not wrapped to the token's key;
//   2: a valid token changed by the input's (position, xor) pairs: always KMS.2605;
//   3: the private-key path itself: RFC 5649 unwrapping of the input under a fixed KEK, and
//      what it unwraps to (or else the input) as a PKCS#8 key for EC_P256, RSA_2048 and SM2:
//      a key that is taken is taken again, byte for byte, as it was re-encoded.
#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/openssl.hpp>
#include <kmscore/backend/sodium.hpp>
#include <kmscore/import.hpp>
#include <kmscore/json.hpp>

#include <array>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

namespace {
using backend_t = kmscore::backend::combined<
    kmscore::backend::combined<kmscore::backend::sodium, kmscore::backend::cryptopp>,
    kmscore::backend::openssl>;
using bytes = std::vector<kmscore::byte>;

kmscore::import_keys fixed_keys() {
  kmscore::import_keys keys;
  keys.token_key = kmscore::secret_bytes{bytes(32, 0x11)};
  keys.fingerprint_key = kmscore::secret_bytes{bytes(32, 0x22)};
  return keys;
}

struct fixture {
  backend_t backend;
  kmscore::memory_key_store store;
  kmscore::project tenant =
      *store.ensure_project(*kmscore::project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c"),
                            "b168fe00ff56492495a7d22974df2d0b");
  kmscore::import_keys keys = fixed_keys();
  kmscore::kms_service<backend_t> service{backend, store, tenant};
  std::string aes;
  std::string ec;
  std::string aes_token;  // RSAES_OAEP_SHA_256, for aes
  bytes aes_token_bytes;

  fixture() {
    service.set_import_keys(&keys);
    aes = create("AES_256");
    ec = create("EC_P256");
    const auto made = run("get-parameters-for-import",
                          {{"key_id", aes}, {"wrapping_algorithm", "RSAES_OAEP_SHA_256"}});
    FUZZ_CHECK(made.status == 200);
    aes_token = nlohmann::json::parse(made.text()).at("import_token").get<std::string>();
    const auto size = kmscore::base64_decoded_size(aes_token);
    FUZZ_CHECK(size.has_value());
    aes_token_bytes.resize(*size);
    FUZZ_CHECK(kmscore::base64_decode(aes_token, aes_token_bytes));
  }
  kmscore::http_response run(std::string_view action, const nlohmann::json& body) {
    return kmscore::handle_json(service, action, body.dump(), 1'700'000'000'000);
  }
  std::string create(const char* spec) {
    const auto made =
        run("create-key", {{"key_alias", spec}, {"key_spec", spec}, {"origin", "external"}});
    FUZZ_CHECK(made.status == 200);
    return nlohmann::json::parse(made.text()).at("key_info").at("key_id").get<std::string>();
  }
  std::string code(const kmscore::http_response& response) {
    const auto json = nlohmann::json::parse(response.text(), nullptr, false);
    FUZZ_CHECK(json.is_object());
    if (response.status == 200) return "200";
    return json.at("error").at("error_code").get<std::string>();
  }
  void still_pending() {
    for (const auto& id : {aes, ec}) {
      const auto described = run("describe-key", {{"key_id", id}});
      FUZZ_CHECK(nlohmann::json::parse(described.text()).at("key_info").at("key_state") == "5");
    }
  }
};

std::string b64(kmscore::byte_span in) { return kmscore::base64_encode(in); }

// The input's pieces between 0x00 bytes (at most three).
std::array<bytes, 3> split(kmscore::byte_span in) {
  std::array<bytes, 3> parts;
  std::size_t at = 0;
  for (const auto b : in) {
    if (b == 0 && at < 2) {
      ++at;
    } else {
      parts[at].push_back(b);
    }
  }
  return parts;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > fuzz_max_input) return 0;
  static fixture f;
  const kmscore::byte_span in{data + 1, size - 1};
  switch (data[0] % 4) {
    case 0: {
      const auto parts = split(in);
      for (const auto& id : {f.aes, f.ec}) {
        nlohmann::json body = {{"key_id", id},
                               {"import_token", b64(parts[0])},
                               {"encrypted_key_material", b64(parts[1])}};
        if (!parts[2].empty()) body["encrypted_privatekey"] = b64(parts[2]);
        const auto response = f.run("import-key-material", body);
        FUZZ_CHECK(response.status == 400);
      }
      f.still_pending();
      break;
    }
    case 1: {
      const auto parts = split(in);
      nlohmann::json body = {{"key_id", f.aes},
                             {"import_token", f.aes_token},
                             {"encrypted_key_material", b64(parts[0])}};
      if (!parts[1].empty()) body["encrypted_privatekey"] = b64(parts[1]);
      const auto response = f.run("import-key-material", body);
      FUZZ_CHECK(response.status == 400);
      f.still_pending();
      break;
    }
    case 2: {
      auto token = f.aes_token_bytes;
      for (std::size_t i = 0; i + 1 < in.size(); i += 2)
        token[static_cast<std::size_t>(in[i]) * 7U % token.size()] ^= in[i + 1];
      if (token == f.aes_token_bytes) break;
      const auto opened = kmscore::open_import_token(f.backend, f.keys, f.tenant.id, b64(token));
      FUZZ_CHECK(!opened && opened.error().code() == kmscore::errc::import_token_unverifiable);
      break;
    }
    default: {
      const std::array<kmscore::byte, 32> kek{7, 7, 7};
      const auto unwrapped = f.backend.unwrap_key(kek, in);
      FUZZ_CHECK(unwrapped || unwrapped.error().code() == kmscore::errc::decrypt_failed);
      const auto der = unwrapped ? unwrapped->expose() : in;  // what a client's wrap holds
      for (const auto spec :
           {kmscore::key_spec::ec_p256, kmscore::key_spec::rsa_2048, kmscore::key_spec::sm2}) {
        const auto taken = f.backend.import_key_pair(spec, der);
        if (!taken) {
          FUZZ_CHECK(taken.error().code() == kmscore::errc::decrypt_failed);
          continue;
        }
        const auto again = f.backend.import_key_pair(spec, taken->private_key.expose());
        FUZZ_CHECK(again && again->public_key == taken->public_key);
        const auto first = taken->private_key.expose();
        const auto second = again->private_key.expose();
        FUZZ_CHECK(std::equal(first.begin(), first.end(), second.begin(), second.end()));
      }
      break;
    }
  }
  return 0;
}
