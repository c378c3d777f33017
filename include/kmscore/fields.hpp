// kmscore/fields.hpp: how an action's request names its fields, once.
//
//   struct gen_random_request {
//     optional_field random_data_length;
//     optional_field sequence;
//     static constexpr auto fields() {
//       return field_table(field{"random_data_length", &gen_random_request::random_data_length},
//                          field{"sequence", &gen_random_request::sequence});
//     }
//   };
//
// A request (one per action, in include/kmscore/actions/) holds its fields as they arrive:
// absent is std::nullopt. Its field table pairs each wire name with its member and the JSON
// type the wire carries; the JSON layer (json.hpp) fills a request from the table alone, so
// no code matches fields by position, and validation (`validate`, in the same action file)
// reads the members in the table's order, which is the order of the spec's table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "context.hpp"
#include "key_id.hpp"
#include "result.hpp"
#include "secret.hpp"
#include "validate.hpp"

namespace kmscore {

// A text field (JSON string, or a JSON integer's decimal digits).
using optional_field = std::optional<std::string>;
// A field that carries a secret: kept only in wiping memory.
using optional_secret_field = std::optional<secret_string>;
// encryption_context and its kin: a JSON object of string members, in arrival order.
using context_field = std::optional<std::vector<encryption_context::pair>>;

// A field whose wire value has structure (the tag actions' `tag`, `tags`, `matches`): the
// JSON value as a tree, which the action's validation walks by hand. Object members that are
// JSON null are left out (null means absent); numbers keep no value (no rule takes one).
struct wire_value {
  enum class kind : unsigned char { null, string, number, boolean, object, array };
  kind type = kind::null;
  std::string text;                  // a string's text; a boolean's "true" or "false"
  std::vector<wire_value> elements;  // an array's elements, or an object's member values
  std::vector<std::string> names;    // an object's member names (names[i] names elements[i])

  [[nodiscard]] bool is(kind k) const noexcept { return type == k; }
  // An object's member, or nullptr when absent.
  [[nodiscard]] const wire_value* member(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return &elements[i];
    }
    return nullptr;
  }
};
using tree_field = std::optional<wire_value>;

// The JSON type a field takes on the wire. A value of any other type is handed to the
// field's check as a value no rule accepts (json.hpp), so it fails with the field's own
// error in the field's own place.
enum class wire_type : unsigned char {
  string,             // a JSON string
  integer,            // a JSON integer, given to the check as its decimal digits ("30", not 30.0)
  integer_or_string,  // a JSON integer as its digits, or a JSON string as it is
  object,             // a JSON object of string members (context_field)
  tree,               // any JSON value, as a tree (tree_field)
};

namespace detail {
template <class Member>
constexpr wire_type default_wire_type() noexcept {
  if constexpr (std::is_same_v<Member, context_field>) return wire_type::object;
  if constexpr (std::is_same_v<Member, tree_field>) return wire_type::tree;
  return wire_type::string;
}
}  // namespace detail

// One field of a request: its wire name, its member, its wire type (by default a string, or
// an object for a context).
template <class Request, class Member>
struct field {
  std::string_view name;
  Member Request::*member;
  wire_type type = detail::default_wire_type<Member>();
};
template <class Request, class Member>
field(std::string_view, Member Request::*) -> field<Request, Member>;
template <class Request, class Member>
field(std::string_view, Member Request::*, wire_type) -> field<Request, Member>;

// A request's fields in the spec's order.
template <class... Fields>
[[nodiscard]] constexpr auto field_table(Fields... fields) {
  return std::tuple<Fields...>{fields...};
}

// The field rules every action shares.
namespace detail {
[[nodiscard]] inline result<void> check_optional_sequence(const optional_field& sequence) {
  if (sequence) return check_sequence(*sequence);
  return {};
}
[[nodiscard]] inline result<encryption_context> check_optional_context(const context_field& pairs) {
  if (!pairs) return encryption_context{};
  return encryption_context::make(*pairs);
}
[[nodiscard]] inline result<key_id> parse_required_key_id(const optional_field& text) {
  if (!text) return error{errc::missing_parameter, "key_id"};
  return key_id::parse(*text);
}
}  // namespace detail

}  // namespace kmscore
