// kmscore/kmscore.hpp: the whole library but its backends and optional wire layer.
//
// kmscore is a header-only crypto core for a cloud Key Management Service. The headers do
// no I/O: no files, sockets, environment, clock or printing. Time and randomness come from
// the caller or from a backend (include/kmscore/backend/), which you include yourself.
#pragma once

#include "backend/concepts.hpp"
#include "bytes.hpp"
#include "context.hpp"
#include "create_key.hpp"
#include "data_key.hpp"
#include "envelope.hpp"
#include "error.hpp"
#include "hex.hpp"
#include "key_record_store.hpp"
#include "key_spec.hpp"
#include "master_key.hpp"
#include "requests.hpp"
#include "result.hpp"
#include "seal.hpp"
#include "secret.hpp"
#include "uuid.hpp"
#include "validate.hpp"
#include "version.hpp"
