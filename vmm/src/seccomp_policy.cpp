// The reviewed table of system calls shoal-vmm may make once the guest runs.
// Every entry says why it is needed; arguments are pinned where the need is
// narrow. Everything else: SCMP_ACT_KILL_PROCESS. The core's rules are here;
// each device module (devices/*/) contributes its own, with their reasons,
// and apply_seccomp_policy() merges them. A guest that escaped into
// the monitor could only run vCPUs, read stdin, write stdout/stderr, sleep,
// wait on and drain the channel's wake eventfd, drop its own memory and exit;
// with a network device, also move frames on its TAP descriptor.
// (The channel region itself needs no system call: it is mapped before the
// filter, and the guest's kicks are handled by KVM in the kernel.)
// By the time the filter is installed the monitor is also jailed (jail.hpp):
// no capabilities, an unprivileged uid, an empty root; no rule here is needed
// for that, because it all happens before.
#include "seccomp_policy.hpp"

#include <errno.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sched.h>

#include <string>
#include <vector>

namespace shoal::vmm {
namespace {

using Rule = SeccompRule;

std::vector<Rule> policy() {
  return {
      {SCMP_SYS(ioctl), {SCMP_A1(SCMP_CMP_EQ, KVM_RUN)}, "run the vCPU"},
      {SCMP_SYS(ioctl), {SCMP_A1(SCMP_CMP_EQ, KVM_GET_REGS)}, "registers for crash and timeout reports"},
      {SCMP_SYS(ioctl), {SCMP_A1(SCMP_CMP_EQ, KVM_GET_SREGS)}, "cr2, cs and fs base for crash reports"},
      {SCMP_SYS(ioctl), {SCMP_A1(SCMP_CMP_EQ, KVM_SET_REGS)}, "preempt: enter the LibOS's upcall at a slice's end"},
      {SCMP_SYS(setitimer), {SCMP_A0(SCMP_CMP_EQ, ITIMER_VIRTUAL)}, "preempt: start/stop the time slice"},
      {SCMP_SYS(clock_nanosleep), {}, "block: the guest sleeps until its deadline"},
      {SCMP_SYS(nanosleep), {}, "block (older libc path)"},
      {SCMP_SYS(clock_gettime), {}, "block: realtime_ns, --timing (if the vDSO is unavailable)"},
      {SCMP_SYS(gettimeofday), {}, "time, if the vDSO is unavailable"},
      {SCMP_SYS(madvise), {SCMP_A2(SCMP_CMP_EQ, MADV_DONTNEED)}, "discard: return free guest pages"},
      {SCMP_SYS(madvise), {SCMP_A2(SCMP_CMP_EQ, MADV_HUGEPAGE)}, "advise: huge pages for large guest mappings"},
      {SCMP_SYS(getrusage), {}, "--timing: maxrss"},
      {SCMP_SYS(rt_sigreturn), {}, "return from the --timeout SIGALRM handler"},
      {SCMP_SYS(exit_group), {}, "end the instance"},
      {SCMP_SYS(exit), {}, "end the instance"},
      {SCMP_SYS(close), {}, "tear-down of the vCPU and VM file descriptors at exit"},
      {SCMP_SYS(futex), {}, "libc internal locking"},
      {SCMP_SYS(brk), {}, "malloc for crash-report strings"},
      {SCMP_SYS(mmap),
       {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0), SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS)},
       "malloc of large blocks (anonymous, never executable)"},
      {SCMP_SYS(munmap), {}, "free of large blocks"},
      {SCMP_SYS(mremap), {}, "realloc of large blocks"},
  };
}

// The ASan/UBSan runtimes make system calls of their own (pipe2 to probe
// memory, writes to other fds, ...). Sanitizer builds are for tests, not
// production: they get these extra entries.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

std::vector<Rule> sanitizer_extras() {
  return {
      {SCMP_SYS(pipe2), {}, "sanitizer: memory-accessibility probe"},
      {SCMP_SYS(write), {}, "sanitizer: reports and probes on any fd"},
      {SCMP_SYS(read), {}, "sanitizer: probes on any fd"},
      {SCMP_SYS(mprotect), {}, "sanitizer: shadow memory"},
      {SCMP_SYS(sigaltstack), {}, "sanitizer: signal stacks"},
      {SCMP_SYS(rt_sigprocmask), {}, "sanitizer: signal masks"},
      {SCMP_SYS(getpid), {}, "sanitizer: reports"},
      {SCMP_SYS(gettid), {}, "sanitizer: reports"},
      {SCMP_SYS(sched_yield), {}, "sanitizer: spin locks"},
      {SCMP_SYS(ioctl), {SCMP_A1(SCMP_CMP_EQ, TCGETS)}, "sanitizer: isatty() before printing a report"},
  };
}

}  // namespace

std::string describe_seccomp_rule(const SeccompRule& rule) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, rule.syscall);
  std::string out = name ? name : std::to_string(rule.syscall);
  free(name);
  out += "(";
  const char* sep = "";
  for (const auto& a : rule.args) {
    out += sep;
    out += "a" + std::to_string(a.arg);
    switch (a.op) {
      case SCMP_CMP_EQ: out += " == " + std::to_string(a.datum_a); break;
      case SCMP_CMP_MASKED_EQ:
        out += " & " + std::to_string(a.datum_a) + " == " + std::to_string(a.datum_b);
        break;
      default: out += " op" + std::to_string(a.op) + " " + std::to_string(a.datum_a); break;
    }
    sep = ", ";
  }
  out += "): ";
  out += rule.reason;
  return out;
}

namespace {

// The snapshot's own calls, each pinned to its descriptor.
std::vector<Rule> snapshot_rules(int vcpu_fd, const SeccompSnapshotFds& s) {
  std::vector<Rule> rules;
  auto fd_is = [](int fd) { return SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(fd)); };
  if (s.out_fd >= 0 && s.pagemap_fd >= 0) {
    rules.push_back({SCMP_SYS(pread64), {fd_is(s.pagemap_fd)}, "snapshot: which guest pages are touched (/proc/self/pagemap)"});
    rules.push_back({SCMP_SYS(pwrite64), {fd_is(s.out_fd)}, "snapshot: write pages, tables and header to FILE"});
    rules.push_back({SCMP_SYS(fsync), {fd_is(s.out_fd)}, "snapshot: pages and tables on disk before the header"});
    // The vCPU state beyond registers: pinned to the vCPU like the other KVM ioctls.
    for (auto [request, reason] : {std::pair<unsigned long, const char*>{_IOC(_IOC_READ, KVMIO, 0xa4, 4096), "snapshot: the XSAVE area (KVM_GET_XSAVE)"},
                                   {_IOC(_IOC_READ, KVMIO, 0xcf, 4096), "snapshot: the XSAVE area (KVM_GET_XSAVE2)"},
                                   {KVM_GET_XCRS, "snapshot: XCR0"},
                                   {_IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, 8), "snapshot: the SYSCALL MSRs (KVM_GET_MSRS)"}}) {
      Rule r{SCMP_SYS(ioctl), {SCMP_A1(SCMP_CMP_EQ, request)}, reason};
      if (vcpu_fd >= 0) r.args.push_back(fd_is(vcpu_fd));
      rules.push_back(r);
    }
  }
  if (s.fork_kvm_fd >= 0 && s.fork_vm_fd >= 0) {
    auto on = [](int fd) { return SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(fd)); };
    auto req = [](unsigned long r) { return SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(r)); };
    // glibc's fork: clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD), nothing else.
    rules.push_back({SCMP_SYS(clone), {SCMP_A0(SCMP_CMP_EQ, CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD)},
                     "fork: the monitor of a forked guest process (a copy-on-write clone of this one)"});
    rules.push_back({SCMP_SYS(set_robust_list), {}, "fork: glibc's child resets its robust-mutex list"});
    rules.push_back({SCMP_SYS(getpid), {}, "fork: the child's host pid for the family table"});
    rules.push_back({SCMP_SYS(getppid), {}, "fork: the child checks its parent is still there after PR_SET_PDEATHSIG"});
    rules.push_back({SCMP_SYS(prctl), {SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG)}, "fork: a child of pid 1 dies with it"});
    rules.push_back({SCMP_SYS(prctl), {SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE)},
                     "fork: no core file when a child's monitor re-raises its guest's fatal signal"});
    rules.push_back({SCMP_SYS(rt_sigaction), {}, "fork: the child points the signal handlers at its vCPU; SIG_DFL before re-raising"});
    rules.push_back({SCMP_SYS(rt_sigprocmask), {}, "fork: unblock the re-raised signal"});
    rules.push_back({SCMP_SYS(kill), {}, "kill between the processes of a family (pids from the family table); re-raise"});
    rules.push_back({SCMP_SYS(tgkill), {}, "fork: raise() of the guest's fatal signal in a child's monitor"});
    rules.push_back({SCMP_SYS(gettid), {}, "fork: raise()"});
    rules.push_back({SCMP_SYS(waitid), {}, "wait: a child's monitor's exit status (host children only)"});
    rules.push_back({SCMP_SYS(wait4), {}, "wait: a child's monitor's exit status (host children only)"});
    rules.push_back({SCMP_SYS(ioctl), {on(s.fork_kvm_fd), req(KVM_CREATE_VM)}, "fork: the child's own VM"});
    rules.push_back({SCMP_SYS(ioctl), {on(s.fork_kvm_fd), req(KVM_GET_VCPU_MMAP_SIZE)}, "fork: the child's vCPU run page"});
    for (auto [request, reason] : {std::pair<unsigned long, const char*>{KVM_CHECK_EXTENSION, "fork: XSAVE2 offered?"},
                                   {KVM_SET_USER_MEMORY_REGION, "fork: the child's VM over the inherited memory"},
                                   {KVM_IOEVENTFD, "fork: the devices' kick ports again"},
                                   {KVM_CREATE_VCPU, "fork: the child's vCPU"}})
      rules.push_back({SCMP_SYS(ioctl), {on(s.fork_vm_fd), req(request)}, reason});
    for (auto [request, reason] : {std::pair<unsigned long, const char*>{_IOC(_IOC_READ, KVMIO, 0xa4, 4096), "fork: capture the XSAVE area (KVM_GET_XSAVE)"},
                                   {_IOC(_IOC_READ, KVMIO, 0xcf, 4096), "fork: capture the XSAVE area (KVM_GET_XSAVE2)"},
                                   {_IOC(_IOC_WRITE, KVMIO, 0xa5, 4096), "fork: restore the XSAVE area (KVM_SET_XSAVE)"},
                                   {KVM_GET_XCRS, "fork: capture XCR0"},
                                   {KVM_SET_XCRS, "fork: restore XCR0"},
                                   {_IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, 8), "fork: capture the MSRs and the TSC (KVM_GET_MSRS)"},
                                   {_IOC(_IOC_WRITE, KVMIO, 0x89, 8), "fork: restore the MSRs and the TSC (KVM_SET_MSRS)"},
                                   {_IOC(_IOC_WRITE, KVMIO, 0x90, 8), "fork: the child's vCPU CPUID (KVM_SET_CPUID2)"},
                                   {KVM_SET_SREGS, "fork: restore the special registers"}}) {
      Rule r{SCMP_SYS(ioctl), {req(request)}, reason};
      if (vcpu_fd >= 0) r.args.push_back(on(vcpu_fd));
      rules.push_back(r);
    }
    if (vcpu_fd >= 0)
      rules.push_back({SCMP_SYS(dup3), {SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(vcpu_fd))},
                       "fork: the child's vCPU at the number the filter pins"});
    rules.push_back({SCMP_SYS(dup3), {SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(s.fork_vm_fd))},
                     "fork: the child's VM at the number the filter pins"});
    rules.push_back({SCMP_SYS(mmap),
                     {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0), SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_SHARED | MAP_ANONYMOUS, MAP_SHARED)},
                     "fork: the child's vCPU run page (shared, never executable; before it moves to the pinned number)"});
    rules.push_back({SCMP_SYS(pipe2), {}, "host_fd: a pipe the processes of a family share"});
    rules.push_back({SCMP_SYS(read), {}, "host_fd: read a family pipe (descriptors the monitor made, checked against its table)"});
    rules.push_back({SCMP_SYS(write), {}, "host_fd: write a family pipe (descriptors the monitor made, checked against its table)"});
    rules.push_back({SCMP_SYS(poll), {}, "host_fd: wait for a family pipe"});
  }
  if (s.start_fd >= 0) {
    rules.push_back({SCMP_SYS(ppoll), {}, "--start-on-fd: wait for the start (the descriptor is in memory seccomp cannot see)"});
  }
  return rules;
}

}  // namespace

std::vector<SeccompRule> assemble_seccomp_rules(int status_fd, int vcpu_fd, int wake_fd, const std::vector<SeccompRule>& device_rules,
                                               const SeccompSnapshotFds& snapshot) {
  auto rules = policy();
  // Pin the KVM ioctls to the vCPU: after set-up no other fd (the VM, /dev/kvm)
  // needs one.
  if (vcpu_fd >= 0) {
    for (auto& rule : rules)  // the KVM rules only: sanitizer extras come later
      if (rule.syscall == SCMP_SYS(ioctl) && !rule.args.empty() && rule.args[0].arg == 1)
        rule.args.push_back(SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(vcpu_fd)));
  }
  if (kSanitizerBuild) {
    auto extra = sanitizer_extras();
    rules.insert(rules.end(), extra.begin(), extra.end());
  }
  if (wake_fd >= 0) {
    // ppoll's descriptors are in memory seccomp cannot see; the call itself
    // only waits. Reads stay pinned to the wake descriptor.
    rules.push_back({SCMP_SYS(ppoll), {}, "block with a channel: wait for the deadline or shoald's kick"});
    rules.push_back({SCMP_SYS(read), {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(wake_fd))},
                     "block with a channel: drain the wake eventfd (TO_GUEST_FD)"});
  }
  // The devices' own (devices/*/): console, network I/O thread, ...
  rules.insert(rules.end(), device_rules.begin(), device_rules.end());
  if (status_fd >= 0) {
    rules.push_back({SCMP_SYS(pread64), {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(status_fd))},
                     "--timing: VmHWM from /proc/self/status (opened before the filter)"});
  }
  auto snap = snapshot_rules(vcpu_fd, snapshot);
  rules.insert(rules.end(), snap.begin(), snap.end());
  return rules;
}

Result<void> apply_seccomp_policy(int status_fd, int vcpu_fd, int wake_fd, const std::vector<SeccompRule>& device_rules,
                                  const SeccompSnapshotFds& snapshot) {
  return apply_seccomp_rules(assemble_seccomp_rules(status_fd, vcpu_fd, wake_fd, device_rules, snapshot));
}

Result<void> apply_seccomp_rules(const std::vector<SeccompRule>& rules) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (ctx == nullptr) return make_error("seccomp_init failed");
  // Every thread, not only the caller: the network I/O thread exists already.
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); rc < 0) {
    seccomp_release(ctx);
    return make_error(std::string("seccomp TSYNC: ") + strerror(-rc), -rc);
  }
  for (const auto& rule : rules) {
    int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, rule.syscall, static_cast<unsigned>(rule.args.size()),
                                    rule.args.empty() ? nullptr : rule.args.data());
    if (rc < 0) {
      seccomp_release(ctx);
      return make_error(std::string("seccomp rule (") + rule.reason + "): " + strerror(-rc), -rc);
    }
  }
  int rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc < 0) return make_error(std::string("seccomp_load: ") + strerror(-rc), -rc);
  return {};
}

}  // namespace shoal::vmm
