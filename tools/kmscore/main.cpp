// kmscore: the command-line tool over the library. Contract: the project's spec/cli.md.
// Reads a request body on stdin, writes the response body on stdout; exit 0 for HTTP 200,
// 1 otherwise ("HTTP <status>" on stderr), 2 for usage. Its state (root key, key store,
// default project) is opened by host/store/state.hpp, the same way `serve` opens it.
// `kmscore serve` answers the same actions over HTTP (host/http/server.hpp, shared spec
// http.md): one backend and one store for every worker, a kms_service per request.
#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/openssl.hpp>
#include <kmscore/backend/sodium.hpp>
#include <kmscore/json.hpp>
#include <kmscore/keyring.hpp>
#include <kmscore/maintenance.hpp>
#include <kmscore/version.hpp>

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit_trail.hpp"
#include "credentials.hpp"
#include "kms_server.hpp"
#include "openssl_wiping_free.hpp"
#include "secret_arena.hpp"
#include "secret_input.hpp"
#include "server.hpp"
#include "state.hpp"

namespace {

// The usage text; its list of actions comes from the JSON layer's action table.
std::string usage_text() {
  std::string text =
      "usage: kmscore [--state DIR] [--store URL] [--project ID] [--backend "
      "auto|sodium|cryptopp|openssl]\n"
      "               [--datakey-policy range|strict512] ACTION   (request body on stdin)\n"
      "       kmscore [--state DIR] [--store URL] info | maintain | rotate-due-keys\n"
      "       kmscore [--state DIR] [--store URL] audit export-key PATH\n"
      "       kmscore [--state DIR] [--store URL] keyring rotate\n"
      "       kmscore [--state DIR] [--store URL] root rotate --to SPEC\n"
      "               [--to-pkcs11-module PATH] [--to-pkcs11-pin-file PATH]   (default: the\n"
      "               current --pkcs11-module and --pkcs11-pin-file)\n"
      "       kmscore audit verify --audit-public-key PATH FILE...   (oldest first)\n"
      "       kmscore serve --credentials FILE [--listen HOST:PORT] [--tls-cert F --tls-key F]\n"
      "               [--workers N] [--max-connections N] [--max-connections-per-address N]\n"
      "               [--request-timeout SECONDS] [--metrics-listen HOST:PORT] [--state DIR]\n"
      "               [--store URL] [--backend ...] [--datakey-policy ...]   "
      "(/v1.0/{project_id}/kms/...)\n"
      "       kmscore inspect HEX\n"
      "       (any action, maintain and serve: [--audit-log PATH] [--audit-max-bytes N])\n"
      "       (any action and serve: [--key-quota N], the keys a project may hold;\n"
      "        [--region R], the region alias URNs name, default local)\n"
      "       kmscore --help | --version\n"
      "ACTION:";
  std::size_t column = text.size() - text.rfind('\n');
  for (std::size_t i = 0; i < kmscore::action_names.size(); ++i) {
    const std::string item = std::string{" "} + std::string{kmscore::action_names[i]} +
                             (i + 1 < kmscore::action_names.size() ? "," : "");
    if (column + item.size() > 90) {
      text += "\n       ";
      column = 7;
    }
    text += item;
    column += item.size();
  }
  return text +
         "\n--state defaults to $KMSCORE_STATE, else ./.kmscore; --store to sqlite:STATE/kmscore.db"
         "\n--project defaults to the store's default project (see info)"
         "\n--root-key SPEC (any command): file:PATH (default file:STATE/root.key) or"
         "\n       'pkcs11:token=LABEL;object=LABEL' with --pkcs11-module PATH and"
         "\n       --pkcs11-pin-file PATH (or $KMSCORE_PKCS11_MODULE, $KMSCORE_PKCS11_PIN_FILE)"
         "\nserve: --listen defaults to 127.0.0.1:8080 (port 0: any free port); other addresses"
         "\n       need --tls-cert and --tls-key; --workers (the crypto pool) defaults to the "
         "cores;"
         "\n       --max-connections to 8192, --max-connections-per-address to 512,"
         "\n       --request-timeout (headers and body of one request) to 5; the credentials file"
         "\n       (mode 0600) is {\"credentials\": [{\"access_key\", \"secret_key\", \"projects\","
         "\n       \"domain_id\"}]}; SIGTERM or SIGINT stops it; --metrics-listen (loopback"
         "\n       only) serves GET /metrics in Prometheus' text format\n";
}

struct options {
  std::string state;
  std::string store;
  std::optional<kmscore::project_id> project;
  std::string backend = "auto";
  kmscore::datakey_length_policy policy = kmscore::datakey_length_policy::range;
  std::int64_t key_quota = kmscore::unlimited_key_quota;  // --key-quota (api-metadata.md §4)
  std::string region = "local";                           // --region (api-metadata.md §5.1)
  std::string action;
  std::string inspect_hex;
  // serve
  std::string credentials;
  kmscore_host::http::server_config server;
  // audit
  std::string audit_log;  // --audit-log: every action recorded there
  std::uint64_t audit_max_bytes = std::uint64_t{256} << 20U;
  std::string audit_public_key;         // audit verify
  std::vector<std::string> audit_args;  // audit SUBCOMMAND ARGS
  std::vector<std::string> serve_only;  // serve's options, refused for other actions
  // the root key (cli.md, additions 2026-12-06)
  std::string root_key;                  // --root-key SPEC; empty: file:STATE/root.key
  kmscore_host::pkcs11_settings pkcs11;  // --pkcs11-module, --pkcs11-pin-file (or environment)
  std::vector<std::string> root_args;    // root SUBCOMMAND
  std::string rotate_to;                 // root rotate --to SPEC
  kmscore_host::pkcs11_settings rotate_pkcs11;  // --to-pkcs11-module, --to-pkcs11-pin-file
  bool inspect = false;                         // inspect HEX
  bool serve = false;                           // serve
  bool reseal = false;                          // keyring rotate --reseal
};

kmscore_host::state_options state_options_of(const options& opts) {
  return {opts.state, opts.store, opts.root_key, opts.pkcs11, opts.action == "keyring"};
}

int usage_error(std::string_view message) {
  std::cerr << "kmscore: " << message << "\n" << usage_text();
  return 2;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <class Backend>
int inspect(Backend& backend, const std::string& hex) {
  std::vector<kmscore::byte> blob(hex.size() / 2);
  if (hex.empty() || hex.size() % 2 != 0 || !kmscore::hex_decode(hex, blob)) {
    std::cerr << "kmscore: not hex\n";
    return 1;
  }
  const auto info = kmscore::inspect_envelope(backend, blob);
  if (!info) {
    std::cerr << "kmscore: not a well-formed envelope\n";
    return 1;
  }
  nlohmann::ordered_json out = {
      {"version", info->version},         {"length", info->length},
      {"body_length", info->body_length}, {"key_id", info->key_id.view()},
      {"key_version", info->key_version}, {"tag", kmscore::hex_encode(info->tag)}};
  if (info->digest_ok) out["digest_ok"] = *info->digest_ok;
  std::cout << out.dump(2) << "\n";
  return 0;
}

// Writes the body and a newline straight to stdout (no stream buffer keeps a copy of a data
// key); a failure status goes to stderr as "HTTP <status>". True for every 2xx; a 204 (no
// body) prints {} so that stdout always holds one JSON object (api-metadata.md §0.4).
bool write_response(const kmscore::http_response& response) {
  std::size_t done = 0;
  const auto text = response.status == 204 ? std::string_view{"{}"} : response.text();
  while (done < text.size()) {
    const auto wrote = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    done += static_cast<std::size_t>(wrote);
  }
  if (::write(STDOUT_FILENO, "\n", 1) != 1) return false;
  if (response.status < 200 || response.status > 299) {
    std::cerr << "HTTP " << response.status << "\n";
    return false;
  }
  return true;
}

// One line on stderr in a single write, so that lines of concurrent threads never mix.
void log_line(std::string_view line) {
  static std::mutex mutex;
  std::string text = "kmscore: ";
  text.append(line).push_back('\n');
  const std::lock_guard lock{mutex};
  std::size_t done = 0;
  while (done < text.size()) {
    const auto wrote = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return;
    done += static_cast<std::size_t>(wrote);
  }
}

// The state could not be opened: the reason on stderr, a 500 body on stdout.
// A request id for the tool's audit records: 32 lowercase hex, as the server's.
template <class Backend>
std::string local_request_id(Backend& backend) {
  std::array<kmscore::byte, 16> bytes{};
  if (!backend.random_bytes(bytes)) return "00000000000000000000000000000000";
  return kmscore::hex_encode_lower(bytes);
}

// `kmscore audit verify --audit-public-key PATH FILE...` (cli.md): no state needed.
int audit_verify(const options& opts) {
  std::ifstream in{opts.audit_public_key};
  const std::string pem{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  const std::vector<std::string> files(opts.audit_args.begin() + 1, opts.audit_args.end());
  const auto outcome = kmscore_host::audit::verify(files, pem);
  nlohmann::ordered_json out;
  out["records"] = outcome.records;
  out["verified"] = outcome.verified;
  out["unverified_tail"] = outcome.unverified_tail;
  if (outcome.error) {
    out["error"] = {{"file", outcome.error->file},
                    {"line", outcome.error->line},
                    {"reason", outcome.error->reason}};
  } else {
    out["error"] = nullptr;
  }
  std::cout << out.dump() << "\n";
  return outcome.error ? 1 : 0;
}

int state_failure(const std::string& why) {
  std::cerr << "kmscore: " << why << "\n";
  (void)write_response(kmscore::error_response(kmscore::errc::kms_error));
  return 1;
}

template <class Backend>
int run(const options& opts) {
  Backend backend;
  if (opts.inspect) return inspect(backend, opts.inspect_hex);

  const bool info = opts.action == "info";
  const bool maintenance = opts.action == "maintain" || opts.action == "rotate-due-keys" ||
                           opts.action == "audit" || opts.action == "root" ||
                           opts.action == "keyring";
  // The body may carry a secret (encrypt-datakey's plain_text): read into zeroizing memory.
  kmscore::secret_bytes body;
  if (!info && !maintenance) {
    auto read = kmscore_host::read_secret_fd(STDIN_FILENO, kmscore::default_max_body_size);
    if (!read) return write_response(kmscore::error_response(read.error())) ? 0 : 1;
    body = std::move(*read);
  }
  const auto crypto = kmscore_host::state_crypto_of(backend);
  const kmscore::diagnostics_sink diagnostics = [](std::string_view message) {
    std::cerr << "kmscore: " << message << "\n";
  };
  std::string why;
  auto state = kmscore_host::open_state(state_options_of(opts), crypto, diagnostics, why);
  if (!state) return state_failure(why);

  kmscore::project tenant = state->default_project;
  if (opts.project) {
    const auto fresh = kmscore::new_domain_id(backend);
    if (!fresh) return state_failure("no randomness for a domain_id");
    auto ensured = state->store->ensure_project(*opts.project, *fresh);
    if (!ensured) return state_failure("cannot open project " + opts.project->str());
    tenant = std::move(*ensured);
  }
  if (info) {
    const nlohmann::ordered_json out = {
        {"store", kmscore_host::printable_store_url(state->store_url)},
        {"root_key", state->root_key},
        {"project", tenant.id.str()},
        {"domain_id", tenant.domain_id}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (opts.action == "audit") {  // export-key PATH: the trail's public key, as PEM
    const auto seed = state->sealer->service_key(kmscore_host::audit::signing_key_label);
    const auto pem = seed ? kmscore_host::audit::public_key_pem(*seed) : std::string{};
    std::ofstream out{opts.audit_args[1], std::ios::trunc};
    out << pem;
    out.flush();
    if (pem.empty() || !out) return state_failure("cannot write " + opts.audit_args[1]);
    std::cout << nlohmann::ordered_json{{"audit_public_key", opts.audit_args[1]}}.dump() << "\n";
    return 0;
  }
  // --audit-log: opened before any action, which is not performed if it cannot be recorded.
  std::unique_ptr<kmscore_host::audit::trail> trail;
  if (!opts.audit_log.empty()) {
    const auto seed = state->sealer->service_key(kmscore_host::audit::signing_key_label);
    if (!seed) return state_failure("cannot derive the audit signing key");
    trail = kmscore_host::audit::trail::open({opts.audit_log, opts.audit_max_bytes}, *seed,
                                             diagnostics, why);
    if (!trail) return state_failure(why);
  }
  const auto audit_event = [&](std::string type, std::string action) {
    kmscore_host::audit::event what;
    what.type = std::move(type);
    what.time_ms = now_ms();
    what.request_id = local_request_id(backend);
    what.access_key = "local";
    what.project = tenant.id.str();
    what.client = "uid:" + std::to_string(::geteuid());
    what.action = std::move(action);
    return what;
  };
  const kmscore::maintenance_observer record_step =
      [&](const kmscore::project_id& project, const kmscore::key_id& id, std::string_view done) {
        if (!trail) return;
        auto what = audit_event("maintenance", opts.action);
        what.project = project.str();
        what.key_id = id.str();
        what.reason = std::string{done};
        if (!trail->append(what)) std::cerr << "kmscore: this maintenance step is not audited\n";
      };
  if (opts.action == "root") {  // rotate --to SPEC: the keyring re-sealed under a new root key
    kmscore_host::pkcs11_settings to = opts.rotate_pkcs11;
    if (to.module.empty()) to.module = opts.pkcs11.module;
    if (to.pin_file.empty()) to.pin_file = opts.pkcs11.pin_file;
    const auto rotated = kmscore_host::rotate_root(*state, opts.rotate_to, to, crypto, why);
    if (!rotated) return state_failure(why);
    if (!rotated->warning.empty()) std::cerr << "kmscore: note: " << rotated->warning << "\n";
    if (trail) {
      auto what = audit_event("maintenance", "root rotate");
      what.reason = "root key now " + rotated->root_key;
      if (!trail->append(what)) std::cerr << "kmscore: the root rotation is not audited\n";
    }
    std::cout << nlohmann::ordered_json{{"root_key", rotated->root_key},
                                        {"keyring_keys", rotated->keyring_keys}}
                     .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
    return 0;
  }
  if (opts.action == "keyring") {  // rotate: a new newest sealing key for new records
    const auto added = kmscore_host::rotate_keyring(*state, why);
    if (!added) return state_failure(why);
    if (trail) {
      auto what = audit_event("maintenance", "keyring rotate");
      what.reason = "new keyring key " + added->str();
      if (!trail->append(what)) std::cerr << "kmscore: the keyring rotation is not audited\n";
    }
    std::cout << nlohmann::ordered_json{{"keyring_key", added->str()}, {"resealed", 0}}.dump()
              << "\n";
    return 0;
  }
  if (opts.action == "rotate-due-keys") {  // every due key of every project (api-rotation.md)
    const auto rotated =
        kmscore::rotate_due_keys(backend, *state->store, now_ms(), diagnostics, record_step);
    if (!rotated) return write_response(kmscore::error_response(rotated.error())) ? 0 : 1;
    std::cout << "{\"rotated\": " << *rotated << "}\n";
    return 0;
  }
  if (opts.action == "maintain") {  // the whole pass (cli.md, additions 2026-12-06)
    const auto done = kmscore::maintain(backend, *state->store, now_ms(), diagnostics, record_step);
    if (!done) return write_response(kmscore::error_response(done.error())) ? 0 : 1;
    std::cout << "{\"rotated\": " << done->rotated << ", \"deleted\": " << done->deleted
              << ", \"expired\": " << done->expired << "}\n";
    return 0;
  }
  kmscore::kms_service service{backend, *state->store, tenant, opts.policy, diagnostics};
  service.set_key_quota(opts.key_quota);
  service.set_region(opts.region);
  auto token_key = state->sealer->service_key(kmscore::import_token_label);
  auto fingerprint_key = state->sealer->service_key(kmscore::import_fingerprint_label);
  if (!token_key || !fingerprint_key) return state_failure("cannot derive the import keys");
  const kmscore::import_keys import_secrets{std::move(*token_key), std::move(*fingerprint_key)};
  service.set_import_keys(&import_secrets);
  if (trail && !trail->reserve()) {  // fail-closed: nothing done that cannot be recorded
    std::cerr << "kmscore: the audit trail cannot be written\n";
    return write_response(kmscore_host::audit::unavailable_answer()) ? 0 : 1;
  }
  const auto response =
      kmscore::handle_json(service, opts.action, kmscore::as_chars(body.expose()), now_ms());
  if (trail) {
    auto what = audit_event("request", opts.action);
    what.status = response.status;
    kmscore_host::audit::fill_key_facts(what, kmscore::as_chars(body.expose()), response.text());
    if (!trail->append(what)) {
      std::cerr << "kmscore: the audit trail cannot be written; the answer is withheld\n";
      return write_response(kmscore_host::audit::unavailable_answer()) ? 0 : 1;
    }
  }
  return write_response(response) ? 0 : 1;
}

// `kmscore serve` (host/http/kms_server.hpp): 0 after a clean stop, 1 if it cannot start
// (the reason on stderr).
template <class Backend>
int serve(const options& opts) {
  std::optional<kmscore_host::audit::trail_options> audit;
  if (!opts.audit_log.empty())
    audit = kmscore_host::audit::trail_options{opts.audit_log, opts.audit_max_bytes};
  return kmscore_host::http::serve_kms<Backend>(
      {state_options_of(opts), opts.credentials, opts.policy, opts.server, audit, opts.key_quota,
       opts.region},
      log_line);
}

template <class Backend>
int dispatch(const options& opts) {
  return opts.serve ? serve<Backend>(opts) : run<Backend>(opts);
}

std::optional<options> parse(int argc, char** argv, int& exit_code) {
  options opts;
  const char* env = std::getenv("KMSCORE_STATE");  // NOLINT(concurrency-mt-unsafe)
  opts.state = env != nullptr && *env != '\0' ? env : "./.kmscore";
  for (const auto& [name, field] : {std::pair{"KMSCORE_PKCS11_MODULE", &opts.pkcs11.module},
                                    std::pair{"KMSCORE_PKCS11_PIN_FILE", &opts.pkcs11.pin_file}}) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
    if (value != nullptr) *field = value;
  }
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto arg = args[i];
    const bool has_value = i + 1 < args.size();
    if (arg == "--help" || arg == "-h") {
      std::cout << usage_text();
      exit_code = 0;
      return std::nullopt;
    }
    if (arg == "--version") {
      std::cout << "kmscore " << kmscore::version_string << "\n";
      exit_code = 0;
      return std::nullopt;
    }
    if (arg == "--key-quota") {
      const std::string value = has_value ? std::string{args[++i]} : std::string{};
      const bool digits = !value.empty() && value.size() <= 10 &&
                          value.find_first_not_of("0123456789") == std::string::npos;
      const auto quota = digits ? std::stoll(value) : -1;
      if (quota < 0 || quota > kmscore::unlimited_key_quota) {
        exit_code = usage_error("--key-quota takes a number of keys, 0 to 2147483647");
        return std::nullopt;
      }
      opts.key_quota = quota;
      continue;
    }
    if (arg == "--region") {
      const std::string_view value = has_value ? args[++i] : std::string_view{};
      if (!kmscore::is_region(value)) {
        exit_code = usage_error("--region takes 1 to 64 of a-z, 0-9 and -");
        return std::nullopt;
      }
      opts.region = std::string{value};
      continue;
    }
    if (arg == "--audit-log" || arg == "--audit-public-key" || arg == "--audit-max-bytes") {
      if (!has_value) {
        exit_code = usage_error(std::string{arg} + " needs a value");
        return std::nullopt;
      }
      const std::string value{args[++i]};
      if (arg == "--audit-log") {
        opts.audit_log = value;
      } else if (arg == "--audit-public-key") {
        opts.audit_public_key = value;
      } else {
        const bool digits = !value.empty() && value.size() <= 15 &&
                            value.find_first_not_of("0123456789") == std::string::npos;
        const auto bytes = digits ? std::stoull(value) : 0;
        if (bytes < 4096) {
          exit_code = usage_error("--audit-max-bytes takes a number of bytes, at least 4096");
          return std::nullopt;
        }
        opts.audit_max_bytes = bytes;
      }
      continue;
    }
    if (arg == "--reseal") {
      opts.reseal = true;
      continue;
    }
    if (arg == "--root-key" || arg == "--pkcs11-module" || arg == "--pkcs11-pin-file" ||
        arg == "--to" || arg == "--to-pkcs11-module" || arg == "--to-pkcs11-pin-file") {
      if (!has_value) {
        exit_code = usage_error(std::string{arg} + " needs a value");
        return std::nullopt;
      }
      const std::string value{args[++i]};
      if (arg == "--root-key") {
        opts.root_key = value;
      } else if (arg == "--pkcs11-module") {
        opts.pkcs11.module = value;
      } else if (arg == "--pkcs11-pin-file") {
        opts.pkcs11.pin_file = value;
      } else if (arg == "--to-pkcs11-module") {
        opts.rotate_pkcs11.module = value;
      } else if (arg == "--to-pkcs11-pin-file") {
        opts.rotate_pkcs11.pin_file = value;
      } else {
        opts.rotate_to = value;
      }
      continue;
    }
    if (arg == "--state" || arg == "--store" || arg == "--project" || arg == "--backend" ||
        arg == "--datakey-policy") {
      if (!has_value) {
        exit_code = usage_error(std::string{arg} + " needs a value");
        return std::nullopt;
      }
      const std::string value{args[++i]};
      if (arg == "--state") {
        opts.state = value;
      } else if (arg == "--store") {
        opts.store = value;
      } else if (arg == "--project") {
        const auto id = kmscore::project_id::parse(value);
        if (!id) {
          exit_code = usage_error("a project id is 32 lowercase hex characters: " + value);
          return std::nullopt;
        }
        opts.project = *id;
      } else if (arg == "--backend") {
        if (value != "auto" && value != "sodium" && value != "cryptopp" && value != "openssl") {
          exit_code = usage_error("unknown backend: " + value);
          return std::nullopt;
        }
        opts.backend = value;
      } else if (value == "range" || value == "strict512") {
        opts.policy = value == "range" ? kmscore::datakey_length_policy::range
                                       : kmscore::datakey_length_policy::strict512;
      } else {
        exit_code = usage_error("unknown datakey policy: " + value);
        return std::nullopt;
      }
      continue;
    }
    if (arg == "--listen" || arg == "--credentials" || arg == "--tls-cert" || arg == "--tls-key" ||
        arg == "--workers" || arg == "--metrics-listen" || arg == "--max-connections" ||
        arg == "--max-connections-per-address" || arg == "--request-timeout") {
      if (!has_value) {
        exit_code = usage_error(std::string{arg} + " needs a value");
        return std::nullopt;
      }
      const std::string value{args[++i]};
      opts.serve_only.emplace_back(arg);
      if (arg == "--listen") {
        const auto address = kmscore_host::http::parse_listen_address(value);
        if (!address) {
          exit_code = usage_error("--listen takes HOST:PORT (IPv6: [ADDRESS]:PORT): " + value);
          return std::nullopt;
        }
        opts.server.host = address->first;
        opts.server.port = address->second;
      } else if (arg == "--metrics-listen") {
        auto address = kmscore_host::http::parse_listen_address(value);
        if (!address) {
          exit_code =
              usage_error("--metrics-listen takes HOST:PORT (IPv6: [ADDRESS]:PORT): " + value);
          return std::nullopt;
        }
        opts.server.metrics_listen = std::move(*address);
      } else if (arg == "--credentials") {
        opts.credentials = value;
      } else if (arg == "--tls-cert") {
        opts.server.tls_cert = value;
      } else if (arg == "--tls-key") {
        opts.server.tls_key = value;
      } else {
        // A count: --workers 1-1024, the connection caps 1-1000000, the timeout 1-300 s.
        const std::size_t most = arg == "--workers"           ? kmscore_host::http::max_workers
                                 : arg == "--request-timeout" ? 300
                                                              : 1000000;
        const bool digits = !value.empty() && value.size() <= 7 &&
                            value.find_first_not_of("0123456789") == std::string::npos;
        const auto number = digits ? std::stoul(value) : 0;
        if (number == 0 || number > most) {
          exit_code =
              usage_error(std::string{arg} + " takes a number from 1 to " + std::to_string(most));
          return std::nullopt;
        }
        if (arg == "--workers") {
          opts.server.workers = number;
        } else if (arg == "--max-connections") {
          opts.server.max_connections = number;
        } else if (arg == "--max-connections-per-address") {
          opts.server.max_connections_per_address = number;
        } else {
          opts.server.request_timeout = std::chrono::seconds{number};
        }
      }
      continue;
    }
    if (arg.starts_with("-")) {
      exit_code = usage_error("unknown option: " + std::string{arg});
      return std::nullopt;
    }
    if (opts.action == "audit") {  // audit's subcommand and its arguments
      opts.audit_args.emplace_back(arg);
      continue;
    }
    if (opts.action == "root" || opts.action == "keyring") {  // the subcommand
      opts.root_args.emplace_back(arg);
      continue;
    }
    if (!opts.action.empty()) {
      exit_code = usage_error("unexpected argument: " + std::string{arg});
      return std::nullopt;
    }
    opts.action = std::string{arg};
    if (arg == "inspect") {
      if (i + 2 != args.size() || args[i + 1].empty()) {
        exit_code = usage_error("inspect takes exactly one non-empty HEX argument");
        return std::nullopt;
      }
      opts.inspect = true;
      opts.inspect_hex = std::string{args[++i]};
    } else if (arg == "serve") {
      opts.serve = true;
    } else if (arg != "info" && arg != "maintain" && arg != "rotate-due-keys" && arg != "audit" &&
               arg != "root" && arg != "keyring" && !kmscore::is_known_action(arg)) {
      exit_code = usage_error("unknown action: " + std::string{arg});
      return std::nullopt;
    }
  }
  if (opts.action.empty()) {
    exit_code = usage_error("no action given");
    return std::nullopt;
  }
  if (opts.action == "audit") {
    const bool verify = !opts.audit_args.empty() && opts.audit_args[0] == "verify";
    const bool export_key = !opts.audit_args.empty() && opts.audit_args[0] == "export-key";
    if (verify && opts.audit_public_key.empty()) {
      exit_code = usage_error("audit verify needs --audit-public-key PATH");
      return std::nullopt;
    }
    if ((!verify && !export_key) || (verify && opts.audit_args.size() < 2) ||
        (export_key && opts.audit_args.size() != 2)) {
      exit_code = usage_error(
          "audit takes export-key PATH, or verify --audit-public-key PATH FILE... (oldest first)");
      return std::nullopt;
    }
  } else if (!opts.audit_public_key.empty()) {
    exit_code = usage_error("--audit-public-key is an option of audit verify");
    return std::nullopt;
  }
  if (opts.action == "root") {
    if (opts.root_args.size() != 1 || opts.root_args[0] != "rotate" || opts.rotate_to.empty()) {
      exit_code = usage_error("root takes rotate --to SPEC (file:PATH or pkcs11:...)");
      return std::nullopt;
    }
  } else if (opts.action == "keyring") {
    if (opts.reseal) {
      exit_code = usage_error(
          "keyring rotate --reseal is not built yet: keyring rotate adds a sealing key for new "
          "records; existing records stay sealed under the keys before it");
      return std::nullopt;
    }
    if (opts.root_args.size() != 1 || opts.root_args[0] != "rotate") {
      exit_code = usage_error("keyring takes rotate");
      return std::nullopt;
    }
  }
  if (opts.action != "root" && (!opts.rotate_to.empty() || !opts.rotate_pkcs11.module.empty() ||
                                !opts.rotate_pkcs11.pin_file.empty())) {
    exit_code =
        usage_error("--to, --to-pkcs11-module and --to-pkcs11-pin-file are options of root rotate");
    return std::nullopt;
  }
  if (opts.reseal && opts.action != "keyring") {
    exit_code = usage_error("--reseal is an option of keyring rotate");
    return std::nullopt;
  }
  if (!opts.serve && !opts.serve_only.empty()) {
    exit_code = usage_error(opts.serve_only.front() + " is an option of serve");
    return std::nullopt;
  }
  if (opts.serve) {
    // The project comes from each request's URL, once its signature proves the caller's right.
    if (opts.project) {
      exit_code = usage_error("serve takes the project from each request's URL, not --project");
      return std::nullopt;
    }
    if (opts.credentials.empty()) {
      exit_code = usage_error("serve needs --credentials FILE");
      return std::nullopt;
    }
    if (opts.server.tls_cert.empty() != opts.server.tls_key.empty()) {
      exit_code = usage_error("--tls-cert and --tls-key go together");
      return std::nullopt;
    }
    if (opts.server.tls_cert.empty() &&
        !kmscore_host::http::is_loopback_address(opts.server.host)) {
      exit_code = usage_error("refusing to listen on " + opts.server.host +
                              " without TLS: plain HTTP is for loopback addresses only "
                              "(127.0.0.0/8, ::1); give --tls-cert and --tls-key");
      return std::nullopt;
    }
  }
  return opts;
}

}  // namespace

int main(int argc, char** argv) try {
  // OpenSSL's frees wipe (openssl_wiping_free.hpp says why); refuse to run if they do not.
  if (!kmscore_host::openssl_frees_are_wiped()) {
    std::cerr << "kmscore: OpenSSL allocated before its wiping free could be installed\n";
    return 1;
  }
  // No core file ever holds a key, the root key or a credential (checked before any is read).
  std::string why;
  if (!kmscore_host::forbid_core_dumps(why)) {
    std::cerr << "kmscore: " << why << "\n";
    return 1;
  }
  // Secret buffers in pages left out of any core dump (and out of swap where the limit allows).
  if (!kmscore_host::install_secret_arena(why)) {
    std::cerr << "kmscore: " << why << "\n";
    return 1;
  }
  // A file-size limit makes writes fail (EFBIG), answered as errors, rather than kill us.
  (void)std::signal(SIGXFSZ, SIG_IGN);
  int exit_code = 0;
  const auto opts = parse(argc, argv, exit_code);
  if (!opts) return exit_code;
  if (opts->action == "audit" && opts->audit_args[0] == "verify") return audit_verify(*opts);
  if (opts->backend == "sodium") return dispatch<kmscore::backend::sodium>(*opts);
  if (opts->backend == "cryptopp") return dispatch<kmscore::backend::cryptopp>(*opts);
  if (opts->backend == "openssl") return dispatch<kmscore::backend::openssl>(*opts);
  // auto: each operation to the first backend that serves it: libsodium (AES-GCM with AES-NI,
  // SHA-256), Crypto++ (SM4, SM3, raw blocks, key pairs), OpenSSL (signatures, RSA-OAEP, SM2).
  using symmetric =
      kmscore::backend::combined<kmscore::backend::sodium, kmscore::backend::cryptopp>;
  return dispatch<kmscore::backend::combined<symmetric, kmscore::backend::openssl>>(*opts);
} catch (const std::exception& failure) {
  std::cerr << "kmscore: " << failure.what() << "\n";
  return 1;
}
