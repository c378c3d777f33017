// kmscore/detail/der.hpp: the few DER structures kmscore writes (EC keys in PKCS#8 and
// X.509 SubjectPublicKeyInfo). Lengths are computed first, then bytes written straight into
// the destination (a zeroizing buffer for private keys): no intermediate copies of secrets.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "../bytes.hpp"

namespace kmscore::detail {

[[nodiscard]] constexpr std::size_t der_length_size(std::size_t length) noexcept {
  return length < 0x80 ? 1 : length < 0x100 ? 2 : 3;  // structures here stay below 64 KiB
}
[[nodiscard]] constexpr std::size_t der_size(std::size_t content) noexcept {
  return 1 + der_length_size(content) + content;
}

// Appends DER into a fixed-size span, tracking the position.
class der_writer {
 public:
  explicit der_writer(mutable_byte_span out) noexcept : out_{out} {}

  void header(byte tag, std::size_t length) noexcept {
    put(tag);
    if (length >= 0x100) {
      put(0x82);
      put(static_cast<byte>(length >> 8U));
    } else if (length >= 0x80) {
      put(0x81);
    }
    put(static_cast<byte>(length & 0xFFU));
  }
  void bytes(byte_span data) noexcept {
    for (const byte b : data) put(b);
  }
  void put(byte b) noexcept { out_[at_++] = b; }
  [[nodiscard]] std::size_t written() const noexcept { return at_; }

 private:
  mutable_byte_span out_;
  std::size_t at_ = 0;
};

// DER of the OIDs used (content bytes only); the curves' own are key_spec.hpp's.
inline constexpr byte oid_ec_public_key[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
inline constexpr byte der_integer_0[] = {0x02, 0x01, 0x00};
inline constexpr byte der_integer_1[] = {0x02, 0x01, 0x01};

[[nodiscard]] constexpr std::size_t ec_algorithm_size(std::size_t curve_oid) noexcept {
  return der_size(der_size(sizeof oid_ec_public_key) + der_size(curve_oid));
}
inline void write_ec_algorithm(der_writer& w, byte_span curve_oid) noexcept {
  w.header(0x30, der_size(sizeof oid_ec_public_key) + der_size(curve_oid.size()));
  w.header(0x06, sizeof oid_ec_public_key);
  w.bytes(oid_ec_public_key);
  w.header(0x06, curve_oid.size());
  w.bytes(curve_oid);
}

// SubjectPublicKeyInfo { AlgorithmIdentifier { id-ecPublicKey, curve }, BIT STRING point }.
[[nodiscard]] inline std::vector<byte> ec_public_key_info(byte_span curve_oid, byte_span point) {
  const std::size_t bits = der_size(point.size() + 1);
  const std::size_t body = ec_algorithm_size(curve_oid.size()) + bits;
  std::vector<byte> out(der_size(body));
  der_writer w{out};
  w.header(0x30, body);
  write_ec_algorithm(w, curve_oid);
  w.header(0x03, point.size() + 1);
  w.put(0);  // no unused bits
  w.bytes(point);
  return out;
}

// Size of the PKCS#8 PrivateKeyInfo written by write_ec_private_key_info.
[[nodiscard]] constexpr std::size_t ec_private_key_info_size(std::size_t curve_oid,
                                                             std::size_t scalar,
                                                             std::size_t point) noexcept {
  const std::size_t public_key = der_size(der_size(point + 1));  // [1] { BIT STRING }
  const std::size_t ec_private_key = der_size(3 + der_size(scalar) + public_key);
  return der_size(3 + ec_algorithm_size(curve_oid) + der_size(ec_private_key));
}

// PrivateKeyInfo { 0, AlgorithmIdentifier, OCTET STRING ECPrivateKey { 1, OCTET STRING d,
// [1] BIT STRING point } } (RFC 5208, RFC 5915). out must be exactly the size above.
inline void write_ec_private_key_info(byte_span curve_oid, byte_span scalar, byte_span point,
                                      mutable_byte_span out) noexcept {
  const std::size_t public_key_body = der_size(point.size() + 1);
  const std::size_t ec_body = 3 + der_size(scalar.size()) + der_size(public_key_body);
  const std::size_t body = 3 + ec_algorithm_size(curve_oid.size()) + der_size(der_size(ec_body));
  der_writer w{out};
  w.header(0x30, body);
  w.bytes(der_integer_0);
  write_ec_algorithm(w, curve_oid);
  w.header(0x04, der_size(ec_body));
  w.header(0x30, ec_body);
  w.bytes(der_integer_1);
  w.header(0x04, scalar.size());
  w.bytes(scalar);
  w.header(0xA1, public_key_body);
  w.header(0x03, point.size() + 1);
  w.put(0);
  w.bytes(point);
}

}  // namespace kmscore::detail
