// How a hypercall handler (the core's, hypercalls.cpp, or a device's,
// devices/*/) reaches guest memory: every argument struct and buffer through
// these checked copies, never through a raw guest pointer.
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <span>
#include <string>

#include <shoal/abi/layout.h>
#include <shoal/base/result.hpp>

#include "guest_memory.hpp"
#include "hypercalls.hpp"

namespace shoal::vmm {

enum class Access { read, write };

// A guest buffer the monitor may use: inside guest memory and, for reading,
// at or above the BootInfo page (the guest may print its own argv), for
// writing, at or above the LibOS (never the monitor's tables).
inline Result<std::span<uint8_t>> guest_buffer(const HypercallEnv& env, const char* what, GuestAddr addr,
                                               uint64_t len, Access access) {
  auto bytes = env.mem->span(addr, len);
  if (!bytes) return make_error(std::string(what) + " " + bytes.error().message, EFAULT);
  uint64_t floor = access == Access::read ? abi::kBootInfoAddr : abi::kLibosBase;
  if (len > 0 && addr < floor) {
    return make_error(std::string(what) + " " + hex(addr) + " + " + std::to_string(len) +
                          " inside monitor-owned memory (below " + hex(floor) + ")",
                      EFAULT);
  }
  return bytes;
}

template <typename T>
Result<T> read_args(const HypercallEnv& env, GuestAddr addr) {
  auto bytes = TRY(guest_buffer(env, "argument struct", addr, sizeof(T), Access::write));
  T value;
  // SAFETY: bytes is a checked span of sizeof(T) bytes; copied once, so the
  // guest cannot change fields between validation and use.
  memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

template <typename T>
Result<void> write_field(const HypercallEnv& env, GuestAddr struct_addr, size_t offset, const T& value) {
  return env.mem->write(struct_addr + offset, value);
}

}  // namespace shoal::vmm
