// System tests: the security review's findings against `kmscore serve` (issue 23), one test
// per finding of the front, each bounded in connections, bytes and time. Attack traffic
// comes from 127.0.0.2 and up, the well-behaved client from 127.0.0.1, so that per-address
// caps apply to the attackers only.
//
// Each test was run once by hand against commit 0f70773's server (cpp-httplib, a thread per
// connection), built beside this one:
//   KMSCORE_SERVE_TOOL=build/baseline-0f70773/build/release/tools/kmscore
//   build/dev/tests/attack_test
// and its comment says how that server failed it.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "support/serve_process.hpp"

namespace {

using namespace kmscore_test::serve;  // NOLINT(google-build-using-namespace)

class AttackTest : public server_fixture {
 protected:
  // A signed list-keys from 127.0.0.1 on a fresh connection, with the given patience.
  answer signed_list_keys(std::chrono::seconds patience) {
    httplib::Client client{"127.0.0.1", server().port()};
    client.set_connection_timeout(patience);
    client.set_read_timeout(patience);
    client.set_write_timeout(patience);
    call c;
    c.path = action_path(project_a, "list-keys");
    return send(client, c);
  }
};

// The first line of a request, then nothing for a while: what a slow client sends first.
constexpr std::string_view slow_start = "POST /v1.0/0123456789abcdef0123456789abcdef/kms/list-keys";

// Finding 1. 120 connections from two other addresses each send one byte every 2 s. A signed
// request from 127.0.0.1 meanwhile is answered at once, and every slow connection is closed
// when its request's deadline (5 s from its first byte) passes, though it keeps sending.
// 0f70773: its 64 workers were held; the signed request got no answer within 3 s (httplib's
// "Read" error), and only 18 of the 120 slow connections were closed after 8 s.
TEST_F(AttackTest, SlowClientsHoldNoWorkerAndAreClosedAtTheirDeadline) {
  ASSERT_TRUE(server().started()) << server().log();
  std::vector<std::unique_ptr<raw_connection>> slow;
  for (int i = 0; i < 120; ++i) {
    slow.push_back(
        std::make_unique<raw_connection>(server().port(), i % 2 ? "127.0.0.2" : "127.0.0.3"));
    ASSERT_TRUE(slow.back()->connected()) << i;
    ASSERT_TRUE(slow.back()->send(slow_start.substr(0, 1))) << i;
  }
  const auto first_byte = std::chrono::steady_clock::now();
  std::atomic<bool> dripping{true};
  std::thread drip{[&] {
    std::size_t next = 1;
    while (dripping) {
      std::this_thread::sleep_for(2s);
      for (auto& connection : slow) (void)connection->send(slow_start.substr(next, 1));
      next = next + 1 < slow_start.size() ? next + 1 : 1;
    }
  }};
  std::this_thread::sleep_for(3s);
  const auto a = signed_list_keys(3s);
  EXPECT_EQ(a.status, 200) << a.body;

  // Closed by the server at the deadline (5 s), give or take a second, though still sending.
  std::size_t closed = 0;
  for (auto& connection : slow) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        first_byte + 8s - std::chrono::steady_clock::now());
    if (connection->closed_by_peer(std::max(left, std::chrono::milliseconds{1}))) ++closed;
  }
  dripping = false;
  drip.join();
  EXPECT_EQ(closed, slow.size());
  EXPECT_NE(server().log().find("request not read within its deadline"), std::string::npos)
      << server().log();
}

// Its twin: a request sent whole, slowly but within its deadline, is served.
TEST_F(AttackTest, ARequestSentSlowlyWithinItsDeadlineIsServed) {
  call c;
  c.path = action_path(project_a, "list-keys");
  const auto wire = wire_request(c, server().port());
  raw_connection connection{server().port(), "127.0.0.2"};
  ASSERT_TRUE(connection.connected());
  const std::size_t pieces = 6;  // one every 500 ms: 3 s in all, under the 5 s deadline
  for (std::size_t i = 0; i < pieces; ++i) {
    const auto from = wire.size() * i / pieces;
    const auto to = wire.size() * (i + 1) / pieces;
    ASSERT_TRUE(connection.send(std::string_view{wire}.substr(from, to - from)));
    std::this_thread::sleep_for(500ms);
  }
  const auto a = connection.read_answer();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 200) << a->body;
}

// Finding 2. Four connections each stream up to 64 MiB of header lines. Each is answered 431
// with KMS.0203 at the 16 KiB cap, and closed long before it has sent 8 MiB; the server's
// memory grows by less than 16 MiB. 0f70773: it read every byte (64 MiB per connection)
// and had not answered 3 s later.
TEST_F(AttackTest, EndlessHeadersAreCutAtTheCap) {
  ASSERT_TRUE(server().started()) << server().log();
  const auto before = server().resident_kib();
  constexpr std::size_t budget = std::size_t{64} << 20;
  std::vector<std::size_t> sent(4, 0);
  std::vector<std::optional<answer>> answers(4);
  std::vector<std::thread> streams;
  for (std::size_t s = 0; s < 4; ++s) {
    streams.emplace_back([&, s] {
      raw_connection connection{server().port(), s % 2 ? "127.0.0.4" : "127.0.0.5"};
      if (!connection.connected()) return;
      std::string chunk = std::string{slow_start} + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
      const std::string line = "X-Filler: " + std::string(100, 'a') + "\r\n";
      while (chunk.size() < 65536) chunk += line;
      while (sent[s] < budget && connection.send(chunk)) sent[s] += chunk.size();
      answers[s] = connection.read_answer(3s);
    });
  }
  for (auto& stream : streams) stream.join();
  for (std::size_t s = 0; s < 4; ++s) {
    EXPECT_LT(sent[s], std::size_t{8} << 20) << s;
    ASSERT_TRUE(answers[s].has_value()) << s;
    expect_kms_error(*answers[s], 431, "KMS.0203");
  }
  const auto after = server().resident_kib();
  EXPECT_LT(after, before + std::size_t{16} * 1024) << before << " KiB, then " << after << " KiB";
  // Still serving.
  EXPECT_EQ(signed_list_keys(3s).status, 200);
}

// Finding 2, the field count: 64 header fields are served, 65 are refused with 431.
// 0f70773: 65 fields were served (200).
TEST_F(AttackTest, HeaderFieldsAreCountedToTheCap) {
  call c;
  c.path = action_path(project_a, "list-keys");
  const auto fields = headers_for(c, server().port()).size() + 1;  // and Content-Length
  for (const std::size_t total : {std::size_t{64}, std::size_t{65}}) {
    call padded = c;
    for (std::size_t i = fields; i < total; ++i) {
      padded.extra.emplace_back("X-Pad-" + std::to_string(i), "1");
    }
    raw_connection connection{server().port(), "127.0.0.2"};
    ASSERT_TRUE(connection.send(wire_request(padded, server().port())));
    const auto a = connection.read_answer();
    ASSERT_TRUE(a.has_value()) << total;
    if (total == 64) {
      EXPECT_EQ(a->status, 200) << a->body;
    } else {
      expect_kms_error(*a, 431, "KMS.0203");
    }
  }
}

// Finding 3. 2.3 MiB of headers and 1,901 signed names (each header's name two or three
// characters, so that the Authorization line stays under 8 KiB), for an unknown access key:
// refused at the header cap (431) before any signature work. 0f70773: read it all and
// checked the signature, name by name (401, after 21 ms here; the review's larger request
// took 3.16 s of CPU).
TEST_F(AttackTest, ManySignedNamesCostNoSignatureCheck) {
  constexpr std::string_view alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::vector<std::string> signed_names;
  for (std::size_t i = 0; signed_names.size() < 1901; ++i) {
    std::string name;
    for (std::size_t n = i < 1296 ? i : i - 1296, k = 0; k < (i < 1296 ? 2U : 3U); ++k) {
      name.insert(name.begin(), alphabet[n % 36]);
      n /= 36;
    }
    signed_names.push_back(name);
  }
  std::sort(signed_names.begin(), signed_names.end());
  std::string names;
  std::string headers;
  for (const auto& name : signed_names) {
    names += (names.empty() ? "" : ";") + name;
    headers += name + ": " + std::string(1200, 'v') + "\r\n";
  }
  const std::string wire = std::string{slow_start} + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                           "X-Sdk-Date: 20261207T000000Z\r\nAuthorization: SDK-HMAC-SHA256 " +
                           "Access=unknown, SignedHeaders=" + names +
                           ", Signature=" + std::string(64, '0') + "\r\n" + headers +
                           "Content-Length: 2\r\n\r\n{}";
  raw_connection connection{server().port(), "127.0.0.2"};
  const auto started = std::chrono::steady_clock::now();
  (void)connection.send(wire);  // the server may close before it has all of it
  const auto a = connection.read_answer(30s);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(a.has_value());
  expect_kms_error(*a, 431, "KMS.0203");
  std::cout << "answered in " << std::chrono::duration<double>(took).count() << " s\n";
}

// Finding 4. The framing headers are judged on their raw bytes: a percent-escape, a sign,
// two Content-Lengths (even equal, even in one list) or both framings are 400 KMS.0214,
// and the connection is closed (where the request ends is unknown). 0f70773: it decoded the
// escapes and answered `chunke%64` and `%32` with 200 on a connection it kept open.
TEST_F(AttackTest, FramingIsJudgedOnTheRawBytes) {
  call c;
  c.path = action_path(project_a, "list-keys");
  const auto signed_head = [&](const std::string& framing) {
    std::string text = c.method + " " + c.path + " HTTP/1.1\r\n";
    for (const auto& [name, value] : headers_for(c, server().port())) {
      text.append(name).append(": ").append(value).append("\r\n");
    }
    return text + framing + "\r\n";
  };
  const std::vector<std::string> refused{
      "Transfer-Encoding: chunke%64\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
      "Content-Length: %32\r\n\r\n{}",
      "Content-Length: +2\r\n\r\n{}",
      "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
      "Content-Length: 2, 2\r\n\r\n{}",
      "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
      "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
      "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
  };
  for (const auto& framing : refused) {
    raw_connection connection{server().port(), "127.0.0.2"};
    ASSERT_TRUE(connection.send(signed_head(framing)));
    const auto a = connection.read_answer();
    ASSERT_TRUE(a.has_value()) << framing;
    expect_kms_error(*a, 400, "KMS.0214");
    EXPECT_EQ(a->header("Connection"), "close") << framing;
    EXPECT_TRUE(connection.closed_by_peer(3s)) << framing;
  }
  // The twins: each framing, written plainly, is served.
  for (const std::string framing :
       {"Content-Length: 2\r\n\r\n{}", "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"}) {
    raw_connection connection{server().port(), "127.0.0.2"};
    ASSERT_TRUE(connection.send(signed_head(framing)));
    const auto a = connection.read_answer();
    ASSERT_TRUE(a.has_value()) << framing;
    EXPECT_EQ(a->status, 200) << framing << a->body;
  }
}

// The connection caps: an address holding its share is refused (429 APIGW.0308, closed),
// others are not; a freed place is taken again; past the total, 503. 0f70773: no caps
// (and no flags for them: the server does not start).
TEST_F(AttackTest, ConnectionsAreCappedPerAddressAndInTotal) {
  server_ = start({"--max-connections-per-address", "8", "--max-connections", "12"});
  ASSERT_TRUE(server_->started()) << server_->log();
  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<raw_connection>(server_->port(), "127.0.0.2"));
    ASSERT_TRUE(held.back()->connected());
  }
  // Accepted connections are counted when the server takes them: let it take the eight.
  std::this_thread::sleep_for(300ms);
  raw_connection ninth{server_->port(), "127.0.0.2"};
  const auto refused = ninth.read_answer(3s);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->body_json()["error_code"], "APIGW.0308") << refused->body;
  EXPECT_TRUE(ninth.closed_by_peer(3s));

  // 127.0.0.1 is served meanwhile; then a place freed at 127.0.0.2 is taken again.
  EXPECT_EQ(signed_list_keys(3s).status, 200);
  held.pop_back();
  std::this_thread::sleep_for(300ms);
  call c;
  c.path = action_path(project_a, "list-keys");
  raw_connection again{server_->port(), "127.0.0.2"};
  ASSERT_TRUE(again.send(wire_request(c, server_->port())));
  const auto served = again.read_answer(3s);
  ASSERT_TRUE(served.has_value());
  EXPECT_EQ(served->status, 200) << served->body;

  // 8 from 127.0.0.2 and 4 from 127.0.0.3 fill the 12; the 13th, from a third address: 503.
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<raw_connection>(server_->port(), "127.0.0.3"));
  }
  std::this_thread::sleep_for(300ms);
  raw_connection over{server_->port(), "127.0.0.4"};
  const auto full = over.read_answer(3s);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->status, 503);
  EXPECT_EQ(full->body_json()["error_code"], "APIGW.0308") << full->body;
  EXPECT_NE(server_->log().find("connection refused"), std::string::npos);
}

}  // namespace
