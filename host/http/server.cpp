// The HTTP front of `kmscore serve` on Debian's cpp-httplib 0.11.4. What the library does on
// its own and how this file keeps it to the spec (http.md):
//   - its error handler also runs for this file's own 4xx answers: an answer that already has
//     X-Request-Id is ours and is kept; anything else (a request line or header it could not
//     parse, a URI over 8 KiB, a bad Range) gets the spec's JSON body here;
//   - it slices any answer to a `Range` header, even a POST's: ranges are dropped (RFC 9110
//     defines Range for GET only);
//   - it would compress `application/json`, not our `application/json;charset=UTF-8`;
//   - an answer given before the body is read would leave the body in the stream, to be read
//     as the next request: such requests are marked, answered with `Connection: close`, and
//     the logger (which runs after the answer is written) drains a bounded amount of the
//     unread bytes and retires the connection;
//   - with keep-alive it closes a connection after 5 requests by default, and without
//     TCP_NODELAY a keep-alive client waits for delayed ACKs: both are set.
// Header values reach us percent-decoded and trimmed by the library (0.11.4's parser), so a
// client that signs a header value holding '%' cannot be verified; host, content-type and
// x-sdk-date, which SDKs sign, never hold one.
#include "server.hpp"

#include "metrics.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace kmscore_host::http {

namespace {

using httplib::Request;
using httplib::Response;
using handler_response = httplib::Server::HandlerResponse;

constexpr const char* json_content_type = "application/json;charset=UTF-8";
constexpr const char* request_id_header = "X-Request-Id";
// Set on a request whose connection must close once it is answered (read by the logger).
constexpr const char* close_marker = "X-Kmscore-Close-Connection";
// Headers the library adds to every request; never part of what the client signed.
constexpr std::array<std::string_view, 4> library_headers{"REMOTE_ADDR", "REMOTE_PORT",
                                                          "LOCAL_ADDR", "LOCAL_PORT"};

// When the request this worker thread is serving arrived (set before routing, read by the
// access line after the answer: one thread serves a request from routing to logging).
thread_local std::chrono::steady_clock::time_point request_started;

constexpr std::size_t max_linger_bytes = std::size_t{1} << 20;
constexpr std::chrono::milliseconds linger_time{1000};
constexpr std::size_t keep_alive_max_requests = 100000;

// The gateway's messages (http.md 3 and 5.6), after "Incorrect IAM authentication information: ".
constexpr std::string_view gateway_prefix = "Incorrect IAM authentication information: ";
constexpr std::string_view gateway_no_credentials = "x-auth-token not found";
constexpr std::string_view gateway_bad_signature = "verify aksk signature fail";
constexpr std::string_view gateway_unknown_key = "Get secretKey failed";
constexpr std::string_view gateway_expired = "calc ak sk signature fail:signature expired";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lower_hex(std::span<const unsigned char> bytes) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string text;
  for (const unsigned char b : bytes) {
    text.push_back(digits[b >> 4U]);
    text.push_back(digits[b & 0xFU]);
  }
  return text;
}

// 32 random lowercase hex (getrandom); should the kernel refuse, unique instead of random.
std::string new_request_id() {
  std::array<unsigned char, 16> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    const auto n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got < bytes.size()) {
    static std::atomic<std::uint64_t> counter{0};
    const auto values =
        std::array<std::uint64_t, 2>{counter.fetch_add(1), static_cast<std::uint64_t>(now_ms())};
    std::memcpy(bytes.data(), values.data(), bytes.size());
  }
  return lower_hex(bytes);
}

bool iequals(std::string_view a, std::string_view b) {
  return kmscore_host::http::sig::iequals(a, b);
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The request target split into the raw path and raw query (still percent-encoded).
std::pair<std::string_view, std::string_view> split_target(const std::string& target) {
  const std::string_view text{target};
  const auto mark = text.find('?');
  if (mark == std::string_view::npos) return {text, {}};
  return {text.substr(0, mark), text.substr(mark + 1)};
}

// `/v1.0/{project_id}/kms/{action}` with a known action, matched on the raw path: a
// percent-escape or dot segment makes the path unknown or its project id invalid, so the
// route and the signature (which decodes and normalises) always see the same text.
struct route {
  bool matched = false;
  std::optional<kmscore::project_id> project;  // nullopt: not a project id (KMS.0201)
  std::optional<kmscore::action_id> action;    // the one lookup of the action's name
};
route match_route(std::string_view path) {
  constexpr std::string_view prefix = "/v1.0/";
  constexpr std::string_view service = "kms/";
  if (!path.starts_with(prefix)) return {};
  path.remove_prefix(prefix.size());
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return {};
  const auto project = path.substr(0, slash);
  path.remove_prefix(slash + 1);
  if (!path.starts_with(service)) return {};
  path.remove_prefix(service.size());
  const auto action = kmscore::action_id::find(path);
  if (!action) return {};
  const auto id = kmscore::project_id::parse(project);
  return {true, id ? std::optional{*id} : std::nullopt, action};
}

// httplib hands handlers a const Request, but the object is its own non-const local, so
// changing it is defined. Only what the library reads afterwards is changed.
Request& writable(const Request& req) {
  return const_cast<Request&>(req);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

void ignore_ranges(const Request& req) { writable(req).ranges.clear(); }

// The library then answers `Connection: close`; the logger retires the connection.
void close_after_answer(const Request& req) {
  auto& headers = writable(req).headers;
  headers.erase("Connection");
  headers.emplace("Connection", "close");
  headers.emplace(close_marker, "1");
}

bool may_have_unread_body(const Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  const auto length = req.get_header_value("Content-Length");
  return length.find_first_not_of('0') != std::string::npos;  // non-zero, or not a number
}

void answer(Response& res, int status, std::string_view body, const std::string& request_id) {
  res.status = status;
  res.body.assign(body.data(), body.size());
  res.set_header("Content-Type", json_content_type);
  res.set_header(request_id_header, request_id);
  res.set_header("Cache-Control", "no-store");  // bodies may hold data keys
}

void answer(Response& res, const kmscore::http_response& response, const std::string& request_id) {
  answer(res, response.status, response.text(), request_id);
}

void answer(Response& res, kmscore::errc failure, const std::string& request_id) {
  answer(res, kmscore::error_response(failure), request_id);
  if (failure == kmscore::errc::method_not_supported) res.set_header("Allow", "POST");
}

void answer_gateway(Response& res, std::string_view detail, const std::string& request_id) {
  const nlohmann::ordered_json body = {
      {"error_msg", std::string{gateway_prefix} + std::string{detail}},
      {"error_code", "APIGW.0301"},
      {"request_id", request_id}};
  answer(res, 401, body.dump(), request_id);
}

std::string_view gateway_detail(kmscore_host::http::signature_status status) {
  return status == kmscore_host::http::signature_status::request_expired ||
                 status == kmscore_host::http::signature_status::request_from_future
             ? gateway_expired
             : gateway_bad_signature;
}

// The framing of a body, judged from the headers alone (nothing of the body is read).
enum class framing { fine, too_long, invalid };
framing check_framing(const Request& req, std::size_t max_body) {
  const auto encodings = req.get_header_value_count("Transfer-Encoding");
  const auto lengths = req.get_header_value_count("Content-Length");
  if (encodings > 0) {
    // Only plain chunked, and never beside a Content-Length (the classic smuggling pair).
    if (encodings > 1 || lengths > 0 ||
        !iequals(trim(req.get_header_value("Transfer-Encoding")), "chunked")) {
      return framing::invalid;
    }
  } else if (lengths > 0) {
    const auto text = req.get_header_value("Content-Length");
    if (lengths > 1 || text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return framing::invalid;
    }
    if (std::strtoull(text.c_str(), nullptr, 10) > max_body) return framing::too_long;
  }
  // A compressed body would be inflated by the library before its hash is taken.
  if (req.has_header("Content-Encoding") &&
      (req.get_header_value_count("Content-Encoding") > 1 ||
       !iequals(trim(req.get_header_value("Content-Encoding")), "identity"))) {
    return framing::invalid;
  }
  return framing::fine;
}

bool content_type_acceptable(const Request& req) {
  const auto count = req.get_header_value_count("Content-Type");
  if (count == 0) return true;  // clients from before Content-Type was mandatory
  if (count > 1) return false;
  const auto value = req.get_header_value("Content-Type");
  const std::string_view text{value};
  return iequals(trim(text.substr(0, text.find(';'))), "application/json");
}

// Whether fd is the connection between these two endpoints, as the library names them.
bool endpoint_is(int fd, bool peer, const std::string& address, int port) {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  auto* raw = reinterpret_cast<sockaddr*>(&storage);  // NOLINT: the sockets API
  if ((peer ? ::getpeername(fd, raw, &size) : ::getsockname(fd, raw, &size)) != 0) return false;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  if (::getnameinfo(raw, size, host.data(), host.size(), service.data(), service.size(),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  return address == host.data() && std::to_string(port) == service.data();
}

// The descriptor of the request's connection: the library does not hand it to handlers.
// Only the worker serving the connection can close it, and that is the caller's thread.
int connection_fd(const Request& req) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): this stream is private to the call
  while (const dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
    const int candidate = static_cast<int>(fd);
    if (endpoint_is(candidate, false, req.local_addr, req.local_port) &&
        endpoint_is(candidate, true, req.remote_addr, req.remote_port)) {
      found = candidate;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

class kms_http_server {
 public:
  kms_http_server(const server_config& config, const credential_set& credentials,
                  const server_hooks& hooks)
      : config_{config}, credentials_{credentials}, hooks_{hooks} {}

  int run(std::string& why);

 private:
  void log(std::string_view line) const noexcept {
    try {
      if (hooks_.log) hooks_.log(line);
    } catch (...) {  // a lost log line must not stop a request or the shutdown
    }
  }
  void configure(httplib::Server& server);
  bool early_answer(const Request& req, Response& res);
  void serve_action(const Request& req, Response& res, const httplib::ContentReader& reader);
  enum class body_read { ok, too_long, broken };
  body_read read_body(const Request& req, const httplib::ContentReader& reader,
                      kmscore::secret_bytes& body) const;
  const credential* authenticate(const Request& req, const kmscore::secret_bytes& body,
                                 const std::string& request_id, Response& res);
  void refuse(const Request& req, auth_failure kind, std::string_view reason,
              std::string_view access_key, const std::string& request_id,
              std::string_view what = "authentication failed");
  kmscore::result<kmscore::project> project_for(const kmscore::project_id& id);
  handler_response library_error(const Request& req, Response& res);
  void retire(const Request& req) const;
  void answer_probe(Response& res, bool readiness) const;
  void access_log(const Request& req, const Response& res);

  const server_config& config_;
  const credential_set& credentials_;
  const server_hooks& hooks_;
  int dead_fd_ = -1;  // /dev/null: put in place of a retired connection's socket
  std::atomic<std::uint64_t> failures_{0};
  server_metrics metrics_;
  std::mutex projects_mutex_;
  std::map<kmscore::project_id, kmscore::project> projects_;  // resolved once each
};

// Method, path, project id, then the body's framing and size: all before reading the body.
bool kms_http_server::early_answer(const Request& req, Response& res) {
  ignore_ranges(req);
  const auto target = split_target(req.target);
  if (req.method == "GET" && (target.first == "/health" || target.first == "/ready")) {
    answer_probe(res, target.first == "/ready");
    return true;
  }
  const auto where = match_route(target.first);
  auto failure = kmscore::errc::request_too_long;
  if (where.matched && req.method != "POST") {  // the method first, then the project id
    failure = kmscore::errc::method_not_supported;
  } else if (!where.matched || !where.project) {
    failure = kmscore::errc::invalid_url;
  } else {
    switch (check_framing(req, config_.max_body)) {
      case framing::fine:
        return false;
      case framing::too_long:
        break;  // request_too_long
      case framing::invalid:
        failure = kmscore::errc::invalid_format;
        break;
    }
  }
  if (may_have_unread_body(req)) close_after_answer(req);
  const auto id = new_request_id();
  answer(res, failure, id);
  return true;
}

kms_http_server::body_read kms_http_server::read_body(const Request& req,
                                                      const httplib::ContentReader& reader,
                                                      kmscore::secret_bytes& body) const {
  const bool chunked = req.has_header("Transfer-Encoding");  // early_answer let only this by
  std::size_t expected = 0;
  if (!chunked) {
    // HTTP/1.1: a request with neither header has no body (the library would read to EOF).
    const auto text = req.get_header_value("Content-Length");
    expected =
        text.empty() ? 0 : static_cast<std::size_t>(std::strtoull(text.c_str(), nullptr, 10));
    if (expected == 0) return body_read::ok;
  }
  // Straight into zeroizing memory, grown by copy (the old buffer is wiped as it goes);
  // a chunked body is refused as soon as it passes the cap.
  kmscore::secret_bytes buffer{chunked ? std::min<std::size_t>(4096, config_.max_body) : expected};
  std::size_t used = 0;
  bool over = false;
  const bool read = reader([&](const char* data, std::size_t size) {
    if (size > config_.max_body - used) {
      over = true;
      return false;
    }
    if (size > buffer.size() - used) {
      kmscore::secret_bytes bigger{
          std::min(std::max(buffer.size() * 2, used + size), config_.max_body)};
      std::copy_n(buffer.expose().begin(), used, bigger.expose().begin());
      buffer = std::move(bigger);
    }
    std::copy_n(reinterpret_cast<const kmscore::byte*>(data), size,  // NOLINT: bytes
                buffer.expose().begin() + static_cast<std::ptrdiff_t>(used));
    used += size;
    return true;
  });
  if (over) return body_read::too_long;
  if (!read || (!chunked && used != expected)) return body_read::broken;
  body = used == buffer.size() ? std::move(buffer)
                               : kmscore::secret_bytes{buffer.expose().first(used)};
  return body_read::ok;
}

// GET /health and GET /ready (server.hpp).
void kms_http_server::answer_probe(Response& res, bool readiness) const {
  const bool ok = !readiness || !hooks_.ready || hooks_.ready();
  answer(res, ok ? 200 : 503, ok ? R"({"status":"ok"})" : R"({"status":"unavailable"})",
         new_request_id());
}

// The access line (server.hpp). The logger runs on the worker that served the request, after
// the answer, so request_started is this request's.
void kms_http_server::access_log(const Request& req, const Response& res) {
  const auto elapsed = std::chrono::steady_clock::now() - request_started;
  const auto where = match_route(split_target(req.target).first);
  nlohmann::ordered_json line;
  line["access"] = res.get_header_value(request_id_header);
  line["access_key"] = nullptr;
  const auto authorization = req.get_header_value("Authorization");
  if (req.get_header_value_count("Authorization") == 1) {
    const auto fields = kmscore_host::http::parse_authorization(authorization);
    if (fields) line["access_key"] = std::string{fields->access_key};
  }
  line["project"] = where.matched && where.project ? nlohmann::ordered_json(where.project->str())
                                                   : nlohmann::ordered_json(nullptr);
  line["action"] = where.matched ? nlohmann::ordered_json(std::string{where.action->name()})
                                 : nlohmann::ordered_json(nullptr);
  line["status"] = res.status;
  metrics_.request_done(where.matched ? where.action : std::nullopt, res.status,
                        std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed));
  line["duration_ms"] =
      static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()) /
      1000.0;
  log(line.dump());
}

// One log line per refused request, with a running count (the server's failure metric).
void kms_http_server::refuse(const Request& req, auth_failure kind, std::string_view reason,
                             std::string_view access_key, const std::string& request_id,
                             std::string_view what) {
  metrics_.auth_failed(kind);
  const auto count = ++failures_;
  std::string line{what};
  line.append(": ").append(reason);
  line.append("; access_key=").append(access_key.empty() ? "-" : access_key);
  line.append("; remote=").append(req.remote_addr);
  line.append("; request_id=").append(request_id);
  line.append("; failures=").append(std::to_string(count));
  log(line);
}

// The AK/SK signature (http.md 5) over the request as received; answers and returns nullptr
// on failure. The access key in a log line has passed the Authorization grammar (unreserved
// characters only), so it cannot forge lines.
const credential* kms_http_server::authenticate(const Request& req,
                                                const kmscore::secret_bytes& body,
                                                const std::string& request_id, Response& res) {
  if (!req.has_header("Authorization")) {
    if (req.has_header("X-Auth-Token")) {
      refuse(req, auth_failure::token, "X-Auth-Token without a signature (tokens are not accepted)",
             {}, request_id);
      answer(res, kmscore::errc::invalid_token, request_id);
    } else {
      refuse(req, auth_failure::no_credentials, "no Authorization and no X-Auth-Token", {},
             request_id);
      answer_gateway(res, gateway_no_credentials, request_id);
    }
    return nullptr;
  }
  std::vector<kmscore_host::http::request_header> headers;
  headers.reserve(req.headers.size());
  for (const auto& header : req.headers) {  // not a structured binding: clang 14 cannot capture one
    const bool library =
        std::any_of(library_headers.begin(), library_headers.end(),
                    [&](std::string_view added) { return iequals(header.first, added); });
    if (!library) headers.push_back({header.first, header.second});
  }
  const auto target = split_target(req.target);
  const auto seconds = now_ms() / 1000;
  const kmscore_host::http::signed_request request{req.method, target.first,  target.second,
                                                   headers,    body.expose(), seconds};
  const auto claim = kmscore_host::http::read_request_signature(request);
  if (!claim) {
    const auto status = claim.status();
    const bool stale = status == kmscore_host::http::signature_status::request_expired ||
                       status == kmscore_host::http::signature_status::request_from_future;
    refuse(req, stale ? auth_failure::expired : auth_failure::malformed,
           kmscore_host::http::describe(status), {}, request_id);
    answer_gateway(res, gateway_detail(claim.status()), request_id);
    return nullptr;
  }
  if (!claim->payload_signed()) {  // the body would not be authenticated
    refuse(req, auth_failure::payload_not_signed, "UNSIGNED-PAYLOAD refused", claim->access_key(),
           request_id);
    answer_gateway(res, gateway_bad_signature, request_id);
    return nullptr;
  }
  const credential* entry = credentials_.find(claim->access_key());
  if (entry == nullptr) {
    refuse(req, auth_failure::unknown_access_key, "unknown access key", claim->access_key(),
           request_id);
    answer_gateway(res, gateway_unknown_key, request_id);
    return nullptr;
  }
  const auto status = hooks_.verify(request, *claim, entry->secret_key.expose());
  if (status == kmscore_host::http::signature_status::backend_failure) {
    refuse(req, auth_failure::bad_signature, kmscore_host::http::describe(status),
           claim->access_key(), request_id);
    answer(res, kmscore::error_response(kmscore::errc::kms_error), request_id);
    return nullptr;
  }
  if (status != kmscore_host::http::signature_status::ok) {
    refuse(req, auth_failure::bad_signature, kmscore_host::http::describe(status),
           claim->access_key(), request_id);
    answer_gateway(res, gateway_detail(status), request_id);
    return nullptr;
  }
  return entry;
}

kmscore::result<kmscore::project> kms_http_server::project_for(const kmscore::project_id& id) {
  {
    const std::lock_guard lock{projects_mutex_};
    const auto found = projects_.find(id);
    if (found != projects_.end()) return found->second;
  }
  const auto hint = credentials_.domain_for(id);
  auto made = hooks_.resolve_project(id, hint);
  if (!made) return made;
  if (!hint.empty() && made->domain_id != hint) {
    log("project " + id.str() +
        " keeps the domain_id it has in the store; the credentials file gives another");
  }
  const std::lock_guard lock{projects_mutex_};
  projects_.emplace(id, *made);
  return made;
}

void kms_http_server::serve_action(const Request& req, Response& res,
                                   const httplib::ContentReader& reader) {
  const auto id = new_request_id();
  const auto where = match_route(split_target(req.target).first);
  if (!where.matched) {  // early_answer runs first and answers these; kept as a guard
    close_after_answer(req);
    answer(res, kmscore::errc::invalid_url, id);
    return;
  }
  kmscore::secret_bytes body;
  switch (read_body(req, reader, body)) {
    case body_read::ok:
      break;
    case body_read::too_long:
      close_after_answer(req);
      answer(res, kmscore::error_response(kmscore::errc::request_too_long), id);
      return;
    case body_read::broken:
      close_after_answer(req);
      answer(res, kmscore::errc::invalid_format, id);
      return;
  }
  const credential* caller = authenticate(req, body, id, res);
  if (caller == nullptr) return;
  if (!caller->may_use(*where.project)) {
    refuse(req, auth_failure::project_not_granted,
           "project " + where.project->str() + " not granted to this access key",
           caller->access_key, id, "access denied");
    answer(res, kmscore::errc::project_mismatch, id);
    return;
  }
  if (!content_type_acceptable(req)) {
    answer(res, kmscore::errc::invalid_format, id);
    return;
  }
  const auto tenant = project_for(*where.project);
  if (!tenant) {
    answer(res, kmscore::error_response(tenant.error()), id);
    return;
  }
  answer(res, hooks_.handle(*tenant, *where.action, kmscore::as_chars(body.expose()), now_ms()),
         id);
}

// An error status set by the library itself (or an answer of ours passing through).
handler_response kms_http_server::library_error(const Request& req, Response& res) {
  ignore_ranges(req);
  // Handled either way, so that the library sets Content-Length on every path.
  if (res.has_header(request_id_header)) return handler_response::Handled;
  const int status = res.status;
  res.headers.clear();
  res.body.clear();
  const auto id = new_request_id();
  const auto where = match_route(split_target(req.target).first);
  if (status == 413) {
    answer(res, kmscore::error_response(kmscore::errc::request_too_long), id);
  } else if (!where.matched) {
    answer(res, kmscore::errc::invalid_url, id);
  } else if (req.method != "POST") {
    answer(res, kmscore::errc::method_not_supported, id);
  } else if (status >= 500) {
    answer(res, kmscore::error_response(kmscore::errc::kms_error), id);
  } else {
    answer(res, kmscore::errc::invalid_format, id);
  }
  close_after_answer(req);  // the stream's state is unknown
  return handler_response::Handled;
}

// Runs once the answer is written: a marked connection is half-closed, its unread bytes
// drained for a bounded time (so that the client reads the answer rather than a reset), then
// its socket is replaced by /dev/null, which the library reads as the end of the stream.
void kms_http_server::retire(const Request& req) const {
  if (!req.has_header(close_marker)) return;
  const int fd = connection_fd(req);
  if (fd < 0) return;
  ::shutdown(fd, SHUT_WR);
  std::array<char, 4096> sink{};
  std::size_t drained = 0;
  const auto deadline = std::chrono::steady_clock::now() + linger_time;
  while (drained < max_linger_bytes) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    pollfd waiting{fd, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    const auto got = ::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (got <= 0) break;
    drained += static_cast<std::size_t>(got);
  }
  ::explicit_bzero(sink.data(), sink.size());  // it may have held part of a request body
  if (dead_fd_ >= 0) ::dup3(dead_fd_, fd, O_CLOEXEC);
}

void kms_http_server::configure(httplib::Server& server) {
  const auto workers = config_.workers;
  server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  server.set_keep_alive_max_count(keep_alive_max_requests);
  server.set_keep_alive_timeout(config_.keep_alive_timeout.count());
  server.set_read_timeout(config_.read_timeout.count(), 0);
  server.set_write_timeout(config_.write_timeout.count(), 0);
  server.set_payload_max_length(config_.max_body);  // a net under the checks above
  server.set_tcp_nodelay(true);
  // Not the library's default, SO_REUSEPORT, with which a second server on the port would
  // silently take part of the connections: SO_REUSEADDR only (a restart need not wait out
  // TIME_WAIT), so a port in use is an error.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  server.set_pre_routing_handler(
      httplib::Server::HandlerWithResponse{[this](const Request& req, Response& res) {
        request_started = std::chrono::steady_clock::now();  // this worker's request
        return early_answer(req, res) ? handler_response::Handled : handler_response::Unhandled;
      }});
  // A client that waits for 100 Continue is answered without it when the headers already
  // decide (a body over the cap is then never sent).
  server.set_expect_100_continue_handler([this](const Request& req, Response& res) {
    try {
      return early_answer(req, res) ? res.status : 100;
    } catch (...) {
      return 100;  // routing runs the same checks again, inside the library's try
    }
  });
  server.Post(".*",
              httplib::Server::HandlerWithContentReader{
                  [this](const Request& req, Response& res, const httplib::ContentReader& reader) {
                    serve_action(req, res, reader);
                  }});
  server.set_error_handler(
      httplib::Server::HandlerWithResponse{[this](const Request& req, Response& res) {
        try {
          return library_error(req, res);
        } catch (...) {
          return handler_response::Unhandled;
        }
      }});
  server.set_exception_handler(
      [this](const Request& req, Response& res, const std::exception_ptr& /*thrown*/) {
        try {
          res.headers.clear();
          res.body.clear();
          close_after_answer(req);
          answer(res, kmscore::error_response(kmscore::errc::kms_error), new_request_id());
          log("internal error while serving a request");
        } catch (...) {  // nothing more can be done for this request
        }
      });
  server.set_logger([this](const Request& req, const Response& res) {
    try {
      access_log(req, res);
    } catch (...) {  // a lost log line must not stop the request's connection handling
    }
    try {
      retire(req);
    } catch (...) {  // the connection then closes the library's way
    }
  });
}

std::unique_ptr<httplib::Server> make_server(const server_config& config) {
  if (config.tls_cert.empty()) return std::make_unique<httplib::Server>();
  return std::make_unique<httplib::SSLServer>([&config](SSL_CTX& context) {
    // TLS 1.2 and up, no TLS compression (secrets travel here), the whole chain.
    SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
    SSL_CTX_set_options(&context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    return SSL_CTX_use_certificate_chain_file(&context, config.tls_cert.c_str()) == 1 &&
           SSL_CTX_use_PrivateKey_file(&context, config.tls_key.c_str(), SSL_FILETYPE_PEM) == 1 &&
           SSL_CTX_check_private_key(&context) == 1;
  });
}

int kms_http_server::run(std::string& why) {
  const bool tls = !config_.tls_cert.empty() || !config_.tls_key.empty();
  if (tls && (config_.tls_cert.empty() || config_.tls_key.empty())) {
    why = "TLS needs both --tls-cert and --tls-key";
    return 1;
  }
  if (!tls && !is_loopback_address(config_.host)) {
    why = "refusing to listen on " + config_.host +
          " without TLS: plain HTTP is served on loopback addresses only (127.0.0.0/8, ::1); "
          "give --tls-cert and --tls-key";
    return 1;
  }
  if (config_.metrics_listen && !is_loopback_address(config_.metrics_listen->first)) {
    why = "refusing to serve metrics on " + config_.metrics_listen->first +
          ": the metrics listener has no TLS and no authentication, so it is loopback only";
    return 1;
  }
  if (config_.workers == 0 || config_.workers > max_workers) {
    why = "the number of workers must be 1-" + std::to_string(max_workers);
    return 1;
  }

  // Blocked before any thread starts, so every thread inherits the mask and the signals are
  // only ever taken by sigtimedwait below: no code runs in a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  (void)pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  (void)std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-answer must not end the server

  auto server = make_server(config_);
  if (!server->is_valid()) {
    why = "cannot use the TLS certificate " + config_.tls_cert + " with the key " + config_.tls_key;
    return 1;
  }
  configure(*server);
  const int port = config_.port == 0 ? server->bind_to_any_port(config_.host)
                   : server->bind_to_port(config_.host, config_.port) ? config_.port
                                                                      : -1;
  if (port <= 0) {
    why = "cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
          " (address in use, or not an address of this host)";
    return 1;
  }
  dead_fd_ = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const bool v6 = config_.host.find(':') != std::string::npos;
  log(std::string{"listening on "} + (tls ? "https" : "http") + "://" +
      (v6 ? "[" + config_.host + "]" : config_.host) + ":" + std::to_string(port));

  // GET /metrics on its own listener, when asked for (server.hpp).
  httplib::Server metrics_server;
  std::thread metrics_thread;
  if (config_.metrics_listen) {
    metrics_server.new_task_queue = [] { return new httplib::ThreadPool{1}; };
    metrics_server.Get("/metrics", [this](const Request& /*req*/, Response& res) {
      res.set_content(metrics_.render(hooks_.gauges ? hooks_.gauges() : host_gauges{}),
                      "text/plain; version=0.0.4; charset=utf-8");
    });
    const auto& [metrics_host, metrics_port] = *config_.metrics_listen;
    const int bound = metrics_port == 0 ? metrics_server.bind_to_any_port(metrics_host)
                      : metrics_server.bind_to_port(metrics_host, metrics_port) ? metrics_port
                                                                                : -1;
    if (bound <= 0) {
      why = "cannot serve metrics on " + metrics_host + ":" + std::to_string(metrics_port) +
            " (address in use, or not an address of this host)";
      server->stop();
      if (dead_fd_ >= 0) ::close(dead_fd_);
      return 1;
    }
    const bool metrics_v6 = metrics_host.find(':') != std::string::npos;
    log("metrics on http://" + (metrics_v6 ? "[" + metrics_host + "]" : metrics_host) + ":" +
        std::to_string(bound) + "/metrics");
    metrics_thread = std::thread{[&metrics_server] { (void)metrics_server.listen_after_bind(); }};
  }

  std::atomic<bool> listening_done{false};
  std::atomic<bool> signalled{false};
  std::thread stopper{[&] {
    const timespec tick{0, 200'000'000};
    while (!listening_done) {
      if (sigtimedwait(&stop_signals, nullptr, &tick) < 0) continue;
      signalled = true;
      log("stopping: no new connections; finishing the requests in flight");
      // stop() only acts once the accept loop runs.
      while (!server->is_running() && !listening_done) {
        std::this_thread::sleep_for(std::chrono::milliseconds{1});
      }
      server->stop();
      return;
    }
  }};

  std::mutex maintenance_mutex;
  std::condition_variable maintenance_wakeup;
  bool maintenance_stop = false;
  std::thread maintenance{[&] {
    std::unique_lock lock{maintenance_mutex};
    while (!maintenance_stop) {
      lock.unlock();
      try {
        if (hooks_.maintenance) hooks_.maintenance(now_ms());
      } catch (...) {
        log("maintenance failed");
      }
      lock.lock();
      maintenance_wakeup.wait_for(lock, config_.maintenance_interval,
                                  [&] { return maintenance_stop; });
    }
  }};

  const bool listened = server->listen_after_bind();  // returns once every worker is done
  listening_done = true;
  {
    const std::lock_guard lock{maintenance_mutex};
    maintenance_stop = true;
  }
  maintenance_wakeup.notify_all();
  maintenance.join();
  stopper.join();
  if (metrics_thread.joinable()) {
    while (!metrics_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds{1});
    metrics_server.stop();
    metrics_thread.join();
  }
  if (dead_fd_ >= 0) ::close(dead_fd_);
  if (!signalled) {
    why = listened ? "the server stopped without a signal" : "the server's socket failed";
    return 1;
  }
  log("stopped");
  return 0;
}

}  // namespace

std::optional<std::pair<std::string, int>> parse_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs [ ]
  }
  if (host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  int number = 0;
  (void)std::from_chars(port.data(), port.data() + port.size(), number);  // digits, checked above
  if (number > 65535) return std::nullopt;
  return std::pair{std::string{host}, number};
}

bool is_loopback_address(std::string_view host) {
  const std::string text{host};
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24U) == 127U;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6) != 0;
  return false;
}

int serve(const server_config& config, const credential_set& credentials, const server_hooks& hooks,
          std::string& why) {
  try {
    kms_http_server server{config, credentials, hooks};
    return server.run(why);
  } catch (const std::exception& failure) {
    why = std::string{"the server failed: "} + failure.what();
    return 1;
  }
}

}  // namespace kmscore_host::http
