// host/http/request_signature.hpp: verifier of the API-gateway AK/SK request signature
// `SDK-HMAC-SHA256` (shared spec http.md §5).
//
//   std::array<kmscore_host::http::request_header, 3> headers{{{"Host", host},
//                                                   {"X-Sdk-Date", date},
//                                                   {"Authorization", authorization}}};
//   kmscore_host::http::signed_request request{"POST", raw_path, raw_query, headers,
//                                   kmscore::as_bytes(body), now_seconds};
//   auto claim = kmscore_host::http::read_request_signature(request);   // no secret, no crypto yet
//   if (!claim) return deny(claim.status());                 // 401 APIGW.0301
//   const kmscore::secret_bytes& sk = lookup(claim->access_key());  // the host's AK -> SK
//   auto status = kmscore_host::http::verify_request_signature(backend, request, *claim,
//   sk.expose()); if (status != kmscore_host::http::signature_status::ok) return deny(status);
//
// Two steps, so that the host looks the secret key up only for a request that is well
// formed and inside the clock window, and learns the access key (hence the projects it may
// use) before verifying. The host fills `signed_request` from the request as received: the
// raw path (still percent-encoded, without the query), the raw query, every header line
// (names in any case; repeated names stay repeated; HTTP/2's :authority as Host), the whole
// body, and its own clock.
//
// Canonicalisation (§5.1), where the sources leave room:
//   - path: split on '/', each segment percent-decoded once (as the SDK signers sign the
//     decoded path and send it encoded), dot segments removed (RFC 3986 §5.2.4), each
//     segment re-encoded, '/' added (api-metadata.md §0.5). A %2F inside a segment stays
//     %2F; %2E%2E counts as "..". The host routes on the same segments (kmscore/route.hpp).
//   - query: split on '&' (empty items skipped), first '=' splits name from value (none:
//     empty value); names and values percent-decoded ('+' is a literal plus, RFC 3986),
//     sorted by decoded name then decoded value (bytes, as the Go signer), re-encoded.
//   - headers: values trimmed of ASCII whitespace, inner whitespace kept; a repeated header
//     gives one line per value, values sorted.
//   - a malformed %-escape in the path or query refuses the request (malformed_request).
//   - X-Sdk-Content-Sha256: `UNSIGNED-PAYLOAD` replaces the body hash (the body is then not
//     authenticated: `signature_claim::payload_signed()` lets a host refuse that); the true
//     body hash in lower-case hex is accepted; any other value is bad_payload_header.
//
// Errors are values (`signature_status`), one per reason, for the host's log line and
// metrics; none carries the secret key or a signature. All of them answer 401 APIGW.0301,
// except backend_failure (500). The secret key is only read through the backend's HMAC; the
// expected signature lives in a wiping secret_array and is compared in constant time.
// No clock, no I/O: `now` comes from the caller.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <kmscore/bytes.hpp>
#include <kmscore/crypto.hpp>
#include <kmscore/hex.hpp>
#include <kmscore/percent.hpp>
#include <kmscore/secret.hpp>

namespace kmscore_host::http {

using kmscore::as_bytes;
using kmscore::byte;
using kmscore::byte_span;
using kmscore::constant_time_equal;
using kmscore::crypto_backend;
using kmscore::digest_size;
using kmscore::hash_id;
using kmscore::hex_decode;
using kmscore::secret_array;

inline constexpr std::string_view sdk_hmac_sha256 = "SDK-HMAC-SHA256";
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
// The most names a SignedHeaders list may hold (http.md sets none; the SDKs sign three to
// six headers, one Go signer every header it sets). More is refused as a malformed
// Authorization, so a request's signature check costs at most this many names, each found
// in one pass over the headers.
inline constexpr std::size_t max_signed_headers = 32;

inline constexpr std::int64_t max_signature_clock_skew =
    std::int64_t{15} * 60;                         // seconds, both ways
inline constexpr std::size_t signature_size = 32;  // HMAC-SHA256
inline constexpr std::size_t max_access_key_size = 128;

enum class signature_status : std::uint8_t {
  ok,
  missing_authorization,    // no Authorization header
  malformed_authorization,  // grammar of §5.4, SignedHeaders rules, repeated header
  unknown_algorithm,        // not SDK-HMAC-SHA256
  date_not_signed,          // x-sdk-date not in SignedHeaders
  signed_header_missing,    // a SignedHeaders name absent from the request
  bad_date,                 // X-Sdk-Date not YYYYMMDDTHHMMSSZ, not a real time, or repeated
  request_expired,          // X-Sdk-Date more than 15 minutes before now
  request_from_future,      // X-Sdk-Date more than 15 minutes after now
  bad_payload_header,       // X-Sdk-Content-Sha256 neither UNSIGNED-PAYLOAD nor the body hash
  malformed_request,        // method, path or query that cannot be canonicalised
  signature_mismatch,       // wrong secret key or altered request
  backend_failure,          // the crypto backend failed (500, not 401)
};

// A short reason for log lines; never includes request data.
[[nodiscard]] constexpr std::string_view describe(signature_status status) noexcept {
  switch (status) {
    case signature_status::ok:
      return "signature verified";
    case signature_status::missing_authorization:
      return "missing Authorization";
    case signature_status::malformed_authorization:
      return "malformed Authorization";
    case signature_status::unknown_algorithm:
      return "unknown signature algorithm";
    case signature_status::date_not_signed:
      return "x-sdk-date not signed";
    case signature_status::signed_header_missing:
      return "signed header missing";
    case signature_status::bad_date:
      return "malformed X-Sdk-Date";
    case signature_status::request_expired:
      return "signature expired";
    case signature_status::request_from_future:
      return "X-Sdk-Date in the future";
    case signature_status::bad_payload_header:
      return "invalid X-Sdk-Content-Sha256";
    case signature_status::malformed_request:
      return "request not canonicalisable";
    case signature_status::signature_mismatch:
      return "signature mismatch";
    case signature_status::backend_failure:
      return "crypto backend failure";
  }
  return "unknown";
}

// A value or a signature_status other than ok (the verifier's own result: its failures
// are gateway answers, not KMS error codes).
template <class T>
class [[nodiscard]] signature_result {
 public:
  constexpr signature_result(const T& value) : value_{value} {}
  constexpr signature_result(T&& value) : value_{std::move(value)} {}
  constexpr signature_result(signature_status failure) noexcept : status_{failure} {
    assert(failure != signature_status::ok);
  }

  [[nodiscard]] constexpr bool has_value() const noexcept { return value_.has_value(); }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] constexpr signature_status status() const noexcept { return status_; }

  [[nodiscard]] constexpr T& value() & noexcept {
    assert(has_value());
    return *value_;
  }
  [[nodiscard]] constexpr const T& value() const& noexcept {
    assert(has_value());
    return *value_;
  }
  [[nodiscard]] constexpr T&& value() && noexcept {
    assert(has_value());
    return std::move(*value_);
  }
  constexpr T& operator*() & noexcept { return value(); }
  constexpr const T& operator*() const& noexcept { return value(); }
  constexpr T* operator->() noexcept { return &value(); }
  constexpr const T* operator->() const noexcept { return &value(); }

 private:
  std::optional<T> value_;
  signature_status status_ = signature_status::ok;
};

// One header line as received.
struct request_header {
  std::string_view name;
  std::string_view value;
};

// The request as the HTTP host received it; every view must outlive the verification.
struct signed_request {
  std::string_view method;
  std::string_view path;   // raw, percent-encoded as received, without '?' and query
  std::string_view query;  // raw, without the '?'; empty when there is none
  std::span<const request_header> headers;
  byte_span body;
  std::int64_t now = 0;  // the host's clock, seconds since the Unix epoch
};

namespace sig {

[[nodiscard]] constexpr char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

[[nodiscard]] constexpr bool is_unreserved(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// RFC 9110 tchar, lower case only: the alphabet of a SignedHeaders name.
[[nodiscard]] constexpr bool is_lower_tchar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' || c == '#' || c == '$' ||
         c == '%' || c == '&' || c == '\'' || c == '*' || c == '+' || c == '-' || c == '.' ||
         c == '^' || c == '_' || c == '`' || c == '|' || c == '~';
}

[[nodiscard]] constexpr bool is_tchar(char c) noexcept {
  return is_lower_tchar(c) || (c >= 'A' && c <= 'Z');
}

[[nodiscard]] constexpr bool is_lower_hex(std::string_view text) noexcept {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Trims what Go's strings.TrimSpace trims in ASCII (the signers trim with it).
[[nodiscard]] constexpr std::string_view trim(std::string_view text) noexcept {
  constexpr std::string_view space = " \t\n\v\f\r";
  const auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

// §5.1 item 4: unreserved bytes stay, every other byte is %XY (upper-case hex).
inline void append_encoded(std::string& out, std::string_view bytes) {
  for (const char c : bytes) {
    if (is_unreserved(c)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      constexpr std::string_view digits = "0123456789ABCDEF";  // the path is public
      out.push_back(digits[b >> 4U]);
      out.push_back(digits[b & 0xFU]);
    }
  }
}

// Lower-case hex of public bytes (digests), as the string to sign and payload line use.
[[nodiscard]] inline std::string lower_hex(byte_span bytes) {
  return kmscore::hex_encode_lower(bytes);
}

// The values of the headers named `name` (any case), and how many there are.
struct header_lookup {
  std::size_t count = 0;
  std::string_view first;  // trimmed
};
[[nodiscard]] constexpr header_lookup find_header(std::span<const request_header> headers,
                                                  std::string_view name) noexcept {
  header_lookup found;
  for (const auto& header : headers) {
    if (!iequals(header.name, name)) continue;
    if (found.count++ == 0) found.first = trim(header.value);
  }
  return found;
}

// SignedHeaders: 1..max_signed_headers non-empty lower-case names joined by ';', strictly
// ascending (so sorted and without duplicates).
[[nodiscard]] constexpr bool signed_headers_valid(std::string_view list) noexcept {
  std::string_view previous;
  std::size_t start = 0;
  for (std::size_t count = 1; count <= max_signed_headers; ++count) {
    const auto end = std::min(list.find(';', start), list.size());
    const auto name = list.substr(start, end - start);
    if (name.empty()) return false;
    for (const char c : name) {
      if (!is_lower_tchar(c)) return false;
    }
    if (start != 0 && !(previous < name)) return false;
    previous = name;
    if (end == list.size()) return true;
    start = end + 1;
  }
  return false;  // more names than max_signed_headers
}

// A header's name (any case) against a lower-case listed name, as strings compare.
[[nodiscard]] constexpr int compare_lowered(std::string_view any_case,
                                            std::string_view lower) noexcept {
  const std::size_t common = std::min(any_case.size(), lower.size());
  for (std::size_t i = 0; i < common; ++i) {
    const char c = any_case[i];
    const char a = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
    if (a != lower[i]) return a < lower[i] ? -1 : 1;
  }
  if (any_case.size() == lower.size()) return 0;
  return any_case.size() < lower.size() ? -1 : 1;
}

// The names of a valid SignedHeaders list, in their (ascending) order.
struct signed_names {
  std::array<std::string_view, max_signed_headers> names{};
  std::size_t count = 0;

  // Where a header's name (any case) is listed, or `count` if it is not: a binary search,
  // so one pass over the headers finds every signed one.
  [[nodiscard]] constexpr std::size_t position(std::string_view header_name) const noexcept {
    std::size_t low = 0;
    std::size_t high = count;
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      const int order = compare_lowered(header_name, names[middle]);
      if (order == 0) return middle;
      if (order < 0) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    return count;
  }
};

// list: signed_headers_valid.
[[nodiscard]] constexpr signed_names split_names(std::string_view list) noexcept {
  signed_names split;
  std::size_t start = 0;
  while (start <= list.size() && split.count < max_signed_headers) {
    const auto end = std::min(list.find(';', start), list.size());
    split.names[split.count++] = list.substr(start, end - start);
    start = end + 1;
  }
  return split;
}

[[nodiscard]] constexpr std::optional<unsigned> digits(std::string_view text) noexcept {
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

template <crypto_backend Backend>
[[nodiscard]] std::optional<std::string> sha256_hex(Backend& backend, byte_span data) {
  std::array<byte, digest_size> digest{};
  const std::array<byte_span, 1> pieces{data};
  if (!backend.digest(hash_id::sha256, pieces, digest)) return std::nullopt;
  return lower_hex(digest);
}

}  // namespace sig

// Days from 1970-01-01 to the proleptic Gregorian date y-m-d (H. Hinnant's
// days_from_civil), so the verifier needs no libc time function or time zone.
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month,
                                                     unsigned day) noexcept {
  if (month <= 2) --year;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);  // 0..399
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

// X-Sdk-Date, `YYYYMMDDTHHMMSSZ` exactly (UTC), a real calendar date and time (no leap
// second), to seconds since the epoch.
[[nodiscard]] constexpr std::optional<std::int64_t> parse_sdk_date(std::string_view text) noexcept {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  const auto year = sig::digits(text.substr(0, 4));
  const auto month = sig::digits(text.substr(4, 2));
  const auto day = sig::digits(text.substr(6, 2));
  const auto hour = sig::digits(text.substr(9, 2));
  const auto minute = sig::digits(text.substr(11, 2));
  const auto second = sig::digits(text.substr(13, 2));
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  const bool leap = *year % 4 == 0 && (*year % 100 != 0 || *year % 400 == 0);
  constexpr std::array<unsigned, 12> month_days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const unsigned last_day = month_days[*month - 1] + (*month == 2 && leap ? 1U : 0U);
  if (*day > last_day) return std::nullopt;
  return days_from_civil(*year, *month, *day) * 86400 +
         static_cast<std::int64_t>(*hour * 3600 + *minute * 60 + *second);
}

// The three parts of an Authorization value, as views into it.
struct authorization_fields {
  std::string_view access_key;
  std::string_view signed_headers;
  std::string_view signature;  // 64 lower-case hex digits
};

// §5.4, strictly: `SDK-HMAC-SHA256`, one or more spaces, `Access=<AK>`, `,`,
// `SignedHeaders=<list>`, `,`, `Signature=<64 lower-case hex>`; spaces allowed only after
// the algorithm and after each comma (none before a comma or around '='); whitespace
// around the whole value (HTTP's OWS) is ignored. AK: 1..128 unreserved characters.
[[nodiscard]] constexpr signature_result<authorization_fields> parse_authorization(
    std::string_view value) noexcept {
  using sig::is_unreserved;
  value = sig::trim(value);
  std::size_t at = 0;
  while (at < value.size() && sig::is_tchar(value[at])) ++at;
  if (at == 0) return signature_status::malformed_authorization;
  if (value.substr(0, at) != sdk_hmac_sha256) return signature_status::unknown_algorithm;
  if (at == value.size() || value[at] != ' ') return signature_status::malformed_authorization;

  const auto skip_spaces = [&] {
    while (at < value.size() && value[at] == ' ') ++at;
  };
  const auto take = [&](std::string_view literal) {
    if (value.substr(at, literal.size()) != literal) return false;
    at += literal.size();
    return true;
  };
  // The text up to the next ',' (or the end), which the caller checks.
  const auto field = [&] {
    const auto end = std::min(value.find(',', at), value.size());
    const auto text = value.substr(at, end - at);
    at = end;
    return text;
  };

  authorization_fields fields;
  skip_spaces();
  if (!take("Access=")) return signature_status::malformed_authorization;
  fields.access_key = field();
  if (!take(",")) return signature_status::malformed_authorization;
  skip_spaces();
  if (!take("SignedHeaders=")) return signature_status::malformed_authorization;
  fields.signed_headers = field();
  if (!take(",")) return signature_status::malformed_authorization;
  skip_spaces();
  if (!take("Signature=")) return signature_status::malformed_authorization;
  fields.signature = value.substr(at);

  if (fields.access_key.empty() || fields.access_key.size() > max_access_key_size) {
    return signature_status::malformed_authorization;
  }
  for (const char c : fields.access_key) {
    if (!is_unreserved(c)) return signature_status::malformed_authorization;
  }
  if (!sig::signed_headers_valid(fields.signed_headers) ||
      fields.signature.size() != 2 * signature_size || !sig::is_lower_hex(fields.signature)) {
    return signature_status::malformed_authorization;
  }
  return fields;
}

// What the request claims before any secret is involved; made only by
// read_request_signature. Views point into the request.
class signature_claim {
 public:
  [[nodiscard]] std::string_view access_key() const noexcept { return access_key_; }
  [[nodiscard]] std::string_view signed_headers() const noexcept { return signed_headers_; }
  [[nodiscard]] std::string_view date() const noexcept { return date_; }  // as signed
  [[nodiscard]] std::int64_t date_seconds() const noexcept { return date_seconds_; }
  // False when the client sent X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD (body not covered).
  [[nodiscard]] bool payload_signed() const noexcept { return payload_signed_; }

 private:
  friend signature_result<signature_claim> read_request_signature(const signed_request&) noexcept;
  template <crypto_backend Backend>
  friend signature_status verify_request_signature(Backend&, const signed_request&,
                                                   const signature_claim&, byte_span);
  signature_claim() noexcept = default;

  std::string_view access_key_;
  std::string_view signed_headers_;
  std::string_view date_;
  std::int64_t date_seconds_ = 0;
  bool payload_signed_ = true;
  std::array<byte, signature_size> signature_{};  // received: public
};

// Step 1, without the secret key: the Authorization grammar, x-sdk-date signed, every
// signed header present, the date and its clock window, the X-Sdk-Content-Sha256 form.
[[nodiscard]] inline signature_result<signature_claim> read_request_signature(
    const signed_request& request) noexcept {
  using sig::find_header;
  const auto authorization = find_header(request.headers, "authorization");
  if (authorization.count == 0) return signature_status::missing_authorization;
  if (authorization.count > 1) return signature_status::malformed_authorization;
  const auto fields = parse_authorization(authorization.first);
  if (!fields) return fields.status();
  const auto names = sig::split_names(fields->signed_headers);
  if (names.position("x-sdk-date") == names.count) return signature_status::date_not_signed;
  std::array<bool, max_signed_headers> present{};
  for (const auto& header : request.headers) {  // one pass, whatever the number of names
    const auto at = names.position(header.name);
    if (at < names.count) present[at] = true;
  }
  for (std::size_t i = 0; i < names.count; ++i) {
    if (!present[i]) return signature_status::signed_header_missing;
  }

  const auto date_header = find_header(request.headers, "x-sdk-date");
  if (date_header.count != 1) return signature_status::bad_date;  // one RequestDateTime
  const auto date = parse_sdk_date(date_header.first);
  if (!date) return signature_status::bad_date;
  // Written so that no subtraction can overflow, whatever `now` the host passes.
  if (request.now > *date + max_signature_clock_skew) return signature_status::request_expired;
  if (*date - max_signature_clock_skew > request.now) {
    return signature_status::request_from_future;
  }

  signature_claim claim;
  const auto payload = find_header(request.headers, "x-sdk-content-sha256");
  if (payload.count > 1) return signature_status::bad_payload_header;
  if (payload.count == 1) {
    claim.payload_signed_ = payload.first != unsigned_payload;
    if (claim.payload_signed_ &&
        (payload.first.size() != 2 * digest_size || !sig::is_lower_hex(payload.first))) {
      return signature_status::bad_payload_header;
    }
  }
  claim.access_key_ = fields->access_key;
  claim.signed_headers_ = fields->signed_headers;
  claim.date_ = date_header.first;
  claim.date_seconds_ = *date;
  (void)hex_decode(fields->signature, claim.signature_);  // checked: 64 hex digits
  return claim;
}

// §5.1 CanonicalURI of a raw path (see the top of this file for %-escapes and dots).
[[nodiscard]] inline signature_result<std::string> canonical_uri(std::string_view raw_path) {
  if (raw_path.empty() || raw_path.front() != '/') return signature_status::malformed_request;
  // Each raw segment is decoded once (api-metadata.md §0.5: a %2F inside a segment stays
  // %2F), then RFC 3986 §5.2.4 by segments: the output is "/seg/seg...", a '..' drops the
  // last output segment (an encoded segment holds no '/', so rfind finds its start), and a
  // final '.' or '..' leaves an empty last segment, i.e. a trailing '/'.
  std::string out;
  out.reserve(raw_path.size() * 3 + 1);
  std::string segment;
  std::string_view rest = raw_path.substr(1);
  while (true) {
    const auto slash = rest.find('/');
    const bool last = slash == std::string_view::npos;
    segment.clear();
    if (!kmscore::append_percent_decoded(segment, rest.substr(0, slash))) {
      return signature_status::malformed_request;
    }
    if (segment == "..") {
      const auto start = out.rfind('/');
      if (start != std::string::npos) out.erase(start);
    }
    if (segment == "." || segment == "..") {
      if (last) out.push_back('/');
    } else {
      out.push_back('/');
      sig::append_encoded(out, segment);
    }
    if (last) break;
    rest.remove_prefix(slash + 1);
  }
  if (out.empty() || out.back() != '/') out.push_back('/');
  return out;
}

// §5.1 CanonicalQueryString of a raw query (without '?'); empty for an empty query.
[[nodiscard]] inline signature_result<std::string> canonical_query_string(
    std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start < raw_query.size()) {
    const auto end = std::min(raw_query.find('&', start), raw_query.size());
    const auto item = raw_query.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const auto equals = std::min(item.find('='), item.size());
    auto& pair = pairs.emplace_back();
    if (!kmscore::append_percent_decoded(pair.first, item.substr(0, equals)) ||
        !kmscore::append_percent_decoded(pair.second,
                                         item.substr(std::min(equals + 1, item.size())))) {
      return signature_status::malformed_request;
    }
  }
  std::sort(pairs.begin(), pairs.end());  // std::string compares bytes as unsigned char
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    sig::append_encoded(out, name);
    out.push_back('=');
    sig::append_encoded(out, value);
  }
  return out;
}

// §5.1 CanonicalHeaders for a SignedHeaders list: "name:value\n" per signed header, one line
// per value of a repeated header, values sorted. One pass over the headers.
[[nodiscard]] inline signature_result<std::string> canonical_headers(
    std::span<const request_header> headers, std::string_view signed_headers) {
  if (!sig::signed_headers_valid(signed_headers)) {
    return signature_status::malformed_authorization;
  }
  const auto names = sig::split_names(signed_headers);
  std::vector<std::pair<std::size_t, std::string_view>> lines;  // (name's position, value)
  std::array<bool, max_signed_headers> present{};
  for (const auto& header : headers) {
    const auto at = names.position(header.name);
    if (at == names.count) continue;
    present[at] = true;
    lines.emplace_back(at, sig::trim(header.value));
  }
  for (std::size_t i = 0; i < names.count; ++i) {
    if (!present[i]) return signature_status::signed_header_missing;
  }
  std::sort(lines.begin(), lines.end());  // by name (the list is sorted), then by value
  std::string out;
  for (const auto& [at, value] : lines) {
    out.append(names.names[at]);
    out.push_back(':');
    out.append(value);
    out.push_back('\n');
  }
  return out;
}

// §5.1 item 7: lower-case hex SHA-256 of the body, or UNSIGNED-PAYLOAD when the request
// says so. A header holding the body's own hash is accepted; anything else is refused.
template <crypto_backend Backend>
[[nodiscard]] signature_result<std::string> payload_hash(Backend& backend,
                                                         const signed_request& request) {
  const auto header = sig::find_header(request.headers, "x-sdk-content-sha256");
  if (header.count > 1) return signature_status::bad_payload_header;
  if (header.count == 1 && header.first == unsigned_payload) return std::string{unsigned_payload};
  auto hash = sig::sha256_hex(backend, request.body);
  if (!hash) return signature_status::backend_failure;
  if (header.count == 1 && header.first != *hash) return signature_status::bad_payload_header;
  return std::move(*hash);
}

// §5.1 CanonicalRequest of the request as received, under the client's SignedHeaders.
template <crypto_backend Backend>
[[nodiscard]] signature_result<std::string> canonical_request(Backend& backend,
                                                              const signed_request& request,
                                                              std::string_view signed_headers) {
  if (request.method.empty()) return signature_status::malformed_request;
  for (const char c : request.method) {
    if (!sig::is_tchar(c)) return signature_status::malformed_request;
  }
  if (!sig::signed_headers_valid(signed_headers)) {
    return signature_status::malformed_authorization;
  }
  auto uri = canonical_uri(request.path);
  if (!uri) return uri.status();
  auto query = canonical_query_string(request.query);
  if (!query) return query.status();
  auto headers = canonical_headers(request.headers, signed_headers);
  if (!headers) return headers.status();
  auto payload = payload_hash(backend, request);
  if (!payload) return payload.status();

  std::string text;
  text.reserve(request.method.size() + uri->size() + query->size() + headers->size() +
               signed_headers.size() + payload->size() + 5);
  for (const char c : request.method) {
    text.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  text.push_back('\n');
  text.append(*uri).append("\n").append(*query).append("\n").append(*headers).append("\n");
  text.append(signed_headers).append("\n").append(*payload);
  return text;
}

// §5.2: "SDK-HMAC-SHA256\n" + X-Sdk-Date + "\n" + hex(SHA-256(canonical request)).
template <crypto_backend Backend>
[[nodiscard]] signature_result<std::string> string_to_sign(Backend& backend, std::string_view date,
                                                           std::string_view canonical) {
  auto hash = sig::sha256_hex(backend, as_bytes(canonical));
  if (!hash) return signature_status::backend_failure;
  std::string text;
  text.reserve(sdk_hmac_sha256.size() + date.size() + hash->size() + 2);
  text.append(sdk_hmac_sha256).append("\n").append(date).append("\n").append(*hash);
  return text;
}

// §5.3: HMAC-SHA256 under the secret key's bytes, kept in wiping memory: until compared,
// it is a valid signature for this request.
template <crypto_backend Backend>
[[nodiscard]] signature_result<secret_array<signature_size>> compute_signature(
    Backend& backend, std::string_view string_to_sign, byte_span secret_key) noexcept {
  secret_array<signature_size> mac;
  const std::array<byte_span, 1> pieces{as_bytes(string_to_sign)};
  if (!hmac(backend, hash_id::sha256, secret_key, pieces, mac.expose())) {
    return signature_status::backend_failure;
  }
  return mac;
}

// Step 2, with the secret key of claim.access_key(): rebuilds the canonical request from
// `request` (the one the claim was read from) and compares signatures in constant time.
// An empty secret key never verifies.
template <crypto_backend Backend>
[[nodiscard]] signature_status verify_request_signature(Backend& backend,
                                                        const signed_request& request,
                                                        const signature_claim& claim,
                                                        byte_span secret_key) {
  if (!backend.supports(hash_id::sha256)) return signature_status::backend_failure;
  if (secret_key.empty()) return signature_status::signature_mismatch;
  const auto canonical = canonical_request(backend, request, claim.signed_headers());
  if (!canonical) return canonical.status();
  const auto to_sign = string_to_sign(backend, claim.date(), *canonical);
  if (!to_sign) return to_sign.status();
  const auto expected = compute_signature(backend, *to_sign, secret_key);
  if (!expected) return expected.status();
  return constant_time_equal(expected->expose(), claim.signature_)
             ? signature_status::ok
             : signature_status::signature_mismatch;
}

// Compile-time proof of the date and Authorization rules where they draw their lines.
static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(days_from_civil(1, 1, 1) == -719162);
static_assert(parse_sdk_date("20191115T033655Z") == 1573789015);
static_assert(parse_sdk_date("20240229T000000Z").has_value());
static_assert(!parse_sdk_date("20230229T000000Z").has_value());
static_assert(!parse_sdk_date("21000229T000000Z").has_value());
static_assert(parse_sdk_date("20000229T235959Z").has_value());
static_assert(!parse_sdk_date("20191115T033660Z").has_value());
static_assert(parse_authorization("SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, "
                                  "Signature=0000000000000000000000000000000000000000000000000000"
                                  "000000000000")
                  .has_value());
static_assert(parse_authorization("AWS4-HMAC-SHA256 Credential=x").status() ==
              signature_status::unknown_algorithm);

}  // namespace kmscore_host::http
