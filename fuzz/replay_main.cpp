// Replays a corpus through a fuzz target without libFuzzer (GCC builds, the test suite):
//   fuzz_<surface> FILE_OR_DIR...
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "fuzz_common.hpp"

namespace {
int replay(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    return 1;
  }
  const std::vector<char> bytes{std::istreambuf_iterator<char>{in}, {}};
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                         bytes.size());  // NOLINT
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  std::size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path{
        argv[i]};  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator{path}) {
        if (!entry.is_regular_file()) continue;
        if (replay(entry.path()) != 0) return 1;
        ++inputs;
      }
    } else {
      if (replay(path) != 0) return 1;
      ++inputs;
    }
  }
  if (inputs == 0) {
    std::cerr << "no inputs replayed\n";
    return 1;
  }
  std::cout << "replayed " << inputs << " inputs\n";
  return 0;
}
