// Guest memory as the monitor sees it: [0, size) of guest-physical (and, as
// the guest is identity-mapped, guest-virtual) addresses backed by one host
// mapping. Guest addresses are never dereferenced raw: every access goes
// through span(), which checks bounds and overflow, or read<T>/write<T>,
// which copy through it (Solo5 HVT_CHECKED_GPA_P, Zircon user_in_ptr<T>).
#pragma once

#include <stdint.h>
#include <string.h>

#include <span>
#include <string>
#include <type_traits>

#include <shoal/base/result.hpp>

namespace shoal::vmm {

using GuestAddr = uint64_t;

class GuestMemory {
 public:
  // Reserves size bytes of anonymous, lazily allocated memory (MAP_PRIVATE |
  // MAP_NORESERVE). The mapping is released when the object dies.
  static Result<GuestMemory> create(uint64_t size);
  // Wraps memory the caller owns (tests use a plain buffer).
  static GuestMemory wrap(uint8_t* base, uint64_t size) { return GuestMemory(base, size, false); }

  GuestMemory(GuestMemory&& other) noexcept;
  GuestMemory& operator=(GuestMemory&& other) noexcept;
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;
  ~GuestMemory();

  uint64_t size() const { return m_size; }
  // The host address of guest address 0, for KVM's memory slot and mmap over
  // it. Not for access: use span().
  uint8_t* host_base() const { return m_base; }

  // True if [addr, addr+len) lies inside guest memory (overflow-safe).
  bool contains(GuestAddr addr, uint64_t len) const {
    return addr <= m_size && len <= m_size - addr;
  }

  // The host bytes backing [addr, addr+len), or an error that names the range.
  // An address in the reservation window (abi/layout.h) is translated through
  // the guest's window tables: it must be committed, onto frames that are
  // contiguous for the whole range and above the LibOS.
  Result<std::span<uint8_t>> span(GuestAddr addr, uint64_t len) const;

  template <typename T>
  Result<T> read(GuestAddr addr) const {
    static_assert(std::is_trivially_copyable_v<T>);
    auto bytes = TRY(span(addr, sizeof(T)));
    T value;
    // SAFETY: bytes is a checked range of sizeof(T) bytes inside the mapping;
    // memcpy copies it without alignment or aliasing assumptions.
    memcpy(&value, bytes.data(), sizeof(T));
    return value;
  }

  template <typename T>
  Result<void> write(GuestAddr addr, const T& value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    auto bytes = TRY(span(addr, sizeof(T)));
    // SAFETY: as in read().
    memcpy(bytes.data(), &value, sizeof(T));
    return {};
  }

  // "128 MiB", for messages.
  std::string describe_size() const;

 private:
  GuestMemory(uint8_t* base, uint64_t size, bool owned) : m_base(base), m_size(size), m_owned(owned) {}
  Result<std::span<uint8_t>> window_span(GuestAddr addr, uint64_t len) const;
  // The guest-physical frame a committed 2 MiB chunk of the window maps.
  Result<uint64_t> window_frame(GuestAddr chunk) const;
  uint8_t* m_base = nullptr;
  uint64_t m_size = 0;
  bool m_owned = false;
};

// "128 MiB", "1.5 GiB", "4096 bytes".
std::string describe_bytes(uint64_t bytes);
// "0x1000"
std::string hex(uint64_t value);

}  // namespace shoal::vmm
