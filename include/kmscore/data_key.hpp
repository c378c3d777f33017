// kmscore/data_key.hpp: create / encrypt / decrypt data keys (DEKs) under a master key.
//
//   kmscore::backend::cryptopp backend;
//   auto params = kmscore::validate(request);                  // requests.hpp
//   auto made = kmscore::create_datakey(backend, cmk, *params); // cmk: const master_key*
//   made->plain_text.expose_text();   // uppercase hex of the DEK (secret)
//   made->cipher_text;                // uppercase hex of its envelope
//
// Each operation applies the CMK checks of api.md in their order (KMS.0207, 0209, 0210, 1301,
// 0325), then asks the backend for the CMK's suite (500 KMS.0101 if it cannot serve it).
// `datakey_sealer` is the hot path: derive once per CMK, then seal any number of data keys
// into caller buffers with no heap allocation per key; `create_datakeys` is the batch form.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "backend/concepts.hpp"
#include "hex.hpp"
#include "master_key.hpp"
#include "requests.hpp"
#include "seal.hpp"

namespace kmscore {

// The hex text of a secret, in zeroizing storage.
struct secret_hex {
  secret_bytes chars;
  [[nodiscard]] std::string_view expose_text() const noexcept {
    const auto bytes = chars.expose();
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};  // NOLINT
  }
};

[[nodiscard]] inline secret_hex hex_encode_secret(byte_span secret) {
  secret_hex text{secret_bytes{hex_encoded_size(secret.size())}};
  const auto chars = text.chars.expose();
  hex_encode(secret,
             std::span<char>{reinterpret_cast<char*>(chars.data()), chars.size()});  // NOLINT
  return text;
}

struct create_datakey_response {
  std::string key_id;
  secret_hex plain_text;    // DEK, uppercase hex
  std::string cipher_text;  // envelope, uppercase hex
};

struct create_datakey_without_plaintext_response {
  std::string key_id;
  std::string cipher_text;
};

struct encrypt_datakey_response {
  std::string key_id;
  std::string cipher_text;
  std::size_t datakey_length = 0;  // DEK bytes
};

struct decrypt_datakey_response {
  secret_hex data_key;
  std::size_t datakey_length = 0;  // DEK bytes
  std::string datakey_dgst;        // SHA-256 (SM3 for SM4 CMKs) of the DEK, uppercase hex
};

// Seals data keys under one CMK version: derive once, seal many.
template <crypto_backend Backend>
class datakey_sealer {  // NOLINT(bugprone-exception-escape): moves nothing that allocates
 public:
  [[nodiscard]] static result<datakey_sealer> make(Backend& backend, const master_key* cmk) {
    KMSCORE_TRY(check_datakey_master_key(cmk));
    const auto suite = spec_policy(cmk->spec).suite;
    if (!backend.supports(suite)) return errc::kms_error;
    auto key = envelope_key<Backend>::derive(backend, suite, cmk->material_versions.back().expose(),
                                             cmk->key_id, cmk->current_version());
    if (!key) return key.error();
    return datakey_sealer{backend, std::move(*key)};
  }

  // A fresh random DEK of dek_out.size() bytes and its envelope (envelope_size(n) bytes),
  // both in caller buffers. One RNG call draws the DEK and the salt. No heap allocation.
  [[nodiscard]] result<void> create_into(mutable_byte_span dek_out,
                                         const encryption_context& context,
                                         mutable_byte_span envelope_out) noexcept {
    std::array<byte, max_datakey_bytes + envelope_salt_size> draw;  // NOLINT: filled below
    const auto drawn = mutable_byte_span{draw.data(), dek_out.size() + envelope_salt_size};
    auto made = backend_->random_bytes(drawn);
    if (made) made = seal_drawn(drawn, dek_out, context, envelope_out);
    detail::secure_wipe(drawn.data(), drawn.size());
    return made;
  }

  // The response of create-datakey: DEK and envelope as uppercase hex. The DEK and its
  // envelope are made on the stack; only the three response strings are allocated.
  [[nodiscard]] result<create_datakey_response> create(const create_datakey_params& params) {
    std::array<byte, max_datakey_bytes + envelope_salt_size> draw;  // NOLINT: filled below
    const auto drawn = mutable_byte_span{draw.data(), params.datakey_bytes + envelope_salt_size};
    auto made = backend_->random_bytes(drawn);
    auto response = made ? respond(drawn, params) : result<create_datakey_response>{made.error()};
    detail::secure_wipe(drawn.data(), drawn.size());
    return response;
  }

  // count responses; randomness for many keys is drawn in one call (up to 4 KiB at a time).
  [[nodiscard]] result<std::vector<create_datakey_response>> create_many(
      const create_datakey_params& params, std::size_t count) {
    constexpr std::size_t chunk_bytes = 4096;
    const std::size_t per_key = params.datakey_bytes + envelope_salt_size;
    const std::size_t per_draw = per_key > chunk_bytes ? 1 : chunk_bytes / per_key;
    std::array < byte,
        chunk_bytes<max_datakey_bytes + envelope_salt_size ? max_datakey_bytes + envelope_salt_size
                                                           : chunk_bytes>
            draw;  // NOLINT: filled below
    std::vector<create_datakey_response> made;
    made.reserve(count);
    while (made.size() < count) {
      const std::size_t keys = count - made.size() < per_draw ? count - made.size() : per_draw;
      const auto drawn = mutable_byte_span{draw.data(), keys * per_key};
      auto ok = backend_->random_bytes(drawn);
      for (std::size_t k = 0; ok && k < keys; ++k) {
        auto response = respond(drawn.subspan(k * per_key, per_key), params);
        if (!response) {
          ok = response.error();
        } else {
          made.push_back(std::move(*response));
        }
      }
      detail::secure_wipe(drawn.data(), drawn.size());
      if (!ok) return ok.error();
    }
    return made;
  }

  // Seals a caller's DEK.
  [[nodiscard]] result<void> seal_into(byte_span dek, const encryption_context& context,
                                       mutable_byte_span envelope_out) noexcept {
    std::array<byte, envelope_salt_size> salt{};
    KMSCORE_TRY(backend_->random_bytes(salt));
    return key_.seal(*backend_, dek, salt, context, envelope_out);
  }

  [[nodiscard]] const envelope_key<Backend>& key() const noexcept { return key_; }

 private:
  datakey_sealer(Backend& backend, envelope_key<Backend> key)
      : backend_{&backend}, key_{std::move(key)} {}

  // drawn = DEK || salt (fresh randomness); writes the DEK to dek_out and seals it.
  [[nodiscard]] result<void> seal_drawn(byte_span drawn, mutable_byte_span dek_out,
                                        const encryption_context& context,
                                        mutable_byte_span envelope_out) noexcept {
    const auto dek = drawn.first(dek_out.size());
    std::copy(dek.begin(), dek.end(), dek_out.begin());
    auto sealed =
        key_.seal(*backend_, dek, drawn.subspan(dek.size()).template first<envelope_salt_size>(),
                  context, envelope_out);
    if (!sealed) detail::secure_wipe(dek_out.data(), dek_out.size());
    return sealed;
  }

  [[nodiscard]] result<create_datakey_response> respond(byte_span drawn,
                                                        const create_datakey_params& params) {
    const auto dek = drawn.first(params.datakey_bytes);
    std::array<byte, max_datakey_envelope_size> envelope;  // NOLINT: filled by seal
    const auto blob = mutable_byte_span{envelope.data(), envelope_size(dek.size())};
    KMSCORE_TRY(key_.seal(*backend_, dek,
                          drawn.subspan(dek.size()).template first<envelope_salt_size>(),
                          params.context, blob));
    return create_datakey_response{key_.key_id_string(), hex_encode_secret(dek), hex_encode(blob)};
  }

  Backend* backend_;
  envelope_key<Backend> key_;
};

template <crypto_backend Backend>
[[nodiscard]] result<create_datakey_response> create_datakey(Backend& backend,
                                                             const master_key* cmk,
                                                             const create_datakey_params& params) {
  auto sealer = datakey_sealer<Backend>::make(backend, cmk);
  if (!sealer) return sealer.error();
  return sealer->create(params);
}

template <crypto_backend Backend>
[[nodiscard]] result<create_datakey_without_plaintext_response> create_datakey_without_plaintext(
    Backend& backend, const master_key* cmk, const create_datakey_params& params) {
  // The DEK is made and wiped here: it is never hex-encoded, since nobody receives it.
  auto sealer = datakey_sealer<Backend>::make(backend, cmk);
  if (!sealer) return sealer.error();
  secret_bytes dek{params.datakey_bytes};
  std::vector<byte> envelope(envelope_size(params.datakey_bytes));
  KMSCORE_TRY(sealer->create_into(dek.expose(), params.context, envelope));
  return create_datakey_without_plaintext_response{cmk->key_id, hex_encode(envelope)};
}

// N data keys in one call: one key derivation, randomness for many keys per RNG call.
template <crypto_backend Backend>
[[nodiscard]] result<std::vector<create_datakey_response>> create_datakeys(
    Backend& backend, const master_key* cmk, const create_datakey_params& params,
    std::size_t count) {
  auto sealer = datakey_sealer<Backend>::make(backend, cmk);
  if (!sealer) return sealer.error();
  return sealer->create_many(params, count);
}

namespace detail {
template <crypto_backend Backend>
[[nodiscard]] result<void> datakey_digest(Backend& backend, key_spec spec, byte_span dek,
                                          digest_out out) noexcept {
  const std::array<byte_span, 1> pieces{dek};
  return backend.digest(suite_hash(spec_policy(spec).suite), pieces, out);
}
}  // namespace detail

template <crypto_backend Backend>
[[nodiscard]] result<encrypt_datakey_response> encrypt_datakey(
    Backend& backend, const master_key* cmk, const encrypt_datakey_params& params) {
  auto sealer = datakey_sealer<Backend>::make(backend, cmk);
  if (!sealer) return sealer.error();
  const auto plain = params.plain.expose();
  const auto dek = plain.first(params.datakey_bytes);
  secret_array<digest_size> digest;
  KMSCORE_TRY(detail::datakey_digest(backend, cmk->spec, dek, digest.expose()));
  if (!constant_time_equal(digest.expose(), plain.subspan(params.datakey_bytes))) {
    return errc::dek_hash_mismatch;
  }
  std::vector<byte> envelope(envelope_size(params.datakey_bytes));
  KMSCORE_TRY(sealer->seal_into(dek, params.context, envelope));
  return encrypt_datakey_response{cmk->key_id, hex_encode(envelope), params.datakey_bytes};
}

template <crypto_backend Backend>
[[nodiscard]] result<decrypt_datakey_response> decrypt_datakey(
    Backend& backend, const master_key* cmk, const decrypt_datakey_params& params) {
  // Field-level checks of the envelope come first (api.md: fields, then key, then crypto).
  auto view = parse_envelope(params.envelope);
  if (!view) return view.error();
  if (view->suite() == envelope_suite::none || view->key_id != params.key_id) {
    return errc::invalid_cipher_text;  // the service's version 2 cannot be decrypted here
  }
  if (view->datakey_bytes() != params.datakey_bytes) return errc::cipher_text_length_mismatch;
  KMSCORE_TRY(check_datakey_master_key(cmk));
  const auto suite = spec_policy(cmk->spec).suite;
  if (view->suite() != suite) return errc::invalid_cipher_text;
  if (!backend.supports(suite)) return errc::kms_error;
  if (view->key_version >= cmk->material_versions.size()) return errc::decrypt_failed;
  auto key = envelope_key<Backend>::derive(backend, suite,
                                           cmk->material_versions[view->key_version].expose(),
                                           cmk->key_id, view->key_version);
  if (!key) return key.error();
  secret_bytes dek{params.datakey_bytes};
  KMSCORE_TRY(key->open(backend, *view, params.context, dek.expose()));
  std::array<byte, digest_size> digest{};
  KMSCORE_TRY(detail::datakey_digest(backend, cmk->spec, dek.expose(), digest));
  return decrypt_datakey_response{hex_encode_secret(dek.expose()), params.datakey_bytes,
                                  hex_encode(digest)};
}

}  // namespace kmscore
