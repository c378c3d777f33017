// kmscore/project_id.hpp: a project's id (the tenant of a key), parsed once.
//
//   auto id = kmscore::project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c");  // KMS.0201
//   store.find(*id, key);          // stores, the key cache and the service take the type
//   id->view();                    // the 32 characters
//
// A `project_id` always holds 32 lowercase hex characters, the form of {project_id} in the
// REST path (http.md) and of a domain_id. A client names a project only in the URL, so text
// that is not one is KMS.0201 (invalid_url). Everything downstream of `parse` takes the type,
// so no store, cache or log line handles an unchecked project string.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <string>
#include <string_view>

#include "result.hpp"

namespace kmscore {

inline constexpr std::size_t project_id_size = 32;
inline constexpr std::size_t domain_id_size = 32;

// 32 lowercase hex characters: the form of a project id and of a domain_id (the host's
// account id).
[[nodiscard]] constexpr bool is_valid_domain_id(std::string_view text) noexcept {
  if (text.size() != domain_id_size) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

class project_id {
 public:
  // All zeros, as key_id's nil: the placeholder of a record not yet given its project.
  constexpr project_id() noexcept { text_.fill('0'); }

  [[nodiscard]] static constexpr result<project_id> parse(std::string_view text) noexcept {
    if (text.size() != project_id_size || !is_valid_domain_id(text)) return errc::invalid_url;
    project_id id;
    for (std::size_t i = 0; i < project_id_size; ++i) id.text_[i] = text[i];
    return id;
  }

  [[nodiscard]] constexpr std::string_view view() const noexcept {
    return {text_.data(), text_.size()};
  }
  [[nodiscard]] std::string str() const { return std::string{view()}; }

  friend constexpr bool operator==(const project_id& a, const project_id& b) noexcept {
    return a.text_ == b.text_;
  }
  friend constexpr std::strong_ordering operator<=>(const project_id& a,
                                                    const project_id& b) noexcept {
    return a.text_ <=> b.text_;
  }

 private:
  std::array<char, project_id_size> text_{};
};

static_assert(project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3c").has_value());
static_assert(project_id{}.view() == "00000000000000000000000000000000");
static_assert(!project_id::parse("5F1BE2A1C0D94E7A8B3C6D9E0F1A2B3C").has_value());
static_assert(!project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3").has_value());
static_assert(!project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3cd").has_value());
static_assert(!project_id::parse("5f1be2a1c0d94e7a8b3c6d9e0f1a2b3g").has_value());

}  // namespace kmscore
