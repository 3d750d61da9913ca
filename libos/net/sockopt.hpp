// setsockopt/getsockopt for channel sockets (net/sockopt.cpp). optval and
// optlen are unchecked user pointers; the functions check them.
#pragma once

#include "net/socket.hpp"

namespace libos::net {

long socket_setsockopt(Socket* s, int level, int name, const void* optval, unsigned optlen);
long socket_getsockopt(Socket* s, int level, int name, void* optval, int* optlen);

}  // namespace libos::net
