// kmscore/actions/re_encrypt_datakey.hpp: re-encrypt-datakey (extension, docs/rotation.md;
// AWS ReEncrypt): an envelope opened and sealed again under the current version of the same
// or another key; the DEK never leaves the library.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decrypt_datakey.hpp"
#include "encrypt_datakey.hpp"

namespace kmscore {

struct re_encrypt_datakey_request {
  optional_field key_id;  // the CMK the envelope names
  optional_field cipher_text;
  optional_field datakey_cipher_length;
  context_field encryption_context;              // the envelope's
  optional_field destination_key_id;             // default: key_id
  context_field destination_encryption_context;  // default: encryption_context
  optional_field sequence;
  bool key_id_unresolved = false;  // not a wire field: as decrypt-datakey's

  static constexpr auto fields() {
    using r = re_encrypt_datakey_request;
    return field_table(field{"key_id", &r::key_id}, field{"cipher_text", &r::cipher_text},
                       field{"datakey_cipher_length", &r::datakey_cipher_length},
                       field{"encryption_context", &r::encryption_context},
                       field{"destination_key_id", &r::destination_key_id},
                       field{"destination_encryption_context", &r::destination_encryption_context},
                       field{"sequence", &r::sequence});
  }
};

// The source as decrypt-datakey validates it, then the destination.
class re_encrypt_datakey_params {
 public:
  [[nodiscard]] const decrypt_datakey_params& source() const noexcept { return source_; }
  [[nodiscard]] const kmscore::key_id& destination_key_id() const noexcept { return destination_; }
  [[nodiscard]] const encryption_context& destination_context() const noexcept {
    return destination_context_;
  }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<re_encrypt_datakey_params> validate(const re_encrypt_datakey_request& request);
  explicit re_encrypt_datakey_params(decrypt_datakey_params source)
      : source_{std::move(source)}, destination_{source_.key_id()} {}

  decrypt_datakey_params source_;
  kmscore::key_id destination_;
  encryption_context destination_context_;
  optional_field sequence_;
};

[[nodiscard]] inline result<re_encrypt_datakey_params> validate(
    const re_encrypt_datakey_request& request) {
  // Source fields, exactly as decrypt-datakey checks them (sequence is the last field here).
  KMSCORE_TRY_ASSIGN(auto source,
                     validate(decrypt_datakey_request{
                         request.key_id, request.cipher_text, request.datakey_cipher_length,
                         request.encryption_context, std::nullopt, request.key_id_unresolved}));
  re_encrypt_datakey_params params{std::move(source)};
  // Destination fields, with the codes of the corresponding source fields.
  if (request.destination_key_id) {
    KMSCORE_TRY_ASSIGN(params.destination_, key_id::parse(*request.destination_key_id));
  }
  if (request.destination_encryption_context) {
    KMSCORE_TRY_ASSIGN(params.destination_context_,
                       encryption_context::make(*request.destination_encryption_context));
  } else {
    params.destination_context_ = params.source_.context();
  }
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  return params;
}

template <crypto_backend Backend>
[[nodiscard]] result<encrypt_datakey_response> re_encrypt_datakey(
    Backend& backend, const master_key& source, const master_key& destination,
    const re_encrypt_datakey_params& params) {
  KMSCORE_TRY_ASSIGN(auto rewrapper,
                     datakey_rewrapper<Backend>::make(backend, source, destination));
  const auto& from = params.source();
  std::vector<byte> envelope(envelope_size(from.size().bytes()));
  KMSCORE_TRY(
      rewrapper.rewrap(from.envelope(), from.context(), params.destination_context(), envelope));
  return encrypt_datakey_response{destination.key_id, hex_encode(envelope), from.size()};
}

// re-encrypt-datakey with an opener (a version's keys derived on first use) and a sealer already
// made, their CMK checks passed: the cached path (key_cache), safe for threads sharing them.
template <crypto_backend Backend>
[[nodiscard]] result<encrypt_datakey_response> re_encrypt_datakey_with(
    const datakey_opener<Backend>& opener, const datakey_sealer<Backend>& sealer,
    const re_encrypt_datakey_params& params) {
  const auto& from = params.source();
  std::vector<byte> envelope(envelope_size(from.size().bytes()));
  KMSCORE_TRY(detail::rewrap_into(opener, sealer, from.envelope(), from.context(),
                                  params.destination_context(), envelope));
  return encrypt_datakey_response{sealer.key().key_id(), hex_encode(envelope), from.size()};
}

namespace actions {
// Every field check, then the source key's checks (decrypt-datakey's), then the
// destination's (create-datakey's).
struct re_encrypt_datakey {
  static constexpr std::string_view name = "re-encrypt-datakey";
  using request = re_encrypt_datakey_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&re_encrypt_datakey_request::key_id,
                                             &re_encrypt_datakey_request::destination_key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<encrypt_datakey_response> run(kms_service<Backend>& service,
                                                            const request& r, std::int64_t now_ms) {
    using response = result<encrypt_datakey_response>;
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    using needs = typename kms_service<Backend>::key_needs;
    const bool same_key = params.destination_key_id() == params.source().key_id();
    return service.with_key(
        params.source().key_id(), same_key ? needs::both : needs::opener, now_ms,
        [&](const auto& source) -> response {
          if (!source.opener) return source.opener.error();
          const auto rewrap = [&](const auto& destination) -> response {
            if (!destination.sealer) return destination.sealer.error();
            return kmscore::re_encrypt_datakey_with(*source.opener, *destination.sealer, params);
          };
          if (same_key) return rewrap(source);
          return service.with_key(params.destination_key_id(), needs::sealer, now_ms, rewrap);
        });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const encrypt_datakey_response& made) {
    return actions::encrypt_datakey::render<Json>(made);
  }
};
}  // namespace actions

}  // namespace kmscore
