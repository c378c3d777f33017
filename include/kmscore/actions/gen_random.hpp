// kmscore/actions/gen_random.hpp: gen-random (api-asymmetric.md section 7).
//
//   auto params = kmscore::validate(request, datakey_length_policy::range);
//   auto made = kmscore::gen_random(backend, *params);   // made->random_data: upper-case hex
//
// random_data_length is in bits, under the same policy switch as datakey_length: any
// multiple of 8 in 8..8192 (range), or only 512 (strict512). The bytes come from the
// backend's RNG (the fork-safe buffer) and are hex-encoded without tables.
#pragma once

#include <cstddef>

#include <cstdint>
#include <string_view>

#include "../crypto.hpp"
#include "../hex.hpp"
#include "common.hpp"

namespace kmscore {

struct gen_random_request {
  optional_field random_data_length;
  optional_field sequence;

  static constexpr auto fields() {
    using r = gen_random_request;
    return field_table(field{"random_data_length", &r::random_data_length},
                       field{"sequence", &r::sequence});
  }
};

class gen_random_params {
 public:
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<gen_random_params> validate(const gen_random_request& request,
                                            datakey_length_policy policy);
  gen_random_params() = default;
  std::size_t bytes_ = 0;
  optional_field sequence_;
};

// Not a number or out of range: KMS.1801 (its documented message names 512 whatever the
// policy); in range but not a multiple of 8: KMS.1802.
[[nodiscard]] inline result<gen_random_params> validate(
    const gen_random_request& request,
    datakey_length_policy policy = datakey_length_policy::range) {
  if (!request.random_data_length) return error{errc::missing_parameter, "random_data_length"};
  const auto bits = detail::parse_decimal(*request.random_data_length, max_datakey_bits);
  if (!bits) return errc::random_length_not_512;
  if (policy == datakey_length_policy::strict512) {
    if (*bits != strict_datakey_bits) return errc::random_length_not_512;
  } else if (*bits < min_datakey_bits || *bits > max_datakey_bits) {
    return errc::random_length_not_512;
  }
  if (*bits % 8 != 0) return errc::random_length_not_multiple;
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  gen_random_params params;
  params.bytes_ = *bits / 8;
  params.sequence_ = request.sequence;
  return params;
}

// The random bytes as upper-case hex, in zeroizing memory (they may become a key).
template <crypto_backend Backend>
[[nodiscard]] result<secret_hex> gen_random(Backend& backend, const gen_random_params& params) {
  secret_bytes random{params.bytes()};
  KMSCORE_TRY(backend.random_bytes(random.expose()));
  return secret_hex::encode(random.expose());
}

namespace actions {
struct gen_random {
  static constexpr std::string_view name = "gen-random";
  using request = gen_random_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<secret_hex> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t /*now_ms: uses no key*/) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r, service.policy()));
    return kmscore::gen_random(service.backend(), params);
  }

  template <class Json>
  [[nodiscard]] static http_response render(const secret_hex& made) {
    return detail::render_plain_object({{"random_data", made.expose_text()}});
  }
};
}  // namespace actions

}  // namespace kmscore
