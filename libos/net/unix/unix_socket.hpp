// AF_UNIX sockets within one instance: stream, datagram and seqpacket,
// socketpair, names bound to tmpfs paths (an S_IFSOCK node) or abstract
// (leading NUL), listen/accept, shutdown, SCM_RIGHTS and SCM_CREDENTIALS,
// MSG_PEEK, SO_PEERCRED. Everything lives in guest memory: a message is
// copied once into the receiver's queue, never through the host.
//
// The socket system calls (libos/net/sys_*.cpp) hand an AF_UNIX socket to
// the unix_* functions below before decoding any AF_INET address, since
// sockaddr_un and ancillary data mean nothing to the other transports.
//
// Lifetimes: a connected pair points at each other without references (a
// pair would otherwise keep itself alive); a socket that goes away detaches
// every one that points at it, as Linux's unix_release_sock does with its
// peer: its mutual peer directly, and, when datagram senders are connected
// to it (m_pointed_by says how many point here), by a walk of the live
// AF_UNIX sockets.
// A listener owns its not-yet-accepted connections; a queued message owns
// the descriptions it passes (SCM_RIGHTS). A socket passed over itself is
// freed by unix_gc, the next time an AF_UNIX socket is created or released.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/socket/socket_base.hpp"

namespace libos::fs {
class Vnode;
}

namespace libos::net {

// sockaddr_un's sun_path capacity, and the offset of sun_path.
inline constexpr size_t kUnixPathMax = 108;
inline constexpr size_t kUnixPathOffset = 2;

// A socket's name: len bytes of sun_path (0: unnamed). An abstract name
// starts with a NUL; a path name keeps its terminating NUL in len as Linux
// reports it in getsockname.
struct UnixAddr {
  uint8_t len = 0;
  char path[kUnixPathMax + 1] = {};
  bool abstract() const { return len > 0 && path[0] == '\0'; }
};

struct UnixCred {
  int32_t pid = 0;
  uint32_t uid = ~0u, gid = ~0u;
};

// One queued message (a datagram, a seqpacket record, or a piece of a stream).
struct UnixMsg {
  UnixMsg* next;
  size_t len;
  size_t off;  // stream: bytes already read
  fs::File** fds;
  int nfds;
  UnixCred cred;
  UnixAddr from;
  char data[];
};

class UnixSocket final : public SocketFile {
 public:
  enum class State : uint8_t { unconnected, listening, connected };

  int m_type = 0;
  State m_state = State::unconnected;
  UnixSocket* m_peer = nullptr;  // connected peer while it lives
  bool m_peer_died = false;      // datagram: the connected peer went away (one ECONNREFUSED)
  UnixAddr m_addr;               // bound name (an accepted socket shows its listener's)
  bool m_owns_name = false;      // bound here: the socket connect and sendto find by m_addr
  UnixAddr m_peer_addr;          // the peer's name at connect (getpeername)
  UnixCred m_peer_cred;          // SO_PEERCRED
  fs::Vnode* m_node = nullptr;   // the tmpfs node of a path name (a reference)
  int m_shut = 0;                // kShutRcv | kShutSend
  int m_err = 0;                 // pending error (positive), SO_ERROR
  bool m_passcred = false;       // SO_PASSCRED
  bool m_embryo = false;         // queued on a listener, not yet accepted
  // Receive queue.
  UnixMsg* m_head = nullptr;
  UnixMsg* m_tail = nullptr;
  size_t m_bytes = 0;
  int m_count = 0;
  // Listener: connections waiting for accept (owned), and the backlog.
  UnixSocket* m_accept_head = nullptr;
  UnixSocket* m_accept_tail = nullptr;
  UnixSocket* m_accept_next = nullptr;
  int m_pending = 0;
  int m_backlog = 0;
  // The live AF_UNIX sockets; those that own a name; how many sockets have
  // this one as m_peer (a closing socket walks the live ones only when
  // someone besides its own mutual peer points at it).
  UnixSocket* m_live_next = nullptr;
  UnixSocket* m_live_prev = nullptr;
  UnixSocket* m_named_next = nullptr;
  UnixSocket* m_named_prev = nullptr;
  int m_pointed_by = 0;
  // Garbage collection of descriptors passed in a cycle (unix_gc): how many
  // references to this socket sit in queued messages, and the collector's
  // scratch state.
  int m_inflight = 0;
  int m_gc_refs = 0;
  uint8_t m_gc = 0;
  UnixSocket* m_gc_next = nullptr;

  static constexpr int kShutRcv = 1, kShutSend = 2;

  // ---- SocketFile ----
  int family() const override;
  int type() const override { return m_type; }
  int protocol() const override { return 0; }
  long bind(uint32_t, uint16_t) override { return -EINVAL; }
  long listen(int backlog) override;
  long accept(int flags, SocketFile** out) override;
  long connect(int, uint32_t, uint16_t) override { return -EINVAL; }
  long shutdown(int how) override;
  long sendmsg(SockMsg* msg, int flags) override;
  long recvmsg(SockMsg* msg, int flags) override;
  Endpoint local_name() const override { return Endpoint{}; }
  bool peer_name(Endpoint*) const override { return m_state == State::connected; }
  bool listening() const override { return m_state == State::listening; }
  int take_error() override {
    int e = m_err;
    m_err = 0;
    return e;
  }
  bool option_value(int level, int name, int* value) const override;
  int16_t poll(int16_t events) override;
  long ioctl(unsigned long request, unsigned long arg) override;
  void release() override;
};

// Ancillary data of one send, already read and checked: descriptions to
// pass (a reference each) and whether the sender attached credentials.
struct UnixSendAnc {
  fs::File* fds[253] = {};
  int nfds = 0;
  bool has_cred = false;  // SCM_CREDENTIALS given (root may name any)
  UnixCred cred;
};

// What a receive delivers besides the bytes.
struct UnixRecvAnc {
  fs::File** fds = nullptr;  // handed over: the receiver installs or puts them
  int nfds = 0;
  bool has_cred = false;
  UnixCred cred;
  UnixAddr from;
  bool has_from = false;
};

// ---- core (unix_socket.cpp) ----
long unix_create(int type, int flags, UnixSocket** out);
long unix_pair(int type, int flags, UnixSocket** a, UnixSocket** b);
// dest: a datagram's explicit destination (nullptr: the connected peer).
long unix_send(UnixSocket* s, const uapi::Iovec* iov, size_t iovlen, int flags, const UnixAddr* dest,
               UnixSendAnc* anc);
// Fills *msg_flags (MSG_TRUNC, ...); anc receives the first message's passengers.
long unix_recv(UnixSocket* s, const uapi::Iovec* iov, size_t iovlen, int flags, int* msg_flags, UnixRecvAnc* anc);
UnixCred unix_self_cred();

// Frees AF_UNIX sockets that only messages queued on such sockets still
// reference, whatever the cycle (a socket passed over itself, two sockets
// holding each other): Linux's unix_gc. Runs when an AF_UNIX socket is
// created or released while some are in flight; cheap when none are.
void unix_gc();
// Whether an AF_UNIX socket listens (a snapshot's ready point, port 0).
bool unix_listening();

// ---- names (unix_addr.cpp) ----
// Reads a user sockaddr_un: -EINVAL, -EFAULT. An address of only the family
// gives len 0 (autobind for bind).
long unix_get_addr(const void* addr, int addrlen, UnixAddr* out);
long unix_bind(UnixSocket* s, const UnixAddr& a);
// Finds the socket bound to a name: -ENOENT (path missing), -ECONNREFUSED
// (no socket there), -EPROTOTYPE (another type).
long unix_find(const UnixAddr& a, int type, UnixSocket** out);
long unix_connect(UnixSocket* s, const UnixAddr& a);
// Writes a name as a sockaddr_un into a checked (addr, *addrlen) pair.
void unix_put_addr(void* addr, int* addrlen, const UnixAddr& a);
// The sockets that own a name (unix_socket.cpp): unix_name_taken links s
// (m_owns_name), release unlinks it; walk with m_named_next.
UnixSocket* unix_first_named();
void unix_name_taken(UnixSocket* s);

// ---- the system calls' AF_UNIX halves (unix_sys.cpp) ----
long unix_sys_socket(int type, int protocol, int flags);
long unix_sys_socketpair(int type, int protocol, int flags, int* sv);
long unix_sys_bind(UnixSocket* s, const void* addr, int addrlen);
long unix_sys_connect(UnixSocket* s, const void* addr, int addrlen);
long unix_sys_name(UnixSocket* s, void* addr, int* addrlen, bool peer);
long unix_sys_accept(UnixSocket* s, void* addr, int* addrlen, int flags);
long unix_sys_sendto(UnixSocket* s, const void* buf, size_t len, int flags, const void* addr, int addrlen);
long unix_sys_recvfrom(UnixSocket* s, void* buf, size_t len, int flags, void* addr, int* addrlen);
long unix_sys_sendmsg(UnixSocket* s, const void* msg, int flags);
long unix_sys_recvmsg(UnixSocket* s, void* msg, int flags);
// SO_PEERCRED, SO_PASSCRED; false: not an AF_UNIX option (the common code answers).
bool unix_sys_getsockopt(UnixSocket* s, int level, int name, void* optval, int* optlen, long* result);
bool unix_sys_setsockopt(UnixSocket* s, int level, int name, const void* optval, unsigned optlen, long* result);

}  // namespace libos::net
