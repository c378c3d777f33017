// host/audit/audit_trail.hpp: the audit trail (docs/audit.md): one JSON line per audited
// event, hash-chained, with signed checkpoints, and its verifier.
//
//   auto seed = sealer.service_key(kmscore_host::audit::signing_key_label);   // keyring.hpp
//   std::string why;
//   auto trail = kmscore_host::audit::trail::open({"/var/log/kmscore/audit.jsonl"}, *seed,
//                                                 diagnostics, why);
//   if (!trail->append(event)) { /* answer 503: the event could not be recorded */ }
//
// Each line is a JSON object whose last member before the signature is "prev", the SHA-256 of
// the line before it (64 zeros for a trail's first line), so a changed, removed, inserted or
// reordered line breaks the chain; lines carry a sequence number. At least once a second
// while events arrive, and when the trail is closed or rotated, a checkpoint line is added,
// signed with Ed25519 under a key derived from the store's service secret: whoever holds the
// public key (`kmscore audit export-key`) can verify the trail up to its last checkpoint.
// Processes sharing one file take an exclusive lock per append and continue one chain. A file
// past max_bytes is renamed PATH.<UTC yyyymmddThhmmssZ> and a new PATH continues the chain.
//
// Fail-closed: a host calls reserve() before it performs an action and append() after it,
// before it answers. reserve() keeps disk space allocated ahead of the file's end, so the
// record of an action performed always fits; a full disk (or file-size limit) fails reserve(),
// and the action is not performed (503). append returns only once the line is written (a
// completed write(2)), so a crash of the process loses no record of an answered request;
// written lines are fdatasync'd within sync_interval (and at rotation and close). A failed
// write or sync makes the trail unhealthy: reserve, append and healthy() answer false from
// then on, and the host refuses the requests it cannot audit (503).
#pragma once

#include <kmscore/diagnostics.hpp>
#include <kmscore/response.hpp>
#include <kmscore/secret.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmscore_host::audit {

// The label of the audit signing key among the service secret's keys (keyring.hpp).
inline constexpr std::string_view signing_key_label = "kmscore audit signing key v1";
// Every text field of a record is cut to this many bytes.
inline constexpr std::size_t max_field_bytes = 256;

// One audited event. Never a plaintext, data key, secret key, signature, token or body.
struct event {
  std::string type = "request";  // "request", "auth_failure" or "maintenance"
  std::int64_t time_ms = 0;
  std::string request_id;
  std::string access_key;
  std::string project;
  std::string client;  // the client's address
  std::string action;
  std::string key_id;
  std::optional<std::uint32_t> key_version;
  std::string key_alias;
  int status = 0;
  std::string error_code;
  std::string reason;            // auth failures: why; maintenance: what was done
  std::uint64_t suppressed = 0;  // auth failures folded into this record (the flood limit)
};

// Fills what.key_id, key_version and key_alias from a request and its answer, both JSON as
// sent: the key id and version the action used (its answer's key_id or key_info.key_id, else
// the request's; the version from the answer's key_version, else from the envelope of a
// cipher_text in the answer or the request), the alias the request gave and the answer's
// error_code. Only these members are read: nothing else of either body is kept.
void fill_key_facts(event& what, std::string_view request_body, std::string_view answer_body);

// The answer to a request that cannot be recorded (and so is not performed): 503, with
// KMS.0101 and a message that says why.
[[nodiscard]] kmscore::http_response unavailable_answer();

struct trail_options {
  std::string path;
  std::uint64_t max_bytes = std::uint64_t{256} << 20U;
  std::chrono::milliseconds sync_interval{100};
  std::chrono::milliseconds checkpoint_interval{1000};
};

class trail {
 public:
  // Opens (creating, mode 0600) the trail at options.path, continuing the chain of what it
  // holds; nullptr with the reason in `why`. The seed is the 32-byte signing key seed.
  [[nodiscard]] static std::unique_ptr<trail> open(const trail_options& options,
                                                   const kmscore::secret_bytes& seed,
                                                   kmscore::diagnostics_sink diagnostics,
                                                   std::string& why);
  ~trail();  // a final checkpoint, then fdatasync
  trail(const trail&) = delete;
  trail& operator=(const trail&) = delete;
  trail(trail&&) = delete;
  trail& operator=(trail&&) = delete;

  // Before an action is performed: whether its record is sure to be written. Keeps room
  // reserved ahead of the file's end (fallocate, within RLIMIT_FSIZE), so that the record of
  // an action performed never meets a full disk. false: do not perform it (answer 503).
  [[nodiscard]] bool reserve();
  // Writes the event's line; false (the reason logged once) if it could not be written or
  // the trail is unhealthy.
  [[nodiscard]] bool append(const event& what);
  [[nodiscard]] bool healthy() const;
  // Free bytes for unprivileged users on the trail's file system (for alarms), or nullopt.
  [[nodiscard]] std::optional<std::uint64_t> free_bytes() const;
  // The public key that verifies this trail's checkpoints, as PEM.
  [[nodiscard]] std::string public_key_pem() const;
  // The power-loss window as measured: how many fdatasyncs ran, the longest time a written
  // record waited for the fdatasync that made it durable (from its write to that call's
  // return), and the longest fdatasync. Also noted when the trail closes.
  struct sync_figures {
    std::uint64_t syncs = 0;
    std::chrono::microseconds longest_window{0};
    std::chrono::microseconds longest_sync{0};
  };
  [[nodiscard]] sync_figures sync_stats() const;

  struct state;

 private:
  explicit trail(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

// The PEM public key of a signing key seed (`kmscore audit export-key`); empty on failure.
[[nodiscard]] std::string public_key_pem(const kmscore::secret_bytes& seed);

// What `kmscore audit verify` reports (cli.md, additions 2026-12-06).
struct verify_error {
  std::string file;
  std::size_t line = 0;  // 1-based
  std::string reason;
};
struct verify_outcome {
  std::size_t records = 0;          // event lines (checkpoints not counted)
  std::size_t verified = 0;         // event lines covered by a valid checkpoint
  std::size_t unverified_tail = 0;  // event lines after the last checkpoint
  std::optional<verify_error> error;
};

// Verifies files given oldest first against a PEM public key; the first fault found, if any.
[[nodiscard]] verify_outcome verify(const std::vector<std::string>& files,
                                    std::string_view public_key_text);

}  // namespace kmscore_host::audit
