// A stream socket (AF_INET, SOCK_STREAM) whose connections are channel slots
// (abi/channel.h). The host opens connections to ports the guest listens on
// (the gateway forwarding clients); the guest opens connections to services
// of the pool by their virtual IPv4 address.
//
// States follow Linux's TCP states as far as a program can see them:
//   closed      never connected, or the connection ended in a reset or a
//               refusal (TCP_CLOSE)
//   listening   listen() was called; connections the host opens on the port
//               are accepted into the backlog at once (the handshake), and
//               accept() takes them from there
//   connecting  connect() published a guest slot; the host has not answered
//   connected   the slot is open; bytes move through its two rings
// Readiness is computed from the rings and flags every time (poll), and the
// channel scan (socket_scan) notifies watchers and wakes waiters when the
// host moved something.
#pragma once

#include <shoal/abi/channel.h>
#include <stdint.h>

#include "fs/file.hpp"
#include "fs/wait_queue.hpp"

namespace libos::net {

inline constexpr int kAfUnspec = 0, kAfUnix = 1, kAfInet = 2, kAfInet6 = 10, kAfMax = 46;
inline constexpr int kSockStream = 1, kSockDgram = 2, kSockRaw = 3, kSockSeqpacket = 5, kSockMaxType = 10;
inline constexpr int kSockNonblock = 04000, kSockCloexec = 02000000;
inline constexpr int kIpprotoIp = 0, kIpprotoTcp = 6;
inline constexpr int kShutRd = 0, kShutWr = 1, kShutRdwr = 2;
inline constexpr int kMsgOob = 0x1, kMsgPeek = 0x2, kMsgDontroute = 0x4, kMsgTrunc = 0x20,
                     kMsgDontwait = 0x40, kMsgEor = 0x80, kMsgWaitall = 0x100, kMsgNosignal = 0x4000,
                     kMsgMore = 0x8000, kMsgCmsgCloexec = 0x40000000;

// struct sockaddr_in: port and address in network byte order.
struct SockaddrIn {
  uint16_t family;
  uint16_t port;
  uint32_t addr;
  uint8_t zero[8];
};
static_assert(sizeof(SockaddrIn) == 16);

inline uint16_t bswap16(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }
inline uint32_t ipv4_of(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  // Network byte order in a little-endian word.
  return uint32_t{a} | (uint32_t{b} << 8) | (uint32_t{c} << 16) | (uint32_t{d} << 24);
}
inline bool is_loopback(uint32_t ipv4) { return (ipv4 & 0xff) == 127; }

// Every readiness bit a socket reports (a wake-up key that concerns all).
inline constexpr uint32_t kPollRdHup = 0x2000;
inline constexpr uint32_t kPollAllEvents =
    lx::POLLIN | lx::POLLRDNORM | lx::POLLOUT | lx::POLLWRNORM | lx::POLLERR | lx::POLLHUP | kPollRdHup;

enum class SockState : uint8_t { closed, listening, connecting, connected };

class Socket final : public fs::File {
 public:
  SockState m_state = SockState::closed;
  bool m_bound = false;
  uint32_t m_local_ip = 0;    // network order
  uint16_t m_local_port = 0;  // host order
  uint32_t m_peer_ip = 0;
  uint16_t m_peer_port = 0;
  int m_slot = -1;                    // the channel slot while connecting or connected
  bool m_shut_rd = false;             // shutdown(SHUT_RD) here
  bool m_shut_wr = false;             // shutdown(SHUT_WR) here (kShutWrite published)
  bool m_aborted = false;             // reset or refused: both directions are shut
  bool m_connect_unreported = false;  // an async connect failed; connect() says why once
  int m_error = 0;                    // pending SO_ERROR (positive errno)
  uint64_t m_ino = 0;

  // Options: remembered, and answered by getsockopt.
  bool m_reuseaddr = false, m_reuseport = false, m_keepalive = false, m_nodelay = false;
  int m_rcvbuf = 131072, m_sndbuf = 16384;
  int m_linger_on = 0, m_linger_secs = 0;
  uint64_t m_rcvtimeo_ns = 0, m_sndtimeo_ns = 0;  // 0: wait forever
  int m_options_other[4] = {};

  // Listening: accepted slots not yet taken by accept(), oldest first.
  static constexpr int kQueueMax = shoal::abi::kMaxChannelSlots / 2;
  int m_backlog = 0;
  uint16_t m_queue[kQueueMax] = {};
  int m_qhead = 0;
  int m_qcount = 0;

  // What the last scan saw of the slot; a difference is a change to report.
  uint32_t m_seen_rx_head = 0, m_seen_tx_tail = 0, m_seen_flags = 0, m_seen_released = 0;

  fs::WaitQueue m_waiters;
  Socket* m_bound_next = nullptr;  // sockets holding a port (ports registry)

  // ---- File ----
  fs::FileKind kind() const override { return fs::FileKind::socket; }
  long read(void* buf, size_t len) override { return recv(buf, len, 0); }
  long write(const void* buf, size_t len) override { return send(buf, len, 0); }
  int16_t poll(int16_t events) override;
  long ioctl(unsigned long request, unsigned long arg) override;
  long fstat(lx::Stat* st) override;
  void release() override;

  // ---- Socket calls (the system-call files check user memory) ----
  long recv(void* buf, size_t len, int flags);
  long send(const void* buf, size_t len, int flags);
  long bind(uint32_t ip, uint16_t port);
  long listen(int backlog);
  // A connected socket for the oldest queued connection; flags: SOCK_*.
  long accept(int flags, Socket** out);
  long connect(uint32_t ip, uint16_t port);
  long shutdown(int how);

  bool nonblocking() const { return (m_flags & lx::O_NONBLOCK) != 0; }
  // Called by the channel scan for a slot this socket owns.
  void slot_moved();
  // Called by the scan with a host-opened slot for this listener's port.
  void offer(uint32_t slot);
  // Wakes waiters, epoll items (with the poll bits concerned) and poll().
  void changed(uint32_t events);

 private:
  void abort(int err, bool tell_host);
  void release_listener();
  void cancel_connect();
  void drop_slot();
  uint64_t deadline(uint64_t timeout_ns) const;
  long wait(uint64_t deadline);
};

// A new unconnected socket (one reference); -ENOMEM.
long socket_create(int flags, Socket** out);
// Walks the slots after the host changed something (net/idle.cpp calls it).
void socket_scan();
// Live sockets, for the idle path's deadlock judgement.
int socket_count();
void socket_destroyed();

}  // namespace libos::net
