// kmscore/router.hpp: which action a REST method and path name (api-metadata.md §0), and the
// parameters its path carries.
//
//   auto found = kmscore::match_route(kmscore::http_method::del, "bb6a…/tags/env");
//   if (found.action) ...   // delete-tag, with params {"key_id": "bb6a…", "key": "env"}
//   else found.refusal;     // KMS.0201, KMS.0205, KMS.0215 (found.allowed), KMS.0408
//
// Every action's route (route.hpp) in one table, from all_actions. The path is what follows
// `/v1.0/{project_id}/kms/`, still percent-encoded as received: each segment is decoded once
// (a malformed escape, an empty or dot segment, or one that is not UTF-8 matches nothing).
// `{key_id}` captures a segment that must have the key-ID form (alias forms are not accepted
// in paths: KMS.0205); any other `{name}` captures any decoded segment. No I/O.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actions.hpp"
#include "detail/text.hpp"
#include "error.hpp"
#include "key_id.hpp"
#include "percent.hpp"
#include "route.hpp"

namespace kmscore {

namespace detail {
template <class Action>
[[nodiscard]] constexpr action_route route_of() noexcept {
  if constexpr (requires { Action::route; }) {
    return Action::route;
  } else {
    return action_route{http_method::post, Action::name, true};
  }
}
template <class List>
struct route_table;
template <class... Actions>
struct route_table<action_list<Actions...>> {
  static constexpr std::array<action_route, sizeof...(Actions)> routes{route_of<Actions>()...};
};
}  // namespace detail

// Every action's route, in all_actions' order.
inline constexpr auto action_routes = detail::route_table<all_actions>::routes;

[[nodiscard]] constexpr const action_route& route_of(action_id action) noexcept {
  return action_routes[action.index()];
}

// What a method and path name: an action and its parameters, or the refusal.
struct route_match {
  std::optional<action_id> action;
  request_params params;
  errc refusal = errc::invalid_url;
  // For KMS.0308: the query parameter given twice (a name of the library).
  std::string_view refusal_field;
  // For KMS.0215: the methods the path's routes take ("GET, POST"), for the Allow header.
  std::string allowed;
};

namespace detail {
// One path segment percent-decoded once; nullopt for a malformed escape or invalid UTF-8.
[[nodiscard]] inline std::optional<std::string> decode_segment(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  if (!append_percent_decoded(out, raw) || !utf8_code_points(out)) return std::nullopt;
  return out;
}

[[nodiscard]] constexpr std::size_t segment_count(std::string_view pattern) noexcept {
  std::size_t count = 1;
  for (const char c : pattern) count += c == '/' ? 1 : 0;
  return count;
}

// The most segments a route's path has: a path with more matches none.
[[nodiscard]] constexpr std::size_t most_route_segments() noexcept {
  std::size_t most = 0;
  for (const auto& route : action_routes) {
    most = std::max(most, segment_count(route.path));
  }
  return most;
}

// A path's segments, each decoded (short ones stay in the strings' own buffers: routing a
// request of a one-segment route allocates nothing).
struct path_segments {
  std::array<std::string, most_route_segments()> text;
  std::size_t size = 0;
};

// Splits on '/', each segment decoded; nullopt if there are more segments than any route
// has, or one does not decode, is empty (a trailing '/', "//") or is a dot segment ("." or
// "..", escaped or not): the request signature removes those from its canonical URI (RFC 3986
// §5.2.4), so the path it signs would not be the path routed.
[[nodiscard]] inline std::optional<path_segments> decoded_segments(std::string_view path) {
  path_segments segments;
  while (true) {
    if (segments.size == segments.text.size()) return std::nullopt;
    const auto slash = path.find('/');
    auto& segment = segments.text[segments.size++];
    const auto raw = path.substr(0, slash);
    if (raw.find('%') == std::string_view::npos) {
      if (!utf8_code_points(raw)) return std::nullopt;
      segment.assign(raw);
    } else {
      auto decoded = decode_segment(raw);
      if (!decoded) return std::nullopt;
      segment = std::move(*decoded);
    }
    if (segment.empty() || segment == "." || segment == "..") return std::nullopt;
    if (slash == std::string_view::npos) return segments;
    path.remove_prefix(slash + 1);
  }
}

[[nodiscard]] constexpr std::string_view pattern_segment(std::string_view pattern,
                                                         std::size_t index) noexcept {
  for (; index > 0; --index) pattern.remove_prefix(pattern.find('/') + 1);
  return pattern.substr(0, pattern.find('/'));
}

[[nodiscard]] constexpr bool is_capture(std::string_view segment) noexcept {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Whether the segments fit the pattern's shape (captures take any segment).
[[nodiscard]] inline bool fits(std::string_view pattern, const path_segments& segments) {
  if (segment_count(pattern) != segments.size) return false;
  for (std::size_t i = 0; i < segments.size; ++i) {
    const auto part = pattern_segment(pattern, i);
    if (!is_capture(part) && part != segments.text[i]) return false;
  }
  return true;
}
}  // namespace detail

namespace detail {
// The query parameters a route reads (route.query), percent-decoded, from the raw query
// string (`a=1&b=2`, a bare name being an empty value); other names are ignored. A name the
// route reads given twice: false, with that name.
[[nodiscard]] inline bool read_query(std::string_view names, std::string_view query,
                                     request_params& params, std::string_view& repeated) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto equals = pair.find('=');
    std::string name;
    if (!append_percent_decoded(name, pair.substr(0, equals))) continue;
    for (auto rest = names; !rest.empty();) {
      const auto space = rest.find(' ');
      const auto known = rest.substr(0, space);
      rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
      if (known != name) continue;
      for (const auto& param : params) {
        if (param.name == known) {
          repeated = known;
          return false;
        }
      }
      std::string value;
      // A value that does not decode is kept raw: the field's own check refuses it.
      const auto raw =
          equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
      if (!append_percent_decoded(value, raw)) value.assign(raw);
      params.push_back({known, std::move(value)});
    }
  }
  return true;
}
}  // namespace detail

// Matches a method and the path after `/v1.0/{project_id}/kms/` (api-metadata.md §0.2): the
// route whose path and method match (its captures checked: KMS.0205 for a key_id that is
// not in key-ID form); a path some route takes with another method is KMS.0215, `{x}/action`
// with x other than resource_instances KMS.0408, anything else KMS.0201. Literal segments
// win over captures: `POST {key_id}/tags/action` is the batch action, while
// `DELETE {key_id}/tags/action` deletes the tag named "action".
// The route's query parameters (route.query) come from `query`, the raw query string: a name
// given twice is KMS.0308 Invalid {name}. (refusal_field).
[[nodiscard]] inline route_match match_route(http_method method, std::string_view path,
                                             std::string_view query = {}) {
  route_match found;
  auto segments = detail::decoded_segments(path);
  if (!segments) return found;
  std::array<bool, 4> allowed{};
  std::optional<std::size_t> chosen;
  for (std::size_t i = 0; i < action_routes.size(); ++i) {
    const auto& route = action_routes[i];
    if (!detail::fits(route.path, *segments)) continue;
    allowed[static_cast<std::size_t>(route.method)] = true;
    if (route.method == method && !chosen) chosen = i;
  }
  if (!chosen) {
    if (allowed[0] || allowed[1] || allowed[2]) {
      found.refusal = errc::method_not_supported;
      for (const auto m : {http_method::get, http_method::post, http_method::del}) {
        if (!allowed[static_cast<std::size_t>(m)]) continue;
        if (!found.allowed.empty()) found.allowed += ", ";
        found.allowed += to_string(m);
      }
    } else if (segments->size == 2 && segments->text[1] == "action") {
      found.refusal = errc::invalid_resource_type;
    }
    return found;
  }
  const auto& route = action_routes[*chosen];
  for (std::size_t i = 0; i < segments->size; ++i) {
    const auto part = detail::pattern_segment(route.path, i);
    if (!detail::is_capture(part)) continue;
    const auto name = part.substr(1, part.size() - 2);
    if (name == "key_id" && !key_id::parse(segments->text[i])) {
      found.refusal = errc::invalid_key_id;
      return found;
    }
    found.params.push_back({name, std::move(segments->text[i])});
  }
  if (!route.query.empty() &&
      !detail::read_query(route.query, query, found.params, found.refusal_field)) {
    found.refusal = errc::invalid_parameter;
    return found;
  }
  found.action = *action_id::find(action_names[*chosen]);
  return found;
}

}  // namespace kmscore
