// Envelope parsing: never reads outside the input; what parses re-serializes to the same bytes.
#include <kmscore/envelope.hpp>

#include <algorithm>
#include <vector>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz_max_input) return 0;
  const kmscore::byte_span blob{data, size};
  for (const std::size_t limit : {kmscore::max_datakey_bytes, kmscore::max_envelope_payload}) {
    const auto view = kmscore::parse_envelope(blob, limit);
    if (!view) continue;
    FUZZ_CHECK(view->authenticated().size() + view->tag().size() == size);
    std::vector<kmscore::byte> rebuilt(size);
    std::copy(view->body().begin(), view->body().end(), rebuilt.begin() + 4);
    std::copy(view->tag().begin(), view->tag().end(), rebuilt.end() - 32);
    (void)kmscore::detail::write_envelope_frame(view->version(), view->key_id(),
                                                view->key_version(), rebuilt);
    FUZZ_CHECK(std::equal(rebuilt.begin(), rebuilt.end(), blob.begin(), blob.end()));
    if (view->suite() != kmscore::envelope_suite::none) {
      FUZZ_CHECK(view->datakey_bytes() >= 1 && view->datakey_bytes() <= limit);
    }
  }
  return 0;
}
