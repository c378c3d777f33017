// Two translation units include every header; a missing `inline` fails to link.
#include <kmscore/actions.hpp>
#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/sodium.hpp>
#include <kmscore/backend/sodium_cryptopp.hpp>
#include <kmscore/json.hpp>
#include <kmscore/kmscore.hpp>

#include <gtest/gtest.h>

bool odr_b_alias_check();

TEST(OdrTest, HeadersLinkFromTwoTranslationUnits) {
  EXPECT_TRUE(kmscore::check_key_alias("a").has_value());
  EXPECT_TRUE(odr_b_alias_check());
}
