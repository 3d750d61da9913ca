// Resource limits and usage. Limits are stored and reported; only NOFILE is
// meaningful to the fd table (1024 descriptors, raisable up to the hard
// limit, vfs/fdtable.hpp), the rest are informational.
#include "core/errno.hpp"
#include "core/uaccess.hpp"
#include "vfs/fdtable.hpp"
#include "mm/page_alloc.hpp"
#include "core/boot_flags.hpp"
#include "syscalls/handlers.hpp"
#include "time/clock.hpp"
#include "uapi/resource.hpp"
#include "uapi/sysinfo.hpp"
#include "uapi/time.hpp"

using namespace libos;
using namespace libos::uapi;  // Linux's names, as the man pages spell them

namespace {

uapi::Rlimit g_limits[RLIM_NLIMITS];
bool g_limits_ready = false;

void init_limits() {
  if (g_limits_ready) return;
  for (auto& l : g_limits) l = {RLIM_INFINITY, RLIM_INFINITY};
  g_limits[RLIMIT_STACK] = {8ull << 20, RLIM_INFINITY};
  // As systemd starts a service: soft 1024 (select's FD_SETSIZE), hard
  // 524288, so a server can raise its own (Redis asks for 10032).
  g_limits[RLIMIT_NOFILE] = {1024, static_cast<uint64_t>(libos::fs::kFdHardMax)};
  g_limits[RLIMIT_NPROC] = {4096, 4096};
  g_limits[RLIMIT_MEMLOCK] = {8ull << 20, 8ull << 20};
  g_limits[RLIMIT_SIGPENDING] = {4096, 4096};
  g_limits[RLIMIT_MSGQUEUE] = {819200, 819200};
  g_limits[RLIMIT_CORE] = {0, RLIM_INFINITY};
  g_limits_ready = true;
}

}  // namespace

long sys_prlimit64(int pid, int resource, const uapi::Rlimit* new_limit, uapi::Rlimit* old_limit) {
  init_limits();
  if (pid != 0 && pid != 1) return -ESRCH;
  if (resource < 0 || resource >= RLIM_NLIMITS) return -EINVAL;
  uapi::Rlimit fresh{};
  if (new_limit != nullptr) {
    if (!user_readable(new_limit, sizeof(*new_limit))) return -EFAULT;
    fresh = *new_limit;
    if (fresh.cur > fresh.max) return -EINVAL;
    if (fresh.max > g_limits[resource].max) return -EPERM;
  }
  if (old_limit != nullptr) {
    if (!user_writable(old_limit, sizeof(*old_limit))) return -EFAULT;
    *old_limit = g_limits[resource];
  }
  if (new_limit != nullptr) {
    g_limits[resource] = fresh;
    if (resource == RLIMIT_NOFILE) libos::fs::fd_set_nofile(fresh.cur);
  }
  return 0;
}

long sys_getrlimit(int resource, uapi::Rlimit* limit) {
  if (limit == nullptr) return -EFAULT;
  return sys_prlimit64(0, resource, nullptr, limit);
}

long sys_setrlimit(int resource, const uapi::Rlimit* limit) {
  if (limit == nullptr) return -EFAULT;
  return sys_prlimit64(0, resource, limit, nullptr);
}

long sys_sysinfo(uapi::Sysinfo* info) {
  if (!user_writable(info, sizeof(*info))) return -EFAULT;
  *info = {};
  info->uptime = static_cast<int64_t>(monotonic_ns() / uapi::kNsPerSec);
  info->totalram = boot_info().memory_size;
  uint64_t heap = mm::heap_hi() - mm::heap_lo();
  uint64_t used = mm::mapped_bytes();
  info->freeram = heap > used ? heap - used : 0;
  info->procs = 1;
  info->mem_unit = 1;
  return 0;
}

long sys_getrusage(int who, uapi::Rusage* usage) {
  if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD) return -EINVAL;
  if (!user_writable(usage, sizeof(*usage))) return -EFAULT;
  *usage = {};
  if (who == RUSAGE_CHILDREN) return 0;
  uint64_t ns = monotonic_ns();
  usage->utime.sec = static_cast<int64_t>(ns / uapi::kNsPerSec);
  usage->utime.usec = static_cast<int64_t>(ns % uapi::kNsPerSec / 1000);
  // Max resident set: what the program has mapped plus the image, in KiB.
  usage->maxrss = static_cast<int64_t>((mm::mapped_bytes() + mm::heap_lo()) / 1024);
  return 0;
}
