// System V shared memory: shmget, shmat, shmdt, shmctl over the family
// region (ipc/region.hpp). A segment is a run of region pages; shmat returns
// the segment's address in the region, the same in every process of the
// family, so what one process writes there every other one reads. As on
// Linux, IPC_RMID only marks a segment while it is attached (its key becomes
// IPC_PRIVATE) and the last shmdt, or the exit of the last attached process,
// destroys it.
//
// Differences from Linux, by construction (docs/compatibility.md): a
// segment has one address, so shmat with an address other than it gives
// EINVAL and two attachments in one process share it; the region is mapped
// read-write for the whole family, so SHM_RDONLY and a detached segment's
// pages are not enforced by faults.
#include <shoal/abi/layout.h>

#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "ipc/region.hpp"
#include "ipc/syscalls.hpp"

namespace libos::ipc {

namespace {

using namespace libos::uapi;

// This process's attachments (process memory: a forked child inherits
// them, and its exit detaches them).
struct Attachment {
  uint64_t addr;   // 0: free entry
  int slot;
  uint16_t seq;
};
constexpr int kMaxAttach = 128;  // per process (Linux's SHMSEG is unlimited)
constinit Attachment g_attach[kMaxAttach] = {};

ShmSeg* lookup(Header* h, int id) {
  int slot = id_slot(id);
  if (slot < 0 || slot >= kMaxShm) return nullptr;
  ShmSeg* s = &h->shm[slot];
  if (!s->used || s->seq != id_seq(id)) return nullptr;
  return s;
}

void destroy(Header* h, ShmSeg* s) {
  free(h, s->offset, s->size);
  uint16_t seq = static_cast<uint16_t>(s->seq + 1);
  memset(s, 0, sizeof *s);
  s->seq = seq;
}

uint64_t max_segment(Header* h) { return h->pages * kPage; }

void fill_stat(const ShmSeg* s, Shmid64Ds* out) {
  memset(out, 0, sizeof *out);
  out->shm_perm = s->perm;
  out->shm_perm.seq = s->seq;
  out->shm_segsz = s->size;
  out->shm_atime = s->atime;
  out->shm_dtime = s->dtime;
  out->shm_ctime = s->ctime;
  out->shm_cpid = s->cpid;
  out->shm_lpid = s->lpid;
  out->shm_nattch = s->nattch;
}

// Drops one attachment of s (under the lock).
void detach(Header* h, ShmSeg* s) {
  if (s->nattch > 0) --s->nattch;
  s->dtime = now_s();
  s->lpid = pid();
  if (s->nattch == 0 && (s->perm.mode & SHM_DEST) != 0) destroy(h, s);
}

}  // namespace

long shm_get(int32_t key, uint64_t size, int flags) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  lock(h);
  long result = -ENOENT;
  if (key != IPC_PRIVATE) {
    for (int i = 0; i < kMaxShm; ++i) {
      ShmSeg* s = &h->shm[i];
      if (!s->used || s->perm.key != key) continue;
      if ((flags & (IPC_CREAT | IPC_EXCL)) == (IPC_CREAT | IPC_EXCL)) {
        result = -EEXIST;
      } else if (size > s->size) {
        result = -EINVAL;
      } else {
        result = make_id(i, s->seq);
      }
      unlock(h);
      return result;
    }
    if ((flags & IPC_CREAT) == 0) {
      unlock(h);
      return -ENOENT;
    }
  }
  if (size < SHMMIN || size > max_segment(h)) {
    unlock(h);
    return -EINVAL;
  }
  int slot = -1;
  for (int i = 0; i < kMaxShm && slot < 0; ++i)
    if (!h->shm[i].used) slot = i;
  uint64_t offset = slot < 0 ? 0 : alloc(h, size);
  if (slot < 0 || offset == 0) {
    unlock(h);
    return -ENOSPC;
  }
  ShmSeg* s = &h->shm[slot];
  s->used = 1;
  s->perm = new_perm(key, flags);
  s->size = size;
  s->offset = offset;
  s->atime = s->dtime = 0;
  s->ctime = now_s();
  s->cpid = pid();
  s->lpid = 0;
  s->nattch = 0;
  result = make_id(slot, s->seq);
  unlock(h);
  return result;
}

long shm_at(int id, uint64_t addr, int flags) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  if (addr != 0) {
    if ((flags & SHM_RND) != 0) addr &= ~(SHMLBA - 1);
    if ((addr & (SHMLBA - 1)) != 0) return -EINVAL;
  }
  int free_entry = -1;
  for (int i = 0; i < kMaxAttach && free_entry < 0; ++i)
    if (g_attach[i].addr == 0) free_entry = i;
  lock(h);
  ShmSeg* s = lookup(h, id);
  long result;
  if (s == nullptr) {
    result = -EINVAL;
  } else if (free_entry < 0) {
    result = -EMFILE;  // as Linux when the process's mapping count is exhausted
  } else {
    uint64_t where = reinterpret_cast<uint64_t>(base()) + s->offset;
    if (addr != 0 && addr != where) {
      result = -EINVAL;  // a segment has one address in the family (see the top)
    } else {
      ++s->nattch;
      s->atime = now_s();
      s->lpid = pid();
      g_attach[free_entry] = {where, id_slot(id), s->seq};
      result = static_cast<long>(where);
    }
  }
  unlock(h);
  return result;
}

long shm_dt(uint64_t addr) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  for (int i = 0; i < kMaxAttach; ++i) {
    Attachment& a = g_attach[i];
    if (a.addr == 0 || a.addr != addr) continue;
    lock(h);
    ShmSeg* s = &h->shm[a.slot];
    if (s->used && s->seq == a.seq) detach(h, s);
    unlock(h);
    a = {};
    return 0;
  }
  return -EINVAL;
}

long shm_ctl(int id, int cmd, void* buf) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  cmd &= ~IPC_64;
  if (cmd == IPC_INFO) {
    Shminfo64 info{};
    info.shmmax = max_segment(h);
    info.shmmin = SHMMIN;
    info.shmmni = kMaxShm;
    info.shmseg = kMaxAttach;
    info.shmall = h->pages;
    if (!user_writable(buf, sizeof info)) return -EFAULT;
    memcpy(buf, &info, sizeof info);
  }
  if (cmd == IPC_INFO || cmd == SHM_INFO) {
    ShmInfo info{};
    int top = 0;
    lock(h);
    for (int i = 0; i < kMaxShm; ++i) {
      if (!h->shm[i].used) continue;
      ++info.used_ids;
      info.shm_tot += (h->shm[i].size + kPage - 1) / kPage;
      top = i;
    }
    unlock(h);
    info.shm_rss = info.shm_tot;
    if (cmd == SHM_INFO) {
      if (!user_writable(buf, sizeof info)) return -EFAULT;
      memcpy(buf, &info, sizeof info);
    }
    return top;
  }
  if (cmd != IPC_STAT && cmd != SHM_STAT && cmd != SHM_STAT_ANY && cmd != IPC_SET && cmd != IPC_RMID &&
      cmd != SHM_LOCK && cmd != SHM_UNLOCK)
    return -EINVAL;
  Shmid64Ds ds{};
  if (cmd == IPC_SET) {
    if (!user_readable(buf, sizeof ds)) return -EFAULT;
    memcpy(&ds, buf, sizeof ds);
  }
  lock(h);
  ShmSeg* s = nullptr;
  if (cmd == SHM_STAT || cmd == SHM_STAT_ANY) {
    // These name the slot, not the id, and return the id (ipcs walks them).
    if (id >= 0 && id < kMaxShm && h->shm[id].used) s = &h->shm[id];
  } else {
    s = lookup(h, id);
  }
  if (s == nullptr) {
    unlock(h);
    return -EINVAL;
  }
  long result = 0;
  switch (cmd) {
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_ANY:
      fill_stat(s, &ds);
      if (cmd != IPC_STAT) result = make_id(id, s->seq);
      break;
    case IPC_SET:
      set_perm(s->perm, ds.shm_perm);
      s->ctime = now_s();
      break;
    case IPC_RMID:
      s->perm.mode |= SHM_DEST;
      s->perm.key = IPC_PRIVATE;
      s->ctime = now_s();
      if (s->nattch == 0) destroy(h, s);
      break;
    case SHM_LOCK:
      s->perm.mode |= SHM_LOCKED;
      break;
    case SHM_UNLOCK:
      s->perm.mode &= ~SHM_LOCKED;
      break;
  }
  unlock(h);
  if (cmd == IPC_STAT || cmd == SHM_STAT || cmd == SHM_STAT_ANY) {
    if (!user_writable(buf, sizeof ds)) return -EFAULT;
    memcpy(buf, &ds, sizeof ds);
  }
  return result;
}

void shm_fork_child() {
  Header* h = header();
  lock(h);
  for (int i = 0; i < kMaxAttach; ++i) {
    Attachment& a = g_attach[i];
    if (a.addr == 0) continue;
    ShmSeg* s = &h->shm[a.slot];
    if (s->used && s->seq == a.seq) ++s->nattch;
  }
  unlock(h);
}

void shm_exit() {
  Header* h = header();
  for (int i = 0; i < kMaxAttach; ++i) {
    Attachment& a = g_attach[i];
    if (a.addr == 0) continue;
    lock(h);
    ShmSeg* s = &h->shm[a.slot];
    if (s->used && s->seq == a.seq) detach(h, s);
    unlock(h);
    a = {};
  }
}

}  // namespace libos::ipc
