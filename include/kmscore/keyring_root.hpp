// kmscore/keyring_root.hpp: the root key, wherever it is held, as the one thing it does: seal
// and open the store's keyring and its root key check.
//
//   kmscore::envelope_root<Backend> root{backend, master};   // a root key held in memory
//   auto check = kmscore::seal_root_check(root);              // the store keeps it
//   kmscore::open_root_check(root, *check);                   // KMS.0101 under another root
//
// A root key seals a few small payloads, each for one purpose ("keyring", "root-key-check"),
// and opens only what it sealed for that purpose. The core holds one implementation: a root key
// whose material is in memory (a root key file), sealing with the library's envelope (the
// formats stores made before keyrings already hold). A host adds others behind the same
// interface: a key inside a PKCS#11 token seals with the token's own AES-GCM and never leaves
// it (host/root_key/). Only a root whose material is in memory can also have sealed records
// itself (stores made before keyrings): material() says which.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "envelope.hpp"
#include "key_record_codec.hpp"
#include "secret.hpp"

namespace kmscore {

inline constexpr std::string_view keyring_purpose = "keyring";
inline constexpr std::string_view root_check_purpose = "root-key-check";

class keyring_root {
 public:
  keyring_root() = default;
  keyring_root(const keyring_root&) = delete;
  keyring_root& operator=(const keyring_root&) = delete;
  keyring_root(keyring_root&&) = delete;
  keyring_root& operator=(keyring_root&&) = delete;
  virtual ~keyring_root() = default;

  // `payload` sealed for `purpose`; KMS.0101 if the root key cannot seal.
  [[nodiscard]] virtual result<std::vector<byte>> seal(byte_span payload,
                                                       std::string_view purpose) = 0;
  // What seal() made for the same purpose under this root key; KMS.0101 for anything else.
  [[nodiscard]] virtual result<secret_bytes> open(byte_span sealed, std::string_view purpose) = 0;
  // The root key's own material, when it is held in memory; nullptr for a key in a token.
  [[nodiscard]] virtual const master_key* material() const noexcept { return nullptr; }
};

// A root key held in memory: seals with the library's envelope under it, the payload's
// purpose as the encryption context {"purpose": PURPOSE}.
template <crypto_backend Backend>
class envelope_root final : public keyring_root {
 public:
  envelope_root(Backend& backend, master_key root) : backend_{&backend}, root_{std::move(root)} {}

  [[nodiscard]] result<std::vector<byte>> seal(byte_span payload,
                                               std::string_view purpose) override {
    if (payload.size() > max_envelope_payload) return errc::kms_error;
    KMSCORE_TRY_ASSIGN(const auto context,
                       encryption_context::make({{"purpose", std::string{purpose}}}));
    KMSCORE_TRY_ASSIGN(auto key, detail::root_envelope_key(*backend_, root_, nullptr));
    std::vector<byte> sealed(envelope_size(payload.size()));
    KMSCORE_TRY(key.seal(*backend_, payload, context, sealed));
    return sealed;
  }
  [[nodiscard]] result<secret_bytes> open(byte_span sealed, std::string_view purpose) override {
    const auto view = parse_envelope(sealed, max_envelope_payload);
    if (!view || view->key_id() != root_.key_id) return errc::kms_error;
    KMSCORE_TRY_ASSIGN(const auto context,
                       encryption_context::make({{"purpose", std::string{purpose}}}));
    KMSCORE_TRY_ASSIGN(auto key, detail::root_envelope_key(*backend_, root_, &*view));
    secret_bytes payload{view->datakey_bytes()};
    if (!key.open(*backend_, *view, context, payload.expose())) return errc::kms_error;
    return payload;
  }
  [[nodiscard]] const master_key* material() const noexcept override { return &root_; }

 private:
  Backend* backend_;
  master_key root_;
};

// The store's root key check: a fixed text sealed under the root key, so that opening a store
// with another root key is a clear error before anything else is read.
[[nodiscard]] inline result<std::vector<byte>> seal_root_check(keyring_root& root) {
  return root.seal(as_bytes(detail::root_check_text), root_check_purpose);
}
[[nodiscard]] inline result<void> open_root_check(keyring_root& root, byte_span check) {
  KMSCORE_TRY_ASSIGN(const auto text, root.open(check, root_check_purpose));
  if (as_chars(text.expose()) != detail::root_check_text) return errc::kms_error;
  return {};
}

}  // namespace kmscore
