// What lives in the family region (core/family.hpp): one header with the
// tables of System V IPC objects and a page allocator for their memory. Every
// process of the family maps the same bytes at the same address, possibly on
// other host CPUs at the same moment: the tables change only under the
// region's lock (a spin lock with lock-prefixed atomics, safe across VMs),
// held for short, bounded work and never across a wait. The memory starts
// zeroed (a fresh memfd), so a zero table is an empty one; the first process
// to attach marks the header's own pages taken.
//
// Limits (this LibOS's, reported by IPC_INFO): kMaxShm segments, kMaxSem
// semaphore sets, kMaxMsg queues, kMaxShmFiles /dev/shm files; the memory of
// all of them together is the region's (shoal-vmm --shm-size, 64 MiB by
// default). Permission bits are kept and reported, not enforced: every
// process of an instance runs as the same user.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "uapi/ipc.hpp"

namespace libos::ipc {

inline constexpr uint64_t kPage = 4096;
inline constexpr uint64_t kMaxPages = (1ull << 30) / kPage;  // abi::kMaxFamilySize
inline constexpr int kMaxShm = 256;
inline constexpr int kMaxSem = 256;
inline constexpr int kMaxMsg = 256;
inline constexpr int kMaxSemsPerSet = 250;     // Linux's SEMMSL was 250 before 3.19
inline constexpr uint64_t kMsgBufSize = 64 * 1024;  // a queue's messages with their headers

struct ShmSeg {
  uint32_t used;        // 0: free slot
  uint16_t seq;         // the slot's generation, part of the id
  uint16_t _pad;
  uapi::Ipc64Perm perm; // perm.mode holds SHM_DEST, SHM_LOCKED
  uint64_t size;        // bytes asked for
  uint64_t offset;      // of its pages in the region
  int64_t atime, dtime, ctime;
  int32_t cpid, lpid;
  uint64_t nattch;
};

struct SemSet {
  uint32_t used;
  uint16_t seq;
  uint16_t _pad;
  uapi::Ipc64Perm perm;
  uint32_t nsems;
  uint32_t changes;     // bumped (and woken) at every change: waiters' futex word
  uint64_t offset;      // of its Sem array in the region
  int64_t otime, ctime;
};

struct Sem {
  int32_t value;
  int32_t pid;          // the last process to operate on it (GETPID)
  uint32_t ncnt, zcnt;  // waiting for an increase, for zero
};

struct MsgQueue {
  uint32_t used;
  uint16_t seq;
  uint16_t _pad;
  uapi::Ipc64Perm perm;
  uint32_t changes;     // futex word: bumped at every send, receive and removal
  uint32_t _pad2;
  uint64_t offset;      // of its kMsgBufSize buffer
  uint64_t used_bytes;  // of the buffer: messages with their headers, in order
  uint64_t cbytes, qnum, qbytes;
  int64_t stime, rtime, ctime;
  int32_t lspid, lrpid;
};

// A /dev/shm file's contents (fs/shmfs.cpp): pages in the region, so that
// every process of the family maps the same bytes.
inline constexpr int kMaxShmFiles = 256;
inline constexpr size_t kShmNameMax = 255;

struct ShmFile {
  uint32_t used;        // the slot holds a file (named, or unlinked but open)
  uint32_t linked;      // names it has in /dev/shm (ShmName entries)
  uint32_t opens;       // processes holding it open (each counts once)
  uint32_t maps;        // MAP_SHARED mappings of it alive in the family's processes
  uint32_t gen;         // bumped when the slot is reused: a node names (slot, gen)
  uint32_t mode;        // S_IFREG | permission bits
  uint32_t uid, gid;
  uint64_t size;        // bytes
  uint64_t capacity;    // bytes of region pages at offset
  uint64_t offset;      // 0: no pages yet
  int64_t atime_ns, mtime_ns, ctime_ns;
};

// A name in /dev/shm (link() gives a file a second one: sem_open links its
// prepared file under the semaphore's name).
struct ShmName {
  uint32_t used;
  int32_t slot;         // the file (ShmFile index)
  uint32_t len;
  char name[kShmNameMax + 1];
};

struct Header {
  uint64_t magic;
  uint32_t init_state;  // 0 fresh, 1 being set up, 2 ready
  uint32_t lock;
  uint64_t pages;       // the region's size in pages
  uint64_t used_pages;
  uint8_t taken[kMaxPages / 8];    // pages allocated now
  uint8_t written[kMaxPages / 8];  // pages ever allocated (zeroed before reuse)
  ShmSeg shm[kMaxShm];
  SemSet sem[kMaxSem];
  MsgQueue msg[kMaxMsg];
  ShmFile files[kMaxShmFiles];
  ShmName names[kMaxShmFiles];
};

// The attached region's header, or nullptr (no region: the IPC calls give
// ENOSYS). Attaches on first use.
Header* header();
uint8_t* base();
void lock(Header* h);
void unlock(Header* h);

// Allocates bytes (rounded up to pages) of zeroed region memory under the
// lock; returns its offset from the region's base, or 0 when full.
uint64_t alloc(Header* h, uint64_t bytes);
void free(Header* h, uint64_t offset, uint64_t bytes);

// Kernel id = slot + seq * IPCMNI; -1 when the id names no live object.
inline int make_id(int slot, uint16_t seq) { return slot + static_cast<int>(seq) * uapi::IPCMNI; }
inline int id_slot(int id) { return id < 0 ? -1 : id % uapi::IPCMNI; }
inline uint16_t id_seq(int id) { return static_cast<uint16_t>(id / uapi::IPCMNI); }

// A new object's ipc_perm as Linux fills it at *get: its key, the
// permission bits of the flags; owner ids 0 (one user).
inline uapi::Ipc64Perm new_perm(int32_t key, int flags) {
  uapi::Ipc64Perm p{};
  p.key = key;
  p.mode = static_cast<uint32_t>(flags) & 0777;
  return p;
}
// IPC_SET: the owner and the permission bits change; the other mode bits
// (SHM_DEST, SHM_LOCKED) stay.
inline void set_perm(uapi::Ipc64Perm& p, const uapi::Ipc64Perm& from) {
  p.uid = from.uid;
  p.gid = from.gid;
  p.mode = (p.mode & ~0777u) | (from.mode & 0777u);
}

// Seconds of CLOCK_REALTIME, for the *time fields.
int64_t now_s();
int pid();

// Wakes waiters on word in this process at once; other processes see the
// change at their next poll (ipc_wait).
void notify(uint32_t* word);
// Waits until *word != seen, a signal (-EINTR), the deadline (monotonic ns,
// -ETIMEDOUT) or at most kPollNs: a waiter in another process of the family
// cannot wake this one directly, so the word is re-read that often.
inline constexpr uint64_t kPollNs = 2'000'000;
long wait_change(uint32_t* word, uint32_t seen, uint64_t deadline);

// IPC's exit work (sched/exit_hook.hpp): SEM_UNDO adjustments, shmdt of
// this process's attachments.
void sem_exit();
void shm_exit();
void sem_fork_child();
void shm_fork_child();
void init();

}  // namespace libos::ipc
