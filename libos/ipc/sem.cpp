// System V semaphores: semget, semop, semtimedop, semctl, with their state
// (values, waiters, last pids) in the family region (ipc/region.hpp), so
// that the processes of a family synchronise through them. A semop that
// cannot proceed waits on the set's `changes` word: a change in this process
// wakes it at once, one in another process of the family within
// ipc::kPollNs. Operations apply all or nothing, in order, as Linux's.
// SEM_UNDO adjustments are this process's (process memory) and are applied
// when it exits; SETVAL and SETALL clear this process's adjustments of the
// values they set (Linux clears every process's).
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "ipc/region.hpp"
#include "ipc/syscalls.hpp"
#include "sched/signal_state.hpp"
#include "sched/thread.hpp"
#include "time/clock.hpp"
#include "uapi/time.hpp"

namespace libos::ipc {

namespace {

using namespace libos::uapi;

struct Undo {
  int slot;       // -1: free entry
  uint16_t seq;
  uint16_t num;
  int32_t adj;
};
constexpr int kMaxUndo = 256;  // per process
constinit Undo g_undo[kMaxUndo] = {};
constinit int g_undo_used = 0;

SemSet* lookup(Header* h, int id) {
  int slot = id_slot(id);
  if (slot < 0 || slot >= kMaxSem) return nullptr;
  SemSet* s = &h->sem[slot];
  if (!s->used || s->seq != id_seq(id)) return nullptr;
  return s;
}

Sem* sems(const SemSet* s) { return reinterpret_cast<Sem*>(base() + s->offset); }

void forget_undo(int slot, uint16_t seq, int num) {
  for (int i = 0; i < g_undo_used; ++i)
    if (g_undo[i].slot == slot && g_undo[i].seq == seq && (num < 0 || g_undo[i].num == num)) g_undo[i].adj = 0;
}

// Records adj for (slot, num); false when the table is full.
bool add_undo(int slot, uint16_t seq, uint16_t num, int32_t adj) {
  int free_entry = -1;
  for (int i = 0; i < g_undo_used; ++i) {
    if (g_undo[i].slot == slot && g_undo[i].seq == seq && g_undo[i].num == num) {
      g_undo[i].adj += adj;
      return true;
    }
    if (g_undo[i].adj == 0 && free_entry < 0) free_entry = i;
  }
  if (free_entry < 0) {
    if (g_undo_used == kMaxUndo) return false;
    free_entry = g_undo_used++;
  }
  g_undo[free_entry] = {slot, seq, num, adj};
  return true;
}

void destroy(Header* h, SemSet* s) {
  free(h, s->offset, s->nsems * sizeof(Sem));
  uint16_t seq = static_cast<uint16_t>(s->seq + 1);
  uint32_t changes = s->changes;
  memset(s, 0, sizeof *s);
  s->seq = seq;
  s->changes = changes;
  // Waiters see the id gone (EIDRM).
  notify(&s->changes);
}

// Outcome of trying a semop under the lock.
enum class Try { done, wait, again, range, undo_full };

Try try_ops(SemSet* s, const Sembuf* ops, unsigned n, int slot, unsigned* blocked_at) {
  Sem* v = sems(s);
  // Work on a copy of the touched values: all or nothing.
  int32_t vals[kMaxSemsPerSet];
  for (uint32_t i = 0; i < s->nsems; ++i) vals[i] = v[i].value;
  for (unsigned i = 0; i < n; ++i) {
    int32_t& x = vals[ops[i].sem_num];
    int op = ops[i].sem_op;
    if (op > 0) {
      if (x + op > SEMVMX) return Try::range;
      x += op;
    } else if (op < 0) {
      if (x + op < 0) {
        *blocked_at = i;
        return (ops[i].sem_flg & IPC_NOWAIT) != 0 ? Try::again : Try::wait;
      }
      x += op;
    } else if (x != 0) {
      *blocked_at = i;
      return (ops[i].sem_flg & IPC_NOWAIT) != 0 ? Try::again : Try::wait;
    }
  }
  for (unsigned i = 0; i < n; ++i) {
    if ((ops[i].sem_flg & SEM_UNDO) != 0 && ops[i].sem_op != 0 &&
        !add_undo(slot, s->seq, ops[i].sem_num, -ops[i].sem_op))
      return Try::undo_full;
  }
  int me = pid();
  for (unsigned i = 0; i < n; ++i) v[ops[i].sem_num].pid = me;
  for (uint32_t i = 0; i < s->nsems; ++i) v[i].value = vals[i];
  s->otime = now_s();
  return Try::done;
}

void fill_stat(const SemSet* s, Semid64Ds* out) {
  memset(out, 0, sizeof *out);
  out->sem_perm = s->perm;
  out->sem_perm.seq = s->seq;
  out->sem_otime = s->otime;
  out->sem_ctime = s->ctime;
  out->sem_nsems = s->nsems;
}

}  // namespace

long sem_get(int32_t key, int nsems, int flags) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  if (nsems < 0 || nsems > kMaxSemsPerSet) return -EINVAL;
  lock(h);
  long result;
  if (key != IPC_PRIVATE) {
    for (int i = 0; i < kMaxSem; ++i) {
      SemSet* s = &h->sem[i];
      if (!s->used || s->perm.key != key) continue;
      if ((flags & (IPC_CREAT | IPC_EXCL)) == (IPC_CREAT | IPC_EXCL)) {
        result = -EEXIST;
      } else if (static_cast<uint32_t>(nsems) > s->nsems) {
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
  if (nsems == 0) {
    unlock(h);
    return -EINVAL;
  }
  int slot = -1;
  for (int i = 0; i < kMaxSem && slot < 0; ++i)
    if (!h->sem[i].used) slot = i;
  uint64_t offset = slot < 0 ? 0 : alloc(h, static_cast<uint64_t>(nsems) * sizeof(Sem));
  if (slot < 0 || offset == 0) {
    unlock(h);
    return -ENOSPC;
  }
  SemSet* s = &h->sem[slot];
  s->used = 1;
  s->perm = new_perm(key, flags);
  s->nsems = static_cast<uint32_t>(nsems);
  s->offset = offset;
  s->otime = 0;
  s->ctime = now_s();
  result = make_id(slot, s->seq);
  unlock(h);
  return result;
}

long sem_timedop(int id, const void* user_ops, uint64_t nops, const Timespec* timeout) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  if (nops == 0) return -EINVAL;
  if (nops > static_cast<uint64_t>(SEMOPM)) return -E2BIG;
  Sembuf ops[SEMOPM];
  if (!user_readable(user_ops, nops * sizeof(Sembuf))) return -EFAULT;
  memcpy(ops, user_ops, nops * sizeof(Sembuf));
  uint64_t deadline = sched::kNoDeadline;
  if (timeout != nullptr) {
    if (!user_readable(timeout, sizeof *timeout)) return -EFAULT;
    Timespec ts;
    memcpy(&ts, timeout, sizeof ts);
    if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= static_cast<int64_t>(kNsPerSec)) return -EINVAL;
    deadline = monotonic_ns() + static_cast<uint64_t>(ts.sec) * kNsPerSec + static_cast<uint64_t>(ts.nsec);
  }
  unsigned max_num = 0;
  for (uint64_t i = 0; i < nops; ++i)
    if (ops[i].sem_num > max_num) max_num = ops[i].sem_num;
  int slot = id_slot(id);
  uint16_t seq = id_seq(id);
  sched::Thread* self = sched::current();
  for (;;) {
    lock(h);
    SemSet* s = lookup(h, id);
    if (s == nullptr) {
      unlock(h);
      return -EINVAL;
    }
    if (max_num >= s->nsems) {
      unlock(h);
      return -EFBIG;
    }
    unsigned at = 0;
    Try t = try_ops(s, ops, static_cast<unsigned>(nops), slot, &at);
    if (t != Try::wait) {
      if (t == Try::done) notify(&s->changes);
      unlock(h);
      switch (t) {
        case Try::done: return 0;
        case Try::again: return -EAGAIN;
        case Try::range: return -ERANGE;
        default: return -ENOSPC;
      }
    }
    // Count this waiter where it waits (GETNCNT, GETZCNT), then sleep
    // until the set changes, outside the lock.
    Sem* w = &sems(s)[ops[at].sem_num];
    bool for_zero = ops[at].sem_op == 0;
    ++(for_zero ? w->zcnt : w->ncnt);
    uint32_t seen = __atomic_load_n(&s->changes, __ATOMIC_SEQ_CST);
    unlock(h);
    long r = wait_change(&s->changes, seen, deadline);
    lock(h);
    bool gone = !s->used || s->seq != seq;
    if (!gone) --(for_zero ? w->zcnt : w->ncnt);
    unlock(h);
    if (gone) return -EIDRM;
    if (r == -EINTR || sig_deliverable(self) != 0) return -EINTR;
    if (r == -ETIMEDOUT) return -EAGAIN;
  }
}

long sem_ctl(int id, int num, int cmd, uint64_t arg) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  cmd &= ~IPC_64;
  void* ptr = reinterpret_cast<void*>(arg);
  if (cmd == IPC_INFO || cmd == SEM_INFO) {
    Seminfo info{};
    int top = 0, used = 0;
    uint64_t total = 0;
    lock(h);
    for (int i = 0; i < kMaxSem; ++i) {
      if (!h->sem[i].used) continue;
      ++used;
      total += h->sem[i].nsems;
      top = i;
    }
    unlock(h);
    info.semmni = kMaxSem;
    info.semmsl = kMaxSemsPerSet;
    info.semmns = kMaxSem * kMaxSemsPerSet;
    info.semopm = SEMOPM;
    info.semvmx = SEMVMX;
    info.semaem = SEMAEM;
    info.semume = kMaxUndo;
    info.semmnu = info.semmns;
    info.semmap = info.semmns;
    info.semusz = static_cast<int32_t>(sizeof(Undo));
    if (cmd == SEM_INFO) {  // as Linux: in use, not limits
      info.semusz = used;
      info.semaem = static_cast<int32_t>(total);
    }
    if (!user_writable(ptr, sizeof info)) return -EFAULT;
    memcpy(ptr, &info, sizeof info);
    return top;
  }
  Semid64Ds ds{};
  uint16_t values[kMaxSemsPerSet];
  if (cmd == IPC_SET) {
    if (!user_readable(ptr, sizeof ds)) return -EFAULT;
    memcpy(&ds, ptr, sizeof ds);
  }
  lock(h);
  SemSet* s = nullptr;
  if (cmd == SEM_STAT || cmd == SEM_STAT_ANY) {
    if (id >= 0 && id < kMaxSem && h->sem[id].used) s = &h->sem[id];
  } else {
    s = lookup(h, id);
  }
  if (s == nullptr) {
    unlock(h);
    return -EINVAL;
  }
  uint32_t n = s->nsems;
  bool per_sem = cmd == GETVAL || cmd == GETPID || cmd == GETNCNT || cmd == GETZCNT || cmd == SETVAL;
  if (per_sem && (num < 0 || static_cast<uint32_t>(num) >= n)) {
    unlock(h);
    return -EINVAL;
  }
  Sem* v = sems(s);
  long result = 0;
  switch (cmd) {
    case IPC_STAT:
    case SEM_STAT:
    case SEM_STAT_ANY:
      fill_stat(s, &ds);
      if (cmd != IPC_STAT) result = make_id(id, s->seq);
      break;
    case IPC_SET:
      set_perm(s->perm, ds.sem_perm);
      s->ctime = now_s();
      break;
    case IPC_RMID:
      forget_undo(id_slot(id), s->seq, -1);
      destroy(h, s);
      break;
    case GETVAL: result = v[num].value; break;
    case GETPID: result = v[num].pid; break;
    case GETNCNT: result = v[num].ncnt; break;
    case GETZCNT: result = v[num].zcnt; break;
    case GETALL:
      for (uint32_t i = 0; i < n; ++i) values[i] = static_cast<uint16_t>(v[i].value);
      break;
    case SETVAL: {
      int value = static_cast<int>(arg);
      if (value < 0 || value > SEMVMX) {
        result = -ERANGE;
        break;
      }
      v[num].value = value;
      v[num].pid = pid();
      forget_undo(id_slot(id), s->seq, num);
      s->ctime = now_s();
      notify(&s->changes);
      break;
    }
    case SETALL:
      unlock(h);
      if (!user_readable(ptr, n * sizeof(uint16_t))) return -EFAULT;
      memcpy(values, ptr, n * sizeof(uint16_t));
      for (uint32_t i = 0; i < n; ++i)
        if (values[i] > SEMVMX) return -ERANGE;
      lock(h);
      if (!s->used || s->seq != id_seq(id)) {
        result = -EIDRM;
        break;
      }
      for (uint32_t i = 0; i < n; ++i) {
        v[i].value = values[i];
        v[i].pid = pid();
      }
      forget_undo(id_slot(id), s->seq, -1);
      s->ctime = now_s();
      notify(&s->changes);
      break;
    default:
      result = -EINVAL;
  }
  unlock(h);
  if (result < 0) return result;
  if (cmd == IPC_STAT || cmd == SEM_STAT || cmd == SEM_STAT_ANY) {
    if (!user_writable(ptr, sizeof ds)) return -EFAULT;
    memcpy(ptr, &ds, sizeof ds);
  } else if (cmd == GETALL) {
    if (!user_writable(ptr, n * sizeof(uint16_t))) return -EFAULT;
    memcpy(ptr, values, n * sizeof(uint16_t));
  }
  return result;
}

void sem_exit() {
  Header* h = header();
  lock(h);
  for (int i = 0; i < g_undo_used; ++i) {
    Undo& u = g_undo[i];
    if (u.adj == 0) continue;
    SemSet* s = &h->sem[u.slot];
    if (!s->used || s->seq != u.seq || u.num >= s->nsems) continue;
    Sem& x = sems(s)[u.num];
    int32_t value = x.value + u.adj;
    // As Linux's exit_sem: clamped into [0, SEMVMX].
    x.value = value < 0 ? 0 : value > SEMVMX ? SEMVMX : value;
    x.pid = pid();
    notify(&s->changes);
  }
  g_undo_used = 0;
  unlock(h);
}

void sem_fork_child() { g_undo_used = 0; }

}  // namespace libos::ipc
