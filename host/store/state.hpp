// host/store/state.hpp: a host's state, opened the one way the tool and the server share:
// the state directory, the root key in it, the key store, and the default project.
//
//   std::string why;
//   auto state = kmscore_host::open_state({dir, "sqlite:" + dir + "/kmscore.db"}, random,
//                                         make_sealer, diagnostics, why);
//
// The root key lives in DIR/root.key (docs/storage.md has the format): owned by the user
// running the process, mode 0600, never a symlink; anything else is refused with the reason.
// It is created only for a store that holds no keys and no root key check, with
// O_EXCL|O_NOFOLLOW, and made durable (fsync of the file and of the directory) before the
// store records its check value. A missing or wrong root key is a clear error that changes
// nothing. The state directory is made 0700; one owned by another user, or writable by
// group or others, is refused.
#pragma once

#include <kmscore/key_record_codec.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "durable_key_store.hpp"

namespace kmscore_host {

inline constexpr const char* root_key_file = "root.key";
inline constexpr const char* default_sqlite_file = "kmscore.db";

struct state_options {
  std::string state_dir;
  std::string store_url;  // empty: sqlite:STATE_DIR/kmscore.db
};

using random_source = std::function<kmscore::result<void>(kmscore::mutable_byte_span)>;
using sealer_factory =
    std::function<std::unique_ptr<kmscore::record_sealer>(kmscore::master_key root)>;

struct opened_state {
  std::unique_ptr<kmscore::record_sealer> sealer;  // declared first: the store refers to it
  std::unique_ptr<durable_key_store> store;
  kmscore::project default_project;
  std::string store_url;
  std::string root_key_path;
};

// A store URL as it may be printed or logged: a PostgreSQL URL's password (in its user
// information or a password= parameter) replaced by "***", as in any scheme://… URL;
// sqlite:PATH is returned as it is. Every message of this library and the tool that names a store
// URL goes through it; docs/storage.md says how to keep passwords out of URLs altogether (.pgpass,
// PGPASSFILE).
[[nodiscard]] std::string printable_store_url(std::string_view url);

// nullopt, with the reason in `why`, if anything above does not hold.
[[nodiscard]] std::optional<opened_state> open_state(const state_options& options,
                                                     const random_source& random,
                                                     const sealer_factory& make_sealer,
                                                     const kmscore::diagnostics_sink& diagnostics,
                                                     std::string& why);

// The root key file: load (checked as above) and create (O_EXCL, durable). Exposed for tests.
[[nodiscard]] std::optional<kmscore::master_key> load_root_key(const std::string& path,
                                                               std::string& why);
enum class create_outcome { created, exists, failed };
[[nodiscard]] create_outcome create_root_key(const std::string& path,
                                             const kmscore::master_key& root, std::string& why);

}  // namespace kmscore_host
