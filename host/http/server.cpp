// The HTTP front of `kmscore serve` on Boost.Beast/Asio (server.hpp). How a connection goes:
//
//   accept ── caps: connections in total and per client address (over: 429/503, closed)
//     └─ [TLS handshake, within request_timeout]
//   wait ── idle up to keep_alive_timeout for the first byte of a request (else closed)
//     └─ headers ── from the first byte, the whole request (headers, body) must arrive
//          within request_timeout, whatever the pace (else closed); header bytes and
//          fields capped (431); framing judged on the raw bytes, before any body is read
//        └─ body ── into zeroizing memory, capped (400 KMS.0203)
//             └─ work ── signature, project, action, on a pool: the crypto pool for the
//                  actions that only use a key, the store pool for the others, the keygen
//                  pool for create-key; the answer comes back to the connection's loop
//                └─ write ── within write_timeout; then the next request, or close
//
// An answer given before the body was read closes the connection (after draining a bounded
// amount of what the client still sends), so that unread bytes are never taken for a
// request. The socket's read buffer wipes its memory when freed, and is freed after each
// request that left nothing in it: request bodies hold secrets (import material, data keys).
#include "server.hpp"

#include "metrics.hpp"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
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
#include <unordered_map>
#include <utility>
#include <vector>

namespace kmscore_host::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

constexpr std::string_view json_content_type = "application/json;charset=UTF-8";
constexpr std::size_t max_linger_bytes = std::size_t{1} << 20;
constexpr std::chrono::milliseconds linger_time{1000};
constexpr std::size_t first_read_size = 2048;

// The gateway's messages (http.md 3 and 5.6), after "Incorrect IAM authentication information: ".
constexpr std::string_view gateway_prefix = "Incorrect IAM authentication information: ";
constexpr std::string_view gateway_no_credentials = "x-auth-token not found";
constexpr std::string_view gateway_bad_signature = "verify aksk signature fail";
constexpr std::string_view gateway_unknown_key = "Get secretKey failed";
constexpr std::string_view gateway_expired = "calc ak sk signature fail:signature expired";
// The gateway's throttling answer (APIGW.0308), for the connection and key-generation caps.
constexpr std::string_view gateway_throttled = "The throttling threshold has been reached: ";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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
  return sig::lower_hex(kmscore::byte_span{bytes.data(), bytes.size()});
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
std::pair<std::string_view, std::string_view> split_target(std::string_view text) {
  const auto mark = text.find('?');
  if (mark == std::string_view::npos) return {text, {}};
  return {text.substr(0, mark), text.substr(mark + 1)};
}

// `/v1.0/{project_id}/kms/{route}`: the project id from the raw path, then the action's route
// (kmscore::match_route, api-metadata.md §0.2) from the method and the rest of the path, each
// segment percent-decoded once, as the signature's canonical URI decodes it.
struct route {
  bool matched = false;                                // an action's route: `action` is set
  std::optional<kmscore::project_id> project;          // nullopt: not a project id (KMS.0201)
  std::optional<kmscore::action_id> action;            // the one lookup of the action
  kmscore::request_params params;                      // what the path carried (key_id, a tag key)
  kmscore::errc refusal = kmscore::errc::invalid_url;  // when not matched
  std::string_view refusal_field;                      // KMS.0308: a query name given twice
  std::string allowed;                                 // KMS.0215: the path's methods
};
kmscore::http_method method_of(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return kmscore::http_method::get;
    case bhttp::verb::post:
      return kmscore::http_method::post;
    case bhttp::verb::delete_:
      return kmscore::http_method::del;
    default:
      return kmscore::http_method::other;
  }
}
route match_route(bhttp::verb verb, std::string_view target) {
  auto [path, query] = split_target(target);
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
  auto found = kmscore::match_route(method_of(verb), path, query);
  const auto id = kmscore::project_id::parse(project);
  route where;
  where.matched = found.action.has_value();
  where.project = id ? std::optional{*id} : std::nullopt;
  where.action = found.action;
  where.params = std::move(found.params);
  where.refusal = found.refusal;
  where.refusal_field = found.refusal_field;
  where.allowed = std::move(found.allowed);
  return where;
}

// Which pool runs an action: key generation has its own, the actions that only use a key
// (through the key cache) run on the crypto pool, and every other action reads or writes
// the store.
enum class pool_kind : std::uint8_t { crypto, store, keygen };
constexpr std::array<std::string_view, 11> crypto_actions{"create-datakey",
                                                          "create-datakey-without-plaintext",
                                                          "decrypt-datakey",
                                                          "encrypt-datakey",
                                                          "encrypt-data",
                                                          "decrypt-data",
                                                          "sign",
                                                          "verify",
                                                          "gen-random",
                                                          "generate-mac",
                                                          "verify-mac"};
pool_kind pool_for(kmscore::action_id action) {
  const auto name = action.name();
  if (name == "create-key" || name == "create-rsa-datakey-pair" ||
      name == "create-ec-datakey-pair" || name == "get-parameters-for-import" ||
      name == "import-key-material") {
    return pool_kind::keygen;
  }
  return std::find(crypto_actions.begin(), crypto_actions.end(), name) != crypto_actions.end()
             ? pool_kind::crypto
             : pool_kind::store;
}

// A body read straight into zeroizing memory: sized from Content-Length, or grown by copy
// (each old buffer wiped) for a chunked body, which the parser's body limit caps.
struct secret_body {
  struct value_type {
    kmscore::secret_bytes bytes;
    std::size_t used = 0;
    [[nodiscard]] kmscore::byte_span view() const noexcept { return bytes.expose().first(used); }
  };

  class reader {
   public:
    template <bool IsRequest, class Fields>
    reader(bhttp::header<IsRequest, Fields>& /*header*/, value_type& body) : body_{body} {}

    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      body_.bytes = kmscore::secret_bytes{length ? static_cast<std::size_t>(*length) : 1024};
      body_.used = 0;
      ec = {};
    }

    template <class Buffers>
    std::size_t put(const Buffers& buffers, beast::error_code& ec) {
      const std::size_t size = beast::buffer_bytes(buffers);
      if (size > body_.bytes.size() - body_.used) {
        kmscore::secret_bytes bigger{std::max(body_.bytes.size() * 2, body_.used + size)};
        std::copy_n(body_.bytes.expose().begin(), body_.used, bigger.expose().begin());
        body_.bytes = std::move(bigger);
      }
      const auto out = body_.bytes.expose().subspan(body_.used, size);
      net::buffer_copy(net::mutable_buffer{out.data(), out.size()}, buffers);
      body_.used += size;
      ec = {};
      return size;
    }

    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// The socket's read buffer: its memory is wiped when freed (it held request bodies).
template <class T>
struct wiping_allocator {
  using value_type = T;
  wiping_allocator() noexcept = default;
  template <class U>
  explicit wiping_allocator(const wiping_allocator<U>& /*other*/) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    ::explicit_bzero(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const wiping_allocator<U>& /*other*/) const noexcept {
    return true;
  }
};
using read_buffer = beast::basic_flat_buffer<wiping_allocator<char>>;

using request_parser = bhttp::request_parser<secret_body>;
using beast_header = bhttp::request_header<>;

// The framing of a body, judged from the raw headers alone (nothing of the body is read):
// one Content-Length of digits only, or one `Transfer-Encoding: chunked`, never both; no
// Content-Encoding but identity (a compressed body would be hashed other than it is read).
enum class framing : std::uint8_t { fine, too_long, invalid };
framing check_framing(const beast_header& header, std::size_t max_body) {
  const auto encodings = header.count(bhttp::field::transfer_encoding);
  const auto lengths = header.count(bhttp::field::content_length);
  if (encodings > 0) {
    if (encodings > 1 || lengths > 0 ||
        !iequals(trim(header[bhttp::field::transfer_encoding]), "chunked")) {
      return framing::invalid;
    }
  } else if (lengths > 0) {
    const std::string_view text = header[bhttp::field::content_length];
    if (lengths > 1 || text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string_view::npos) {
      return framing::invalid;
    }
    std::uint64_t value = 0;
    (void)std::from_chars(text.data(), text.data() + text.size(), value);
    if (value > max_body) return framing::too_long;
  }
  const auto encoded = header.count(bhttp::field::content_encoding);
  if (encoded > 1 ||
      (encoded == 1 && !iequals(trim(header[bhttp::field::content_encoding]), "identity"))) {
    return framing::invalid;
  }
  return framing::fine;
}

bool may_have_unread_body(const beast_header& header) {
  if (header.count(bhttp::field::transfer_encoding) > 0) return true;
  const std::string_view length = header[bhttp::field::content_length];
  return length.find_first_not_of('0') != std::string_view::npos;  // non-zero, or not a number
}

bool content_type_acceptable(const beast_header& header) {
  const auto count = header.count(bhttp::field::content_type);
  if (count == 0) return true;  // clients from before Content-Type was mandatory
  if (count > 1) return false;
  const std::string_view text = header[bhttp::field::content_type];
  return iequals(trim(text.substr(0, text.find(';'))), "application/json");
}

kmscore::http_response text_response(int status, std::string_view text) {
  return {status, kmscore::secret_bytes{kmscore::as_bytes(text)}};
}

// The gateway's flat body: {"error_msg", "error_code", "request_id"}.
std::string gateway_body(std::string_view code, std::string_view detail,
                         const std::string& request_id) {
  const nlohmann::ordered_json body = {{"error_msg", std::string{detail}},
                                       {"error_code", std::string{code}},
                                       {"request_id", request_id}};
  return body.dump();
}

kmscore::http_response gateway_response(int status, std::string_view code, std::string_view detail,
                                        const std::string& request_id) {
  return text_response(status, gateway_body(code, detail, request_id));
}

kmscore::http_response gateway_auth(std::string_view detail, const std::string& request_id) {
  return gateway_response(401, "APIGW.0301", std::string{gateway_prefix} + std::string{detail},
                          request_id);
}

std::string_view gateway_detail(signature_status status) {
  return status == signature_status::request_expired ||
                 status == signature_status::request_from_future
             ? gateway_expired
             : gateway_bad_signature;
}

// What the access line and the metrics need of a request, kept from its header.
struct request_facts {
  std::string request_id;
  clock_type::time_point started;
  route where;
  std::optional<std::string> access_key;  // only one that passed the Authorization grammar
  std::string client;                     // the client's address
};

// The answer to one request, kept alive until it is written.
struct answer {
  kmscore::http_response response;
  bool close = false;   // Connection: close, then linger (the body may be unread)
  std::string allow{};  // KMS.0215: the Allow header (the path's methods)
};

// A per-limit throttle for log lines: at most one line a second for each limit, with the
// number of events it stands for, so that an attack cannot flood the log.
class limit_log {
 public:
  explicit limit_log(const log_sink& sink) : sink_{sink} {}
  void note(limit_hit limit, std::string_view line) {
    const auto now = clock_type::now();
    std::string text;
    {
      const std::lock_guard lock{mutex_};
      auto& entry = slots_[static_cast<std::size_t>(limit)];
      ++entry.pending;
      if (now - entry.last < std::chrono::seconds{1}) return;
      entry.last = now;
      text = std::string{line} + "; events=" + std::to_string(entry.pending);
      entry.pending = 0;
    }
    try {
      if (sink_) sink_(text);
    } catch (...) {  // a lost log line must not stop the server
    }
  }

 private:
  struct slot {
    clock_type::time_point last{};
    std::uint64_t pending = 0;
  };
  const log_sink& sink_;
  std::mutex mutex_;
  std::array<slot, limit_hit_count> slots_{};
};

class kms_http_server;

// What the server sees of a connection: idle connections are closed on SIGTERM.
class connection_base {
 public:
  connection_base() = default;
  connection_base(const connection_base&) = delete;
  connection_base& operator=(const connection_base&) = delete;
  connection_base(connection_base&&) = delete;
  connection_base& operator=(connection_base&&) = delete;
  virtual ~connection_base() = default;
  virtual void close_if_idle() = 0;
};

using address_key = std::array<unsigned char, 16>;

class kms_http_server {
 public:
  kms_http_server(const server_config& config, const credential_set& credentials,
                  const server_hooks& hooks)
      : config_{config}, credentials_{credentials}, hooks_{hooks}, limit_log_{hooks.log} {}

  int run(std::string& why);

  // For the connections.
  void log(std::string_view line) const noexcept {
    try {
      if (hooks_.log) hooks_.log(line);
    } catch (...) {  // a lost log line must not stop a request or the shutdown
    }
  }
  void limit(limit_hit kind, std::string_view line) {
    metrics_.limit_reached(kind);
    limit_log_.note(kind, line);
  }
  [[nodiscard]] const server_config& config() const noexcept { return config_; }
  [[nodiscard]] bool draining() const noexcept { return draining_.load(); }
  [[nodiscard]] std::optional<answer> early_answer(const beast_header& header,
                                                   const request_facts& facts);
  [[nodiscard]] answer probe(bool readiness) const;
  // The answer now (crypto work, run on this thread; or a refusal), or nullopt when the
  // work was posted to the store or keygen pool, which calls `done` with it.
  std::optional<answer> dispatch(const beast_header& header, const secret_body::value_type& body,
                                 const request_facts& facts, std::function<void(answer)> done);
  void access_log(const request_facts& facts, int status);
  // The audit record of a refused authentication (rate-limited), and of an answered request:
  // the answer itself, or 503 if its record cannot be written.
  void audit_refusal(const request_facts& facts, auth_failure kind, std::string_view reason,
                     std::string_view access_key);
  answer audited(const request_facts& facts, std::string_view access_key, std::string_view body,
                 answer done);
  void set_idle(std::uint64_t id, const std::weak_ptr<connection_base>& connection, bool idle);
  void release(const address_key& address);

 private:
  void accept(tcp::acceptor& acceptor, bool tls);
  void refuse_connection(tcp::socket& socket, limit_hit kind, const std::string& remote);
  void accept_metrics(tcp::acceptor& acceptor);
  void serve_metrics(tcp::socket socket);
  void begin_drain();
  answer work(const beast_header& header, const secret_body::value_type& body,
              const request_facts& facts);
  answer guarded_work(const beast_header& header, const secret_body::value_type& body,
                      const request_facts& facts);
  const credential* authenticate(const beast_header& header, kmscore::byte_span body,
                                 const request_facts& facts,
                                 std::optional<kmscore::http_response>& refusal);
  void refuse(const request_facts& facts, auth_failure kind, std::string_view reason,
              std::string_view access_key, std::string_view what = "authentication failed");
  kmscore::result<kmscore::project> project_for(const kmscore::project_id& id);

  const server_config& config_;
  const credential_set& credentials_;
  const server_hooks& hooks_;
  limit_log limit_log_;
  std::atomic<std::uint64_t> failures_{0};
  // Refused authentications in the audit trail: per client address and reason, at most
  // audit_failures_per_second records a second; beyond, one record in the next second
  // carries the count left out.
  struct failure_window {
    std::int64_t second = 0;
    std::uint32_t recorded = 0;
    std::uint64_t suppressed = 0;
  };
  std::mutex audit_failures_mutex_;
  std::map<std::pair<std::string, auth_failure>, failure_window> audit_failures_;
  server_metrics metrics_;
  std::mutex projects_mutex_;
  std::map<kmscore::project_id, kmscore::project> projects_;  // resolved once each
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> keygen_waiting_{0};
  // Connections by client address, and the idle ones (closed first on SIGTERM).
  std::mutex connections_mutex_;
  std::size_t connections_ = 0;
  std::map<address_key, std::size_t> per_address_;
  std::unordered_map<std::uint64_t, std::weak_ptr<connection_base>> idle_;
  std::atomic<std::uint64_t> next_connection_id_{0};
  std::unique_ptr<ssl::context> tls_;
  // Declared last: destroyed first, while what the connections point at still lives.
  std::unique_ptr<net::thread_pool> store_pool_;
  std::unique_ptr<net::thread_pool> keygen_pool_;
  std::unique_ptr<net::thread_pool> crypto_pool_;
  // One event loop per I/O thread (the acceptors on the first); connections spread over them.
  std::vector<std::unique_ptr<net::io_context>> ios_;
  std::atomic<std::size_t> next_loop_{0};
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;

  template <class Stream>
  friend class connection;
};

// One client connection: plain (beast::tcp_stream) or TLS (ssl_stream over it). Every
// handler runs on the connection's event loop (one thread); the request's work runs on a
// pool and its answer is posted back to that loop.
template <class Stream>
class connection : public connection_base, public std::enable_shared_from_this<connection<Stream>> {
 public:
  connection(kms_http_server& server, Stream stream, address_key address, std::string remote)
      : server_{server},
        stream_{std::move(stream)},
        address_{address},
        remote_{std::move(remote)},
        id_{server.next_connection_id_.fetch_add(1)} {
    server_.metrics_.connection_opened();
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  connection(connection&&) = delete;
  connection& operator=(connection&&) = delete;
  ~connection() override {
    server_.set_idle(id_, {}, false);
    server_.release(address_);
    server_.metrics_.connection_closed();
  }

  void start() {
    if constexpr (is_tls) {
      lowest().expires_after(server_.config().request_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](const beast::error_code& ec) {
                                if (ec) return self->close();
                                self->wait_request();
                              });
    } else {
      wait_request();
    }
  }

  void close_if_idle() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) self->close();
    });
  }

 private:
  static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  // Idle until the first byte of the next request (or what a pipelining client already sent).
  void wait_request() {
    if (server_.draining()) return close();
    if (buffer_.size() > 0) return read_header();
    idle_ = true;
    server_.set_idle(id_, this->weak_from_this(), true);
    lowest().expires_after(server_.config().keep_alive_timeout);
    stream_.async_read_some(
        buffer_.prepare(first_read_size),
        [self = this->shared_from_this()](const beast::error_code& ec, std::size_t size) {
          self->idle_ = false;
          self->server_.set_idle(self->id_, {}, false);
          if (ec == beast::error::timeout) {
            self->server_.limit(limit_hit::idle_timeout,
                                "idle connection closed; remote=" + self->remote_);
          }
          if (ec) return self->close();
          self->buffer_.commit(size);
          self->read_header();
        });
  }

  void read_header() {
    deadline_ = clock_type::now() + server_.config().request_timeout;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.config().max_header_bytes));
    parser_->body_limit(boost::none);  // judged from the header first (check_framing)
    lowest().expires_at(deadline_);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](const beast::error_code& ec, std::size_t /*size*/) {
          self->on_header(ec);
        });
  }

  void on_header(const beast::error_code& ec) {
    facts_ = request_facts{};
    facts_.started = clock_type::now();
    facts_.client = remote_;
    if (ec == beast::error::timeout) {
      server_.limit(limit_hit::request_deadline,
                    "request not read within its deadline; connection closed; remote=" + remote_);
      return close();
    }
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted ||
        ec == ssl::error::stream_truncated) {
      return close();
    }
    facts_.request_id = new_request_id();
    if (ec == bhttp::error::header_limit) {
      server_.limit(limit_hit::header_bytes, "request headers over " +
                                                 std::to_string(server_.config().max_header_bytes) +
                                                 " bytes; remote=" + remote_);
      return write(answer{too_large_headers(), true});
    }
    if (ec) {  // anything the parser refused: the request line, a header, the framing
      auto failure = kmscore::errc::invalid_format;
      if (ec == bhttp::error::bad_target || ec == bhttp::error::bad_method) {
        failure = kmscore::errc::invalid_url;
      }
      return write(answer{kmscore::error_response(failure), true});
    }
    const auto& header = parser_->get().base();
    const auto fields = static_cast<std::size_t>(std::distance(header.begin(), header.end()));
    if (fields > server_.config().max_header_fields) {
      server_.limit(limit_hit::header_fields,
                    "request with " + std::to_string(fields) + " header fields (cap " +
                        std::to_string(server_.config().max_header_fields) +
                        "); remote=" + remote_);
      return write(answer{too_large_headers(), true});
    }
    facts_.where = match_route(header.method(), header.target());
    if (header.count(bhttp::field::authorization) == 1) {
      const auto authorization = parse_authorization(header[bhttp::field::authorization]);
      if (authorization) facts_.access_key = std::string{authorization->access_key};
    }
    if (auto early = server_.early_answer(header, facts_)) {
      if (!early->close && !parser_->is_done()) early->close = may_have_unread_body(header);
      return write(std::move(*early));
    }
    parser_->body_limit(server_.config().max_body);
    if (!iequals(trim(header[bhttp::field::expect]), "100-continue")) {
      // Most bodies came with their headers: parsed from the buffer, without another read.
      beast::error_code ec_body;
      while (!parser_->is_done() && buffer_.size() > 0) {
        const auto used = parser_->put(buffer_.data(), ec_body);
        buffer_.consume(used);
        if (ec_body == bhttp::error::need_more) {
          ec_body = {};
          break;
        }
        if (ec_body || used == 0) break;
      }
      if (ec_body || parser_->is_done()) return on_body(ec_body);
    } else {
      auto continued = std::make_shared<bhttp::response<bhttp::empty_body>>(
          bhttp::status::continue_, parser_->get().version());
      lowest().expires_at(deadline_);
      bhttp::async_write(stream_, *continued,
                         [self = this->shared_from_this(), continued](
                             const beast::error_code& wrote, std::size_t /*size*/) {
                           if (wrote) return self->close();
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    lowest().expires_at(deadline_);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](const beast::error_code& ec, std::size_t /*size*/) {
          self->on_body(ec);
        });
  }

  void on_body(const beast::error_code& ec) {
    if (ec == beast::error::timeout) {
      server_.limit(limit_hit::request_deadline,
                    "request not read within its deadline; connection closed; remote=" + remote_);
      return close();
    }
    if (ec == bhttp::error::body_limit) {
      server_.limit(limit_hit::body_bytes, "request body over " +
                                               std::to_string(server_.config().max_body) +
                                               " bytes; remote=" + remote_);
      return write(answer{kmscore::error_response(kmscore::errc::request_too_long), true});
    }
    if (ec == net::error::eof || ec == bhttp::error::partial_message ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return close();
    }
    if (ec) return write(answer{kmscore::error_response(kmscore::errc::invalid_format), true});
    if (buffer_.size() == 0) {  // wipe what held the headers and the body; keep the memory
      buffer_.clear();
      const auto all = buffer_.prepare(buffer_.capacity());
      ::explicit_bzero(all.data(), all.size());
    }
    // `done` holds the connection, and with it what the posted work reads.
    auto now = server_.dispatch(
        parser_->get().base(), parser_->get().body(), facts_,
        [self = this->shared_from_this()](answer done) {
          net::post(self->stream_.get_executor(),
                    [self, done = std::move(done)]() mutable { self->write(std::move(done)); });
        });
    if (now) write(std::move(*now));
  }

  kmscore::http_response too_large_headers() const {
    auto response = kmscore::error_response(kmscore::errc::request_too_long);
    response.status = 431;
    return response;
  }

  void write(answer done) {
    const bool keep_alive = !done.close && !server_.draining() && parser_ &&
                            parser_->is_header_done() && parser_->get().keep_alive();
    answer_ = std::move(done);
    response_.emplace();
    auto& res = *response_;
    res.version(parser_ && parser_->is_header_done() ? parser_->get().version() : 11);
    res.result(static_cast<unsigned>(answer_.response.status));
    // A 204 has neither body nor Content-Type (api-metadata.md §0.3).
    if (answer_.response.status != 204) res.set(bhttp::field::content_type, json_content_type);
    res.set("X-Request-Id", facts_.request_id);
    res.set(bhttp::field::cache_control, "no-store");  // bodies may hold data keys
    if (!answer_.allow.empty()) res.set(bhttp::field::allow, answer_.allow);
    res.keep_alive(keep_alive);
    const auto text = answer_.response.text();
    res.body() = bhttp::span_body<const char>::value_type{text.data(), text.size()};
    res.prepare_payload();
    lowest().expires_after(server_.config().write_timeout);
    bhttp::async_write(stream_, res,
                       [self = this->shared_from_this(), keep_alive](const beast::error_code& ec,
                                                                     std::size_t /*size*/) {
                         self->after_write(ec, keep_alive);
                       });
  }

  void after_write(const beast::error_code& ec, bool keep_alive) {
    server_.access_log(facts_, answer_.response.status);
    response_.reset();
    answer_ = answer{};
    parser_.reset();
    if (ec) return close();
    if (keep_alive) return wait_request();
    linger();
  }

  // Closing after an answer given before the body was read: half-close, then drain what
  // the client still sends (bounded in bytes and time), so that it reads the answer rather
  // than a reset.
  void linger() {
    if constexpr (is_tls) {
      lowest().expires_after(linger_time);
      stream_.async_shutdown(
          [self = this->shared_from_this()](const beast::error_code& /*ec*/) { self->close(); });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      lowest().expires_after(linger_time);
      drain_some();
    }
  }

  void drain_some() {
    buffer_.clear();
    lowest().async_read_some(
        buffer_.prepare(4096),
        [self = this->shared_from_this()](const beast::error_code& ec, std::size_t size) {
          self->lingered_ += size;
          if (ec || self->lingered_ >= max_linger_bytes) return self->close();
          self->drain_some();
        });
  }

  kms_http_server& server_;
  Stream stream_;
  address_key address_;
  std::string remote_;
  std::uint64_t id_;
  read_buffer buffer_;
  std::optional<request_parser> parser_;
  request_facts facts_;
  answer answer_;
  std::optional<bhttp::response<bhttp::span_body<const char>>> response_;
  clock_type::time_point deadline_{};
  std::size_t lingered_ = 0;
  bool idle_ = false;
};

// Method, path, project id, then the body's framing and size: all before reading the body.
std::optional<answer> kms_http_server::early_answer(const beast_header& header,
                                                    const request_facts& facts) {
  const auto target = split_target(header.target()).first;
  const bool get = header.method() == bhttp::verb::get;
  if (get && (target == "/health" || target == "/ready")) return probe(target == "/ready");
  const auto& where = facts.where;
  auto failure = kmscore::errc::request_too_long;
  const bool wrong_method = where.refusal == kmscore::errc::method_not_supported;
  if (!where.matched && (wrong_method || where.project)) {  // the method, then the project id
    failure = where.refusal;  // KMS.0215, KMS.0201, KMS.0205 (a key id in the path), KMS.0408,
                              // KMS.0308 (a query parameter given twice)
  } else if (!where.project) {
    failure = kmscore::errc::invalid_url;
  } else {
    switch (check_framing(header, config_.max_body)) {
      case framing::fine:
        return std::nullopt;
      case framing::too_long:
        limit(limit_hit::body_bytes,
              "request body over " + std::to_string(config_.max_body) + " bytes (Content-Length)");
        break;  // request_too_long
      case framing::invalid:
        failure = kmscore::errc::invalid_format;
        return answer{kmscore::error_response(failure), true};  // the stream's end is unknown
    }
  }
  const kmscore::error refused{failure,
                               failure == where.refusal ? where.refusal_field : std::string_view{}};
  return answer{kmscore::error_response(refused), false,
                failure == kmscore::errc::method_not_supported ? where.allowed : std::string{}};
}

// GET /health and GET /ready (server.hpp).
answer kms_http_server::probe(bool readiness) const {
  const bool ok = !readiness || !hooks_.ready || hooks_.ready();
  return answer{
      text_response(ok ? 200 : 503, ok ? R"({"status":"ok"})" : R"({"status":"unavailable"})")};
}

// The access line (server.hpp), written once the answer is sent.
void kms_http_server::access_log(const request_facts& facts, int status) {
  try {
    const auto elapsed = clock_type::now() - facts.started;
    const auto& where = facts.where;
    metrics_.request_done(where.matched ? where.action : std::nullopt, status,
                          std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed));
    nlohmann::ordered_json line;
    line["access"] = facts.request_id;
    line["access_key"] = facts.access_key ? nlohmann::ordered_json(*facts.access_key)
                                          : nlohmann::ordered_json(nullptr);
    line["project"] = where.matched && where.project ? nlohmann::ordered_json(where.project->str())
                                                     : nlohmann::ordered_json(nullptr);
    line["action"] = where.matched ? nlohmann::ordered_json(std::string{where.action->name()})
                                   : nlohmann::ordered_json(nullptr);
    line["status"] = status;
    line["duration_ms"] =
        static_cast<double>(
            std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()) /
        1000.0;
    log(line.dump());
  } catch (...) {  // a lost log line must not stop the connection
  }
}

// One log line per refused request, with a running count (the server's failure metric).
void kms_http_server::refuse(const request_facts& facts, auth_failure kind, std::string_view reason,
                             std::string_view access_key, std::string_view what) {
  metrics_.auth_failed(kind);
  const auto count = ++failures_;
  std::string line{what};
  line.append(": ").append(reason);
  line.append("; access_key=").append(access_key.empty() ? "-" : access_key);
  line.append("; request_id=").append(facts.request_id);
  line.append("; failures=").append(std::to_string(count));
  log(line);
  audit_refusal(facts, kind, reason, access_key);
}

void kms_http_server::audit_refusal(const request_facts& facts, auth_failure kind,
                                    std::string_view reason, std::string_view access_key) {
  if (hooks_.audit == nullptr) return;
  constexpr std::uint32_t per_second = 5;
  constexpr std::size_t most_windows = 4096;  // addresses tracked at once
  const auto now = now_ms();
  std::uint64_t suppressed = 0;
  {
    const std::lock_guard lock{audit_failures_mutex_};
    if (audit_failures_.size() >= most_windows) audit_failures_.clear();
    auto& window = audit_failures_[{facts.client, kind}];
    if (window.second != now / 1000) {
      suppressed = window.suppressed;
      window = failure_window{now / 1000, 0, 0};
    }
    if (window.recorded >= per_second) {
      ++window.suppressed;
      return;
    }
    ++window.recorded;
  }
  audit::event what;
  what.type = "auth_failure";
  what.time_ms = now;
  what.request_id = facts.request_id;
  what.access_key = std::string{access_key};
  what.project = facts.where.matched && facts.where.project ? facts.where.project->str() : "";
  what.client = facts.client;
  what.action = facts.where.matched ? std::string{facts.where.action->name()} : "";
  what.reason = std::string{reason_name(kind)} + ": " + std::string{reason};
  what.suppressed = suppressed;
  // The answer each refusal gets (authenticate, work): the gateway's 401, or a KMS error.
  const auto kms_refusal = [&](kmscore::errc code) {
    const kmscore::error refused{code};
    what.status = refused.http_status();
    what.error_code = std::string{refused.code_string()};
  };
  if (kind == auth_failure::token) {
    kms_refusal(kmscore::errc::invalid_token);
  } else if (kind == auth_failure::project_not_granted) {
    kms_refusal(kmscore::errc::project_mismatch);
  } else {
    what.status = 401;
    what.error_code = "APIGW.0301";
  }
  if (!hooks_.audit->append(what)) log("audit: a refused authentication was not recorded");
}

answer kms_http_server::audited(const request_facts& facts, std::string_view access_key,
                                std::string_view body, answer done) {
  if (hooks_.audit == nullptr) return done;
  audit::event what;
  what.time_ms = now_ms();
  what.request_id = facts.request_id;
  what.access_key = std::string{access_key};
  what.project = facts.where.project ? facts.where.project->str() : "";
  what.client = facts.client;
  what.action = std::string{facts.where.action->name()};
  what.status = done.response.status;
  // A route without a body (GET, delete-tag) did not read the one it may have been sent.
  const bool read_body = kmscore::route_of(*facts.where.action).has_body;
  audit::fill_key_facts(what, read_body ? body : std::string_view{}, done.response.text());
  for (const auto& param : facts.where.params) {  // a key id in the path wins, as in the action
    if (param.name == "key_id") what.key_id = param.value;
  }
  if (hooks_.audit->append(what)) return done;
  log("audit: the record of request " + facts.request_id +
      " cannot be written; answered 503 instead");
  return answer{audit::unavailable_answer()};
}

// The AK/SK signature (http.md 5) over the request as received; nullptr with the refusal
// on failure. The access key in a log line has passed the Authorization grammar (unreserved
// characters only), so it cannot forge lines.
const credential* kms_http_server::authenticate(const beast_header& header, kmscore::byte_span body,
                                                const request_facts& facts,
                                                std::optional<kmscore::http_response>& refusal) {
  if (header.count(bhttp::field::authorization) == 0) {
    if (header.count("X-Auth-Token") > 0) {
      refuse(facts, auth_failure::token,
             "X-Auth-Token without a signature (tokens are not accepted)", {});
      refusal = kmscore::error_response(kmscore::errc::invalid_token);
    } else {
      refuse(facts, auth_failure::no_credentials, "no Authorization and no X-Auth-Token", {});
      refusal = gateway_auth(gateway_no_credentials, facts.request_id);
    }
    return nullptr;
  }
  std::vector<request_header> headers;
  headers.reserve(16);
  for (const auto& field : header) headers.push_back({field.name_string(), field.value()});
  const auto target = split_target(header.target());
  const signed_request request{header.method_string(), target.first, target.second, headers, body,
                               now_ms() / 1000};
  const auto claim = read_request_signature(request);
  if (!claim) {
    const auto status = claim.status();
    const bool stale = status == signature_status::request_expired ||
                       status == signature_status::request_from_future;
    refuse(facts, stale ? auth_failure::expired : auth_failure::malformed, describe(status), {});
    refusal = gateway_auth(gateway_detail(status), facts.request_id);
    return nullptr;
  }
  if (!claim->payload_signed()) {  // the body would not be authenticated
    refuse(facts, auth_failure::payload_not_signed, "UNSIGNED-PAYLOAD refused",
           claim->access_key());
    refusal = gateway_auth(gateway_bad_signature, facts.request_id);
    return nullptr;
  }
  const credential* entry = credentials_.find(claim->access_key());
  if (entry == nullptr) {
    refuse(facts, auth_failure::unknown_access_key, "unknown access key", claim->access_key());
    refusal = gateway_auth(gateway_unknown_key, facts.request_id);
    return nullptr;
  }
  const auto status = hooks_.verify(request, *claim, entry->secret_key.expose());
  if (status != signature_status::ok) {
    refuse(facts, auth_failure::bad_signature, describe(status), claim->access_key());
    refusal = status == signature_status::backend_failure
                  ? kmscore::error_response(kmscore::errc::kms_error)
                  : gateway_auth(gateway_detail(status), facts.request_id);
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

// A request's work, on its pool: signature, project, content type, action.
answer kms_http_server::work(const beast_header& header, const secret_body::value_type& body,
                             const request_facts& facts) {
  const auto& where = facts.where;
  std::optional<kmscore::http_response> refusal;
  const credential* caller = authenticate(header, body.view(), facts, refusal);
  if (caller == nullptr) return answer{std::move(*refusal)};
  if (!caller->may_use(*where.project)) {
    refuse(facts, auth_failure::project_not_granted,
           "project " + where.project->str() + " not granted to this access key",
           caller->access_key, "access denied");
    return answer{kmscore::error_response(kmscore::errc::project_mismatch)};
  }
  const auto text = kmscore::as_chars(body.view());
  // A route without a body (GET, delete-tag) needs no Content-Type; a body sent anyway is
  // ignored, though the signature covers it (api-metadata.md §0.3).
  if (kmscore::route_of(*where.action).has_body && !content_type_acceptable(header)) {
    return audited(facts, caller->access_key, text,
                   answer{kmscore::error_response(kmscore::errc::invalid_format)});
  }
  const auto tenant = project_for(*where.project);
  if (!tenant)
    return audited(facts, caller->access_key, text,
                   answer{kmscore::error_response(tenant.error())});
  // Fail-closed: nothing is done whose record could not be written.
  if (hooks_.audit != nullptr && !hooks_.audit->reserve()) {
    log("audit: the trail cannot take records; request " + facts.request_id + " refused with 503");
    return answer{audit::unavailable_answer()};
  }
  return audited(facts, caller->access_key, text,
                 answer{hooks_.handle(*tenant, *where.action, text, where.params, now_ms())});
}

answer kms_http_server::guarded_work(const beast_header& header,
                                     const secret_body::value_type& body,
                                     const request_facts& facts) {
  try {
    return work(header, body, facts);
  } catch (...) {
    log("internal error while serving a request; request_id=" + facts.request_id);
    return answer{kmscore::error_response(kmscore::errc::kms_error), true};
  }
}

std::optional<answer> kms_http_server::dispatch(const beast_header& header,
                                                const secret_body::value_type& body,
                                                const request_facts& facts,
                                                std::function<void(answer)> done) {
  const auto kind = pool_for(*facts.where.action);
  if (kind == pool_kind::keygen && keygen_waiting_.fetch_add(1) >= config_.max_keygen_queue) {
    keygen_waiting_.fetch_sub(1);
    limit(limit_hit::keygen_queue, std::string{facts.where.action->name()} +
                                       " refused: " + std::to_string(config_.max_keygen_queue) +
                                       " key generations already waiting");
    return answer{gateway_response(429, "APIGW.0308",
                                   std::string{gateway_throttled} + "key generation is busy",
                                   facts.request_id)};
  }
  net::post(kind == pool_kind::crypto  ? *crypto_pool_
            : kind == pool_kind::store ? *store_pool_
                                       : *keygen_pool_,
            [this, &header, &body, &facts, kind, done = std::move(done)]() mutable {
              auto result = guarded_work(header, body, facts);
              if (kind == pool_kind::keygen) keygen_waiting_.fetch_sub(1);
              done(std::move(result));
            });
  return std::nullopt;
}

void kms_http_server::set_idle(std::uint64_t id, const std::weak_ptr<connection_base>& connection,
                               bool idle) {
  const std::lock_guard lock{connections_mutex_};
  if (idle) {
    idle_[id] = connection;
  } else {
    idle_.erase(id);
  }
}

void kms_http_server::release(const address_key& address) {
  const std::lock_guard lock{connections_mutex_};
  --connections_;
  const auto found = per_address_.find(address);
  if (found != per_address_.end() && --found->second == 0) per_address_.erase(found);
}

address_key key_of(const net::ip::address& address) {
  const auto v6 = address.is_v4() ? net::ip::make_address_v6(net::ip::v4_mapped, address.to_v4())
                                  : address.to_v6();
  return v6.to_bytes();
}

// A connection over a cap gets the gateway's throttling answer, written without waiting
// (the socket's buffer takes it), then is closed.
void kms_http_server::refuse_connection(tcp::socket& socket, limit_hit kind,
                                        const std::string& remote) {
  const bool total = kind == limit_hit::connections_total;
  limit(kind,
        std::string{"connection refused: "} +
            (total ? "the server holds " + std::to_string(config_.max_connections)
                   : "this address holds " + std::to_string(config_.max_connections_per_address)) +
            " connections; remote=" + remote);
  const auto body =
      gateway_body("APIGW.0308",
                   std::string{gateway_throttled} +
                       (total ? "too many connections" : "too many connections from this address"),
                   new_request_id());
  const std::string text = std::string{total ? "HTTP/1.1 503 Service Unavailable\r\n"
                                             : "HTTP/1.1 429 Too Many Requests\r\n"} +
                           "Content-Type: application/json;charset=UTF-8\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  (void)socket.write_some(net::buffer(text), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void kms_http_server::accept(tcp::acceptor& acceptor, bool tls) {
  acceptor.async_accept(
      ios_[next_loop_.fetch_add(1) % ios_.size()]->get_executor(),
      [this, &acceptor, tls](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        if (ec) {  // out of descriptors, for one: try again shortly, never spin
          auto timer =
              std::make_shared<net::steady_timer>(*ios_.front(), std::chrono::milliseconds{50});
          timer->async_wait([this, &acceptor, tls, timer](const beast::error_code& /*waited*/) {
            accept(acceptor, tls);
          });
          return;
        }
        beast::error_code ignored;
        const auto peer = socket.remote_endpoint(ignored);
        const auto key = key_of(peer.address());
        const auto remote = peer.address().to_string();
        std::optional<limit_hit> over;
        {
          const std::lock_guard lock{connections_mutex_};
          auto& from = per_address_[key];
          if (connections_ >= config_.max_connections) {
            over = limit_hit::connections_total;
          } else if (from >= config_.max_connections_per_address) {
            over = limit_hit::connections_per_address;
          } else {
            ++connections_;
            ++from;
          }
          if (over && from == 0) per_address_.erase(key);
        }
        if (over) {
          refuse_connection(socket, *over, remote);
        } else {
          socket.set_option(tcp::no_delay{true}, ignored);
          if (tls) {
            std::make_shared<connection<ssl::stream<beast::tcp_stream>>>(
                *this, ssl::stream<beast::tcp_stream>{beast::tcp_stream{std::move(socket)}, *tls_},
                key, remote)
                ->start();
          } else {
            std::make_shared<connection<beast::tcp_stream>>(
                *this, beast::tcp_stream{std::move(socket)}, key, remote)
                ->start();
          }
        }
        accept(acceptor, tls);
      });
}

// GET /metrics on the metrics listener: one request per connection, on the I/O thread.
void kms_http_server::serve_metrics(tcp::socket socket) {
  struct exchange {
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::empty_body> request;
    bhttp::response<bhttp::string_body> response;
  };
  auto state =
      std::make_shared<exchange>(exchange{beast::tcp_stream{std::move(socket)}, {}, {}, {}});
  state->stream.expires_after(config_.request_timeout);
  bhttp::async_read(
      state->stream, state->buffer, state->request,
      [this, state](const beast::error_code& ec, std::size_t /*size*/) {
        if (ec) return;
        auto& res = state->response;
        res.version(11);
        res.keep_alive(false);
        if (state->request.method() == bhttp::verb::get && state->request.target() == "/metrics") {
          res.result(bhttp::status::ok);
          res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
          res.body() = metrics_.render(hooks_.gauges ? hooks_.gauges() : host_gauges{});
        } else {
          res.result(bhttp::status::not_found);
        }
        res.prepare_payload();
        state->stream.expires_after(config_.write_timeout);
        bhttp::async_write(state->stream, res,
                           [state](const beast::error_code& /*wrote*/, std::size_t /*size*/) {
                             beast::error_code ignored;
                             state->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                           });
      });
}

void kms_http_server::accept_metrics(tcp::acceptor& acceptor) {
  acceptor.async_accept([this, &acceptor](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) serve_metrics(std::move(socket));
    accept_metrics(acceptor);
  });
}

// SIGTERM: no new connections, idle ones closed; busy ones close after their answer.
void kms_http_server::begin_drain() {
  draining_ = true;
  for (auto& acceptor : acceptors_) {
    beast::error_code ignored;
    acceptor->close(ignored);
  }
  std::vector<std::shared_ptr<connection_base>> idle;
  {
    const std::lock_guard lock{connections_mutex_};
    for (const auto& entry : idle_) {
      if (auto open = entry.second.lock()) idle.push_back(std::move(open));
    }
  }
  for (const auto& open : idle) open->close_if_idle();
}

bool parse_host(const std::string& host, int port, tcp::endpoint& where) {
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (!ec) {
    where = tcp::endpoint{address, static_cast<unsigned short>(port)};
    return true;
  }
  net::io_context scratch;
  tcp::resolver resolver{scratch};
  const auto found = resolver.resolve(host, std::to_string(port), ec);
  if (ec || found.empty()) return false;
  where = found.begin()->endpoint();
  return true;
}

// A listening socket on host:port (port 0: any); SO_REUSEADDR only, never SO_REUSEPORT
// (with which a second server on the port would silently take part of the connections).
std::unique_ptr<tcp::acceptor> listen_on(net::io_context& io, const std::string& host, int port,
                                         int& bound) {
  tcp::endpoint where;
  if (!parse_host(host, port, where)) return nullptr;
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  beast::error_code ec;
  acceptor->open(where.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(where, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return nullptr;
  bound = acceptor->local_endpoint(ec).port();
  return ec ? nullptr : std::move(acceptor);
}

std::size_t or_cores(std::size_t count) {
  if (count != 0) return count;
  const auto cores = std::thread::hardware_concurrency();
  return cores == 0 ? 2 : cores;
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
  for (const auto count :
       {config_.io_threads, config_.workers, config_.store_workers, config_.keygen_workers}) {
    if (count > max_workers) {
      why = "the number of threads in a pool must be 1-" + std::to_string(max_workers);
      return 1;
    }
  }
  if (config_.store_workers == 0 || config_.keygen_workers == 0 || config_.max_connections == 0 ||
      config_.max_connections_per_address == 0) {
    why = "the store and keygen pools and the connection caps must be at least 1";
    return 1;
  }
  if (tls) {
    tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    auto* context = tls_->native_handle();
    // TLS 1.2 and up, no TLS compression (secrets travel here), the whole chain.
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(context, config_.tls_cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(context, config_.tls_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(context) != 1) {
      why =
          "cannot use the TLS certificate " + config_.tls_cert + " with the key " + config_.tls_key;
      return 1;
    }
  }

  // Blocked before any thread starts, so every thread inherits the mask and the signals are
  // only ever taken by sigtimedwait below: no code runs in a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  (void)pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  (void)std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-answer must not end the server

  // A loop per thread, run by that thread alone (concurrency hint 1: no scheduler handoff
  // between threads); other threads still post to it (the pools' answers, SIGTERM).
  for (std::size_t i = 0; i < or_cores(config_.io_threads); ++i) {
    ios_.push_back(std::make_unique<net::io_context>(1));
  }
  int port = 0;
  auto main_acceptor = listen_on(*ios_.front(), config_.host, config_.port, port);
  if (!main_acceptor) {
    why = "cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
          " (address in use, or not an address of this host)";
    return 1;
  }
  std::unique_ptr<tcp::acceptor> metrics_acceptor;
  int metrics_port = 0;
  if (config_.metrics_listen) {
    const auto& [metrics_host, wanted] = *config_.metrics_listen;
    metrics_acceptor = listen_on(*ios_.front(), metrics_host, wanted, metrics_port);
    if (!metrics_acceptor) {
      why = "cannot serve metrics on " + metrics_host + ":" + std::to_string(wanted) +
            " (address in use, or not an address of this host)";
      return 1;
    }
  }
  const bool v6 = config_.host.find(':') != std::string::npos;
  log(std::string{"listening on "} + (tls ? "https" : "http") + "://" +
      (v6 ? "[" + config_.host + "]" : config_.host) + ":" + std::to_string(port));
  if (metrics_acceptor) {
    const auto& metrics_host = config_.metrics_listen->first;
    const bool metrics_v6 = metrics_host.find(':') != std::string::npos;
    log("metrics on http://" + (metrics_v6 ? "[" + metrics_host + "]" : metrics_host) + ":" +
        std::to_string(metrics_port) + "/metrics");
  }

  crypto_pool_ = std::make_unique<net::thread_pool>(or_cores(config_.workers));
  store_pool_ = std::make_unique<net::thread_pool>(config_.store_workers);
  keygen_pool_ = std::make_unique<net::thread_pool>(config_.keygen_workers);
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  for (auto& loop : ios_) guards.push_back(net::make_work_guard(*loop));
  accept(*main_acceptor, tls);
  acceptors_.push_back(std::move(main_acceptor));
  if (metrics_acceptor) {
    accept_metrics(*metrics_acceptor);
    acceptors_.push_back(std::move(metrics_acceptor));
  }

  std::atomic<bool> stopping{false};
  std::atomic<bool> signalled{false};
  std::thread stopper{[&] {
    const timespec tick{0, 200'000'000};
    while (!stopping) {
      if (sigtimedwait(&stop_signals, nullptr, &tick) < 0) continue;
      signalled = true;
      log("stopping: no new connections; finishing the requests in flight");
      net::post(*ios_.front(), [this] { begin_drain(); });
      // Then the requests in flight: done when no connection is left, or at the deadline.
      const auto deadline = clock_type::now() + config_.drain_timeout;
      while (metrics_.connections_open() > 0 && clock_type::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
      }
      if (metrics_.connections_open() > 0) {
        log("stopping: " + std::to_string(metrics_.connections_open()) +
            " connections still open at the drain deadline; closing them");
      }
      for (auto& loop : ios_) loop->stop();
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

  std::vector<std::thread> io_threads;
  const auto serve_io = [this](net::io_context& loop) {
    for (;;) {
      try {
        loop.run();
        return;
      } catch (const std::exception& failure) {
        log(std::string{"internal error on an I/O thread: "} + failure.what());
      }
    }
  };
  for (std::size_t i = 1; i < ios_.size(); ++i) {
    io_threads.emplace_back([&serve_io, &loop = *ios_[i]] { serve_io(loop); });
  }
  serve_io(*ios_.front());
  for (auto& thread : io_threads) thread.join();
  stopping = true;
  stopper.join();
  {
    const std::lock_guard lock{maintenance_mutex};
    maintenance_stop = true;
  }
  maintenance_wakeup.notify_all();
  maintenance.join();
  crypto_pool_->join();
  store_pool_->join();
  keygen_pool_->join();
  guards.clear();
  acceptors_.clear();
  ios_.clear();  // the connections left, with what they hold
  if (!signalled) {
    why = "the server stopped without a signal";
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
