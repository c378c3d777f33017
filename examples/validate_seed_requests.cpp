// Validates the sample requests of the API documents (and a few broken twins) and prints
// each verdict: what the service would answer before touching any key.
#include <kmscore/kmscore.hpp>

#include <exception>
#include <iostream>
#include <string>

namespace {

template <class Params>
void verdict(const std::string& action, const std::string& body,
             const kmscore::result<Params>& checked) {
  std::cout << action << ' ' << body << "\n  -> ";
  if (checked) {
    std::cout << "accepted\n";
  } else {
    const auto& failure = checked.error();
    std::cout << "HTTP " << failure.http_status() << " {\"error\": {\"error_code\": \""
              << failure.code_string() << "\", \"error_msg\": \"" << failure.message() << "\"}}\n";
  }
}

}  // namespace

int main() try {
  {
    kmscore::create_key_request request;
    request.key_alias = "test";
    verdict("create-key", R"({"key_alias": "test"})", kmscore::validate(request));
    request.key_alias = "test/default";
    verdict("create-key", R"({"key_alias": "test/default"})", kmscore::validate(request));
    request.key_alias = "signer";
    request.key_spec = "EC_P256";
    request.key_usage = "ENCRYPT_DECRYPT";
    verdict("create-key",
            R"({"key_alias": "signer", "key_spec": "EC_P256", "key_usage": "ENCRYPT_DECRYPT"})",
            kmscore::validate(request));
  }
  {
    kmscore::create_datakey_request request;
    request.key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
    request.datakey_length = "512";
    verdict("create-datakey",
            R"({"key_id": "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "datakey_length": "512"})",
            kmscore::validate(request));
    request.encryption_context = {{{"Key1", "Value1"}, {"Key2", "Value2"}}};
    request.sequence = "919c82d4-8046-4722-9094-35c3c6524cff";
    verdict(
        "create-datakey",
        R"({"key_id": "0d0466b0-...", "datakey_length": "512", "encryption_context": )"
        R"({"Key1":"Value1","Key2":"Value2"}, "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"})",
        kmscore::validate(request));
    request.datakey_length = "500";
    verdict("create-datakey", R"({"key_id": "0d0466b0-...", "datakey_length": "500"})",
            kmscore::validate(request));
    verdict("create-datakey (strict policy)",
            R"({"key_id": "0d0466b0-...", "datakey_length": "500"})",
            kmscore::validate(request, kmscore::datakey_length_policy::strict512));
  }
  return 0;
} catch (const std::exception& failure) {
  std::cerr << failure.what() << '\n';
  return 1;
}
