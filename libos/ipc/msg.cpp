// System V message queues: msgget, msgsnd, msgrcv, msgctl, with each queue's
// messages in a buffer in the family region (ipc/region.hpp), in the order
// they were sent. A sender waits while the queue holds msg_qbytes bytes (or
// as many messages), a receiver while no message matches; both wait on the
// queue's `changes` word as semop does. msg_qbytes is MSGMNB (16 KiB) by
// default and at most kMaxQbytes here; a queue's buffer also holds a 16-byte
// header per message, so a queue of very many tiny messages fills earlier
// than on Linux.
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "ipc/region.hpp"
#include "ipc/syscalls.hpp"
#include "sched/signal_state.hpp"
#include "sched/thread.hpp"

namespace libos::ipc {

namespace {

using namespace libos::uapi;

constexpr uint64_t kMaxQbytes = kMsgBufSize / 2;

struct Record {
  int64_t type;
  uint64_t size;  // bytes of text after the record
};

uint64_t record_size(uint64_t text) { return sizeof(Record) + ((text + 7) & ~uint64_t{7}); }

MsgQueue* lookup(Header* h, int id) {
  int slot = id_slot(id);
  if (slot < 0 || slot >= kMaxMsg) return nullptr;
  MsgQueue* q = &h->msg[slot];
  if (!q->used || q->seq != id_seq(id)) return nullptr;
  return q;
}

uint8_t* buffer(const MsgQueue* q) { return base() + q->offset; }

void destroy(Header* h, MsgQueue* q) {
  free(h, q->offset, kMsgBufSize);
  uint16_t seq = static_cast<uint16_t>(q->seq + 1);
  uint32_t changes = q->changes;
  memset(q, 0, sizeof *q);
  q->seq = seq;
  q->changes = changes;
  notify(&q->changes);
}

// The offset in the buffer of the message msgrcv takes, or -1.
int64_t find(const MsgQueue* q, int64_t type, int flags) {
  const uint8_t* buf = buffer(q);
  int64_t best = -1;
  int64_t best_type = 0;
  for (uint64_t at = 0; at < q->used_bytes;) {
    Record r;
    memcpy(&r, buf + at, sizeof r);
    if (type == 0) return static_cast<int64_t>(at);
    if (type > 0) {
      bool match = (flags & MSG_EXCEPT) != 0 ? r.type != type : r.type == type;
      if (match) return static_cast<int64_t>(at);
    } else if (r.type <= -type && (best < 0 || r.type < best_type)) {
      // The lowest type at most |type|; the first of equals.
      best = static_cast<int64_t>(at);
      best_type = r.type;
    }
    at += record_size(r.size);
  }
  return best;
}

void fill_stat(const MsgQueue* q, Msqid64Ds* out) {
  memset(out, 0, sizeof *out);
  out->msg_perm = q->perm;
  out->msg_perm.seq = q->seq;
  out->msg_stime = q->stime;
  out->msg_rtime = q->rtime;
  out->msg_ctime = q->ctime;
  out->msg_cbytes = q->cbytes;
  out->msg_qnum = q->qnum;
  out->msg_qbytes = q->qbytes;
  out->msg_lspid = q->lspid;
  out->msg_lrpid = q->lrpid;
}

long wait_or_fail(Header* h, MsgQueue* q, uint16_t seq, int flags, long nowait_error) {
  if ((flags & IPC_NOWAIT) != 0) {
    unlock(h);
    return nowait_error;
  }
  uint32_t seen = __atomic_load_n(&q->changes, __ATOMIC_SEQ_CST);
  unlock(h);
  long r = wait_change(&q->changes, seen, sched::kNoDeadline);
  lock(h);
  bool gone = !q->used || q->seq != seq;
  unlock(h);
  if (gone) return -EIDRM;
  if (r == -EINTR || sig_deliverable(sched::current()) != 0) return -EINTR;
  return 0;
}

}  // namespace

long msg_get(int32_t key, int flags) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  lock(h);
  long result;
  if (key != IPC_PRIVATE) {
    for (int i = 0; i < kMaxMsg; ++i) {
      MsgQueue* q = &h->msg[i];
      if (!q->used || q->perm.key != key) continue;
      result = (flags & (IPC_CREAT | IPC_EXCL)) == (IPC_CREAT | IPC_EXCL) ? -EEXIST : make_id(i, q->seq);
      unlock(h);
      return result;
    }
    if ((flags & IPC_CREAT) == 0) {
      unlock(h);
      return -ENOENT;
    }
  }
  int slot = -1;
  for (int i = 0; i < kMaxMsg && slot < 0; ++i)
    if (!h->msg[i].used) slot = i;
  uint64_t offset = slot < 0 ? 0 : alloc(h, kMsgBufSize);
  if (slot < 0 || offset == 0) {
    unlock(h);
    return -ENOSPC;
  }
  MsgQueue* q = &h->msg[slot];
  q->used = 1;
  q->perm = new_perm(key, flags);
  q->offset = offset;
  q->used_bytes = q->cbytes = q->qnum = 0;
  q->qbytes = MSGMNB;
  q->stime = q->rtime = 0;
  q->ctime = now_s();
  q->lspid = q->lrpid = 0;
  result = make_id(slot, q->seq);
  unlock(h);
  return result;
}

long msg_snd(int id, const void* msgp, uint64_t size, int flags) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  if (size > static_cast<uint64_t>(MSGMAX)) return -EINVAL;
  // The message, copied in before the lock: type, then size bytes of text.
  uint8_t text[MSGMAX];
  int64_t type;
  if (!user_readable(msgp, sizeof type + size)) return -EFAULT;
  memcpy(&type, msgp, sizeof type);
  if (type < 1) return -EINVAL;
  memcpy(text, static_cast<const uint8_t*>(msgp) + sizeof type, size);
  uint16_t seq = id_seq(id);
  for (;;) {
    lock(h);
    MsgQueue* q = lookup(h, id);
    if (q == nullptr) {
      unlock(h);
      return -EINVAL;
    }
    uint64_t need = record_size(size);
    bool fits = q->cbytes + size <= q->qbytes && q->qnum + 1 <= q->qbytes && q->used_bytes + need <= kMsgBufSize;
    if (fits) {
      Record r{type, size};
      memcpy(buffer(q) + q->used_bytes, &r, sizeof r);
      memcpy(buffer(q) + q->used_bytes + sizeof r, text, size);
      q->used_bytes += need;
      q->cbytes += size;
      ++q->qnum;
      q->lspid = pid();
      q->stime = now_s();
      notify(&q->changes);
      unlock(h);
      return 0;
    }
    long r = wait_or_fail(h, q, seq, flags, -EAGAIN);
    if (r < 0) return r;
  }
}

long msg_rcv(int id, void* msgp, uint64_t size, int64_t type, int flags) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  if (static_cast<int64_t>(size) < 0) return -EINVAL;
  if ((flags & MSG_COPY) != 0) return -ENOSYS;  // checkpoint/restore's peek: not offered
  uint16_t seq = id_seq(id);
  uint8_t text[MSGMAX];
  for (;;) {
    lock(h);
    MsgQueue* q = lookup(h, id);
    if (q == nullptr) {
      unlock(h);
      return -EINVAL;
    }
    int64_t at = find(q, type, flags);
    if (at >= 0) {
      Record r;
      memcpy(&r, buffer(q) + at, sizeof r);
      if (r.size > size && (flags & MSG_NOERROR) == 0) {
        unlock(h);
        return -E2BIG;
      }
      uint64_t n = r.size < size ? r.size : size;
      memcpy(text, buffer(q) + at + sizeof r, n);
      uint64_t rs = record_size(r.size);
      uint8_t* buf = buffer(q);
      memmove(buf + at, buf + at + rs, q->used_bytes - static_cast<uint64_t>(at) - rs);
      q->used_bytes -= rs;
      q->cbytes -= r.size;
      --q->qnum;
      q->lrpid = pid();
      q->rtime = now_s();
      notify(&q->changes);
      unlock(h);
      if (!user_writable(msgp, sizeof r.type + n)) return -EFAULT;  // the message is gone, as on Linux
      memcpy(msgp, &r.type, sizeof r.type);
      memcpy(static_cast<uint8_t*>(msgp) + sizeof r.type, text, n);
      return static_cast<long>(n);
    }
    long r = wait_or_fail(h, q, seq, flags, -ENOMSG);
    if (r < 0) return r;
  }
}

long msg_ctl(int id, int cmd, void* buf) {
  Header* h = header();
  if (h == nullptr) return -ENOSYS;
  cmd &= ~IPC_64;
  if (cmd == IPC_INFO || cmd == MSG_INFO) {
    Msginfo info{};
    int top = 0, used = 0;
    uint64_t msgs = 0, bytes = 0;
    lock(h);
    for (int i = 0; i < kMaxMsg; ++i) {
      if (!h->msg[i].used) continue;
      ++used;
      msgs += h->msg[i].qnum;
      bytes += h->msg[i].cbytes;
      top = i;
    }
    unlock(h);
    info.msgmax = MSGMAX;
    info.msgmnb = MSGMNB;
    info.msgmni = kMaxMsg;
    info.msgssz = 16;
    info.msgseg = 0xffff;
    info.msgpool = static_cast<int32_t>(kMaxMsg * kMsgBufSize / 1024);
    info.msgmap = info.msgtql = static_cast<int32_t>(kMaxMsg * kMsgBufSize / 16);
    if (cmd == MSG_INFO) {  // as Linux: in use, not limits
      info.msgpool = used;
      info.msgmap = static_cast<int32_t>(msgs);
      info.msgtql = static_cast<int32_t>(bytes);
    }
    if (!user_writable(buf, sizeof info)) return -EFAULT;
    memcpy(buf, &info, sizeof info);
    return top;
  }
  Msqid64Ds ds{};
  if (cmd == IPC_SET) {
    if (!user_readable(buf, sizeof ds)) return -EFAULT;
    memcpy(&ds, buf, sizeof ds);
  }
  lock(h);
  MsgQueue* q = nullptr;
  if (cmd == MSG_STAT || cmd == MSG_STAT_ANY) {
    if (id >= 0 && id < kMaxMsg && h->msg[id].used) q = &h->msg[id];
  } else {
    q = lookup(h, id);
  }
  if (q == nullptr) {
    unlock(h);
    return -EINVAL;
  }
  long result = 0;
  switch (cmd) {
    case IPC_STAT:
    case MSG_STAT:
    case MSG_STAT_ANY:
      fill_stat(q, &ds);
      if (cmd != IPC_STAT) result = make_id(id, q->seq);
      break;
    case IPC_SET:
      if (ds.msg_qbytes > kMaxQbytes) {
        result = -EPERM;  // as Linux above MSGMNB without CAP_SYS_RESOURCE
        break;
      }
      q->qbytes = ds.msg_qbytes;
      set_perm(q->perm, ds.msg_perm);
      q->ctime = now_s();
      notify(&q->changes);  // a larger queue may let a sender in
      break;
    case IPC_RMID:
      destroy(h, q);
      break;
    default:
      result = -EINVAL;
  }
  unlock(h);
  if (result >= 0 && cmd != IPC_SET && cmd != IPC_RMID) {
    if (!user_writable(buf, sizeof ds)) return -EFAULT;
    memcpy(buf, &ds, sizeof ds);
  }
  return result;
}

}  // namespace libos::ipc
