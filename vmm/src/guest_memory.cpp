#include "guest_memory.hpp"

#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include <utility>

#include <shoal/abi/layout.h>

namespace shoal::vmm {

std::string hex(uint64_t value) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(value));
  return buf;
}

std::string describe_bytes(uint64_t bytes) {
  char buf[48];
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
    snprintf(buf, sizeof buf, "%lu GiB", static_cast<unsigned long>(bytes >> 30));
  else if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0)
    snprintf(buf, sizeof buf, "%lu MiB", static_cast<unsigned long>(bytes >> 20));
  else if (bytes >= (1ull << 10) && bytes % (1ull << 10) == 0)
    snprintf(buf, sizeof buf, "%lu KiB", static_cast<unsigned long>(bytes >> 10));
  else
    snprintf(buf, sizeof buf, "%lu bytes", static_cast<unsigned long>(bytes));
  return buf;
}

Result<GuestMemory> GuestMemory::create(uint64_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    return make_error("cannot reserve " + describe_bytes(size) + " of guest memory: " + strerror(e), e);
  }
  return GuestMemory(static_cast<uint8_t*>(p), size, true);
}

GuestMemory::GuestMemory(GuestMemory&& other) noexcept
    : m_base(std::exchange(other.m_base, nullptr)),
      m_size(std::exchange(other.m_size, 0)),
      m_owned(std::exchange(other.m_owned, false)) {}

GuestMemory& GuestMemory::operator=(GuestMemory&& other) noexcept {
  if (this != &other) {
    if (m_owned && m_base) munmap(m_base, m_size);
    m_base = std::exchange(other.m_base, nullptr);
    m_size = std::exchange(other.m_size, 0);
    m_owned = std::exchange(other.m_owned, false);
  }
  return *this;
}

GuestMemory::~GuestMemory() {
  if (m_owned && m_base) munmap(m_base, m_size);
}

std::string GuestMemory::describe_size() const { return describe_bytes(m_size); }

Result<uint64_t> GuestMemory::window_frame(GuestAddr chunk) const {
  using namespace shoal::abi;
  // NOTE: the guest writes these tables; every entry read here is untrusted
  // and checked before the frame is used (then span() checks it again).
  uint64_t off = chunk - kWindowBase;
  uint64_t pdpte = TRY(read<uint64_t>(kWindowPdptAddr + (off >> 30) * 8));
  constexpr uint64_t kPresent = 1, kLarge = 1ull << 7, kAddr = 0x000ffffffffff000ull;
  if (!(pdpte & kPresent) || (pdpte & kLarge))
    return make_error(hex(chunk) + " is not committed in the reservation window", EFAULT);
  uint64_t pde = TRY(read<uint64_t>((pdpte & kAddr) + ((off >> 21) & 511) * 8));
  if (!(pde & kPresent) || !(pde & kLarge))
    return make_error(hex(chunk) + " is not committed in the reservation window", EFAULT);
  uint64_t frame = pde & kAddr & ~(kWindowChunk - 1);
  if (frame < kLibosLimit || !contains(frame, kWindowChunk))
    return make_error("window address " + hex(chunk) + " maps frame " + hex(frame) + " outside the heap", EFAULT);
  return frame;
}

Result<std::span<uint8_t>> GuestMemory::window_span(GuestAddr addr, uint64_t len) const {
  using namespace shoal::abi;
  uint64_t off = addr - kWindowBase;
  if (len > kWindowSize - off)
    return make_error(hex(addr) + " + " + std::to_string(len) + " runs past the reservation window", EFAULT);
  uint64_t first = addr & ~(kWindowChunk - 1);
  uint64_t frame = TRY(window_frame(first));
  // A range crossing chunks must find them on consecutive frames, so that it
  // is one host range (the LibOS commits a run of chunks on one run of frames).
  for (uint64_t c = first + kWindowChunk; c < addr + len; c += kWindowChunk) {
    uint64_t next = TRY(window_frame(c));
    if (next != frame + (c - first))
      return make_error(hex(addr) + " + " + std::to_string(len) + " spans window chunks on scattered frames", EFAULT);
  }
  return span(frame + (addr - first), len);
}

Result<std::span<uint8_t>> GuestMemory::span(GuestAddr addr, uint64_t len) const {
  if (addr >= shoal::abi::kWindowBase && addr - shoal::abi::kWindowBase < shoal::abi::kWindowSize)
    return window_span(addr, len);
  if (!contains(addr, len)) {
    return make_error(hex(addr) + " + " + std::to_string(len) + " outside guest memory (" + describe_size() + ")",
                      EFAULT);
  }
  // SAFETY: [addr, addr+len) was just checked to lie inside [0, m_size), which
  // the mapping at m_base covers.
  return std::span<uint8_t>(m_base + addr, len);
}

}  // namespace shoal::vmm
