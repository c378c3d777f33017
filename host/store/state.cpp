#include "state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include <kmscore/keyring.hpp>
#include <kmscore/keyring_root.hpp>

#include "secret_input.hpp"
#include "sqlite_key_store.hpp"

namespace kmscore_host {

namespace {

constexpr std::string_view root_key_header = "kmscore root key v1\n";
constexpr std::size_t root_key_material_size = 32;
constexpr std::size_t root_key_file_size =
    root_key_header.size() + kmscore::key_id_size + 1 + 2 * root_key_material_size + 1;
constexpr std::string_view root_check_name = "root_key_check";
constexpr std::string_view default_project_name = "default_project";
constexpr std::string_view keyring_name = "keyring";
constexpr std::string_view keyring_key_prefix = "keyring-key:";  // + key id: its link

std::string errno_text(int code = errno) {
  return std::error_code{code, std::generic_category()}.message();
}

// The state directory: created 0700 (whatever the umask), refused if someone else owns it or
// group or others may write to it.
bool prepare_state_dir(const std::string& dir, std::string& why) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    why = "cannot create the state directory " + dir + ": " + errno_text();
    return false;
  }
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    why = "the state directory " + dir + " is not a directory (symlinks are refused)";
    return false;
  }
  if (info.st_uid != ::geteuid()) {
    why = "the state directory " + dir + " belongs to another user (uid " +
          std::to_string(info.st_uid) + ")";
    return false;
  }
  if ((info.st_mode & 022U) != 0) {
    why = "the state directory " + dir + " is writable by group or others (mode " +
          octal_mode(info.st_mode) + "); chmod 700 it";
    return false;
  }
  return true;
}

std::string random_hex_id(const random_source& random, bool& ok) {
  std::array<kmscore::byte, 16> bytes{};
  ok = random(bytes).has_value();
  return kmscore::hex_encode_lower(bytes);
}

bool write_all(int fd, kmscore::byte_span bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    done += static_cast<std::size_t>(wrote);
  }
  return true;
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::optional<kmscore::master_key> load_root_key(const std::string& path, std::string& why) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    why = errno == ENOENT ? "the root key " + path + " does not exist"
                          : "cannot open the root key " + path + ": " + errno_text();
    return std::nullopt;
  }
  struct stat info {};
  const bool stat_ok = ::fstat(fd, &info) == 0;
  if (!stat_ok || !S_ISREG(info.st_mode)) {
    ::close(fd);
    why = "the root key " + path + " is not a regular file";
    return std::nullopt;
  }
  if (info.st_uid != ::geteuid()) {
    ::close(fd);
    why = "refusing the root key " + path + ": it belongs to another user (uid " +
          std::to_string(info.st_uid) + ")";
    return std::nullopt;
  }
  if ((info.st_mode & 077U) != 0) {
    ::close(fd);
    why = "refusing the root key " + path + ": group or others may access it (mode " +
          octal_mode(info.st_mode) + "); chmod 600 it";
    return std::nullopt;
  }
  auto contents = read_secret_fd(fd, root_key_file_size);
  ::close(fd);
  if (!contents || contents->size() != root_key_file_size) {
    why = "the root key " + path + " is not in the documented format (docs/storage.md)";
    return std::nullopt;
  }
  const auto text = kmscore::as_chars(contents->expose());
  const auto id = kmscore::key_id::parse(text.substr(root_key_header.size(), kmscore::key_id_size));
  const auto hex =
      text.substr(root_key_header.size() + kmscore::key_id_size + 1, 2 * root_key_material_size);
  kmscore::master_key root;
  kmscore::secret_bytes material{root_key_material_size};
  if (text.substr(0, root_key_header.size()) != root_key_header || !id ||
      text[root_key_header.size() + kmscore::key_id_size] != '\n' || text.back() != '\n' ||
      !kmscore::hex_decode(hex, material.expose())) {
    why = "the root key " + path + " is not in the documented format (docs/storage.md)";
    return std::nullopt;
  }
  root.key_id = *id;
  root.spec = kmscore::key_spec::aes_256;
  root.material_versions.push_back(std::move(material));
  return root;
}

create_outcome create_root_key(const std::string& path, const kmscore::master_key& root,
                               std::string& why) {
  if (root.material_versions.size() != 1 ||
      root.material_versions[0].size() != root_key_material_size) {
    why = "a root key has exactly one 32-byte material";
    return create_outcome::failed;
  }
  kmscore::secret_bytes file{root_key_file_size};
  auto out = file.expose().begin();
  out = std::copy(root_key_header.begin(), root_key_header.end(), out);
  const auto id = root.key_id.view();
  out = std::copy(id.begin(), id.end(), out);
  *out++ = '\n';
  const auto hex = kmscore::secret_hex::encode(root.material_versions[0].expose());
  out = std::copy(hex.expose_text().begin(), hex.expose_text().end(), out);
  *out = '\n';
  // Written whole to a temporary file of a random name (mkostemp: O_EXCL, mode 0600), then
  // linked to `path`: link() never replaces, so exactly one of several processes starting at
  // once wins (whatever their pid namespaces), and nobody reads a half-written root key. Once
  // linked it is never removed: another process may already be using it.
  std::string temporary = path + ".new.XXXXXX";
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) {
    why = "cannot create a temporary root key beside " + path + ": " + errno_text();
    return create_outcome::failed;
  }
  const bool written = ::fchmod(fd, 0600) == 0 && write_all(fd, file.expose()) && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  const bool linked = written && ::link(temporary.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (!written) {
    why = "cannot write the root key " + temporary + ": " + errno_text(write_errno);
    return create_outcome::failed;
  }
  if (!linked) {
    if (link_errno == EEXIST) return create_outcome::exists;
    why = "cannot create the root key " + path + ": " + errno_text(link_errno);
    return create_outcome::failed;
  }
  const int dir = ::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool durable = dir >= 0 && ::fsync(dir) == 0;
  const int sync_errno = errno;
  if (dir >= 0) ::close(dir);
  if (!durable) {
    why = "the root key " + path +
          " was written but its directory could not be synced: " + errno_text(sync_errno);
    return create_outcome::failed;
  }
  return create_outcome::created;
}

namespace {
// A parameter name as libpq reads it: %XX decoded, compared without case.
std::string decoded_lower(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const auto hex = [](char h) {
        return h >= '0' && h <= '9'   ? h - '0'
               : h >= 'a' && h <= 'f' ? h - 'a' + 10
               : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                      : -1;
      };
      const int high = hex(text[i + 1]);
      const int low = hex(text[i + 2]);
      if (high >= 0 && low >= 0) {
        c = static_cast<char>(high * 16 + low);
        i += 2;
      }
    }
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
  }
  return out;
}
}  // namespace

std::string printable_store_url(std::string_view url) {
  if (url.starts_with("sqlite:")) return std::string{url};  // a path: nothing secret
  // Anything else that is not a scheme://… URL (libpq's key=value form, a typo) may hold a
  // password anywhere: only its scheme, if it has one, is shown.
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    const auto colon = url.find(':');
    const auto scheme = url.substr(0, colon == std::string_view::npos ? 0 : colon);
    const bool plain = !scheme.empty() && std::all_of(scheme.begin(), scheme.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
    return plain ? std::string{scheme} + ":***" : std::string{"***"};
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string shown{url.substr(0, scheme_end + 3)};
  // The login part: libpq reads it up to the first '@' before the first '/'; everything
  // after the user name up to the last such '@' is shown as *** ('?' and '#' may be in it).
  const auto path_start = std::min(rest.find('/'), rest.size());
  const auto at = rest.substr(0, path_start).rfind('@');
  if (at != std::string_view::npos) {
    const auto login = rest.substr(0, at);
    const auto colon = login.find(':');
    shown.append(colon == std::string_view::npos ? login : login.substr(0, colon + 1));
    if (colon != std::string_view::npos) shown.append("***");
    rest.remove_prefix(at);
  }
  // The parameters: the value of any whose name (decoded) holds "pass" (password,
  // sslpassword) is shown as ***.
  const auto query = rest.find('?');
  shown.append(rest.substr(0, query == std::string_view::npos ? rest.size() : query));
  if (query == std::string_view::npos) return shown;
  rest.remove_prefix(query);
  while (!rest.empty()) {
    const auto next = rest.find('&', 1);
    const auto item = rest.substr(0, next);  // starts with '?' or '&'
    const auto equals = item.find('=');
    const auto name =
        item.substr(1, equals == std::string_view::npos ? std::string_view::npos : equals - 1);
    if (equals != std::string_view::npos && decoded_lower(name).find("pass") != std::string::npos) {
      shown.append(item.substr(0, equals + 1)).append("***");
    } else {
      shown.append(item);
    }
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next);
  }
  return shown;
}

namespace {

// The store's root key check, stored if the store has none yet (of processes doing this at
// once, all check the one stored): false, with the reason, if the root key does not open it.
bool settle_root_check(opened_state& state, std::string& why) {
  auto candidate = state.sealer->seal_check();
  if (!candidate) {
    why = "cannot seal the root key check under " + state.root_key;
    return false;
  }
  const auto stored = state.store->meta_put_if_absent(root_check_name, *candidate);
  if (!stored) {
    why = "cannot read the store " + printable_store_url(state.store_url);
    return false;
  }
  if (!state.sealer->open_check(*stored)) {
    why = "the root key " + state.root_key + " does not match the store " +
          printable_store_url(state.store_url) +
          " (its keys were sealed under another root key; after `root rotate`, give "
          "--root-key with the new one)";
    return false;
  }
  return true;
}

// A root key file: loaded, or created for a new store (of processes creating it at once, all
// load the one written). Three rounds at most.
bool settle_file_root(opened_state& state, const std::string& path, const state_crypto& crypto,
                      const kmscore::diagnostics_sink& diagnostics, std::string& why) {
  for (int round = 0; round < 3; ++round) {
    std::string missing;
    auto root = load_root_key(path, missing);
    const bool exists = root.has_value();
    if (!exists && ::access(path.c_str(), F_OK) == 0) {
      why = missing;  // present but refused: never replaced
      return false;
    }
    if (!exists) {  // a candidate, written only if the store turns out to be new
      kmscore::master_key candidate;
      std::array<kmscore::byte, kmscore::uuid::byte_size> id_bytes{};
      kmscore::secret_bytes material{root_key_material_size};
      if (!crypto.random(id_bytes) || !crypto.random(material.expose())) {
        why = "no randomness for a root key";
        return false;
      }
      candidate.key_id = kmscore::key_id::from_uuid(kmscore::uuid::version4(id_bytes));
      candidate.material_versions.push_back(std::move(material));
      root = std::move(candidate);
    }
    kmscore::master_key copy;
    copy.key_id = root->key_id;
    copy.spec = root->spec;
    copy.material_versions.push_back(root->material_versions[0].clone());
    state.store.reset();  // (before the sealer it refers to)
    state.sealer.reset();
    state.sealer = crypto.sealer(crypto.file_root(std::move(copy)));
    state.store = open_key_store(state.store_url, *state.sealer, diagnostics, why);
    if (!state.store) return false;

    auto check = state.store->meta_get(root_check_name);
    if (!check) {
      why = "cannot read the store " + printable_store_url(state.store_url);
      return false;
    }
    if (!exists) {
      const auto keys = state.store->count_keys();
      if (!keys) {
        why = "cannot read the store " + printable_store_url(state.store_url);
        return false;
      }
      if ((*keys > 0 || *check) && ::access(path.c_str(), F_OK) == 0) {
        continue;  // another process made the root key meanwhile: load it
      }
      if (*keys > 0 || *check) {
        why = "the root key " + path + " is missing, but the store " +
              printable_store_url(state.store_url) + " was set up with one" +
              (*keys > 0 ? " and holds " + std::to_string(*keys) + " keys" : std::string{}) +
              ": restore that root key, or give the --root-key it was set up with (a new one "
              "could open none of its keys)";
        return false;
      }
      const auto created = create_root_key(path, *root, why);
      if (created == create_outcome::failed) return false;
      if (created == create_outcome::exists) continue;  // another process won: load its key
    }
    state.root_key_id = root->key_id;
    return settle_root_check(state, why);
  }
  why = "the root key could not be settled";
  return false;
}

}  // namespace

std::optional<opened_state> open_state(const state_options& options, const state_crypto& crypto,
                                       const kmscore::diagnostics_sink& diagnostics,
                                       std::string& why) {
  if (!prepare_state_dir(options.state_dir, why)) return std::nullopt;
  opened_state state;
  state.store_url = options.store_url.empty()
                        ? "sqlite:" + options.state_dir + "/" + default_sqlite_file
                        : options.store_url;
  const auto spec = parse_root_key_spec(options.root_key.empty()
                                            ? "file:" + options.state_dir + "/" + root_key_file
                                            : options.root_key,
                                        why);
  if (!spec) return std::nullopt;
  state.root_key = root_key_spec_text(*spec);

  if (const auto* file = std::get_if<file_root_spec>(&*spec)) {
    if (!settle_file_root(state, file->path, crypto, diagnostics, why)) return std::nullopt;
  } else {  // a key in a token: never created here
    auto root = open_pkcs11_root(std::get<pkcs11_uri>(*spec), options.pkcs11, crypto.random, why);
    if (!root) return std::nullopt;
    state.sealer = crypto.sealer(std::move(root));
    state.store = open_key_store(state.store_url, *state.sealer, diagnostics, why);
    if (!state.store) return std::nullopt;
    if (!settle_root_check(state, why)) return std::nullopt;
  }

  // The keyring (kmscore/keyring.hpp): made once per store, sealed under the root key, with a
  // new sealing key (or, for a store made before keyrings, whose records the root key sealed,
  // that root key) and a fresh service secret; of processes making it at once, all load the
  // one stored.
  auto ring = state.store->meta_get(keyring_name);
  if (!ring) {
    why = "cannot read the store " + printable_store_url(state.store_url);
    return std::nullopt;
  }
  if (!*ring) {
    const auto keys = state.store->count_keys();
    if (!keys) {
      why = "cannot read the store " + printable_store_url(state.store_url);
      return std::nullopt;
    }
    kmscore::secret_bytes secret{kmscore::service_secret_size};
    if (!crypto.random(secret.expose())) {
      why = "no randomness for the keyring's service secret";
      return std::nullopt;
    }
    auto sealed = state.sealer->new_keyring(secret.expose(), *keys > 0);
    if (!sealed) {
      why = *keys > 0 ? "the store " + printable_store_url(state.store_url) +
                            " was made before keyrings: open it once with its root key file"
                      : "cannot make the keyring of " + printable_store_url(state.store_url);
      return std::nullopt;
    }
    auto stored = state.store->meta_put_if_absent(keyring_name, *sealed);
    if (!stored) {
      why = "cannot record the keyring in " + printable_store_url(state.store_url);
      return std::nullopt;
    }
    ring = std::optional<std::vector<kmscore::byte>>{std::move(*stored)};
  }
  if (!state.sealer->load_keyring(**ring)) {
    why = "the keyring of the store " + printable_store_url(state.store_url) +
          " does not open under the root key " + state.root_key;
    return std::nullopt;
  }
  state.keyring = std::move(**ring);
  // Links to sealing keys added since (keyring rotate), read on a connection of their own: a
  // record is opened while its store's connection is busy reading it.
  state.link_store = open_key_store(state.store_url, *state.sealer, diagnostics, why);
  if (!state.link_store) return std::nullopt;
  state.sealer->learn_links_from([links = state.link_store.get()](const kmscore::key_id& id) {
    return links->meta_get(std::string{keyring_key_prefix} + std::string{id.view()});
  });
  if (!options.keep_root) state.sealer->release_root();

  // The default project: made once, with a random id and domain, and kept in the store.
  auto named = state.store->meta_get(default_project_name);
  if (!named) {
    why = "cannot read the store " + printable_store_url(state.store_url);
    return std::nullopt;
  }
  if (!*named) {
    bool ok_id = false;
    bool ok_domain = false;
    const auto id = kmscore::project_id::parse(random_hex_id(crypto.random, ok_id));
    const auto domain = random_hex_id(crypto.random, ok_domain);
    if (!ok_id || !ok_domain || !id || !state.store->ensure_project(*id, domain)) {
      why = "cannot create the default project in " + printable_store_url(state.store_url);
      return std::nullopt;
    }
    auto recorded =
        state.store->meta_put_if_absent(default_project_name, kmscore::as_bytes(id->view()));
    if (!recorded) {
      why = "cannot record the default project in " + printable_store_url(state.store_url);
      return std::nullopt;
    }
    named = std::optional<std::vector<kmscore::byte>>{std::move(*recorded)};
  }
  const auto named_id = kmscore::project_id::parse(kmscore::as_chars(**named));
  const auto project =
      named_id ? state.store->find_project(*named_id)
               : kmscore::result<std::optional<kmscore::project>>{kmscore::errc::kms_error};
  if (!project || !*project) {
    why = "the store " + printable_store_url(state.store_url) +
          " names a default project it does not hold";
    return std::nullopt;
  }
  state.default_project = **project;
  return state;
}

std::optional<rotated_root> rotate_root(opened_state& state, std::string_view to,
                                        const pkcs11_settings& pkcs11, const state_crypto& crypto,
                                        std::string& why) {
  const auto spec = parse_root_key_spec(to, why);
  if (!spec) return std::nullopt;
  const std::string text = root_key_spec_text(*spec);
  if (text == state.root_key) {
    why = "the store's root key is already " + text;
    return std::nullopt;
  }
  std::unique_ptr<kmscore::keyring_root> root;
  std::string created_file;  // a new root key file, removed if the store keeps the old root
  if (const auto* file = std::get_if<file_root_spec>(&*spec)) {
    struct stat info {};
    if (::lstat(file->path.c_str(), &info) == 0) {
      why = "refusing to overwrite " + file->path + ": root rotate writes a new root key file";
      return std::nullopt;
    }
    kmscore::master_key fresh;
    std::array<kmscore::byte, kmscore::uuid::byte_size> id_bytes{};
    kmscore::secret_bytes material{root_key_material_size};
    if (!crypto.random(id_bytes) || !crypto.random(material.expose())) {
      why = "no randomness for a root key";
      return std::nullopt;
    }
    fresh.key_id = kmscore::key_id::from_uuid(kmscore::uuid::version4(id_bytes));
    fresh.material_versions.push_back(std::move(material));
    const auto created = create_root_key(file->path, fresh, why);
    if (created == create_outcome::exists) {
      why = "refusing to overwrite " + file->path + ": root rotate writes a new root key file";
    }
    if (created != create_outcome::created) return std::nullopt;
    created_file = file->path;
    root = crypto.file_root(std::move(fresh));
  } else {
    root = open_pkcs11_root(std::get<pkcs11_uri>(*spec), pkcs11, crypto.random, why);
    if (!root) return std::nullopt;
  }
  const auto forget_file = [&] {
    if (!created_file.empty()) ::unlink(created_file.c_str());
  };

  // The keyring and the check, sealed under the new root key and opened again by it, then
  // stored together in place of the old ones if no other process changed them meanwhile.
  auto keyring = state.sealer->sealed_keyring(*root);
  auto check = kmscore::seal_root_check(*root);
  const auto old_check = state.store->meta_get(root_check_name);
  if (!keyring || !check || !kmscore::open_keyring(*root, *keyring) ||
      !kmscore::open_root_check(*root, *check)) {
    forget_file();
    why = "the root key " + text + " cannot seal the keyring";
    return std::nullopt;
  }
  if (!old_check || !*old_check) {
    forget_file();
    why = "cannot read the store " + printable_store_url(state.store_url);
    return std::nullopt;
  }
  const std::array<durable_key_store::meta_change, 2> changes{{
      {keyring_name, state.keyring, *keyring},
      {root_check_name, **old_check, *check},
  }};
  const auto replaced = state.store->meta_replace(changes);
  if (!replaced) {  // the outcome is unknown: the new root key file is kept
    why = "the store " + printable_store_url(state.store_url) +
          " did not take the new keyring (if it did, " + text + " opens it now)";
    return std::nullopt;
  }
  if (!*replaced) {
    forget_file();
    why = "the keyring of " + printable_store_url(state.store_url) +
          " changed since this process opened it (another rotation?): run again";
    return std::nullopt;
  }
  rotated_root done{text, state.sealer->keyring_keys(), {}};
  if (state.root_key_id && state.sealer->keyring_holds(*state.root_key_id)) {
    done.warning =
        "the store's records are still sealed under its first keyring key, which is "
        "the retired root key's own material (the store was made before keyrings): "
        "keep " +
        state.root_key +
        " as secret as the new root key until every record "
        "is re-sealed (docs/storage.md)";
  }
  state.keyring = std::move(*keyring);
  state.root_key = text;
  state.root_key_id = std::nullopt;
  return done;
}

std::optional<kmscore::key_id> rotate_keyring(opened_state& state, std::string& why) {
  auto rotation = state.sealer->rotate_keyring();
  if (!rotation) {
    why = "cannot make a new keyring key (the root key " + state.root_key + " is needed)";
    return std::nullopt;
  }
  // The link first (a link no keyring names is harmless), then the keyring, if unchanged.
  const std::string link_name = std::string{keyring_key_prefix} + std::string{rotation->key.view()};
  const auto linked = state.store->meta_put_if_absent(link_name, rotation->link);
  if (!linked) {
    why = "cannot record the new keyring key in " + printable_store_url(state.store_url);
    return std::nullopt;
  }
  const std::array<durable_key_store::meta_change, 1> changes{
      {{keyring_name, state.keyring, rotation->keyring}}};
  const auto replaced = state.store->meta_replace(changes);
  if (!replaced || !*replaced) {
    why = !replaced ? "the store " + printable_store_url(state.store_url) +
                          " did not take the new keyring"
                    : "the keyring of " + printable_store_url(state.store_url) +
                          " changed since this process opened it (another rotation?): run again";
    return std::nullopt;
  }
  if (!state.sealer->load_keyring(rotation->keyring)) {
    why = "the new keyring does not open";
    return std::nullopt;
  }
  state.keyring = std::move(rotation->keyring);
  return rotation->key;
}

std::unique_ptr<durable_key_store> open_key_store(std::string_view url,
                                                  kmscore::record_sealer& sealer,
                                                  kmscore::diagnostics_sink diagnostics,
                                                  std::string& why) {
  constexpr std::string_view sqlite_scheme = "sqlite:";
  if (url.starts_with(sqlite_scheme)) {
    const std::string path{url.substr(sqlite_scheme.size())};
    if (path.empty()) {
      why = "sqlite: needs a path (sqlite:/path/to/kmscore.db)";
      return nullptr;
    }
    return sqlite_key_store::open(path, sealer, std::move(diagnostics), why);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return open_postgres_key_store(url, sealer, std::move(diagnostics), why);
  }
  why = "unknown store URL " + printable_store_url(url) + " (sqlite:PATH or postgresql://...)";
  return nullptr;
}

}  // namespace kmscore_host
