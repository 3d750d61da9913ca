// The TAP device behind the network device: opened with TUNSETIFF
// (IFF_TAP | IFF_NO_PI: plain Ethernet frames, no packet-info header),
// which creates the device or attaches to an existing persistent one (`ip
// tuntap add dev NAME mode tap`), non-blocking, link brought up if down.
#pragma once

#include <string>

#include <shoal/base/result.hpp>

#include "net_io.hpp"

namespace shoal::vmm {

// Opens /dev/net/tun and attaches TAP device `name`; the descriptor is
// non-blocking and close-on-exec. Errors say what to do (permissions, a TUN
// device of that name, a device in use).
Result<int> open_tap(const std::string& name);

// One frame per read/write on the TAP descriptor (not owned).
class TapLink final : public FrameLink {
 public:
  explicit TapLink(int fd) : m_fd(fd) {}
  ssize_t receive(uint8_t* buf, size_t cap) override;
  Sent send(const uint8_t* frame, size_t len) override;

 private:
  int m_fd;
};

}  // namespace shoal::vmm
