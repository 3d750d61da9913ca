#include "net_tap.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

}  // namespace

Result<int> open_tap(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return make_error("--net tap:" + name + ": bad device name");
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return tap_error(name, "cannot open /dev/net/tun", errno);
  ifreq ifr{};
  memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return tap_error(name, "TUNSETIFF", e);
  }
  auto up = link_up(name);
  if (!up) {
    close(fd);
    return up.error();
  }
  return fd;
}

ssize_t TapLink::receive(uint8_t* buf, size_t cap) {
  for (;;) {
    ssize_t n = read(m_fd, buf, cap);
    if (n > 0) return n;
    if (n == 0) return -1;  // not a frame: count it, never loop on it
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

FrameLink::Sent TapLink::send(const uint8_t* frame, size_t len) {
  for (;;) {
    ssize_t n = write(m_fd, frame, len);
    if (n >= 0) return Sent::ok;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Sent::full;
    return Sent::error;  // e.g. EIO while the link is down: the frame is lost, as on a wire
  }
}

}  // namespace shoal::vmm
