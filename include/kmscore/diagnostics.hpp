// kmscore/diagnostics.hpp: where the library reports what only an operator can act on.
//
// The headers print nothing. A service (service.hpp) or a store (host/store) given a sink
// calls it with one line, without a newline, for faults a request cannot report: a key
// update still conflicting after its retries, a due key that was not rotated, a record that
// cannot be read. The sink may be called from several threads.
#pragma once

#include <functional>
#include <string_view>

namespace kmscore {

using diagnostics_sink = std::function<void(std::string_view message)>;

}  // namespace kmscore
