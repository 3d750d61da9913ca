// Linux x86-64 numbers and layouts of System V IPC: <sys/ipc.h>, <sys/shm.h>,
// <sys/sem.h>, <sys/msg.h> as the kernel's IPC_64 structures (asm-generic
// ipcbuf.h, shmbuf.h, msgbuf.h; x86's sembuf.h). Kernel defaults programs can
// observe (SHMMNI, SEMMSL, MSGMNB, ...) are here too under the kernel's names.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace libos::uapi {

inline constexpr int32_t IPC_PRIVATE = 0;
inline constexpr int IPC_CREAT = 01000, IPC_EXCL = 02000, IPC_NOWAIT = 04000;
inline constexpr int IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3;
inline constexpr int IPC_64 = 0x100;  // cmd flag every C library sets: the 64-bit structures below

inline constexpr int SHM_RDONLY = 010000, SHM_RND = 020000, SHM_REMAP = 040000, SHM_EXEC = 0100000;
inline constexpr int SHM_LOCK = 11, SHM_UNLOCK = 12, SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15;
inline constexpr uint32_t SHM_DEST = 01000, SHM_LOCKED = 02000;  // in shm_perm.mode
inline constexpr uint64_t SHMLBA = 4096;
inline constexpr uint64_t SHMMIN = 1;
inline constexpr int SHMMNI = 4096;

inline constexpr int GETPID = 11, GETVAL = 12, GETALL = 13, GETNCNT = 14, GETZCNT = 15, SETVAL = 16,
                     SETALL = 17, SEM_STAT = 18, SEM_INFO = 19, SEM_STAT_ANY = 20;
inline constexpr int SEM_UNDO = 0x1000;
inline constexpr int SEMMSL = 32000, SEMOPM = 500, SEMVMX = 32767, SEMMNI = 32000, SEMAEM = SEMVMX;

inline constexpr int MSG_STAT = 11, MSG_INFO = 12, MSG_STAT_ANY = 13;
inline constexpr int MSG_NOERROR = 010000, MSG_EXCEPT = 020000, MSG_COPY = 040000;
inline constexpr int MSGMAX = 8192, MSGMNB = 16384, MSGMNI = 32000;

// The kernel's id = slot + sequence * IPCMNI (ipc/util.h, without ipcmni_extend).
inline constexpr int IPCMNI = 32768;

struct Ipc64Perm {
  int32_t key;
  uint32_t uid, gid, cuid, cgid;
  uint32_t mode;
  uint16_t seq;
  uint16_t pad2;
  uint64_t unused1, unused2;
};
static_assert(sizeof(Ipc64Perm) == 48);

struct Shmid64Ds {
  Ipc64Perm shm_perm;
  uint64_t shm_segsz;
  int64_t shm_atime, shm_dtime, shm_ctime;
  int32_t shm_cpid, shm_lpid;
  uint64_t shm_nattch;
  uint64_t unused4, unused5;
};
static_assert(sizeof(Shmid64Ds) == 112);

struct Shminfo64 {
  uint64_t shmmax, shmmin, shmmni, shmseg, shmall;
  uint64_t unused1, unused2, unused3, unused4;
};
static_assert(sizeof(Shminfo64) == 72);

struct ShmInfo {
  int32_t used_ids;
  uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};
static_assert(sizeof(ShmInfo) == 48);

struct Semid64Ds {
  Ipc64Perm sem_perm;
  int64_t sem_otime;
  uint64_t unused1;
  int64_t sem_ctime;
  uint64_t unused2;
  uint64_t sem_nsems;
  uint64_t unused3, unused4;
};
static_assert(sizeof(Semid64Ds) == 104);

struct Seminfo {
  int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};
static_assert(sizeof(Seminfo) == 40);

struct Sembuf {
  uint16_t sem_num;
  int16_t sem_op;
  int16_t sem_flg;
};
static_assert(sizeof(Sembuf) == 6);

struct Msqid64Ds {
  Ipc64Perm msg_perm;
  int64_t msg_stime, msg_rtime, msg_ctime;
  uint64_t msg_cbytes, msg_qnum, msg_qbytes;
  int32_t msg_lspid, msg_lrpid;
  uint64_t unused4, unused5;
};
static_assert(sizeof(Msqid64Ds) == 120);

struct Msginfo {
  int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
  uint16_t msgseg;
};
static_assert(sizeof(Msginfo) == 32);

}  // namespace libos::uapi
