// Helpers of the socket system-call files.
#pragma once

#include "net/socket/socket_base.hpp"

namespace libos::net {

// The socket at fd: -EBADF, -ENOTSOCK.
long socket_of(int fd, SocketFile** out);
// Writes ip:port as a sockaddr_in into a checked (addr, *addrlen) pair,
// truncated to *addrlen, and stores the full length (Linux move_addr_to_user).
void put_sockaddr(void* addr, int* addrlen, uint32_t ip, uint16_t port);
// The same in the socket's family: sockaddr_in6 for an AF_INET6 socket.
void put_sockaddr_of(const SocketFile* s, void* addr, int* addrlen, uint32_t ip, uint16_t port);

// Holds a reference while a call may block, so a close from another thread
// cannot free the socket under it.
class SocketRef {
 public:
  explicit SocketRef(SocketFile* s) : m_s(s) { m_s->get(); }
  ~SocketRef() { m_s->put(); }
  SocketRef(const SocketRef&) = delete;
  SocketRef& operator=(const SocketRef&) = delete;

 private:
  SocketFile* m_s;
};

}  // namespace libos::net
