// Field validators against plain reference implementations of each documented rule.
// The input is the field text; every validator sees it.
#include <kmscore/validate.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"

namespace reference {

// ^[a-zA-Z0-9:/_-]{1,255}$ and not ending with "/default".
bool alias(std::string_view s) {
  static const std::string allowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/_-";
  if (s.empty() || s.size() > 255) return false;
  if (s.find_first_not_of(allowed) != std::string_view::npos) return false;
  const std::string_view suffix = "/default";
  return !(s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix);
}

// ^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$
bool key_id(std::string_view s) {
  const std::string_view shape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  if (s.size() != shape.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool alnum = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z');
    if (shape[i] == '-' ? s[i] != '-' : !alnum) return false;
  }
  return true;
}

// Decodes UTF-8 by computing each code point, then rejects overlong forms, surrogates and
// values above U+10FFFF by value (the library checks byte ranges instead).
std::optional<std::size_t> code_points(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80           ? 1
                    : (b >> 5) == 0x6  ? 2
                    : (b >> 4) == 0xE  ? 3
                    : (b >> 3) == 0x1E ? 4
                                       : 0;
    if (n == 0 || i + n > s.size()) return std::nullopt;
    std::uint32_t cp = n == 1 ? b : b & (0x7FU >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3FU);
    }
    const std::uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < minimum[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += n;
  }
  return count;
}

bool description(std::string_view s) {
  const auto n = code_points(s);
  return n && *n <= 255;
}

bool sequence(std::string_view s) {
  if (s.size() != 36) return false;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E) return false;
  }
  return true;
}

}  // namespace reference

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz_max_input) return 0;
  const std::string_view text{reinterpret_cast<const char*>(data), size};  // NOLINT
  FUZZ_CHECK(kmscore::check_key_alias(text).has_value() == reference::alias(text));
  FUZZ_CHECK(kmscore::check_key_id(text).has_value() == reference::key_id(text));
  FUZZ_CHECK(kmscore::check_key_description(text).has_value() == reference::description(text));
  FUZZ_CHECK(kmscore::check_sequence(text).has_value() == reference::sequence(text));
  FUZZ_CHECK(kmscore::detail::utf8_code_points(text) == reference::code_points(text));
  // The errors are exactly the documented ones.
  if (!reference::alias(text)) {
    FUZZ_CHECK(kmscore::check_key_alias(text).error().code() == kmscore::errc::invalid_key_alias);
  }
  if (!reference::key_id(text)) {
    FUZZ_CHECK(kmscore::check_key_id(text).error().code() == kmscore::errc::invalid_key_id);
  }
  return 0;
}
