#include <kmscore/kmscore.hpp>

bool odr_b_alias_check() { return !kmscore::check_key_alias("a/default").has_value(); }
