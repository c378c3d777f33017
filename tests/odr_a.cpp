// Two translation units include every header; a missing `inline` fails to link.
#include <kmscore/kmscore.hpp>

#include <gtest/gtest.h>

bool odr_b_alias_check();

TEST(OdrTest, HeadersLinkFromTwoTranslationUnits) {
  EXPECT_TRUE(kmscore::check_key_alias("a").has_value());
  EXPECT_TRUE(odr_b_alias_check());
}
