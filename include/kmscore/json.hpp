// kmscore/json.hpp: the JSON wire layer (optional; needs nlohmann/json).
//
//   kmscore::kms_service service{backend, store, project};
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
//     secret_string, then into the params' secret_bytes (the action files);
//   - response bodies holding secrets are rendered straight into zeroizing secret_bytes,
//     never through nlohmann's strings;
//   - third-party buffers no allocator of ours reaches: nlohmann 3.11's lexer keeps the raw
//     text of each token in a std::vector<char> (its `token_string`, for error messages),
//     and the caller's own buffer of the body. Hosts that parse secrets should read bodies
//     into zeroizing memory and install a global allocator that wipes every block it frees,
//     as the kmscore tool and server do (host/secrets/wipe_on_free.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "actions.hpp"
#include "response.hpp"
#include "router.hpp"

namespace kmscore {

inline constexpr std::size_t default_max_body_size = std::size_t{64} * 1024;

// The parse tree of a request: every string, object and array in wiping memory.
using wire_json = nlohmann::basic_json<std::map, std::vector, secret_string, bool, std::int64_t,
                                       std::uint64_t, double, wiping_allocator>;

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

}  // namespace detail

// A JSON object under api.md's general rules: over max_body bytes is KMS.0203; invalid JSON,
// a non-object or a duplicate key at any depth is KMS.0202. Every string, object and array
// of the tree is in wiping memory. (Hosts read other JSON they trust no more, such as the
// credentials file, with it too.)
[[nodiscard]] inline result<wire_json> parse_json_object(std::string_view body,
                                                         std::size_t max_body) {
  if (body.size() > max_body) return errc::request_too_long;
  wire_json root;
  detail::strict_dom_parser parser{root};
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

namespace detail {

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

// How deep a tree field is kept: the deepest field any action reads (list-kms-by-tags' tags
// [{"values": [...]}]) is three levels; a value nested deeper is kept as a number, which no
// rule takes. So a body of 64 KiB of brackets cannot exhaust the stack.
inline constexpr int max_tree_depth = 8;

// A JSON value as a tree (fields.hpp's wire_value).
[[nodiscard]] inline wire_value tree_of(const wire_json& value, int depth = 0) {
  wire_value tree;
  using kind = wire_value::kind;
  if (depth >= max_tree_depth && (value.is_object() || value.is_array())) {
    tree.type = kind::number;
    return tree;
  }
  if (value.is_string()) {
    tree.type = kind::string;
    const auto& text = value.get_ref<const secret_string&>();
    tree.text.assign(text.data(), text.size());
  } else if (value.is_number()) {
    tree.type = kind::number;
  } else if (value.is_boolean()) {
    tree.type = kind::boolean;
    tree.text = value.get<bool>() ? "true" : "false";
  } else if (value.is_object()) {
    tree.type = kind::object;
    for (const auto& [key, member] : value.items()) {
      if (member.is_null()) continue;
      tree.names.emplace_back(key.data(), key.size());
      tree.elements.push_back(tree_of(member, depth + 1));
    }
  } else if (value.is_array()) {
    tree.type = kind::array;
    for (const auto& element : value) tree.elements.push_back(tree_of(element, depth + 1));
  }
  return tree;
}

[[nodiscard]] inline tree_field tree_field_of(const wire_json& body, std::string_view name) {
  const auto found = body.find(name);
  if (found == body.end() || found->is_null()) return std::nullopt;
  return tree_of(*found);
}

// A request of type Request, filled from a parsed body through its field table.
template <class Request>
[[nodiscard]] Request read_request(const wire_json& body) {
  Request request{};
  std::apply(
      [&](const auto&... fields) {
        (
            [&](const auto& f) {
              auto& member = request.*(f.member);
              using member_type = std::remove_reference_t<decltype(member)>;
              if constexpr (std::is_same_v<member_type, context_field>) {
                member = context_of(body, f.name);
              } else if constexpr (std::is_same_v<member_type, optional_secret_field>) {
                member = secret_field(body, f.name);
              } else if constexpr (std::is_same_v<member_type, tree_field>) {
                member = tree_field_of(body, f.name);
              } else {
                static_assert(std::is_same_v<member_type, optional_field>);
                const auto found = body.find(f.name);
                const bool text = found != body.end() && found->is_string();
                member = f.type == wire_type::integer ||
                                 (f.type == wire_type::integer_or_string && !text)
                             ? integer_field(body, f.name)
                             : string_field(body, f.name);
              }
            }(fields),
            ...);
      },
      Request::fields());
  return request;
}

// Parses, runs and renders one action.
template <class Action, class Backend>
[[nodiscard]] http_response run_action(kms_service<Backend>& service, const wire_json& body,
                                       std::int64_t now_ms) {
  auto request = read_request<typename Action::request>(body);
  std::optional<error> fault;  // a store fault while resolving a key reference
  if constexpr (requires { Action::key_references; }) {
    fault = resolve_key_references(service, request, Action::key_references, now_ms);
  }
  auto made = Action::run(service, request, now_ms);
  if (!made) {
    // The resolution was the first key check: its fault stands in for the lookup's KMS.0207.
    const bool unresolved = fault && made.error().code() == errc::key_not_found;
    return error_response(unresolved ? *fault : made.error());
  }
  return Action::template render<nlohmann::ordered_json>(*made);
}

template <class Backend>
using action_handler = http_response (*)(kms_service<Backend>& service, const wire_json& body,
                                         std::int64_t now_ms);

template <class Backend, class List>
struct action_handlers;
template <class Backend, class... Actions>
struct action_handlers<Backend, action_list<Actions...>> {
  static constexpr std::array<action_handler<Backend>, sizeof...(Actions)> table{
      &run_action<Actions, Backend>...};
};

}  // namespace detail

namespace detail {
template <crypto_backend Backend>
[[nodiscard]] http_response run_parsed(kms_service<Backend>& service, action_id action,
                                       result<wire_json> parsed, std::int64_t now_ms) {
  if (!parsed) return error_response(parsed.error());
  return action_handlers<Backend, all_actions>::table[action.index()](service, *parsed, now_ms);
}
}  // namespace detail

// Runs one action on a JSON body and renders the response or error. now_ms is the caller's
// clock (creation and deletion dates). The body holds every field, those a REST route
// carries in its path or query included (as the tool reads them).
template <crypto_backend Backend>
[[nodiscard]] http_response handle_json(kms_service<Backend>& service, action_id action,
                                        std::string_view body, std::int64_t now_ms,
                                        std::size_t max_body = default_max_body_size) {
  try {
    return detail::run_parsed(service, action, parse_json_object(body, max_body), now_ms);
  } catch (...) {  // e.g. type_error.316: a stored field that is not UTF-8
    return error_response(errc::kms_error);
  }
}

// The same for a REST request (route.hpp): the parameters its path and query carried are
// fields of the request, over any body member of the same name; a route without a body
// (GET, delete-tag) does not read the body it may have been sent.
template <crypto_backend Backend>
[[nodiscard]] http_response handle_json(kms_service<Backend>& service, action_id action,
                                        std::string_view body, const request_params& params,
                                        std::int64_t now_ms,
                                        std::size_t max_body = default_max_body_size) {
  try {
    auto parsed = route_of(action).has_body ? parse_json_object(body, max_body)
                                            : result<wire_json>{wire_json::object()};
    if (parsed) {
      for (const auto& param : params) {
        (*parsed)[secret_string{param.name.data(), param.name.size()}] =
            secret_string{param.value.data(), param.value.size()};
      }
    }
    return detail::run_parsed(service, action, std::move(parsed), now_ms);
  } catch (...) {
    return error_response(errc::kms_error);
  }
}

// The same, the action given by name (an unknown name is KMS.0202).
template <crypto_backend Backend>
[[nodiscard]] http_response handle_json(kms_service<Backend>& service, std::string_view action,
                                        std::string_view body, std::int64_t now_ms,
                                        std::size_t max_body = default_max_body_size) {
  const auto found = action_id::find(action);
  if (!found) return error_response(errc::invalid_request);
  return handle_json(service, *found, body, now_ms, max_body);
}

}  // namespace kmscore
