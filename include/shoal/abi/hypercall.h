// shoal guest ABI: hypercalls.
//
// A hypercall is `outl %eax, %dx` executed in guest ring 3, with
//   dx  = kHypercallPortBase + number
//   eax = guest address of the argument struct (must be below 4 GiB; the LibOS
//         keeps them in its own data or kernel stacks, which are low).
// Ring 3 may use these ports because the TSS's I/O permission bitmap opens
// exactly [kHypercallPortBase, kHypercallPortBase + kHypercallCount + 3) (an
// `outl` checks four bits). IOPL is not relied on: PVM drops it from the
// rflags of a CPL-3 vCPU. Any other port raises #GP and ends the instance.
// The monitor validates the struct's address and every pointer and length in
// it before use; a bad argument ends the instance with a clear message and
// status 139 ("guest gave the monitor a bad pointer"). OUT fields are written
// back into the struct before the guest resumes.
//
// Each hypercall is one VM exit to the monitor's user space: ~30-60 us on the
// PVM machines this project runs on (see PLATFORM.md), ~1-2 us on VT-x. Keep
// them off hot paths.
#pragma once

#include <stdint.h>

namespace shoal::abi {

inline constexpr uint16_t kHypercallPortBase = 0x500;
// Written to by the monitor's ring-0 exception stubs (eax = vector). Not a
// hypercall the guest may issue; a ring-3 write to it is treated as a fault.
inline constexpr uint16_t kFaultPort = 0x4ff;

// X-macro: the one table of hypercalls. (name, number, argument struct)
#define SHOAL_HYPERCALLS(X)                      \
  X(console_write, 1, HcConsoleWrite)            \
  X(console_read, 2, HcConsoleRead)              \
  X(block, 3, HcBlock)                           \
  X(exit, 4, HcExit)                             \
  X(report, 5, HcReport)                         \
  X(discard, 6, HcDiscard)                       \
  X(advise, 7, HcAdvise)                         \
  X(upcall, 8, HcUpcall)                         \
  X(preempt, 9, HcPreempt)                       \
  X(ready, 10, HcReady)                          \
  X(process, 11, HcProcess)                      \
  X(host_fd, 12, HcHostFd)                       \
  X(family, 13, HcFamily)

enum class Hypercall : uint16_t {
#define SHOAL_HC_ENUM(name, nr, type) name = nr,
  SHOAL_HYPERCALLS(SHOAL_HC_ENUM)
#undef SHOAL_HC_ENUM
};
inline constexpr uint16_t kHypercallCount = 14;  // numbers are < kHypercallCount; the devices' kick ports start at 0x530

// console_write: write len bytes at buf to the instance's stdout (fd 1) or
// stderr (fd 2). Errors: result = -EBADF for another fd. Cost: one exit.
struct HcConsoleWrite {
  uint32_t fd;          // IN: 1 or 2
  uint32_t _pad;
  uint64_t buf;         // IN: guest address
  uint64_t len;         // IN: at most 1 MiB per call
  int64_t result;       // OUT: bytes written or -errno
};
static_assert(sizeof(HcConsoleWrite) == 32);

// console_read: read up to len bytes of the instance's stdin into buf.
// Blocks the instance until data or end of file. result 0 = end of file.
struct HcConsoleRead {
  uint32_t fd;          // IN: 0
  uint32_t _pad;
  uint64_t buf;         // IN: guest address
  uint64_t len;         // IN: at most 1 MiB per call
  int64_t result;       // OUT: bytes read or -errno
};
static_assert(sizeof(HcConsoleRead) == 32);

// block: the guest has nothing to run. Sleep until timeout_ns has passed
// (relative, CLOCK_MONOTONIC) or an event arrives: the host kicked the
// channel (shoald wrote to TO_GUEST_FD, see channel.h). The guest re-checks
// the channel after every return; an early return is not an error.
// UINT64_MAX means no deadline: with a channel the guest waits for a kick;
// without one the monitor reports a deadlock (nothing could ever wake it),
// unless flags holds kBlockHostSignals (the program handles a signal the
// monitor forwards, boot.h kHostSignals: such a signal can wake it). A
// forwarded signal ends every block early, and a block returns at once when
// BootInfo::host_signal_total differs from host_signals_seen (a signal the
// monitor counted between the guest's last look and this exit).
// Cost: one exit, plus the sleep.
inline constexpr uint32_t kBlockHostSignals = 1;
struct HcBlock {
  uint64_t timeout_ns;         // IN
  uint64_t realtime_ns;        // OUT: host CLOCK_REALTIME when the guest resumes
  uint32_t flags;              // IN: kBlockHostSignals
  uint32_t host_signals_seen;  // IN: the host_signal_total the guest has taken
};
static_assert(sizeof(HcBlock) == 24);

// exit: the program ended with status (0-255). Does not return.
struct HcExit {
  int32_t status;
  uint32_t _pad;
};
static_assert(sizeof(HcExit) == 8);

// Register snapshot of guest ring-3 code, for crash reports.
struct GuestRegs {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rip, rflags, fs_base;
};
static_assert(sizeof(GuestRegs) == 19 * 8);

enum class ReportKind : uint32_t {
  panic = 1,    // the LibOS detected a broken invariant
  signal = 2,   // the program raised a fatal signal (abort() → SIGABRT)
  deadlock = 3, // every thread is blocked and nothing can wake one
  fault = 4,    // the fault handed to the upcall is not handled (see HcUpcall)
};

// report: the instance ends abnormally. The monitor prints a one-screen report
// (message, registers, symbolized backtrace scanned from regs.rsp) and exits
// with `status` (e.g. 134 for SIGABRT). Does not return.
struct HcReport {
  uint32_t kind;        // ReportKind
  int32_t status;       // exit status of the instance, 1-255
  uint64_t message;     // guest address of a message (not NUL-terminated)
  uint64_t message_len; // at most 4096
  uint32_t has_regs;    // 1 if regs describes the program's context
  uint32_t _pad;
  GuestRegs regs;
};
static_assert(sizeof(HcReport) == 32 + sizeof(GuestRegs));

// discard: [addr, addr+len) is free guest memory; the monitor returns the
// backing host pages (madvise MADV_DONTNEED) and the range reads as zeros
// afterwards. addr and len must be page-aligned and inside the heap area
// (above the image, below memory_size). result 0 or -errno.
struct HcDiscard {
  uint64_t addr;
  uint64_t len;
  int64_t result;
};
static_assert(sizeof(HcDiscard) == 24);

// advise: the guest will use [addr, addr+len) in large pieces (a large
// anonymous mapping, the reservation window's frames). With kAdviseHuge the
// monitor asks the host for transparent huge pages there (madvise
// MADV_HUGEPAGE), so that a first touch costs one host fault per 2 MiB
// instead of one per 4 KiB (~22 us each under kvm_pvm), at the price of
// 2 MiB of host memory per touched 2 MiB. addr and len must be 2 MiB-aligned
// and inside the heap area. Under `shoal-vmm --huge-pages never` it does
// nothing (result 0). result 0 or -errno. Cost: one exit.
inline constexpr uint32_t kAdviseHuge = 1;
struct HcAdvise {
  uint64_t addr;        // IN
  uint64_t len;         // IN
  uint32_t advice;      // IN: kAdviseHuge
  uint32_t _pad;
  int64_t result;       // OUT
};
static_assert(sizeof(HcAdvise) == 32);

// upcall: register the LibOS's fault upcall (docs/architecture.md, "Faults
// reach the program"). From now on a CPU exception raised by ring-3 code
// outside the LibOS ([kLibosBase, kLibosLimit)) no longer ends the instance
// at once: the monitor writes a FaultUpcall record at `record`, and resumes
// the vCPU in ring 3 at `entry` (rsp, rflags and every other register
// unspecified; the entry must switch to a stack of its own). The LibOS then
// runs the program's handler or, when the signal's action is the default
// (or the signal is blocked), asks for the crash report with a `report` of
// kind ReportKind::fault, which prints the monitor's own record of the fault
// (nothing the guest wrote since is trusted). A fault inside the LibOS, in
// ring 0, or while an upcall is being entered, still ends the instance.
// entry and record must lie in [kLibosBase, kLibosLimit) (the LibOS's code
// and data), record 8-aligned. Errors: result = -EINVAL. Cost: one exit (once).
struct HcUpcall {
  uint64_t entry;       // IN: guest address of the upcall entry
  uint64_t record;      // IN: guest address of a FaultUpcall the monitor fills
  int64_t result;       // OUT: 0 or -errno
};
static_assert(sizeof(HcUpcall) == 24);

// What the monitor writes at HcUpcall::record before entering the upcall.
struct FaultUpcall {
  GuestRegs regs;       // the program's registers at the fault (rip = the faulting instruction,
                        // or the next one for traps such as int3)
  uint64_t vector;      // the CPU exception (0 #DE, 3 #BP, 6 #UD, 13 #GP, 14 #PF, ...)
  uint64_t error;       // the exception's error code (0 when it has none)
  uint64_t cr2;         // #PF: the faulting address
  uint64_t count;       // faults delivered so far, this one included
};
static_assert(sizeof(FaultUpcall) == sizeof(GuestRegs) + 32);

// preempt: time slices for the LibOS's threads (docs/architecture.md,
// "Preemption"). Needs the fault upcall registered first. While more than one
// thread could run (PreemptArea::ready > 1), the monitor keeps a timer of
// slice_ns of guest CPU time (ITIMER_VIRTUAL: it does not run while the guest
// sleeps in `block`). When it fires and the vCPU is in program code, the
// monitor enters the fault upcall with FaultUpcall::vector = kPreemptVector
// and the program's registers (one exit); the LibOS switches threads and
// later resumes it exactly there. In the LibOS (its code range, or ring 0)
// the monitor sets PreemptArea::pending instead, and the LibOS yields when it
// next leaves a system call. The LibOS makes this hypercall again to re-arm
// when ready rises past 1 while PreemptArea::armed is 0.
// area must be 8-aligned in [kLibosBase, kLibosLimit); slice_ns in [1 ms, 1 s].
// Errors: result = -EINVAL. Cost: one exit, plus one per slice while armed.
struct HcPreempt {
  uint64_t area;        // IN: guest address of a PreemptArea
  uint64_t slice_ns;    // IN
  int64_t result;       // OUT: 0 or -errno
};
static_assert(sizeof(HcPreempt) == 24);

inline constexpr uint64_t kPreemptVector = 0x200;  // FaultUpcall::vector of a slice's end

// Shared by the LibOS and the monitor; both treat the other's fields as
// hints (a wrong value costs a useless exit or a late switch, never safety).
struct PreemptArea {
  uint32_t ready;       // guest: threads runnable or waiting with a deadline
  uint32_t armed;       // monitor: 1 while the slice timer runs
  uint32_t pending;     // monitor sets, guest clears: yield on the way out of the LibOS
  uint32_t _pad;
  uint64_t preemptions; // monitor: slices ended by an upcall
};
static_assert(sizeof(PreemptArea) == 24);

// ready: the instance has reached its ready point (docs/architecture.md,
// "Snapshots"). Made only when BootInfo::flags has kBootSnapshot, at most
// once per boot, by the LibOS when every thread is blocked and it is about to
// `block` with a listening socket open (BootInfo::snapshot_port 0: any; else
// one on that port, TCP or the channel). The state at this point is what a
// snapshot holds: the monitor completes the exit (KVM_RUN with immediate_exit),
// saves guest memory, the vCPU and its own state, with `result` already set to
// kReadyResumed in the saved copy; in the running instance it sets
// kReadySaved (or kReadyFailed when the save failed: the instance goes on).
// Whether the saving instance then goes on or ends (status 0) is the
// monitor's choice (shoal-vmm --snapshot-then exit|run).
// A resumed instance returns from this hypercall with kReadyResumed: before
// it runs, the monitor has rewritten BootInfo's per-instance fields (see
// BootInfo: resume_count, resume_random, tsc_khz, realtime_ns, the channel
// and net fields, instance_start_realtime_ns) and realtime_ns below; the
// LibOS re-binds from them (entropy, clocks, devices) before anything else.
// Cost: one exit (plus the save, once).
inline constexpr uint32_t kReadySaved = 1;
inline constexpr uint32_t kReadyResumed = 2;
inline constexpr uint32_t kReadyFailed = 3;
struct HcReady {
  uint64_t realtime_ns;  // OUT: host CLOCK_REALTIME when the guest goes on
  uint64_t port;         // IN: the listening port found ready (for messages)
  uint32_t result;       // OUT: kReadySaved, kReadyResumed, kReadyFailed
  uint32_t _pad;
};
static_assert(sizeof(HcReady) == 24);

// process: the process model (docs/architecture.md, "Processes"). A process
// is an instance; the processes a fork makes are its family, numbered by the
// monitors (the first process is pid 1, children get 2, 3, ... from a counter
// the family's monitors share). `op` picks the call:
//
//   kProcessFork: clone the instance (fork, vfork, clone without CLONE_VM).
//     The monitor completes the exit, captures the vCPU, forks its own
//     process; the child monitor makes its own VM and vCPU over the inherited
//     guest memory (copy-on-write) and resumes the guest after this `outl`.
//     OUT result: the child's pid in the parent, 0 in the child, or -errno
//     in the parent: -EAGAIN past the family's process limit (shoal-vmm
//     --max-processes), -ENOSYS when the instance has a device two processes
//     cannot share (the channel, the network device). OUT self_pid,
//     parent_pid: the caller's pid and parent's pid after the call (the
//     child's are new). flags: kForkWaitChild (vfork) makes the parent
//     return only once the child has exec'd (kProcessVforkDone) or ended.
//   kProcessWait: wait4/waitid for a child. IN pid: > 0 that child, -1 (or
//     0, or < -1: as -1) any child; flags: kWaitNoHang, kWaitNoWait. OUT
//     result: the child's pid, 0 (kWaitNoHang and no child has ended) or
//     -ECHILD, -EINTR (a forwarded host signal other than SIGCHLD arrived
//     while waiting: the guest takes it and restarts). OUT status: Linux's
//     wait status (exit code << 8, or the signal that ended it). Blocks the
//     instance until a child ends unless kWaitNoHang.
//   kProcessKill: kill(pid, sig) for another process of the family. IN pid
//     (> 0 one process, -pgid a group, -1 every process but the caller and
//     pid 1, 0 the caller's group), sig (0, SIGKILL, SIGSTOP, SIGCONT, or a
//     forwarded signal, kHostSignals in boot.h). OUT result: 0, -ESRCH,
//     -EINVAL (another signal); OUT status: 1 when the caller itself is in
//     the target set (the LibOS posts the signal to itself).
//   kProcessSetpgid: IN pid (0: the caller), sig = pgid (0: pid). OUT result.
//   kProcessGetpgid / kProcessGetsid: IN pid (0: the caller). OUT result.
//   kProcessSetsid: OUT result: the new session id or -EPERM.
//   kProcessVforkDone: a vfork child execs: its parent (waiting since the
//     kForkWaitChild fork) goes on. Nothing for other processes. OUT result 0.
// Cost: one exit; fork also a host fork, a VM and a vCPU (~2-5 ms here).
inline constexpr uint32_t kProcessFork = 1;
inline constexpr uint32_t kProcessWait = 2;
inline constexpr uint32_t kProcessKill = 3;
inline constexpr uint32_t kProcessSetpgid = 4;
inline constexpr uint32_t kProcessGetpgid = 5;
inline constexpr uint32_t kProcessGetsid = 6;
inline constexpr uint32_t kProcessSetsid = 7;
inline constexpr uint32_t kProcessVforkDone = 8;
inline constexpr uint32_t kForkWaitChild = 1;
inline constexpr uint32_t kWaitNoHang = 1;
inline constexpr uint32_t kWaitNoWait = 2;
struct HcProcess {
  uint32_t op;          // IN: kProcess*
  uint32_t flags;       // IN
  int32_t pid;          // IN
  int32_t sig;          // IN
  int32_t status;       // OUT
  int32_t self_pid;     // OUT (fork)
  int32_t parent_pid;   // OUT (fork)
  uint32_t _pad;
  int64_t result;       // OUT
};
static_assert(sizeof(HcProcess) == 40);

// host_fd: a descriptor of the monitor shared by the processes of a family
// (a pipe the LibOS moved out of guest memory at a fork, so that both
// processes reach the same bytes). `op` picks the call:
//   kHostFdPipe: OUT fd, fd2 (read and write end, monitor numbers).
//   kHostFdRead / kHostFdWrite: IN fd, buf, len (at most 1 MiB), flags
//     (kHostFdNonBlock: -EAGAIN instead of waiting). OUT result: bytes or
//     -errno (-EPIPE for a write without reader). A blocking read or write
//     waits in the monitor (poll), returning -EINTR if a forwarded host
//     signal arrives.
//   kHostFdClose: IN fd.
//   kHostFdPoll: IN fd, len = poll events (POLLIN/POLLOUT). OUT result: the
//     revents now (no wait).
// Only descriptors made by kHostFdPipe are reachable (a table in the
// monitor): anything else is -EBADF. A monitor that cannot fork (a channel,
// a network device) answers -ENOSYS to every op. Cost: one exit each.
inline constexpr uint32_t kHostFdPipe = 1;
inline constexpr uint32_t kHostFdRead = 2;
inline constexpr uint32_t kHostFdWrite = 3;
inline constexpr uint32_t kHostFdClose = 4;
inline constexpr uint32_t kHostFdPoll = 5;
inline constexpr uint32_t kHostFdNonBlock = 1;
struct HcHostFd {
  uint32_t op;          // IN
  uint32_t flags;       // IN
  int32_t fd;           // IN (OUT for kHostFdPipe)
  int32_t fd2;          // OUT (kHostFdPipe)
  uint64_t buf;         // IN: guest address
  uint64_t len;         // IN
  int64_t result;       // OUT
};
static_assert(sizeof(HcHostFd) == 40);

// family: back the family region (layout.h kFamilyAddr, BootInfo::family_size)
// with memory: the monitor installs its KVM memory slot, once; a second call
// returns 0 at once. Until it returns 0 the guest must not touch the region
// (the access would reach no memory and end the instance). Every process of
// a family (the monitors a fork makes) maps the same host pages, so what one
// writes there the others read; the monitor never reads the contents.
// Errors: result = -ENOSYS when the instance has no region (--shm-size 0),
// -ENOMEM when KVM refuses the slot. Cost: one exit and, the first time, one
// KVM_SET_USER_MEMORY_REGION (1-10 ms under kvm_pvm).
struct HcFamily {
  int64_t result;       // OUT: 0 or -errno
};
static_assert(sizeof(HcFamily) == 8);

}  // namespace shoal::abi
