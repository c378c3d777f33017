// Shared by the fuzz targets: the entry point's declaration and a findings check that works
// in both builds (libFuzzer with sanitizers, and the GCC replay build).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// A property violation: report and abort, which libFuzzer records as a crash.
#define FUZZ_CHECK(condition)                                                          \
  do {                                                                                 \
    if (!(condition)) {                                                                \
      (void)std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, \
                         #condition);                                                  \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

// Inputs are capped (Botan's habit): bigger inputs explore nothing new, only run slower.
inline constexpr std::size_t fuzz_max_input = 1 << 16;
