// setsockopt/getsockopt for every socket (net/socket/sockopt.cpp). optval and
// optlen are unchecked user pointers; the functions check them.
#pragma once

#include "net/socket/socket_base.hpp"

namespace libos::net {

long socket_setsockopt(SocketFile* s, int level, int name, const void* optval, unsigned optlen);
long socket_getsockopt(SocketFile* s, int level, int name, void* optval, int* optlen);

}  // namespace libos::net
