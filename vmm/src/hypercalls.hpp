// The hypercalls of abi/hypercall.h, served by the monitor.
//
// One table, generated from SHOAL_HYPERCALLS, names every number and its
// argument struct. Who serves a number is installed into the HypercallEnv:
// the core serves block, exit, report and discard (hypercalls.cpp); a device
// module serves its own (DeviceModule::hypercalls(), e.g. the console's
// console_read and console_write, devices/console/), and main.cpp installs
// them with install_hypercalls(). A handler validates every argument; a
// pointer or length that leaves guest memory is an Error, which the run loop
// turns into "guest passed an invalid argument to <name>: <message>" and
// status 139. Argument values that are merely wrong (an fd other than 0/1/2,
// a range discard cannot accept, a length over 1 MiB) get -errno in
// `result`, as the ABI documents. Handlers never touch guest memory except
// through GuestMemory (guest_buffer, read_args, write_field below), so a hostile guest cannot make
// the monitor read or write anything outside its mapping.
#pragma once

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <array>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <shoal/abi/hypercall.h>
#include <shoal/abi/layout.h>
#include <shoal/base/result.hpp>

#include "guest_memory.hpp"

namespace shoal::vmm {

inline constexpr uint64_t kMaxReportMessage = 4096;

// What the run loop does after a hypercall.
struct HcAction {
  // ready: the guest reached its ready point and a snapshot is wanted; the
  // run loop completes the exit and saves (Monitor::take_snapshot).
  // fork: the `process` hypercall's kProcessFork; the run loop completes the
  // exit and forks (Monitor::do_fork).
  enum class Kind { resume, exit, report, deadlock, timeout, ready, fork };
  Kind kind = Kind::resume;
  int status = 0;                     // exit, report
  abi::ReportKind report_kind{};      // report
  std::string message;                // report
  std::optional<abi::GuestRegs> regs; // report with has_regs
  uint64_t args = 0;                  // ready: the HcReady's guest address
  uint64_t port = 0;                  // ready: HcReady::port
};

struct HypercallEnv;
class Family;
using HcHandler = Result<HcAction> (*)(HypercallEnv& env, GuestAddr args);
using HcHandlers = std::array<HcHandler, abi::kHypercallCount>;

// The core's own handlers (block, exit, report, discard), by number.
HcHandlers core_hypercall_handlers();

// Everything a hypercall may touch besides guest memory.
struct HypercallEnv {
  // The handler of each number: the core's, plus what install_hypercalls()
  // added for the devices. nullptr: not served (the guest's call is then
  // "not a hypercall").
  HcHandlers handlers = core_hypercall_handlers();
  const GuestMemory* mem = nullptr;
  uint64_t image_end = 0;             // discard: the heap starts here
  bool huge_pages = true;             // advise: false under --huge-pages never
  int stdin_fd = 0, stdout_fd = 1, stderr_fd = 2;
  // Sleeps for ns (CLOCK_MONOTONIC), or less when an event source (the
  // channel's wake descriptor) fires; UINT64_MAX only reaches it when
  // has_event_source. Returns false if cut short by --timeout.
  std::function<bool(uint64_t ns)> sleep;
  // True when something outside the guest can end a `block` (a channel): a
  // block with no deadline is then a wait, not a deadlock.
  bool has_event_source = false;
  // True once --timeout has expired (checked when a host call returns EINTR).
  std::function<bool()> timed_out;
  // Host CLOCK_REALTIME in ns.
  std::function<uint64_t()> realtime_ns;
  // The instance's stdio above (stdin_fd, ...) and these two are the
  // console's (devices/console/console_hypercalls.cpp).
  // Called before the first console_write (for --timing).
  std::function<void()> on_first_write;
  bool wrote = false;
  // Set by the `upcall` hypercall (0: none registered): where faults of
  // program code go instead of a crash report (Monitor::handle_fault_port).
  uint64_t upcall_entry = 0;
  uint64_t upcall_record = 0;
  // Set by the `preempt` hypercall (0: no time slices).
  uint64_t preempt_area = 0;
  uint64_t slice_ns = 0;
  // --snapshot-out: the first `ready` saves a snapshot (later ones, or any
  // without it, get kReadyFailed).
  bool snapshot_wanted = false;
  // A resumed instance: guest memory is partly a private file mapping, so
  // `discard` maps anonymous memory over the range (MADV_DONTNEED would bring
  // the snapshot's bytes back, not zeros).
  bool file_backed_memory = false;
  // The processes of this instance's family (family.hpp), for the `process`
  // hypercall; nullptr: a monitor without one (tests), every call -ENOSYS.
  Family* family = nullptr;
  // Descriptors the `host_fd` hypercall made (pipes shared by a family's
  // processes); only these are reachable. -1: free.
  std::array<int, 256> host_fds = [] {
    std::array<int, 256> a{};
    a.fill(-1);
    return a;
  }();
};

struct HypercallInfo {
  const char* name = nullptr;  // nullptr: no hypercall has this number
  uint32_t args_size = 0;
};

// The table, indexed by number (< abi::kHypercallCount).
const HypercallInfo& hypercall_info(uint16_t nr);

// A hypercall a device serves (DeviceModule::hypercalls()).
struct HypercallRoute {
  abi::Hypercall nr;
  HcHandler handler;
};

// Adds the routes' handlers to env. An error if a number is already served
// (two owners) or is not in the ABI's table.
Result<void> install_hypercalls(HypercallEnv& env, std::span<const HypercallRoute> routes);

// The handler env has for nr, nullptr if none.
HcHandler hypercall_handler(const HypercallEnv& env, uint16_t nr);

// Runs hypercall nr with the argument struct at guest address args.
// Errors name the offending argument; the caller adds the hypercall's name.
Result<HcAction> dispatch_hypercall(HypercallEnv& env, uint16_t nr, GuestAddr args);

// Writes all of [data, data+len) to fd, retrying on EINTR and short writes.
// Returns bytes written or -errno. If stop() becomes true while a write is
// interrupted (--timeout expired on a blocked stdout), returns -EINTR.
int64_t write_fully(int fd, const uint8_t* data, uint64_t len, const std::function<bool()>& stop = {});

// For handlers (the core's here, a device's in its folder): every argument
// struct and buffer is reached through these checked copies, never through a
// raw guest pointer.

enum class Access { read, write };

// A guest buffer the monitor may use: inside guest memory and, for reading,
// at or above the BootInfo page (the guest may print its own argv), for
// writing, at or above the LibOS (never the monitor's tables).
inline Result<std::span<uint8_t>> guest_buffer(const HypercallEnv& env, const char* what, GuestAddr addr,
                                               uint64_t len, Access access) {
  auto bytes = env.mem->span(addr, len);
  if (!bytes) return make_error(std::string(what) + " " + bytes.error().message, EFAULT);
  uint64_t floor = access == Access::read ? abi::kBootInfoAddr : abi::kLibosBase;
  if (len > 0 && addr < floor) {
    return make_error(std::string(what) + " " + hex(addr) + " + " + std::to_string(len) +
                          " inside monitor-owned memory (below " + hex(floor) + ")",
                      EFAULT);
  }
  return bytes;
}

template <typename T>
Result<T> read_args(const HypercallEnv& env, GuestAddr addr) {
  auto bytes = TRY(guest_buffer(env, "argument struct", addr, sizeof(T), Access::write));
  T value;
  // SAFETY: bytes is a checked span of sizeof(T) bytes; copied once, so the
  // guest cannot change fields between validation and use.
  memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

template <typename T>
Result<void> write_field(const HypercallEnv& env, GuestAddr struct_addr, size_t offset, const T& value) {
  return env.mem->write(struct_addr + offset, value);
}

}  // namespace shoal::vmm
