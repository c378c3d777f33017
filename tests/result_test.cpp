#include <kmscore/result.hpp>
#include <kmscore/secret.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

using kmscore::errc;
using kmscore::result;

result<int> half(int value) {
  if (value % 2 != 0) return errc::invalid_parameter;
  return value / 2;
}

result<int> quarter(int value) {
  auto first = half(value);
  if (!first) return first.error();
  return half(*first);
}

result<void> check_positive(int value) {
  if (value <= 0) return kmscore::error{errc::invalid_parameter, "value"};
  return {};
}

result<void> check_both(int a, int b) {
  KMSCORE_TRY(check_positive(a));
  KMSCORE_TRY(check_positive(b));
  return {};
}

TEST(ResultTest, HoldsValueOrError) {
  const auto ok = half(8);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 4);
  const auto bad = half(7);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), errc::invalid_parameter);
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_FALSE(quarter(6).has_value());
  EXPECT_TRUE(check_both(1, 2).has_value());
  const auto failed = check_both(1, -2);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().field(), "value");
}

TEST(ResultTest, CarriesMoveOnlyValues) {
  result<std::unique_ptr<int>> boxed{std::make_unique<int>(5)};
  ASSERT_TRUE(boxed);
  auto owned = std::move(boxed).value();
  EXPECT_EQ(*owned, 5);
  result<kmscore::secret_bytes> secret{kmscore::secret_bytes{3}};
  EXPECT_EQ(secret->size(), 3U);
}

TEST(ResultTest, UsableInConstantExpressions) {
  constexpr result<int> value{42};
  static_assert(value.has_value() && *value == 42);
  constexpr result<int> failure{errc::kms_error};
  static_assert(!failure.has_value() && failure.error().code() == errc::kms_error);
  SUCCEED();
}

TEST(ResultTest, ArrowReachesMembers) {
  result<std::string> text{std::string{"abc"}};
  EXPECT_EQ(text->size(), 3U);
  result<std::string> none{errc::kms_error};
  EXPECT_FALSE(none);
}

}  // namespace
