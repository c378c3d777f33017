// kmscore/tags.hpp: tags on a key (api-metadata.md §3): their rules, the set a key holds, and
// the filters of the resource-instance query.
//
//   kmscore::key_tags tags;                                    // key → value, sorted
//   KMSCORE_TRY(kmscore::check_tag_key(key));                  // KMS.0406 / KMS.0411
//   KMSCORE_TRY(kmscore::check_tag_value(value));              // KMS.0405 / KMS.0410
//   auto text = kmscore::tags_to_text(tags);                   // the record's form
//
// A tag key is 1–36 Unicode code points, a value 0–43, neither holding U+0000–U+001F, `*`,
// `<`, `>`, `\` or `=`; a key holds at most 10 tags, one value per tag key, keys compared
// exactly (byte order, which for UTF-8 is code-point order). No I/O.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/text.hpp"
#include "result.hpp"

namespace kmscore {

inline constexpr std::size_t max_tags_per_key = 10;
inline constexpr std::size_t max_tag_key_code_points = 36;
inline constexpr std::size_t max_tag_value_code_points = 43;

// A key's tags: tag key → value, in code-point order of the keys.
using key_tags = std::map<std::string, std::string, std::less<>>;

namespace detail {
[[nodiscard]] constexpr bool is_forbidden_in_tag(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || c == '*' || c == '<' || c == '>' || c == '\\' || c == '=';
}
// The tag text rule: well-formed UTF-8 without a forbidden character (the error `bad`),
// then at most `most` code points (the error `too_long`).
[[nodiscard]] constexpr result<void> check_tag_text(std::string_view text, std::size_t most,
                                                    errc bad, errc too_long) noexcept {
  const auto code_points = utf8_code_points(text);
  if (!code_points) return bad;
  for (const char c : text) {
    if (is_forbidden_in_tag(c)) return bad;
  }
  if (*code_points > most) return too_long;
  return {};
}
}  // namespace detail

// A tag key: empty, ill-formed or a forbidden character KMS.0406; over 36 code points KMS.0411.
[[nodiscard]] constexpr result<void> check_tag_key(std::string_view key) noexcept {
  if (key.empty()) return errc::invalid_tag_key;
  return detail::check_tag_text(key, max_tag_key_code_points, errc::invalid_tag_key,
                                errc::invalid_tag_key_size);
}

// A tag value: ill-formed or a forbidden character KMS.0405; over 43 code points KMS.0410.
[[nodiscard]] constexpr result<void> check_tag_value(std::string_view value) noexcept {
  return detail::check_tag_text(value, max_tag_value_code_points, errc::invalid_tag_value,
                                errc::invalid_tag_value_size);
}

// The record's form of a key's tags: per tag, in key order, `<bytes>:<key><bytes>:<value>`
// with decimal byte counts ("3:env4:prod"); "" for none. UTF-8 as it is (the record's
// metadata holds UTF-8), so ten tags of the longest four-byte keys and values take 3.2 KB of
// the metadata's 8 KiB (KeyRecordStoreTest.TheLargestRecordSeals). Read back strictly: counts
// without leading zeros, every tag checked, keys strictly ascending, at most
// max_tags_per_key, nothing left over.
[[nodiscard]] inline std::string tags_to_text(const key_tags& tags) {
  std::string text;
  for (const auto& [key, value] : tags) {
    text += std::to_string(key.size());
    text.push_back(':');
    text += key;
    text += std::to_string(value.size());
    text.push_back(':');
    text += value;
  }
  return text;
}

[[nodiscard]] inline std::optional<key_tags> tags_from_text(std::string_view text) {
  // One `<bytes>:<text>` piece off the front of text.
  const auto take = [&text]() -> std::optional<std::string> {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 3) return std::nullopt;
    const auto counted = detail::parse_count(text.substr(0, colon), 0, 999);
    if (!counted) return std::nullopt;
    const std::size_t size = *counted;
    text.remove_prefix(colon + 1);
    if (text.size() < size) return std::nullopt;
    std::string piece{text.substr(0, size)};
    text.remove_prefix(size);
    return piece;
  };
  key_tags tags;
  while (!text.empty()) {
    auto key = take();
    if (!key) return std::nullopt;
    auto value = take();
    if (!value || !check_tag_key(*key) || !check_tag_value(*value)) return std::nullopt;
    if (!tags.empty() && !(tags.rbegin()->first < *key)) return std::nullopt;
    tags.emplace_hint(tags.end(), std::move(*key), std::move(*value));
    if (tags.size() > max_tags_per_key) return std::nullopt;
  }
  return tags;
}

// One filter of the resource-instance query (§3.7): a key has this tag key and, when
// `values` is not empty, one of these values. Filters are ANDed.
struct tag_filter {
  std::string key;
  std::vector<std::string> values;
};

[[nodiscard]] inline bool has_tag(const key_tags& tags, const tag_filter& filter) {
  const auto found = tags.find(filter.key);
  if (found == tags.end()) return false;
  if (filter.values.empty()) return true;
  for (const auto& value : filter.values) {
    if (value == found->second) return true;
  }
  return false;
}

}  // namespace kmscore
