// kmscore/kmscore.hpp: the whole library but its backends and optional wire layer.
//
// kmscore is a header-only crypto core for a cloud Key Management Service. The headers do
// no I/O: no files, sockets, environment, clock or printing. Time and randomness come from
// the caller or from a backend (include/kmscore/backend/), which you include yourself.
#pragma once

#include "bytes.hpp"
#include "context.hpp"
#include "error.hpp"
#include "hex.hpp"
#include "key_spec.hpp"
#include "requests.hpp"
#include "result.hpp"
#include "secret.hpp"
#include "uuid.hpp"
#include "validate.hpp"
#include "version.hpp"
