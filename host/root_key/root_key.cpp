// host/root_key/root_key.cpp: root key specs and the PKCS#11 root key (root_key.hpp).
#include "root_key.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <map>
#include <mutex>
#include <utility>

#include "secret_input.hpp"

// p11-kit's header in its GNU form: lower-case member names and no macros (its compatibility
// form #defines names such as `value`, which C++ code cannot live with).
#define CRYPTOKI_GNU 1  // NOLINT(cppcoreguidelines-macro-usage)
#include <p11-kit/pkcs11.h>

namespace kmscore_host {

namespace {

constexpr std::string_view file_scheme = "file:";
constexpr std::string_view pkcs11_scheme = "pkcs11:";
constexpr std::string_view sealed_magic = "KR11";
constexpr std::size_t iv_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::size_t root_key_size = 32;
constexpr std::size_t max_pin_size = 256;
constexpr std::string_view aad_prefix = "kmscore pkcs11 root v1";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 7512's percent-decoding of one attribute value.
std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (in.size() - i < 3) return std::nullopt;
    const int high = hex_digit(in[i + 1]);
    const int low = hex_digit(in[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// Splits `text` at `separator` (an empty text: no parts).
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

std::optional<pkcs11_uri> parse_pkcs11_uri(std::string_view text, std::string& why) {
  pkcs11_uri uri;
  uri.text = std::string{text};
  std::string_view rest = text.substr(pkcs11_scheme.size());
  std::string_view query;
  if (const auto mark = rest.find('?'); mark != std::string_view::npos) {
    query = rest.substr(mark + 1);
    rest = rest.substr(0, mark);
  }
  std::vector<std::string> seen;
  if (rest.ends_with(';')) {
    why = "the pkcs11: URI ends with a ';'";
    return std::nullopt;
  }
  for (const auto part : split(rest, ';')) {
    const auto equals = part.find('=');
    if (equals == std::string_view::npos || equals + 1 == part.size()) {
      why = "the pkcs11: URI's attribute \"" + std::string{part} + "\" has no value";
      return std::nullopt;
    }
    const std::string name{part.substr(0, equals)};
    const auto value = percent_decode(part.substr(equals + 1));
    if (!value) {
      why = "the pkcs11: URI's attribute " + name + " has a bad percent-encoding";
      return std::nullopt;
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      why = "the pkcs11: URI names " + name + " twice";
      return std::nullopt;
    }
    seen.push_back(name);
    if (name == "token") {
      uri.token = *value;
    } else if (name == "manufacturer") {
      uri.manufacturer = *value;
    } else if (name == "serial") {
      uri.serial = *value;
    } else if (name == "model") {
      uri.model = *value;
    } else if (name == "object") {
      uri.object = *value;
    } else if (name == "id") {
      uri.id.assign(value->begin(), value->end());
      uri.has_id = true;
    } else if (name == "type") {
      if (*value != "secret-key") {
        why = "the pkcs11: URI's type is " + *value + ": a root key is a secret-key";
        return std::nullopt;
      }
      uri.secret_key_type = true;
    } else if (name == "pin-value") {
      why = "a PIN in the pkcs11: URI (pin-value) is refused: give --pkcs11-pin-file";
      return std::nullopt;
    } else {
      why = "the pkcs11: URI's attribute " + name +
            " is not supported (token, manufacturer, serial, model, object, id, type)";
      return std::nullopt;
    }
  }
  for (const auto part : split(query, '&')) {
    const std::string name{part.substr(0, part.find('='))};
    if (name == "pin-value" || name == "pin-source") {
      why = "a PIN in the pkcs11: URI (" + name + ") is refused: give --pkcs11-pin-file";
    } else if (name == "module-path" || name == "module-name") {
      why = "the pkcs11: URI's " + name + " is not used: give --pkcs11-module";
    } else {
      why = "the pkcs11: URI's query attribute " + name + " is not supported";
    }
    return std::nullopt;
  }
  if (uri.object.empty()) {
    why = "the pkcs11: URI names no object (pkcs11:token=LABEL;object=LABEL)";
    return std::nullopt;
  }
  if (uri.token.empty() && uri.serial.empty()) {
    why = "the pkcs11: URI names no token (pkcs11:token=LABEL;object=LABEL)";
    return std::nullopt;
  }
  return uri;
}

// A blank-padded PKCS#11 text field, without its padding.
template <std::size_t N>
std::string padded(const unsigned char (&field)[N]) {         // NOLINT(*-avoid-c-arrays)
  std::string text(reinterpret_cast<const char*>(field), N);  // NOLINT(*-reinterpret-cast)
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  return text;
}

std::string rv_text(ck_rv_t rv) {
  switch (rv) {
    case CKR_PIN_INCORRECT:
      return "the PIN is wrong (CKR_PIN_INCORRECT)";
    case CKR_PIN_LEN_RANGE:
      return "the PIN is wrong: not of a length the token takes (CKR_PIN_LEN_RANGE)";
    case CKR_PIN_LOCKED:
      return "the PIN is locked (CKR_PIN_LOCKED)";
    case CKR_USER_PIN_NOT_INITIALIZED:
      return "the token has no user PIN (CKR_USER_PIN_NOT_INITIALIZED)";
    case CKR_TOKEN_NOT_PRESENT:
      return "the token is not present (CKR_TOKEN_NOT_PRESENT)";
    case CKR_DEVICE_ERROR:
      return "device error (CKR_DEVICE_ERROR)";
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
      return "the key does not allow it (CKR_KEY_FUNCTION_NOT_PERMITTED)";
    case CKR_MECHANISM_INVALID:
      return "the token has no CKM_AES_GCM (CKR_MECHANISM_INVALID)";
    default: {
      std::array<char, 32> hex{};
      (void)std::snprintf(hex.data(), hex.size(), "0x%lx", rv);
      return std::string{"PKCS#11 error "} + hex.data();
    }
  }
}

// A loaded module, initialized once per process and shared by the roots that use it.
class module {
 public:
  static std::shared_ptr<module> load(const std::string& path, std::string& why) {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<module>> loaded;
    const std::lock_guard lock{mutex};
    std::array<char, PATH_MAX> real{};
    const std::string key = ::realpath(path.c_str(), real.data()) != nullptr ? real.data() : path;
    if (auto found = loaded[key].lock()) return found;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* error = ::dlerror();  // NOLINT(concurrency-mt-unsafe): under the mutex
      why = "cannot load the PKCS#11 module " + path + ": " +
            (error != nullptr ? error : "unknown error");
      return nullptr;
    }
    auto made = std::shared_ptr<module>{new module{handle}};
    // NOLINTNEXTLINE(*-reinterpret-cast): dlsym's documented use
    const auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
    if (get == nullptr || get(&made->functions_) != CKR_OK || made->functions_ == nullptr) {
      why = "the PKCS#11 module " + path + " has no C_GetFunctionList";
      return nullptr;
    }
    ck_c_initialize_args args{};
    args.flags = CKF_OS_LOCKING_OK;
    const ck_rv_t rv = made->functions_->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      why = "the PKCS#11 module " + path + " does not initialize: " + rv_text(rv);
      return nullptr;
    }
    made->initialized_ = rv == CKR_OK;
    loaded[key] = made;
    return made;
  }
  module(const module&) = delete;
  module& operator=(const module&) = delete;
  module(module&&) = delete;
  module& operator=(module&&) = delete;
  ~module() {
    if (initialized_) (void)functions_->C_Finalize(nullptr);
    ::dlclose(handle_);
  }
  [[nodiscard]] ck_function_list& f() const { return *functions_; }

 private:
  explicit module(void* handle) : handle_{handle} {}
  void* handle_;
  ck_function_list* functions_ = nullptr;
  bool initialized_ = false;
};

// The user PIN, from a file only the user can read.
std::optional<kmscore::secret_bytes> read_pin(const std::string& path, std::string& why) {
  if (path.empty()) {
    why =
        "a pkcs11: root key needs the user PIN's file (--pkcs11-pin-file or "
        "KMSCORE_PKCS11_PIN_FILE)";
    return std::nullopt;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    why = "cannot open the PIN file " + path;
    return std::nullopt;
  }
  struct ::stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != ::geteuid() ||
      ((info.st_mode & 07777U) != 0600U && (info.st_mode & 07777U) != 0400U)) {
    ::close(fd);
    why = "the PIN file " + path +
          " must be a regular file of this user that only it can read (mode 0600 or 0400)";
    return std::nullopt;
  }
  auto read = read_secret_fd(fd, max_pin_size);
  ::close(fd);
  if (!read) {
    why = "cannot read the PIN file " + path + " (at most 256 bytes)";
    return std::nullopt;
  }
  auto bytes = read->expose();
  std::size_t size = bytes.size();
  if (size > 0 && bytes[size - 1] == '\n') --size;
  if (size > 0 && bytes[size - 1] == '\r') --size;
  if (size == 0) {
    why = "the PIN file " + path + " is empty";
    return std::nullopt;
  }
  return kmscore::secret_bytes{bytes.first(size)};
}

class pkcs11_root final : public kmscore::keyring_root {
 public:
  pkcs11_root(std::shared_ptr<module> loaded, ck_session_handle_t session, ck_object_handle_t key,
              random_source random)
      : module_{std::move(loaded)}, session_{session}, key_{key}, random_{std::move(random)} {}
  pkcs11_root(const pkcs11_root&) = delete;
  pkcs11_root& operator=(const pkcs11_root&) = delete;
  pkcs11_root(pkcs11_root&&) = delete;
  pkcs11_root& operator=(pkcs11_root&&) = delete;
  ~pkcs11_root() override { (void)module_->f().C_CloseSession(session_); }
  void use(ck_object_handle_t key) noexcept { key_ = key; }
  [[nodiscard]] ck_rv_t last_error() const noexcept { return last_; }

  [[nodiscard]] kmscore::result<std::vector<kmscore::byte>> seal(
      kmscore::byte_span payload, std::string_view purpose) override {
    std::vector<kmscore::byte> sealed(sealed_magic.size() + iv_size + payload.size() + tag_size);
    std::copy(sealed_magic.begin(), sealed_magic.end(), sealed.begin());
    auto iv = kmscore::mutable_byte_span{sealed}.subspan(sealed_magic.size(), iv_size);
    if (!random_ || !random_(iv)) return kmscore::errc::kms_error;
    auto aad = associated_data(purpose);
    ck_gcm_params params = gcm(iv, aad);
    ck_mechanism mechanism{CKM_AES_GCM, &params, sizeof params};
    auto& f = module_->f();
    last_ = f.C_EncryptInit(session_, &mechanism, key_);
    if (last_ != CKR_OK) return kmscore::errc::kms_error;
    const std::size_t head = sealed_magic.size() + iv_size;
    unsigned long out_size = sealed.size() - head;
    kmscore::secret_bytes in{payload};  // (the token's API takes no const input)
    // (The output is as large as GCM's can be: no CKR_BUFFER_TOO_SMALL leaves it active.)
    last_ = f.C_Encrypt(session_, in.expose().data(), in.size(), sealed.data() + head, &out_size);
    if (last_ != CKR_OK || out_size != payload.size() + tag_size) return kmscore::errc::kms_error;
    return sealed;
  }

  [[nodiscard]] kmscore::result<kmscore::secret_bytes> open(kmscore::byte_span sealed,
                                                            std::string_view purpose) override {
    const std::size_t head = sealed_magic.size() + iv_size;
    if (sealed.size() < head + tag_size ||
        !std::equal(sealed_magic.begin(), sealed_magic.end(), sealed.begin())) {
      return kmscore::errc::kms_error;
    }
    std::array<kmscore::byte, iv_size> iv{};
    std::copy_n(sealed.begin() + static_cast<long>(sealed_magic.size()), iv_size, iv.begin());
    auto aad = associated_data(purpose);
    ck_gcm_params params = gcm(iv, aad);
    ck_mechanism mechanism{CKM_AES_GCM, &params, sizeof params};
    auto& f = module_->f();
    last_ = f.C_DecryptInit(session_, &mechanism, key_);
    if (last_ != CKR_OK) return kmscore::errc::kms_error;
    std::vector<kmscore::byte> in(sealed.begin() + static_cast<long>(head), sealed.end());
    kmscore::secret_bytes out{in.size()};
    unsigned long out_size = in.size();
    last_ = f.C_Decrypt(session_, in.data(), in.size(), out.expose().data(), &out_size);
    if (last_ != CKR_OK || out_size != in.size() - tag_size) return kmscore::errc::kms_error;
    return kmscore::secret_bytes{out.expose().first(out_size)};
  }

 private:
  static std::vector<kmscore::byte> associated_data(std::string_view purpose) {
    std::vector<kmscore::byte> aad(aad_prefix.begin(), aad_prefix.end());
    aad.push_back(0);
    aad.insert(aad.end(), purpose.begin(), purpose.end());
    return aad;
  }
  template <class IV>
  static ck_gcm_params gcm(IV& iv, std::vector<kmscore::byte>& aad) {
    ck_gcm_params params{};
    params.iv_ptr = iv.data();
    params.iv_len = iv.size();
    params.iv_bits = iv.size() * 8;
    params.aad_ptr = aad.data();
    params.aad_len = aad.size();
    params.tag_bits = tag_size * 8;
    return params;
  }

  std::shared_ptr<module> module_;
  ck_session_handle_t session_;
  ck_object_handle_t key_;
  random_source random_;
  ck_rv_t last_ = CKR_OK;
};

// One attribute of an object, as an unsigned long or a CK_BBOOL; nullopt if unreadable.
std::optional<unsigned long> ulong_attribute(ck_function_list& f, ck_session_handle_t session,
                                             ck_object_handle_t object, ck_attribute_type_t type) {
  unsigned long value = 0;
  ck_attribute attribute{type, &value, sizeof value};
  if (f.C_GetAttributeValue(session, object, &attribute, 1) != CKR_OK) return std::nullopt;
  return value;
}
std::optional<bool> bool_attribute(ck_function_list& f, ck_session_handle_t session,
                                   ck_object_handle_t object, ck_attribute_type_t type) {
  unsigned char value = 0;
  ck_attribute attribute{type, &value, sizeof value};
  if (f.C_GetAttributeValue(session, object, &attribute, 1) != CKR_OK) return std::nullopt;
  return value != 0;
}

}  // namespace

std::optional<root_key_spec> parse_root_key_spec(std::string_view spec, std::string& why) {
  const auto scheme_is = [&](std::string_view scheme) {  // (schemes are case-insensitive)
    return spec.size() >= scheme.size() &&
           std::equal(scheme.begin(), scheme.end(), spec.begin(), [](char a, char b) {
             return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b + ('a' - 'A')) : b);
           });
  };
  if (scheme_is(file_scheme)) {
    const std::string path{spec.substr(file_scheme.size())};
    if (path.empty() || path.starts_with("//")) {
      why = "a file: root key takes a path, not a URL (file:/path/to/root.key)";
      return std::nullopt;
    }
    return file_root_spec{path};
  }
  if (scheme_is(pkcs11_scheme)) {
    auto uri = parse_pkcs11_uri(spec, why);
    if (!uri) return std::nullopt;
    return std::move(*uri);
  }
  why = "unknown root key \"" + std::string{spec} + "\" (file:PATH or pkcs11:token=...;object=...)";
  return std::nullopt;
}

std::string root_key_spec_text(const root_key_spec& spec) {
  if (const auto* file = std::get_if<file_root_spec>(&spec)) return "file:" + file->path;
  return std::get<pkcs11_uri>(spec).text;
}

std::unique_ptr<kmscore::keyring_root> open_pkcs11_root(const pkcs11_uri& uri,
                                                        const pkcs11_settings& settings,
                                                        random_source random, std::string& why) {
  const std::string named = "the root key " + uri.text + ": ";
  if (settings.module.empty()) {
    why = named + "no PKCS#11 module (--pkcs11-module or KMSCORE_PKCS11_MODULE)";
    return nullptr;
  }
  auto pin = read_pin(settings.pin_file, why);
  if (!pin) return nullptr;
  auto loaded = module::load(settings.module, why);
  if (!loaded) return nullptr;
  auto& f = loaded->f();

  // The token: every attribute the URI gives must match; exactly one token may.
  unsigned long count = 0;
  std::vector<ck_slot_id_t> slots;
  for (ck_rv_t rv = CKR_BUFFER_TOO_SMALL; rv == CKR_BUFFER_TOO_SMALL;) {  // (tokens may come)
    rv = f.C_GetSlotList(1, nullptr, &count);
    if (rv == CKR_OK) {
      slots.resize(count);
      rv = count > 0 ? f.C_GetSlotList(1, slots.data(), &count) : CKR_OK;
    }
    if (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL) {
      why = named + "cannot list the module's slots: " + rv_text(rv);
      return nullptr;
    }
  }
  slots.resize(count);
  std::vector<ck_slot_id_t> matching;
  std::string present;
  for (const auto slot : slots) {
    ck_token_info info{};
    if (f.C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    const auto label = padded(info.label);
    present += (present.empty() ? "" : ", ") + label;
    if ((uri.token.empty() || label == uri.token) &&
        (uri.manufacturer.empty() || padded(info.manufacturer_id) == uri.manufacturer) &&
        (uri.serial.empty() || padded(info.serial_number) == uri.serial) &&
        (uri.model.empty() || padded(info.model) == uri.model)) {
      matching.push_back(slot);
    }
  }
  if (matching.size() != 1) {
    why = named + (matching.empty() ? "no such token in the module (tokens: " +
                                          (present.empty() ? std::string{"none"} : present) + ")"
                                    : std::string{"several tokens match: name it by serial"});
    return nullptr;
  }

  ck_session_handle_t session = 0;
  if (const ck_rv_t rv =
          f.C_OpenSession(matching[0], CKF_SERIAL_SESSION, nullptr, nullptr, &session);
      rv != CKR_OK) {
    why = named + "cannot open a session: " + rv_text(rv);
    return nullptr;
  }
  // Owns the session from here: closed on every refusal below (and with it the login).
  auto opened =
      std::make_unique<pkcs11_root>(loaded, session, CK_INVALID_HANDLE, std::move(random));
  auto pin_bytes = pin->expose();
  if (const ck_rv_t rv = f.C_Login(session, CKU_USER, pin_bytes.data(), pin_bytes.size());
      rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    why = named + "cannot log in: " + rv_text(rv);
    return nullptr;
  }

  // The object: by label (and id, if given), of any class, so that a wrong one is named.
  std::vector<unsigned char> label(uri.object.begin(), uri.object.end());
  std::vector<unsigned char> id = uri.id;
  std::vector<ck_attribute> search{{CKA_LABEL, label.data(), label.size()}};
  if (uri.has_id) search.push_back({CKA_ID, id.data(), id.size()});
  ck_object_class_t secret_key_class = CKO_SECRET_KEY;
  if (uri.secret_key_type) {
    search.push_back({CKA_CLASS, &secret_key_class, sizeof secret_key_class});
  }
  std::array<ck_object_handle_t, 2> found{};
  unsigned long found_count = 0;
  if (const ck_rv_t rv = f.C_FindObjectsInit(session, search.data(), search.size()); rv != CKR_OK) {
    why = named + "cannot search the token: " + rv_text(rv);
    return nullptr;
  }
  const ck_rv_t searched = f.C_FindObjects(session, found.data(), found.size(), &found_count);
  (void)f.C_FindObjectsFinal(session);
  if (searched != CKR_OK) {
    why = named + "cannot search the token: " + rv_text(searched);
    return nullptr;
  }
  if (found_count != 1) {
    why = named + (found_count == 0
                       ? std::string{"no "} + (uri.secret_key_type ? "secret key" : "object") +
                             " labelled \"" + uri.object + "\" in the token"
                       : std::string{"several objects match: add id=..."});
    return nullptr;
  }
  const auto key = found[0];
  const auto object_class = ulong_attribute(f, session, key, CKA_CLASS);
  if (object_class != CKO_SECRET_KEY) {
    why = named + "the object is not a secret key";
    return nullptr;
  }
  const auto type = ulong_attribute(f, session, key, CKA_KEY_TYPE);
  const auto length = ulong_attribute(f, session, key, CKA_VALUE_LEN);
  if (type != CKK_AES || length != root_key_size) {
    why = named + "the object is not an AES-256 key";
    return nullptr;
  }
  const auto extractable = bool_attribute(f, session, key, CKA_EXTRACTABLE);
  const auto sensitive = bool_attribute(f, session, key, CKA_SENSITIVE);
  if (!extractable || !sensitive) {
    why = named + "cannot read the key's CKA_EXTRACTABLE and CKA_SENSITIVE";
    return nullptr;
  }
  if (*extractable) {
    why = named + "the key is extractable (CKA_EXTRACTABLE): a root key must never leave the token";
    return nullptr;
  }
  if (!*sensitive) {
    why = named + "the key is not sensitive (CKA_SENSITIVE): a root key must never leave the token";
    return nullptr;
  }
  if (bool_attribute(f, session, key, CKA_ENCRYPT) != true ||
      bool_attribute(f, session, key, CKA_DECRYPT) != true) {
    why = named + "the key may not encrypt and decrypt (CKA_ENCRYPT, CKA_DECRYPT)";
    return nullptr;
  }
  opened->use(key);
  // A probe sealed and opened, so that a token that cannot (no CKM_AES_GCM, a device error)
  // is told apart, here, from a root key that does not match the store.
  const std::array<kmscore::byte, 16> probe{};
  auto sealed = opened->seal(probe, "probe");
  auto back = sealed ? opened->open(*sealed, "probe")
                     : kmscore::result<kmscore::secret_bytes>{sealed.error()};
  if (!back || back->size() != probe.size()) {
    why = named + "the token cannot seal and open a probe with CKM_AES_GCM" +
          (opened->last_error() != CKR_OK ? ": " + rv_text(opened->last_error())
                                          : std::string{" (no randomness for its IV?)"});
    return nullptr;
  }
  return opened;
}

}  // namespace kmscore_host
