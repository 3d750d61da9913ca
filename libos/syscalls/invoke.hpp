// Adapts a typed handler (`long sys_openat(int, const char*, int, unsigned)`)
// to the raw register frame: each parameter is converted from its 64-bit
// register as the kernel would (integers truncate, pointers reinterpret).
// A handler taking `SyscallFrame&` gets the whole frame.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <type_traits>
#include <utility>

#include "arch/x86_64/syscall_frame.hpp"

namespace libos {

template <typename T>
T from_register(uint64_t value) {
  if constexpr (std::is_pointer_v<T>) {
    return reinterpret_cast<T>(value);
  } else {
    return static_cast<T>(value);
  }
}

template <auto Fn>
struct SyscallInvoker;

template <typename R, typename... Args, R (*Fn)(Args...)>
struct SyscallInvoker<Fn> {
  static_assert(sizeof...(Args) <= 6, "a system call has at most six arguments");

  template <size_t... I>
  static long call(SyscallFrame& frame, std::index_sequence<I...>) {
    return static_cast<long>(Fn(from_register<Args>(frame.arg(I))...));
  }

  static long invoke(SyscallFrame& frame) {
    if constexpr (sizeof...(Args) == 1 && (std::is_same_v<Args, SyscallFrame&> && ...)) {
      return static_cast<long>(Fn(frame));
    } else {
      return call(frame, std::index_sequence_for<Args...>{});
    }
  }
};

}  // namespace libos
