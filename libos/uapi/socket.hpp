// Linux x86-64 numbers of <sys/socket.h> (one definition for the whole LibOS).
#pragma once

#include <stdint.h>

namespace libos::uapi {

inline constexpr int AF_UNSPEC = 0, AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_MAX = 46;
inline constexpr int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5;
inline constexpr int SOCK_NONBLOCK = 04000, SOCK_CLOEXEC = 02000000;
inline constexpr int SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;
inline constexpr int MSG_OOB = 0x1, MSG_PEEK = 0x2, MSG_DONTROUTE = 0x4, MSG_TRUNC = 0x20,
                     MSG_DONTWAIT = 0x40, MSG_EOR = 0x80, MSG_WAITALL = 0x100, MSG_NOSIGNAL = 0x4000,
                     MSG_MORE = 0x8000, MSG_CMSG_CLOEXEC = 0x40000000;
// Linux's default net.core.somaxconn, the listen backlog's cap.
inline constexpr int SOMAXCONN = 4096;

// setsockopt/getsockopt at SOL_SOCKET.
inline constexpr int SOL_SOCKET = 1;
inline constexpr int SO_DEBUG = 1, SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_DONTROUTE = 5,
                     SO_BROADCAST = 6, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_KEEPALIVE = 9,
                     SO_OOBINLINE = 10, SO_PRIORITY = 12, SO_LINGER = 13, SO_REUSEPORT = 15,
                     SO_RCVLOWAT = 18, SO_SNDLOWAT = 19, SO_RCVTIMEO = 20, SO_SNDTIMEO = 21,
                     SO_ACCEPTCONN = 30, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33, SO_PROTOCOL = 38,
                     SO_DOMAIN = 39, SO_BUSY_POLL = 46, SO_INCOMING_CPU = 49;

// AF_UNIX: credentials and ancillary data (SOL_SOCKET level).
inline constexpr int SO_PASSCRED = 16, SO_PEERCRED = 17;
inline constexpr int SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
inline constexpr int MSG_CTRUNC = 0x8;
// Linux's SCM_MAX_FD: descriptors one SCM_RIGHTS message may carry.
inline constexpr int SCM_MAX_FD = 253;

}  // namespace libos::uapi
