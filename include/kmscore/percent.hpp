// kmscore/percent.hpp: percent-decoding (RFC 3986 §2.1), one way for the REST route
// (route.hpp) and the request signature (host/http/request_signature.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hex.hpp"

namespace kmscore {

// Appends the percent-decoding of text (RFC 3986: '+' is a literal plus); false on a '%' not
// followed by two hex digits. The REST route and the request signature (host/http) decode
// alike through it.
[[nodiscard]] inline bool append_percent_decoded(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (text.size() - i < 3) return false;
    const auto high = detail::decode_hex_digit(text[i + 1]);
    const auto low = detail::decode_hex_digit(text[i + 2]);
    if ((high.valid & low.valid) == 0) return false;
    out.push_back(static_cast<char>(high.value * 16 + low.value));
    i += 2;
  }
  return true;
}

}  // namespace kmscore
