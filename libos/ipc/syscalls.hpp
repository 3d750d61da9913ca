// System V IPC's system calls (ipc/shm.cpp, sem.cpp, msg.cpp), over the
// family region (ipc/region.hpp). Each returns -ENOSYS when the instance has
// no region (shoal-vmm --shm-size 0).
#pragma once

#include <stdint.h>

#include "uapi/time.hpp"

namespace libos::ipc {

long shm_get(int32_t key, uint64_t size, int flags);
long shm_at(int id, uint64_t addr, int flags);
long shm_dt(uint64_t addr);
long shm_ctl(int id, int cmd, void* buf);
long sem_get(int32_t key, int nsems, int flags);
long sem_timedop(int id, const void* ops, uint64_t nops, const uapi::Timespec* timeout);
long sem_ctl(int id, int num, int cmd, uint64_t arg);
long msg_get(int32_t key, int flags);
long msg_snd(int id, const void* msgp, uint64_t size, int flags);
long msg_rcv(int id, void* msgp, uint64_t size, int64_t type, int flags);
long msg_ctl(int id, int cmd, void* buf);

// In a forked child, before it runs the program: its inherited attachments
// count again (shm_nattch), and SEM_UNDO adjustments are not inherited (as
// Linux's fork). For the fork path (issue 14).
void fork_child();

}  // namespace libos::ipc

inline long sys_shmget(int32_t key, uint64_t size, int flags) { return libos::ipc::shm_get(key, size, flags); }
inline long sys_shmat(int id, uint64_t addr, int flags) { return libos::ipc::shm_at(id, addr, flags); }
inline long sys_shmdt(uint64_t addr) { return libos::ipc::shm_dt(addr); }
inline long sys_shmctl(int id, int cmd, void* buf) { return libos::ipc::shm_ctl(id, cmd, buf); }
inline long sys_semget(int32_t key, int nsems, int flags) { return libos::ipc::sem_get(key, nsems, flags); }
inline long sys_semop(int id, const void* ops, uint64_t nops) { return libos::ipc::sem_timedop(id, ops, nops, nullptr); }
inline long sys_semtimedop(int id, const void* ops, uint64_t nops, const libos::uapi::Timespec* timeout) {
  return libos::ipc::sem_timedop(id, ops, nops, timeout);
}
inline long sys_semctl(int id, int num, int cmd, uint64_t arg) { return libos::ipc::sem_ctl(id, num, cmd, arg); }
inline long sys_msgget(int32_t key, int flags) { return libos::ipc::msg_get(key, flags); }
inline long sys_msgsnd(int id, const void* msgp, uint64_t size, int flags) {
  return libos::ipc::msg_snd(id, msgp, size, flags);
}
inline long sys_msgrcv(int id, void* msgp, uint64_t size, int64_t type, int flags) {
  return libos::ipc::msg_rcv(id, msgp, size, type, flags);
}
inline long sys_msgctl(int id, int cmd, void* buf) { return libos::ipc::msg_ctl(id, cmd, buf); }
