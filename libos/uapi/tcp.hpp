// Linux x86-64 numbers of <netinet/tcp.h>: setsockopt/getsockopt at IPPROTO_TCP.
#pragma once

namespace libos::uapi {

inline constexpr int TCP_NODELAY = 1, TCP_MAXSEG = 2, TCP_CORK = 3, TCP_KEEPIDLE = 4,
                     TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6, TCP_SYNCNT = 7, TCP_LINGER2 = 8,
                     TCP_DEFER_ACCEPT = 9, TCP_WINDOW_CLAMP = 10, TCP_QUICKACK = 12,
                     TCP_USER_TIMEOUT = 18, TCP_FASTOPEN = 23, TCP_NOTSENT_LOWAT = 25;

}  // namespace libos::uapi
