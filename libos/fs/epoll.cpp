#include "fs/epoll.hpp"

#include "core/klib.hpp"
#include "mm/kmalloc.hpp"
#include "vfs/alloc.hpp"
#include "vfs/fdtable.hpp"
#include "vfs/wait.hpp"
#include "vfs/wait_queue.hpp"
#include "sched/io_hooks.hpp"
#include "uapi/epoll.hpp"
#include "uapi/fcntl.hpp"
#include "uapi/poll.hpp"
#include "uapi/stat.hpp"

namespace libos::fs {
namespace {

// Bits of an item's mask that are modes, not events (Linux EP_PRIVATE_BITS).
constexpr uint32_t kPrivateBits = uapi::EPOLLWAKEUP | uapi::EPOLLONESHOT | uapi::EPOLLET | uapi::EPOLLEXCLUSIVE;
// What EPOLLEXCLUSIVE may be combined with (Linux EPOLLEXCLUSIVE_OK_BITS).
constexpr uint32_t kExclusiveOk =
    uapi::EPOLLIN | uapi::EPOLLOUT | uapi::EPOLLERR | uapi::EPOLLHUP | uapi::EPOLLWAKEUP | uapi::EPOLLET | uapi::EPOLLEXCLUSIVE;
// Linux's EP_MAX_NESTS: epoll instances nest at most this deep.
constexpr int kMaxNests = 4;

class EpollFile;

enum class Where : uint8_t { none, ready, transfer };

class EpollItem final : public FileWatch {
 public:
  EpollFile* m_ep = nullptr;
  File* m_file = nullptr;
  int m_fd = -1;
  uint32_t m_events = 0;  // asked-for events | EPOLLERR | EPOLLHUP | mode bits
  uint64_t m_data = 0;
  EpollItem* m_fd_next = nullptr;  // the chain of items registered under m_fd
  EpollItem* m_next = nullptr;     // ready or transfer list
  EpollItem* m_prev = nullptr;
  Where m_where = Where::none;

  void changed(uint32_t events) override;
  void gone() override;
};

// An intrusive list of items (the ready list, a transfer list).
struct ItemList {
  EpollItem* head = nullptr;
  EpollItem* tail = nullptr;

  bool empty() const { return head == nullptr; }
  void push_back(EpollItem* it) {
    it->m_next = nullptr;
    it->m_prev = tail;
    if (tail != nullptr)
      tail->m_next = it;
    else
      head = it;
    tail = it;
  }
  void remove(EpollItem* it) {
    if (it->m_prev != nullptr)
      it->m_prev->m_next = it->m_next;
    else
      head = it->m_next;
    if (it->m_next != nullptr)
      it->m_next->m_prev = it->m_prev;
    else
      tail = it->m_prev;
    it->m_next = it->m_prev = nullptr;
  }
  // Moves every item of `front` before this list's items.
  void splice_front(ItemList& front) {
    if (front.empty()) return;
    if (empty()) {
      *this = front;
    } else {
      front.tail->m_next = head;
      head->m_prev = front.tail;
      head = front.head;
    }
    front = ItemList{};
  }
};

class EpollFile final : public File {
 public:
  // kMaxFds chains, by registered fd modulo kMaxFds (descriptors go past it
  // when RLIMIT_NOFILE is raised).
  EpollItem** m_by_fd = nullptr;
  static int bucket(int fd) { return fd & (kMaxFds - 1); }
  ItemList m_ready;
  WaitQueue m_waiters;
  int m_items = 0;
  int m_nested = 0;  // items whose file is itself an epoll instance

  FileKind kind() const override { return FileKind::epoll; }

  EpollItem* find(File* file, int fd) {
    for (EpollItem* it = m_by_fd[bucket(fd)]; it != nullptr; it = it->m_fd_next) {
      if (it->m_file == file && it->m_fd == fd) return it;
    }
    return nullptr;
  }

  void queue(EpollItem* it) {
    if (it->m_where != Where::none) return;
    bool was_empty = m_ready.empty();
    m_ready.push_back(it);
    it->m_where = Where::ready;
    m_waiters.wake_all();
    // An epoll instance watched by another (or polled) became readable.
    if (was_empty) notify(uapi::EPOLLIN | uapi::EPOLLRDNORM);
  }

  void unlink(EpollItem* it) {
    if (it->m_where == Where::ready) m_ready.remove(it);
    it->m_where = Where::none;
    for (EpollItem** p = &m_by_fd[bucket(it->m_fd)]; *p != nullptr; p = &(*p)->m_fd_next) {
      if (*p == it) {
        *p = it->m_fd_next;
        break;
      }
    }
    --m_items;
    if (it->m_file->kind() == FileKind::epoll) --m_nested;
  }

  // What item `it` reports now (0: nothing), polling its file.
  static uint32_t ready_events(EpollItem* it) {
    uint32_t want = it->m_events & ~kPrivateBits;
    if (want == 0) return 0;  // a one-shot item that fired, until EPOLL_CTL_MOD
    auto got = static_cast<uint16_t>(it->m_file->poll(static_cast<int16_t>(want & 0xffff)));
    return got & want;
  }

  int send_events(EpollEvent* out, int maxevents) {
    ItemList transfer = m_ready;
    m_ready = ItemList{};
    for (EpollItem* it = transfer.head; it != nullptr; it = it->m_next) it->m_where = Where::transfer;
    int n = 0;
    while (!transfer.empty() && n < maxevents) {
      EpollItem* it = transfer.head;
      transfer.remove(it);
      it->m_where = Where::none;
      uint32_t revents = ready_events(it);
      if (revents == 0) continue;
      // SAFETY: out is a user array of maxevents entries checked writable.
      out[n].events = revents;
      out[n].data = it->m_data;
      ++n;
      if (it->m_events & uapi::EPOLLONESHOT) {
        it->m_events &= kPrivateBits;
      } else if ((it->m_events & uapi::EPOLLET) == 0 && it->m_where == Where::none) {
        // Level-triggered: still ready until a wait finds it is not.
        m_ready.push_back(it);
        it->m_where = Where::ready;
      }
    }
    for (EpollItem* it = transfer.head; it != nullptr; it = it->m_next) it->m_where = Where::ready;
    m_ready.splice_front(transfer);
    return n;
  }

  int16_t poll(int16_t events) override {
    // Readable when some queued item really has an event (as Linux's
    // ep_eventpoll_poll); the items stay queued for epoll_wait.
    for (EpollItem* it = m_ready.head; it != nullptr; it = it->m_next) {
      if (ready_events(it) != 0) return events & (uapi::POLLIN | uapi::POLLRDNORM);
    }
    return 0;
  }

  long fstat(uapi::Stat* st) override {
    // An anonymous inode, as Linux reports epoll instances.
    memset(st, 0, sizeof(*st));
    st->dev = 0xe;
    st->ino = reinterpret_cast<uintptr_t>(this) >> 4;
    st->nlink = 1;
    st->mode = 0600;
    st->blksize = 4096;
    return 0;
  }

  void release() override {
    for (int fd = 0; fd < kMaxFds; ++fd) {
      while (EpollItem* it = m_by_fd[fd]) {
        it->m_file->remove_watch(it);
        unlink(it);
        destroy(it);
      }
    }
    kfree(m_by_fd);
    destroy(this);
  }
};

void EpollItem::changed(uint32_t events) {
  // Linux's ep_poll_callback: a wake-up whose key names none of the item's
  // events is not for it; a disabled one-shot item hears nothing.
  if (events != 0 && (events & m_events & ~kPrivateBits) == 0) return;
  if ((m_events & ~kPrivateBits) == 0) return;
  m_ep->queue(this);
}

void EpollItem::gone() {
  // The file's last reference went (the watch is already unlinked).
  m_ep->unlink(this);
  destroy(this);
}

// Whether `to` can be reached from `from` through nested epoll items, or the
// nesting from `from` down is deeper than allowed (Linux: ELOOP for both).
bool reaches(EpollFile* from, EpollFile* to, int depth) {
  if (from == to || depth > kMaxNests) return true;
  if (from->m_nested == 0) return false;
  for (int fd = 0; fd < kMaxFds; ++fd) {
    for (EpollItem* it = from->m_by_fd[fd]; it != nullptr; it = it->m_fd_next) {
      if (it->m_file->kind() == FileKind::epoll &&
          reaches(static_cast<EpollFile*>(it->m_file), to, depth + 1)) {
        return true;
      }
    }
  }
  return false;
}

// Registers target under fd with the event mask ev; queues it at once if it
// is ready already (as ep_insert polls the new item).
long insert(EpollFile* ep, File* target, int fd, const EpollEvent& ev) {
  EpollItem* it = make<EpollItem>();
  if (it == nullptr) return -ENOMEM;
  it->m_ep = ep;
  it->m_file = target;
  it->m_fd = fd;
  it->m_events = ev.events | uapi::EPOLLERR | uapi::EPOLLHUP;
  it->m_data = ev.data;
  it->m_fd_next = ep->m_by_fd[EpollFile::bucket(fd)];
  ep->m_by_fd[EpollFile::bucket(fd)] = it;
  ++ep->m_items;
  if (target->kind() == FileKind::epoll) ++ep->m_nested;
  target->add_watch(it);
  if (EpollFile::ready_events(it) != 0) ep->queue(it);
  return 0;
}

}  // namespace

long epoll_create(File** out) {
  EpollFile* ep = make<EpollFile>();
  if (ep == nullptr) return -ENOMEM;
  ep->m_by_fd = static_cast<EpollItem**>(kzalloc(sizeof(EpollItem*) * kMaxFds));
  if (ep->m_by_fd == nullptr) {
    destroy(ep);
    return -ENOMEM;
  }
  ep->m_flags = uapi::O_RDWR;
  *out = ep;
  return 0;
}

long epoll_ctl(File* file, int op, int fd, File* target, const EpollEvent* event) {
  if (!target->pollable()) return -EPERM;
  if (file == target || file->kind() != FileKind::epoll) return -EINVAL;
  auto* ep = static_cast<EpollFile*>(file);
  EpollEvent ev{};
  if (event != nullptr) ev = *event;
  if (op != uapi::EPOLL_CTL_DEL && (ev.events & uapi::EPOLLEXCLUSIVE)) {
    if (op == uapi::EPOLL_CTL_MOD) return -EINVAL;
    if (op == uapi::EPOLL_CTL_ADD && (target->kind() == FileKind::epoll || (ev.events & ~kExclusiveOk) != 0)) {
      return -EINVAL;
    }
  }
  if (op == uapi::EPOLL_CTL_ADD && target->kind() == FileKind::epoll &&
      reaches(static_cast<EpollFile*>(target), ep, 1)) {
    return -ELOOP;
  }
  EpollItem* it = ep->find(target, fd);
  switch (op) {
    case uapi::EPOLL_CTL_ADD:
      if (it != nullptr) return -EEXIST;
      return insert(ep, target, fd, ev);
    case uapi::EPOLL_CTL_DEL:
      if (it == nullptr) return -ENOENT;
      target->remove_watch(it);
      ep->unlink(it);
      destroy(it);
      return 0;
    case uapi::EPOLL_CTL_MOD:
      if (it == nullptr) return -ENOENT;
      if (it->m_events & uapi::EPOLLEXCLUSIVE) return -EINVAL;
      it->m_events = ev.events | uapi::EPOLLERR | uapi::EPOLLHUP;
      it->m_data = ev.data;
      if (EpollFile::ready_events(it) != 0) ep->queue(it);
      return 0;
    default:
      return -EINVAL;
  }
}

namespace {

// Items whose file another process changes (host_backed: a family's pipes)
// hear no notify(): their readiness is asked here, before each look.
void check_host_items(EpollFile* ep) {
  if (!fs_host_files_open() || ep->m_items == 0) return;
  for (int b = 0; b < kMaxFds; ++b) {
    for (EpollItem* it = ep->m_by_fd[b]; it != nullptr; it = it->m_fd_next) {
      if (it->m_where != Where::none || !it->m_file->host_backed()) continue;
      uint32_t want = it->m_events & ~kPrivateBits;
      uint32_t ready = static_cast<uint16_t>(it->m_file->poll(static_cast<int16_t>(want)));
      if ((ready & (want | uapi::EPOLLERR | uapi::EPOLLHUP)) != 0) it->changed(ready);
    }
  }
}

}  // namespace

long epoll_wait(File* file, EpollEvent* events, int maxevents, uint64_t deadline) {
  auto* ep = static_cast<EpollFile*>(file);
  for (;;) {
    // Connections the host opened and bytes it sent since the last look
    // reach the items' callbacks here (cheap when nothing changed).
    sched::service_io();
    check_host_items(ep);
    if (!ep->m_ready.empty()) {
      int n = ep->send_events(events, maxevents);
      if (n > 0) return n;
    }
    if (deadline != kNoDeadline && fs_monotonic_ns() >= deadline) return 0;
    // With host-backed items, a look every kHostPollNs.
    uint64_t until = deadline;
    bool capped = false;
    if (fs_host_files_open()) {
      uint64_t soon = fs_deadline_after(kHostPollNs);
      if (soon < until) {
        until = soon;
        capped = true;
      }
    }
    long woken = ep->m_waiters.wait(until);
    if (woken < 0) return woken;
    if (woken == 0 && !capped) {
      sched::service_io();
      check_host_items(ep);
      return ep->m_ready.empty() ? 0 : ep->send_events(events, maxevents);
    }
  }
}

}  // namespace libos::fs
