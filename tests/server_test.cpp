// End to end: `kmscore serve` as a process on port 0 (shared spec http.md, cli.md
// "Additions"), spoken to with httplib's client and, where the bytes on the wire matter
// (framing, keep-alive, a missing Content-Type), a raw socket. Requests are signed by a small
// signer built from the public builders of request_signature.hpp.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kmscore/backend/sodium.hpp>
#include <nlohmann/json.hpp>
#include "request_signature.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "credentials.hpp"
#include "kms_server.hpp"
#include "server.hpp"
#include "support/failing_store.hpp"
#include "support/serve_process.hpp"
#include "support/signed_call.hpp"

namespace {

using namespace kmscore_test::serve;  // NOLINT(google-build-using-namespace)

class ServerTest : public server_fixture {
 protected:
  // A signed request on a route of project_a (api-metadata.md §0.1): a GET sends no
  // Content-Type, other methods the JSON one.
  answer route(std::string method, const std::string& path, std::string body) {
    call c;
    c.method = std::move(method);
    c.path = "/v1.0/" + std::string{project_a} + "/kms/" + path;
    c.body = std::move(body);
    if (c.method == "GET") c.content_type.reset();
    return send(c);
  }
};

TEST_F(ServerTest, CreateKeyDatakeyAndDecryptRoundTrip) {
  const auto made = act(project_a, "create-key", R"({"key_alias":"http-round-trip"})");
  ASSERT_EQ(made.status, 200) << made.body;
  expect_common_headers(made);
  EXPECT_EQ(made.header("Cache-Control"), "no-store");
  const auto key = made.body_json()["key_info"];
  EXPECT_EQ(key["domain_id"], domain_a);  // the credentials' domain_id for this project
  const std::string id = R"({"key_id":")" + key["key_id"].get<std::string>() + "\"";

  const auto dek = act(project_a, "create-datakey", id + R"(,"datakey_length":"512"})");
  ASSERT_EQ(dek.status, 200) << dek.body;
  expect_common_headers(dek);
  const auto cipher = dek.body_json()["cipher_text"].get<std::string>();
  const auto opened =
      act(project_a, "decrypt-datakey",
          id + R"(,"cipher_text":")" + cipher + R"(","datakey_cipher_length":"64"})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  EXPECT_EQ(opened.body_json()["data_key"], dek.body_json()["plain_text"]);

  // A key of one project is not found through another.
  const auto elsewhere = act(project_b, "describe-key", id + "}");
  expect_kms_error(elsewhere, 404, "KMS.0207");
  // Action errors come from the JSON layer, with the request id added.
  expect_kms_error(act(project_a, "create-key", "{not json"), 400, "KMS.0202");
}

// --audit-log (issue 24): every request that reaches an action is recorded with the request id
// its client got, the access key, project, client address, action, key and outcome, and never
// a data key; refused authentications are recorded too, at most five a second per address and
// reason (a flood of 40 adds at most ten lines in two seconds, the rest counted in
// "suppressed"); the trail ends with a checkpoint when the server stops, and verifies.
TEST_F(ServerTest, AuditTrailRecordsEveryRequestAndAFewRefusals) {
  const auto trail = dir_ / "audit.jsonl";
  server_ = start({"--audit-log", trail.string()});
  ASSERT_TRUE(server_->started()) << server_->log();
  const auto made = act(project_a, "create-key", R"({"key_alias":"audited"})");
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string id = made.body_json()["key_info"]["key_id"];
  const auto dek =
      act(project_a, "create-datakey", R"({"key_id":")" + id + R"(","datakey_length":"256"})");
  ASSERT_EQ(dek.status, 200);
  const auto missing =
      act(project_a, "describe-key", R"({"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f"})");
  EXPECT_EQ(missing.status, 404);
  call untag;  // a DELETE with the key id in the path: recorded with that key id, whatever
  untag.method = "DELETE";  // key id a body sent with it names (the action ignores it too)
  untag.path = "/v1.0/" + std::string{project_a} + "/kms/" + id + "/tags/env";
  untag.body = R"({"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","key_alias":"ignored"})";
  untag.content_type.reset();
  EXPECT_EQ(send(untag).status, 404);  // KMS.0416: no such tag
  for (int i = 0; i < 40; ++i) {
    call unsigned_call;
    unsigned_call.path = action_path(project_a, "list-keys");
    unsigned_call.sign = false;
    EXPECT_EQ(send(unsigned_call).status, 401);
  }
  ASSERT_EQ(server_->stop(), 0) << server_->log();
  const auto text = slurp(trail);
  EXPECT_EQ(text.find(dek.body_json()["plain_text"].get<std::string>()), std::string::npos);
  std::vector<json> requests;
  std::vector<json> refusals;
  for (std::istringstream lines{text}; !lines.eof();) {
    std::string line;
    std::getline(lines, line);
    if (line.empty()) continue;
    auto record = json::parse(line);
    if (record["type"] == "request") requests.push_back(record);
    if (record["type"] == "auth_failure") refusals.push_back(record);
  }
  ASSERT_EQ(requests.size(), 4U);
  EXPECT_EQ(requests[0]["request_id"], made.header("X-Request-Id"));
  EXPECT_EQ(requests[0]["access_key"], "tester-ak");
  EXPECT_EQ(requests[0]["project"], std::string{project_a});
  EXPECT_EQ(requests[0]["client"], "127.0.0.1");
  EXPECT_EQ(requests[0]["action"], "create-key");
  EXPECT_EQ(requests[0]["key_id"], id);
  EXPECT_EQ(requests[1]["request_id"], dek.header("X-Request-Id"));
  EXPECT_EQ(requests[1]["key_version"], 0);
  EXPECT_EQ(requests[2]["status"], 404);
  EXPECT_EQ(requests[2]["error_code"], "KMS.0207");
  EXPECT_EQ(requests[3]["action"], "delete-tag");
  EXPECT_EQ(requests[3]["key_id"], id);
  EXPECT_EQ(requests[3]["error_code"], "KMS.0416");
  EXPECT_EQ(requests[3].value("key_alias", ""), "");  // from the body no action read
  EXPECT_GE(refusals.size(), 5U);
  EXPECT_LE(refusals.size(), 15U);  // at most five in each second the flood spans
  EXPECT_EQ(refusals[0]["reason"].get<std::string>().rfind("no_credentials: ", 0), 0U);
  EXPECT_EQ(refusals[0]["client"], "127.0.0.1");
  EXPECT_EQ(refusals[0]["status"], 401);
  EXPECT_EQ(refusals[0]["error_code"], "APIGW.0301");
  const auto last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  EXPECT_EQ(json::parse(last)["type"], "checkpoint");  // written when the server stopped
  // The power-loss window it measured, logged at the stop.
  const std::regex window{
      "kmscore: audit: [0-9]+ fdatasyncs; the longest wait of a written record for its "
      "fdatasync [0-9]+ us, the longest fdatasync [0-9]+ us"};
  EXPECT_TRUE(std::regex_search(server_->log(), window)) << server_->log();
}

// Issue 23, finding 8: a crash must not write the credentials' secret keys or the root key
// into a core file. The server turns core files off (soft and hard limit 0) and marks itself
// non-dumpable before it reads any secret. (0f70773's server kept the shell's limit.)
TEST_F(ServerTest, CoreFilesAreOffForTheServer) {
  ASSERT_TRUE(server().started());
  const auto limits = slurp("/proc/" + std::to_string(server().pid()) + "/limits");
  const std::regex core{"Max core file size +0 +0 +bytes"};
  EXPECT_TRUE(std::regex_search(limits, core)) << limits;
  // Its twin: this test process keeps core files as configured (the check reads a real row).
  const auto own = slurp("/proc/self/limits");
  EXPECT_NE(own.find("Max core file size"), std::string::npos) << own;
}

TEST_F(ServerTest, ProjectWithoutDomainGetsAFreshOneKeptInTheStore) {
  // other-ak's entry gives no domain_id; tester-ak's gives domain_a to both its projects.
  call c;
  c.path = action_path(project_c, "create-key");
  c.access_key = other_ak;
  c.secret_key = other_sk;
  c.body = R"({"key_alias":"one"})";
  const auto first = send(c);
  ASSERT_EQ(first.status, 200) << first.body;
  const auto domain = first.body_json()["key_info"]["domain_id"].get<std::string>();
  EXPECT_TRUE(std::regex_match(domain, std::regex{"[0-9a-f]{32}"})) << domain;
  EXPECT_NE(domain, domain_a);
  c.body = R"({"key_alias":"two"})";
  EXPECT_EQ(send(c).body_json()["key_info"]["domain_id"], domain);
  EXPECT_EQ(
      act(project_b, "create-key", R"({"key_alias":"b"})").body_json()["key_info"]["domain_id"],
      domain_a);
}

TEST_F(ServerTest, OtherMethodOnAnActionIs405) {
  for (const std::string method : {"GET", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    call c;
    c.method = method;
    c.path = action_path(project_a, "create-key");
    const auto a = send(c);
    expect_kms_error(a, 405, "KMS.0215");
    EXPECT_EQ(a.body_json()["error"]["error_msg"], "Request method not supported.");
    EXPECT_EQ(a.header("Allow"), "POST");
  }
}

TEST_F(ServerTest, UnknownPathsAndBadProjectIdsAre400InvalidUrl) {
  const std::vector<std::string> paths{
      action_path(project_a, "no-such-action"),
      action_path(project_a, "create-key") + "/",
      action_path(project_a, "create-key") + "/more",
      action_path(project_a, ""),
      "/v1.0/" + std::string{project_a} + "/create-key",
      "/v2.0/" + std::string{project_a} + "/kms/create-key",
      "/",
      "/v1.0",
      "/v1.0/" + std::string{project_a} + "/kms/create-key%2Fmore",    // a '/' in a segment
      "/v1.0/" + std::string{project_a} + "/kms/create%FFkey",         // not UTF-8
      action_path("0123456789ABCDEF0123456789ABCDEF", "create-key"),   // upper case
      action_path("0123456789abcdef0123456789abcde", "create-key"),    // 31
      action_path("0123456789abcdef0123456789abcdef0", "create-key"),  // 33
      action_path("0123456789abcdef0123456789abcdeg", "create-key"),   // not hex
      action_path("", "create-key"),
  };
  for (const auto& path : paths) {
    call c;
    c.path = path;
    const auto a = send(c);
    expect_kms_error(a, 400, "KMS.0201");
    EXPECT_EQ(a.body_json()["error"]["error_msg"], "Invalid request URL.") << path;
  }
  call get;
  get.method = "GET";
  get.path = "/v1.0/" + std::string{project_a} + "/kms/user-quota";  // not 405: unknown path
  expect_kms_error(send(get), 400, "KMS.0201");
}

// api-metadata.md §0: GET and DELETE routes, the key id and a tag key in the path, 204
// answers without a body or Content-Type, and the refusals of §0.2.
TEST_F(ServerTest, MetadataRoutesTakeMethodsPathsAndTheirRefusals) {
  const auto key_id = act(project_a, "create-key", R"({"key_alias":"routed"})")
                          .body_json()["key_info"]["key_id"]
                          .get<std::string>();
  const auto kms = "/v1.0/" + std::string{project_a} + "/kms/";
  const auto request = [&](std::string method, const std::string& path, std::string body) {
    call c;
    c.method = std::move(method);
    c.path = kms + path;
    c.body = std::move(body);
    if (c.method != "POST") c.content_type.reset();
    return send(c);
  };
  const auto no_content = [](const answer& a) {
    EXPECT_EQ(a.status, 204) << a.body;
    EXPECT_EQ(a.body, "");
    EXPECT_EQ(a.header("Content-Type"), "");
    EXPECT_EQ(a.header("X-Request-Id").size(), 32U);
  };
  no_content(request("POST", key_id + "/tags", R"({"tag":{"key":"env","value":"prod"}})"));
  no_content(request("POST", key_id + "/tags", R"({"tag":{"key":"环境 1","value":"测试"}})"));
  no_content(request("POST", key_id + "/tags", R"({"tag":{"key":"a/b"}})"));
  no_content(request("POST", key_id + "/tags/action",
                     R"({"action":"create","tags":[{"key":"action","value":"x"},)"
                     R"({"key":"team","value":"kms"}]})"));
  const auto shown = request("GET", key_id + "/tags", "");
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(shown.body_json()["existTagsNum"], 5);
  EXPECT_EQ(shown.body_json()["tags"][0]["key"], "a/b");
  // A body sent with a GET is ignored (its key_id too), and needs no JSON Content-Type.
  call with_body;
  with_body.method = "GET";
  with_body.path = kms + key_id + "/tags";
  with_body.body = R"({"key_id":"not a key"})";
  with_body.content_type = "text/plain";
  EXPECT_EQ(send(with_body).body, shown.body);
  // A UTF-8 tag key, a %2F inside a segment, and the tag named "action" under DELETE.
  no_content(request("DELETE", key_id + "/tags/%E7%8E%AF%E5%A2%83%201", ""));
  no_content(request("DELETE", key_id + "/tags/a%2Fb", ""));
  no_content(request("DELETE", key_id + "/tags/action", ""));
  const auto missing = request("DELETE", key_id + "/tags/env2", "");
  expect_kms_error(missing, 404, "KMS.0416");
  EXPECT_EQ(missing.body_json()["error"]["error_msg"], "Invalid tag ID.");
  EXPECT_EQ(request("GET", key_id + "/tags", "").body_json()["existTagsNum"], 2);
  EXPECT_EQ(request("GET", "tags", "").body,
            R"({"tags":[{"key":"env","values":["prod"]},{"key":"team","values":["kms"]}]})");
  EXPECT_EQ(request("GET", "user-instances", "").body, R"({"instance_num":1})");
  EXPECT_EQ(request("GET", "user-quotas", "").body,
            R"({"quotas":{"resources":[{"type":"CMK","used":1,"quota":2147483647},)"
            R"({"type":"grant_per_CMK","used":0,"quota":100}]}})");
  const auto found = request("POST", "resource_instances/action",
                             R"({"action":"filter","tags":[{"key":"team","values":["kms"]}]})");
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(found.body_json()["total_count"], 1);
  EXPECT_EQ(found.body_json()["resources"][0]["resource_id"], key_id);
  EXPECT_EQ(found.body_json()["resources"][0]["resource_name"], "routed");
  // An escape in a literal segment is decoded once, as the signature decodes it.
  EXPECT_EQ(request("POST", "describe%2Dkey", R"({"key_id":")" + key_id + R"("})").status, 200);

  // A known path with another method: 405 and the path's methods.
  const std::vector<std::tuple<std::string, std::string, std::string>> wrong_method{
      {"PUT", key_id + "/tags", "GET, POST"},
      {"DELETE", key_id + "/tags", "GET, POST"},
      {"GET", key_id + "/tags/action", "POST, DELETE"},
      {"GET", key_id + "/tags/env", "DELETE"},
      {"POST", "user-quotas", "GET"},
      {"DELETE", "tags", "GET"},
      {"GET", "resource_instances/action", "POST"},
      {"GET", "describe-key", "POST"},
  };
  for (const auto& [method, path, allowed] : wrong_method) {
    const auto a = request(method, path, method == "POST" ? "{}" : "");
    expect_kms_error(a, 405, "KMS.0215");
    EXPECT_EQ(a.header("Allow"), allowed) << method << " " << path;
  }
  // A key id in the path that is not one (alias forms included): KMS.0205.
  for (const std::string& bad :
       {std::string{"not-a-key"}, std::string{"alias%2Fapp"}, key_id + "0"}) {
    expect_kms_error(request("GET", bad + "/tags", ""), 400, "KMS.0205");
  }
  expect_kms_error(request("POST", "resources/action", "{}"), 400, "KMS.0408");
  expect_kms_error(request("POST", key_id + "/action", "{}"), 400, "KMS.0408");
  // Dot segments, escaped or not: the signature would drop them from the path it covers.
  for (const std::string& dots : {key_id + "/tags/%2E", key_id + "/tags/%2e%2E", key_id + "/tags/.",
                                  key_id + "/tags/..", key_id + "/./tags"}) {
    call c;
    c.method = "DELETE";
    c.path = kms + dots;
    c.body.clear();
    c.content_type.reset();
    c.sign = false;  // refused before the signature is read
    expect_kms_error(send(c), 400, "KMS.0201");
  }
  for (const std::string& unknown : {key_id + "/tags/", key_id + "/tags/a/b", key_id + "/tag",
                                     "tags/" + key_id, key_id + "//tags"}) {
    expect_kms_error(request("GET", unknown, ""), 400, "KMS.0201");
  }
}

// The alias routes (api-metadata.md §0.1, §5): POST/DELETE/GET aliases, POST alias/associate;
// list-aliases reads its signed query string; a query name given twice is KMS.0308.
TEST_F(ServerTest, AliasRoutesTakeBodiesAndTheQueryString) {
  const auto make = [&](const char* alias) {
    return act(project_a, "create-key", std::string{R"({"key_alias":")"} + alias + R"("})")
        .body_json()["key_info"]["key_id"]
        .get<std::string>();
  };
  const auto first = make("first");
  const auto second = make("second");
  const auto request = [&](std::string method, const std::string& path, std::string body) {
    return route(std::move(method), path, std::move(body));
  };
  const auto created =
      request("POST", "aliases", R"({"key_id":")" + first + R"(","alias":"alias/web-1"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.header("Content-Type"), "application/json;charset=UTF-8");
  EXPECT_EQ(created.body_json()["alias_urn"].get<std::string>().substr(0, 10), "kms:local:");
  for (const char* alias : {"alias/web-2", "alias/web-3"}) {
    ASSERT_EQ(
        request("POST", "aliases", R"({"key_id":")" + first + R"(","alias":")" + alias + R"("})")
            .status,
        201);
  }
  const auto page = request("GET", "aliases?limit=2&key_id=" + first, "");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.body_json()["page_info"]["next_marker"], "alias/web-2");
  EXPECT_EQ(page.body_json()["page_info"]["current_count"], 2);
  // Escaped values are decoded once; unknown names are ignored.
  const auto rest = request("GET", "aliases?marker=alias%2Fweb-2&other=1", "");
  ASSERT_EQ(rest.status, 200) << rest.body;
  EXPECT_EQ(rest.body_json()["aliases"].size(), 1U);
  EXPECT_EQ(rest.body_json()["aliases"][0]["alias"], "alias/web-3");
  const auto twice = request("GET", "aliases?limit=1&limit=2", "");
  expect_kms_error(twice, 400, "KMS.0308");
  EXPECT_EQ(twice.body_json()["error"]["error_msg"], "Invalid limit.");
  expect_kms_error(request("GET", "aliases?limit=0", ""), 400, "KMS.1601");
  expect_kms_error(request("GET", "aliases?key_id=alias%2Fweb-1", ""), 400, "KMS.0205");
  const auto moved = request("POST", "alias/associate",
                             R"({"alias":"alias/web-3","target_key_id":")" + second + R"("})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.body_json()["key_id"], second);
  // delete-alias carries a JSON body on DELETE.
  const auto deleted =
      request("DELETE", "aliases", R"({"key_id":")" + first + R"(","aliases":["alias/web-1"]})");
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(deleted.body, "");
  EXPECT_EQ(deleted.header("Content-Type"), "");
  const auto listed = request("GET", "aliases", "");
  EXPECT_EQ(listed.body_json()["aliases"].size(), 2U);
  // A key named by alias in an action of §6.
  const auto described = request("POST", "describe-key", R"({"key_id":"alias/web-3"})");
  EXPECT_EQ(described.body_json()["key_info"]["key_id"], second);
  for (const auto& [method, path, allowed] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"PUT", "aliases", "GET, POST, DELETE"}, {"GET", "alias/associate", "POST"}}) {
    const auto a = request(method, path, "{}");
    expect_kms_error(a, 405, "KMS.0215");
    EXPECT_EQ(a.header("Allow"), allowed);
  }
}

// The unauthenticated probes (cli.md, Additions 2026-12-06): GET /health and GET /ready
// answer without a signature; anything else on those paths is an unknown URL.
TEST_F(ServerTest, HealthAndReadyAnswerUnauthenticatedGets) {
  for (const char* path : {"/health", "/ready", "/ready?verbose=1"}) {
    call probe;
    probe.method = "GET";
    probe.path = path;
    probe.sign = false;
    probe.body.clear();
    const auto a = send(probe);
    EXPECT_EQ(a.status, 200) << path;
    EXPECT_EQ(a.body, R"({"status":"ok"})") << path;
    expect_common_headers(a);
  }
  for (const auto& [method, path] : {std::pair{"POST", "/health"}, std::pair{"GET", "/healthz"},
                                     std::pair{"GET", "/ready/"}, std::pair{"PUT", "/ready"}}) {
    call other;
    other.method = method;
    other.path = path;
    other.sign = false;
    expect_kms_error(send(other), 400, "KMS.0201");
  }
}

// One access line per request, a JSON object: the request id, the access key and project
// (when well-formed), the action, the status and the duration; never a secret or signature.
TEST_F(ServerTest, EveryRequestHasOneAccessLine) {
  const auto made = act(project_a, "create-key", R"({"key_alias":"logged"})");
  ASSERT_EQ(made.status, 200) << made.body;
  call stranger;
  stranger.path = action_path(project_a, "describe-key");
  stranger.access_key = "nobody";
  const auto refused = send(stranger);
  ASSERT_EQ(refused.status, 401);
  call probe;
  probe.method = "GET";
  probe.path = "/health";
  probe.sign = false;
  ASSERT_EQ(send(probe).status, 200);

  // Each access line is written just after its answer is sent: read until all three are in.
  std::string text = server().log();
  const auto access_lines = [](const std::string& all) {
    std::size_t count = 0;
    for (auto at = all.find("{\"access\""); at != std::string::npos;
         at = all.find("{\"access\"", at + 1)) {
      ++count;
    }
    return count;
  };
  for (int i = 0; i < 200 && access_lines(text) < 3; ++i) {
    std::this_thread::sleep_for(10ms);
    text = server().log();
  }
  std::map<std::string, json> lines;  // by request id
  std::istringstream log{text};
  for (std::string line; std::getline(log, line);) {
    const auto at = line.find("{\"access\"");
    if (at == std::string::npos) continue;
    const auto parsed = json::parse(line.substr(at), nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << line;
    lines[parsed["access"].get<std::string>()] = parsed;
  }
  const auto& ok = lines[made.header("X-Request-Id")];
  EXPECT_EQ(ok["access_key"], tester_ak);
  EXPECT_EQ(ok["project"], project_a);
  EXPECT_EQ(ok["action"], "create-key");
  EXPECT_EQ(ok["status"], 200);
  EXPECT_TRUE(ok["duration_ms"].is_number() && ok["duration_ms"].get<double>() >= 0);
  const auto& denied = lines[refused.header("X-Request-Id")];
  EXPECT_EQ(denied["access_key"], "nobody");
  EXPECT_EQ(denied["action"], "describe-key");
  EXPECT_EQ(denied["status"], 401);
  EXPECT_EQ(lines.size(), 3U);  // the probe's too
  for (const auto& [id, line] : lines) {
    if (id != made.header("X-Request-Id") && id != refused.header("X-Request-Id")) {
      EXPECT_TRUE(line["access_key"].is_null() && line["project"].is_null() &&
                  line["action"].is_null());
      EXPECT_EQ(line["status"], 200);
    }
  }
  EXPECT_EQ(text.find(std::string{tester_sk}), std::string::npos);
  EXPECT_EQ(text.find("Signature="), std::string::npos);
}

TEST_F(ServerTest, OversizedContentLengthIsRefusedBeforeTheBodyIsSent) {
  raw_connection connection{server().port()};
  ASSERT_TRUE(connection.connected());
  // Headers only: the answer must come without a byte of the body.
  ASSERT_TRUE(connection.send("POST " + action_path(project_a, "create-key") +
                              " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              "Content-Length: " +
                              std::to_string(body_cap + 1) + "\r\n\r\n"));
  const auto started = std::chrono::steady_clock::now();
  const auto a = connection.read_answer(3s);
  ASSERT_TRUE(a.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  expect_kms_error(*a, 400, "KMS.0203");
  EXPECT_EQ(a->header("Connection"), "close");
  EXPECT_TRUE(connection.closed_by_peer(3s));  // the unread body is never taken for a request

  // A client that waits for 100 Continue is answered at once as well.
  raw_connection waiting{server().port()};
  ASSERT_TRUE(waiting.send("POST " + action_path(project_a, "create-key") +
                           " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                           "Content-Length: 10000000\r\n\r\n"));
  const auto refused = waiting.read_answer(3s);
  ASSERT_TRUE(refused.has_value());
  expect_kms_error(*refused, 400, "KMS.0203");
}

TEST_F(ServerTest, BodyAtTheCapIsReadAndAuthenticated) {
  call c;
  c.path = action_path(project_a, "create-key");
  c.body = "{}" + std::string(body_cap - 2, ' ');
  const auto a = send(c);
  expect_kms_error(a, 400, "KMS.0204");  // past size and signature: key_alias is missing
}

TEST_F(ServerTest, OversizedChunkedBodyIsRefused) {
  raw_connection connection{server().port()};
  std::string request = "POST " + action_path(project_a, "create-key") +
                        " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(8192, ' ');
  for (std::size_t sent = 0; sent <= body_cap; sent += chunk.size()) {
    request += "2000\r\n" + chunk + "\r\n";
  }
  request += "0\r\n\r\n";
  ASSERT_TRUE(connection.send(request));
  const auto a = connection.read_answer();
  ASSERT_TRUE(a.has_value());
  expect_kms_error(*a, 400, "KMS.0203");
  EXPECT_EQ(a->header("Connection"), "close");
}

TEST_F(ServerTest, ChunkedBodyUnderTheCapIsServed) {
  call c;
  c.path = action_path(project_a, "list-keys");
  const auto signed_request = wire_request(c, server().port());
  // The same request, its body sent in two chunks instead of with a Content-Length.
  const auto head = signed_request.substr(0, signed_request.find("Content-Length:"));
  raw_connection connection{server().port()};
  ASSERT_TRUE(
      connection.send(head + "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n1\r\n}\r\n0\r\n\r\n"));
  const auto a = connection.read_answer();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 200) << a->body;
}

TEST_F(ServerTest, NoCredentialsIsAGatewayError) {
  call c;
  c.path = action_path(project_a, "list-keys");
  c.sign = false;
  const auto a = send(c);
  expect_gateway_error(a, "x-auth-token not found");
  EXPECT_NE(server().log().find("authentication failed"), std::string::npos);
}

TEST_F(ServerTest, TokenAloneIs403InvalidToken) {
  call c;
  c.path = action_path(project_a, "list-keys");
  c.sign = false;
  c.extra = {{"X-Auth-Token", "MIIE-some-iam-token"}};
  const auto a = send(c);
  expect_kms_error(a, 403, "KMS.0302");
  EXPECT_EQ(a.body_json()["error"]["error_msg"], "Invalid X-Auth-Token.");
}

TEST_F(ServerTest, SignatureWithATokenBesideItIsChecked) {
  call c;
  c.path = action_path(project_a, "list-keys");
  c.extra = {{"X-Auth-Token", "ignored"}};
  EXPECT_EQ(send(c).status, 200);
  c.secret_key = "wrong-secret-key-0123456789";
  expect_gateway_error(send(c), "verify aksk signature fail");
}

TEST_F(ServerTest, BadSignaturesAreGatewayErrors) {
  call c;
  c.path = action_path(project_a, "list-keys");

  call wrong_secret = c;
  wrong_secret.secret_key = "not-the-secret-key-0123456789";
  expect_gateway_error(send(wrong_secret), "verify aksk signature fail");

  call unknown = c;
  unknown.access_key = "nobody";
  expect_gateway_error(send(unknown), "Get secretKey failed");

  call expired = c;
  expired.clock_offset = std::int64_t{-20} * 60;
  expect_gateway_error(send(expired), "calc ak sk signature fail:signature expired");
  call future = c;
  future.clock_offset = std::int64_t{20} * 60;
  expect_gateway_error(send(future), "calc ak sk signature fail:signature expired");

  call altered = c;
  altered.signed_body = R"({"limit":"1"})";
  altered.body = R"({"limit":"2"})";
  expect_gateway_error(send(altered), "verify aksk signature fail");

  call unsigned_payload = c;
  unsigned_payload.unsigned_payload = true;
  expect_gateway_error(send(unsigned_payload), "verify aksk signature fail");

  // The log names the reason and the access key, never a secret or a signature.
  const auto log = server().log();
  EXPECT_NE(log.find("signature mismatch; access_key=tester-ak"), std::string::npos) << log;
  EXPECT_NE(log.find("unknown access key; access_key=nobody"), std::string::npos) << log;
  EXPECT_NE(log.find("signature expired"), std::string::npos) << log;
  EXPECT_NE(log.find("UNSIGNED-PAYLOAD refused"), std::string::npos) << log;
  EXPECT_EQ(log.find(std::string{tester_sk}), std::string::npos);
  EXPECT_EQ(log.find("Signature="), std::string::npos);
}

TEST_F(ServerTest, CredentialOnAnotherProjectIs403) {
  const auto a = act(project_c, "list-keys", "{}");
  expect_kms_error(a, 403, "KMS.0321");
  EXPECT_EQ(a.body_json()["error"]["error_msg"], "URIs in URL and X-Auth-Token do not match.");
  call other;
  other.path = action_path(project_c, "list-keys");
  other.access_key = other_ak;
  other.secret_key = other_sk;
  EXPECT_EQ(send(other).status, 200);
}

TEST_F(ServerTest, ContentTypeMustBeJsonWhenPresent) {
  call c;
  c.path = action_path(project_a, "list-keys");
  for (const std::string type :
       {"text/plain", "application/xml", "application/jsonx", "multipart/form-data; boundary=x"}) {
    c.content_type = type;
    const auto a = send(c);
    expect_kms_error(a, 400, "KMS.0214");
    EXPECT_EQ(a.body_json()["error"]["error_msg"], "The request format is invalid.");
  }
  for (const std::string type : {"application/json", "application/json;charset=UTF-8",
                                 "application/json; charset=utf-8", "Application/JSON"}) {
    c.content_type = type;
    EXPECT_EQ(send(c).status, 200) << type;
  }
  // Absent: treated as JSON (httplib's client would add text/plain, so raw bytes here).
  c.content_type.reset();
  raw_connection connection{server().port()};
  ASSERT_TRUE(connection.send(wire_request(c, server().port())));
  const auto a = connection.read_answer();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 200) << a->body;
}

TEST_F(ServerTest, NeitherRangeNorCompressionAltersAnAnswer) {
  call c;
  c.path = action_path(project_a, "list-keys");
  c.extra = {{"Range", "bytes=0-3"}, {"Accept-Encoding", "gzip, br"}};
  const auto a = send(c);
  EXPECT_EQ(a.status, 200);
  EXPECT_TRUE(a.body_json().is_object()) << a.body;
  EXPECT_EQ(a.header("Content-Range"), "");
  expect_common_headers(a);
}

TEST_F(ServerTest, KeepAliveServesTwentyRequestsOnOneConnection) {
  call c;
  c.path = action_path(project_a, "list-keys");
  raw_connection connection{server().port()};
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(connection.send(wire_request(c, server().port()))) << i;
    const auto a = connection.read_answer();
    ASSERT_TRUE(a.has_value()) << "request " << i;
    EXPECT_EQ(a->status, 200) << a->body;
    EXPECT_NE(a->header("Connection"), "close") << i;
    expect_common_headers(*a);
  }
  // Errors that leave the stream intact keep it open too.
  call unsigned_call = c;
  unsigned_call.sign = false;
  ASSERT_TRUE(connection.send(wire_request(unsigned_call, server().port())));
  const auto refused = connection.read_answer();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 401);
  ASSERT_TRUE(connection.send(wire_request(c, server().port())));
  const auto again = connection.read_answer();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
}

TEST_F(ServerTest, ThirtyTwoKeepAliveClientsAtOnce) {
  call c;
  c.path = action_path(project_a, "list-keys");
  const int port = server().port();
  std::atomic<int> served{0};
  std::vector<std::thread> clients;
  clients.reserve(32);
  for (int i = 0; i < 32; ++i) {
    clients.emplace_back([&] {
      raw_connection connection{port};
      for (int n = 0; n < 10; ++n) {
        if (!connection.send(wire_request(c, port))) return;
        const auto a = connection.read_answer(20s);
        if (!a || a->status != 200) return;
        ++served;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(served, 320);
}

TEST_F(ServerTest, SigtermWhileIdleExitsZeroAndTheKeysStay) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const auto made =
        act(project_a, "create-key", R"({"key_alias":"kept-)" + std::to_string(i) + "\"}");
    ASSERT_EQ(made.status, 200) << made.body;
    ids.push_back(made.body_json()["key_info"]["key_id"].get<std::string>());
  }
  EXPECT_EQ(server().stop(SIGTERM), 0) << server().log();
  EXPECT_NE(server().log().find("kmscore: stopped"), std::string::npos);

  auto second = start();
  ASSERT_TRUE(second->started()) << second->log();
  httplib::Client client{"127.0.0.1", second->port()};
  call list;
  list.path = action_path(project_a, "list-keys");
  httplib::Request request;
  request.method = "POST";
  request.path = list.path;
  request.body = list.body;
  for (const auto& [name, value] : headers_for(list, second->port())) {
    request.headers.emplace(name, value);
  }
  const auto listed = client.send(request);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->status, 200) << listed->body;
  const auto keys = json::parse(listed->body)["keys"];
  EXPECT_EQ(keys.size(), 3U);
  for (const auto& id : ids) EXPECT_NE(std::find(keys.begin(), keys.end(), id), keys.end());
  client.stop();
  EXPECT_EQ(second->stop(SIGINT), 0) << second->log();
}

TEST_F(ServerTest, SigtermLetsTheRequestInFlightFinish) {
  call c;
  c.path = action_path(project_a, "create-key");
  c.body = R"({"key_alias":"in-flight"})";
  const auto request = wire_request(c, server().port());
  raw_connection connection{server().port()};
  // Everything but the last byte of the body: the request is being read.
  ASSERT_TRUE(connection.send(request.substr(0, request.size() - 1)));
  std::this_thread::sleep_for(200ms);
  (void)server_->stop(SIGTERM, 0ms);  // signal only; the exit is awaited below
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(connection.send(request.substr(request.size() - 1)));
  const auto a = connection.read_answer();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 200) << a->body;
  EXPECT_TRUE(server_->exited(10s));
  EXPECT_EQ(server_->exit_code(), 0) << server_->log();
}

TEST_F(ServerTest, RefusesAGroupReadableCredentialsFile) {
  write_credentials(credentials_json(), 0640);
  auto refused = start();
  EXPECT_FALSE(refused->started());
  ASSERT_TRUE(refused->exited(10s));
  EXPECT_EQ(refused->exit_code(), 1);
  EXPECT_NE(refused->log().find("has mode 0640"), std::string::npos) << refused->log();
}

TEST_F(ServerTest, RefusesCredentialsWithAnUnknownField) {
  write_credentials(R"({"credentials": [{"access_key": "ak", "secret_key": "0123456789abcdef",)"
                    R"( "projects": [")" +
                        std::string{project_a} + R"("], "project": "typo"}]})",
                    0600);
  auto refused = start();
  ASSERT_TRUE(refused->exited(10s));
  EXPECT_EQ(refused->exit_code(), 1);
  EXPECT_NE(refused->log().find("unknown field \"project\""), std::string::npos) << refused->log();
}

// GET /metrics on --metrics-listen: Prometheus text with labels from fixed sets only (the
// action, the status class, the refusal reason); never an access key, a project or a path.
TEST_F(ServerTest, MetricsCountRequestsAndRefusalsWithFixedLabels) {
  server_ =
      start({"--metrics-listen", "127.0.0.1:0", "--audit-log", (dir_ / "audit.jsonl").string()});
  ASSERT_TRUE(server_->started()) << server_->log();
  int metrics_port = 0;
  const std::regex metrics_line{"metrics on http://127\\.0\\.0\\.1:([0-9]+)/metrics"};
  for (int i = 0; i < 500 && metrics_port == 0; ++i) {
    std::smatch match;
    const auto text = server_->log();
    if (std::regex_search(text, match, metrics_line)) {
      metrics_port = std::stoi(match[1]);
    } else {
      std::this_thread::sleep_for(10ms);
    }
  }
  ASSERT_GT(metrics_port, 0) << server_->log();
  ASSERT_EQ(act(project_a, "create-key", R"({"key_alias":"counted"})").status, 200);
  call stranger;
  stranger.path = action_path(project_a, "describe-key");
  stranger.access_key = "nobody";
  ASSERT_EQ(send(stranger).status, 401);

  httplib::Client client{"127.0.0.1", metrics_port};
  // A request is counted when its access line is written, just after its answer is sent:
  // scraped until both are in (bounded).
  auto scraped = client.Get("/metrics");
  for (int i = 0;
       i < 200 && scraped &&
       scraped->body.find("kmscore_request_duration_seconds_count 2\n") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(10ms);
    scraped = client.Get("/metrics");
  }
  ASSERT_TRUE(scraped);
  EXPECT_EQ(scraped->status, 200);
  EXPECT_EQ(scraped->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto& text = scraped->body;
  EXPECT_NE(text.find("kmscore_requests_total{action=\"create-key\",status=\"2xx\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kmscore_requests_total{action=\"describe-key\",status=\"4xx\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kmscore_auth_failures_total{reason=\"unknown_access_key\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("kmscore_auth_failures_total{reason=\"bad_signature\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("kmscore_request_duration_seconds_count 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("kmscore_request_duration_seconds_bucket{le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("kmscore_key_cache_entries "), std::string::npos);
  EXPECT_NE(text.find("kmscore_store_errors_total 0\n"), std::string::npos);
  // The audit trail's gauges (issue 24): free space and the power-loss window so far.
  EXPECT_NE(text.find("\nkmscore_audit_free_bytes "), std::string::npos) << text;
  EXPECT_NE(text.find("\nkmscore_audit_sync_window_max_seconds "), std::string::npos) << text;
  EXPECT_NE(text.find("\nkmscore_audit_fdatasync_max_seconds "), std::string::npos) << text;
  EXPECT_EQ(text.find("nobody"), std::string::npos);
  EXPECT_EQ(text.find(tester_ak), std::string::npos);
  EXPECT_EQ(text.find(std::string{project_a}), std::string::npos);
  EXPECT_EQ(client.Get("/other")->status, 404);
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->log();  // both listeners stop
  EXPECT_FALSE(client.Get("/metrics"));
}

TEST_F(ServerTest, RefusesMetricsOffLoopback) {
  auto refused = start({"--metrics-listen", "0.0.0.0:0"});
  EXPECT_FALSE(refused->started());
  ASSERT_TRUE(refused->exited(10s));
  EXPECT_NE(refused->exit_code(), 0);
  EXPECT_NE(refused->log().find("loopback only"), std::string::npos) << refused->log();
}

TEST_F(ServerTest, RefusesAnyAddressWithoutTls) {
  auto refused = start({"--listen", "0.0.0.0:0"});
  EXPECT_FALSE(refused->started());
  ASSERT_TRUE(refused->exited(10s));
  EXPECT_NE(refused->exit_code(), 0);
  EXPECT_NE(refused->log().find("without TLS"), std::string::npos) << refused->log();
}

// A self-signed certificate for 127.0.0.1 and its key, as PEM files in dir.
void write_self_signed(const fs::path& cert, const fs::path& key) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  X509* x509 = X509_new();
  ASSERT_NE(pkey, nullptr);
  ASSERT_NE(x509, nullptr);
  ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509), 0);
  X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
  X509_set_pubkey(x509, pkey);
  X509_NAME* name = X509_get_subject_name(x509);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"),  // NOLINT
                             -1, -1, 0);
  X509_set_issuer_name(x509, name);
  ASSERT_GT(X509_sign(x509, pkey, EVP_sha256()), 0);
  FILE* cert_file = std::fopen(cert.c_str(), "w");
  FILE* key_file = std::fopen(key.c_str(), "w");
  ASSERT_NE(cert_file, nullptr);
  ASSERT_NE(key_file, nullptr);
  EXPECT_EQ(PEM_write_X509(cert_file, x509), 1);
  EXPECT_EQ(PEM_write_PrivateKey(key_file, pkey, nullptr, nullptr, 0, nullptr, nullptr), 1);
  (void)std::fclose(cert_file);
  (void)std::fclose(key_file);
  X509_free(x509);
  EVP_PKEY_free(pkey);
}

// TLS 1.2 and up: a probe and a signed action over TLS; a TLS 1.1 client is refused, and a
// plain-HTTP request to the TLS port gets no answer.
TEST_F(ServerTest, ServesOverTls12AndUpOnly) {
  write_self_signed(dir_ / "cert.pem", dir_ / "key.pem");
  server_ =
      start({"--tls-cert", (dir_ / "cert.pem").string(), "--tls-key", (dir_ / "key.pem").string()});
  ASSERT_TRUE(server_->started()) << server_->log();
  EXPECT_NE(server_->log().find("listening on https://127.0.0.1:"), std::string::npos);
  httplib::SSLClient client{"127.0.0.1", server_->port()};
  client.enable_server_certificate_verification(false);
  const auto probe = client.Get("/health");
  ASSERT_TRUE(probe) << httplib::to_string(probe.error());
  EXPECT_EQ(probe->status, 200);
  call c;
  c.path = action_path(project_a, "list-keys");
  const auto listed = send(client, c);
  EXPECT_EQ(listed.status, 200) << listed.body;

  // TLS 1.2 exactly is served (the twin of the refusal below, through the same settings).
  httplib::SSLClient v12{"127.0.0.1", server_->port()};
  v12.enable_server_certificate_verification(false);
  SSL_CTX_set_max_proto_version(v12.ssl_context(), TLS1_2_VERSION);
  const auto over_v12 = v12.Get("/health");
  ASSERT_TRUE(over_v12) << httplib::to_string(over_v12.error());
  EXPECT_EQ(over_v12->status, 200);

  httplib::SSLClient old{"127.0.0.1", server_->port()};
  old.enable_server_certificate_verification(false);
  old.set_connection_timeout(3s);
  SSL_CTX_set_max_proto_version(old.ssl_context(), TLS1_1_VERSION);
  SSL_CTX_set_min_proto_version(old.ssl_context(), TLS1_VERSION);
  EXPECT_FALSE(old.Get("/health"));

  raw_connection plain{server_->port()};
  ASSERT_TRUE(plain.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(plain.read_answer(2s).has_value());
}

TEST_F(ServerTest, RefusesAPortInUse) {
  const auto port = std::to_string(server().port());
  auto second = start({"--listen", "127.0.0.1:" + port});
  EXPECT_FALSE(second->started());
  ASSERT_TRUE(second->exited(10s));
  EXPECT_EQ(second->exit_code(), 1);
  EXPECT_NE(second->log().find("cannot listen on 127.0.0.1:" + port), std::string::npos)
      << second->log();
}

TEST(ServerPieces, ListenAddresses) {
  using kmscore_host::http::parse_listen_address;
  EXPECT_EQ(parse_listen_address("127.0.0.1:8080"),
            (std::pair<std::string, int>{"127.0.0.1", 8080}));
  EXPECT_EQ(parse_listen_address("[::1]:0"), (std::pair<std::string, int>{"::1", 0}));
  EXPECT_FALSE(parse_listen_address("::1:80"));
  EXPECT_FALSE(parse_listen_address("127.0.0.1"));
  EXPECT_FALSE(parse_listen_address("127.0.0.1:65536"));
  EXPECT_FALSE(parse_listen_address(":80"));
  using kmscore_host::http::is_loopback_address;
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.1.2.3"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("localhost"));  // a name could resolve anywhere
  EXPECT_FALSE(is_loopback_address("::ffff:127.0.0.1"));
}

// GET /ready's check: a store that answers a read is ready, one that fails is not (503).
TEST(ServerPieces, ReadinessIsWhetherTheStoreAnswers) {
  kmscore::memory_key_store answering;
  EXPECT_TRUE(kmscore_host::http::store_answers(answering));
  kmscore_test::failing_store broken;  // every read a store fault
  EXPECT_FALSE(kmscore_host::http::store_answers(broken));
}

TEST(ServerPieces, CredentialsAreParsedStrictly) {
  using kmscore_host::http::credential_set;
  std::string why;
  const auto good = credential_set::parse(credentials_json(), why);
  ASSERT_TRUE(good) << why;
  ASSERT_NE(good->find("tester-ak"), nullptr);
  const auto id = [](std::string_view text) { return *kmscore::project_id::parse(text); };
  EXPECT_TRUE(good->find("tester-ak")->may_use(id(project_b)));
  EXPECT_FALSE(good->find("tester-ak")->may_use(id(project_c)));
  EXPECT_EQ(good->find("nobody"), nullptr);
  EXPECT_EQ(good->domain_for(id(project_a)), domain_a);
  EXPECT_EQ(good->domain_for(id(project_c)), "");

  // One entry's members, and a list of entries, as file text.
  const auto entry = [](const std::string& access_key, const std::string& more) {
    return R"({"access_key": ")" + access_key +
           R"(", "secret_key": "0123456789abcdef", "projects": [")" + std::string{project_a} +
           "\"]" + more + "}";
  };
  const auto file = [](const std::string& entries) {
    return R"({"credentials": [)" + entries + "]}";
  };
  const std::vector<std::string> refused{
      "{}",
      file(""),
      file(entry("ak", "")).insert(1, R"("extra": 1, )"),                 // unknown top field
      file(R"({"access_key": "ak", "secret_key": "0123456789abcdef"})"),  // no projects
      file(entry("a k", "")),                                             // not unreserved
      file(entry("ak", R"(, "secret_key": "0123456789abcdef")")),         // duplicate key
      file(entry("ak", R"(, "domain_id": "x")")),
      file(R"({"access_key": "ak", "secret_key": "0123456789abcdef", "projects": ["ABC"]})"),
      file(entry("ak", R"(, "Projects": [])")),  // unknown field (case matters)
      file(R"({"access_key": "ak", "secret_key": "", "projects": [")" + std::string{project_a} +
           R"("]})"),
      file(entry("ak", "") + ", " + entry("ak", "")),  // one access key twice
      file(entry("a", R"(, "domain_id": "11111111111111111111111111111111")") + ", " +
           entry("b", R"(, "domain_id": "22222222222222222222222222222222")")),
  };
  EXPECT_TRUE(credential_set::parse(file(entry("ak", "")), why)) << why;
  for (const auto& bad : refused) {
    EXPECT_FALSE(credential_set::parse(bad, why)) << bad;
  }
}

}  // namespace
