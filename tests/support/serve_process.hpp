// Test support for `kmscore serve` end to end (server_test.cpp, attack_test.cpp): the tool
// as a server process on port 0, requests as the test means them (signed by
// tests/support/signed_call.hpp, or not), httplib's client and raw sockets (which may come
// from another loopback address, as the attack tests' clients do).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "signed_call.hpp"

extern char** environ;  // NOLINT: posix_spawn passes the test's environment on

namespace kmscore_test::serve {

using nlohmann::json;
using namespace std::chrono_literals;

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::string_view project_a = "0123456789abcdef0123456789abcdef";  // domain given
constexpr std::string_view domain_a = "aaaabbbbccccddddeeeeffff00001111";
constexpr std::string_view project_b = "fedcba9876543210fedcba9876543210";  // fresh domain
constexpr std::string_view project_c = "00000000000000000000000000000000";  // other key's
constexpr std::string_view tester_ak = "tester-ak";
constexpr std::string_view tester_sk = "tester-secret-key-0123456789";
constexpr std::string_view other_ak = "other-ak";
constexpr std::string_view other_sk = "other-secret-key-0123456789";
constexpr std::size_t body_cap = std::size_t{64} * 1024;

inline std::string credentials_json() {
  return R"({"credentials": [)"
         R"({"access_key": "tester-ak", "secret_key": "tester-secret-key-0123456789",)"
         R"( "projects": [")" +
         std::string{project_a} + R"(", ")" + std::string{project_b} + R"("], "domain_id": ")" +
         std::string{domain_a} +
         R"("},)"
         R"({"access_key": "other-ak", "secret_key": "other-secret-key-0123456789",)"
         R"( "projects": [")" +
         std::string{project_c} + R"("]}]})";
}

inline std::string slurp(const fs::path& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string action_path(std::string_view project, std::string_view action) {
  return "/v1.0/" + std::string{project} + "/kms/" + std::string{action};
}

inline bool is_request_id(const std::string& text) {
  return std::regex_match(text, std::regex{"[0-9a-f]{32}"});
}

// `kmscore serve ARGS` with stderr in a file; started() once it has logged its port. `env`:
// NAME=VALUE entries added to the test's environment (a moved clock: deletion_test.cpp).
class server_process {
 public:
  server_process(const fs::path& dir, const std::vector<std::string>& args,
                 const std::vector<std::string>& env = {})
      : log_{dir / ("serve_" + std::to_string(counter_++) + ".log")} {
    // KMSCORE_SERVE_TOOL: another build of the tool (attack_test.cpp's by-hand checks).
    const char* tool = std::getenv("KMSCORE_SERVE_TOOL");  // NOLINT(concurrency-mt-unsafe)
    std::vector<std::string> argv_text{tool != nullptr ? tool : KMSCORE_TOOL_PATH, "serve"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(argv_text.size() + 1);
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> env_text{env};
    std::vector<char*> envp;
    for (char** at = environ; *at != nullptr; ++at) envp.push_back(*at);
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    // Wait for "listening on http://HOST:PORT", or for the process to end.
    const std::regex listening{"kmscore: listening on https?://[^\\n]*:([0-9]+)\\n"};
    for (int i = 0; i < 1000 && pid_ > 0; ++i) {
      std::smatch match;
      const auto text = slurp(log_);
      if (std::regex_search(text, match, listening)) {
        port_ = std::stoi(match[1]);
        return;
      }
      if (exited(0ms)) return;
      std::this_thread::sleep_for(10ms);
    }
  }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;
  ~server_process() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      (void)exited(10s);
    }
  }

  [[nodiscard]] bool started() const { return port_ > 0; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::string log() const { return slurp(log_); }
  // The process's resident memory now, in KiB (VmRSS), or 0 if it cannot be read.
  [[nodiscard]] std::size_t resident_kib() const {
    std::ifstream status{"/proc/" + std::to_string(pid_) + "/status"};
    std::string line;
    while (std::getline(status, line)) {
      if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
    }
    return 0;
  }

  // True once the process has ended (within `wait`); its exit code in exit_code().
  bool exited(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!status_) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        status_ = status;
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
  // The exit code, or -1 if it died of a signal.
  [[nodiscard]] int exit_code() const {
    return status_ && WIFEXITED(*status_) ? WEXITSTATUS(*status_) : -1;
  }
  // Sends the signal and waits for the end; the exit code, or -1.
  int stop(int signal_number = SIGTERM, std::chrono::milliseconds wait = 15s) {
    ::kill(pid_, signal_number);
    return exited(wait) ? exit_code() : -1;
  }

 private:
  static inline int counter_ = 0;
  fs::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::optional<int> status_;
};

// One request as the test means it; signed unless told otherwise.
struct call {
  std::string method = "POST";
  std::string path;
  std::string body = "{}";
  std::optional<std::string> content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> extra;  // sent, not signed
  bool sign = true;
  std::string access_key{tester_ak};
  std::string secret_key{tester_sk};
  std::int64_t clock_offset = 0;           // seconds, added to the signed date
  std::optional<std::string> signed_body;  // sign this instead of `body`
  bool unsigned_payload = false;           // X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD
};

// The headers of `c`: signed by the client-side signer (tests/support/signed_call.hpp), or
// not signed at all; then the extra ones.
inline std::vector<std::pair<std::string, std::string>> headers_for(const call& c, int port) {
  const std::string host = "127.0.0.1:" + std::to_string(port);
  std::vector<std::pair<std::string, std::string>> headers;
  if (c.sign) {
    headers = kmscore_test::signed_headers({c.method, c.path, c.signed_body.value_or(c.body), host,
                                            c.content_type, c.unsigned_payload, c.access_key,
                                            c.secret_key, c.clock_offset});
  } else {
    headers.emplace_back("Host", host);
    if (c.content_type) headers.emplace_back("Content-Type", *c.content_type);
    if (c.unsigned_payload) headers.emplace_back("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD");
  }
  for (const auto& header : c.extra) headers.push_back(header);
  return headers;
}

struct answer {
  int status = 0;
  std::multimap<std::string, std::string, httplib::detail::ci> headers;
  std::string body;

  [[nodiscard]] json body_json() const {
    return json::parse(body, nullptr, false);  // discarded (is_discarded) if not JSON
  }
  [[nodiscard]] std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string{} : found->second;
  }
};

// A raw HTTP/1.1 connection: the test writes the bytes and parses the answers itself.
class raw_connection {
 public:
  // From 127.0.0.1, or from `source` (another loopback address: 127.0.0.2 and up).
  explicit raw_connection(int port, const char* source = nullptr)
      : fd_{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)} {
    if (source != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &from.sin_addr);
      if (::bind(fd_, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0)
        return;  // NOLINT
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address),  // NOLINT
                           sizeof address) == 0;
  }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  ~raw_connection() { ::close(fd_); }

  [[nodiscard]] bool connected() const { return connected_; }
  [[nodiscard]] int fd() const { return fd_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // One answer (Content-Length framed), or nullopt on EOF or timeout.
  std::optional<answer> read_answer(std::chrono::milliseconds wait = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    std::size_t head_end = 0;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    answer result;
    std::istringstream head{buffer_.substr(0, head_end)};
    std::string line;
    std::getline(head, line);
    if (line.size() < 12) return std::nullopt;
    result.status = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      result.headers.emplace(line.substr(0, colon),
                             line.substr(line.find_first_not_of(' ', colon + 1)));
    }
    const auto length =
        std::stoul(result.header("Content-Length").empty() ? "0" : result.header("Content-Length"));
    while (buffer_.size() < head_end + 4 + length) {
      if (!fill(deadline)) return std::nullopt;
    }
    result.body = buffer_.substr(head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    return result;
  }

  // True if the peer closes the connection (EOF) within `wait`.
  bool closed_by_peer(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
      pollfd ready{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) {
        return false;
      }
      std::array<char, 4096> chunk{};
      const auto got = ::recv(fd_, chunk.data(), chunk.size(), 0);
      if (got <= 0) return true;  // EOF, or a reset
    }
  }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd ready{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    std::array<char, 16384> chunk{};
    const auto got = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (got <= 0) return false;
    buffer_.append(chunk.data(), static_cast<std::size_t>(got));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string buffer_;
};

// The bytes of a request (Content-Length framed) with the headers of `c`.
inline std::string wire_request(const call& c, int port) {
  std::string text = c.method + " " + c.path + " HTTP/1.1\r\n";
  for (const auto& [name, value] : headers_for(c, port)) {
    text.append(name).append(": ").append(value).append("\r\n");
  }
  return text + "Content-Length: " + std::to_string(c.body.size()) + "\r\n\r\n" + c.body;
}

// Every answer of the server, error or not: JSON content type and a request id.
inline void expect_common_headers(const answer& a) {
  EXPECT_EQ(a.header("Content-Type"), "application/json;charset=UTF-8") << a.body;
  EXPECT_TRUE(is_request_id(a.header("X-Request-Id"))) << a.header("X-Request-Id");
  EXPECT_EQ(a.header("Content-Encoding"), "");
}

inline void expect_kms_error(const answer& a, int status, const std::string& code) {
  EXPECT_EQ(a.status, status) << a.body;
  const auto body = a.body_json();
  ASSERT_TRUE(body.is_object()) << a.body;
  ASSERT_TRUE(body.contains("error")) << a.body;
  EXPECT_EQ(body["error"]["error_code"], code) << a.body;
  EXPECT_TRUE(body["error"]["error_msg"].is_string());
  expect_common_headers(a);
}

inline void expect_gateway_error(const answer& a, const std::string& detail) {
  EXPECT_EQ(a.status, 401) << a.body;
  const auto body = a.body_json();
  ASSERT_TRUE(body.is_object()) << a.body;
  EXPECT_EQ(body.size(), 3U) << a.body;
  EXPECT_EQ(body["error_code"], "APIGW.0301");
  EXPECT_EQ(body["error_msg"], "Incorrect IAM authentication information: " + detail);
  EXPECT_EQ(body["request_id"], a.header("X-Request-Id"));
  expect_common_headers(a);
}

class server_fixture : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("kmscore_server_test_" + std::to_string(::getpid()) + "_" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_credentials(credentials_json(), 0600);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  void write_credentials(const std::string& text, mode_t mode) {
    std::ofstream{credentials()} << text;
    ::chmod(credentials().c_str(), mode);
  }
  fs::path credentials() const { return dir_ / "credentials.json"; }
  fs::path state() const { return dir_ / "state"; }

  std::unique_ptr<server_process> start(std::vector<std::string> extra = {},
                                        const std::vector<std::string>& env = {}) {
    std::vector<std::string> args{"--state",       state().string(),
                                  "--credentials", credentials().string(),
                                  "--listen",      "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<server_process>(dir_, args, env);
  }
  // The suite's server, started on first use.
  server_process& server() {
    if (!server_) {
      server_ = start();
      EXPECT_TRUE(server_->started()) << server_->log();
    }
    return *server_;
  }

  answer send(const call& c) {
    httplib::Client client{"127.0.0.1", server().port()};
    return send(client, c);
  }
  // Over httplib::Client, or httplib::SSLClient for TLS.
  template <class Client>
  answer send(Client& client, const call& c) {
    httplib::Request request;
    request.method = c.method;
    request.path = c.path;
    request.body = c.body;
    for (const auto& [name, value] : headers_for(c, server().port())) {
      request.headers.emplace(name, value);
    }
    const auto result = client.send(request);
    answer a;
    if (!result) {
      ADD_FAILURE() << "no answer: " << httplib::to_string(result.error());
      return a;
    }
    a.status = result->status;
    for (const auto& [name, value] : result->headers) a.headers.emplace(name, value);
    a.body = result->body;
    return a;
  }
  answer act(std::string_view project, std::string_view action, const std::string& body) {
    call c;
    c.path = action_path(project, action);
    c.body = body;
    return send(c);
  }

  fs::path dir_;
  std::unique_ptr<server_process> server_;
};

}  // namespace kmscore_test::serve
