#include "credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kmscore/json.hpp>
#include <kmscore/key_record.hpp>
#include "request_signature.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

#include "secret_input.hpp"

namespace kmscore_host::http {

namespace {

using kmscore::wire_json;

std::string_view view(const kmscore::secret_string& text) { return {text.data(), text.size()}; }

// A field name for a message: names are not secrets, but a misplaced value might sit where a
// name belongs, so only short identifier-like names are echoed.
std::string printable_name(std::string_view name) {
  const bool plain =
      !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
      });
  return plain ? "\"" + std::string{name} + "\"" : std::string{"(a field name)"};
}

// One entry of the "credentials" array; false with the reason in `why`.
bool read_entry(const wire_json& item, const std::string& where, credential& out,
                std::string& why) {
  if (!item.is_object()) {
    why = where + " is not an object";
    return false;
  }
  bool has_access = false;
  bool has_secret = false;
  bool has_projects = false;
  for (const auto& member : item.items()) {
    const auto name = view(member.key());
    const auto& value = member.value();
    if (name == "access_key") {
      if (!value.is_string()) {
        why = where + ".access_key is not a string";
        return false;
      }
      const auto text = view(value.get_ref<const kmscore::secret_string&>());
      // The Authorization grammar only carries unreserved characters (http.md 5.4): any other
      // access key could never be presented.
      if (text.empty() || text.size() > kmscore_host::http::max_access_key_size ||
          !std::all_of(text.begin(), text.end(), kmscore_host::http::sig::is_unreserved)) {
        why = where + ".access_key must be 1-128 characters of A-Z a-z 0-9 - _ . ~";
        return false;
      }
      out.access_key = std::string{text};
      has_access = true;
    } else if (name == "secret_key") {
      if (!value.is_string()) {
        why = where + ".secret_key is not a string";
        return false;
      }
      const auto text = view(value.get_ref<const kmscore::secret_string&>());
      if (text.empty()) {  // would never verify anything: surely a mistake
        why = where + ".secret_key is empty";
        return false;
      }
      out.secret_key = kmscore::secret_bytes{kmscore::as_bytes(text)};
      has_secret = true;
    } else if (name == "projects") {
      if (!value.is_array() || value.empty()) {
        why = where + ".projects is not a non-empty array";
        return false;
      }
      for (const auto& project : value) {
        const auto id =
            project.is_string()
                ? kmscore::project_id::parse(view(project.get_ref<const kmscore::secret_string&>()))
                : kmscore::result<kmscore::project_id>{kmscore::errc::invalid_url};
        if (!id) {
          why = where + ".projects holds a value that is not a project id (32 lowercase hex)";
          return false;
        }
        out.projects.push_back(*id);
      }
      has_projects = true;
    } else if (name == "domain_id") {
      if (!value.is_string() ||
          !kmscore::is_valid_domain_id(view(value.get_ref<const kmscore::secret_string&>()))) {
        why = where + ".domain_id is not a domain id (32 lowercase hex)";
        return false;
      }
      out.domain_id = std::string{view(value.get_ref<const kmscore::secret_string&>())};
    } else {
      why = where + " has an unknown field " + printable_name(name);
      return false;
    }
  }
  if (!has_access || !has_secret || !has_projects) {
    why = where + " needs access_key, secret_key and projects";
    return false;
  }
  return true;
}

}  // namespace

bool credential::may_use(const kmscore::project_id& project) const noexcept {
  return std::find(projects.begin(), projects.end(), project) != projects.end();
}

std::optional<credential_set> credential_set::parse(std::string_view text, std::string& why) {
  auto parsed = kmscore::parse_json_object(text, max_credentials_file_size);
  if (!parsed) {
    why = "not a JSON object, or a key is repeated";
    return std::nullopt;
  }
  const wire_json& root = *parsed;
  for (const auto& member : root.items()) {
    if (view(member.key()) != "credentials") {
      why = "unknown field " + printable_name(view(member.key()));
      return std::nullopt;
    }
  }
  const auto list = root.find("credentials");
  if (list == root.end() || !list->is_array() || list->empty()) {
    why = "\"credentials\" is not a non-empty array";
    return std::nullopt;
  }
  credential_set set;
  for (std::size_t i = 0; i < list->size(); ++i) {
    credential entry;
    const std::string where = "credentials[" + std::to_string(i) + "]";
    if (!read_entry((*list)[i], where, entry, why)) return std::nullopt;
    if (set.find(entry.access_key) != nullptr) {
      why = where + " repeats an access_key";
      return std::nullopt;
    }
    // One project, one account: two entries may share a project only if they agree on it.
    for (const auto& project : entry.projects) {
      const auto known = set.domain_for(project);
      if (!entry.domain_id.empty() && !known.empty() && known != entry.domain_id) {
        why = where;
        why.append(" gives project ")
            .append(project.view())
            .append(" another domain_id than an earlier entry");
        return std::nullopt;
      }
    }
    set.entries_.push_back(std::move(entry));
  }
  return set;
}

std::optional<credential_set> credential_set::load(const std::string& path, std::string& why) {
  // O_NONBLOCK: a FIFO must not hang the start; regular files ignore it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    const int code = errno;
    why =
        "credentials file " + path + ": " +
        (code == ELOOP ? std::string{"is a symbolic link"} : std::system_category().message(code));
    return std::nullopt;
  }
  struct stat status {};
  std::string problem;
  if (::fstat(fd, &status) != 0) {
    problem = std::system_category().message(errno);
  } else if (!S_ISREG(status.st_mode)) {
    problem = "is not a regular file";
  } else if (status.st_uid != ::geteuid()) {
    problem = "is owned by uid " + std::to_string(status.st_uid) +
              ", not by the user running the server (uid " + std::to_string(::geteuid()) + ")";
  } else if ((status.st_mode & 077U) != 0) {
    problem = "has mode " + octal_mode(status.st_mode) +
              ": group and others must have no access (chmod 600)";
  }
  if (!problem.empty()) {
    ::close(fd);
    why = "credentials file " + path + " " + problem;
    return std::nullopt;
  }
  auto contents = read_secret_fd(fd, max_credentials_file_size);
  ::close(fd);
  if (!contents) {
    why = "credentials file " + path + ": cannot be read, or is larger than 1 MiB";
    return std::nullopt;
  }
  auto set = parse(kmscore::as_chars(contents->expose()), why);
  if (!set) why = "credentials file " + path + ": " + why;
  return set;
}

const credential* credential_set::find(std::string_view access_key) const noexcept {
  for (const auto& entry : entries_) {
    if (entry.access_key == access_key) return &entry;
  }
  return nullptr;
}

std::string_view credential_set::domain_for(const kmscore::project_id& project) const noexcept {
  for (const auto& entry : entries_) {
    if (!entry.domain_id.empty() && entry.may_use(project)) return entry.domain_id;
  }
  return {};
}

}  // namespace kmscore_host::http
