// Scheduling and process-identity calls of a one-process, one-CPU instance.
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "sched/process.hpp"
#include "sched/thread.hpp"
#include "sched/syscalls.hpp"
#include "uapi/membarrier.hpp"
#include "uapi/sched.hpp"

using namespace libos;

namespace {
// pid 0 means the caller: this process (sched/process.hpp) and its threads' tids.
bool is_self(int pid) { return pid == 0 || pid == sched::self_pid() || sched::find(pid) != nullptr; }
}  // namespace

long sys_sched_yield() {
  sched::yield();
  return 0;
}

long sys_gettid() { return sched::current()->tid; }
long sys_getpid() { return sched::self_pid(); }
long sys_getppid() { return sched::parent_pid(); }

long sys_sched_getaffinity(int pid, size_t len, uint8_t* mask) {
  if (!is_self(pid)) return -ESRCH;
  if (len < 8 || (len & 7) != 0) return -EINVAL;
  if (!user_writable(mask, 8)) return -EFAULT;
  memset(mask, 0, 8);
  mask[0] = 1;  // one CPU
  return 8;
}

long sys_sched_setaffinity(int pid, size_t len, const uint8_t* mask) {
  if (!is_self(pid)) return -ESRCH;
  if (len == 0 || !user_readable(mask, len)) return -EFAULT;
  if ((mask[0] & 1) == 0) return -EINVAL;  // must include CPU 0, the only one
  return 0;
}

long sys_sched_getparam(int pid, int* param) {
  if (pid < 0) return -EINVAL;
  if (!is_self(pid)) return -ESRCH;
  if (!user_writable(param, sizeof(int))) return -EFAULT;
  *param = 0;
  return 0;
}

long sys_sched_setparam(int pid, const int* param) {
  if (pid < 0 || param == nullptr) return -EINVAL;
  if (!is_self(pid)) return -ESRCH;
  return *param == 0 ? 0 : -EINVAL;
}

long sys_sched_getscheduler(int pid) {
  if (pid < 0) return -EINVAL;
  if (!is_self(pid)) return -ESRCH;
  return uapi::SCHED_OTHER;
}

long sys_sched_setscheduler(int pid, int policy, const int*) {
  if (pid < 0) return -EINVAL;
  if (!is_self(pid)) return -ESRCH;
  return policy == uapi::SCHED_OTHER ? 0 : -EPERM;
}

long sys_sched_get_priority_max(int policy) {
  if (policy == uapi::SCHED_FIFO || policy == uapi::SCHED_RR) return 99;
  if (policy == uapi::SCHED_OTHER || policy == uapi::SCHED_BATCH || policy == uapi::SCHED_IDLE) return 0;
  return -EINVAL;
}

long sys_sched_get_priority_min(int policy) {
  if (policy == uapi::SCHED_FIFO || policy == uapi::SCHED_RR) return 1;
  if (policy == uapi::SCHED_OTHER || policy == uapi::SCHED_BATCH || policy == uapi::SCHED_IDLE) return 0;
  return -EINVAL;
}

long sys_getcpu(unsigned* cpu, unsigned* node, void*) {
  if (cpu != nullptr) {
    if (!user_writable(cpu, sizeof(*cpu))) return -EFAULT;
    *cpu = 0;
  }
  if (node != nullptr) {
    if (!user_writable(node, sizeof(*node))) return -EFAULT;
    *node = 0;
  }
  return 0;
}

// Restartable sequences need preemption notification: not offered. glibc
// then runs without rseq.
long sys_rseq(void*, uint32_t, int, uint32_t) { return -ENOSYS; }

long sys_membarrier(int cmd, unsigned flags, int) {
  if (flags != 0) return -EINVAL;
  using namespace uapi;
  constexpr int kSupported =
      MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
  if (cmd == MEMBARRIER_CMD_QUERY) return kSupported;
  if (cmd <= 0 || (cmd & (cmd - 1)) != 0 || (cmd & kSupported) == 0) return -EINVAL;
  return 0;                               // one vCPU: every barrier is already done
}
