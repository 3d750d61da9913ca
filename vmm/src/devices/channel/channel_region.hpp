// The channel region (abi/channel.h) as the monitor sees it: a memfd shoald
// created, mapped here MAP_SHARED and handed to KVM as a second memory slot at
// abi::kChannelAddr. The monitor validates the region's geometry once, before
// the guest runs, and never reads its contents afterwards: every byte of it
// belongs to shoald and the guest, and is their business.
#pragma once

#include <stdint.h>

#include <shoal/base/result.hpp>

#include "kvm.hpp"
#include "devices/channel/channel_options.hpp"

namespace shoal::vmm {

// KVM memory slot of the channel (slot 0 is guest memory).
inline constexpr uint32_t kChannelMemorySlot = 1;

// Checks the header at the start of a region of `size` bytes: magic, version,
// slot count, ring size, service count, the recorded data offset and region
// size against `size`. Pure: the error names the first bad field.
Result<void> validate_channel_header(const void* base, uint64_t size);

// The mapped region plus the one descriptor the run loop keeps (to_guest).
class ChannelRegion {
 public:
  // Validates and maps fds.memfd (a regular file, a page multiple of at most
  // kMaxChannelRegionSize bytes, sealed against shrinking so the mapping can
  // never SIGBUS the monitor), and checks that the two others are eventfds.
  static Result<ChannelRegion> open(const ChannelFds& fds);

  ChannelRegion(ChannelRegion&& other) noexcept;
  ChannelRegion& operator=(ChannelRegion&&) = delete;
  ChannelRegion(const ChannelRegion&) = delete;
  ~ChannelRegion();

  // Installs the region in the VM (memory slot kChannelMemorySlot at
  // kChannelAddr) and registers the kick port's ioeventfd on to_host. Then
  // closes the memfd (KVM holds the pages); to_host stays open for shoald (see attach()).
  Result<void> attach(Vm& vm);

  uint64_t size() const { return m_size; }
  void* host_base() const { return m_base; }
  // The descriptor `block` polls; shoald writes to it to wake the guest.
  int wake_fd() const { return m_fds.to_guest; }

 private:
  ChannelRegion(void* base, uint64_t size, ChannelFds fds) : m_base(base), m_size(size), m_fds(fds) {}
  void* m_base = nullptr;
  uint64_t m_size = 0;
  ChannelFds m_fds;
};

}  // namespace shoal::vmm
