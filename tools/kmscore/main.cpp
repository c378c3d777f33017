// kmscore: the command-line tool over the library. Contract: the project's spec/cli.md.
// Reads a request body on stdin, writes the response body on stdout; exit 0 for HTTP 200,
// 1 otherwise ("HTTP <status>" on stderr), 2 for usage. Its state (root key, key store,
// default project) is opened by host/store/state.hpp, the same way `serve` opens it.
#include <kmscore/backend/combined.hpp>
#include <kmscore/backend/cryptopp.hpp>
#include <kmscore/backend/sodium.hpp>
#include <kmscore/json.hpp>
#include <kmscore/version.hpp>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "secret_input.hpp"
#include "state.hpp"

namespace {

// The usage text; its list of actions comes from the JSON layer's action table.
std::string usage_text() {
  std::string text =
      "usage: kmscore [--state DIR] [--store URL] [--project ID] [--backend auto|sodium|cryptopp]\n"
      "               [--datakey-policy range|strict512] ACTION   (request body on stdin)\n"
      "       kmscore [--state DIR] [--store URL] info | rotate-due-keys\n"
      "       kmscore inspect HEX\n"
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
         "\n--project defaults to the store's default project (see info)\n";
}

struct options {
  std::string state;
  std::string store;
  std::string project;
  std::string backend = "auto";
  kmscore::datakey_length_policy policy = kmscore::datakey_length_policy::range;
  std::string action;
  bool inspect = false;
  std::string inspect_hex;
};

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
// key); a failure status goes to stderr as "HTTP <status>". True for HTTP 200.
bool write_response(const kmscore::http_response& response) {
  std::size_t done = 0;
  const auto text = response.text();
  while (done < text.size()) {
    const auto wrote = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    done += static_cast<std::size_t>(wrote);
  }
  if (::write(STDOUT_FILENO, "\n", 1) != 1) return false;
  if (response.status != 200) {
    std::cerr << "HTTP " << response.status << "\n";
    return false;
  }
  return true;
}

// The state could not be opened: the reason on stderr, a 500 body on stdout.
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
  const bool maintenance = opts.action == "rotate-due-keys";
  // The body may carry a secret (encrypt-datakey's plain_text): read into zeroizing memory.
  kmscore::secret_bytes body;
  if (!info && !maintenance) {
    auto read = kmscore_host::read_secret_fd(STDIN_FILENO, kmscore::default_max_body_size);
    if (!read) return write_response(kmscore::error_response(read.error())) ? 0 : 1;
    body = std::move(*read);
  }
  const kmscore_host::random_source random = [&backend](kmscore::mutable_byte_span out) {
    return backend.random_bytes(out);
  };
  const kmscore_host::sealer_factory make_sealer = [&backend](kmscore::master_key root) {
    return std::make_unique<kmscore::root_key_sealer<Backend>>(backend, std::move(root));
  };
  const kmscore::diagnostics_sink diagnostics = [](std::string_view message) {
    std::cerr << "kmscore: " << message << "\n";
  };
  std::string why;
  auto state =
      kmscore_host::open_state({opts.state, opts.store}, random, make_sealer, diagnostics, why);
  if (!state) return state_failure(why);

  kmscore::project tenant = state->default_project;
  if (!opts.project.empty()) {
    std::array<kmscore::byte, kmscore::domain_id_size / 2> domain{};
    if (!backend.random_bytes(domain)) return state_failure("no randomness for a domain_id");
    std::string fresh = kmscore::hex_encode(domain);
    for (char& c : fresh) c = static_cast<char>(c >= 'A' && c <= 'F' ? c + ('a' - 'A') : c);
    auto ensured = state->store->ensure_project(opts.project, fresh);
    if (!ensured) return state_failure("cannot open project " + opts.project);
    tenant = std::move(*ensured);
  }
  if (info) {
    const nlohmann::ordered_json out = {{"store", state->store_url},
                                        {"root_key", state->root_key_path},
                                        {"project", tenant.id},
                                        {"domain_id", tenant.domain_id}};
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (maintenance) {  // every due key of every project in the store (api-rotation.md)
    const auto rotated = kmscore::rotate_due_keys(backend, *state->store, now_ms(), diagnostics);
    if (!rotated) return write_response(kmscore::error_response(rotated.error())) ? 0 : 1;
    std::cout << nlohmann::ordered_json{{"rotated", *rotated}}.dump() << "\n";
    return 0;
  }
  kmscore::kms_service service{backend, *state->store, tenant, opts.policy, diagnostics};
  const auto response =
      kmscore::handle_json(service, opts.action, kmscore::as_chars(body.expose()), now_ms());
  return write_response(response) ? 0 : 1;
}

std::optional<options> parse(int argc, char** argv, int& exit_code) {
  options opts;
  const char* env = std::getenv("KMSCORE_STATE");  // NOLINT(concurrency-mt-unsafe)
  opts.state = env != nullptr && *env != '\0' ? env : "./.kmscore";
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
        if (!kmscore::is_valid_project_id(value)) {
          exit_code = usage_error("a project id is 32 lowercase hex characters: " + value);
          return std::nullopt;
        }
        opts.project = value;
      } else if (arg == "--backend") {
        if (value != "auto" && value != "sodium" && value != "cryptopp") {
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
    if (arg.starts_with("-")) {
      exit_code = usage_error("unknown option: " + std::string{arg});
      return std::nullopt;
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
    } else if (arg != "info" && arg != "rotate-due-keys" && !kmscore::is_known_action(arg)) {
      exit_code = usage_error("unknown action: " + std::string{arg});
      return std::nullopt;
    }
  }
  if (opts.action.empty()) {
    exit_code = usage_error("no action given");
    return std::nullopt;
  }
  return opts;
}

}  // namespace

int main(int argc, char** argv) try {
  int exit_code = 0;
  const auto opts = parse(argc, argv, exit_code);
  if (!opts) return exit_code;
  if (opts->backend == "sodium") return run<kmscore::backend::sodium>(*opts);
  if (opts->backend == "cryptopp") return run<kmscore::backend::cryptopp>(*opts);
  return run<kmscore::backend::combined<kmscore::backend::sodium, kmscore::backend::cryptopp>>(
      *opts);
} catch (const std::exception& failure) {
  std::cerr << "kmscore: " << failure.what() << "\n";
  return 1;
}
