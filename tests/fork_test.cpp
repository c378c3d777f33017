// Randomness never repeats across fork, on every backend: the parent fills its buffer, then
// children made by fork(), _Fork() (no atfork handlers) and syscall(SYS_fork) (no libc
// bookkeeping at all) each draw; no two outputs may be equal. The same run is repeated with
// the clock pinned (gettimeofday, clock_gettime and time interposed below), so that a
// generator that only separates parent and child by the time cannot pass by luck.
#include <dlfcn.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <ctime>
#include <functional>
#include <set>
#include <vector>

#include "support/backends.hpp"

namespace {
std::atomic<bool> clock_pinned{false};
constexpr std::time_t pinned_seconds = 1'700'000'000;

template <class Function>
Function* next_symbol(const char* name) {
  return reinterpret_cast<Function*>(::dlsym(RTLD_NEXT, name));  // NOLINT: dlsym's contract
}
}  // namespace

// The clock, interposed for this test binary (and the libraries it loads).
extern "C" int gettimeofday(struct timeval* __restrict tv, void* __restrict tz) noexcept {
  if (clock_pinned.load()) {
    tv->tv_sec = pinned_seconds;
    tv->tv_usec = 0;
    return 0;
  }
  static auto* real = next_symbol<int(timeval*, void*)>("gettimeofday");
  return real(tv, tz);
}
// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc's are reserved
extern "C" int clock_gettime(clockid_t clock, struct timespec* ts) noexcept {
  if (clock_pinned.load()) {
    ts->tv_sec = pinned_seconds;
    ts->tv_nsec = 0;
    return 0;
  }
  static auto* real = next_symbol<int(clockid_t, timespec*)>("clock_gettime");
  return real(clock, ts);
}
// NOLINTNEXTLINE(readability-inconsistent-declaration-parameter-name): glibc's are reserved
extern "C" std::time_t time(std::time_t* out) noexcept {
  if (clock_pinned.load()) {
    if (out != nullptr) *out = pinned_seconds;
    return pinned_seconds;
  }
  static auto* real = next_symbol<std::time_t(std::time_t*)>("time");
  return real(out);
}

namespace {

using draw = std::array<kmscore::byte, 32>;

pid_t fork_with_libc() { return ::fork(); }
pid_t fork_without_atfork_handlers() { return ::_Fork(); }
pid_t fork_by_raw_system_call() { return static_cast<pid_t>(::syscall(SYS_fork)); }

// Runs `make` to get a child that draws 32 bytes and sends them back; returns them.
template <class Backend>
draw draw_in_child(Backend& backend, pid_t (*make)()) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t child = make();
  if (child == 0) {
    draw drawn{};
    const bool ok = backend.random_bytes(drawn).has_value();
    const auto written = ok ? ::write(fds[1], drawn.data(), drawn.size()) : -1;
    ::_exit(written == static_cast<ssize_t>(drawn.size()) ? 0 : 1);
  }
  EXPECT_GT(child, 0);
  draw received{};
  EXPECT_EQ(::read(fds[0], received.data(), received.size()),
            static_cast<ssize_t>(received.size()));
  int status = 1;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ::close(fds[0]);
  ::close(fds[1]);
  return received;
}

template <class Backend>
void no_draw_repeats(bool pinned) {
  clock_pinned = pinned;
  Backend backend;
  std::vector<draw> draws(1);
  ASSERT_TRUE(backend.random_bytes(draws[0]));  // the parent's buffer is now full
  for (auto* make : {&fork_with_libc, &fork_without_atfork_handlers, &fork_by_raw_system_call}) {
    draws.push_back(draw_in_child(backend, make));
    draws.push_back(draw_in_child(backend, make));  // two siblings from the same state
  }
  draws.emplace_back();
  ASSERT_TRUE(backend.random_bytes(draws.back()));
  clock_pinned = false;
  const std::set<draw> distinct(draws.begin(), draws.end());
  EXPECT_EQ(distinct.size(), draws.size()) << "a draw repeated across fork";
}

template <class Backend>
class ForkTest : public ::testing::Test {};
TYPED_TEST_SUITE(ForkTest, kmscore_test::all_backends);

TYPED_TEST(ForkTest, ChildrenNeverRepeatTheParentOrEachOther) { no_draw_repeats<TypeParam>(false); }

TYPED_TEST(ForkTest, ChildrenNeverRepeatWithThePinnedClock) { no_draw_repeats<TypeParam>(true); }

TEST(ForkTest, TheClockIsReallyPinned) {
  clock_pinned = true;
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  const auto now = std::time(nullptr);
  clock_pinned = false;
  EXPECT_EQ(tv.tv_sec, pinned_seconds);
  EXPECT_EQ(ts.tv_sec, pinned_seconds);
  EXPECT_EQ(now, pinned_seconds);
}

}  // namespace
