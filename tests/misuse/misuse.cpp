// Code that must not compile: each KMSCORE_MISUSE=N block is a misuse the types forbid.
// run.sh compiles this file with N=0 (the correct uses; must compile) and with each N>0
// (must fail), so every refusal is shown against a baseline that differs by one block.
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/kmscore.hpp>

#include <array>
#include <utility>
#include <vector>

#ifndef KMSCORE_MISUSE
#error "define KMSCORE_MISUSE"
#endif

int main() {
  kmscore::backend::cryptopp backend;
  kmscore::master_key cmk;
  kmscore::create_datakey_request request;
  request.key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
  request.datakey_length = "512";
  auto params = kmscore::validate(request);
  if (!params) return 1;
  // The correct uses, present in every variant.
  auto made = kmscore::create_datakey(backend, cmk, *params);
  (void)made;
  auto key = kmscore::envelope_key<kmscore::backend::cryptopp>::derive(
      backend, kmscore::envelope_suite::aes256_gcm_hmac_sha256, std::vector<kmscore::byte>(32),
      params->key_id(), 0);
  std::vector<kmscore::byte> dek(64);
  std::vector<kmscore::byte> out(kmscore::envelope_size(dek.size()));
  if (key) (void)key->seal(backend, dek, params->context(), out);
  kmscore::memory_key_store store;
  const auto tenant = kmscore::project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c");
  if (!tenant) return 1;
  kmscore::kms_service service{backend, store, kmscore::project{*tenant, "d"}};
  (void)store.find(*tenant, params->key_id());
  (void)service.run<kmscore::actions::describe_key>(kmscore::key_id_request{}, 1);
  (void)service.run<kmscore::actions::create_key>(kmscore::create_key_request{}, 1);

#if KMSCORE_MISUSE == 1  // a params value made outside validate()
  kmscore::create_datakey_params forged;
#elif KMSCORE_MISUSE == 2   // a params value built field by field
  kmscore::create_datakey_params forged{params->key_id(), params->size(), params->context(), {}};
#elif KMSCORE_MISUSE == 3   // the size of a validated value changed afterwards
  params->size_ = *kmscore::datakey_size::from_bytes(1024);
#elif KMSCORE_MISUSE == 4   // a data-key size outside 1..1024 bytes
  kmscore::datakey_size forged{4000};
#elif KMSCORE_MISUSE == 5   // the CMK as a pointer
  auto forged = kmscore::create_datakey(backend, &cmk, *params);
#elif KMSCORE_MISUSE == 6   // "no key" as a null CMK
  auto forged = kmscore::create_datakey(backend, nullptr, *params);
#elif KMSCORE_MISUSE == 7   // a caller-chosen (reusable) salt
  const std::array<kmscore::byte, kmscore::envelope_salt_size> salt{};
  auto forged = key->seal(backend, dek, salt, params->context(), out);
#elif KMSCORE_MISUSE == 8   // an encrypt-datakey value made outside validate()
  kmscore::encrypt_datakey_params forged;
#elif KMSCORE_MISUSE == 9   // a decrypt-datakey value made outside validate()
  kmscore::decrypt_datakey_params forged;
#elif KMSCORE_MISUSE == 10  // a parsed envelope made outside parse_envelope()
  kmscore::envelope_view forged;
#elif KMSCORE_MISUSE == 11  // a key_id from unchecked text
  kmscore::key_id forged = std::string{"not an id"};
#elif KMSCORE_MISUSE == 12  // decrypt params copied (the parsed view points into its own bytes)
  kmscore::decrypt_datakey_request decrypt;
  auto parsed = kmscore::validate(decrypt);
  kmscore::decrypt_datakey_params forged = *parsed;
#elif KMSCORE_MISUSE == 13  // an action run without the clock (a gone key would be found)
  auto forged = service.run<kmscore::actions::describe_key>(kmscore::key_id_request{});
#elif KMSCORE_MISUSE == 14  // a project's id as unchecked text, where a store wants the type
  auto forged = store.find("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c", params->key_id());
#elif KMSCORE_MISUSE != 0
#error "unknown misuse"
#endif
  return 0;
}
