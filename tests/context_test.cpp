#include <kmscore/context.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using kmscore::byte;
using kmscore::encryption_context;
using kmscore::errc;

std::vector<byte> bytes_of(kmscore::byte_span span) { return {span.begin(), span.end()}; }

TEST(ContextTest, EmptyContextSerializesToZeroCount) {
  const encryption_context empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(bytes_of(empty.canonical()), (std::vector<byte>{0, 0}));
  EXPECT_EQ(bytes_of(encryption_context::make({})->canonical()), (std::vector<byte>{0, 0}));
}

TEST(ContextTest, CanonicalLayoutIsLengthPrefixedAndSorted) {
  const auto context = encryption_context::make({{"b", "2"}, {"a", "xy"}});
  ASSERT_TRUE(context);
  const std::vector<byte> expected{2, 0,                       // two pairs
                                   1, 0, 'a', 2, 0, 'x', 'y',  // "a" -> "xy"
                                   1, 0, 'b', 1, 0, '2'};      // "b" -> "2"
  EXPECT_EQ(bytes_of(context->canonical()), expected);
  EXPECT_EQ(context->pairs().front().first, "a");
}

TEST(ContextTest, OrderDoesNotMatter) {
  const auto one = encryption_context::make({{"Key1", "Value1"}, {"Key2", "Value2"}});
  const auto two = encryption_context::make({{"Key2", "Value2"}, {"Key1", "Value1"}});
  ASSERT_TRUE(one && two);
  EXPECT_EQ(*one, *two);
}

TEST(ContextTest, SerializationIsInjective) {
  // Pairs that would collide under naive concatenation.
  const auto a = encryption_context::make({{"ab", "c"}});
  const auto b = encryption_context::make({{"a", "bc"}});
  const auto c = encryption_context::make({{"a", ""}, {"b", "c"}});
  ASSERT_TRUE(a && b && c);
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_NE(*b, *c);
  EXPECT_NE(*encryption_context::make({{"", ""}}), encryption_context{});
}

TEST(ContextTest, SortsByUtf8Bytes) {
  // 'Z' (0x5A) < 'a' (0x61) < U+00E9 (0xC3 0xA9) in byte order.
  const auto context = encryption_context::make({{"\xC3\xA9", "1"}, {"a", "2"}, {"Z", "3"}});
  ASSERT_TRUE(context);
  EXPECT_EQ(context->pairs()[0].first, "Z");
  EXPECT_EQ(context->pairs()[1].first, "a");
  EXPECT_EQ(context->pairs()[2].first, "\xC3\xA9");
}

TEST(ContextTest, RejectsDuplicateKeys) {
  const auto duplicate = encryption_context::make({{"k", "1"}, {"j", "0"}, {"k", "1"}});
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code(), errc::invalid_encryption_context);
  EXPECT_TRUE(encryption_context::make({{"k", "1"}, {"K", "1"}}));
}

TEST(ContextTest, RejectsIllFormedUtf8) {
  EXPECT_FALSE(encryption_context::make({{"\xC0\xAF", "v"}}));
  EXPECT_FALSE(encryption_context::make({{"k", "\xED\xA0\x80"}}));
  EXPECT_TRUE(encryption_context::make({{"k", "\xE4\xB8\xAD"}}));
}

TEST(ContextTest, SizeLimitIsOnTheCanonicalForm) {
  // One pair costs 2 (count) + 2 + key + 2 + value bytes; 8192 exactly is allowed.
  const std::string key = "k";
  const std::string fits(8192 - 2 - 2 - 1 - 2, 'v');
  const auto at_limit = encryption_context::make({{key, fits}});
  ASSERT_TRUE(at_limit);
  EXPECT_EQ(at_limit->canonical().size(), 8192U);
  const auto over = encryption_context::make({{key, fits + "v"}});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), errc::invalid_encryption_context);
}

}  // namespace
