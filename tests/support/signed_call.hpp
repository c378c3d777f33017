// Test support: a client-side SDK-HMAC-SHA256 signer (http.md 5.1-5.4) over the verifier's
// public builders, for tests that talk to `kmscore serve` over raw HTTP.
#pragma once

#include <kmscore/backend/sodium.hpp>
#include "request_signature.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kmscore_test {

inline std::string sdk_date(std::time_t when) {
  std::tm utc{};
  ::gmtime_r(&when, &utc);
  std::array<char, 17> text{};
  (void)std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
  return text.data();
}

struct signature_input {
  std::string method = "POST";
  std::string path;
  std::string body;  // the bytes signed
  std::string host;  // "127.0.0.1:PORT"
  std::optional<std::string> content_type = "application/json";
  bool unsigned_payload = false;  // X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD
  std::string access_key;
  std::string secret_key;
  std::int64_t clock_offset = 0;  // seconds, added to the signed date
};

// Host, Content-Type, (X-Sdk-Content-Sha256,) X-Sdk-Date and the Authorization over them.
inline std::vector<std::pair<std::string, std::string>> signed_headers(const signature_input& in) {
  std::vector<std::pair<std::string, std::string>> headers{{"Host", in.host}};
  if (in.content_type) headers.emplace_back("Content-Type", *in.content_type);
  if (in.unsigned_payload) headers.emplace_back("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD");
  const auto date = sdk_date(std::time(nullptr) + in.clock_offset);
  headers.emplace_back("X-Sdk-Date", date);
  std::vector<kmscore_host::http::request_header> view;
  for (const auto& [name, value] : headers) view.push_back({name, value});
  // SignedHeaders, sorted (x-sdk-content-sha256 sorts before x-sdk-date).
  const std::string sorted = std::string{in.content_type ? "content-type;" : ""} + "host;" +
                             (in.unsigned_payload ? "x-sdk-content-sha256;" : "") + "x-sdk-date";
  // The path as sent may carry a query: the signature covers it canonicalised (http.md §5).
  const std::string_view target{in.path};
  const auto mark = std::min(target.find('?'), target.size());
  const kmscore_host::http::signed_request request{
      in.method, target.substr(0, mark),     target.substr(std::min(mark + 1, target.size())),
      view,      kmscore::as_bytes(in.body), 0};
  kmscore::backend::sodium backend;
  const auto canonical = kmscore_host::http::canonical_request(backend, request, sorted);
  EXPECT_TRUE(canonical.has_value());
  const auto to_sign = kmscore_host::http::string_to_sign(backend, date, *canonical);
  const auto signature =
      kmscore_host::http::compute_signature(backend, *to_sign, kmscore::as_bytes(in.secret_key));
  EXPECT_TRUE(signature.has_value());
  headers.emplace_back(
      "Authorization",
      std::string{kmscore_host::http::sdk_hmac_sha256} + " Access=" + in.access_key +
          ", SignedHeaders=" + sorted +
          ", Signature=" + kmscore_host::http::sig::lower_hex(signature->expose()));
  return headers;
}

// The bytes of a signed request, Content-Length framed.
inline std::string signed_wire_request(const signature_input& in) {
  std::string text = in.method + " " + in.path + " HTTP/1.1\r\n";
  for (const auto& [name, value] : signed_headers(in)) text += name + ": " + value + "\r\n";
  return text + "Content-Length: " + std::to_string(in.body.size()) + "\r\n\r\n" + in.body;
}

}  // namespace kmscore_test
