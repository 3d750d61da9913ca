#include "guest_memory.hpp"

#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include <utility>

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

Result<std::span<uint8_t>> GuestMemory::span(GuestAddr addr, uint64_t len) const {
  if (!contains(addr, len)) {
    return make_error(hex(addr) + " + " + std::to_string(len) + " outside guest memory (" + describe_size() + ")",
                      EFAULT);
  }
  // SAFETY: [addr, addr+len) was just checked to lie inside [0, m_size), which
  // the mapping at m_base covers.
  return std::span<uint8_t>(m_base + addr, len);
}

}  // namespace shoal::vmm
