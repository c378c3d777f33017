// Test support: public-key encryption by OpenSSL itself (the client's side of RSA-OAEP and SM2
// in asymmetric_json_test and import_test), independent of the backends under test.
#pragma once

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace kmscore_test {

// `plain` encrypted to `key`: RSAES-OAEP with `oaep_md` and MGF1 over `mgf1_md`, or, with no
// `oaep_md`, the key's own scheme (SM2 encryption for an SM2 key).
inline std::vector<std::uint8_t> openssl_encrypt(EVP_PKEY* key,
                                                 const std::vector<std::uint8_t>& plain,
                                                 const EVP_MD* oaep_md = nullptr,
                                                 const EVP_MD* mgf1_md = nullptr) {
  struct ctx_free {
    void operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
  };
  const std::unique_ptr<EVP_PKEY_CTX, ctx_free> ctx{
      EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr)};
  EXPECT_TRUE(ctx && EVP_PKEY_encrypt_init(ctx.get()) == 1);
  if (oaep_md != nullptr) {
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING), 1);
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), oaep_md), 1);
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), mgf1_md), 1);
  }
  std::size_t size = 0;
  EXPECT_EQ(EVP_PKEY_encrypt(ctx.get(), nullptr, &size, plain.data(), plain.size()), 1);
  std::vector<std::uint8_t> out(size);
  EXPECT_EQ(EVP_PKEY_encrypt(ctx.get(), out.data(), &size, plain.data(), plain.size()), 1);
  out.resize(size);
  return out;
}

}  // namespace kmscore_test
