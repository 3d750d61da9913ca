#include <shoal/base/file_io.hpp>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shoal/base/strf.hpp>

namespace shoal {

Result<void> write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  // NOTE: the output often lands in a directory others can write (/tmp). A
  // predictable temporary name opened with O_TRUNC would follow a link planted
  // there; mkostemp creates a fresh name with O_EXCL, which never follows one.
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return make_error(strf("{}: cannot create: {}", tmp, strerror(errno)), errno);
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0644 & ~mask) != 0) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return make_error(strf("{}: cannot set its mode: {}", tmp, strerror(err)), err);
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      close(fd);
      unlink(tmp.c_str());
      return make_error(strf("{}: write failed: {}", tmp, strerror(err)), err);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return make_error(strf("{}: cannot write: {}", path, strerror(err)), err);
  }
  return {};
}

}  // namespace shoal
