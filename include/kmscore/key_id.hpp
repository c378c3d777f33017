// kmscore/key_id.hpp: a master key's id, parsed once.
//
//   auto id = kmscore::key_id::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37f");  // KMS.0205
//   id->view();                    // the 36 characters
//   kmscore::key_id nil;           // 00000000-0000-0000-0000-000000000000
//
// A `key_id` always holds 36 characters of the documented pattern
// ^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$ (letters g..z pass this
// format check, as documented; a store simply will not find them). Everything downstream of
// `parse` (operations, envelopes, stores) takes the type, so nothing checks the text again.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <string>
#include <string_view>

#include "result.hpp"
#include "uuid.hpp"

namespace kmscore {

inline constexpr std::size_t key_id_size = uuid::text_size;

// The format rule of api.md's key_id, for text that is not (yet) a key_id.
[[nodiscard]] constexpr result<void> check_key_id(std::string_view text) noexcept {
  if (text.size() != key_id_size) return errc::invalid_key_id;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (uuid::is_dash_position(i)) {
      if (c != '-') return errc::invalid_key_id;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
      return errc::invalid_key_id;
    }
  }
  return {};
}

class key_id {
 public:
  // The nil UUID: a well-formed id that no store hands out (fresh ids are version 4).
  constexpr key_id() noexcept {
    for (std::size_t i = 0; i < key_id_size; ++i) text_[i] = uuid::is_dash_position(i) ? '-' : '0';
  }

  [[nodiscard]] static constexpr result<key_id> parse(std::string_view text) noexcept {
    if (auto checked = check_key_id(text); !checked) return checked.error();
    key_id id;
    for (std::size_t i = 0; i < key_id_size; ++i) id.text_[i] = text[i];
    return id;
  }

  // The id of a fresh version 4 UUID (create-key).
  [[nodiscard]] static constexpr key_id from_uuid(const uuid& id) noexcept {
    key_id made;
    id.format(made.text_);
    return made;
  }

  [[nodiscard]] constexpr std::string_view view() const noexcept {
    return {text_.data(), text_.size()};
  }
  [[nodiscard]] std::string str() const { return std::string{view()}; }

  friend constexpr bool operator==(const key_id& a, const key_id& b) noexcept {
    return a.text_ == b.text_;
  }
  friend constexpr std::strong_ordering operator<=>(const key_id& a, const key_id& b) noexcept {
    return a.text_ <=> b.text_;
  }
  friend constexpr bool operator==(const key_id& a, std::string_view b) noexcept {
    return a.view() == b;
  }

 private:
  std::array<char, key_id_size> text_{};
};

static_assert(key_id::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37f").has_value());
static_assert(key_id::parse("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz").has_value());
static_assert(!key_id::parse("0D0466B0-E727-4D9C-B35D-F84BB474A37F").has_value());
static_assert(!key_id::parse("0d0466b0-e727-4d9c-b35d-f84bb474a37").has_value());
static_assert(key_id{}.view() == "00000000-0000-0000-0000-000000000000");

}  // namespace kmscore
