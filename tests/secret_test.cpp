#include <kmscore/secret.hpp>

#include <gtest/gtest.h>

#include <array>
#include <type_traits>
#include <utility>

namespace {

using kmscore::byte;
using kmscore::constant_time_equal;
using kmscore::secret_array;
using kmscore::secret_bytes;

static_assert(!std::is_copy_constructible_v<secret_bytes>);
static_assert(!std::is_copy_assignable_v<secret_bytes>);
static_assert(std::is_nothrow_move_constructible_v<secret_bytes>);
static_assert(!std::is_copy_constructible_v<secret_array<32>>);
static_assert(std::is_nothrow_move_constructible_v<secret_array<32>>);

bool all_zero(kmscore::byte_span bytes) {
  for (const byte b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

TEST(SecretTest, ConstantTimeEqualComparesContentsAndLength) {
  const std::array<byte, 4> a{1, 2, 3, 4};
  const std::array<byte, 4> same{1, 2, 3, 4};
  const std::array<byte, 4> last_differs{1, 2, 3, 5};
  const std::array<byte, 4> first_differs{0, 2, 3, 4};
  const std::array<byte, 3> shorter{1, 2, 3};
  EXPECT_TRUE(constant_time_equal(a, same));
  EXPECT_FALSE(constant_time_equal(a, last_differs));
  EXPECT_FALSE(constant_time_equal(a, first_differs));
  EXPECT_FALSE(constant_time_equal(a, shorter));
  EXPECT_TRUE(constant_time_equal(kmscore::byte_span{}, kmscore::byte_span{}));
}

TEST(SecretTest, StartsZeroedAndHoldsContents) {
  secret_bytes zeroed{16};
  EXPECT_EQ(zeroed.size(), 16U);
  EXPECT_TRUE(all_zero(zeroed.expose()));
  const std::array<byte, 3> contents{7, 8, 9};
  const secret_bytes filled{contents};
  EXPECT_TRUE(constant_time_equal(filled.expose(), contents));
}

TEST(SecretTest, WipeZeroesButKeepsSize) {
  const std::array<byte, 3> contents{7, 8, 9};
  secret_bytes secret{contents};
  secret.wipe();
  EXPECT_EQ(secret.size(), 3U);
  EXPECT_TRUE(all_zero(secret.expose()));
}

TEST(SecretTest, MoveTransfersOwnershipAndEmptiesSource) {
  const std::array<byte, 3> contents{7, 8, 9};
  secret_bytes source{contents};
  secret_bytes target{std::move(source)};
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): the state is specified
  EXPECT_TRUE(constant_time_equal(target.expose(), contents));
  secret_bytes other{1};
  other = std::move(target);
  EXPECT_TRUE(target.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(constant_time_equal(other.expose(), contents));
}

TEST(SecretTest, CloneIsEqualAndIndependent) {
  const std::array<byte, 3> contents{7, 8, 9};
  secret_bytes original{contents};
  secret_bytes copy = original.clone();
  EXPECT_TRUE(original == copy);
  copy.expose()[0] = 0;
  EXPECT_FALSE(original == copy);
}

TEST(SecretTest, SecretArrayMoveWipesSource) {
  const std::array<byte, 4> contents{1, 2, 3, 4};
  secret_array<4> source{std::span<const byte, 4>{contents}};
  secret_array<4> target{std::move(source)};
  // The moved-from state is specified: wiped.
  EXPECT_TRUE(
      all_zero(source.expose()));  // NOLINT(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_TRUE(constant_time_equal(target.expose(), contents));
  secret_array<4> zero;
  EXPECT_FALSE(target == zero);
  target.wipe();
  EXPECT_TRUE(target == zero);
}

}  // namespace
