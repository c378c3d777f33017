// The secret arena (host/secrets/secret_arena.hpp): secret_bytes live in pages the kernel
// leaves out of core dumps, as /proc/self/smaps reports them (the `dd` VmFlag), while other
// heap blocks do not; buffers made before it was installed are still released correctly; a
// reused block comes back zeroed; threads share it safely.
#include "secret_arena.hpp"

#include <kmscore/secret.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// The VmFlags of the mapping holding `address`, from the kernel's own account; empty if no
// mapping holds it.
std::string vm_flags_of(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps{"/proc/self/smaps"};
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    const auto dash = line.find('-');
    const auto space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space &&
        line.find(':') > space) {  // a mapping's header: start-end perms ...
      const auto start = std::stoull(line.substr(0, dash), nullptr, 16);
      const auto end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
      inside = start <= at && at < end;
    } else if (inside && line.starts_with("VmFlags:")) {
      return line.substr(8) + " ";
    }
  }
  return {};
}

bool kept_out_of_core_dumps(const void* address) {
  return vm_flags_of(address).find(" dd ") != std::string::npos;
}

TEST(SecretArenaTest, SecretBytesLiveInPagesLeftOutOfCoreDumps) {
  // Before: the heap, which core dumps include.
  kmscore::secret_bytes before{32};
  before.expose()[0] = 0x5a;
  const auto heap_block = std::make_unique<std::uint64_t[]>(4);
  ASSERT_FALSE(vm_flags_of(before.expose().data()).empty());
  EXPECT_FALSE(kept_out_of_core_dumps(before.expose().data()));
  EXPECT_FALSE(kept_out_of_core_dumps(heap_block.get()));

  std::string why;
  ASSERT_TRUE(kmscore_host::install_secret_arena(why)) << why;
  ASSERT_TRUE(kmscore_host::install_secret_arena(why)) << why;  // once; again is no error
  for (const std::size_t size :
       {std::size_t{1}, std::size_t{16}, std::size_t{17}, std::size_t{32}, std::size_t{4096},
        std::size_t{65536}, std::size_t{65537}, std::size_t{200000}}) {
    kmscore::secret_bytes secret{size};
    EXPECT_TRUE(kept_out_of_core_dumps(secret.expose().data())) << size;
    for (const auto b : secret.expose()) ASSERT_EQ(b, 0U) << size;
    secret.expose()[size - 1] = 0xff;
  }
  EXPECT_FALSE(kept_out_of_core_dumps(heap_block.get()));  // the heap is as it was
  // A buffer made before goes back to the heap it came from (a sanitizer would see it not).
  EXPECT_EQ(before.expose()[0], 0x5a);
  kmscore::secret_bytes moved{std::move(before)};
  EXPECT_EQ(moved.expose()[0], 0x5a);
  moved = kmscore::secret_bytes{8};
  EXPECT_TRUE(kept_out_of_core_dumps(moved.expose().data()));
}

// A freed block is reused, and comes back as zeroes like a fresh one (its free-list link and
// the secret it held gone).
TEST(SecretArenaTest, AReusedBlockComesBackZeroed) {
  std::string why;
  ASSERT_TRUE(kmscore_host::install_secret_arena(why)) << why;
  const kmscore::byte* first = nullptr;
  {
    kmscore::secret_bytes secret{48};
    for (auto& b : secret.expose()) b = 0xa5;
    first = secret.expose().data();
  }
  const kmscore::secret_bytes again{48};
  EXPECT_EQ(again.expose().data(), first);  // the same size class's last freed block
  for (const auto b : again.expose()) EXPECT_EQ(b, 0U);
}

TEST(SecretArenaTest, ThreadsShareItSafely) {
  std::string why;
  ASSERT_TRUE(kmscore_host::install_secret_arena(why)) << why;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      std::vector<kmscore::secret_bytes> held;
      for (int i = 0; i < 2000; ++i) {
        const auto size = static_cast<std::size_t>(1 + (i * 37 + t * 11) % 3000);
        kmscore::secret_bytes secret{size};
        for (auto& b : secret.expose()) b = static_cast<kmscore::byte>(t + 1);
        held.push_back(std::move(secret));
        if (held.size() > 16) held.erase(held.begin());
        for (const auto& h : held) {  // no other thread wrote into a block this one holds
          ASSERT_EQ(h.expose().front(), static_cast<kmscore::byte>(t + 1));
          ASSERT_EQ(h.expose().back(), static_cast<kmscore::byte>(t + 1));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

}  // namespace
