// Result<T>: the error model of shoal's host programs (monitor, builder, CLI).
//
// No exceptions cross module boundaries in the monitor or builder: fallible
// functions return [[nodiscard]] Result<T>, and TRY() propagates an Error up.
// An Error carries a message that names what failed (file, offset, argument),
// written for the operator who will read it, and a number whose meaning its
// kind states: an errno (the default, what make_error and errno_error give) or
// an HTTP status (the pool's control API, make_http_error). An errno and a
// status share small integers, so read the number through errno_code() or
// http_status(), which give 0 when the error carries the other kind.
#pragma once

#include <errno.h>
#include <string.h>

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace shoal {

enum class ErrorKind : std::uint8_t {
  errno_value,  // code is an errno, or 0 when none applies
  http_status,  // code is the HTTP status a control-API caller receives
};

struct Error {
  std::string message;
  int code = 0;  // meaning given by kind; prefer errno_code() / http_status()
  ErrorKind kind = ErrorKind::errno_value;

  int errno_code() const { return kind == ErrorKind::errno_value ? code : 0; }
  int http_status() const { return kind == ErrorKind::http_status ? code : 0; }
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

// code is an errno (or 0).
inline Error make_error(std::string message, int code = 0) {
  return Error{std::move(message), code, ErrorKind::errno_value};
}

// An error that maps to an HTTP status (404 no such service, 409 conflict...).
inline Error make_http_error(std::string message, int status) {
  return Error{std::move(message), status, ErrorKind::http_status};
}

// "what: strerror(errno)", with the errno kept in code. Call right after the
// failing call, before anything can change errno.
inline Error errno_error(const std::string& what) {
  int e = errno;
  return Error{what + ": " + strerror(e), e, ErrorKind::errno_value};
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
