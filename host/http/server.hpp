// host/http/server.hpp: the KMS REST API over HTTP (shared spec http.md), on Boost.Beast/Asio.
//
//   kmscore_host::http::server_hooks hooks{
//       .handle = [&](const kmscore::project& tenant, kmscore::action_id action,
//                     std::string_view body, const kmscore::request_params& params,
//                     std::int64_t now_ms) {
//         kmscore::kms_service service{backend, store, tenant, policy, diagnostics};
//         return kmscore::handle_json(service, action, body, params, now_ms);
//       },
//       .resolve_project = ..., .verify = ..., .maintenance = ..., .log = ...};
//   std::string why;
//   return kmscore_host::http::serve(config, credentials, hooks, why);  // until SIGTERM/SIGINT
//
// The server is not a template: the host wraps its backend and store in the hooks.
// Each request to `/v1.0/{project_id}/kms/…` goes through, in this order (http.md 2.1 and
// Decisions): method and path, matched against every action's route (kmscore/router.hpp:
// 405 KMS.0215 with Allow, 400 KMS.0201, KMS.0205, KMS.0408); the body's framing and
// size, before any of the body is read (400 KMS.0203 over the cap, chunked bodies read up to
// the cap plus one byte); the AK/SK signature over the whole body (401 APIGW.0301 with the
// gateway's flat body; 403 KMS.0302 for a token alone; an UNSIGNED-PAYLOAD request is
// refused, as its body would not be authenticated); the credential's projects (403 KMS.0321);
// Content-Type for a route with a body (absent: JSON; otherwise application/json, parameters
// ignored, else 400 KMS.0214); then the action, with the path's parameters. Every answer
// carries the spec's JSON body, `Content-Type: application/json;charset=UTF-8` (a 204: neither)
// and `X-Request-Id` (32 random lowercase hex), is never compressed, and is never cached
// (`Cache-Control: no-store`: bodies may hold keys).
// An answer given before the body was read closes the connection, so that unread bytes are
// never taken for a request.
//
// Unauthenticated probes (cli.md, Additions 2026-12-06): `GET /health` answers 200
// {"status":"ok"} while the process is up; `GET /ready` answers 200 {"status":"ok"} when the
// `ready` hook says the store answers, else 503 {"status":"unavailable"}. Every request, a
// probe or a refusal included, is logged in one access line, a JSON object: {"access":
// request id, "access_key" (only one that passed the Authorization grammar, else null),
// "project" and "action" (only from a well-formed route, else null), "status",
// "duration_ms"}; never a secret, a signature or a body.
//
// Threads (server.cpp): `workers` I/O threads (default: the cores) run every socket,
// event-driven, and never wait for a client: a slow or hostile client costs a descriptor and
// a little memory, never a thread. They also run the signature check and the actions that
// only compute (data keys, encrypt/decrypt, sign/verify: CPU work that never waits). Actions
// that read or write the store run on `store_workers`, create-key on `keygen_workers`, so
// that neither a slow database nor a create-key storm holds the data-key path. One thread
// runs the maintenance job at start and every `maintenance_interval`; one waits for
// SIGTERM/SIGINT. serve() blocks those two signals in the process (taken with sigtimedwait,
// never by a handler) and ignores SIGPIPE. On a signal it stops accepting, closes idle
// connections, lets the requests in flight finish (at most `drain_timeout`), stops the
// maintenance thread and returns 0.
#pragma once

#include <kmscore/json.hpp>
#include <kmscore/key_record.hpp>
#include "request_signature.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "audit_trail.hpp"
#include "credentials.hpp"
#include "metrics.hpp"

namespace kmscore_host::http {

// Runs one action for a project (the host's kms_service and handle_json) on the body and
// the parameters its path carried; must not throw.
using action_handler = std::function<kmscore::http_response(
    const kmscore::project& tenant, kmscore::action_id action, std::string_view body,
    const kmscore::request_params& params, std::int64_t now_ms)>;
// The project with this id, created with domain_hint (or a fresh domain when it is empty)
// if the store does not have it yet (the host's key_store::ensure_project).
using project_resolver = std::function<kmscore::result<kmscore::project>(
    const kmscore::project_id& id, std::string_view domain_hint)>;
// kmscore_host::http::verify_request_signature with the host's backend.
using signature_verifier = std::function<kmscore_host::http::signature_status(
    const kmscore_host::http::signed_request& request,
    const kmscore_host::http::signature_claim& claim, kmscore::byte_span secret_key)>;
// The periodic maintenance pass (kmscore::maintain), never reachable over HTTP.
using maintenance_job = std::function<void(std::int64_t now_ms)>;
// One log line, without a newline; called from several threads.
using log_sink = std::function<void(std::string_view line)>;
// Whether the service can answer actions now (its store answers): GET /ready.
using readiness_check = std::function<bool()>;

struct server_hooks {
  action_handler handle;
  project_resolver resolve_project;
  signature_verifier verify;
  maintenance_job maintenance;
  log_sink log;
  readiness_check ready;                // none: ready whenever the process is up
  std::function<host_gauges()> gauges;  // for GET /metrics; none: zeros
  // The audit trail (docs/audit.md); null: nothing is audited. An action is performed only
  // once reserve() says its record fits, and answered only once append() has written it;
  // refused authentications are recorded, at most a few per second per address and reason.
  audit::trail* audit = nullptr;
};

// The front's limits (docs/server.md has each one's answer and log line). Defaults suit a
// KMS behind a load balancer on a small machine; 0 in a count means "as many cores".
struct server_config {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (the log line names it)
  std::string tls_cert;
  std::string tls_key;
  std::size_t io_threads = 0;         // threads reading and writing sockets (0: the cores)
  std::size_t workers = 0;            // the crypto pool: signatures, data keys (0: the cores)
  std::size_t store_workers = 16;     // the pool for actions that read or write the store
  std::size_t keygen_workers = 1;     // the pool for create-key (RSA generation takes 0.1-0.6 s)
  std::size_t max_keygen_queue = 64;  // create-key requests waiting for it; more: 429
  std::size_t max_body = kmscore::default_max_body_size;
  std::size_t max_header_bytes = 16 * 1024;  // request line and headers
  std::size_t max_header_fields = 64;
  std::size_t max_connections = 8192;                  // at once, in total
  std::size_t max_connections_per_address = 512;       // at once, from one client address
  std::chrono::milliseconds request_timeout{5000};     // first byte to last, whatever the pace
  std::chrono::milliseconds write_timeout{5000};       // the whole answer
  std::chrono::milliseconds keep_alive_timeout{5000};  // idle between requests
  std::chrono::milliseconds drain_timeout{10000};      // SIGTERM: the longest wait for requests
  std::chrono::milliseconds maintenance_interval{std::chrono::hours{1}};
  // GET /metrics (Prometheus text) on this second, plain-HTTP, loopback-only listener; none:
  // no metrics listener. Port 0: any free port (the log line "metrics on http://HOST:PORT/
  // metrics" names it).
  std::optional<std::pair<std::string, int>> metrics_listen;
};

inline constexpr std::size_t max_workers = 1024;

// HOST:PORT, with [IPv6]:PORT; nullopt if malformed or the port is not 0-65535.
[[nodiscard]] std::optional<std::pair<std::string, int>> parse_listen_address(
    std::string_view text);
// A numeric loopback address (127.0.0.0/8 or ::1): the only ones served without TLS.
[[nodiscard]] bool is_loopback_address(std::string_view host);

// Serves until SIGTERM or SIGINT; 0 after a clean stop, 1 with the reason in `why` if it
// cannot start (TLS files, address in use, a non-loopback address without TLS).
// Once listening it logs exactly one line "listening on http[s]://HOST:PORT".
[[nodiscard]] int serve(const server_config& config, const credential_set& credentials,
                        const server_hooks& hooks, std::string& why);

}  // namespace kmscore_host::http
