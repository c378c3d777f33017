// kmscore/response.hpp: what an action answers, rendered without a JSON library.
//
//   kmscore::http_response made = kmscore::error_response(errc::key_not_found);
//   made.status;   // 404
//   made.text();   // {"error":{"error_code":"KMS.0207","error_msg":"..."}}
//
// One error body for the library and every host (the server answers its own refusals with
// it too). Bodies that hold a secret (a data key, decrypted data) are written straight into
// zeroizing memory, never through a growing string; the renderers here match nlohmann's
// compact dump byte for byte, so a response reads the same whichever renderer made it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "base64.hpp"
#include "bytes.hpp"
#include "error.hpp"
#include "hex.hpp"
#include "secret.hpp"
#include "validate.hpp"

namespace kmscore {

// A response: HTTP status and body (zeroizing: it may hold a data key).
struct http_response {
  int status = 200;
  secret_bytes body;
  [[nodiscard]] std::string_view text() const noexcept { return as_chars(body.expose()); }
};

namespace detail {
[[nodiscard]] inline http_response respond(int status, std::string_view text) {
  return {status, secret_bytes{as_bytes(text)}};
}

// 1 when a character must be escaped in a JSON string (controls, quote, backslash) or is
// not printable ASCII; computed without branches, since the text may be a secret's hex.
[[nodiscard]] constexpr unsigned needs_escape(char c) noexcept {
  const auto u = static_cast<std::uint32_t>(static_cast<unsigned char>(c));
  const auto equals = [](std::uint32_t a, std::uint32_t b) { return ((a ^ b) - 1U) >> 31U; };
  return static_cast<unsigned>(((u - 0x20U) >> 31U) | ((0x7EU - u) >> 31U) | equals(u, '"') |
                               equals(u, '\\'));
}
static_assert(needs_escape('"') == 1 && needs_escape('\\') == 1 && needs_escape('\n') == 1);
static_assert(needs_escape('\x7F') == 1 && needs_escape('A') == 0 && needs_escape(' ') == 0);

// Appends text as the inside of a JSON string: '"', '\\' and controls escaped as nlohmann
// does, ill-formed UTF-8 replaced by U+FFFD byte by byte (decrypt-data's plain_text may hold
// bytes made outside the service). With out empty, only counts: the caller sizes a zeroizing
// buffer first, so the secret never passes through a growing string.
inline std::size_t put_json_string_text(byte_span text, mutable_byte_span out) noexcept {
  constexpr std::string_view replacement = "\xEF\xBF\xBD";
  const std::string_view chars = as_chars(text);
  std::size_t size = 0;
  auto put = [&](std::string_view piece) {
    if (!out.empty()) {
      for (const char c : piece) out[size++] = static_cast<byte>(c);
    } else {
      size += piece.size();
    }
  };
  for (std::size_t i = 0; i < chars.size();) {
    const std::size_t length = utf8_sequence_at(chars, i);
    if (length == 0) {
      put(replacement);
      ++i;
      continue;
    }
    const char c = chars[i];
    const auto u = static_cast<unsigned>(static_cast<unsigned char>(c));
    if (length == 1 && (u < 0x20U || c == '"' || c == '\\')) {
      switch (c) {
        case '"':
          put("\\\"");
          break;
        case '\\':
          put("\\\\");
          break;
        case '\b':
          put("\\b");
          break;
        case '\f':
          put("\\f");
          break;
        case '\n':
          put("\\n");
          break;
        case '\r':
          put("\\r");
          break;
        case '\t':
          put("\\t");
          break;
        default: {
          const std::array<char, 6> escaped{
              '\\', 'u', '0', '0', hex_digit_upper(u >> 4U), hex_digit_upper(u & 0xFU)};
          put(std::string_view{escaped.data(), escaped.size()});
        }
      }
    } else {
      put(chars.substr(i, length));
    }
    i += length;
  }
  return size;
}

}  // namespace detail

// The error body of api.md, with its status: {"error":{"error_code":..,"error_msg":..}}.
[[nodiscard]] inline http_response error_response(const error& failure) {
  const std::string message = failure.message();
  const auto message_bytes = as_bytes(std::string_view{message});
  constexpr std::string_view opening = "{\"error\":{\"error_code\":\"";
  constexpr std::string_view between = "\",\"error_msg\":\"";
  constexpr std::string_view closing = "\"}}";
  const std::string_view code = failure.code_string();
  const std::size_t message_size = detail::put_json_string_text(message_bytes, {});
  secret_bytes body{opening.size() + code.size() + between.size() + message_size + closing.size()};
  const auto out = body.expose();
  std::size_t at = 0;
  auto put = [&](std::string_view piece) {
    for (const char c : piece) out[at++] = static_cast<byte>(c);
  };
  put(opening);
  put(code);
  put(between);
  at += detail::put_json_string_text(message_bytes, out.subspan(at, message_size));
  put(closing);
  return {failure.http_status(), std::move(body)};
}

namespace detail {
// Renders a flat object of string members straight into a zeroizing body, in nlohmann's
// compact form. The values are the library's own hex, ids and digits, which need no
// escaping: checked (in constant time), and a value that would need it answers 500
// KMS.0101 instead of a malformed body.
[[nodiscard]] inline http_response render_plain_object(
    std::initializer_list<std::pair<std::string_view, std::string_view>> members) {
  unsigned escapes = 0;
  for (const auto& [name, value] : members) {
    for (const char c : name) escapes |= needs_escape(c);
    for (const char c : value) escapes |= needs_escape(c);
  }
  if (declassify(escapes) != 0) return error_response(errc::kms_error);
  std::size_t size = 2;
  for (const auto& [name, value] : members) size += name.size() + value.size() + 6;
  secret_bytes body{size - (members.size() > 0 ? 1 : 0)};
  const auto out = body.expose();
  std::size_t at = 0;
  auto put = [&](std::string_view text) {
    for (const char c : text) out[at++] = static_cast<byte>(c);
  };
  put("{");
  bool first = true;
  for (const auto& [name, value] : members) {
    if (!first) put(",");
    first = false;
    put("\"");
    put(name);
    put("\":\"");
    put(value);
    put("\"");
  }
  put("}");
  return {200, std::move(body)};
}

// decrypt-data's answer, rendered straight into zeroizing memory.
[[nodiscard]] inline http_response render_decrypted_data(std::string_view id, byte_span plain) {
  const std::size_t text_size = put_json_string_text(plain, {});
  const std::size_t base64_size = base64_encoded_size(plain.size());
  constexpr std::string_view opening = "{\"key_id\":\"";
  constexpr std::string_view text_name = "\",\"plain_text\":\"";
  constexpr std::string_view base64_name = "\",\"plain_text_base64\":\"";
  constexpr std::string_view closing = "\"}";
  secret_bytes body{opening.size() + id.size() + text_name.size() + text_size + base64_name.size() +
                    base64_size + closing.size()};
  const auto out = body.expose();
  std::size_t at = 0;
  auto put = [&](std::string_view text) {
    for (const char c : text) out[at++] = static_cast<byte>(c);
  };
  put(opening);
  put(id);
  put(text_name);
  at += put_json_string_text(plain, out.subspan(at, text_size));
  put(base64_name);
  if (!base64_encode(plain, as_writable_chars(out.subspan(at, base64_size)))) {
    return error_response(errc::kms_error);
  }
  at += base64_size;
  put(closing);
  return {200, std::move(body)};
}

}  // namespace detail

}  // namespace kmscore
