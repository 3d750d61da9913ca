#include "fs/eventfd.hpp"

#include "core/klib.hpp"
#include "vfs/alloc.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/wait.hpp"
#include "fs/syscalls.hpp"
#include "uapi/eventfd.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/poll.hpp"
#include "uapi/stat.hpp"

namespace libos::fs {
namespace {

constexpr uint64_t kMaxCount = 0xfffffffffffffffeull;
uint64_t g_next_ino = 1;

class EventFd final : public File {
 public:
  uint64_t m_count = 0;
  bool m_semaphore = false;
  uint64_t m_ino = 0;

  bool nonblocking() const { return (m_flags & uapi::O_NONBLOCK) != 0; }

  // Waits for the file layer's next change; -EINTR when a signal came (the
  // dispatcher restarts read/write for an SA_RESTART handler).
  static long wait() {
    long r = fs_wait_interruptible(kNoDeadline);
    return r < 0 ? r : 0;
  }

  long read(void* buf, size_t len) override {
    if (len < sizeof(uint64_t)) return -EINVAL;
    while (m_count == 0) {
      if (nonblocking()) return -EAGAIN;
      if (long r = wait(); r < 0) return r;
    }
    uint64_t value = m_semaphore ? 1 : m_count;
    m_count -= value;
    memcpy(buf, &value, sizeof(value));
    fs_notify();
    notify(uapi::POLLOUT | uapi::POLLWRNORM);
    return sizeof(value);
  }

  long write(const void* buf, size_t len) override {
    if (len < sizeof(uint64_t)) return -EINVAL;
    uint64_t value;
    memcpy(&value, buf, sizeof(value));
    if (value == ~uint64_t{0}) return -EINVAL;
    while (kMaxCount - m_count < value) {
      if (nonblocking()) return -EAGAIN;
      if (long r = wait(); r < 0) return r;
    }
    m_count += value;
    if (value != 0) {
      fs_notify();
      notify(uapi::POLLIN | uapi::POLLRDNORM);
    }
    return sizeof(value);
  }

  int16_t poll(int16_t events) override {
    int16_t ready = 0;
    if (m_count > 0) ready |= events & (uapi::POLLIN | uapi::POLLRDNORM);
    if (m_count < kMaxCount) ready |= events & (uapi::POLLOUT | uapi::POLLWRNORM);
    return ready;
  }

  long fstat(uapi::Stat* st) override {
    // An anonymous inode, as Linux reports eventfds: mode 0600, no type.
    memset(st, 0, sizeof(*st));
    st->dev = 0xe;
    st->ino = m_ino;
    st->nlink = 1;
    st->mode = 0600;
    st->blksize = 4096;
    return 0;
  }

  void release() override {
    fs_notify();
    destroy(this);
  }
};

}  // namespace

long eventfd_create(uint64_t initval, int flags, File** out) {
  EventFd* e = make<EventFd>();
  if (e == nullptr) return -ENOMEM;
  e->m_count = initval;
  e->m_semaphore = (flags & uapi::EFD_SEMAPHORE) != 0;
  e->m_ino = g_next_ino++;
  e->m_flags = uapi::O_RDWR | (flags & uapi::O_NONBLOCK);
  *out = e;
  return 0;
}

}  // namespace libos::fs

using namespace libos;
using namespace libos::fs;

long sys_eventfd2(unsigned initval, int flags) {
  if ((flags & ~(uapi::EFD_CLOEXEC | uapi::EFD_NONBLOCK | uapi::EFD_SEMAPHORE)) != 0) return -EINVAL;
  File* file = nullptr;
  long r = eventfd_create(initval, flags, &file);
  if (r < 0) return r;
  long fd = fd_install(file, (flags & uapi::O_CLOEXEC) != 0);
  if (fd < 0) file->put();
  return fd;
}

long sys_eventfd(unsigned initval) { return sys_eventfd2(initval, 0); }
