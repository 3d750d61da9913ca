// The hypercalls of abi/hypercall.h, served by the monitor.
//
// One dispatch table, generated from SHOAL_HYPERCALLS, maps a number to its
// name and handler. A handler validates every argument; a pointer or length
// that leaves guest memory is an Error, which the run loop turns into
// "guest passed an invalid argument to <name>: <message>" and status 139.
// Argument values that are merely wrong (an fd other than 0/1/2, a range
// discard cannot accept, a length over 1 MiB) get -errno in `result`, as the
// ABI documents. Handlers never touch guest memory except through
// GuestMemory, so a hostile guest cannot make the monitor read or write
// anything outside its mapping.
#pragma once

#include <signal.h>
#include <stdint.h>

#include <functional>
#include <optional>
#include <string>

#include <shoal/abi/hypercall.h>
#include <shoal/base/result.hpp>

#include "guest_memory.hpp"

namespace shoal::vmm {

inline constexpr uint64_t kMaxConsoleTransfer = 1 << 20;
inline constexpr uint64_t kMaxReportMessage = 4096;

// What the run loop does after a hypercall.
struct HcAction {
  enum class Kind { resume, exit, report, deadlock, timeout };
  Kind kind = Kind::resume;
  int status = 0;                     // exit, report
  abi::ReportKind report_kind{};      // report
  std::string message;                // report
  std::optional<abi::GuestRegs> regs; // report with has_regs
};

// Everything a hypercall may touch besides guest memory.
struct HypercallEnv {
  const GuestMemory* mem = nullptr;
  uint64_t image_end = 0;             // discard: the heap starts here
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
};

using HcHandler = Result<HcAction> (*)(HypercallEnv& env, GuestAddr args);

struct HypercallInfo {
  const char* name = nullptr;  // nullptr: no hypercall has this number
  HcHandler handler = nullptr;
  uint32_t args_size = 0;
};

// The table, indexed by number (< abi::kHypercallCount).
const HypercallInfo& hypercall_info(uint16_t nr);

// Runs hypercall nr with the argument struct at guest address args.
// Errors name the offending argument; the caller adds the hypercall's name.
Result<HcAction> dispatch_hypercall(HypercallEnv& env, uint16_t nr, GuestAddr args);

// Writes all of [data, data+len) to fd, retrying on EINTR and short writes.
// Returns bytes written or -errno. If stop() becomes true while a write is
// interrupted (--timeout expired on a blocked stdout), returns -EINTR.
int64_t write_fully(int fd, const uint8_t* data, uint64_t len, const std::function<bool()>& stop = {});

}  // namespace shoal::vmm
