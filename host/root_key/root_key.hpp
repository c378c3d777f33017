// host/root_key/root_key.hpp: where a root key is held, named by a spec (shared spec cli.md,
// additions 2026-12-06), and the PKCS#11 root key.
//
//   std::string why;
//   auto spec = kmscore_host::parse_root_key_spec("pkcs11:token=kms;object=root", why);
//   auto root = kmscore_host::open_pkcs11_root(std::get<kmscore_host::pkcs11_uri>(*spec),
//                                              {module, pin_file}, random, why);
//   auto check = kmscore::seal_root_check(*root);   // AES-GCM inside the token
//
// Two kinds: `file:PATH`, a root key file (host/store/state.hpp loads and creates it), and
// `pkcs11:...`, an RFC 7512 URI naming an AES-256 secret key object in a PKCS#11 token. The
// token's key seals and opens the keyring with CKM_AES_GCM inside the token: kmscore never
// reads CKA_VALUE nor wraps the key out, and refuses, before anything else, a key that is
// extractable, not sensitive, not a 32-byte AES key, or not allowed to encrypt and decrypt. The
// user PIN comes from a file only (mode 0600 or 0400, owned by the user; one trailing newline
// is dropped); a pin-value or pin-source in the URI is refused. The token is used while the
// root key is open (at start, and by `root rotate`); the data paths never touch it.
//
// Sealed payload: "KR11" || 12-byte IV || AES-256-GCM(payload) || 16-byte tag, with the
// associated data "kmscore pkcs11 root v1" || 0x00 || purpose. The IV is random (from the
// random source given): a root key seals a handful of payloads in its life.
#pragma once

#include <kmscore/keyring_root.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kmscore_host {

using random_source = std::function<kmscore::result<void>(kmscore::mutable_byte_span)>;

// An RFC 7512 URI's attributes that name a secret key object; empty strings are not given.
struct pkcs11_uri {
  std::string token;              // the token's label
  std::string manufacturer;       // the token's manufacturerID
  std::string serial;             // the token's serialNumber
  std::string model;              // the token's model
  std::string object;             // the object's CKA_LABEL
  std::vector<unsigned char> id;  // the object's CKA_ID
  bool has_id = false;
  bool secret_key_type = false;  // type=secret-key: only secret keys are looked for
  std::string text;              // the URI as given
};
struct file_root_spec {
  std::string path;
};
using root_key_spec = std::variant<file_root_spec, pkcs11_uri>;

// `file:PATH` or `pkcs11:...`; nullopt with the reason in `why` for anything else (an unknown
// or repeated attribute, bad percent-encoding, a pin-value, no token or object attribute).
[[nodiscard]] std::optional<root_key_spec> parse_root_key_spec(std::string_view spec,
                                                               std::string& why);
// The spec as it is printed: `file:PATH`, or the URI as given.
[[nodiscard]] std::string root_key_spec_text(const root_key_spec& spec);

struct pkcs11_settings {
  std::string module;    // the PKCS#11 module (a shared library) to load
  std::string pin_file;  // the user PIN's file
};

// The key a URI names, opened through the module; nullptr with the reason in `why`.
[[nodiscard]] std::unique_ptr<kmscore::keyring_root> open_pkcs11_root(
    const pkcs11_uri& uri, const pkcs11_settings& settings, random_source random, std::string& why);

}  // namespace kmscore_host
