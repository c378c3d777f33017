// Secrets on the request path leave nothing in freed memory. This binary replaces the global
// operator new / delete and OpenSSL's allocator: each block freed while a scan is on is
// searched for a known secret (the hex of a DEK or of a root key, a private key's number) at
// the moment it is freed, then optionally wiped the way the tool and server wipe it
// (host/secrets/wipe_on_free.hpp, openssl_wiping_free.hpp), and searched again. So the tests
// can tell apart what the library wipes itself (nothing found even before the host's wiper)
// from what only the host's wiper reaches (third-party buffers, documented in json.hpp and
// backend/openssl.hpp), and show that in the tool's configuration nothing is left.
#include <kmscore/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "credentials.hpp"
#include "openssl_wiping_free.hpp"
#include "secret_input.hpp"
#include "server.hpp"
#include "support/backends.hpp"
#include "support/project.hpp"
#include "support/signed_call.hpp"
#include "wipe_on_free.hpp"

// malloc and free through pointers the static analyzer cannot see through: it would
// otherwise pair the library's delete[] with the malloc inside the replaced operator new.
namespace {
void* (*volatile raw_malloc)(std::size_t) = std::malloc;
void (*volatile raw_free)(void*) = std::free;
}  // namespace

namespace {

struct scan_state {
  std::atomic<bool> on{false};
  std::atomic<bool> wipe{false};  // the tool's configuration: wipe every freed block
  std::array<char, 256> needle{};
  std::size_t needle_size = 0;
  std::atomic<std::size_t> found_when_freed{0};
  std::atomic<std::size_t> found_after_wipe{0};
};
scan_state scan;

bool holds_needle(const void* block) noexcept {
  const std::size_t size = ::malloc_usable_size(const_cast<void*>(block));  // NOLINT
  return scan.needle_size > 0 &&
         ::memmem(block, size, scan.needle.data(), scan.needle_size) != nullptr;
}

void release(void* block) noexcept {
  if (block == nullptr) return;
  if (scan.on.load()) {
    if (holds_needle(block)) ++scan.found_when_freed;
    if (scan.wipe.load()) kmscore_host::wipe_freed_block(block);
    if (holds_needle(block)) ++scan.found_after_wipe;
  }
  raw_free(block);
}

void* allocate(std::size_t size) {
  if (void* block = raw_malloc(size == 0 ? 1 : size)) return block;
  throw std::bad_alloc{};
}

}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void operator delete(void* block) noexcept { release(block); }
void operator delete[](void* block) noexcept { release(block); }
void operator delete(void* block, std::size_t /*size*/) noexcept { release(block); }
void operator delete[](void* block, std::size_t /*size*/) noexcept { release(block); }

// OpenSSL's allocator in this binary: the same scan on every block it frees; with scan.wipe
// on, each block is wiped first as the tool's (openssl_wiping_free.hpp) wipes it, and
// reallocation copies as the tool's does.
namespace {
void* scanned_openssl_malloc(std::size_t size, const char* /*file*/, int /*line*/) noexcept {
  return size == 0 ? nullptr : raw_malloc(size);
}
void* scanned_openssl_realloc(void* block, std::size_t size, const char* /*file*/,
                              int /*line*/) noexcept {
  return kmscore_host::reallocate_by_copy(block, size, release);
}
void scanned_openssl_free(void* block, const char* /*file*/, int /*line*/) noexcept {
  release(block);
}
bool openssl_scanned = false;
// From .preinit_array, as the tool's wipe_on_free.cpp: before any library constructor.
void install_scanned_openssl(int /*argc*/, char** /*argv*/, char** /*envp*/) noexcept {
  openssl_scanned = ::CRYPTO_set_mem_functions(scanned_openssl_malloc, scanned_openssl_realloc,
                                               scanned_openssl_free) == 1;
}
[[gnu::section(".preinit_array"),
  gnu::used]] void (*const preinit_entry)(int, char**, char**) = install_scanned_openssl;
}  // namespace

namespace {

constexpr const char* key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
constexpr const char* domain = "b168fe00ff56492495a7d22974df2d0b";
// A DEK and its SHA-256, as encrypt-datakey's plain_text carries them: the needle is the DEK.
constexpr const char* dek_hex =
    "5EC2E7A1D3B94F0C8A6B2D1E9F7C3A5B4D6E8F0A1B2C3D4E5F60718293A4B5C6"
    "D7E8F90A1B2C3D4E5F6071829304A5B6C7D8E9F0A1B2C3D4E5F607182930A4B5";

// The needle: the secret's last 64 characters. A buffer reused for shorter text after the
// secret (a lexer's token buffer) keeps the tail of the secret, not its head.
void start_scan(const char* secret, bool wipe) {
  const std::size_t length = std::strlen(secret);
  const char* needle = secret + (length > 64 ? length - 64 : 0);
  scan.needle_size = std::strlen(needle);
  std::memcpy(scan.needle.data(), needle, scan.needle_size);
  scan.found_when_freed = 0;
  scan.found_after_wipe = 0;
  scan.wipe = wipe;
  scan.on = true;
}
void start_scan(kmscore::byte_span secret, bool wipe) {
  scan.needle_size = std::min(secret.size(), scan.needle.size());
  std::memcpy(scan.needle.data(), secret.data() + (secret.size() - scan.needle_size),
              scan.needle_size);
  scan.found_when_freed = 0;
  scan.found_after_wipe = 0;
  scan.wipe = wipe;
  scan.on = true;
}
void stop_scan() { scan.on = false; }

// encrypt-datakey's plain_text for dek_hex: the DEK, then its SHA-256 (computed here with the
// backend's digest into a stack buffer, so no heap copy of the secret is made by the test).
template <class Backend>
std::array<char, 192> plain_text(Backend& backend) {
  std::array<kmscore::byte, 64> dek{};
  EXPECT_TRUE(kmscore::hex_decode(dek_hex, dek));
  std::array<kmscore::byte, 32> digest{};
  const std::array<kmscore::byte_span, 1> pieces{dek};
  EXPECT_TRUE(backend.digest(kmscore::hash_id::sha256, pieces, digest));
  std::array<char, 192> text{};
  EXPECT_TRUE(kmscore::hex_encode(dek, std::span{text}.first(128)));
  EXPECT_TRUE(kmscore::hex_encode(digest, std::span{text}.subspan(128)));
  kmscore::detail::secure_wipe(dek.data(), dek.size());
  return text;
}

class SecretScanTest : public testing::Test {
 protected:
  void SetUp() override {
    kmscore::key_record record;
    record.key.key_id = *kmscore::key_id::parse(key_id);
    record.key.material_versions.emplace_back(std::vector<kmscore::byte>(32, 3));
    record.project_id = kmscore_test::test_project(store_).id;
    record.domain_id = domain;
    record.key_alias = "scan";
    ASSERT_TRUE(store_.insert(record));
  }

  kmscore_test::sodium_cryptopp backend_;
  kmscore::memory_key_store store_;
};

// The control: the scan finds a secret left in a freed std::string, and the wiper removes it.
TEST_F(SecretScanTest, TheScanFindsAnUnwipedCopy) {
  start_scan(dek_hex, false);
  { const std::string leaked{dek_hex}; }
  stop_scan();
  EXPECT_EQ(scan.found_when_freed, 1U);
  start_scan(dek_hex, true);
  { const std::string leaked{dek_hex}; }
  stop_scan();
  EXPECT_EQ(scan.found_when_freed, 1U);
  EXPECT_EQ(scan.found_after_wipe, 0U);
}

// The library's own path (typed request, validation, the operation, the response) wipes
// everything it frees, without any help from a global allocator.
TEST_F(SecretScanTest, TypedEncryptDatakeyLeavesNothingEvenWithoutTheGlobalWiper) {
  const auto text = plain_text(backend_);
  start_scan(dek_hex, false);
  {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_)};
    kmscore::encrypt_datakey_request request;
    request.key_id = key_id;
    request.plain_text = kmscore::secret_string{text.data(), text.size()};
    request.datakey_plain_length = "64";
    const auto sealed =
        service.run<kmscore::actions::encrypt_datakey>(request, kmscore_test::test_now_ms);
    ASSERT_TRUE(sealed);
    kmscore::decrypt_datakey_request back;
    back.key_id = key_id;
    back.cipher_text = sealed->cipher_text;
    back.datakey_cipher_length = "64";
    const auto opened =
        service.run<kmscore::actions::decrypt_datakey>(back, kmscore_test::test_now_ms);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->expose_data_key(), std::string_view{dek_hex});
  }
  stop_scan();
  EXPECT_EQ(scan.found_when_freed, 0U) << "a block the library freed held the DEK";
}

// Through the JSON layer as the tool runs it: body read into zeroizing memory, global wiper
// installed. The secret reaches blocks only the wiper cleans (nlohmann's token buffer); once
// freed, no block holds it. Decrypt's response (the DEK going out) leaves nothing either.
TEST_F(SecretScanTest, JsonEncryptAndDecryptInTheToolsConfigurationLeaveNothing) {
  const auto text = plain_text(backend_);
  std::string cipher_text;
  start_scan(dek_hex, true);
  {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_)};
    // The body as the tool holds it: in zeroizing memory, assembled without a heap copy.
    const std::string_view head =
        R"({"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","plain_text":")";
    const std::string_view tail = R"(","datakey_plain_length":"64"})";
    kmscore::secret_bytes body{head.size() + text.size() + tail.size()};
    auto out = body.expose().begin();
    out = std::copy(head.begin(), head.end(), out);
    out = std::copy(text.begin(), text.end(), out);
    std::copy(tail.begin(), tail.end(), out);
    const auto response =
        kmscore::handle_json(service, "encrypt-datakey", kmscore::as_chars(body.expose()), 1);
    ASSERT_EQ(response.status, 200) << response.text();
    const auto at = response.text().find("\"cipher_text\":\"") + 15;
    cipher_text = std::string{response.text().substr(at, 2 * kmscore::envelope_size(64))};
  }
  std::printf(
      "encrypt-datakey: %zu freed blocks held the DEK (only the global wiper reaches them)\n",
      scan.found_when_freed.load());
  // The one block documented in json.hpp: nlohmann's token buffer. Any other is a leak.
  EXPECT_LE(scan.found_when_freed, 1U);
  EXPECT_EQ(scan.found_after_wipe, 0U);
  start_scan(dek_hex, false);  // decrypt: the library alone must leave nothing
  {
    kmscore::kms_service service{backend_, store_, kmscore_test::test_project(store_)};
    const std::string body = R"({"key_id":")" + std::string{key_id} + R"(","cipher_text":")" +
                             cipher_text + R"(","datakey_cipher_length":"64"})";
    const auto response = kmscore::handle_json(service, "decrypt-datakey", body, 1);
    ASSERT_EQ(response.status, 200) << response.text();
    EXPECT_NE(response.text().find(dek_hex), std::string_view::npos);
  }
  stop_scan();
  EXPECT_EQ(scan.found_when_freed, 0U) << "a freed block held the DEK after decrypt-datakey";
}

// One encrypt-datakey over HTTP, through `kmscore serve`'s server in this process, in the
// server's configuration (the global wiper on): after the request, and after the server has
// stopped and freed every connection buffer, no freed block holds the DEK. The client is a
// child process writing bytes prepared before the scan, so only the server's frees count.
TEST_F(SecretScanTest, OneHttpEncryptDatakeyInTheServersConfigurationLeavesNothing) {
  const auto text = plain_text(backend_);
  char dir[] = "/tmp/kmscore-scan-http-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string credentials = std::string{dir} + "/credentials.json";
  {
    const std::string json = R"({"credentials": [{"access_key": "SCANAK", "secret_key": "scan-sk",)"
                             R"( "projects": [")" +
                             kmscore_test::project_id.str() + R"("]}]})";
    const int fd = ::open(credentials.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, json.data(), json.size()), static_cast<ssize_t>(json.size()));
    ::close(fd);
  }
  std::string why;
  const auto creds = kmscore_host::http::credential_set::load(credentials, why);
  ASSERT_TRUE(creds) << why;
  std::atomic<int> port{0};
  const kmscore_host::http::server_hooks hooks{
      .handle =
          [this](const kmscore::project& tenant, kmscore::action_id action, std::string_view body,
                 const kmscore::request_params& params, std::int64_t now) {
            kmscore::kms_service service{backend_, store_, tenant};
            return kmscore::handle_json(service, action, body, params, now);
          },
      .resolve_project = [this](const kmscore::project_id& id, std::string_view /*domain*/)
          -> kmscore::result<kmscore::project> { return store_.ensure_project(id, domain); },
      .verify =
          [this](const kmscore_host::http::signed_request& request,
                 const kmscore_host::http::signature_claim& claim, kmscore::byte_span secret) {
            return kmscore_host::http::verify_request_signature(backend_, request, claim, secret);
          },
      .maintenance = [](std::int64_t /*now*/) {},
      .log =
          [&port](std::string_view line) {
            const auto at = line.rfind(':');
            if (line.find("listening on") != std::string_view::npos &&
                at != std::string_view::npos) {
              int number = 0;
              (void)std::from_chars(line.data() + at + 1, line.data() + line.size(), number);
              port = number;
            }
          },
      .ready = {},
      .gauges = {}};
  kmscore_host::http::server_config config;
  config.port = 0;
  config.workers = 2;
  // serve() takes SIGTERM with sigwait: every thread must have it blocked.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &stop, nullptr), 0);
  const std::string head = R"({"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","plain_text":")";
  const std::string tail = R"(","datakey_plain_length":"64"})";
  kmscore_test::signature_input request;
  request.path = "/v1.0/" + kmscore_test::project_id.str() + "/kms/encrypt-datakey";
  request.body = head + std::string{text.data(), text.size()} + tail;
  request.access_key = "SCANAK";
  request.secret_key = "scan-sk";

  start_scan(dek_hex, true);
  std::thread server{[&] { (void)kmscore_host::http::serve(config, *creds, hooks, why); }};
  for (int i = 0; i < 200 && port == 0; ++i) ::usleep(10'000);
  ASSERT_NE(port.load(), 0);
  request.host = "127.0.0.1:" + std::to_string(port.load());
  const std::string wire = kmscore_test::signed_wire_request(request);
  request.body.assign(request.body.size(), '\0');  // the test's own copy, wiped
  const pid_t client = ::fork();
  if (client == 0) {  // raw syscalls only: connect, send, read the answer, leave
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port.load()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) ::_exit(2);
    if (::write(fd, wire.data(), wire.size()) != static_cast<ssize_t>(wire.size())) ::_exit(3);
    char answer[4096];
    const auto got = ::read(fd, answer, sizeof answer);
    ::_exit(got > 12 && std::string_view{answer, 12} == "HTTP/1.1 200" ? 0 : 4);
  }
  int status = 1;
  ::waitpid(client, &status, 0);
  ::kill(::getpid(), SIGTERM);  // the server stops and frees every connection buffer
  server.join();
  stop_scan();
  std::fill(const_cast<char*>(wire.data()), const_cast<char*>(wire.data()) + wire.size(), '\0');
  ::unlink(credentials.c_str());
  ::rmdir(dir);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the request did not succeed";
  std::printf("encrypt-datakey over HTTP: %zu freed blocks held the DEK before the wipe\n",
              scan.found_when_freed.load());
  EXPECT_EQ(scan.found_after_wipe, 0U);
}

// Loading a root key from its file (the tool's path) leaves no copy in freed memory.
TEST_F(SecretScanTest, LoadingARootKeyLeavesNothing) {
  constexpr const char* root_hex =
      "A1B2C3D4E5F60718293A4B5C6D7E8F90112233445566778899AABBCCDDEEFF00";
  char path[] = "/tmp/kmscore-scan-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, root_hex, 64), 64);
  ::close(fd);
  start_scan(root_hex, false);
  {
    auto loaded = kmscore_host::read_secret_file(path, 4096);
    ASSERT_TRUE(loaded);
    kmscore::secret_bytes material{32};
    EXPECT_TRUE(kmscore::hex_decode(kmscore::as_chars(loaded->expose()), material.expose()));
  }
  stop_scan();
  ::unlink(path);
  EXPECT_EQ(scan.found_when_freed, 0U) << "a freed block held the root key";
}

// The private half of a PKCS#8 key, as big-endian bytes: what a DER copy of it holds.
std::vector<kmscore::byte> private_number(kmscore::key_spec spec, kmscore::byte_span pkcs8) {
  const unsigned char* in = pkcs8.data();
  EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &in, static_cast<long>(pkcs8.size()));
  EXPECT_NE(key, nullptr);
  BIGNUM* number = nullptr;
  const char* name =
      spec == kmscore::key_spec::rsa_2048 ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &number), 1);
  std::vector<kmscore::byte> bytes(static_cast<std::size_t>(BN_num_bytes(number)));
  BN_bn2bin(number, bytes.data());
  BN_clear_free(number);
  EVP_PKEY_free(key);
  return bytes;
}

// The OpenSSL backend's private-key paths (sign; decrypt for RSA and SM2) in the tool's
// configuration: OpenSSL 3.0 frees intermediate DER copies of the key without clearing (the
// count printed), and the host's wiping free leaves no freed block holding the key.
TEST_F(SecretScanTest, OpenSslPrivateKeyPathsLeaveNothingWithTheHostsWipingFree) {
  ASSERT_TRUE(openssl_scanned) << "OpenSSL allocated before the preinit function";
  kmscore::backend::openssl openssl;
  using kmscore::data_encryption_algorithm;
  using kmscore::key_spec;
  using kmscore::signing_algorithm;
  const std::array<kmscore::byte, 32> digest{1, 2, 3};
  const std::array<kmscore::byte, 16> message{4, 5, 6};
  for (const auto& [spec, signing, encryption] :
       {std::tuple{key_spec::ec_p256, signing_algorithm::ecdsa_sha256,
                   std::optional<data_encryption_algorithm>{}},
        std::tuple{key_spec::sm2, signing_algorithm::sm2dsa_sm3,
                   std::optional{data_encryption_algorithm::sm2_encrypt}},
        std::tuple{key_spec::rsa_2048, signing_algorithm::rsassa_pss_sha256,
                   std::optional{data_encryption_algorithm::rsaes_oaep_sha256}}}) {
    const auto pair = openssl.generate_key_pair(spec);
    ASSERT_TRUE(pair);
    const auto secret = private_number(spec, pair->private_key.expose());
    std::vector<kmscore::byte> ciphertext;
    if (encryption) {
      auto sealed = openssl.encrypt(spec, pair->public_key, *encryption, message);
      ASSERT_TRUE(sealed);
      ciphertext = std::move(*sealed);
    }
    start_scan(secret, true);
    EXPECT_TRUE(openssl.sign(spec, pair->private_key.expose(), signing, digest));
    if (encryption) {
      const auto opened =
          openssl.decrypt(spec, pair->private_key.expose(), *encryption, ciphertext);
      ASSERT_TRUE(opened);
      EXPECT_TRUE(std::equal(message.begin(), message.end(), opened->expose().begin(),
                             opened->expose().end()));
    }
    stop_scan();
    std::printf("%s: %zu freed blocks held the private key before the wipe\n",
                std::string{kmscore::to_string(spec)}.c_str(), scan.found_when_freed.load());
    EXPECT_EQ(scan.found_after_wipe, 0U) << kmscore::to_string(spec);
  }
}

}  // namespace
