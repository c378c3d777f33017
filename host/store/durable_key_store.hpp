// host/store/durable_key_store.hpp: what the host's database stores add to kmscore::key_store.
//
//   std::string why;
//   auto store = kmscore_host::open_key_store("sqlite:/var/lib/kmscore/kmscore.db", sealer,
//                                             diagnostics, why);
//
// Two stores implement it: SQLite (the default: one file, several processes on one host)
// and PostgreSQL (several hosts sharing keys). Both keep each key record's metadata readable
// (for listing) and its material sealed under the root key (kmscore::record_sealer), make the
// record and its alias unique per project in one transaction, update by compare-and-set on
// the record revision, and refuse to run unless the database's durability settings hold
// (docs/storage.md). Errors are 500 KMS.0101 for the request, with the detail sent to the
// diagnostics sink.
#pragma once

#include <kmscore/diagnostics.hpp>
#include <kmscore/key_record_codec.hpp>
#include <kmscore/key_store.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kmscore_host {

using setting = std::pair<std::string, std::string>;

class durable_key_store : public kmscore::key_store {
 public:
  // Key records in every project (a root key is never created for a store that has some).
  [[nodiscard]] virtual kmscore::result<std::size_t> count_keys() = 0;
  // The store's named value (the root key check, the default project), or nullopt.
  [[nodiscard]] virtual kmscore::result<std::optional<std::vector<kmscore::byte>>> meta_get(
      std::string_view name) = 0;
  // The store's named value, storing `value` first
  // if it has none: of two processes doing this at once, both get the one stored.
  [[nodiscard]] virtual kmscore::result<std::vector<kmscore::byte>> meta_put_if_absent(
      std::string_view name, kmscore::byte_span value) = 0;
  // In one transaction, each named value replaced by its replacement if it still holds what
  // was expected: false, and nothing changed, if any does not (another process changed it).
  // (`root rotate` replaces the keyring and the root key check together.)
  struct meta_change {
    std::string_view name;
    kmscore::byte_span expected;
    kmscore::byte_span replacement;
  };
  [[nodiscard]] virtual kmscore::result<bool> meta_replace(
      std::span<const meta_change> changes) = 0;
  // The durability settings the connection runs with, as the database reports them.
  [[nodiscard]] virtual kmscore::result<std::vector<setting>> settings() = 0;
};

// Opens the store a URL names: `sqlite:PATH` or `postgresql://...` (libpq's URI form).
// Defined in state.cpp (kmscore::host_store, which links both database clients); an
// embedder that links only kmscore::host_sqlite opens sqlite_key_store.hpp's store directly,
// and one that links only kmscore::host_postgres calls open_postgres_key_store.
// nullptr, with the reason in `why`, if the URL is malformed, the database cannot be
// reached, its schema is newer than this build, or its settings are not durable.
[[nodiscard]] std::unique_ptr<durable_key_store> open_key_store(
    std::string_view url, kmscore::record_sealer& sealer, kmscore::diagnostics_sink diagnostics,
    std::string& why);

// The PostgreSQL store (postgres_key_store.cpp), for `postgresql://` URLs.
[[nodiscard]] std::unique_ptr<durable_key_store> open_postgres_key_store(
    std::string_view url, kmscore::record_sealer& sealer, kmscore::diagnostics_sink diagnostics,
    std::string& why);

}  // namespace kmscore_host
