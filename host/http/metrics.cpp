// The server's counters (metrics.hpp).
#include "metrics.hpp"

#include <array>
#include <cstdio>
#include <string_view>

namespace kmscore_host::http {

namespace {

constexpr std::array<std::string_view, auth_failure_count> reason_names{
    "no_credentials",     "token",         "malformed",          "expired", "unsigned_payload",
    "unknown_access_key", "bad_signature", "project_not_granted"};
constexpr std::array<std::string_view, limit_hit_count> limit_names{
    "connections_total", "connections_per_address", "idle_timeout", "request_deadline",
    "header_bytes",      "header_fields",           "body_bytes",   "keygen_queue"};
constexpr std::array<std::string_view, 3> class_names{"2xx", "4xx", "5xx"};

// 2xx, 4xx, or 5xx (anything else the server never sends; counted as 5xx).
std::size_t status_class(int status) noexcept {
  if (status >= 200 && status < 300) return 0;
  if (status >= 400 && status < 500) return 1;
  return 2;
}

void line(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(value)).append("\n");
}

std::string seconds_text(double seconds) {
  std::string text = std::to_string(seconds);  // fixed, 6 decimals
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

void server_metrics::limit_reached(limit_hit limit) noexcept {
  limits_[static_cast<std::size_t>(limit)].fetch_add(1, std::memory_order_relaxed);
}

void server_metrics::connection_opened() noexcept {
  connections_open_.fetch_add(1, std::memory_order_relaxed);
}

void server_metrics::connection_closed() noexcept {
  connections_open_.fetch_sub(1, std::memory_order_relaxed);
}

std::uint64_t server_metrics::connections_open() const noexcept {
  return connections_open_.load(std::memory_order_relaxed);
}

void server_metrics::request_done(std::optional<kmscore::action_id> action, int status,
                                  std::chrono::nanoseconds duration) noexcept {
  const std::size_t slot = action ? action->index() : action_slots - 1;
  requests_[slot][status_class(status)].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(duration).count();
  std::size_t bucket = 0;
  while (bucket < latency_bounds.size() && seconds > latency_bounds[bucket]) ++bucket;
  latency_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns_.fetch_add(static_cast<std::uint64_t>(duration.count() > 0 ? duration.count() : 0),
                            std::memory_order_relaxed);
}

void server_metrics::auth_failed(auth_failure reason) noexcept {
  auth_failures_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
}

std::string server_metrics::render(const host_gauges& gauges) const {
  std::string out;
  out.append("# HELP kmscore_requests_total Requests answered, by action and status class.\n");
  out.append("# TYPE kmscore_requests_total counter\n");
  for (std::size_t a = 0; a < action_slots; ++a) {
    const std::string_view action = a < kmscore::action_names.size()
                                        ? std::string_view{kmscore::action_names[a]}
                                        : std::string_view{"none"};
    for (std::size_t c = 0; c < status_classes; ++c) {
      const auto value = requests_[a][c].load(std::memory_order_relaxed);
      if (value == 0) continue;
      line(out, "kmscore_requests_total",
           "action=\"" + std::string{action} + "\",status=\"" + std::string{class_names[c]} + "\"",
           value);
    }
  }
  out.append("# HELP kmscore_request_duration_seconds Time from routing to the answer.\n");
  out.append("# TYPE kmscore_request_duration_seconds histogram\n");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b <= latency_bounds.size(); ++b) {
    cumulative += latency_buckets_[b].load(std::memory_order_relaxed);
    const std::string bound = b < latency_bounds.size() ? seconds_text(latency_bounds[b]) : "+Inf";
    line(out, "kmscore_request_duration_seconds_bucket", "le=\"" + bound + "\"", cumulative);
  }
  const double sum = static_cast<double>(latency_sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  out.append("kmscore_request_duration_seconds_sum ").append(std::to_string(sum)).append("\n");
  line(out, "kmscore_request_duration_seconds_count", {}, cumulative);
  out.append(
      "# HELP kmscore_auth_failures_total Requests refused before their action, by reason.\n");
  out.append("# TYPE kmscore_auth_failures_total counter\n");
  for (std::size_t r = 0; r < auth_failure_count; ++r) {
    line(out, "kmscore_auth_failures_total", "reason=\"" + std::string{reason_names[r]} + "\"",
         auth_failures_[r].load(std::memory_order_relaxed));
  }
  out.append("# HELP kmscore_connections_open Client connections open now.\n");
  out.append("# TYPE kmscore_connections_open gauge\n");
  line(out, "kmscore_connections_open", {}, connections_open());
  out.append(
      "# HELP kmscore_limits_total Connections refused or closed and requests refused by a "
      "limit of the front, by limit.\n");
  out.append("# TYPE kmscore_limits_total counter\n");
  for (std::size_t l = 0; l < limit_hit_count; ++l) {
    line(out, "kmscore_limits_total", "limit=\"" + std::string{limit_names[l]} + "\"",
         limits_[l].load(std::memory_order_relaxed));
  }
  out.append("# HELP kmscore_key_cache_entries Keys in the key cache.\n");
  out.append("# TYPE kmscore_key_cache_entries gauge\n");
  line(out, "kmscore_key_cache_entries", {}, gauges.cache_entries);
  out.append("# HELP kmscore_key_cache_bytes The key cache's estimate of its memory.\n");
  out.append("# TYPE kmscore_key_cache_bytes gauge\n");
  line(out, "kmscore_key_cache_bytes", {}, gauges.cache_bytes);
  out.append("# HELP kmscore_store_errors_total Store faults reported.\n");
  out.append("# TYPE kmscore_store_errors_total counter\n");
  line(out, "kmscore_store_errors_total", {}, gauges.store_errors);
  if (gauges.audit_free_bytes) {
    out.append("# HELP kmscore_audit_free_bytes Free bytes on the audit trail's file system.\n");
    out.append("# TYPE kmscore_audit_free_bytes gauge\n");
    line(out, "kmscore_audit_free_bytes", {}, *gauges.audit_free_bytes);
  }
  const auto seconds = [&out](std::string_view name, std::string_view help,
                              std::optional<std::uint64_t> micros) {
    if (!micros) return;
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" gauge\n");
    std::array<char, 32> text{};
    (void)std::snprintf(text.data(), text.size(), "%.6f", static_cast<double>(*micros) / 1e6);
    out.append(name).append(" ").append(text.data()).append("\n");
  };
  seconds("kmscore_audit_sync_window_max_seconds",
          "The longest a written audit record waited for the fdatasync that made it durable.",
          gauges.audit_sync_window_max_us);
  seconds("kmscore_audit_fdatasync_max_seconds", "The longest fdatasync of the audit trail.",
          gauges.audit_fdatasync_max_us);
  return out;
}

std::string_view reason_name(auth_failure reason) {
  return reason_names[static_cast<std::size_t>(reason)];
}

}  // namespace kmscore_host::http
