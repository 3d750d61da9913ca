// Socket system calls of the LibOS (the `net` component): AF_INET stream
// sockets over the shared-memory channel. Same contract as fs/syscalls.hpp:
// raw Linux x86-64 register values in, result or -errno out, user pointers
// checked by each handler.
#pragma once

#include <stddef.h>
#include <stdint.h>

long sys_socket(int domain, int type, int protocol);
long sys_socketpair(int domain, int type, int protocol, int* sv);
long sys_bind(int fd, const void* addr, int addrlen);
long sys_listen(int fd, int backlog);
long sys_accept(int fd, void* addr, int* addrlen);
long sys_accept4(int fd, void* addr, int* addrlen, int flags);
long sys_connect(int fd, const void* addr, int addrlen);
long sys_shutdown(int fd, int how);
long sys_getsockname(int fd, void* addr, int* addrlen);
long sys_getpeername(int fd, void* addr, int* addrlen);
long sys_setsockopt(int fd, int level, int name, const void* optval, unsigned optlen);
long sys_getsockopt(int fd, int level, int name, void* optval, int* optlen);
long sys_sendto(int fd, const void* buf, size_t len, int flags, const void* addr, int addrlen);
long sys_recvfrom(int fd, void* buf, size_t len, int flags, void* addr, int* addrlen);
long sys_sendmsg(int fd, const void* msg, int flags);
long sys_recvmsg(int fd, void* msg, int flags);
