// kmscore/actions/create_datakey.hpp: create-datakey (api.md).
//
//   auto params = kmscore::validate(request, policy);           // result<create_datakey_params>
//   auto made = kmscore::create_datakey(backend, cmk, *params); // cmk: const master_key&
//   made->expose_plain_text();        // uppercase hex of the DEK (secret)
//   made->cipher_text();              // uppercase hex of its envelope
//
// The data-key machinery (sealer, opener) is datakey.hpp's; this file is the action.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "../datakey.hpp"
#include "common.hpp"

namespace kmscore {

// create-datakey and create-datakey-without-plaintext.
struct create_datakey_request {
  optional_field key_id;
  optional_field datakey_length;
  optional_field key_spec;
  context_field encryption_context;
  optional_field sequence;

  static constexpr auto fields() {
    using r = create_datakey_request;
    return field_table(field{"key_id", &r::key_id}, field{"datakey_length", &r::datakey_length},
                       field{"key_spec", &r::key_spec},
                       field{"encryption_context", &r::encryption_context},
                       field{"sequence", &r::sequence});
  }
};

class create_datakey_params;
[[nodiscard]] inline result<create_datakey_params> validate(
    const create_datakey_request& request,
    datakey_length_policy policy = datakey_length_policy::range);

class create_datakey_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] datakey_size size() const noexcept { return size_; }
  [[nodiscard]] const encryption_context& context() const noexcept { return context_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<create_datakey_params> validate(const create_datakey_request& request,
                                                datakey_length_policy policy);
  create_datakey_params(const kmscore::key_id& id, datakey_size size, encryption_context context,
                        optional_field sequence)
      : key_id_{id}, size_{size}, context_{std::move(context)}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  datakey_size size_;
  encryption_context context_;
  optional_field sequence_;
};

inline result<create_datakey_params> validate(const create_datakey_request& request,
                                              datakey_length_policy policy) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  std::optional<datakey_size> size;
  if (request.datakey_length) {
    KMSCORE_TRY_ASSIGN(size, parse_datakey_length(*request.datakey_length, policy));
  } else if (!request.key_spec) {
    return error{errc::missing_parameter, "datakey_length"};
  }
  if (request.key_spec) {
    KMSCORE_TRY_ASSIGN(const auto spec, check_datakey_spec(*request.key_spec));
    if (!size) size = datakey_size::of(spec);  // datakey_length wins if both
  }
  KMSCORE_TRY_ASSIGN(auto context, detail::check_optional_context(request.encryption_context));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return create_datakey_params{id, *size, std::move(context), request.sequence};
}

template <crypto_backend Backend>
[[nodiscard]] result<create_datakey_response> create_datakey(Backend& backend,
                                                             const master_key& cmk,
                                                             const create_datakey_params& params) {
  KMSCORE_TRY_ASSIGN(auto sealer, datakey_sealer<Backend>::make(backend, cmk));
  return sealer.create(params.size(), params.context());
}

// count (1..max_datakey_batch) data keys in one call: one key derivation, randomness for
// many keys per RNG call.
template <crypto_backend Backend>
[[nodiscard]] result<std::vector<create_datakey_response>> create_datakeys(
    Backend& backend, const master_key& cmk, const create_datakey_params& params,
    std::size_t count) {
  KMSCORE_TRY_ASSIGN(auto sealer, datakey_sealer<Backend>::make(backend, cmk));
  return sealer.create_many(params.size(), params.context(), count);
}

namespace actions {
struct create_datakey {
  static constexpr std::string_view name = "create-datakey";
  using request = create_datakey_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&create_datakey_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<create_datakey_response> run(kms_service<Backend>& service,
                                                           const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r, service.policy()));
    return service.with_key(
        params.key_id(), kms_service<Backend>::key_needs::sealer, now_ms, [&](const auto& key) {
          return key.sealer ? key.sealer->create(params.size(), params.context())
                            : key.sealer.error();
        });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const create_datakey_response& made) {
    return detail::render_plain_object({{"key_id", made.key_id().view()},
                                        {"plain_text", made.expose_plain_text()},
                                        {"cipher_text", made.cipher_text()}});
  }
};
}  // namespace actions

}  // namespace kmscore
