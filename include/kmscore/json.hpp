// kmscore/json.hpp: the JSON wire layer (optional; needs nlohmann/json).
//
//   kmscore::kms_service service{backend, store, domain_id};
//   kmscore::http_response response =
//       kmscore::handle_json(service, "create-datakey", body, now_ms);
//   send(response.status, response.text());
//
// Requests are parsed under api.md's general rules: a body over the limit (default 64 KiB)
// is KMS.0203; invalid JSON, a non-object or a duplicate key at any depth is KMS.0202; JSON
// null means absent; unknown fields are ignored; a field of the wrong JSON type fails with
// that field's own error, in its place in the field order. Responses and errors are rendered
// exactly as documented; no exception escapes (anything thrown inside, such as nlohmann's
// type_error.316 for a stored field that is not UTF-8, answers 500 KMS.0101).
//
// Secrets on the request path (encrypt-datakey's plain_text in; plain_text and data_key
// out) and where each lives:
//   - the parse tree is a `wire_json`: its strings, objects and arrays use wiping_allocator,
//     so every block they free is wiped; plain_text is copied from it into the request's
//     secret_string, then into the params' secret_bytes (requests.hpp);
//   - response bodies holding secrets are rendered straight into zeroizing secret_bytes,
//     never through nlohmann's strings;
//   - third-party buffers no allocator of ours reaches: nlohmann 3.11's lexer keeps the raw
//     text of each token in a std::vector<char> (its `token_string`, for error messages),
//     and the caller's own buffer of the body. Hosts that parse secrets should read bodies
//     into zeroizing memory and install a global allocator that wipes every block it frees,
//     as the kmscore tool and server do (host/secrets/wipe_on_free.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "service.hpp"

namespace kmscore {

inline constexpr std::size_t default_max_body_size = std::size_t{64} * 1024;

// The parse tree of a request: every string, object and array in wiping memory.
using wire_json = nlohmann::basic_json<std::map, std::vector, secret_string, bool, std::int64_t,
                                       std::uint64_t, double, wiping_allocator>;

// A response: HTTP status and body (zeroizing: it may hold a data key).
struct http_response {
  int status = 200;
  secret_bytes body;
  [[nodiscard]] std::string_view text() const noexcept { return as_chars(body.expose()); }
};

namespace detail {
[[nodiscard]] inline http_response respond(int status, const std::string& text) {
  return {status, secret_bytes{as_bytes(text)}};
}

[[nodiscard]] inline http_response respond(const nlohmann::ordered_json& body) {
  return respond(200, body.dump());
}
}  // namespace detail

// The error body of api.md, with its status.
[[nodiscard]] inline http_response error_response(const error& failure) {
  const nlohmann::ordered_json body = {
      {"error", {{"error_code", failure.code_string()}, {"error_msg", failure.message()}}}};
  // NOLINTNEXTLINE(clang-analyzer-cplusplus.NewDeleteLeaks): moved into the response; LSan agrees
  return detail::respond(failure.http_status(), body.dump());
}

namespace detail {

// Builds a DOM like nlohmann's own parser, but refuses duplicate keys at any depth.
class strict_dom_parser : public nlohmann::json_sax<wire_json> {
 public:
  explicit strict_dom_parser(wire_json& root) : root_{root} {}

  bool null() override { return put(nullptr); }
  bool boolean(bool value) override { return put(value); }
  bool number_integer(number_integer_t value) override { return put(value); }
  bool number_unsigned(number_unsigned_t value) override { return put(value); }
  bool number_float(number_float_t value, const string_t& /*text*/) override { return put(value); }
  bool string(string_t& value) override { return put(value); }
  bool binary(binary_t& value) override { return put(wire_json::binary(value)); }
  bool start_object(std::size_t /*size*/) override {
    stack_.push_back(slot(wire_json::object()));
    return true;
  }
  bool key(string_t& name) override {
    auto& object = *stack_.back();
    if (object.contains(name)) return false;  // duplicate key: abort the parse
    next_ = &object[name];
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*size*/) override {
    stack_.push_back(slot(wire_json::array()));
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*ex*/) override {
    return false;
  }

 private:
  wire_json* slot(wire_json value) {
    if (stack_.empty() && next_ == nullptr) {
      root_ = std::move(value);
      return &root_;
    }
    if (stack_.back()->is_array()) {
      stack_.back()->push_back(std::move(value));
      return &stack_.back()->back();
    }
    *next_ = std::move(value);
    return std::exchange(next_, nullptr);
  }
  template <class Value>
  bool put(Value&& value) {
    slot(wire_json(std::forward<Value>(value)));
    return true;
  }

  wire_json& root_;
  std::vector<wire_json*> stack_;
  wire_json* next_ = nullptr;
};

[[nodiscard]] inline result<wire_json> parse_body(std::string_view body, std::size_t max_body) {
  if (body.size() > max_body) return errc::request_too_long;
  wire_json root;
  strict_dom_parser parser{root};
  bool parsed = false;
  try {
    // nlohmann's JSON parser itself: basic_json::sax_parse would also instantiate its binary
    // formats' reader, which 3.11 cannot build for a string type other than std::string.
    using adapter = decltype(nlohmann::detail::input_adapter(body.begin(), body.end()));
    parsed =
        nlohmann::detail::parser<wire_json, adapter>{
            nlohmann::detail::input_adapter(body.begin(), body.end()), nullptr, true}
            .sax_parse(&parser, true);
  } catch (const std::exception&) {
    parsed = false;
  }
  if (!parsed || !root.is_object()) return errc::invalid_request;
  return root;
}

// A field of the wrong JSON type is given a value that every field rule rejects with the
// field's own error (a lone 0xFF byte: never valid UTF-8, hex, digits or a name; a parsed
// JSON string can never contain it), so the field-order rule needs no second mechanism.
inline constexpr std::string_view wrong_type_value = "\xFF";

// A string member as text of type Text; absent, null, or the wrong-type marker.
template <class Text>
[[nodiscard]] std::optional<Text> text_field(const wire_json& body, std::string_view name) {
  const auto found = body.find(name);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_string()) return Text{wrong_type_value};
  const auto& text = found->get_ref<const secret_string&>();
  return Text{text.data(), text.size()};
}

[[nodiscard]] inline optional_field string_field(const wire_json& body, std::string_view name) {
  return text_field<std::string>(body, name);
}

// A member that carries a secret: moved into wiping memory, never a std::string.
[[nodiscard]] inline std::optional<secret_string> secret_field(const wire_json& body,
                                                               std::string_view name) {
  return text_field<secret_string>(body, name);
}

// A JSON integer member (rotation_interval, min_decryption_version) as its decimal text;
// any other JSON type is the wrong-type marker (so "30", 30.0 and 3e1 are all refused).
[[nodiscard]] inline optional_field integer_field(const wire_json& body, std::string_view name) {
  const auto found = body.find(name);
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (found->is_number_unsigned()) return std::to_string(found->get<std::uint64_t>());
  if (found->is_number_integer()) return std::to_string(found->get<std::int64_t>());
  return std::string{wrong_type_value};
}

[[nodiscard]] inline context_field context_of(const wire_json& body,
                                              std::string_view name = "encryption_context") {
  const auto found = body.find(name);
  if (found == body.end() || found->is_null()) return std::nullopt;
  std::vector<encryption_context::pair> pairs;
  if (!found->is_object()) return pairs = {{std::string{wrong_type_value}, ""}};
  for (const auto& [key, value] : found->items()) {
    if (!value.is_string()) return pairs = {{std::string{wrong_type_value}, ""}};
    const auto& text = value.template get_ref<const secret_string&>();
    pairs.emplace_back(std::string{key.data(), key.size()}, std::string{text.data(), text.size()});
  }
  return pairs;
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

// key_info: the fields key_record_fields marks for it, in its order.
[[nodiscard]] inline nlohmann::ordered_json key_info(const key_record& record) {
  nlohmann::ordered_json info = nlohmann::ordered_json::object();
  for (const auto& field : key_record_fields) {
    if (field.in_key_info) info[std::string{field.name}] = field.render(record);
  }
  return info;
}

[[nodiscard]] inline std::string state_text(const key_record& record) {
  return std::to_string(static_cast<int>(record.key.state));
}

}  // namespace detail

// Parses the body of one action into its typed request (without running it).
[[nodiscard]] inline create_key_request parse_create_key(const wire_json& body) {
  using detail::string_field;
  return create_key_request{
      string_field(body, "key_alias"), string_field(body, "key_spec"),
      string_field(body, "key_usage"), string_field(body, "key_description"),
      string_field(body, "origin"),    string_field(body, "enterprise_project_id"),
      string_field(body, "sequence")};
}
[[nodiscard]] inline create_datakey_request parse_create_datakey(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"), string_field(body, "datakey_length"),
          string_field(body, "key_spec"), detail::context_of(body), string_field(body, "sequence")};
}
[[nodiscard]] inline encrypt_datakey_request parse_encrypt_datakey(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"), detail::secret_field(body, "plain_text"),
          string_field(body, "datakey_plain_length"), detail::context_of(body),
          string_field(body, "sequence")};
}
[[nodiscard]] inline decrypt_datakey_request parse_decrypt_datakey(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"), string_field(body, "cipher_text"),
          string_field(body, "datakey_cipher_length"), detail::context_of(body),
          string_field(body, "sequence")};
}
[[nodiscard]] inline key_id_request parse_key_id(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"), string_field(body, "sequence")};
}
[[nodiscard]] inline update_rotation_interval_request parse_rotation_interval(
    const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"), detail::integer_field(body, "rotation_interval"),
          string_field(body, "sequence")};
}
[[nodiscard]] inline update_min_decryption_version_request parse_min_decryption_version(
    const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"), detail::integer_field(body, "min_decryption_version"),
          string_field(body, "sequence")};
}
[[nodiscard]] inline re_encrypt_datakey_request parse_re_encrypt_datakey(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"),
          string_field(body, "cipher_text"),
          string_field(body, "datakey_cipher_length"),
          detail::context_of(body),
          string_field(body, "destination_key_id"),
          detail::context_of(body, "destination_encryption_context"),
          string_field(body, "sequence")};
}
[[nodiscard]] inline list_keys_request parse_list_keys(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "limit"),
          string_field(body, "marker"),
          string_field(body, "key_state"),
          string_field(body, "key_spec"),
          string_field(body, "enterprise_project_id"),
          string_field(body, "sequence")};
}
[[nodiscard]] inline sign_request parse_sign(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"), string_field(body, "message"),
          string_field(body, "signing_algorithm"), string_field(body, "message_type"),
          string_field(body, "sequence")};
}
[[nodiscard]] inline verify_request parse_verify(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"),       string_field(body, "message"),
          string_field(body, "signature"),    string_field(body, "signing_algorithm"),
          string_field(body, "message_type"), string_field(body, "sequence")};
}
[[nodiscard]] inline encrypt_data_request parse_encrypt_data(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"), detail::context_of(body),
          detail::secret_field(body, "plain_text"), string_field(body, "encryption_algorithm"),
          string_field(body, "sequence")};
}
[[nodiscard]] inline decrypt_data_request parse_decrypt_data(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "cipher_text"), string_field(body, "encryption_algorithm"),
          string_field(body, "key_id"), detail::context_of(body), string_field(body, "sequence")};
}
[[nodiscard]] inline gen_random_request parse_gen_random(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "random_data_length"), string_field(body, "sequence")};
}
[[nodiscard]] inline schedule_key_deletion_request parse_schedule(const wire_json& body) {
  using detail::string_field;
  return {string_field(body, "key_id"), string_field(body, "pending_days"),
          string_field(body, "sequence")};
}

namespace detail {

// Each action of the API: its name and its handler, in one place. The table drives the
// dispatch, `is_known_action` and the tool's usage text.
template <class Backend>
using action_handler = http_response (*)(kms_service<Backend>& service, const wire_json& body,
                                         std::int64_t now_ms);

struct action_create_key {
  static constexpr std::string_view name = "create-key";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t now_ms) {
    auto made = service.create_key(parse_create_key(body), now_ms);
    if (!made) return error_response(made.error());
    return respond(nlohmann::ordered_json{
        {"key_info", {{"key_id", made->key.key_id.view()}, {"domain_id", made->domain_id}}}});
  }
};

struct action_create_datakey {
  static constexpr std::string_view name = "create-datakey";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.create_datakey(parse_create_datakey(body));
    if (!made) return error_response(made.error());
    return render_plain_object({{"key_id", made->key_id.view()},
                                {"plain_text", made->plain_text.expose_text()},
                                {"cipher_text", made->cipher_text}});
  }
};

struct action_create_datakey_without_plaintext {
  static constexpr std::string_view name = "create-datakey-without-plaintext";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.create_datakey_without_plaintext(parse_create_datakey(body));
    if (!made) return error_response(made.error());
    return render_plain_object(
        {{"key_id", made->key_id.view()}, {"cipher_text", made->cipher_text}});
  }
};

struct action_encrypt_datakey {
  static constexpr std::string_view name = "encrypt-datakey";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.encrypt_datakey(parse_encrypt_datakey(body));
    if (!made) return error_response(made.error());
    const auto length = std::to_string(made->size.bytes());
    return render_plain_object({{"key_id", made->key_id.view()},
                                {"cipher_text", made->cipher_text},
                                {"datakey_length", length}});
  }
};

struct action_decrypt_datakey {
  static constexpr std::string_view name = "decrypt-datakey";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.decrypt_datakey(parse_decrypt_datakey(body));
    if (!made) return error_response(made.error());
    const auto length = std::to_string(made->size.bytes());
    return render_plain_object({{"data_key", made->data_key.expose_text()},
                                {"datakey_length", length},
                                {"datakey_dgst", made->datakey_dgst}});
  }
};

struct action_describe_key {
  static constexpr std::string_view name = "describe-key";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto record = service.describe_key(parse_key_id(body));
    if (!record) return error_response(record.error());
    return respond(nlohmann::ordered_json{{"key_info", key_info(*record)}});
  }
};

struct action_list_keys {
  static constexpr std::string_view name = "list-keys";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto page = service.list_keys(parse_list_keys(body));
    if (!page) return error_response(page.error());
    nlohmann::ordered_json ids = nlohmann::ordered_json::array();
    nlohmann::ordered_json details = nlohmann::ordered_json::array();
    for (const auto& record : page->records) {
      ids.push_back(record.key.key_id.view());
      details.push_back(key_info(record));
    }
    // The marker is the offset of the next page (api-rotation.md: opaque to clients).
    const std::size_t next = page->offset + page->records.size();
    const bool truncated = next < page->total;
    return respond(nlohmann::ordered_json{{"keys", ids},
                                          {"key_details", details},
                                          {"next_marker", truncated ? std::to_string(next) : ""},
                                          {"truncated", truncated ? "true" : "false"},
                                          {"total", page->total}});
  }
};

// enable-key and disable-key answer the key's id and new state.
template <class Derived>
struct state_change_action {
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto record = Derived::change(service, parse_key_id(body));
    if (!record) return error_response(record.error());
    return respond(nlohmann::ordered_json{
        {"key_info", {{"key_id", record->key.key_id.view()}, {"key_state", state_text(*record)}}}});
  }
};
struct action_enable_key : state_change_action<action_enable_key> {
  static constexpr std::string_view name = "enable-key";
  template <class Backend>
  static result<key_record> change(kms_service<Backend>& service, const key_id_request& request) {
    return service.enable_key(request);
  }
};
struct action_disable_key : state_change_action<action_disable_key> {
  static constexpr std::string_view name = "disable-key";
  template <class Backend>
  static result<key_record> change(kms_service<Backend>& service, const key_id_request& request) {
    return service.disable_key(request);
  }
};

// schedule-key-deletion and cancel-key-deletion answer key_id and key_state at top level.
[[nodiscard]] inline http_response deletion_response(const result<key_record>& record) {
  if (!record) return error_response(record.error());
  return respond(nlohmann::ordered_json{{"key_id", record->key.key_id.view()},
                                        {"key_state", state_text(*record)}});
}
struct action_schedule_key_deletion {
  static constexpr std::string_view name = "schedule-key-deletion";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t now_ms) {
    return deletion_response(service.schedule_key_deletion(parse_schedule(body), now_ms));
  }
};
struct action_cancel_key_deletion {
  static constexpr std::string_view name = "cancel-key-deletion";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    return deletion_response(service.cancel_key_deletion(parse_key_id(body)));
  }
};

// The rotation write actions answer {} (api-rotation.md 3.1-3.3; the extension likewise).
[[nodiscard]] inline http_response empty_response(const result<key_record>& record) {
  if (!record) return error_response(record.error());
  return respond(nlohmann::ordered_json::object());
}
struct action_enable_key_rotation {
  static constexpr std::string_view name = "enable-key-rotation";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t now_ms) {
    return empty_response(service.enable_key_rotation(parse_key_id(body), now_ms));
  }
};
struct action_disable_key_rotation {
  static constexpr std::string_view name = "disable-key-rotation";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    return empty_response(service.disable_key_rotation(parse_key_id(body)));
  }
};
struct action_update_key_rotation_interval {
  static constexpr std::string_view name = "update-key-rotation-interval";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    return empty_response(service.update_key_rotation_interval(parse_rotation_interval(body)));
  }
};
struct action_get_key_rotation_status {
  static constexpr std::string_view name = "get-key-rotation-status";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    const auto record = service.get_key_rotation_status(parse_key_id(body));
    if (!record) return error_response(record.error());
    return respond(nlohmann::ordered_json{
        {"key_rotation_enabled", record->rotation_enabled},
        {"rotation_interval", record->rotation_interval_days},
        {"last_rotation_time",
         record->last_rotation_ms == 0 ? std::string{} : std::to_string(record->last_rotation_ms)},
        {"number_of_rotations", record->number_of_rotations}});
  }
};
struct action_rotate_key {  // extension (docs/rotation.md)
  static constexpr std::string_view name = "rotate-key";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t now_ms) {
    const auto record = service.rotate_key(parse_key_id(body), now_ms);
    if (!record) return error_response(record.error());
    return respond(nlohmann::ordered_json{{"key_id", record->key.key_id.view()},
                                          {"key_version", record->key.current_version()}});
  }
};
struct action_update_key_min_decryption_version {  // extension (docs/rotation.md)
  static constexpr std::string_view name = "update-key-min-decryption-version";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    return empty_response(
        service.update_key_min_decryption_version(parse_min_decryption_version(body)));
  }
};
struct action_re_encrypt_datakey {  // extension (docs/rotation.md)
  static constexpr std::string_view name = "re-encrypt-datakey";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.re_encrypt_datakey(parse_re_encrypt_datakey(body));
    if (!made) return error_response(made.error());
    const auto length = std::to_string(made->size.bytes());
    return render_plain_object({{"key_id", made->key_id.view()},
                                {"cipher_text", made->cipher_text},
                                {"datakey_length", length}});
  }
};

// Keys used directly (api-asymmetric.md).
struct action_get_publickey {
  static constexpr std::string_view name = "get-publickey";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.get_public_key(parse_key_id(body));
    if (!made) return error_response(made.error());
    return respond(
        nlohmann::ordered_json{{"key_id", made->key_id.view()}, {"public_key", made->public_key}});
  }
};

struct action_sign {
  static constexpr std::string_view name = "sign";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.sign(parse_sign(body));
    if (!made) return error_response(made.error());
    return respond(nlohmann::ordered_json{{"key_id", made->key_id.view()},
                                          {"signature", base64_encode(made->signature)}});
  }
};

struct action_verify {
  static constexpr std::string_view name = "verify";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.verify(parse_verify(body));
    if (!made) return error_response(made.error());
    // A string, "true" or "false", as documented.
    return respond(
        nlohmann::ordered_json{{"key_id", made->key_id.view()},
                               {"signature_valid", made->signature_valid ? "true" : "false"}});
  }
};

struct action_encrypt_data {
  static constexpr std::string_view name = "encrypt-data";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.encrypt_data(parse_encrypt_data(body));
    if (!made) return error_response(made.error());
    return render_plain_object(
        {{"key_id", made->key_id.view()}, {"cipher_text", made->cipher_text}});
  }
};

struct action_decrypt_data {
  static constexpr std::string_view name = "decrypt-data";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.decrypt_data(parse_decrypt_data(body));
    if (!made) return error_response(made.error());
    return render_decrypted_data(made->key_id.view(), made->plain_text.expose());
  }
};

struct action_gen_random {
  static constexpr std::string_view name = "gen-random";
  template <class Backend>
  static http_response run(kms_service<Backend>& service, const wire_json& body,
                           std::int64_t /*now_ms*/) {
    auto made = service.gen_random(parse_gen_random(body));
    if (!made) return error_response(made.error());
    return render_plain_object({{"random_data", made->expose_text()}});
  }
};

template <class... Actions>
struct action_list {
  static constexpr std::array<std::string_view, sizeof...(Actions)> names{Actions::name...};
  template <class Backend>
  static constexpr std::array<action_handler<Backend>, sizeof...(Actions)> handlers{
      &Actions::template run<Backend>...};
};

using actions = action_list<
    action_create_key, action_create_datakey, action_create_datakey_without_plaintext,
    action_encrypt_datakey, action_decrypt_datakey, action_describe_key, action_list_keys,
    action_enable_key, action_disable_key, action_schedule_key_deletion, action_cancel_key_deletion,
    action_enable_key_rotation, action_disable_key_rotation, action_update_key_rotation_interval,
    action_get_key_rotation_status, action_rotate_key, action_update_key_min_decryption_version,
    action_re_encrypt_datakey, action_get_publickey, action_sign, action_verify,
    action_encrypt_data, action_decrypt_data, action_gen_random>;

}  // namespace detail

// The names of every action: api.md's, then api-rotation.md's and this project's extensions,
// then api-asymmetric.md's.
inline constexpr auto action_names = detail::actions::names;

[[nodiscard]] constexpr bool is_known_action(std::string_view action) noexcept {
  for (const auto known : action_names) {
    if (known == action) return true;
  }
  return false;
}

// Runs one action on a JSON body and renders the response or error. now_ms is the caller's
// clock (creation and deletion dates).
template <crypto_backend Backend>
[[nodiscard]] http_response handle_json(kms_service<Backend>& service, std::string_view action,
                                        std::string_view body, std::int64_t now_ms,
                                        std::size_t max_body = default_max_body_size) {
  for (std::size_t i = 0; i < action_names.size(); ++i) {
    if (action_names[i] != action) continue;
    try {
      auto parsed = detail::parse_body(body, max_body);
      if (!parsed) return error_response(parsed.error());
      return detail::actions::handlers<Backend>[i](service, *parsed, now_ms);
    } catch (...) {  // e.g. type_error.316: a stored field that is not UTF-8
      return error_response(errc::kms_error);
    }
  }
  return error_response(errc::invalid_request);
}

}  // namespace kmscore
