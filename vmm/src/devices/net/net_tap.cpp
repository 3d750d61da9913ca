#include "net_tap.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace shoal::vmm {
namespace {

Error tap_error(const std::string& name, const std::string& what, int e) {
  std::string hint;
  if (e == EPERM || e == EACCES)
    hint = " (needs CAP_NET_ADMIN, or a persistent device owned by this user: ip tuntap add dev " + name +
           " mode tap user $USER)";
  else if (e == EBUSY)
    hint = " (another process has it open)";
  else if (e == EINVAL)
    hint = " (is " + name + " a TUN device, or not a tun/tap device at all?)";
  return make_error("--net tap:" + name + ": " + what + ": " + strerror(e) + hint, e);
}

// Brings the link up (IFF_UP) if it is down: a TAP we just created starts down.
Result<void> link_up(const std::string& name) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return tap_error(name, "socket for SIOCGIFFLAGS", errno);
  ifreq ifr{};
  memcpy(ifr.ifr_name, name.data(), name.size());
  Result<void> result;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
    result = tap_error(name, "SIOCGIFFLAGS", errno);
  } else if (!(ifr.ifr_flags & IFF_UP)) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) result = tap_error(name, "bringing the link up (SIOCSIFFLAGS)", errno);
  }
  close(s);
  return result;
}

// virtio_net_hdr (linux/virtio_net.h, which C++ cannot include: a field is
// named `class`) in front of every frame (IFF_VNET_HDR), in the host's byte
// order (tun's default for the legacy header on a little-endian host).
struct virtio_net_hdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(virtio_net_hdr) == kVnetHeader);
constexpr uint8_t VIRTIO_NET_HDR_GSO_ECN = 0x80;

Result<void> set_offloads(int fd, const std::string& name, bool offload) {
  int size = kVnetHeader;
  if (ioctl(fd, TUNSETVNETHDRSZ, &size) < 0) return tap_error(name, "TUNSETVNETHDRSZ", errno);
  unsigned flags = offload ? TUN_F_CSUM | TUN_F_TSO4 : 0;
  if (ioctl(fd, TUNSETOFFLOAD, flags) < 0) return tap_error(name, "TUNSETOFFLOAD", errno);
  return {};
}

}  // namespace

Result<int> open_tap(const std::string& name, bool offload) {
  if (name.empty() || name.size() >= IFNAMSIZ) return make_error("--net tap:" + name + ": bad device name");
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return tap_error(name, "cannot open /dev/net/tun", errno);
  ifreq ifr{};
  memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return tap_error(name, "TUNSETIFF", e);
  }
  auto offloads = set_offloads(fd, name, offload);
  if (!offloads) {
    close(fd);
    return offloads.error();
  }
  auto up = link_up(name);
  if (!up) {
    close(fd);
    return up.error();
  }
  return fd;
}

ssize_t TapLink::receive(uint8_t* buf, size_t cap, abi::NetSlotMeta* meta) {
  virtio_net_hdr h{};
  iovec iov[2] = {{&h, sizeof h}, {buf, cap}};
  for (;;) {
    ssize_t n = readv(m_fd, iov, 2);
    if (n > static_cast<ssize_t>(sizeof h)) {
      // ECN on a super-frame is the host's business: the guest sees TCPv4.
      *meta = abi::NetSlotMeta{};
      meta->flags = h.flags;
      meta->gso_type = static_cast<uint8_t>(h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN);
      meta->gso_size = h.gso_size;
      meta->csum_start = h.csum_start;
      meta->csum_offset = h.csum_offset;
      return n - static_cast<ssize_t>(sizeof h);
    }
    if (n >= 0) return -1;  // not a frame: count it, never loop on it
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

FrameLink::Sent TapLink::send(const uint8_t* frame, size_t len, const abi::NetSlotMeta& meta) {
  Piece whole{frame, len};
  return send_pieces(&whole, 1, len, meta);
}

FrameLink::Sent TapLink::send_pieces(const Piece* pieces, int count, size_t len, const abi::NetSlotMeta& meta) {
  (void)len;  // the pieces add up to it (the caller checked)
  virtio_net_hdr h{};
  h.flags = meta.flags;
  h.gso_type = meta.gso_type;
  h.gso_size = meta.gso_size;
  h.csum_start = meta.csum_start;
  h.csum_offset = meta.csum_offset;
  // The kernel only needs the headers in the linear part: up to the checksum field.
  if ((meta.flags & abi::kNetFlagCsumPartial) != 0)
    h.hdr_len = static_cast<uint16_t>(meta.csum_start + meta.csum_offset + 2);
  iovec iov[1 + kMaxPieces];
  if (count < 1 || count > kMaxPieces) return Sent::error;
  iov[0] = {&h, sizeof h};
  for (int i = 0; i < count; ++i) iov[1 + i] = {const_cast<uint8_t*>(pieces[i].data), pieces[i].len};
  for (;;) {
    ssize_t n = writev(m_fd, iov, 1 + count);
    if (n >= 0) return Sent::ok;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Sent::full;
    return Sent::error;  // e.g. EIO while the link is down: the frame is lost, as on a wire
  }
}

}  // namespace shoal::vmm
