// host/http/metrics.hpp: the server's counters, rendered in Prometheus' text format
// (GET /metrics on `serve --metrics-listen`, cli.md Additions 2026-12-06).
//
//   kmscore_host::http::server_metrics metrics;
//   metrics.request_done(action, 200, elapsed);        // every answered request
//   metrics.auth_failed(kmscore_host::http::auth_failure::bad_signature);
//   metrics.limit_reached(kmscore_host::http::limit_hit::request_deadline);
//   metrics.connection_opened();  ...  metrics.connection_closed();
//   std::string text = metrics.render(gauges);          // text/plain; version=0.0.4
//
// Labels come only from fixed sets: the action names (and "none" for a request that names no
// action), the status class, the refusal reasons below. Never an access key, a project, a
// path or a client address. Counting is lock-free (relaxed atomics).
#pragma once

#include <kmscore/actions.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace kmscore_host::http {

// Why a request was refused before its action ran (the label `reason`).
enum class auth_failure : std::uint8_t {
  no_credentials,       // neither Authorization nor X-Auth-Token
  token,                // X-Auth-Token without a signature
  malformed,            // the Authorization grammar, a missing signed header, a bad date
  expired,              // X-Sdk-Date outside the 15-minute window
  payload_not_signed,   // X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD
  unknown_access_key,   // an access key the credentials file does not hold
  bad_signature,        // the signature does not match
  project_not_granted,  // the access key may not act for the URL's project
};
inline constexpr std::size_t auth_failure_count = 8;

// A limit of the server's front that stopped a connection or a request (the label `limit`;
// docs/server.md has each one's default and answer).
enum class limit_hit : std::uint8_t {
  connections_total,        // a connection refused: the server holds max_connections
  connections_per_address,  // a connection refused: its address holds its share
  idle_timeout,             // a keep-alive connection closed after idling
  request_deadline,         // a request not read in full within its deadline
  header_bytes,             // the request line and headers over their byte cap
  header_fields,            // more header fields than the cap
  body_bytes,               // a body over the cap (400 KMS.0203)
  keygen_queue,             // create-key refused: too many key generations waiting
};
inline constexpr std::size_t limit_hit_count = 8;

// What the host knows and the server does not, read when /metrics is rendered.
struct host_gauges {
  std::size_t cache_entries = 0;
  std::size_t cache_bytes = 0;
  std::uint64_t store_errors = 0;  // store faults reported (each answered 500 KMS.0101)
  std::optional<std::uint64_t> audit_free_bytes;  // the audit trail's file system; none: no trail
  // The audit trail's power-loss window so far: the longest wait of a written record for the
  // fdatasync that made it durable, and the longest fdatasync (microseconds; none: no trail).
  std::optional<std::uint64_t> audit_sync_window_max_us;
  std::optional<std::uint64_t> audit_fdatasync_max_us;
};

// The reason label of an authentication failure (as in kmscore_auth_failures_total).
[[nodiscard]] std::string_view reason_name(auth_failure reason);

class server_metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds (then +Inf).
  static constexpr std::array<double, 10> latency_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                         0.025,  0.05,  0.1,    0.5,   2.5};

  void request_done(std::optional<kmscore::action_id> action, int status,
                    std::chrono::nanoseconds duration) noexcept;
  void auth_failed(auth_failure reason) noexcept;
  void limit_reached(limit_hit limit) noexcept;
  void connection_opened() noexcept;
  void connection_closed() noexcept;
  [[nodiscard]] std::uint64_t connections_open() const noexcept;

  [[nodiscard]] std::string render(const host_gauges& gauges) const;

 private:
  static constexpr std::size_t action_slots = kmscore::action_names.size() + 1;  // + "none"
  static constexpr std::size_t status_classes = 3;                               // 2xx 4xx 5xx
  using counter = std::atomic<std::uint64_t>;

  std::array<std::array<counter, status_classes>, action_slots> requests_{};
  std::array<counter, latency_bounds.size() + 1> latency_buckets_{};  // not cumulative
  counter latency_sum_ns_{0};
  std::array<counter, auth_failure_count> auth_failures_{};
  std::array<counter, limit_hit_count> limits_{};
  counter connections_open_{0};
};

}  // namespace kmscore_host::http
