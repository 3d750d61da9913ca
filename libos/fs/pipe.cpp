#include "fs/pipe.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "vfs/alloc.hpp"
#include "fs/clock.hpp"
#include "vfs/wait.hpp"
#include "sched/thread.hpp"
#include "sched/signal_state.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/ioctl.hpp"
#include "uapi/poll.hpp"
#include "uapi/stat.hpp"
#include "uapi/signal.hpp"

namespace libos::fs {
namespace {


constexpr size_t kPipeSize = 64u << 10;
uint64_t g_next_pipe_ino = 1;

struct PipeBuf {
  char* data;
  size_t head;  // next byte to read
  size_t used;
  int readers;
  int writers;
  File* ends[2];  // the read and write ends while open (readiness watches)
  uint64_t ino;
  int64_t ctime_ns;
};

class PipeEnd final : public File {
 public:
  PipeBuf* m_pipe = nullptr;
  bool m_write_end = false;

  bool nonblocking() const { return (m_flags & uapi::O_NONBLOCK) != 0; }

  long read(void* buf, size_t len) override {
    PipeBuf& p = *m_pipe;
    if (len == 0) return 0;
    while (p.used == 0) {
      if (p.writers == 0) return 0;
      if (nonblocking()) return -EAGAIN;
      if (fs_wait_interruptible(kNoDeadline) < 0) return -EINTR;
    }
    size_t n = len < p.used ? len : p.used;
    auto* out = static_cast<char*>(buf);
    size_t first = kPipeSize - p.head < n ? kPipeSize - p.head : n;
    memcpy(out, p.data + p.head, first);
    memcpy(out + first, p.data, n - first);
    p.head = (p.head + n) % kPipeSize;
    p.used -= n;
    fs_notify();
    if (p.ends[1] != nullptr) p.ends[1]->notify(uapi::POLLOUT | uapi::POLLWRNORM);
    return static_cast<long>(n);
  }

  long write(const void* buf, size_t len) override {
    PipeBuf& p = *m_pipe;
    auto* in = static_cast<const char*>(buf);
    size_t done = 0;
    while (done < len) {
      if (p.readers == 0) {
        // As Linux's pipe_write: SIGPIPE to the writer (its default action
        // ends the instance; ignored, or after a handler, write says EPIPE).
        signal_post(uapi::SIGPIPE, uapi::SI_USER, sched::current());
        return done > 0 ? static_cast<long>(done) : -EPIPE;
      }
      size_t room = kPipeSize - p.used;
      if (room == 0) {
        if (nonblocking()) return done > 0 ? static_cast<long>(done) : -EAGAIN;
        if (fs_wait_interruptible(kNoDeadline) < 0) return done > 0 ? static_cast<long>(done) : -EINTR;
        continue;
      }
      size_t n = len - done < room ? len - done : room;
      size_t tail = (p.head + p.used) % kPipeSize;
      size_t first = kPipeSize - tail < n ? kPipeSize - tail : n;
      memcpy(p.data + tail, in + done, first);
      memcpy(p.data, in + done + first, n - first);
      p.used += n;
      done += n;
      fs_notify();
      if (p.ends[0] != nullptr) p.ends[0]->notify(uapi::POLLIN | uapi::POLLRDNORM);
    }
    return static_cast<long>(done);
  }

  long fstat(uapi::Stat* st) override {
    memset(st, 0, sizeof(*st));
    st->dev = 0x20 + static_cast<uint64_t>(FsId::pipe);
    st->ino = m_pipe->ino;
    st->nlink = 1;
    st->mode = uapi::S_IFIFO | 0600;
    st->blksize = 4096;
    st->atime_sec = st->mtime_sec = st->ctime_sec = m_pipe->ctime_ns / 1000000000;
    return 0;
  }

  long ioctl(unsigned long request, unsigned long arg) override {
    if (request == uapi::FIONREAD) {
      auto* out = reinterpret_cast<int*>(arg);
      *out = static_cast<int>(m_pipe->used);
      return 0;
    }
    return -ENOTTY;
  }

  int16_t poll(int16_t events) override {
    const PipeBuf& p = *m_pipe;
    int16_t ready = 0;
    if (m_write_end) {
      // As Linux's pipe_poll: room means writable even with no reader left
      // (the write then fails with EPIPE), and no reader adds POLLERR.
      if (p.used < kPipeSize) ready |= events & (uapi::POLLOUT | uapi::POLLWRNORM);
      if (p.readers == 0) ready |= uapi::POLLERR;
    } else {
      if (p.used > 0) ready |= events & (uapi::POLLIN | uapi::POLLRDNORM);
      if (p.writers == 0) ready |= uapi::POLLHUP;
    }
    return ready;
  }

  void release() override {
    PipeBuf* p = m_pipe;
    if (m_write_end) --p->writers; else --p->readers;
    p->ends[m_write_end ? 1 : 0] = nullptr;
    fs_notify();  // readers see end of file, writers EPIPE
    // As Linux's pipe_release: every waiter on the other end hears it.
    constexpr uint32_t kAll = uapi::POLLIN | uapi::POLLOUT | uapi::POLLRDNORM | uapi::POLLWRNORM | uapi::POLLERR | uapi::POLLHUP;
    if (File* other = p->ends[m_write_end ? 0 : 1]) other->notify(kAll);
    if (p->readers == 0 && p->writers == 0) {
      kfree(p->data);
      kfree(p);
    }
    destroy(this);
  }
};

}  // namespace

long pipe_create(int flags, File** read_end, File** write_end) {
  auto* p = static_cast<PipeBuf*>(kzalloc(sizeof(PipeBuf)));
  char* data = static_cast<char*>(kmalloc(kPipeSize));
  PipeEnd* r = make<PipeEnd>();
  PipeEnd* w = make<PipeEnd>();
  if (p == nullptr || data == nullptr || r == nullptr || w == nullptr) {
    kfree(p);
    kfree(data);
    if (r != nullptr) destroy(r);
    if (w != nullptr) destroy(w);
    return -ENOMEM;
  }
  p->data = data;
  p->readers = 1;
  p->writers = 1;
  p->ino = g_next_pipe_ino++;
  p->ctime_ns = now_ns();
  r->m_pipe = w->m_pipe = p;
  p->ends[0] = r;
  p->ends[1] = w;
  w->m_write_end = true;
  int status = flags & (uapi::O_NONBLOCK | uapi::O_DIRECT);
  r->m_flags = uapi::O_RDONLY | status;
  w->m_flags = uapi::O_WRONLY | status;
  *read_end = r;
  *write_end = w;
  return 0;
}

}  // namespace libos::fs
