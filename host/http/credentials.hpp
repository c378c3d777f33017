// host/http/credentials.hpp: the AK/SK credentials `kmscore serve` accepts (shared spec cli.md,
// "Additions").
//
//   std::string why;
//   auto credentials = kmscore_host::http::credential_set::load("/etc/kmscore/credentials", why);
//   if (!credentials) die(why);
//   const auto* entry = credentials->find(access_key);   // nullptr: unknown AK
//
// The file is JSON:
//   {"credentials": [{"access_key": "...", "secret_key": "...", "projects": ["<32 hex>", ...],
//                     "domain_id": "<32 hex, optional>"}]}
// It must be a regular file (not a symlink), owned by the user running the server, with no
// group or other permission bits; it is read into zeroizing memory and parsed into wiping
// strings, and each secret key is kept in a secret_bytes. Anything unexpected is refused with
// the reason, never skipped: an unknown field, a duplicate key, a wrong type, an access key
// the signature grammar cannot carry, an empty secret key, an entry without projects, an
// access key given twice, or two entries giving one project different domain_ids (so a typo
// never opens a door or silently changes an account). An entry's domain_id applies to each
// of its projects.
#pragma once

#include <kmscore/project_id.hpp>
#include <kmscore/secret.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmscore_host::http {

inline constexpr std::size_t max_credentials_file_size = std::size_t{1} << 20;

struct credential {
  std::string access_key;                     // public: it travels in every request
  kmscore::secret_bytes secret_key;           // the HMAC key, as given
  std::vector<kmscore::project_id> projects;  // the projects this key may act for
  std::string domain_id;                      // for its projects' creation; empty: a fresh one

  [[nodiscard]] bool may_use(const kmscore::project_id& project) const noexcept;
};

class credential_set {
 public:
  // Reads and checks the file (see above); nullopt with the reason in `why`.
  [[nodiscard]] static std::optional<credential_set> load(const std::string& path,
                                                          std::string& why);
  // Parses the file's text (the checks after reading; exposed for tests).
  [[nodiscard]] static std::optional<credential_set> parse(std::string_view text, std::string& why);

  // The entry of this access key, or nullptr.
  [[nodiscard]] const credential* find(std::string_view access_key) const noexcept;
  // The domain_id an entry gives this project, or "" (the store then makes a fresh one).
  [[nodiscard]] std::string_view domain_for(const kmscore::project_id& project) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::vector<credential> entries_;
};

}  // namespace kmscore_host::http
