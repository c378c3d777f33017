#include <kmscore/actions.hpp>
#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/sodium.hpp>
#include <kmscore/backend/sodium_cryptopp.hpp>
#include <kmscore/json.hpp>
#include <kmscore/kmscore.hpp>

bool odr_b_alias_check() { return !kmscore::check_key_alias("a/default").has_value(); }
