// The run loop: enters the guest, and handles every VM exit in one place
// (Monitor::handle_exit, as Firecracker's handle_kvm_exit) until the guest
// exits, crashes, or times out.
#pragma once

#include <stdint.h>

#include <functional>
#include <optional>
#include <string>

#include <shoal/abi/hypercall.h>

#include "crash_report.hpp"
#include "descriptors.hpp"
#include "guest_memory.hpp"
#include "hypercalls.hpp"
#include "kvm.hpp"

namespace shoal::vmm {

struct MonitorConfig {
  std::string program;       // for reports
  double timeout_s = 0;      // 0: none
  int report_fd = 2;         // where crash reports go
  // --snapshot-out: saves the snapshot at the `ready` hypercall (the exit
  // completed, HcReady::result already kReadyResumed in guest memory);
  // returns the --verbose line. exit_after_save: --snapshot-then exit.
  std::function<Result<std::string>(const HypercallEnv& env, uint64_t args, uint64_t port)> save_snapshot;
  bool exit_after_save = true;
  // The `process` hypercall's fork (fork_vm.hpp), the exit completed: in
  // the child returns the new vCPU the loop runs from then on; in the
  // parent nullptr. Unset: the guest's fork gets -ENOSYS.
  std::function<Result<Vcpu*>(HypercallEnv& env, uint64_t args)> fork;
};

class Monitor {
 public:
  Monitor(const GuestMemory& mem, Vcpu& vcpu, Symbolizer sym, HypercallEnv env, MonitorConfig config)
      : m_mem(mem), m_vcpu(&vcpu), m_sym(std::move(sym)), m_env(std::move(env)), m_config(std::move(config)) {}

  // Runs the guest to its end; returns the instance's exit status.
  int run();

  // The one VM-exit handler: nullopt to resume the guest, else the status.
  std::optional<int> handle_exit(const VcpuExit& exit);

  HypercallEnv& env() { return m_env; }

  // True once the guest made the `ready` hypercall that asked for a save
  // (whether or not the save succeeded).
  bool ready_reached() const { return m_ready_reached; }

  // True when the guest ended through the `exit` hypercall (not a report,
  // a fault, a timeout): a forked child's monitor re-raises the guest's
  // fatal signal otherwise, so its parent's wait sees WIFSIGNALED.
  bool exited() const { return m_exited; }

  // "exits: N (hypercall name N, ..., slice N, fault N, other N)": where the
  // guest's exits went, for --verbose (each one is ~50 us on PVM).
  std::string exit_summary() const;

 private:
  std::optional<int> handle_io(const VcpuExit& exit);
  std::optional<int> handle_fault_port();
  // Hands a fault of program code to the LibOS's upcall (HcUpcall); false
  // when it cannot (the record or the ring-0 frame cannot be written).
  // Time slices (HcPreempt): runs the timer while the guest says more than
  // one thread is ready; at a slice's end, enters the upcall (program code)
  // or sets PreemptArea::pending (LibOS code).
  void sync_slice_timer(bool may_stop);
  std::optional<int> end_slice();
  // Counts the signals for the guest into BootInfo (host_signals.hpp) and
  // interrupts program code through the upcall.
  void forward_host_signals();
  // Enters the LibOS's upcall with kPreemptVector when the vCPU is in
  // program code (one register write); false if it is not (or on error).
  bool enter_preempt_upcall();
  bool fault_goes_to_upcall(uint64_t vector, uint64_t cs, uint64_t rip) const;
  bool enter_fault_upcall(uint64_t ring0_rsp, const FaultFrame& f, uint64_t cr2, const abi::GuestRegs& regs);
  int handle_action(const HcAction& action);
  // The `process` hypercall's fork: completes the exit, then MonitorConfig::fork.
  std::optional<int> do_fork(const HcAction& action);
  // The `ready` hypercall with --snapshot-out: nullopt to go on, else the status.
  std::optional<int> take_snapshot(const HcAction& action);
  int report_invalid_argument(const char* name, const Error& error);
  int report_timeout();
  // Prints the report and returns its status.
  int finish(CrashReport report);
  std::optional<abi::GuestRegs> vcpu_regs();

  const GuestMemory& m_mem;
  Vcpu* m_vcpu;  // replaced in a forked child (do_fork)
  Symbolizer m_sym;
  HypercallEnv m_env;
  MonitorConfig m_config;
  // The report of the last fault handed to the upcall, printed if the LibOS
  // says the program does not handle it (ReportKind::fault).
  std::optional<CrashReport> m_upcall_fault;
  uint64_t m_upcall_faults = 0;
  bool m_slice_armed = false;
  bool m_ready_reached = false;
  bool m_exited = false;
  uint64_t m_preemptions = 0;
  // Exit counts by cause, for exit_summary().
  uint64_t m_hypercall_exits[abi::kHypercallCount] = {};
  uint64_t m_slice_exits = 0;   // the slice timer's tick (KVM_RUN interrupted)
  uint64_t m_fault_exits = 0;   // the fault port (CPU faults in ring 0)
  uint64_t m_other_exits = 0;   // anything else, e.g. interrupted without a tick
  uint64_t m_block_ns = 0;      // time inside block hypercalls (the guest idle)
};

}  // namespace shoal::vmm
