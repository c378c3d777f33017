// kmscore/actions/create_datakey_without_plaintext.hpp: create-datakey-without-plaintext
// (api.md): create-datakey's request and checks; only the envelope is answered.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "create_datakey.hpp"

namespace kmscore {

// With a sealer already made (and its CMK checks passed): also the cached path (key_cache).
template <crypto_backend Backend>
[[nodiscard]] result<create_datakey_without_plaintext_response>
create_datakey_without_plaintext_with(const datakey_sealer<Backend>& sealer,
                                      const create_datakey_params& params) {
  // The DEK is made and wiped here: it is never hex-encoded, since nobody receives it.
  secret_bytes dek{params.size().bytes()};
  std::vector<byte> envelope(envelope_size(params.size().bytes()));
  KMSCORE_TRY(sealer.create_into(dek.expose(), params.context(), envelope));
  return create_datakey_without_plaintext_response{sealer.key().key_id(), hex_encode(envelope)};
}

template <crypto_backend Backend>
[[nodiscard]] result<create_datakey_without_plaintext_response> create_datakey_without_plaintext(
    Backend& backend, const master_key& cmk, const create_datakey_params& params) {
  KMSCORE_TRY_ASSIGN(auto sealer, datakey_sealer<Backend>::make(backend, cmk));
  return create_datakey_without_plaintext_with(sealer, params);
}

namespace actions {
struct create_datakey_without_plaintext {
  static constexpr std::string_view name = "create-datakey-without-plaintext";
  using request = create_datakey_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&create_datakey_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<create_datakey_without_plaintext_response> run(
      kms_service<Backend>& service, const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r, service.policy()));
    return service.with_key(
        params.key_id(), kms_service<Backend>::key_needs::sealer, now_ms,
        [&](const auto& key) -> result<create_datakey_without_plaintext_response> {
          if (!key.sealer) return key.sealer.error();
          return kmscore::create_datakey_without_plaintext_with(*key.sealer, params);
        });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const create_datakey_without_plaintext_response& made) {
    return detail::render_plain_object(
        {{"key_id", made.key_id.view()}, {"cipher_text", made.cipher_text}});
  }
};
}  // namespace actions

}  // namespace kmscore
