// kmscore/actions/common.hpp: what the action files share: the key_id request that ten
// actions take, key_info, and the JSON renderers' glue.
//
// Each action is one file in this folder: its request with its field table (fields.hpp), its
// validation (the only way to a `*_params`), its operation on a kms_service, and its
// response's rendering. An action file names the action in a struct of namespace
// kmscore::actions:
//
//   struct describe_key {
//     static constexpr std::string_view name = "describe-key";   // the API's name
//     using request = key_id_request;                             // what the JSON layer fills
//     template <crypto_backend Backend>                           // the operation
//     static result<key_record> run(kms_service<Backend>&, const request&, std::int64_t now_ms);
//     // (now_ms: the host's clock; every key the action finds goes through it, so a key past
//     // its deletion date is gone for every action alike)
//     template <class Json>                                       // the answer's body
//     static http_response render(const key_record& made);
//   };
//
// `render` is a template on the JSON type (json.hpp passes nlohmann::ordered_json), so the
// core needs no JSON library; answers that hold a secret are rendered without one
// (response.hpp). actions.hpp lists every action.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "../fields.hpp"
#include "../key_record.hpp"
#include "../response.hpp"
#include "../service.hpp"

namespace kmscore {

// describe-key, enable-key, disable-key, cancel-key-deletion, the rotation switches and
// status, rotate-key, get-publickey: a key_id and a sequence.
struct key_id_request {
  optional_field key_id;
  optional_field sequence;

  static constexpr auto fields() {
    return field_table(field{"key_id", &key_id_request::key_id},
                       field{"sequence", &key_id_request::sequence});
  }
};

class key_id_params {
 public:
  [[nodiscard]] const kmscore::key_id& key_id() const noexcept { return key_id_; }
  [[nodiscard]] const optional_field& sequence() const noexcept { return sequence_; }

 private:
  friend result<key_id_params> validate(const key_id_request& request);
  key_id_params(const kmscore::key_id& id, optional_field sequence)
      : key_id_{id}, sequence_{std::move(sequence)} {}

  kmscore::key_id key_id_;
  optional_field sequence_;
};

[[nodiscard]] inline result<key_id_params> validate(const key_id_request& request) {
  KMSCORE_TRY_ASSIGN(const auto id, detail::parse_required_key_id(request.key_id));
  KMSCORE_TRY(detail::check_optional_sequence(request.sequence));
  return key_id_params{id, request.sequence};
}

namespace detail {

// A body rendered by the JSON library.
template <class Json>
[[nodiscard]] http_response respond_json(const Json& body) {
  return respond(200, body.dump());
}

// key_info: the fields key_record_fields marks for it, in its order.
template <class Json>
[[nodiscard]] Json key_info(const key_record& record) {
  Json info = Json::object();
  for (const auto& field : key_record_fields) {
    if (field.in_key_info) info[std::string{field.name}] = field.render(record);
  }
  return info;
}

[[nodiscard]] inline std::string state_text(const key_record& record) {
  return std::to_string(static_cast<int>(record.key.state));
}

// Validates a key_id request and reads the key (KMS.0207 when the project has none, or it is
// gone at now_ms).
template <crypto_backend Backend>
[[nodiscard]] result<key_record> find_named_key(kms_service<Backend>& service,
                                                const key_id_request& request,
                                                std::int64_t now_ms) {
  KMSCORE_TRY_ASSIGN(const auto params, validate(request));
  return service.find_existing(params.key_id(), now_ms);
}

// Validates a key_id request and changes the key by compare-and-set (service.hpp).
template <crypto_backend Backend, class Change>
[[nodiscard]] result<key_record> change_named_key(kms_service<Backend>& service,
                                                  const key_id_request& request,
                                                  std::int64_t now_ms, Change&& change) {
  KMSCORE_TRY_ASSIGN(const auto params, validate(request));
  return service.change_key(params.key_id(), now_ms, std::forward<Change>(change));
}

// api-metadata.md §6: the fields of a request that may name a key by alias or URN (an
// action's `key_references`) made key IDs, before the action runs: an alias, or a URN of the
// service's region and project, becomes the ID of the key it names. One that names no key
// (or a gone one) becomes the nil key ID, which no store hands out, so that the action's
// field checks still come first and its first key check answers KMS.0207; a request whose
// key_id an envelope is compared with (decrypt-datakey, re-encrypt-datakey) is marked
// `key_id_unresolved` so that the comparison does not answer first. Text in none of the
// three forms is left for the field check (KMS.0205). A store fault while resolving is
// handled the same way and returned, for the caller to answer in place of that KMS.0207
// (json.hpp): the resolution is the first key check, after every field check, and the
// references are resolved in the order of their key checks (the first that fails answers).
template <crypto_backend Backend, class Request, std::size_t N>
[[nodiscard]] std::optional<error> resolve_key_references(
    kms_service<Backend>& service, Request& request,
    const std::array<optional_field Request::*, N>& references, std::int64_t now_ms) {
  std::optional<error> fault;
  bool missing = false;  // an earlier reference named no key: its KMS.0207 comes first
  for (const auto member : references) {
    auto& field = request.*member;
    if (!field || key_id::parse(*field)) continue;
    const auto reference = key_reference::parse(*field);
    if (!reference) continue;
    auto resolved = service.resolve(*reference, now_ms);
    if (resolved) {
      field = resolved->str();
      continue;
    }
    if (resolved.error().code() == errc::key_not_found) {
      missing = missing || !fault;
    } else if (!fault && !missing) {
      fault = resolved.error();
    }
    field = key_id{}.str();
    if constexpr (requires { request.key_id_unresolved; }) {
      if (member == &Request::key_id) request.key_id_unresolved = true;
    }
  }
  return fault;
}

// 204 No Content: the tag writes and delete-alias (api-metadata.md §0).
[[nodiscard]] inline http_response respond_no_content() { return respond(204, ""); }

// The answer of the actions that answer {}.
template <class Json>
[[nodiscard]] http_response respond_empty() {
  return respond_json(Json::object());
}

}  // namespace detail

}  // namespace kmscore
