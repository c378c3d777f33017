// kmscore/datakey.hpp: create / encrypt / decrypt data keys (DEKs) under a master key.
//
//   kmscore::backend::cryptopp backend;
//   auto params = kmscore::validate(request);                  // actions/create_datakey.hpp
//   auto made = kmscore::create_datakey(backend, cmk, *params); // the same file
//   made->expose_plain_text();        // uppercase hex of the DEK (secret)
//   made->cipher_text();              // uppercase hex of its envelope
//
// The host finds the CMK (KMS.0207 when it has none); each operation then applies the CMK
// checks of api.md in their order (KMS.0209, 0210, 1301, 0325) and the material check, then
// asks the backend for the CMK's suite (500 KMS.0101 if it cannot serve it).
// `datakey_sealer` is the hot path: derive once per CMK, then seal any number of data keys
// into caller buffers with no heap allocation per key; `create_datakeys` is the batch form.
// Every entry that takes a buffer or a count checks it before touching memory (KMS.0101).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "context.hpp"
#include "crypto.hpp"
#include "hex.hpp"
#include "key_id.hpp"
#include "master_key.hpp"
#include "seal.hpp"
#include "validate.hpp"

namespace kmscore {

// The most data keys one create_datakeys call makes.
inline constexpr std::size_t max_datakey_batch = 4096;

// create-datakey's answer: the DEK's hex (secret) and its envelope's hex, uppercase, in one
// zeroizing buffer.
class create_datakey_response {
 public:
  create_datakey_response(const kmscore::key_id& id, byte_span dek, byte_span envelope)
      : key_id_{id}, texts_{detail::hex_pair::encode(dek, envelope)} {}
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] std::string_view expose_plain_text() const noexcept { return texts_.first(); }
  [[nodiscard]] std::string_view cipher_text() const noexcept { return texts_.second(); }

 private:
  kmscore::key_id key_id_;
  detail::hex_pair texts_;
};

struct create_datakey_without_plaintext_response {
  kmscore::key_id key_id;
  std::string cipher_text;
};

struct encrypt_datakey_response {
  kmscore::key_id key_id;
  std::string cipher_text;
  datakey_size size;
};

// decrypt-datakey's answer: the DEK's hex (secret) and the hex of its digest (SHA-256, SM3
// for SM4 CMKs), uppercase, in one zeroizing buffer.
class decrypt_datakey_response {
 public:
  // dek: size.bytes() bytes.
  decrypt_datakey_response(byte_span dek, datakey_size size, byte_span digest)
      : size_{size}, texts_{detail::hex_pair::encode(dek, digest)} {}
  [[nodiscard]] std::string_view expose_data_key() const noexcept { return texts_.first(); }
  [[nodiscard]] datakey_size size() const noexcept { return size_; }
  [[nodiscard]] std::string_view datakey_dgst() const noexcept { return texts_.second(); }

 private:
  datakey_size size_;
  detail::hex_pair texts_;
};

namespace detail {
// Room for the largest DEK and its salt, drawn in one RNG call. Left uninitialised: every
// byte used is written by the RNG first, and the whole draw is wiped after use.
struct datakey_draw {
  static constexpr std::size_t capacity = max_datakey_bytes + envelope_salt_size;
  std::array<byte, capacity> bytes;
};
}  // namespace detail

// Seals data keys under one CMK version: derive once, seal many.
template <crypto_backend Backend>
class datakey_sealer {  // NOLINT(bugprone-exception-escape): its members move without allocating
 public:
  [[nodiscard]] static result<datakey_sealer> make(Backend& backend, const master_key& cmk) {
    KMSCORE_TRY(check_datakey_master_key(cmk));
    const auto suite = spec_policy(cmk.spec).suite;
    if (!backend.supports(suite)) return errc::kms_error;
    KMSCORE_TRY_ASSIGN(auto key, envelope_key<Backend>::derive(
                                     backend, suite, cmk.material_versions.back().expose(),
                                     cmk.key_id, cmk.current_version()));
    return datakey_sealer{backend, std::move(key)};
  }

  // A fresh random DEK of dek_out.size() bytes (1..1024) and its envelope
  // (envelope_size(dek_out.size()) bytes), both in caller buffers; other sizes are KMS.0101
  // with nothing written. One RNG call draws the DEK and the salt. No heap allocation.
  [[nodiscard]] result<void> create_into(mutable_byte_span dek_out,
                                         const encryption_context& context,
                                         mutable_byte_span envelope_out) const noexcept {
    if (!datakey_size::from_bytes(dek_out.size()) ||
        envelope_out.size() != envelope_size(dek_out.size())) {
      return errc::kms_error;
    }
    detail::datakey_draw draw;
    const auto drawn = mutable_byte_span{draw.bytes}.first(dek_out.size() + envelope_salt_size);
    auto made = backend_->random_bytes(drawn);
    if (made) made = seal_drawn(drawn, dek_out, context, envelope_out);
    detail::secure_wipe(drawn.data(), drawn.size());
    return made;
  }

  // The response of create-datakey: DEK and envelope as uppercase hex. The DEK and its
  // envelope are made on the stack; only the response's one buffer is allocated.
  [[nodiscard]] result<create_datakey_response> create(datakey_size size,
                                                       const encryption_context& context) const {
    detail::datakey_draw draw;
    const auto drawn = mutable_byte_span{draw.bytes}.first(size.bytes() + envelope_salt_size);
    const detail::wipe_on_exit wipe_drawn{drawn.data(), drawn.size()};
    KMSCORE_TRY(backend_->random_bytes(drawn));
    const auto dek = drawn.first(size.bytes());
    return respond(dek, drawn.subspan(dek.size()).template first<envelope_salt_size>(), context);
  }

  // count (1..max_datakey_batch) responses. Per chunk of keys, one RNG call draws every DEK
  // and salt (up to 4 KiB), one batched KDF call derives every wrap key (suites 18 and 19
  // encrypt all their CMAC blocks side by side), and the commit tags go through the backend's
  // multi-buffer HMAC where it has one (seal_many_with_wrap_keys).
  [[nodiscard]] result<std::vector<create_datakey_response>> create_many(
      datakey_size size, const encryption_context& context, std::size_t count) const {
    if (count == 0 || count > max_datakey_batch) return errc::kms_error;
    constexpr std::size_t chunk_bytes = 4096;
    static_assert(chunk_bytes >= detail::datakey_draw::capacity);
    const std::size_t dek_size = size.bytes();
    const std::size_t key_size = cipher_key_size(suite_cipher(key_.suite()));
    const std::size_t blob_size = envelope_size(dek_size);
    const std::size_t per_draw = std::min(count, chunk_bytes / (dek_size + envelope_salt_size));
    std::array<byte, chunk_bytes> draw;       // the DEKs, then their salts
    std::array<byte, chunk_bytes> wrap_keys;  // at most one per salt, each no larger
    const detail::wipe_on_exit wipe_draw{draw.data(), draw.size()};
    const detail::wipe_on_exit wipe_wrap_keys{wrap_keys.data(), wrap_keys.size()};
    std::vector<byte> blobs(per_draw * blob_size);  // the chunk's envelopes (public)
    std::vector<create_datakey_response> made;
    made.reserve(count);
    while (made.size() < count) {
      const std::size_t keys = std::min(count - made.size(), per_draw);
      const auto drawn = mutable_byte_span{draw}.first(keys * (dek_size + envelope_salt_size));
      const auto deks = drawn.first(keys * dek_size);
      const auto salts = drawn.subspan(keys * dek_size);
      const auto derived = mutable_byte_span{wrap_keys}.first(keys * key_size);
      const auto sealed = mutable_byte_span{blobs}.first(keys * blob_size);
      auto ok = backend_->random_bytes(drawn);
      if (ok) ok = key_.derive_wrap_keys(*backend_, salts, derived);
      if (ok) {
        ok = key_.seal_many_with_wrap_keys(*backend_, deks, dek_size, salts, derived, context,
                                           sealed);
      }
      for (std::size_t k = 0; ok && k < keys; ++k) {
        made.emplace_back(key_.key_id(), deks.subspan(k * dek_size, dek_size),
                          sealed.subspan(k * blob_size, blob_size));
      }
      if (!ok) return ok.error();
    }
    return made;
  }

  // Seals a caller's DEK (1..1024 bytes) into envelope_out (envelope_size(dek.size())).
  [[nodiscard]] result<void> seal_into(byte_span dek, const encryption_context& context,
                                       mutable_byte_span envelope_out) const noexcept {
    if (!datakey_size::from_bytes(dek.size())) return errc::kms_error;
    return key_.seal(*backend_, dek, context, envelope_out);
  }

  [[nodiscard]] const envelope_key<Backend>& key() const noexcept { return key_; }

 private:
  datakey_sealer(Backend& backend, envelope_key<Backend> key)
      : backend_{&backend}, key_{std::move(key)} {}

  // drawn = DEK || salt (fresh randomness); writes the DEK to dek_out and seals it.
  [[nodiscard]] result<void> seal_drawn(byte_span drawn, mutable_byte_span dek_out,
                                        const encryption_context& context,
                                        mutable_byte_span envelope_out) const noexcept {
    const auto dek = drawn.first(dek_out.size());
    std::copy(dek.begin(), dek.end(), dek_out.begin());
    auto sealed = key_.seal_with_salt(
        *backend_, dek, drawn.subspan(dek.size()).template first<envelope_salt_size>(), context,
        envelope_out);
    if (!sealed) detail::secure_wipe(dek_out.data(), dek_out.size());
    return sealed;
  }

  // The response for one drawn DEK and salt.
  [[nodiscard]] result<create_datakey_response> respond(
      byte_span dek, std::span<const byte, envelope_salt_size> salt,
      const encryption_context& context) const {
    std::array<byte, max_datakey_envelope_size> envelope;
    const auto blob = mutable_byte_span{envelope}.first(envelope_size(dek.size()));
    KMSCORE_TRY(key_.seal_with_salt(*backend_, dek, salt, context, blob));
    return create_datakey_response{key_.key_id(), dek, blob};
  }

  Backend* backend_;
  envelope_key<Backend> key_;
};

namespace detail {
template <crypto_backend Backend>
[[nodiscard]] result<void> datakey_digest(Backend& backend, key_spec spec, byte_span dek,
                                          digest_out out) noexcept {
  const std::array<byte_span, 1> pieces{dek};
  return backend.digest(suite_hash(spec_policy(spec).suite), pieces, out);
}
}  // namespace detail

// What derived state costs in memory, in bytes, where a host bounds it (key_cache.hpp): an
// estimate (the objects and their map nodes), shared by every opener and entry of a cache.
using memory_usage = std::shared_ptr<std::atomic<std::size_t>>;

namespace detail {
// Charges `bytes` to a usage counter for the holder's lifetime (none: no counter).
class usage_charge {
 public:
  usage_charge() noexcept = default;
  usage_charge(memory_usage usage, std::size_t bytes) noexcept
      : usage_{std::move(usage)}, bytes_{bytes} {
    if (usage_) usage_->fetch_add(bytes_);
  }
  usage_charge(usage_charge&& other) noexcept
      : usage_{std::move(other.usage_)}, bytes_{std::exchange(other.bytes_, 0)} {}
  usage_charge& operator=(usage_charge&&) = delete;
  usage_charge(const usage_charge&) = delete;
  usage_charge& operator=(const usage_charge&) = delete;
  ~usage_charge() {
    if (usage_) usage_->fetch_sub(bytes_);
  }
  void add(std::size_t bytes) noexcept {
    bytes_ += bytes;
    if (usage_) usage_->fetch_add(bytes);
  }

 private:
  memory_usage usage_;
  std::size_t bytes_ = 0;
};
}  // namespace detail

// Opens envelopes under one CMK. A material version's keys are derived when an envelope of
// that version is first opened, and kept for reuse (decrypt and re-wrap of many envelopes):
// a key rotated a thousand times costs only the versions its envelopes use. `open` is const
// and safe for threads sharing one opener (key_cache.hpp): the derived keys are found and
// added under the opener's lock, and used after it, since a map's nodes never move. The CMK
// checks of api.md come first. `make_derived` derives every version at once.
template <crypto_backend Backend>
class datakey_opener {
 public:
  // usage: where the derived keys' bytes are counted (key_cache.hpp), or none.
  [[nodiscard]] static result<datakey_opener> make(Backend& backend, const master_key& cmk,
                                                   memory_usage usage = {}) {
    KMSCORE_TRY(check_datakey_master_key(cmk));
    const auto suite = spec_policy(cmk.spec).suite;
    if (!backend.supports(suite)) return errc::kms_error;
    return datakey_opener{backend, cmk, std::move(usage)};
  }
  [[nodiscard]] static result<datakey_opener> make_derived(Backend& backend,
                                                           const master_key& cmk) {
    KMSCORE_TRY_ASSIGN(auto opener, make(backend, cmk));
    for (const auto& format : envelope_formats) {
      if (format.purpose != envelope_purpose::data_key ||
          format.suite != spec_policy(cmk.spec).suite || !serves_version(backend, format.version)) {
        continue;  // only the data-key envelopes this CMK's suite seals
      }
      for (std::uint32_t version = 0; version < cmk.material_versions.size(); ++version) {
        KMSCORE_TRY(opener.key_for(version, format.version));
      }
    }
    return opener;
  }

  // Opens into dek_out (exactly the envelope's DEK size), deriving the version's key on
  // first use. KMS.2203 for any authentication failure, a version the key lacks included;
  // dek_out is then zeroed. KMS.0101 for an envelope version the backend cannot serve.
  [[nodiscard]] result<void> open(const envelope_view& view, const encryption_context& context,
                                  mutable_byte_span dek_out) const {
    if (!matches_suite(view)) return errc::invalid_cipher_text;
    if (!serves_version(*backend_, view.version())) return errc::kms_error;
    KMSCORE_TRY_ASSIGN(const auto* key, key_for(view.key_version(), view.version()));
    if (key == nullptr) {
      detail::secure_wipe(dek_out.data(), dek_out.size());
      return errc::decrypt_failed;  // a version the key lacks
    }
    return key->open(*backend_, view, context, dek_out);
  }

  // Whether the envelope is of this CMK's suite (else it is not a cipher_text of this key).
  [[nodiscard]] bool matches_suite(const envelope_view& view) const noexcept {
    return view.suite() == spec_policy(cmk_->spec).suite;
  }

  // How many (material version, envelope version) keys are derived so far.
  [[nodiscard]] std::size_t derived_count() const {
    const std::shared_lock lock{*mutex_};
    return keys_.size();
  }

  // What one derived key is counted as: the object and its map node (an estimate).
  static constexpr std::size_t derived_key_bytes = sizeof(envelope_key<Backend>) + 64;

 private:
  datakey_opener(Backend& backend, const master_key& cmk, memory_usage usage)
      : backend_{&backend},
        cmk_{&cmk},
        mutex_{std::make_unique<std::shared_mutex>()},
        charge_{std::move(usage), 0} {}

  // The key of a material version for an envelope version, derived on first use; nullptr
  // when the CMK has no such version.
  [[nodiscard]] result<const envelope_key<Backend>*> key_for(std::uint32_t version,
                                                             envelope_version format) const {
    if (version >= cmk_->material_versions.size()) return nullptr;
    const auto where = std::make_pair(version, format);
    {  // the common case: derived already, found under a shared lock
      const std::shared_lock lock{*mutex_};
      if (const auto found = keys_.find(where); found != keys_.end()) return &found->second;
    }
    const std::lock_guard lock{*mutex_};
    if (const auto found = keys_.find(where); found != keys_.end()) return &found->second;
    KMSCORE_TRY_ASSIGN(auto key, envelope_key<Backend>::derive(
                                     *backend_, format, cmk_->material_versions[version].expose(),
                                     cmk_->key_id, version));
    const auto [at, inserted] = keys_.emplace(where, std::move(key));
    if (inserted) charge_.add(derived_key_bytes);
    return &at->second;
  }

  Backend* backend_;
  const master_key* cmk_;                     // the caller's, for the opener's lifetime
  std::unique_ptr<std::shared_mutex> mutex_;  // a pointer, so that the opener moves
  // Per CMK material version and envelope version (an AES key opens both 16 and 18).
  mutable std::map<std::pair<std::uint32_t, envelope_version>, envelope_key<Backend>> keys_;
  mutable detail::usage_charge charge_;
};

namespace detail {
// Opens with an opener (const or not: either derives a version on first use).
template <class Opener>
[[nodiscard]] result<void> open_with(Opener& opener, const envelope_view& view,
                                     const encryption_context& context, mutable_byte_span dek_out) {
  return opener.open(view, context, dek_out);
}

// Opens an envelope and seals its DEK under sealer into out; in between the DEK lives only in
// a wiping buffer.
template <crypto_backend Backend, class Opener>
[[nodiscard]] result<void> rewrap_into(Opener& opener, const datakey_sealer<Backend>& sealer,
                                       const envelope_view& view, const encryption_context& context,
                                       const encryption_context& destination_context,
                                       mutable_byte_span out) {
  secret_bytes dek{view.datakey_bytes()};
  KMSCORE_TRY(open_with(opener, view, context, dek.expose()));
  return sealer.seal_into(dek.expose(), destination_context, out);
}
}  // namespace detail

// Re-wraps envelopes of one CMK under the current version of another (or the same) CMK,
// inside the library: each DEK lives only in a zeroizing buffer between open and seal, and
// never leaves. One derivation per source version and one for the destination, for any
// number of envelopes. The minimum decryption version does not apply: re-wrapping is how
// old envelopes are moved forward before it is raised.
template <crypto_backend Backend>
class datakey_rewrapper {  // NOLINT(bugprone-exception-escape): its members move without allocating
 public:
  // The source checks (decrypt-datakey's), then the destination's (create-datakey's).
  [[nodiscard]] static result<datakey_rewrapper> make(Backend& backend, const master_key& source,
                                                      const master_key& destination) {
    KMSCORE_TRY_ASSIGN(auto opener, datakey_opener<Backend>::make(backend, source));
    KMSCORE_TRY_ASSIGN(auto sealer, datakey_sealer<Backend>::make(backend, destination));
    return datakey_rewrapper{std::move(opener), std::move(sealer)};
  }

  // The envelope re-sealed under the destination's current version, in out (exactly
  // envelope_size of the DEK).
  [[nodiscard]] result<void> rewrap(const envelope_view& view, const encryption_context& context,
                                    const encryption_context& destination_context,
                                    mutable_byte_span out) {
    return detail::rewrap_into(opener_, sealer_, view, context, destination_context, out);
  }

 private:
  datakey_rewrapper(datakey_opener<Backend> opener, datakey_sealer<Backend> sealer)
      : opener_{std::move(opener)}, sealer_{std::move(sealer)} {}

  datakey_opener<Backend> opener_;
  datakey_sealer<Backend> sealer_;
};

// The batch form: every envelope (parsed, with its context) re-wrapped; the first failure
// stops the batch. out[i] is the new envelope of envelopes[i].
struct rewrap_item {
  const envelope_view* envelope;
  const encryption_context* context;
};
template <crypto_backend Backend>
[[nodiscard]] result<std::vector<std::vector<byte>>> re_encrypt_datakeys(
    Backend& backend, const master_key& source, const master_key& destination,
    std::span<const rewrap_item> items, const encryption_context& destination_context) {
  if (items.size() > max_datakey_batch) return errc::kms_error;
  KMSCORE_TRY_ASSIGN(auto rewrapper,
                     datakey_rewrapper<Backend>::make(backend, source, destination));
  std::vector<std::vector<byte>> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    std::vector<byte> envelope(envelope_size(item.envelope->datakey_bytes()));
    KMSCORE_TRY(rewrapper.rewrap(*item.envelope, *item.context, destination_context, envelope));
    out.push_back(std::move(envelope));
  }
  return out;
}

}  // namespace kmscore
