// host/http/metrics.hpp: the server's counters, rendered in Prometheus' text format
// (GET /metrics on `serve --metrics-listen`, cli.md Additions 2026-12-06).
//
//   kmscore_host::http::server_metrics metrics;
//   metrics.request_done(action, 200, elapsed);        // every answered request
//   metrics.auth_failed(kmscore_host::http::auth_failure::bad_signature);
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

// What the host knows and the server does not, read when /metrics is rendered.
struct host_gauges {
  std::size_t cache_entries = 0;
  std::size_t cache_bytes = 0;
  std::uint64_t store_errors = 0;  // store faults reported (each answered 500 KMS.0101)
};

class server_metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds (then +Inf).
  static constexpr std::array<double, 10> latency_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                         0.025,  0.05,  0.1,    0.5,   2.5};

  void request_done(std::optional<kmscore::action_id> action, int status,
                    std::chrono::nanoseconds duration) noexcept;
  void auth_failed(auth_failure reason) noexcept;

  [[nodiscard]] std::string render(const host_gauges& gauges) const;

 private:
  static constexpr std::size_t action_slots = kmscore::action_names.size() + 1;  // + "none"
  static constexpr std::size_t status_classes = 3;                               // 2xx 4xx 5xx
  using counter = std::atomic<std::uint64_t>;

  std::array<std::array<counter, status_classes>, action_slots> requests_{};
  std::array<counter, latency_bounds.size() + 1> latency_buckets_{};  // not cumulative
  counter latency_sum_ns_{0};
  std::array<counter, auth_failure_count> auth_failures_{};
};

}  // namespace kmscore_host::http
