// File: an open file description, shared by dup'd descriptors (offset and
// status flags live here). The interface is what later transports (pipes,
// sockets, eventfd) implement; VnodeFile backs every file system node.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/errno.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/poll.hpp"
#include "uapi/stat.hpp"
#include "uapi/uio.hpp"
#include "vfs/vnode.hpp"

namespace libos::fs {

// What a File is, where a system call needs to know (epoll_ctl, the socket
// calls' ENOTSOCK) without RTTI.
enum class FileKind : uint8_t { other, epoll, socket };

// A party that wants to hear when a file's readiness may have changed: an
// epoll item (fs/epoll.hpp). Files call File::notify(events) after any change
// that can alter what poll() answers, with the poll bits concerned (POLLIN
// when data arrived, POLLOUT when room appeared, POLLHUP/POLLERR...), as
// Linux's wake-ups carry a key. When the file's last reference goes, every
// watch gets gone() and is unlinked.
struct FileWatch {
  FileWatch* m_watch_next = nullptr;
  FileWatch* m_watch_prev = nullptr;
  virtual void changed(uint32_t events) = 0;
  virtual void gone() = 0;

 protected:
  ~FileWatch() = default;
};

class File {
 public:
  int m_refs = 1;
  int m_flags = 0;  // O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH ... as F_GETFL shows them
  uint64_t m_offset = 0;
  FileWatch* m_watches = nullptr;

  bool readable() const {
    int acc = m_flags & uapi::O_ACCMODE;
    return (m_flags & uapi::O_PATH) == 0 && (acc == uapi::O_RDONLY || acc == uapi::O_RDWR);
  }
  bool writable() const {
    int acc = m_flags & uapi::O_ACCMODE;
    return (m_flags & uapi::O_PATH) == 0 && (acc == uapi::O_WRONLY || acc == uapi::O_RDWR);
  }

  // The node behind this file, if any (dirfd, fchdir, statfs, /proc/self/fd).
  virtual Vnode* vnode() { return nullptr; }
  virtual long read(void* buf, size_t len) { (void)buf, (void)len; return -EINVAL; }
  virtual long write(const void* buf, size_t len) { (void)buf, (void)len; return -EINVAL; }
  // Gathered write; the iovecs are already checked. Default: write each.
  virtual long writev(const uapi::Iovec* iov, int count);
  // Scattered read; the iovecs are already checked. Default: read each
  // buffer in turn; a stream stops after the first read (see file.cpp).
  virtual long readv(const uapi::Iovec* iov, int count);
  virtual long pread(void* buf, size_t len, uint64_t off) { (void)buf, (void)len, (void)off; return -ESPIPE; }
  virtual long pwrite(const void* buf, size_t len, uint64_t off) { (void)buf, (void)len, (void)off; return -ESPIPE; }
  virtual long lseek(int64_t off, int whence) { (void)off, (void)whence; return -ESPIPE; }
  virtual long fstat(uapi::Stat* st) { (void)st; return -EBADF; }
  virtual long getdents64(void* buf, size_t len) { (void)buf, (void)len; return -ENOTDIR; }
  virtual long ioctl(unsigned long request, unsigned long arg) { (void)request, (void)arg; return -ENOTTY; }
  // Readiness for poll: the subset of events (plus POLLHUP/POLLERR) that holds now.
  virtual int16_t poll(int16_t events) { return events & (uapi::POLLIN | uapi::POLLOUT | uapi::POLLRDNORM | uapi::POLLWRNORM); }
  virtual long truncate(uint64_t len) { (void)len; return -EINVAL; }
  virtual long map_copy(void* dst, size_t len, uint64_t off) { (void)dst, (void)len, (void)off; return -ENODEV; }
  // sendfile's fast path into this file: up to count bytes of in (read with
  // in->pread from off) written without a bounce buffer; bytes written or
  // -errno. -EOPNOTSUPP: no fast path, sendfile copies through a buffer.
  virtual long write_from(File* in, uint64_t off, size_t count) {
    (void)in, (void)off, (void)count;
    return -EOPNOTSUPP;
  }
  // The last reference is gone: release resources and free the object.
  virtual void release() {}
  virtual FileKind kind() const { return FileKind::other; }
  // Whether epoll may watch this file (Linux: the file has a poll method;
  // regular files and directories do not, and epoll_ctl says EPERM).
  virtual bool pollable() { return true; }
  // Whether another process changes this file's readiness (a family's host
  // pipe, fs/pipe.hpp): no notify() comes for that, so epoll re-checks it.
  virtual bool host_backed() { return false; }

  void get() { ++m_refs; }
  void put() {
    if (--m_refs == 0) {
      if (m_watches != nullptr) drop_watches();
      release();
    }
  }

  // Readiness watches (epoll). notify is cheap when nobody watches.
  void add_watch(FileWatch* w);
  void remove_watch(FileWatch* w);
  void notify(uint32_t events) {
    if (m_watches != nullptr) notify_watches(events);
  }

 protected:
  File() = default;
  ~File() = default;

 private:
  void notify_watches(uint32_t events);
  void drop_watches();
};

// Holds a reference for the length of a call that may block, so another
// thread closing the descriptor cannot free the file under it (as fdget).
class FileRef {
 public:
  explicit FileRef(File* file) : m_file(file) { m_file->get(); }
  ~FileRef() { m_file->put(); }
  FileRef(const FileRef&) = delete;
  FileRef& operator=(const FileRef&) = delete;

 private:
  File* m_file;
};

// An open file system node. Regular files and directories keep an offset;
// devices ignore it.
class VnodeFile : public File {
 public:
  Vnode* m_node = nullptr;

  // Takes a reference on node; nullptr when out of memory.
  static VnodeFile* create(Vnode* node, int flags);

  Vnode* vnode() override { return m_node; }
  long read(void* buf, size_t len) override;
  long write(const void* buf, size_t len) override;
  long pread(void* buf, size_t len, uint64_t off) override;
  long pwrite(const void* buf, size_t len, uint64_t off) override;
  long lseek(int64_t off, int whence) override;
  long fstat(uapi::Stat* st) override;
  long getdents64(void* buf, size_t len) override;
  long ioctl(unsigned long request, unsigned long arg) override;
  long truncate(uint64_t len) override;
  long map_copy(void* dst, size_t len, uint64_t off) override;
  void release() override;
  bool pollable() override { return !m_node->is_reg() && !m_node->is_dir() && !m_node->is_link(); }
};

}  // namespace libos::fs
