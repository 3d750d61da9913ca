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

#include "net/socket/socket_base.hpp"
#include "uapi/in.hpp"
#include "uapi/socket.hpp"

namespace libos::net {

enum class SockState : uint8_t { closed, listening, connecting, connected };

class ChannelSocket final : public SocketFile {
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

  // Listening: accepted slots not yet taken by accept(), oldest first.
  static constexpr int kQueueMax = shoal::abi::kMaxChannelSlots / 2;
  int m_backlog = 0;
  uint16_t m_queue[kQueueMax] = {};
  int m_qhead = 0;
  int m_qcount = 0;

  // What the last scan saw of the slot; a difference is a change to report.
  uint32_t m_seen_rx_head = 0, m_seen_tx_tail = 0, m_seen_flags = 0, m_seen_released = 0;

  ChannelSocket* m_bound_next = nullptr;  // sockets holding a port (ports registry)

  // A connection of this instance to its own listener over 127.0.0.0/8
  // never reaches the host: its bytes move through an in-guest stream pair
  // (net/loop_channel.cpp makes it), and every data call of a connected
  // socket with m_local is forwarded there. m_slot stays -1.
  SocketFile* m_local = nullptr;
  // Listening: such connections waiting for accept (their server ends, one
  // reference each), oldest first; they count against the backlog too.
  struct LocalConn {
    SocketFile* end;
    uint32_t ip;         // the address connected to (network order)
    uint16_t peer_port;  // the connector's port
  };
  static constexpr int kLocalQueueMax = 64;
  LocalConn m_local_queue[kLocalQueueMax] = {};
  int m_local_head = 0;
  int m_local_count = 0;

  // ---- File ----
  int16_t poll(int16_t events) override;
  long ioctl(unsigned long request, unsigned long arg) override;
  void release() override;

  // ---- SocketFile ----
  int type() const override { return uapi::SOCK_STREAM; }
  int protocol() const override { return uapi::IPPROTO_TCP; }
  long bind(uint32_t ip, uint16_t port) override;
  long listen(int backlog) override;
  long accept(int flags, SocketFile** out) override;
  long connect(int family, uint32_t ip, uint16_t port) override;
  long shutdown(int how) override;
  long sendmsg(SockMsg* msg, int flags) override;
  long recvmsg(SockMsg* msg, int flags) override;
  Endpoint local_name() const override { return Endpoint{m_local_ip, m_local_port}; }
  bool peer_name(Endpoint* out) const override;
  bool listening() const override { return m_state == SockState::listening; }
  int take_error() override;

  // One buffer each (the system calls check user memory).
  long recv(void* buf, size_t len, int flags);
  long send(const void* buf, size_t len, int flags);
  // Called by the channel scan for a slot this socket owns.
  void slot_moved();
  // Called by the scan with a host-opened slot for this listener's port.
  void offer(uint32_t slot);
  // Queues a loopback connection's server end (taking its reference);
  // false when the backlog is full.
  bool offer_local(const LocalConn& conn);
  // Copies the status flags and timeouts a data call obeys to m_local.
  void sync_local();
  // A resumed snapshot: the slot belonged to the saved instance's channel;
  // the connection ends with ECONNRESET, nothing written to the new region.
  void lose_slot() { abort(ECONNRESET, false); }
 private:
  void abort(int err, bool tell_host);
  void release_listener();
  void cancel_connect();
  void drop_slot();
  long connect_channel(uint32_t ip, uint16_t port);
};

// A new unconnected socket (one reference); -ENOMEM.
long socket_create(int flags, ChannelSocket** out);
// Walks the slots after the host changed something (net/idle.cpp calls it).
void socket_scan();
// A resumed snapshot, after channel_rebind(): every slot of the old region
// is let go (connections reset, unaccepted ones dropped from their
// listener's queue), listeners publish their ports again, and the next
// service round scans the new region.
void sockets_rebind();

}  // namespace libos::net
