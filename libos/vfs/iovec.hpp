// Checking iovec arrays from the program (readv/writev families, sendmsg/recvmsg).
#pragma once

#include <stddef.h>

#include "core/errno.hpp"
#include "uapi/uio.hpp"

namespace libos::fs {

// As Linux's import_iovec: -EINVAL for a count past UIO_MAXIOV or a total
// past ssize_t, -EFAULT for an unreadable array or a buffer the transfer
// cannot use (to_user: written by the call, else read).
long check_iov(const uapi::Iovec* iov, size_t count, bool to_user);

// The readv/writev form, whose count is a signed int.
inline long check_iov(const uapi::Iovec* iov, int count, bool to_user) {
  if (count < 0) return -EINVAL;
  return check_iov(iov, static_cast<size_t>(count), to_user);
}

}  // namespace libos::fs
