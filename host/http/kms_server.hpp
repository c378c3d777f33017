// host/http/kms_server.hpp: `kmscore serve` whole: the state opened once, the credentials
// read, the key cache shared by every worker, and the KMS REST API served until SIGTERM or
// SIGINT.
//
//   kmscore_host::http::kms_server_options options;
//   options.state_dir = "/var/lib/kmscore";
//   options.credentials = "/etc/kmscore/credentials.json";
//   return kmscore_host::http::serve_kms<Backend>(options, log);  // 0 after a clean stop
//
// The host's wiring of server.hpp's hooks, in one place, for the tool and any embedder:
// each request runs its action (resolved once, by the server) on a kms_service of its
// project over the shared store and cache; projects are created on first use (with the
// credential's domain_id, else a fresh one); signatures are verified with the backend's
// HMAC; the maintenance job rotates every due key. Returns 1, with the reason logged, if it
// cannot start.
#pragma once

#include <kmscore/create_key.hpp>
#include <kmscore/crypto.hpp>
#include <kmscore/json.hpp>
#include <kmscore/key_cache.hpp>
#include <kmscore/key_record_codec.hpp>
#include <kmscore/keyring.hpp>
#include <kmscore/maintenance.hpp>
#include <kmscore/service.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "credentials.hpp"
#include "request_signature.hpp"
#include "server.hpp"
#include "state.hpp"

namespace kmscore_host::http {

struct kms_server_options {
  state_options state;      // the state directory and store URL (host/store/state.hpp)
  std::string credentials;  // the credentials file (credentials.hpp)
  kmscore::datakey_length_policy policy = kmscore::datakey_length_policy::range;
  server_config server;
  std::optional<audit::trail_options> audit;              // --audit-log: the trail (docs/audit.md)
  std::int64_t key_quota = kmscore::unlimited_key_quota;  // --key-quota (api-metadata.md §4)
  std::string region = "local";  // --region: the region alias URNs name (api-metadata.md §5.1)
};

// GET /ready: whether the store answers a read now (one indexed lookup of a project).
[[nodiscard]] inline bool store_answers(kmscore::key_store& store) {
  return store.find_project(kmscore::project_id{}).has_value();
}

template <kmscore::crypto_backend Backend>
[[nodiscard]] int serve_kms(const kms_server_options& options, const log_sink& log) {
  std::string why;
  const auto credentials = credential_set::load(options.credentials, why);
  if (!credentials) {
    log("refusing to start: " + why);
    return 1;
  }
  Backend backend;  // one instance for every worker: the backends are thread-safe
  const auto crypto = state_crypto_of(backend);
  // Every report is logged; a store's faults (its reports name it: "sqlite store: ",
  // "postgresql store: ") are also counted for GET /metrics.
  std::atomic<std::uint64_t> store_errors{0};
  const kmscore::diagnostics_sink diagnostics = [&log, &store_errors](std::string_view message) {
    if (message.starts_with("sqlite store: ") || message.starts_with("postgresql store: ")) {
      store_errors.fetch_add(1, std::memory_order_relaxed);
    }
    log(message);
  };
  auto state = open_state(options.state, crypto, diagnostics, why);
  if (!state) {
    log("refusing to start: " + why);
    return 1;
  }
  kmscore::key_store& store = *state->store;
  // The audit trail, signed under a key from the store's service secret (keyring.hpp).
  std::unique_ptr<audit::trail> trail;
  if (options.audit) {
    const auto seed = state->sealer->service_key(audit::signing_key_label);
    if (seed) trail = audit::trail::open(*options.audit, *seed, diagnostics, why);
    if (!trail) {
      log("refusing to start: " + (seed ? why : std::string{"no audit signing key"}));
      return 1;
    }
  }
  // The keys import tokens and fingerprints are made with, from the same secret.
  kmscore::import_keys import_secrets;
  {
    auto token_key = state->sealer->service_key(kmscore::import_token_label);
    auto fingerprint_key = state->sealer->service_key(kmscore::import_fingerprint_label);
    if (!token_key || !fingerprint_key) {
      log("refusing to start: no import keys from the keyring");
      return 1;
    }
    import_secrets = {std::move(*token_key), std::move(*fingerprint_key)};
  }
  // The derived state of each key, shared by every worker, rebuilt when a key's revision
  // changes (here or on another host sharing the database).
  kmscore::key_cache<Backend> cache{backend};
  const auto policy = options.policy;
  const auto key_quota = options.key_quota;
  const auto& region = options.region;
  const server_hooks hooks{
      .handle =
          [&backend, &store, &cache, policy, key_quota, &region, &diagnostics, &import_secrets](
              const kmscore::project& tenant, kmscore::action_id action, std::string_view body,
              const kmscore::request_params& params, std::int64_t now) {
            // Cheap: a kms_service holds references and the project.
            kmscore::kms_service<Backend> service{backend, store,       tenant,
                                                  policy,  diagnostics, &cache};
            service.set_key_quota(key_quota);
            service.set_region(region);
            service.set_import_keys(&import_secrets);
            return kmscore::handle_json(service, action, body, params, now);
          },
      .resolve_project = [&backend, &store](
                             const kmscore::project_id& id,
                             std::string_view domain_hint) -> kmscore::result<kmscore::project> {
        if (!domain_hint.empty()) return store.ensure_project(id, domain_hint);
        KMSCORE_TRY_ASSIGN(const auto fresh, kmscore::new_domain_id(backend));
        return store.ensure_project(id, fresh);
      },
      .verify =
          [&backend](const signed_request& request, const signature_claim& claim,
                     kmscore::byte_span secret_key) {
            return verify_request_signature(backend, request, claim, secret_key);
          },
      .maintenance =
          [&backend, &store, &diagnostics, &log, &trail](std::int64_t now) {
            const kmscore::maintenance_observer audit_step =
                [&trail, &log, now](const kmscore::project_id& project, const kmscore::key_id& id,
                                    std::string_view done) {
                  if (!trail) return;
                  audit::event what;
                  what.type = "maintenance";
                  what.time_ms = now;
                  what.project = project.str();
                  what.action = "maintain";
                  what.key_id = id.str();
                  what.reason = std::string{done};
                  if (!trail->append(what)) log("audit: a maintenance step was not recorded");
                };
            const auto done = kmscore::maintain(backend, store, now, diagnostics, audit_step);
            if (!done) {
              log("maintenance failed: " + std::string{done.error().code_string()} +
                  " (the next pass resumes)");
            } else if (done->rotated + done->deleted + done->expired > 0) {
              log("maintenance: rotated " + std::to_string(done->rotated) + ", deleted " +
                  std::to_string(done->deleted) + ", expired " + std::to_string(done->expired));
            }
          },
      .log = log,
      .ready = [&store] { return store_answers(store); },
      .gauges =
          [&cache, &store_errors, &trail] {
            host_gauges gauges;
            gauges.cache_entries = cache.size();
            gauges.cache_bytes = cache.bytes();
            gauges.store_errors = store_errors.load();
            if (trail) {
              gauges.audit_free_bytes = trail->free_bytes();
              const auto figures = trail->sync_stats();
              gauges.audit_sync_window_max_us =
                  static_cast<std::uint64_t>(figures.longest_window.count());
              gauges.audit_fdatasync_max_us =
                  static_cast<std::uint64_t>(figures.longest_sync.count());
            }
            return gauges;
          },
      .audit = trail.get()};
  const int code = serve(options.server, *credentials, hooks, why);
  if (code != 0) log("refusing to start: " + why);
  if (trail) {  // the power-loss window, as measured while serving
    const auto figures = trail->sync_stats();
    log("audit: " + std::to_string(figures.syncs) +
        " fdatasyncs; the longest wait of a written record for its fdatasync " +
        std::to_string(figures.longest_window.count()) + " us, the longest fdatasync " +
        std::to_string(figures.longest_sync.count()) + " us");
  }
  return code;  // the state (and with it the store) closes on return
}

}  // namespace kmscore_host::http
