// kmscore/kmscore.hpp: the whole library but its backends and optional wire layer.
//
// kmscore is a header-only crypto core for a cloud Key Management Service. The headers do
// no I/O: no files, sockets, environment, clock or printing. Time and randomness come from
// the caller or from a backend, which you include yourself. This header needs only the C++20
// standard library. The optional headers, and what each needs:
//
//   kmscore/json.hpp                the JSON wire layer: nlohmann/json (header-only)
//   kmscore/backend/sodium.hpp      libsodium (link kmscore::sodium)
//   kmscore/backend/cryptopp.hpp    Crypto++ (link kmscore::cryptopp)
//   kmscore/backend/combined.hpp    nothing itself: two backends as one
//   kmscore/backend/sodium_cryptopp.hpp  libsodium and Crypto++
//   kmscore/backend/openssl.hpp     OpenSSL 3 libcrypto (link kmscore::openssl): AES-GCM, SHA-256,
//                                   SM3, and the asymmetric algorithms (RSA, ECDSA, SM2)
#pragma once

#include "actions.hpp"
#include "asymmetric.hpp"
#include "base64.hpp"
#include "bytes.hpp"
#include "context.hpp"
#include "create_key.hpp"
#include "crypto.hpp"
#include "datakey.hpp"
#include "datakey_pair.hpp"
#include "diagnostics.hpp"
#include "encrypt_data.hpp"
#include "envelope.hpp"
#include "error.hpp"
#include "fields.hpp"
#include "hex.hpp"
#include "import.hpp"
#include "key_cache.hpp"
#include "key_id.hpp"
#include "key_record.hpp"
#include "key_record_codec.hpp"
#include "key_spec.hpp"
#include "key_store.hpp"
#include "keyring.hpp"
#include "keyring_root.hpp"
#include "mac.hpp"
#include "maintenance.hpp"
#include "master_key.hpp"
#include "percent.hpp"
#include "project_id.hpp"
#include "response.hpp"
#include "result.hpp"
#include "rotation.hpp"
#include "route.hpp"
#include "router.hpp"
#include "seal.hpp"
#include "secret.hpp"
#include "service.hpp"
#include "sign.hpp"
#include "uuid.hpp"
#include "validate.hpp"
#include "version.hpp"
