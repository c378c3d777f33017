// kmscore/actions/encrypt_datakey.hpp: encrypt-datakey (api.md): the caller's DEK, checked
// against the digest it claims, sealed under the CMK.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../datakey.hpp"
#include "common.hpp"

namespace kmscore {

// Size of the digest that encrypt-datakey's plain_text carries after the DEK (SHA-256/SM3).
inline constexpr std::size_t datakey_digest_size = digest_size;

struct encrypt_datakey_request {
  optional_field key_id;
  optional_secret_field plain_text;  // hex(DEK) || hex(digest of DEK): secret, wiped
  optional_field datakey_plain_length;
  context_field encryption_context;
  optional_field sequence;

  static constexpr auto fields() {
    using r = encrypt_datakey_request;
    return field_table(field{"key_id", &r::key_id}, field{"plain_text", &r::plain_text},
                       field{"datakey_plain_length", &r::datakey_plain_length},
                       field{"encryption_context", &r::encryption_context},
                       field{"sequence", &r::sequence});
  }
};

class encrypt_datakey_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] datakey_size size() const noexcept { return size_; }
  // The caller's DEK and the digest it claims for it (checked by the operation).
  [[nodiscard]] byte_span dek() const noexcept { return plain_.expose().first(size_.bytes()); }
  [[nodiscard]] std::span<const byte, datakey_digest_size> claimed_digest() const noexcept {
    return plain_.expose().subspan(size_.bytes()).first<datakey_digest_size>();
  }
  [[nodiscard]] const encryption_context& context() const noexcept { return context_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<encrypt_datakey_params> validate(const encrypt_datakey_request& request);
  encrypt_datakey_params(const kmscore::key_id& id, datakey_size size, secret_bytes plain)
      : key_id_{id}, size_{size}, plain_{std::move(plain)} {}

  kmscore::key_id key_id_;
  datakey_size size_;
  secret_bytes plain_;  // DEK followed by its digest, decoded: size_ + 32 bytes
  encryption_context context_;
  optional_field sequence_;
};

[[nodiscard]] inline result<encrypt_datakey_params> validate(
    const encrypt_datakey_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.plain_text) return error{errc::missing_parameter, "plain_text"};
  const std::string_view hex = *request.plain_text;
  if (hex.empty() || !hex_valid(hex)) return errc::invalid_plain_text;
  if (!request.datakey_plain_length) return error{errc::missing_parameter, "datakey_plain_length"};
  KMSCORE_TRY_ASSIGN(const auto size, parse_datakey_bytes(*request.datakey_plain_length,
                                                          errc::invalid_datakey_plain_length));
  // Sizes are settled before anything is allocated for the secret.
  if (hex.size() != hex_encoded_size(size.bytes() + datakey_digest_size)) {
    return errc::plain_text_length_mismatch;
  }
  encrypt_datakey_params params{id, size, secret_bytes{hex.size() / 2}};
  if (!hex_decode(hex, params.plain_.expose())) return errc::invalid_plain_text;
  KMSCORE_TRY_ASSIGN(params.context_, detail::check_optional_context(request.encryption_context));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  return params;
}

// With a sealer already made (and its CMK checks passed): also the cached path (key_cache).
template <crypto_backend Backend>
[[nodiscard]] result<encrypt_datakey_response> encrypt_datakey_with(
    Backend& backend, key_spec spec, const datakey_sealer<Backend>& sealer,
    const encrypt_datakey_params& params) {
  secret_array<digest_size> digest;
  KMSCORE_TRY(detail::datakey_digest(backend, spec, params.dek(), digest.expose()));
  if (!constant_time_equal(digest.expose(), params.claimed_digest())) {
    return errc::dek_hash_mismatch;
  }
  std::vector<byte> envelope(envelope_size(params.size().bytes()));
  KMSCORE_TRY(sealer.seal_into(params.dek(), params.context(), envelope));
  return encrypt_datakey_response{sealer.key().key_id(), hex_encode(envelope), params.size()};
}

template <crypto_backend Backend>
[[nodiscard]] result<encrypt_datakey_response> encrypt_datakey(
    Backend& backend, const master_key& cmk, const encrypt_datakey_params& params) {
  KMSCORE_TRY_ASSIGN(auto sealer, datakey_sealer<Backend>::make(backend, cmk));
  return encrypt_datakey_with(backend, cmk.spec, sealer, params);
}

namespace actions {
struct encrypt_datakey {
  static constexpr std::string_view name = "encrypt-datakey";
  using request = encrypt_datakey_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&encrypt_datakey_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<encrypt_datakey_response> run(kms_service<Backend>& service,
                                                            const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    return service.with_key(params.key_id(), kms_service<Backend>::key_needs::sealer, now_ms,
                            [&](const auto& key) -> result<encrypt_datakey_response> {
                              if (!key.sealer) return key.sealer.error();
                              return kmscore::encrypt_datakey_with(
                                  service.backend(), key.record->key.spec, *key.sealer, params);
                            });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const encrypt_datakey_response& made) {
    const auto length = std::to_string(made.size.bytes());
    return detail::render_plain_object({{"key_id", made.key_id.view()},
                                        {"cipher_text", made.cipher_text},
                                        {"datakey_length", length}});
  }
};
}  // namespace actions

}  // namespace kmscore
