// Test support: samples from the API documents (shared/seeds), used by several suites.
#pragma once

namespace kmscore_test {

// key_id of the create-datakey sample request (seed 002).
inline constexpr const char* seed_key_id = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";

// cipher_text of the create-datakey sample response (seed 002): a service version-2 blob.
inline constexpr const char* seed_cipher_text =
    "020098009EEAFCE122CAA5927D2E020086F9548BA1675FDB022E4ECC01B96F2189CF4B85E78357E73E1CEB518D"
    "AF7A4960E7C7DE8885ED3FB2F1471ABF400119CC1B20BD3C4A9B80AF590EFD0AEDABFDBB0E2B689DA7B6C9E7D3"
    "C5645FCD9274802586BE63779471F9156F2CDF07CD8412FFBE9230643034363662302D653732372D346439632D"
    "623335642D6638346262343734613337660000000045B05321483BD9F9561865EE7DFE9BE267A42EB104E98C16"
    "589CE46940B18E52";

}  // namespace kmscore_test
