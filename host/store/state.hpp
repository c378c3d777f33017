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
#include <kmscore/keyring.hpp>
#include <kmscore/keyring_root.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "durable_key_store.hpp"
#include "root_key.hpp"

namespace kmscore_host {

inline constexpr const char* root_key_file = "root.key";
inline constexpr const char* default_sqlite_file = "kmscore.db";

struct state_options {
  std::string state_dir;
  std::string store_url;   // empty: sqlite:STATE_DIR/kmscore.db
  std::string root_key;    // a root key spec (root_key.hpp); empty: file:STATE_DIR/root.key
  pkcs11_settings pkcs11;  // for a pkcs11: root key
  bool keep_root = false;  // keep the root key open after start (keyring rotate needs it)
};

// What the state needs of the host's backend: randomness, a root key held in memory (a root
// key file's), and the sealer over a root key.
using file_root_factory =
    std::function<std::unique_ptr<kmscore::keyring_root>(kmscore::master_key root)>;
using sealer_factory = std::function<std::unique_ptr<kmscore::record_sealer>(
    std::unique_ptr<kmscore::keyring_root> root)>;
struct state_crypto {
  random_source random;
  file_root_factory file_root;
  sealer_factory sealer;
};
// The same over one of the library's backends (the tool's and the server's).
template <kmscore::crypto_backend Backend>
[[nodiscard]] state_crypto state_crypto_of(Backend& backend) {
  return {[&backend](kmscore::mutable_byte_span out) { return backend.random_bytes(out); },
          [&backend](kmscore::master_key root) -> std::unique_ptr<kmscore::keyring_root> {
            return std::make_unique<kmscore::envelope_root<Backend>>(backend, std::move(root));
          },
          [&backend](std::unique_ptr<kmscore::keyring_root> root)
              -> std::unique_ptr<kmscore::record_sealer> {
            return std::make_unique<kmscore::root_key_sealer<Backend>>(backend, std::move(root));
          }};
}

struct opened_state {
  std::unique_ptr<kmscore::record_sealer> sealer;  // declared first: the store refers to it
  std::unique_ptr<durable_key_store> store;
  std::unique_ptr<durable_key_store> link_store;  // the sealer's reads of keyring key links
  kmscore::project default_project;
  std::string store_url;
  std::string root_key;                        // the root key's spec, as printed
  std::vector<kmscore::byte> keyring;          // the keyring as the store held it when opened
  std::optional<kmscore::key_id> root_key_id;  // a root key file's key id
};

// A store URL as it may be printed or logged: a PostgreSQL URL's password (in its user
// information or a password= parameter) replaced by "***", as in any scheme://… URL;
// sqlite:PATH is returned as it is. Every message of this library and the tool that names a store
// URL goes through it; docs/storage.md says how to keep passwords out of URLs altogether (.pgpass,
// PGPASSFILE).
[[nodiscard]] std::string printable_store_url(std::string_view url);

// nullopt, with the reason in `why`, if anything above does not hold.
[[nodiscard]] std::optional<opened_state> open_state(const state_options& options,
                                                     const state_crypto& crypto,
                                                     const kmscore::diagnostics_sink& diagnostics,
                                                     std::string& why);

// `root rotate --to SPEC` (shared spec cli.md): the keyring and the store's root key check
// sealed under the root key SPEC names (for file:, a new key written there, never over an
// existing file; for pkcs11:, an existing object) and stored in place of the old ones in one
// transaction. The old root key is left as it is (old backups need it). `pkcs11` is the new
// root key's module and PIN file (a token of another make or PIN). nullopt, with the
// reason, if the new root key cannot be made or opened, or the store changed meanwhile (nothing
// replaced, and a new root key file removed).
struct rotated_root {
  std::string root_key;      // the new root key's spec
  std::size_t keyring_keys;  // the keyring's sealing keys
  std::string warning;       // what the operator must still do, if anything
};
[[nodiscard]] std::optional<rotated_root> rotate_root(opened_state& state, std::string_view to,
                                                      const pkcs11_settings& pkcs11,
                                                      const state_crypto& crypto, std::string& why);

// `keyring rotate` (shared spec cli.md): a new newest sealing key, with its link (the key sealed
// under the keyring's newest key before it) stored first, then the keyring sealed under the
// root key in place of the old one if no other process changed it. New records are sealed
// under the new key, by this process at once and by others from their next start; running
// hosts open records it sealed by learning it from its link. The state must have been opened
// with keep_root. The new key's id, or nullopt with the reason.
[[nodiscard]] std::optional<kmscore::key_id> rotate_keyring(opened_state& state, std::string& why);

// The root key file: load (checked as above) and create (O_EXCL, durable). Exposed for tests.
[[nodiscard]] std::optional<kmscore::master_key> load_root_key(const std::string& path,
                                                               std::string& why);
enum class create_outcome { created, exists, failed };
[[nodiscard]] create_outcome create_root_key(const std::string& path,
                                             const kmscore::master_key& root, std::string& why);

}  // namespace kmscore_host
