// kmscore/route.hpp: an action's REST route (api-metadata.md §0): its method, its path
// pattern and whether it carries a JSON body, as an action file names it:
//
//   static constexpr action_route route{http_method::get, "{key_id}/tags", false};
//
// An action that names none is `POST {its name}` with a JSON body, as every action of
// api.md. router.hpp matches requests against every action's route. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmscore {

enum class http_method : std::uint8_t { get, post, del, other };

[[nodiscard]] constexpr std::string_view to_string(http_method method) noexcept {
  switch (method) {
    case http_method::get:
      return "GET";
    case http_method::post:
      return "POST";
    case http_method::del:
      return "DELETE";
    case http_method::other:
      break;
  }
  return "";
}

// An action's REST route: its method, its path pattern after `kms/`, whether the request
// carries a JSON body (the fields not in the path or query come from it), and the query
// parameters it reads.
struct action_route {
  http_method method = http_method::post;
  std::string_view path;
  bool has_body = true;
  // The query parameters the action reads, space-separated ("key_id limit marker"); other
  // names are ignored, and every route's query string is still signed (§0.3).
  std::string_view query = {};
};

// A parameter the path carried (percent-decoded), or a query parameter: a field of the
// action's request, which wins over a body member of the same name (api-metadata.md
// Decisions).
struct request_param {
  std::string_view name;  // a name of the route's pattern: a literal of the library
  std::string value;
};
using request_params = std::vector<request_param>;

}  // namespace kmscore
