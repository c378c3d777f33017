// Test support: Base64 by OpenSSL (EVP_EncodeBlock), the independent reference the tests
// build request fields with, never the library under test.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <span>
#include <string>

#include <kmscore/bytes.hpp>

namespace kmscore_test {

inline std::string openssl_base64(std::span<const kmscore::byte> in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), in.data(),
                                      static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace kmscore_test
