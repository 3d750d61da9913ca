#include "vfs/iovec.hpp"

#include "core/errno.hpp"
#include "core/uaccess.hpp"
#include "uapi/uio.hpp"

namespace libos::fs {

long check_iov(const uapi::Iovec* iov, size_t count, bool to_user) {
  if (count > static_cast<size_t>(uapi::kIovMax)) return -EINVAL;
  if (count == 0) return 0;
  if (!user_readable(iov, sizeof(uapi::Iovec) * count)) return -EFAULT;
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    size_t len = iov[i].len;
    if (static_cast<long>(len) < 0) return -EINVAL;
    if (len == 0) continue;
    bool ok = to_user ? user_writable(iov[i].base, len) : user_readable(iov[i].base, len);
    if (!ok) return -EFAULT;
    total += len;
    if (static_cast<long>(total) < 0) return -EINVAL;
  }
  return 0;
}

}  // namespace libos::fs
