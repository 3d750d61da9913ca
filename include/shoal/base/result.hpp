// Result<T>: the error model of shoal's host programs (monitor, builder, CLI).
//
// No exceptions cross module boundaries in the monitor or builder: fallible
// functions return [[nodiscard]] Result<T>, and TRY() propagates an Error up.
// An Error carries a message that names what failed (file, offset, argument),
// written for the operator who will read it.
#pragma once

#include <errno.h>
#include <string.h>

#include <string>
#include <utility>
#include <variant>

namespace shoal {

struct Error {
  std::string message;
  int code = 0;  // errno where one applies, else 0
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::move(value)) {}
  Result(Error error) : m_v(std::move(error)) {}

  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  const T& value() const& { return std::get<0>(m_v); }
  const Error& error() const { return std::get<1>(m_v); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)), m_ok(false) {}
  bool ok() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  const Error& error() const { return m_error; }
  void value() const {}

 private:
  Error m_error;
  bool m_ok = true;
};

inline Error make_error(std::string message, int code = 0) { return Error{std::move(message), code}; }

// "what: strerror(errno)", with the errno kept in code. Call right after the
// failing call, before anything can change errno.
inline Error errno_error(const std::string& what) {
  int e = errno;
  return Error{what + ": " + strerror(e), e};
}

}  // namespace shoal

// TRY(expr): evaluate a Result; on error return the error from the enclosing
// function, else yield the value (GNU statement expression, as in SerenityOS).
#define TRY(expr)                                     \
  ({                                                  \
    auto _shoal_try_result = (expr);                  \
    if (!_shoal_try_result.ok())                      \
      return std::move(_shoal_try_result).error();    \
    std::move(_shoal_try_result).value();             \
  })
