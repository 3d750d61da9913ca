#include "channel_region.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>

#include <shoal/abi/channel.h>
#include <shoal/abi/channel_ops.h>
#include <shoal/abi/layout.h>

#include "guest_memory.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

Error fd_error(const std::string& what, int fd) {
  int e = errno;
  return make_error("--channel: " + what + " (descriptor " + std::to_string(fd) + "): " + strerror(e), e);
}

// True unless /proc says fd is something other than an eventfd. Without /proc
// the check is skipped: KVM_IOEVENTFD still rejects a non-eventfd to_host,
// and any readable descriptor works as to_guest.
Result<void> expect_eventfd(int fd, const char* role) {
  if (fcntl(fd, F_GETFD) < 0) return fd_error(std::string(role) + " is not an open descriptor", fd);
  char link[64];
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  if (n < 0) return {};
  link[n] = 0;
  if (strcmp(link, "anon_inode:[eventfd]") != 0)
    return make_error(std::string("--channel: ") + role + " (descriptor " + std::to_string(fd) + ") is " +
                      link + ", not an eventfd");
  return {};
}

}  // namespace

Result<void> validate_channel_header(const void* base, uint64_t size) {
  if (size < kChannelHeaderSize)
    return make_error("the channel region (" + describe_bytes(size) + ") is smaller than its header");
  ChannelHeader h;
  // SAFETY: size >= kChannelHeaderSize >= sizeof h bytes are mapped at base;
  // one copy, so every check below sees the same values.
  memcpy(&h, base, sizeof h);
  if (h.magic != kChannelMagic)
    return make_error("the channel region has a bad magic number " + hex(h.magic));
  if (h.version != kChannelVersion)
    return make_error("the channel region has version " + std::to_string(h.version) +
                      ", this monitor speaks " + std::to_string(kChannelVersion));
  if (!channel_slot_count_valid(h.slot_count))
    return make_error("the channel's slot count " + std::to_string(h.slot_count) + " is not even in [2, " +
                      std::to_string(kMaxChannelSlots) + "]");
  if (!channel_ring_size_valid(h.ring_size))
    return make_error("the channel's ring size " + std::to_string(h.ring_size) +
                      " is not a power of two in [" + std::to_string(kMinRingSize) + ", " +
                      std::to_string(kMaxRingSize) + "]");
  if (h.service_count > kMaxServices)
    return make_error("the channel lists " + std::to_string(h.service_count) + " services, more than " +
                      std::to_string(kMaxServices));
  if (h.data_offset != channel_data_offset(h.slot_count))
    return make_error("the channel's data offset " + hex(h.data_offset) + " should be " +
                      hex(channel_data_offset(h.slot_count)));
  uint64_t want = channel_region_size(h.slot_count, h.ring_size);
  if (h.region_size != want || want != size || want > kMaxChannelRegionSize)
    return make_error("the channel's region size " + hex(h.region_size) + " should be " + hex(want) +
                      " (the memfd holds " + hex(size) + ", at most " + hex(kMaxChannelRegionSize) + ")");
  ChannelView view;
  if (!channel_view_from_header(&view, const_cast<void*>(base), size))
    return make_error("the channel header is inconsistent");
  return {};
}

Result<ChannelRegion> ChannelRegion::open(const ChannelFds& fds) {
  struct stat st;
  if (fstat(fds.memfd, &st) < 0) return fd_error("MEMFD", fds.memfd);
  if (!S_ISREG(st.st_mode))
    return make_error("--channel: MEMFD (descriptor " + std::to_string(fds.memfd) + ") is not a memfd");
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0 || size % kPageSize != 0 || size > kMaxChannelRegionSize)
    return make_error("--channel: the region is " + describe_bytes(size) +
                      "; it must be a non-empty page multiple of at most " +
                      describe_bytes(kMaxChannelRegionSize));
  int seals = fcntl(fds.memfd, F_GET_SEALS);
  if (seals < 0 || !(seals & F_SEAL_SHRINK))
    return make_error(
        "--channel: the memfd is not sealed against shrinking (F_SEAL_SHRINK); a truncation would fault the "
        "monitor");
  TRY(expect_eventfd(fds.to_host, "TO_HOST_FD"));
  TRY(expect_eventfd(fds.to_guest, "TO_GUEST_FD"));
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fds.memfd, 0);
  if (base == MAP_FAILED) return fd_error("mmap of the region", fds.memfd);
  ChannelRegion region(base, size, fds);
  TRY(validate_channel_header(base, size));
  return region;
}

ChannelRegion::ChannelRegion(ChannelRegion&& other) noexcept
    : m_base(std::exchange(other.m_base, nullptr)),
      m_size(std::exchange(other.m_size, 0)),
      m_fds(std::exchange(other.m_fds, ChannelFds{})) {}

ChannelRegion::~ChannelRegion() {
  if (m_base) munmap(m_base, m_size);
}

Result<void> ChannelRegion::attach(Vm& vm) {
  TRY(vm.map_region(kChannelMemorySlot, kChannelAddr, m_base, m_size));
  TRY(vm.add_pio_eventfd(kChannelKickPort, 4, m_fds.to_host));
  // KVM keeps its own references to the pages and the eventfd's counter.
  // The to_host descriptor stays open all the same: KVM holds the eventfd's
  // context, not its file, and shoald watches the file in epoll after
  // closing its own copy (one descriptor less per instance there), so the
  // file must live as long as this monitor does.
  ::close(m_fds.memfd);
  m_fds.memfd = -1;
  return {};
}

}  // namespace shoal::vmm
