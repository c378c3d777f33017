// kmscore/actions/decrypt_datakey.hpp: decrypt-datakey (api.md).
//
// validate() decodes and parses the envelope (its framing, its key_id against the request's,
// its DEK length against datakey_cipher_length); the operation then applies the CMK checks,
// the suite, the minimum decryption version, and the crypto.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../datakey.hpp"
#include "common.hpp"

namespace kmscore {

struct decrypt_datakey_request {
  optional_field key_id;
  optional_field cipher_text;  // hex of the envelope, either case
  optional_field datakey_cipher_length;
  context_field encryption_context;
  optional_field sequence;
  // Not a wire field: key_id was an alias or URN that names no key (resolve_key_references,
  // api-metadata.md §6), so the envelope is compared with no key and the lookup answers
  // KMS.0207.
  bool key_id_unresolved = false;

  static constexpr auto fields() {
    using r = decrypt_datakey_request;
    return field_table(field{"key_id", &r::key_id}, field{"cipher_text", &r::cipher_text},
                       field{"datakey_cipher_length", &r::datakey_cipher_length},
                       field{"encryption_context", &r::encryption_context},
                       field{"sequence", &r::sequence});
  }
};

// The decoded envelope, parsed: its framing, its key_id (the request's) and its DEK length
// (the request's) are checked. The envelope's bytes live in the params (no heap); moving
// copies them and points the parsed view at the copy.
class decrypt_datakey_params {
 public:
  decrypt_datakey_params(const decrypt_datakey_params&) = delete;
  decrypt_datakey_params& operator=(const decrypt_datakey_params&) = delete;
  decrypt_datakey_params(decrypt_datakey_params&& other) noexcept
      : key_id_{other.key_id_},
        size_{other.size_},
        blob_size_{other.blob_size_},
        context_{std::move(other.context_)},
        sequence_{std::move(other.sequence_)} {
    std::copy_n(other.blob_.begin(), blob_size_, blob_.begin());
    if (other.view_) view_ = other.view_->rebased(blob());
  }
  decrypt_datakey_params& operator=(decrypt_datakey_params&&) = delete;
  ~decrypt_datakey_params() = default;

  // Only validate() holds the key to this constructor.
  class made_by_validate {
    explicit made_by_validate() = default;
    friend result<decrypt_datakey_params> validate(const decrypt_datakey_request& request);
  };
  // blob: at most max_datakey_envelope_size bytes (validate checks it first).
  decrypt_datakey_params(made_by_validate /*key*/, const kmscore::key_id& id, datakey_size size,
                         byte_span blob) noexcept
      : key_id_{id}, size_{size}, blob_size_{blob.size()} {
    std::copy(blob.begin(), blob.end(), blob_.begin());
  }

  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] datakey_size size() const noexcept { return size_; }
  [[nodiscard]] const envelope_view& envelope() const noexcept { return *view_; }
  [[nodiscard]] const encryption_context& context() const noexcept { return context_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<decrypt_datakey_params> validate(const decrypt_datakey_request& request);
  [[nodiscard]] byte_span blob() const noexcept { return byte_span{blob_}.first(blob_size_); }

  kmscore::key_id key_id_;
  datakey_size size_;
  std::size_t blob_size_;
  // Only the first blob_size_ bytes are ever read, each written first: left uninitialised.
  std::array<byte, max_datakey_envelope_size> blob_;  // NOLINT(*-member-init)
  std::optional<envelope_view> view_;
  encryption_context context_;
  optional_field sequence_;
};

[[nodiscard]] inline result<decrypt_datakey_params> validate(
    const decrypt_datakey_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  if (!request.cipher_text) return error{errc::missing_parameter, "cipher_text"};
  const std::string_view hex = *request.cipher_text;
  // Nothing longer than the largest data-key envelope can be one: refused before decoding.
  if (hex.empty() || hex.size() > hex_encoded_size(max_datakey_envelope_size) ||
      hex.size() % 2 != 0) {
    return errc::invalid_cipher_text;
  }
  std::array<byte, max_datakey_envelope_size> decoded;  // NOLINT(*-member-init): written next
  const auto blob = mutable_byte_span{decoded}.first(hex.size() / 2);
  if (!hex_decode(hex, blob)) return errc::invalid_cipher_text;  // one pass checks and decodes
  if (!request.datakey_cipher_length) {
    return error{errc::missing_parameter, "datakey_cipher_length"};
  }
  KMSCORE_TRY_ASSIGN(const auto size, parse_datakey_bytes(*request.datakey_cipher_length,
                                                          errc::invalid_datakey_cipher_length));
  // Made in place in the result: the envelope's bytes are copied once.
  result<decrypt_datakey_params> made{std::in_place, decrypt_datakey_params::made_by_validate{}, id,
                                      size, blob};
  auto& params = *made;
  KMSCORE_TRY_ASSIGN(params.context_, detail::check_optional_context(request.encryption_context));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  params.sequence_ = request.sequence;
  // The envelope's own checks close the field checks (api.md: fields, then key, then crypto).
  KMSCORE_TRY_ASSIGN(params.view_, parse_envelope(params.blob()));
  if (params.view_->suite() == envelope_suite::none ||
      (params.view_->key_id() != id && !request.key_id_unresolved)) {
    return errc::invalid_cipher_text;  // the service's version 2 cannot be decrypted here
  }
  if (params.view_->datakey_bytes() != size.bytes()) return errc::cipher_text_length_mismatch;
  return made;
}

// decrypt-datakey with an opener already made (and its CMK checks passed): the suite, the
// minimum decryption version, then the crypto.
template <crypto_backend Backend, class Opener>
[[nodiscard]] result<decrypt_datakey_response> decrypt_datakey_with(
    Backend& backend, const master_key& cmk, Opener& opener, const decrypt_datakey_params& params) {
  const auto& view = params.envelope();
  if (!opener.matches_suite(view)) return errc::invalid_cipher_text;
  if (view.key_version() < cmk.min_decryption_version) return errc::below_min_decryption_version;
  // The DEK on the stack (no allocation per call), wiped whatever the path.
  std::array<byte, max_datakey_bytes> opened;
  const auto dek = mutable_byte_span{opened}.first(params.size().bytes());
  const detail::wipe_on_exit wipe_dek{dek.data(), dek.size()};
  KMSCORE_TRY(detail::open_with(opener, view, params.context(), dek));
  std::array<byte, digest_size> digest{};
  KMSCORE_TRY(detail::datakey_digest(backend, cmk.spec, dek, digest));
  return decrypt_datakey_response{dek, params.size(), digest};
}

template <crypto_backend Backend>
[[nodiscard]] result<decrypt_datakey_response> decrypt_datakey(
    Backend& backend, const master_key& cmk, const decrypt_datakey_params& params) {
  KMSCORE_TRY_ASSIGN(auto opener, datakey_opener<Backend>::make(backend, cmk));
  return decrypt_datakey_with(backend, cmk, opener, params);
}

namespace actions {
struct decrypt_datakey {
  static constexpr std::string_view name = "decrypt-datakey";
  using request = decrypt_datakey_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&decrypt_datakey_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<decrypt_datakey_response> run(kms_service<Backend>& service,
                                                            const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    return service.with_key(params.key_id(), kms_service<Backend>::key_needs::opener, now_ms,
                            [&](const auto& key) -> result<decrypt_datakey_response> {
                              if (!key.opener) return key.opener.error();
                              return kmscore::decrypt_datakey_with(
                                  service.backend(), key.record->key, *key.opener, params);
                            });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const decrypt_datakey_response& made) {
    const auto length = std::to_string(made.size().bytes());
    return detail::render_plain_object({{"data_key", made.expose_data_key()},
                                        {"datakey_length", length},
                                        {"datakey_dgst", made.datakey_dgst()}});
  }
};
}  // namespace actions

}  // namespace kmscore
