#include <kmscore/error.hpp>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using kmscore::errc;
using kmscore::error;

TEST(ErrorTest, DocumentedCodesStatusesAndMessages) {
  EXPECT_EQ(error{errc::kms_error}.code_string(), "KMS.0101");
  EXPECT_EQ(error{errc::kms_error}.http_status(), 500);
  EXPECT_EQ(error{errc::key_not_found}.code_string(), "KMS.0207");
  EXPECT_EQ(error{errc::key_not_found}.http_status(), 404);
  EXPECT_EQ(error{errc::key_not_found}.message(), "The key does not exist.");
  EXPECT_EQ(error{errc::invalid_key_id}.message(), "Invalid key ID.");
  EXPECT_EQ(error{errc::invalid_key_alias}.code_string(), "KMS.1101");
  EXPECT_EQ(error{errc::duplicate_key_alias}.message(), "Duplicate key aliases.");
  EXPECT_EQ(error{errc::datakey_length_out_of_range}.message(),
            "datakey_length must be in the range 8 bits to 8,192 bits.");
  EXPECT_EQ(error{errc::datakey_length_not_multiple}.code_string(), "KMS.1903");
  EXPECT_EQ(error{errc::datakey_length_not_512}.message(), "datakey_length must be 512 bits.");
  EXPECT_EQ(error{errc::invalid_datakey_spec}.message(),
            "key_spec can only be AES_128 or AES_256.");
  EXPECT_EQ(error{errc::asymmetric_not_supported}.message(),
            "The asymmetric key is not support this operation.");
  EXPECT_EQ(error{errc::decrypt_failed}.code_string(), "KMS.2203");
  EXPECT_EQ(error{errc::decrypt_failed}.message(), "Failed to verify the DEK hash.");
  EXPECT_EQ(error{errc::invalid_encryption_context}.message(),
            "Invalid value of value encryption_context.");
}

TEST(ErrorTest, InvalidParameterNamesItsField) {
  const error failure{errc::invalid_parameter, "key_spec"};
  EXPECT_EQ(failure.code_string(), "KMS.0308");
  EXPECT_EQ(failure.http_status(), 400);
  EXPECT_EQ(failure.message(), "Invalid key_spec.");
  EXPECT_EQ(error(errc::invalid_parameter, "origin").message(), "Invalid origin.");
}

TEST(ErrorTest, EveryCodeIsDistinctAndWellFormed) {
  std::set<std::string> seen;
  for (const auto& row : kmscore::error_table) {
    EXPECT_TRUE(seen.insert(std::string{row.code_string}).second) << row.code_string;
    ASSERT_EQ(row.code_string.size(), 8U);
    EXPECT_EQ(row.code_string.substr(0, 4), "KMS.");
    // api.md's statuses, and http.md's for the REST front's own refusals (403, 405).
    EXPECT_TRUE(row.http_status == 400 || row.http_status == 403 || row.http_status == 404 ||
                row.http_status == 405 || row.http_status == 500)
        << row.code_string;
    if (row.code != errc::invalid_parameter) {
      EXPECT_FALSE(row.message.empty()) << row.code_string;
      EXPECT_EQ(row.message.back(), '.') << row.code_string;
    }
  }
  EXPECT_EQ(seen.size(), kmscore::error_table.size());
}

TEST(ErrorTest, EqualityComparesCodeAndField) {
  EXPECT_EQ(error(errc::invalid_parameter, "key_spec"), error(errc::invalid_parameter, "key_spec"));
  EXPECT_NE(error(errc::invalid_parameter, "key_spec"), error(errc::invalid_parameter, "origin"));
  EXPECT_TRUE(error{errc::invalid_key_id} == errc::invalid_key_id);
  EXPECT_FALSE(error{errc::invalid_key_id} == errc::invalid_key_alias);
}

}  // namespace
