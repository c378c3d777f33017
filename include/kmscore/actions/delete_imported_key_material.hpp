// kmscore/actions/delete_imported_key_material.hpp: delete-imported-key-material
// (api-import-mac.md §4): an external symmetric key's material wiped, the key back to state 5
// (its fingerprint kept, so that only the same material can be imported again); answers {}.
#pragma once

#include <cstdint>
#include <string_view>

#include "../import.hpp"
#include "common.hpp"

namespace kmscore::actions {

struct delete_imported_key_material {
  static constexpr std::string_view name = "delete-imported-key-material";
  using request = key_id_request;

  template <crypto_backend Backend>
  [[nodiscard]] static result<key_record> run(kms_service<Backend>& service, const request& r,
                                              std::int64_t now_ms) {
    return detail::change_named_key(
        service, r, now_ms, [](key_record& record) { return delete_imported_material(record); });
  }

  template <class Json>
  [[nodiscard]] static http_response render(const key_record&) {
    return detail::respond_empty<Json>();
  }
};

}  // namespace kmscore::actions
