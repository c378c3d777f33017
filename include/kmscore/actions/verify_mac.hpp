// kmscore/actions/verify_mac.hpp: verify-mac (api-import-mac.md section 7). A well-formed mac
// of the wrong length or value is a 200 answering false (a JSON boolean, unlike verify's
// string); the comparison is constant-time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../hex.hpp"
#include "../mac.hpp"
#include "common.hpp"

namespace kmscore {

struct verify_mac_request {
  optional_field key_id;
  optional_field mac_algorithm;
  optional_field message;
  optional_field mac;
  optional_field sequence;

  static constexpr auto fields() {
    using r = verify_mac_request;
    return field_table(field{"key_id", &r::key_id}, field{"mac_algorithm", &r::mac_algorithm},
                       field{"message", &r::message}, field{"mac", &r::mac},
                       field{"sequence", &r::sequence});
  }
};

// "hex digits of either case, even length, 2-256 characters".
inline constexpr std::size_t min_mac_hex_chars = 2;
inline constexpr std::size_t max_mac_hex_chars = 256;

class verify_mac_params : public mac_params {
 public:
  [[nodiscard]] byte_span mac() const noexcept { return std::span{mac_}.first(mac_size_); }

 private:
  friend result<verify_mac_params> validate(const verify_mac_request& request);
  verify_mac_params() = default;
  std::array<byte, max_mac_hex_chars / 2> mac_{};
  std::size_t mac_size_ = 0;
};

[[nodiscard]] inline result<verify_mac_params> validate(const verify_mac_request& request) {
  verify_mac_params params;
  KMSCORE_TRY(params.read_fields(request));
  if (!request.mac) return error{errc::missing_parameter, "mac"};
  const std::string_view hex = *request.mac;
  if (hex.size() < min_mac_hex_chars || hex.size() > max_mac_hex_chars ||
      !hex_decode(hex, std::span{params.mac_}.first(hex.size() / 2))) {
    return error{errc::invalid_parameter, "mac"};
  }
  params.mac_size_ = hex.size() / 2;
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return params;
}

struct verify_mac_response {
  kmscore::key_id key_id;
  mac_algorithm algorithm = mac_algorithm::none;
  bool mac_valid = false;
};

namespace actions {
struct verify_mac {
  static constexpr std::string_view name = "verify-mac";
  using request = verify_mac_request;
  // May name the key by alias or URN (api-metadata.md §6).
  static constexpr std::array key_references{&verify_mac_request::key_id};

  template <crypto_backend Backend>
  [[nodiscard]] static result<verify_mac_response> run(kms_service<Backend>& service,
                                                       const request& r, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(r));
    KMSCORE_TRY_ASSIGN(const auto record, service.find_existing(params.key_id(), now_ms));
    KMSCORE_TRY_ASSIGN(const bool valid,
                       kmscore::verify_mac(service.backend(), record, params, params.mac()));
    return verify_mac_response{record.key.key_id, params.algorithm(), valid};
  }

  template <class Json>
  [[nodiscard]] static http_response render(const verify_mac_response& made) {
    return detail::respond_json(Json{{"key_id", made.key_id.view()},
                                     {"mac_algorithm", to_string(made.algorithm)},
                                     {"mac_valid", made.mac_valid}});
  }
};
}  // namespace actions

}  // namespace kmscore
