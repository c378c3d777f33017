// kmscore/aliases.hpp: aliases (api-metadata.md §5): their rule, what a store keeps of one,
// their URN, and the key references that may name a key through one (§6).
//
//   KMSCORE_TRY(kmscore::check_alias(text, "alias"));            // KMS.0308 Invalid alias.
//   auto urn = kmscore::alias_urn("local", domain_id, "alias/app");  // kms:local:…:alias:app
//   auto ref = kmscore::key_reference::parse(text);              // a key ID, alias or URN
//
// An alias is `alias/` followed by 1–249 of `[a-zA-Z0-9:/_-]`, unique in its project, naming
// one key (at most 50 per key). Aliases are a namespace of their own, apart from a key's
// `key_alias`; a key's aliases go with it, and are free from its deletion date on. No I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "error.hpp"
#include "key_id.hpp"
#include "project_id.hpp"
#include "result.hpp"

namespace kmscore {

inline constexpr std::string_view alias_prefix = "alias/";
inline constexpr std::size_t max_alias_name_size = 249;  // after the prefix
inline constexpr std::size_t max_aliases_per_key = 50;

namespace detail {
[[nodiscard]] constexpr bool is_alias_character(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
         c == '/' || c == '_' || c == '-';
}
// The part after `alias/`: 1–249 alias characters.
[[nodiscard]] constexpr bool is_alias_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_alias_name_size) return false;
  for (const char c : name) {
    if (!is_alias_character(c)) return false;
  }
  return true;
}
}  // namespace detail

// Whether text is an alias (§5.1).
[[nodiscard]] constexpr bool is_alias(std::string_view text) noexcept {
  return text.starts_with(alias_prefix) && detail::is_alias_name(text.substr(alias_prefix.size()));
}

// An alias, or KMS.0308 "Invalid {field}." (field: a name of the library, as error keeps it).
[[nodiscard]] constexpr result<void> check_alias(std::string_view text,
                                                 std::string_view field) noexcept {
  if (!is_alias(text)) return error{errc::invalid_parameter, field};
  return {};
}

// `kms:{region}:{domain_id}:alias:{name}`, name being the alias without `alias/`.
[[nodiscard]] inline std::string alias_urn(std::string_view region, std::string_view domain_id,
                                           std::string_view alias) {
  std::string urn{"kms:"};
  urn.append(region).append(":").append(domain_id).append(":alias:");
  urn.append(alias.substr(alias_prefix.size()));
  return urn;
}

// A region as the host sets it (--region) and a URN may carry it: 1–64 of [a-z0-9-].
[[nodiscard]] constexpr bool is_region(std::string_view text) noexcept {
  if (text.empty() || text.size() > 64) return false;
  for (const char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// What a store keeps of an alias: the key it names and when it was made and last moved
// (milliseconds since the epoch, the host's clock).
struct alias_entry {
  std::string alias;
  kmscore::key_id key_id;
  std::int64_t create_time_ms = 0;
  std::int64_t update_time_ms = 0;
};

// The outcome of a store's alias write (key_store.hpp).
enum class alias_outcome : std::uint8_t {
  done,
  taken,           // another key of the project (not gone) holds the alias
  full,            // the key already has max_aliases_per_key aliases
  moved,           // the alias no longer names the key the caller read
  not_associated,  // one of the aliases does not name the key: nothing was deleted
  no_key,          // the key named is not there (removed meanwhile)
  key_pending,     // the key named is pending deletion (scheduled meanwhile)
};

// What list-aliases asks a store for: the project's aliases (of one key, or all) naming keys
// not gone at now_ms, in byte order, the first `limit` after `after`.
struct alias_list_query {
  std::optional<kmscore::key_id> key_id;
  std::string after;  // "": from the first
  std::size_t limit = 100;
  std::int64_t now_ms = 0;
};

// A key as an action of §6 may name it: by key ID, by alias, or by alias URN. Parsed once
// (KMS.0205 for anything else); the service resolves it against the project (service.hpp).
class key_reference {
 public:
  [[nodiscard]] static result<key_reference> parse(std::string_view text) {
    if (auto id = key_id::parse(text)) return key_reference{*id};
    if (is_alias(text)) return key_reference{std::string{text}, {}, {}};
    // kms:{region}:{32 hex}:alias:{name}
    constexpr std::string_view scheme = "kms:";
    constexpr std::string_view kind = ":alias:";
    if (!text.starts_with(scheme)) return errc::invalid_key_id;
    text.remove_prefix(scheme.size());
    const auto region_end = text.find(':');
    if (region_end == std::string_view::npos || !is_region(text.substr(0, region_end))) {
      return errc::invalid_key_id;
    }
    const auto region = text.substr(0, region_end);
    text.remove_prefix(region_end + 1);
    constexpr std::size_t domain_size = 32;
    if (text.size() < domain_size || !is_valid_domain_id(text.substr(0, domain_size))) {
      return errc::invalid_key_id;
    }
    const auto domain = text.substr(0, domain_size);
    text.remove_prefix(domain_size);
    if (!text.starts_with(kind) || !detail::is_alias_name(text.substr(kind.size()))) {
      return errc::invalid_key_id;
    }
    return key_reference{std::string{alias_prefix}.append(text.substr(kind.size())),
                         std::string{region}, std::string{domain}};
  }

  // The key ID, when the reference is one.
  [[nodiscard]] const std::optional<kmscore::key_id>& id() const noexcept { return id_; }
  // The alias (with its `alias/`), when the reference is an alias or a URN.
  [[nodiscard]] const std::string& alias() const noexcept { return alias_; }
  // A URN's region and domain_id; empty for a key ID or a bare alias.
  [[nodiscard]] const std::string& region() const noexcept { return region_; }
  [[nodiscard]] const std::string& domain_id() const noexcept { return domain_id_; }

 private:
  explicit key_reference(const kmscore::key_id& id) : id_{id} {}
  key_reference(std::string alias, std::string region, std::string domain)
      : alias_{std::move(alias)}, region_{std::move(region)}, domain_id_{std::move(domain)} {}

  std::optional<kmscore::key_id> id_;
  std::string alias_;
  std::string region_;
  std::string domain_id_;
};

// UTC `YYYY-MM-DDTHH:MM:SSZ` of a time in milliseconds since the epoch (the alias times of
// §5.1), by the proleptic Gregorian calendar (civil_from_days), without a libc time function.
[[nodiscard]] inline std::string utc_seconds_text(std::int64_t ms) {
  const std::int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  std::int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  const std::int64_t of_day = seconds - days * 86400;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t shifted_month = (5 * day_of_year + 2) / 153;
  const std::int64_t day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const std::int64_t month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  const auto two = [](std::int64_t value) {
    return std::string{static_cast<char>('0' + value / 10), static_cast<char>('0' + value % 10)};
  };
  std::string year_text = std::to_string(year);
  if (year_text.size() < 4) year_text.insert(0, 4 - year_text.size(), '0');
  return year_text + "-" + two(month) + "-" + two(day) + "T" + two(of_day / 3600) + ":" +
         two(of_day / 60 % 60) + ":" + two(of_day % 60) + "Z";
}

}  // namespace kmscore
