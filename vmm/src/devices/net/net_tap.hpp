// The TAP device behind the network device: opened with TUNSETIFF
// (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR: a 10-byte virtio_net_hdr, then the
// Ethernet frame; no packet-info header), with the checksum and TCPv4
// segmentation offloads (TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4) when asked,
// which creates the device or attaches to an existing persistent one (`ip
// tuntap add dev NAME mode tap`), non-blocking, link brought up if down.
#pragma once

#include <string>

#include <shoal/base/result.hpp>

#include "net_io.hpp"

namespace shoal::vmm {

inline constexpr size_t kVnetHeader = 10;  // sizeof(virtio_net_hdr)

// Opens /dev/net/tun and attaches TAP device `name`; the descriptor is
// non-blocking and close-on-exec. offload: the host may hand us (and takes)
// 64 KiB TCPv4 super-frames and partial checksums. Errors say what to do
// (permissions, a TUN device of that name, a device in use).
Result<int> open_tap(const std::string& name, bool offload);

// One frame per readv/writev on the TAP descriptor (not owned), behind its
// virtio_net_hdr, translated to and from the ring's metadata.
class TapLink final : public FrameLink {
 public:
  explicit TapLink(int fd) : m_fd(fd) {}
  ssize_t receive(uint8_t* buf, size_t cap, abi::NetSlotMeta* meta) override;
  Sent send(const uint8_t* frame, size_t len, const abi::NetSlotMeta& meta) override;
  // One writev: the virtio_net_hdr, then the pieces (at most kMaxPieces).
  static constexpr int kMaxPieces = 1 + abi::kNetGatherSpans;
  Sent send_pieces(const Piece* pieces, int count, size_t len, const abi::NetSlotMeta& meta) override;

 private:
  int m_fd;
};

}  // namespace shoal::vmm
