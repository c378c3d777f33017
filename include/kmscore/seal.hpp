// kmscore/seal.hpp: the envelope suites' cryptography: derive, seal, open.
//
//   auto key = kmscore::envelope_key<Backend>::derive(backend, suite, cmk_material,
//                                                     key_id, key_version);  // newest version
//   key->seal(backend, dek, context, out);        // out: envelope_size(dek.size()) bytes
//   key->open(backend, view, context, dek_out);   // KMS.2203 for any failure, dek_out wiped
//
// Per CMK version (docs/envelope.md): a commit key, and the state that derives a wrap key per
// envelope from a fresh 256-bit salt (so no per-CMK usage limit): HKDF-SHA-256 / HKDF-SM3 in
// versions 16 and 17, the SP 800-108 counter KDF with CMAC-AES / CMAC-SM4 in 18 and 19 (new
// envelopes, on backends with the raw block cipher). The DEK is sealed with GCM under the wrap key
// (each wrap key seals exactly one message, so the nonce is fixed), with the header, key_id,
// key_version and canonical context as associated data. The 32-byte tag is HMAC(commit key,
// every preceding byte || context): key-committing and context-committing. Opening checks the
// tag in constant time before decrypting anything. The salt is always drawn from the
// backend's RNG inside the library: a caller-chosen (reused) salt would reuse key and nonce. An
// envelope_key holds derived secrets in zeroizing storage; it may be reused for any number of
// envelopes and shared read-only between threads (the backend decides the rest).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "context.hpp"
#include "crypto.hpp"
#include "detail/counter_kdf.hpp"
#include "detail/hkdf.hpp"
#include "envelope.hpp"
#include "key_id.hpp"
#include "secret.hpp"

namespace kmscore {

namespace detail {
// HKDF-Extract's salt: one per suite and purpose, so data keys and encrypt-data payloads
// (versions 20, 21) are sealed under unrelated keys of the same CMK.
[[nodiscard]] constexpr std::string_view hkdf_label(const envelope_format& format) noexcept {
  const bool sm4 = format.suite == envelope_suite::sm4_gcm_hmac_sm3;
  if (format.purpose == envelope_purpose::data) {
    return sm4 ? "kmscore/v21/SM4-GCM/HMAC-SM3/data" : "kmscore/v20/AES-256-GCM/HMAC-SHA-256/data";
  }
  return sm4 ? "kmscore/v1/SM4-GCM/HMAC-SM3" : "kmscore/v1/AES-256-GCM/HMAC-SHA-256";
}
inline constexpr std::string_view commit_label = "commit";
inline constexpr std::string_view wrap_label = "wrap";

// Suites 18 and 19: the SP 800-108 labels, 27 bytes each so that [i] || label || 0x00 fills
// two cipher blocks (detail/counter_kdf.hpp).
struct counter_kdf_labels {
  std::string_view wrap;
  std::string_view commit;
};
[[nodiscard]] constexpr counter_kdf_labels cmac_kdf_labels(envelope_suite suite) noexcept {
  return suite == envelope_suite::sm4_gcm_hmac_sm3
             ? counter_kdf_labels{"kmscore/v19/SM4-GCM/wrapkey", "kmscore/v19/SM4-GCM/tag-key"}
             : counter_kdf_labels{"kmscore/v18/AES-GCM/wrapkey", "kmscore/v18/AES-GCM/tag-key"};
}
static_assert(cmac_kdf_labels(envelope_suite::aes256_gcm_hmac_sha256).wrap.size() == 27 &&
              cmac_kdf_labels(envelope_suite::aes256_gcm_hmac_sha256).commit.size() == 27 &&
              cmac_kdf_labels(envelope_suite::sm4_gcm_hmac_sm3).wrap.size() == 27 &&
              cmac_kdf_labels(envelope_suite::sm4_gcm_hmac_sm3).commit.size() == 27);

// What derives a suite version's per-envelope wrap key: HKDF's keyed PRK, or (backends with a
// block cipher) the counter KDF made for the wrap label.
template <class Backend>
struct wrap_kdf_of {
  using type = std::monostate;
};
template <block_cipher_backend Backend>
struct wrap_kdf_of<Backend> {
  using type = counter_kdf<Backend>;
};
inline constexpr std::array<byte, gcm_nonce_size> fixed_nonce{};

// The CMK material a suite takes: the key size of its cipher, as key_spec_table says.
[[nodiscard]] constexpr std::size_t suite_material_size(envelope_suite suite) noexcept {
  return cipher_key_size(suite_cipher(suite));
}
constexpr bool material_sizes_match_suites() noexcept {
  for (const auto& row : key_spec_table) {
    if (row.is_symmetric() && row.material_size != suite_material_size(row.suite)) return false;
  }
  return true;
}
static_assert(material_sizes_match_suites());
}  // namespace detail

// The version a backend seals new envelopes of a suite with: the CMAC-KDF one (18, 19) when its
// raw block cipher runs in constant time here (AES-NI: the KDF keys it with the CMK itself),
// else the HKDF one (16, 17). nullopt for no suite.
template <crypto_backend Backend>
[[nodiscard]] std::optional<envelope_version> sealing_version(const Backend& backend,
                                                              envelope_suite suite) noexcept {
  bool constant_time_blocks = false;
  if constexpr (block_cipher_backend<Backend>) {
    constant_time_blocks = backend.block_constant_time(suite_cipher(suite));
  }
  return suite_version(suite,
                       constant_time_blocks ? envelope_kdf::cmac_counter : envelope_kdf::hkdf);
}

// Whether a backend can derive the keys of an envelope version (its suite, and for 18 and 19
// a block cipher).
template <crypto_backend Backend>
[[nodiscard]] bool serves_version(const Backend& backend, envelope_version version) noexcept {
  const auto format = find_envelope_format(version);
  return format && backend.supports(format->suite) &&
         (format->kdf == envelope_kdf::hkdf || block_cipher_backend<Backend>);
}

template <crypto_backend Backend>
class datakey_sealer;

template <crypto_backend Backend>
class envelope_key {  // NOLINT(bugprone-exception-escape): its members move without allocating
 public:
  // The keys of one envelope version (16..19) for one CMK material version. KMS.0101 when
  // the backend cannot serve the version or the material is not exactly the suite's key size
  // (an empty or short CMK would make the derived keys guessable).
  [[nodiscard]] static result<envelope_key> derive(Backend& backend, envelope_version version,
                                                   byte_span cmk_material,
                                                   const kmscore::key_id& id,
                                                   std::uint32_t key_version) {
    const auto format = find_envelope_format(version);
    if (!format || !serves_version(backend, version) ||
        cmk_material.size() != detail::suite_material_size(format->suite)) {
      return errc::kms_error;
    }
    if (format->kdf == envelope_kdf::hkdf) {
      return derive_hkdf(backend, *format, cmk_material, id, key_version);
    }
    if constexpr (block_cipher_backend<Backend>) {
      return derive_cmac(backend, *format, cmk_material, id, key_version);
    }
    return errc::kms_error;
  }

  // The keys of the version this backend seals the suite's new envelopes with.
  [[nodiscard]] static result<envelope_key> derive(Backend& backend, envelope_suite suite,
                                                   byte_span cmk_material,
                                                   const kmscore::key_id& id,
                                                   std::uint32_t key_version) {
    const auto version = sealing_version(backend, suite);
    if (!version) return errc::kms_error;
    return derive(backend, *version, cmk_material, id, key_version);
  }

  [[nodiscard]] envelope_suite suite() const noexcept { return suite_; }
  [[nodiscard]] envelope_version version() const noexcept { return version_; }
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] std::uint32_t key_version() const noexcept { return key_version_; }

  // Seals dek into out (exactly envelope_size(dek.size()) bytes) under a fresh salt from the
  // backend's RNG. dek may be any payload of 1..max_envelope_payload bytes (key records seal
  // key material); other sizes are KMS.0101 with nothing written.
  [[nodiscard]] result<void> seal(Backend& backend, byte_span dek,
                                  const encryption_context& context,
                                  mutable_byte_span out) const noexcept {
    secret_array<envelope_salt_size> salt;
    KMSCORE_TRY(backend.random_bytes(salt.expose()));
    return seal_with_salt(backend, dek, salt.expose(), context, out);
  }

  // Opens a parsed envelope into dek_out (exactly view.datakey_bytes() bytes). Every
  // cryptographic failure is KMS.2203 and leaves dek_out zeroed.
  [[nodiscard]] result<void> open(Backend& backend, const envelope_view& view,
                                  const encryption_context& context,
                                  mutable_byte_span dek_out) const noexcept {
    auto opened = open_checked(backend, view, context, dek_out);
    if (!opened) {
      detail::secure_wipe(dek_out.data(), dek_out.size());
      if (opened.error().code() != errc::kms_error) return errc::decrypt_failed;
    }
    return opened;
  }

 private:
  using hmac_key = typename Backend::hmac_key;
  friend class datakey_sealer<Backend>;  // draws DEK and salt in one RNG call

  using wrap_kdf = typename detail::wrap_kdf_of<Backend>::type;
  using wrap_deriver = std::variant<hmac_key, wrap_kdf>;  // HKDF's PRK, or the counter KDF

  envelope_key(const envelope_format& format, const kmscore::key_id& id, std::uint32_t key_version,
               wrap_deriver wrap, hmac_key commit)
      : suite_{format.suite},
        version_{format.version},
        key_id_{id},
        key_version_{key_version},
        wrap_{std::move(wrap)},
        commit_key_{std::move(commit)} {}

  // Suites 16, 17: PRK = HKDF-Extract(label, CMK); commit key = HKDF-Expand(PRK, "commit").
  [[nodiscard]] static result<envelope_key> derive_hkdf(Backend& backend,
                                                        const envelope_format& format,
                                                        byte_span cmk_material,
                                                        const kmscore::key_id& id,
                                                        std::uint32_t key_version) {
    const hash_id hash = suite_hash(format.suite);
    secret_array<digest_size> prk;
    KMSCORE_TRY(detail::hkdf_extract(backend, hash, as_bytes(detail::hkdf_label(format)),
                                     cmk_material, prk.expose()));
    auto prk_key = backend.hmac_init(hash, prk.expose());
    if (!prk_key) return prk_key.error();
    secret_array<digest_size> commit;
    const std::array<byte_span, 1> info{as_bytes(detail::commit_label)};
    KMSCORE_TRY(detail::hkdf_expand(backend, *prk_key, info, commit.expose()));
    auto commit_key = backend.hmac_init(hash, commit.expose());
    if (!commit_key) return commit_key.error();
    return envelope_key{format, id, key_version,
                        wrap_deriver{std::in_place_index<0>, std::move(*prk_key)},
                        std::move(*commit_key)};
  }

  // Suites 18, 19: commit key = KDF(CMK, commit label, "", 256); the wrap key's KDF is made
  // once here and run per envelope with the salt as its context.
  [[nodiscard]] static result<envelope_key> derive_cmac(
      Backend& backend, const envelope_format& format, byte_span cmk_material,
      const kmscore::key_id& id, std::uint32_t key_version) requires block_cipher_backend<Backend> {
    const cipher_id cipher = suite_cipher(format.suite);
    const auto labels = detail::cmac_kdf_labels(format.suite);
    KMSCORE_TRY_ASSIGN(const auto commit_kdf,
                       wrap_kdf::make(backend, cipher, cmk_material, labels.commit, digest_size));
    secret_array<digest_size> commit;
    KMSCORE_TRY(commit_kdf.derive(backend, {}, commit.expose()));
    auto commit_key = backend.hmac_init(suite_hash(format.suite), commit.expose());
    if (!commit_key) return commit_key.error();
    KMSCORE_TRY_ASSIGN(auto wrap, wrap_kdf::make(backend, cipher, cmk_material, labels.wrap,
                                                 cipher_key_size(cipher)));
    return envelope_key{format, id, key_version,
                        wrap_deriver{std::in_place_index<1>, std::move(wrap)},
                        std::move(*commit_key)};
  }

  // salt must be fresh randomness, never reused: the library's callers draw it.
  [[nodiscard]] result<void> seal_with_salt(Backend& backend, byte_span dek,
                                            std::span<const byte, envelope_salt_size> salt,
                                            const encryption_context& context,
                                            mutable_byte_span out) const noexcept {
    secret_array<max_cipher_key_size> wrap_key;
    const auto key = wrap_key.expose().first(cipher_key_size(cipher()));
    auto sealed = derive_wrap_keys(backend, salt, key);
    if (sealed) sealed = seal_with_wrap_key(backend, dek, salt, key, context, out);
    if (!sealed) detail::secure_wipe(out.data(), out.size());
    return sealed;
  }

  // The envelope of dek under a wrap key already derived from salt (derive_wrap_keys).
  [[nodiscard]] result<void> seal_with_wrap_key(Backend& backend, byte_span dek,
                                                std::span<const byte, envelope_salt_size> salt,
                                                byte_span wrap_key,
                                                const encryption_context& context,
                                                mutable_byte_span out) const noexcept {
    auto sealed = seal_untagged(backend, dek, salt, wrap_key, context, out);
    if (sealed) {
      sealed = tag(backend, out.first(out.size() - envelope_tag_size), context,
                   out.last<envelope_tag_size>());
    }
    if (!sealed) detail::secure_wipe(out.data(), out.size());
    return sealed;
  }

  // The envelopes of DEKs of dek_size bytes (1..max_datakey_bytes) given back to back, into
  // outs (envelope_size(dek_size) each, back to back), under their salts and wrap keys
  // (derive_wrap_keys); the commit tags in batches (hmac_keyed_many: the backend's multi-buffer
  // HMAC where it has one). Sizes that do not add up are KMS.0101; on failure outs is wiped.
  [[nodiscard]] result<void> seal_many_with_wrap_keys(Backend& backend, byte_span deks,
                                                      std::size_t dek_size, byte_span salts,
                                                      byte_span wrap_keys,
                                                      const encryption_context& context,
                                                      mutable_byte_span outs) const noexcept {
    if (dek_size < min_datakey_bytes || dek_size > max_datakey_bytes) return errc::kms_error;
    const std::size_t key_size = cipher_key_size(cipher());
    const std::size_t blob_size = envelope_size(dek_size);
    const std::size_t count = deks.size() / dek_size;
    if (deks.size() != count * dek_size || salts.size() != count * envelope_salt_size ||
        wrap_keys.size() != count * key_size || outs.size() != count * blob_size) {
      return errc::kms_error;
    }
    result<void> sealed;
    for (std::size_t k = 0; sealed && k < count; ++k) {
      sealed =
          seal_untagged(backend, deks.subspan(k * dek_size, dek_size),
                        salts.subspan(k * envelope_salt_size).template first<envelope_salt_size>(),
                        wrap_keys.subspan(k * key_size, key_size), context,
                        outs.subspan(k * blob_size, blob_size));
    }
    if (sealed) sealed = tag_many(backend, outs, blob_size, context);
    if (!sealed) detail::secure_wipe(outs.data(), outs.size());
    return sealed;
  }

  // Everything of the envelope but its commit tag: the frame, the salt and the GCM-sealed DEK.
  [[nodiscard]] result<void> seal_untagged(Backend& backend, byte_span dek,
                                           std::span<const byte, envelope_salt_size> salt,
                                           byte_span wrap_key, const encryption_context& context,
                                           mutable_byte_span out) const noexcept {
    if (dek.size() < min_datakey_bytes || dek.size() > max_envelope_payload ||
        out.size() != envelope_size(dek.size()) || wrap_key.size() != cipher_key_size(cipher())) {
      return errc::kms_error;
    }
    (void)detail::write_envelope_frame(version_, key_id_, key_version_, out);
    const auto body = out.subspan(envelope_header_size, out.size() - envelope_overhead);
    for (std::size_t i = 0; i < salt.size(); ++i) body[i] = salt[i];
    return with_aad(out, context, [&](byte_span aad) {
      const aead_params params{cipher(), wrap_key, detail::fixed_nonce, aad};
      return backend.aead_seal(params, dek, body.subspan(envelope_salt_size, dek.size()),
                               body.last<envelope_gcm_tag_size>());
    });
  }

  // The commit tags of whole envelopes (blob_size bytes each, back to back, all but their tags
  // written), into their places. Up to tag_batch at a time. Each tagged message is the
  // envelope's bytes before its tag followed by the canonical context: a context that fits
  // is written into the tag's own (still free) place, so the message is read in place; a
  // larger one is gathered with a copy of the envelope.
  static constexpr std::size_t tag_batch = 16;
  static constexpr std::size_t gather_capacity = 16384;
  static_assert(max_datakey_envelope_size - envelope_tag_size + max_encryption_context_size <=
                gather_capacity);
  [[nodiscard]] result<void> tag_many(Backend& backend, mutable_byte_span blobs,
                                      std::size_t blob_size,
                                      const encryption_context& context) const noexcept {
    const auto canonical = context.canonical();
    const std::size_t tagged_size = blob_size - envelope_tag_size;
    const std::size_t message_size = tagged_size + canonical.size();
    const bool in_place = canonical.size() <= envelope_tag_size;
    const std::size_t per_batch =
        in_place ? tag_batch : std::min(tag_batch, gather_capacity / message_size);
    const std::size_t count = blobs.size() / blob_size;
    std::array<byte_span, tag_batch> messages;
    std::array<byte, tag_batch * envelope_tag_size> tags;
    std::array<byte, gather_capacity> gathered;  // only for a context larger than a tag
    for (std::size_t first = 0; first < count; first += per_batch) {
      const std::size_t batch = std::min(per_batch, count - first);
      for (std::size_t k = 0; k < batch; ++k) {
        const auto blob = blobs.subspan((first + k) * blob_size, blob_size);
        const auto message =
            in_place ? blob.first(message_size)
                     : mutable_byte_span{gathered}.subspan(k * message_size, message_size);
        if (!in_place) std::copy_n(blob.begin(), tagged_size, message.begin());
        std::copy(canonical.begin(), canonical.end(),
                  message.begin() + static_cast<std::ptrdiff_t>(tagged_size));
        messages[k] = message;
      }
      const auto batch_tags = mutable_byte_span{tags}.first(batch * envelope_tag_size);
      KMSCORE_TRY(
          hmac_keyed_many(backend, commit_key_, std::span{messages}.first(batch), batch_tags));
      for (std::size_t k = 0; k < batch; ++k) {
        const auto tag_out =
            blobs.subspan((first + k + 1) * blob_size - envelope_tag_size, envelope_tag_size);
        const auto made = batch_tags.subspan(k * envelope_tag_size, envelope_tag_size);
        std::copy(made.begin(), made.end(), tag_out.begin());
      }
    }
    return {};
  }

  [[nodiscard]] cipher_id cipher() const noexcept { return suite_cipher(suite_); }
  [[nodiscard]] hash_id hash() const noexcept { return suite_hash(suite_); }

  // The wrap keys of salts given back to back (32 bytes each) into keys (the cipher's key
  // size each). Suites 18 and 19 run the KDF blocks of many salts side by side.
  [[nodiscard]] result<void> derive_wrap_keys(Backend& backend, byte_span salts,
                                              mutable_byte_span keys) const noexcept {
    const std::size_t key_size = cipher_key_size(cipher());
    const std::size_t count = salts.size() / envelope_salt_size;
    if (salts.size() != count * envelope_salt_size || keys.size() != count * key_size) {
      return errc::kms_error;
    }
    if (const auto* prk = std::get_if<0>(&wrap_)) {
      for (std::size_t i = 0; i < count; ++i) {
        const std::array<byte_span, 2> info{
            as_bytes(detail::wrap_label),
            salts.subspan(i * envelope_salt_size, envelope_salt_size)};
        KMSCORE_TRY(detail::hkdf_expand(backend, *prk, info, keys.subspan(i * key_size, key_size)));
      }
      return {};
    }
    if constexpr (block_cipher_backend<Backend>) {
      if (const auto* kdf = std::get_if<1>(&wrap_)) {
        return kdf->derive_many(backend, salts, envelope_salt_size, keys);
      }
    }
    return errc::kms_error;
  }

  // GCM associated data: header, key_id, key_version and context, given to GCM as one
  // buffer (assembled on the stack up to the 8 KiB context limit).
  template <class Use>
  [[nodiscard]] static result<void> with_aad(byte_span blob, const encryption_context& context,
                                             Use&& use) noexcept {
    constexpr std::size_t id_and_version = key_id_size + envelope_key_version_size;
    std::array<byte, envelope_header_size + id_and_version + max_encryption_context_size> aad;
    const auto trailer = blob.size() - envelope_trailer_size;
    std::size_t size = 0;
    for (std::size_t i = 0; i < envelope_header_size; ++i) aad[size++] = blob[i];
    for (std::size_t i = 0; i < id_and_version; ++i) aad[size++] = blob[trailer + i];
    for (const byte b : context.canonical()) aad[size++] = b;
    return use(byte_span{aad.data(), size});
  }

  [[nodiscard]] result<void> tag(Backend& backend, byte_span authenticated,
                                 const encryption_context& context,
                                 std::span<byte, envelope_tag_size> out) const noexcept {
    const std::array<byte_span, 2> pieces{authenticated, context.canonical()};
    return backend.hmac_keyed(commit_key_, pieces, out);
  }

  [[nodiscard]] result<void> open_checked(Backend& backend, const envelope_view& view,
                                          const encryption_context& context,
                                          mutable_byte_span dek_out) const noexcept {
    if (view.version() != version_ || view.key_version() != key_version_ ||
        view.key_id() != key_id_ || dek_out.size() != view.datakey_bytes()) {
      return errc::decrypt_failed;
    }
    secret_array<envelope_tag_size> expected;
    KMSCORE_TRY(tag(backend, view.authenticated(), context, expected.expose()));
    if (!constant_time_equal(expected.expose(), view.tag())) return errc::decrypt_failed;
    const auto body = view.body();
    const auto salt = body.first<envelope_salt_size>();
    secret_array<max_cipher_key_size> wrap_key;
    const auto key = wrap_key.expose().first(cipher_key_size(cipher()));
    KMSCORE_TRY(derive_wrap_keys(backend, salt, key));
    const byte_span blob{view.authenticated().data(),
                         view.authenticated().size() + envelope_tag_size};
    return with_aad(blob, context, [&](byte_span aad) {
      const aead_params params{cipher(), key, detail::fixed_nonce, aad};
      return backend.aead_open(params, body.subspan(envelope_salt_size, dek_out.size()),
                               body.last<envelope_gcm_tag_size>(), dek_out);
    });
  }

  envelope_suite suite_;
  envelope_version version_;
  kmscore::key_id key_id_;
  std::uint32_t key_version_;
  wrap_deriver wrap_;    // derived once per CMK version, reused by every envelope:
  hmac_key commit_key_;  // the wrap key's KDF state and the commit key's HMAC states
};

}  // namespace kmscore
