#include "fs/pipe.hpp"

#include "core/hypercall.hpp"
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
  // After a fork (pipes_move_to_host): the bytes live in a host pipe of the
  // monitor, which every process of the family that holds an end reaches
  // (abi HcHostFd); data is freed. The monitor's descriptors of the two
  // ends, -1 once this process closed that end.
  bool host;
  int host_fd[2];
  PipeBuf* next_pipe;  // every pipe of this process, for the move
};
PipeBuf* g_pipes = nullptr;

long host_fd_call(uint32_t op, int fd, void* buf, size_t len, uint32_t flags) {
  shoal::abi::HcHostFd args{};
  args.op = op;
  args.fd = fd;
  args.buf = reinterpret_cast<uint64_t>(buf);
  args.len = len;
  args.flags = flags;
  hypercall(shoal::abi::Hypercall::host_fd, &args);
  return static_cast<long>(args.result);
}

// The most one host_fd call moves (abi: 1 MiB).
constexpr size_t kHostChunk = 1u << 20;

class PipeEnd final : public File {
 public:
  PipeBuf* m_pipe = nullptr;
  bool m_write_end = false;

  bool nonblocking() const { return (m_flags & uapi::O_NONBLOCK) != 0; }
  bool host_backed() override { return m_pipe->host; }

  // A blocking host call waits in the monitor, which stops every thread of
  // this process: with other threads, the wait is here instead, a
  // non-blocking try every kHostPollNs (the other threads run meanwhile).
  long host_io(uint32_t op, int fd, void* buf, size_t len) {
    bool poll_here = !nonblocking() && sched::thread_count() > 1;
    for (;;) {
      long r = host_fd_call(op, fd, buf, len,
                            nonblocking() || poll_here ? shoal::abi::kHostFdNonBlock : 0);
      if (r != -EAGAIN || !poll_here) return r;
      if (fs_wait_interruptible(fs_deadline_after(kHostPollNs)) < 0) return -EINTR;
    }
  }

  long read(void* buf, size_t len) override {
    PipeBuf& p = *m_pipe;
    if (len == 0) return 0;
    if (p.host) {
      // Blocks in the monitor (a poll there), not on the scheduler: the
      // writer is another process.
      return host_io(shoal::abi::kHostFdRead, p.host_fd[0], buf, len < kHostChunk ? len : kHostChunk);
    }
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
    if (p.host) return write_host(in, len);
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

  // A write to the family's host pipe: all of it unless non-blocking, as a
  // pipe write is (the monitor writes what fits and waits for room).
  long write_host(const char* in, size_t len) {
    PipeBuf& p = *m_pipe;
    size_t done = 0;
    while (done < len) {
      size_t n = len - done < kHostChunk ? len - done : kHostChunk;
      long r = host_io(shoal::abi::kHostFdWrite, p.host_fd[1], const_cast<char*>(in + done), n);
      if (r == -EPIPE) {
        signal_post(uapi::SIGPIPE, uapi::SI_USER, sched::current());
        return done > 0 ? static_cast<long>(done) : -EPIPE;
      }
      if (r < 0) return done > 0 ? static_cast<long>(done) : r;
      done += static_cast<size_t>(r);
      if (nonblocking()) break;
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
      // A host pipe's count is not asked for: readable or not (docs/compatibility.md).
      if (m_pipe->host) {
        long r = host_fd_call(shoal::abi::kHostFdPoll, m_pipe->host_fd[0], nullptr, uapi::POLLIN, 0);
        *out = r > 0 && (r & uapi::POLLIN) != 0 ? 1 : 0;
        return 0;
      }
      *out = static_cast<int>(m_pipe->used);
      return 0;
    }
    return -ENOTTY;
  }

  int16_t poll(int16_t events) override {
    const PipeBuf& p = *m_pipe;
    int16_t ready = 0;
    if (p.host) {
      int16_t want = m_write_end ? uapi::POLLOUT : uapi::POLLIN;
      long r = host_fd_call(shoal::abi::kHostFdPoll, p.host_fd[m_write_end ? 1 : 0], nullptr,
                            static_cast<size_t>(want), 0);
      if (r < 0) return uapi::POLLERR;
      ready = static_cast<int16_t>(r & (uapi::POLLERR | uapi::POLLHUP));
      if (r & want) ready |= events & (m_write_end ? (uapi::POLLOUT | uapi::POLLWRNORM) : (uapi::POLLIN | uapi::POLLRDNORM));
      return ready;
    }
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
    int end = m_write_end ? 1 : 0;
    if (p->host && (m_write_end ? p->writers : p->readers) == 0 && p->host_fd[end] >= 0) {
      // This process's last hold on that end: the other processes see the
      // end of file (or EPIPE) once theirs are closed too.
      (void)host_fd_call(shoal::abi::kHostFdClose, p->host_fd[end], nullptr, 0, 0);
      p->host_fd[end] = -1;
      fs_host_files(-1);
    }
    fs_notify();  // readers see end of file, writers EPIPE
    // As Linux's pipe_release: every waiter on the other end hears it.
    constexpr uint32_t kAll = uapi::POLLIN | uapi::POLLOUT | uapi::POLLRDNORM | uapi::POLLWRNORM | uapi::POLLERR | uapi::POLLHUP;
    if (File* other = p->ends[m_write_end ? 0 : 1]) other->notify(kAll);
    if (p->readers == 0 && p->writers == 0) {
      for (PipeBuf** q = &g_pipes; *q != nullptr; q = &(*q)->next_pipe) {
        if (*q == p) {
          *q = p->next_pipe;
          break;
        }
      }
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
  p->host_fd[0] = p->host_fd[1] = -1;
  p->next_pipe = g_pipes;
  g_pipes = p;
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

long pipes_move_to_host() {
  for (PipeBuf* p = g_pipes; p != nullptr; p = p->next_pipe) {
    if (p->host) continue;
    shoal::abi::HcHostFd args{};
    args.op = shoal::abi::kHostFdPipe;
    hypercall(shoal::abi::Hypercall::host_fd, &args);
    if (args.result < 0) return static_cast<long>(args.result);
    p->host_fd[0] = args.fd;
    p->host_fd[1] = args.fd2;
    fs_host_files(2);
    // The bytes written and not yet read go first (at most 64 KiB: a host
    // pipe holds that much).
    if (p->used > 0) {
      size_t first = kPipeSize - p->head < p->used ? kPipeSize - p->head : p->used;
      long a = host_fd_call(shoal::abi::kHostFdWrite, p->host_fd[1], p->data + p->head, first, shoal::abi::kHostFdNonBlock);
      long b = p->used > first
                   ? host_fd_call(shoal::abi::kHostFdWrite, p->host_fd[1], p->data, p->used - first, shoal::abi::kHostFdNonBlock)
                   : 0;
      if (a < 0 || b < 0) return a < 0 ? a : b;
    }
    p->host = true;
    p->used = 0;
    kfree(p->data);
    p->data = nullptr;
    for (int end = 0; end < 2; ++end) {
      if ((end == 0 ? p->readers : p->writers) == 0) {
        (void)host_fd_call(shoal::abi::kHostFdClose, p->host_fd[end], nullptr, 0, 0);
        p->host_fd[end] = -1;
        fs_host_files(-1);
      }
    }
  }
  return 0;
}

}  // namespace libos::fs
