// prctl and arch_prctl: thread names and the fs/gs bases (TLS).
#include "arch/x86_64/cpu.hpp"
#include "core/errno.hpp"
#include "core/klib.hpp"
#include "core/uaccess.hpp"
#include "sched/thread.hpp"
#include "fs/syscalls.hpp"
#include "syscalls/handlers.hpp"
#include "uapi/prctl.hpp"

using namespace libos;
using namespace libos::uapi;  // Linux's names, as the man pages spell them

namespace {
constexpr uint64_t kCanonicalLimit = 0x800000000000ull;
}  // namespace

long sys_arch_prctl(int code, uint64_t addr) {
  sched::Thread* t = sched::current();
  switch (code) {
    case ARCH_SET_FS:
      if (addr >= kCanonicalLimit) return -EPERM;
      cpu::wrfsbase(addr);
      t->fs_base = addr;
      return 0;
    case ARCH_SET_GS:
      if (addr >= kCanonicalLimit) return -EPERM;
      cpu::wrgsbase(addr);
      t->gs_base = addr;
      return 0;
    case ARCH_GET_FS: {
      auto* out = reinterpret_cast<uint64_t*>(addr);
      if (!user_writable(out, 8)) return -EFAULT;
      *out = cpu::rdfsbase();
      return 0;
    }
    case ARCH_GET_GS: {
      auto* out = reinterpret_cast<uint64_t*>(addr);
      if (!user_writable(out, 8)) return -EFAULT;
      *out = cpu::rdgsbase();
      return 0;
    }
    default:
      return -EINVAL;
  }
}

long sys_prctl(int option, uint64_t a2, uint64_t, uint64_t, uint64_t) {
  sched::Thread* t = sched::current();
  switch (option) {
    case PR_SET_NAME: {
      auto* name = reinterpret_cast<const char*>(a2);
      long n = user_strnlen(name, 15);
      if (n == -EFAULT) return -EFAULT;
      size_t len = n < 0 ? 15 : static_cast<size_t>(n);
      memcpy(t->name, name, len);
      t->name[len] = '\0';
      return 0;
    }
    case PR_GET_NAME: {
      auto* out = reinterpret_cast<char*>(a2);
      if (!user_writable(out, 16)) return -EFAULT;
      memcpy(out, t->name, 16);
      return 0;
    }
    case PR_GET_DUMPABLE:
      return SUID_DUMP_USER;  // as for any ordinary process
    case PR_SET_DUMPABLE:
    case PR_SET_PDEATHSIG:
    case PR_SET_NO_NEW_PRIVS:
    case PR_SET_VMA:
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      return 0;
    default:
      return -EINVAL;
  }
}

long sys_faccessat2(int dirfd, const char* path, int mode, int flags) {
  return libos::fs_faccessat(dirfd, path, mode, flags);
}
