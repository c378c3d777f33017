// kmscore/keyring.hpp: the store's keyring, sealed under the root key, and the sealer that
// seals key records with it.
//
//   kmscore::root_key_sealer<Backend> sealer{backend, root};       // opens what root seals
//   auto sealed = sealer.new_keyring(service_secret, false);       // a new store's keyring
//   sealer.load_keyring(stored);                                   // from then on
//   auto audit_seed = sealer.service_key("kmscore audit signing key v1");
//
// The root key seals one small record, the keyring (shared spec cli.md, additions 2026-12-06):
// the sealing keys that seal key records (the newest seals, every one opens) and one random
// 32-byte service secret from which the store's other keys derive by HKDF-SHA-256 with a label
// of their own (the audit signing key, the backup MAC, import tokens). The root key is used
// only to open the keyring and to re-seal it. A sealed key record names the sealing key that
// sealed it: its envelope's key_id (key_record_codec.hpp).
//
// A store made before keyrings has records sealed under the root key itself. Its first
// keyring therefore holds the root key as its first sealing key (same id, same material): every
// record opens as before, nothing is re-sealed, and a later root rotation re-seals only the
// keyring. Until a keyring is loaded the sealer works as that first keyring would.
//
// Keyring payload (sealed as an envelope under the root key, context {"purpose": "keyring"}):
// a format byte (1), a 2-byte count of sealing keys, per key its 36-character key_id, a 2-byte
// material length and the material, then the 32-byte service secret.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/hkdf.hpp"
#include "key_record_codec.hpp"
#include "keyring_root.hpp"

namespace kmscore {

inline constexpr std::size_t service_secret_size = 32;
inline constexpr std::size_t service_key_size = 32;

namespace detail {
inline constexpr byte keyring_format = 1;
inline constexpr std::size_t max_keyring_keys = 1024;

[[nodiscard]] inline master_key copy_key(const master_key& key) {
  master_key copy;
  copy.key_id = key.key_id;
  copy.spec = key.spec;
  for (const auto& material : key.material_versions) {
    copy.material_versions.push_back(material.clone());
  }
  return copy;
}
}  // namespace detail

// What a keyring holds: the sealing keys (back(): the newest, which seals) and the secret.
struct keyring {
  std::vector<master_key> sealing_keys;
  secret_bytes service_secret;
};

// The keyring's payload, as sealed (the layout above).
[[nodiscard]] inline result<secret_bytes> encode_keyring(const keyring& ring) {
  if (ring.sealing_keys.empty() || ring.sealing_keys.size() > detail::max_keyring_keys ||
      ring.service_secret.size() != service_secret_size) {
    return errc::kms_error;
  }
  std::size_t size = 1 + 2 + service_secret_size;
  for (const auto& key : ring.sealing_keys) {
    if (key.material_versions.size() != 1) return errc::kms_error;
    size += key_id_size + 2 + key.material_versions[0].size();
  }
  if (size > max_envelope_payload) return errc::kms_error;
  secret_bytes payload{size};
  const auto out = payload.expose();
  std::size_t at = 0;
  out[at++] = detail::keyring_format;
  detail::store_u16(out, at, static_cast<std::uint16_t>(ring.sealing_keys.size()));
  at += 2;
  for (const auto& key : ring.sealing_keys) {
    for (const char c : key.key_id.view()) out[at++] = static_cast<byte>(c);
    const auto material = key.material_versions[0].expose();
    detail::store_u16(out, at, static_cast<std::uint16_t>(material.size()));
    at += 2;
    for (const byte b : material) out[at++] = b;
  }
  for (const byte b : ring.service_secret.expose()) out[at++] = b;
  return payload;
}

// The keyring a payload holds; KMS.0101 for anything that is not one.
[[nodiscard]] inline result<keyring> decode_keyring(byte_span in) {
  if (in.size() < 3 + service_secret_size || in[0] != detail::keyring_format) {
    return errc::kms_error;
  }
  const std::size_t count = detail::load_u16(in, 1);
  std::size_t at = 3;
  keyring ring;
  for (std::size_t i = 0; i < count; ++i) {
    if (in.size() - at < key_id_size + 2) return errc::kms_error;
    const auto id = key_id::parse(as_chars(in.subspan(at, key_id_size)));
    at += key_id_size;
    const std::size_t size = detail::load_u16(in, at);
    at += 2;
    if (!id || in.size() - at < size + service_secret_size) return errc::kms_error;
    master_key sealing;
    sealing.key_id = *id;
    sealing.material_versions.emplace_back(in.subspan(at, size));
    at += size;
    ring.sealing_keys.push_back(std::move(sealing));
  }
  if (count == 0 || in.size() - at != service_secret_size) return errc::kms_error;
  ring.service_secret = secret_bytes{in.subspan(at, service_secret_size)};
  return ring;
}

// The keyring sealed under a root key, and opened (KMS.0101 for another root key or any
// changed byte).
[[nodiscard]] inline result<std::vector<byte>> seal_keyring(keyring_root& root,
                                                            const keyring& ring) {
  KMSCORE_TRY_ASSIGN(const auto payload, encode_keyring(ring));
  return root.seal(payload.expose(), keyring_purpose);
}
[[nodiscard]] inline result<keyring> open_keyring(keyring_root& root, byte_span sealed) {
  KMSCORE_TRY_ASSIGN(const auto payload, root.open(sealed, keyring_purpose));
  return decode_keyring(payload.expose());
}
// The same under a root key held in memory.
template <crypto_backend Backend>
[[nodiscard]] result<std::vector<byte>> seal_keyring(Backend& backend, const master_key& root,
                                                     const keyring& ring) {
  envelope_root<Backend> holder{backend, detail::copy_key(root)};
  return seal_keyring(holder, ring);
}
template <crypto_backend Backend>
[[nodiscard]] result<keyring> open_keyring(Backend& backend, const master_key& root,
                                           byte_span sealed) {
  envelope_root<Backend> holder{backend, detail::copy_key(root)};
  return open_keyring(holder, sealed);
}

// A key derived from the service secret for one purpose, named by its label.
template <crypto_backend Backend>
[[nodiscard]] result<secret_bytes> derive_service_key(Backend& backend, const keyring& ring,
                                                      std::string_view label) {
  if (ring.service_secret.size() != service_secret_size) return errc::kms_error;
  std::array<byte, digest_size> prk{};
  const auto salt = as_bytes(std::string_view{"kmscore service secret v1"});
  KMSCORE_TRY(detail::hkdf_extract(backend, hash_id::sha256, salt, ring.service_secret.expose(),
                                   digest_out{prk}));
  secret_bytes out{service_key_size};
  const std::array<byte_span, 1> info{as_bytes(label)};
  const auto expanded = detail::hkdf_expand(backend, hash_id::sha256, prk, info, out.expose());
  detail::secure_wipe(prk.data(), prk.size());
  KMSCORE_TRY(expanded);
  return out;
}

// Seals records with the keyring's newest sealing key and opens them with the one they name;
// the root key (keyring_root.hpp) opens and seals the keyring and the store's root key check.
// A root key held in memory seals records itself until a keyring is loaded (as the first
// keyring of a store made before keyrings would); a root key in a token seals none.
template <crypto_backend Backend>
class root_key_sealer final : public record_sealer {
 public:
  root_key_sealer(Backend& backend, std::unique_ptr<keyring_root> root)
      : backend_{&backend}, root_{std::move(root)} {
    if (const auto* held = root_->material()) ring_.sealing_keys.push_back(detail::copy_key(*held));
  }
  root_key_sealer(Backend& backend, master_key root)
      : root_key_sealer{backend,
                        std::make_unique<envelope_root<Backend>>(backend, std::move(root))} {}

  [[nodiscard]] result<std::vector<byte>> seal(const key_record& record) override {
    const std::shared_lock lock{mutex_};
    if (ring_.sealing_keys.empty()) return errc::kms_error;
    return seal_key_record(*backend_, ring_.sealing_keys.back(), record);
  }
  // A record sealed by a key this keyring does not hold (one that `keyring rotate` added since
  // this process loaded the keyring) is opened once the key is learned from its link.
  [[nodiscard]] result<key_record> open(byte_span stored) override {
    KMSCORE_TRY_ASSIGN(const auto sealed_by, sealing_key_of(stored));
    {
      const std::shared_lock lock{mutex_};
      if (const auto* key = holding(sealed_by)) return open_key_record(*backend_, *key, stored);
    }
    KMSCORE_TRY(learn(sealed_by));
    const std::shared_lock lock{mutex_};
    const auto* key = holding(sealed_by);
    if (key == nullptr) return errc::kms_error;
    return open_key_record(*backend_, *key, stored);
  }
  [[nodiscard]] result<std::vector<byte>> seal_check() override {
    if (!root_) return errc::kms_error;
    return seal_root_check(*root_);
  }
  [[nodiscard]] result<void> open_check(byte_span check) override {
    if (!root_) return errc::kms_error;
    return open_root_check(*root_, check);
  }
  [[nodiscard]] result<std::vector<byte>> new_keyring(byte_span service_secret,
                                                      bool root_sealed_records) override {
    if (!root_) return errc::kms_error;
    keyring first;
    if (root_sealed_records) {  // a store made before keyrings: its records open unchanged
      const auto* held = root_->material();
      if (held == nullptr) return errc::kms_error;
      first.sealing_keys.push_back(detail::copy_key(*held));
    } else {
      KMSCORE_TRY_ASSIGN(auto fresh, new_sealing_key());
      first.sealing_keys.push_back(std::move(fresh));
    }
    first.service_secret = secret_bytes{service_secret};
    return seal_keyring(*root_, first);
  }
  [[nodiscard]] result<void> load_keyring(byte_span sealed) override {
    if (!root_) return errc::kms_error;
    KMSCORE_TRY_ASSIGN(auto opened, open_keyring(*root_, sealed));
    const std::unique_lock lock{mutex_};
    ring_ = std::move(opened);
    return {};
  }
  [[nodiscard]] bool keyring_holds(const key_id& id) const noexcept override {
    const std::shared_lock lock{mutex_};
    return holding(id) != nullptr;
  }
  [[nodiscard]] result<std::vector<byte>> sealed_keyring(keyring_root& under) override {
    const std::shared_lock lock{mutex_};
    if (ring_.service_secret.size() != service_secret_size) return errc::kms_error;
    return seal_keyring(under, ring_);
  }
  [[nodiscard]] std::size_t keyring_keys() const noexcept override {
    const std::shared_lock lock{mutex_};
    return ring_.sealing_keys.size();
  }
  [[nodiscard]] result<keyring_rotation> rotate_keyring() override {
    if (!root_) return errc::kms_error;
    KMSCORE_TRY_ASSIGN(auto fresh, new_sealing_key());
    const std::shared_lock lock{mutex_};
    if (ring_.sealing_keys.empty() || ring_.service_secret.size() != service_secret_size) {
      return errc::kms_error;
    }
    keyring_rotation out;
    out.key = fresh.key_id;
    // The link: the new key sealed under the newest one, for hosts that hold only that.
    envelope_root<Backend> newest{*backend_, detail::copy_key(ring_.sealing_keys.back())};
    KMSCORE_TRY_ASSIGN(
        out.link, newest.seal(fresh.material_versions[0].expose(), link_purpose(fresh.key_id)));
    keyring next;
    for (const auto& key : ring_.sealing_keys) next.sealing_keys.push_back(detail::copy_key(key));
    next.sealing_keys.push_back(std::move(fresh));
    next.service_secret = ring_.service_secret.clone();
    KMSCORE_TRY_ASSIGN(out.keyring, seal_keyring(*root_, next));
    return out;
  }
  void learn_links_from(key_link_source source) override { links_ = std::move(source); }
  void release_root() noexcept override { root_.reset(); }
  [[nodiscard]] result<secret_bytes> service_key(std::string_view label) override {
    const std::shared_lock lock{mutex_};
    return derive_service_key(*backend_, ring_, label);
  }

 private:
  [[nodiscard]] static std::string link_purpose(const key_id& id) {
    return "keyring key " + std::string{id.view()};
  }
  [[nodiscard]] const master_key* holding(const key_id& id) const noexcept {
    for (const auto& key : ring_.sealing_keys) {
      if (key.key_id == id) return &key;
    }
    return nullptr;
  }
  // The sealing key `id` from its link, and, first, any key that link is sealed under that
  // this keyring does not hold yet (a chain of rotations); KMS.0101 if there is none, a link
  // does not open, or the chain loops. The links are read and opened without blocking sealing;
  // the keys are added only if every one opened, and only to open records with: the key that
  // seals stays the one loaded (a link whose keyring never committed must not seal anything).
  [[nodiscard]] result<void> learn(const key_id& id) {
    if (!links_) return errc::kms_error;
    std::vector<std::pair<key_id, std::vector<byte>>> chain;  // newest first
    key_id wanted = id;
    const auto held = [&](const key_id& which) {
      const std::shared_lock lock{mutex_};
      return holding(which) != nullptr;
    };
    while (!held(wanted)) {
      const bool seen = std::any_of(chain.begin(), chain.end(),
                                    [&](const auto& link) { return link.first == wanted; });
      if (seen || chain.size() >= detail::max_keyring_keys) return errc::kms_error;
      KMSCORE_TRY_ASSIGN(auto link, links_(wanted));
      if (!link) return errc::kms_error;
      const auto view = parse_envelope(*link, max_envelope_payload);
      if (!view) return errc::kms_error;
      const auto sealed_by = view->key_id();
      chain.emplace_back(wanted, std::move(*link));
      wanted = sealed_by;
    }
    std::vector<master_key> learned;  // oldest first
    {
      const std::shared_lock lock{mutex_};
      for (auto at = chain.rbegin(); at != chain.rend(); ++at) {
        const auto view = parse_envelope(at->second, max_envelope_payload);
        if (!view) return errc::kms_error;
        const master_key* under = holding(view->key_id());
        for (const auto& key : learned) {
          if (key.key_id == view->key_id()) under = &key;
        }
        if (under == nullptr) return errc::kms_error;
        envelope_root<Backend> opener{*backend_, detail::copy_key(*under)};
        KMSCORE_TRY_ASSIGN(auto material, opener.open(at->second, link_purpose(at->first)));
        master_key key;
        key.key_id = at->first;
        key.material_versions.push_back(std::move(material));
        learned.push_back(std::move(key));
      }
    }
    const std::unique_lock lock{mutex_};
    for (auto& key : learned) {
      if (holding(key.key_id) == nullptr) {
        ring_.sealing_keys.insert(ring_.sealing_keys.begin(), std::move(key));  // opens only
      }
    }
    return {};
  }
  // A sealing key of its own (a random key_id and 32 random bytes), for a new keyring.
  [[nodiscard]] result<master_key> new_sealing_key() {
    std::array<byte, uuid::byte_size> id{};
    secret_bytes material{32};
    KMSCORE_TRY(backend_->random_bytes(id));
    KMSCORE_TRY(backend_->random_bytes(material.expose()));
    master_key key;
    key.key_id = key_id::from_uuid(uuid::version4(id));
    key.material_versions.push_back(std::move(material));
    return key;
  }
  // The key_id of the envelope that seals a stored record.
  [[nodiscard]] static result<key_id> sealing_key_of(byte_span stored) {
    KMSCORE_TRY_ASSIGN(const auto parts, detail::split_stored_record(stored));
    const auto view = parse_envelope(parts.envelope, max_envelope_payload);
    if (!view) return errc::kms_error;
    return view->key_id();
  }

  Backend* backend_;
  std::unique_ptr<keyring_root> root_;
  mutable std::shared_mutex mutex_;  // guards ring_ (keys are learned while others seal)
  keyring ring_;
  key_link_source links_;
};

}  // namespace kmscore
