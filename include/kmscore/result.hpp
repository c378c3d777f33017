// kmscore/result.hpp: `result<T>`, a value or an `error`; errors are values.
//
// Shaped like C++23 std::expected (has_value, value, error, *, ->) so that moving to it
// later is an alias. No exception crosses the public API: reading the value of a failed
// result (or the error of a successful one) is a programming error and asserts.
#pragma once

#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>

#include "error.hpp"

namespace kmscore {

template <class T>
class [[nodiscard]] result {
  static_assert(!std::is_reference_v<T>, "result<T&> is not supported");

 public:
  using value_type = T;

  constexpr result(const T& value) : value_{value} {}
  constexpr result(T&& value) noexcept(std::is_nothrow_move_constructible_v<T>)
      : value_{std::move(value)} {}
  constexpr result(kmscore::error failure) noexcept : error_{failure} {}
  constexpr result(errc code) noexcept : error_{code} {}
  template <class... Args>
  constexpr explicit result(std::in_place_t tag, Args&&... args)
      : value_{tag, std::forward<Args>(args)...} {}

  [[nodiscard]] constexpr bool has_value() const noexcept { return value_.has_value(); }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  [[nodiscard]] constexpr T& value() & noexcept {
    assert(has_value());
    return *value_;
  }
  [[nodiscard]] constexpr const T& value() const& noexcept {
    assert(has_value());
    return *value_;
  }
  [[nodiscard]] constexpr T&& value() && noexcept {
    assert(has_value());
    return std::move(*value_);
  }
  [[nodiscard]] constexpr const kmscore::error& error() const noexcept {
    assert(!has_value());
    return error_;
  }

  constexpr T& operator*() & noexcept { return value(); }
  constexpr const T& operator*() const& noexcept { return value(); }
  constexpr T&& operator*() && noexcept { return std::move(*this).value(); }
  constexpr T* operator->() noexcept { return &value(); }
  constexpr const T* operator->() const noexcept { return &value(); }

 private:
  // An optional beside the error, rather than a variant, keeps every accessor free of
  // throwing paths and usable in constant expressions.
  std::optional<T> value_;
  kmscore::error error_{errc::kms_error};
};

// result<void>: success, or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;

  constexpr result() noexcept = default;
  constexpr result(kmscore::error failure) noexcept : failed_{true}, error_{failure} {}
  constexpr result(errc code) noexcept : failed_{true}, error_{code} {}

  [[nodiscard]] constexpr bool has_value() const noexcept { return !failed_; }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] constexpr const kmscore::error& error() const noexcept {
    assert(failed_);
    return error_;
  }

 private:
  bool failed_ = false;
  kmscore::error error_{errc::kms_error};
};

// Propagates the error of an expression yielding a result: the API's two macros.
#define KMSCORE_TRY(expr)                                          \
  do {                                                             \
    if (auto&& kmscore_try_result_ = (expr); !kmscore_try_result_) \
      return kmscore_try_result_.error();                          \
  } while (false)

#define KMSCORE_DETAIL_CONCAT_(a, b) a##b
#define KMSCORE_DETAIL_CONCAT(a, b) KMSCORE_DETAIL_CONCAT_(a, b)
// KMSCORE_TRY_ASSIGN(auto sealer, make_sealer(...)); declares `sealer` from the value, or
// returns the error. One statement per line (the temporary is named after the line).
#define KMSCORE_TRY_ASSIGN(declaration, expr) \
  KMSCORE_TRY_ASSIGN_IMPL(KMSCORE_DETAIL_CONCAT(kmscore_try_value_, __LINE__), declaration, expr)
// NOLINTBEGIN(bugprone-macro-parentheses): `declaration` is a declaration, not an expression
#define KMSCORE_TRY_ASSIGN_IMPL(temporary, declaration, expr) \
  auto&& temporary = (expr);                                  \
  if (!(temporary)) return (temporary).error();               \
  declaration = std::move(*(temporary))
// NOLINTEND(bugprone-macro-parentheses)

}  // namespace kmscore
