#include "monitor.hpp"

#include <time.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <shoal/abi/boot.h>
#include <shoal/abi/hypercall.h>
#include <shoal/abi/layout.h>

#include "cpu_setup.hpp"
#include "descriptors.hpp"
#include "fault.hpp"
#include "host_signals.hpp"
#include "preempt.hpp"

namespace shoal::vmm {
namespace {

using namespace shoal::abi;

GuestRegs to_guest_regs(const kvm_regs& r, uint64_t fs_base) {
  return GuestRegs{r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8,  r.r9,
                   r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip, r.rflags, fs_base};
}

const char* exit_kind_name(VcpuExit::Kind k) {
  switch (k) {
    case VcpuExit::Kind::io: return "port I/O";
    case VcpuExit::Kind::interrupted: return "interrupted";
    case VcpuExit::Kind::shutdown: return "shutdown";
    case VcpuExit::Kind::internal_error: return "internal error";
    case VcpuExit::Kind::fail_entry: return "entry failure";
    case VcpuExit::Kind::mmio: return "MMIO";
    case VcpuExit::Kind::hlt: return "hlt";
    case VcpuExit::Kind::other: return "other";
  }
  return "?";
}

}  // namespace

int Monitor::run() {
  for (;;) {
    if (m_env.timed_out && m_env.timed_out()) return report_timeout();
    if (host_signals_pending()) forward_host_signals();
    auto exit = m_vcpu->run();
    if (!exit) {
      CrashReport r{m_config.program, "monitor error: " + exit.error().message, status::kMonitorError};
      return finish(std::move(r));
    }
    if (auto status = handle_exit(exit.value())) return *status;
  }
}

std::optional<int> Monitor::handle_exit(const VcpuExit& exit) {
  switch (exit.kind) {
    case VcpuExit::Kind::io:
      return handle_io(exit);
    case VcpuExit::Kind::interrupted:
      // run() checks the timeout flag before re-entering.
      if (take_slice_tick()) {
        ++m_slice_exits;
        return end_slice();
      }
      ++m_other_exits;
      return std::nullopt;
    case VcpuExit::Kind::shutdown:
      return finish({m_config.program,
                     "triple fault: the vCPU hit an exception it could not deliver (ring-0 state broken)",
                     status::kSigsegv, vcpu_regs()});
    case VcpuExit::Kind::internal_error:
      return finish({m_config.program, "KVM internal error (suberror " + std::to_string(exit.detail) + ")",
                     status::kSigsegv, vcpu_regs()});
    case VcpuExit::Kind::fail_entry:
      return finish({m_config.program, "KVM could not enter the guest (hardware reason " + hex(exit.detail) + ")",
                     status::kMonitorError, vcpu_regs()});
    case VcpuExit::Kind::mmio:
      return finish({m_config.program,
                     "access to guest-physical address " + hex(exit.address) + " outside guest memory (" +
                         m_mem.describe_size() + ")",
                     status::kSigsegv, vcpu_regs(), exit.address});
    case VcpuExit::Kind::hlt:
      return finish({m_config.program, "the guest halted in ring 0", status::kSigsegv, vcpu_regs()});
    case VcpuExit::Kind::other:
      break;
  }
  return finish({m_config.program,
                 std::string("unexpected VM exit (") + exit_kind_name(exit.kind) + ", reason " +
                     std::to_string(exit.raw_reason) + ")",
                 status::kSigsegv, vcpu_regs()});
}

namespace {
uint64_t monotonic_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
}  // namespace

std::string Monitor::exit_summary() const {
  uint64_t total = m_slice_exits + m_fault_exits + m_other_exits;
  std::string parts;
  for (uint16_t nr = 0; nr < abi::kHypercallCount; ++nr) {
    if (m_hypercall_exits[nr] == 0) continue;
    total += m_hypercall_exits[nr];
    parts += std::string(hypercall_info(nr).name) + " " + std::to_string(m_hypercall_exits[nr]) + ", ";
  }
  parts += "slice " + std::to_string(m_slice_exits) + ", fault " + std::to_string(m_fault_exits) + ", other " +
           std::to_string(m_other_exits);
  return "exits: " + std::to_string(total) + " (" + parts + "); blocked " + std::to_string(m_block_ns / 1000000) +
         " ms";
}

std::optional<int> Monitor::handle_io(const VcpuExit& exit) {
  if (exit.is_out && exit.port == kFaultPort) {
    ++m_fault_exits;
    return handle_fault_port();
  }
  uint16_t nr = static_cast<uint16_t>(exit.port - kHypercallPortBase);
  if (nr < abi::kHypercallCount) ++m_hypercall_exits[nr];
  const auto& info = hypercall_info(nr);
  bool served = hypercall_handler(m_env, nr) != nullptr;
  if (exit.port < kHypercallPortBase || !served || !exit.is_out || exit.size != 4) {
    std::string what = std::string("guest ") + (exit.is_out ? "wrote to" : "read from") + " I/O port " +
                       hex(exit.port) + " (size " + std::to_string(exit.size) + ")";
    if (served && exit.port >= kHypercallPortBase)
      what += ": hypercall " + std::string(info.name) + " needs `outl %eax, %dx`";
    else
      what += ", which is not a hypercall";
    return finish({m_config.program, what, status::kBadHypercall, vcpu_regs()});
  }
  uint64_t t0 = nr == static_cast<uint16_t>(abi::Hypercall::block) ? monotonic_now_ns() : 0;
  auto action = dispatch_hypercall(m_env, nr, exit.value);
  if (t0 != 0) m_block_ns += monotonic_now_ns() - t0;
  if (!action) return report_invalid_argument(info.name, action.error());
  if (action->kind == HcAction::Kind::resume) {
    sync_slice_timer(false);
    return std::nullopt;
  }
  if (action->kind == HcAction::Kind::ready) return take_snapshot(action.value());
  if (action->kind == HcAction::Kind::fork) return do_fork(action.value());
  return handle_action(action.value());
}

void Monitor::sync_slice_timer(bool may_stop) {
  if (m_env.preempt_area == 0) return;
  auto area = m_mem.read<PreemptArea>(m_env.preempt_area);
  if (!area) return;
  bool want = area->ready > 1;
  // The timer counts guest CPU time only, so it may keep running across a
  // `block`; it stops only when a slice ended with nothing else to run (the
  // LibOS asks again, one exit, if that changes without an exit).
  if (!want && !may_stop) want = m_slice_armed;
  if (want != m_slice_armed) {
    set_slice_timer(want ? m_env.slice_ns : 0);
    m_slice_armed = want;
  }
  if (area->armed != (m_slice_armed ? 1u : 0u)) {
    // SAFETY: a checked write of one field of the area validated at registration.
    (void)m_mem.write<uint32_t>(m_env.preempt_area + offsetof(PreemptArea, armed), m_slice_armed ? 1 : 0);
  }
}

std::optional<int> Monitor::end_slice() {
  if (m_env.preempt_area == 0) return std::nullopt;
  sync_slice_timer(true);  // one thread ready: stop the timer, nothing to switch to
  if (!m_slice_armed) return std::nullopt;
  if (!enter_preempt_upcall()) {
    // In the LibOS (or a ring-0 stub): it yields when it next leaves.
    (void)m_mem.write<uint32_t>(m_env.preempt_area + offsetof(PreemptArea, pending), 1);
    return std::nullopt;
  }
  (void)m_mem.write<uint64_t>(m_env.preempt_area + offsetof(PreemptArea, preemptions), ++m_preemptions);
  return std::nullopt;
}

void Monitor::forward_host_signals() {
  auto counts = take_host_signals();
  auto info = m_mem.read<BootInfo>(kBootInfoAddr);
  if (!info) return;
  uint32_t total = info->host_signal_total;
  for (int sig = 1; sig < 32; ++sig) {
    if (counts[sig] == 0) continue;
    total += counts[sig];
    // SAFETY: checked writes of BootInfo fields (the page is the monitor's;
    // the guest only reads it).
    (void)m_mem.write<uint32_t>(kBootInfoAddr + offsetof(BootInfo, host_signal_count) + (sig - 1) * 4,
                                info->host_signal_count[sig - 1] + counts[sig]);
  }
  (void)m_mem.write<uint32_t>(kBootInfoAddr + offsetof(BootInfo, host_signal_total), total);
  // In program code, the guest would see the signal only at its next
  // system call: enter the LibOS through the upcall, as at a slice's end
  // (it then takes the signals: sched/signal_fault.cpp). In the LibOS, it
  // sees them when it leaves (or when `block` returns).
  if (m_env.upcall_entry != 0) (void)enter_preempt_upcall();
}

bool Monitor::enter_preempt_upcall() {
  auto regs = m_vcpu->get_regs();
  if (!regs || regs->rip < kLibosLimit) return false;
  FaultUpcall rec{};
  rec.regs = to_guest_regs(regs.value(), 0);
  rec.vector = kPreemptVector;
  rec.count = ++m_upcall_faults;
  if (!m_mem.write(m_env.upcall_record, rec).ok()) return false;
  kvm_regs r = regs.value();
  r.rip = m_env.upcall_entry;
  r.rflags = cpu::kEntryRflags;
  return m_vcpu->set_regs(r).ok();
}

std::optional<int> Monitor::handle_fault_port() {
  auto sregs = m_vcpu->get_sregs();
  auto regs = m_vcpu->get_regs();
  if (!sregs || !regs) return finish({m_config.program, "cannot read the vCPU state after a fault", status::kMonitorError});
  if ((sregs->cs.selector & 3) != 0) {
    return finish({m_config.program, "guest wrote to the fault port " + hex(kFaultPort) + " from ring 3",
                   status::kBadHypercall, to_guest_regs(regs.value(), sregs->fs.base)});
  }
  auto frame = m_mem.read<FaultFrame>(regs->rsp);
  if (!frame) {
    return finish({m_config.program, "CPU exception, but the ring-0 stack is unreadable: " + frame.error().message,
                   status::kSigsegv, to_guest_regs(regs.value(), sregs->fs.base)});
  }
  const FaultFrame& f = frame.value();
  FaultFacts facts{f.vector, f.error, sregs->cr2, m_mem.size()};
  if (auto insn = m_mem.span(f.rip, sizeof facts.insn)) {
    // SAFETY: a checked span of sizeof facts.insn bytes.
    memcpy(facts.insn, insn->data(), sizeof facts.insn);
    facts.has_insn = true;
  }
  facts.rdx = f.rdx;
  auto desc = describe_fault(facts);
  // The program's state: the GPRs are untouched except rdx, which the stub saved.
  GuestRegs g = to_guest_regs(regs.value(), sregs->fs.base);
  g.rdx = f.rdx;
  g.rip = f.rip;
  g.rsp = f.rsp;
  g.rflags = f.rflags;
  CrashReport r{m_config.program, desc.what, desc.status, g};
  if (f.vector == 14) r.address = sregs->cr2;
  if ((f.cs & 3) == 0) r.notes.push_back("the fault happened in ring 0 (the monitor's syscall bounce or a stub)");
  if (f.vector == 14 || f.vector == 13 || f.vector == 12) {
    char buf[64];
    snprintf(buf, sizeof buf, "error code %#lx", static_cast<unsigned long>(f.error));
    r.notes.push_back(buf);
  }
  if (fault_goes_to_upcall(f.vector, f.cs, f.rip) && enter_fault_upcall(regs->rsp, f, sregs->cr2, g)) {
    m_upcall_fault = std::move(r);
    return std::nullopt;
  }
  return finish(std::move(r));
}

// Which faults the LibOS may turn into a signal: exceptions Linux reports as
// SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGTRAP, raised in ring 3 by program code. A
// fault of the LibOS itself (its code range), of ring 0, and the machine
// faults (#NMI, #DF, #MC, stray interrupts) end the instance as before.
bool Monitor::fault_goes_to_upcall(uint64_t vector, uint64_t cs, uint64_t rip) const {
  if (m_env.upcall_entry == 0 || (cs & 3) != 3) return false;
  if (rip >= kLibosBase && rip < kLibosLimit) return false;
  switch (vector) {
    case 0: case 1: case 3: case 4: case 5: case 6: case 11: case 12: case 13: case 14: case 16: case 17:
    case 19:
      return true;
    default:
      return false;
  }
}

bool Monitor::enter_fault_upcall(uint64_t ring0_rsp, const FaultFrame& f, uint64_t cr2, const GuestRegs& regs) {
  FaultUpcall rec{};
  rec.regs = regs;
  rec.vector = f.vector;
  rec.error = f.error;
  rec.cr2 = f.vector == 14 ? cr2 : 0;
  rec.count = ++m_upcall_faults;
  // SAFETY: upcall_record was checked at registration to hold a FaultUpcall
  // inside guest memory; write checks the range again.
  if (!m_mem.write(m_env.upcall_record, rec).ok()) return false;
  // The stub's tail irets through this frame: back to CPL 3 at the entry,
  // with the boot's rflags (the program's may hold TF or AC). No vCPU
  // register is set from here: KVM_SET_SREGS would reset the shadow MMU.
  FaultFrame back = f;
  back.rip = m_env.upcall_entry;
  back.cs = kUserCs;
  back.rflags = cpu::kEntryRflags;
  back.rsp = regs.rsp;
  back.ss = kUserDs;
  return m_mem.write(ring0_rsp, back).ok();
}

std::optional<int> Monitor::take_snapshot(const HcAction& action) {
  // The `outl` is not finished until the next KVM_RUN: with immediate_exit
  // set, KVM completes it (rip moves past the instruction) and returns at
  // once, so the registers saved are those after the hypercall.
  m_ready_reached = true;
  m_vcpu->request_immediate_exit();
  auto completed = m_vcpu->run();
  std::string failure;
  if (!completed) failure = completed.error().message;
  else if (completed->kind != VcpuExit::Kind::interrupted)
    failure = std::string("completing the ready exit gave a ") + exit_kind_name(completed->kind) + " exit";
  auto set_result = [&](uint32_t result) {
    (void)m_mem.write<uint32_t>(action.args + offsetof(HcReady, result), result);
    (void)m_mem.write<uint64_t>(action.args + offsetof(HcReady, realtime_ns),
                                m_env.realtime_ns ? m_env.realtime_ns() : 0);
  };
  if (failure.empty() && m_config.save_snapshot) {
    // What a resumed instance reads when `ready` returns: set in the copy saved.
    set_result(kReadyResumed);
    auto saved = m_config.save_snapshot(m_env, action.args, action.port);
    if (!saved) failure = saved.error().message;
  } else if (failure.empty()) {
    failure = "no snapshot file";
  }
  set_result(failure.empty() ? kReadySaved : kReadyFailed);
  if (!failure.empty()) {
    std::string line = "shoal-vmm: snapshot not saved: " + failure + "\n";
    write_fully(m_config.report_fd, reinterpret_cast<const uint8_t*>(line.data()), line.size());
    if (m_config.exit_after_save) return status::kMonitorError;
    return std::nullopt;
  }
  if (m_config.exit_after_save) return 0;
  return std::nullopt;
}

std::optional<int> Monitor::do_fork(const HcAction& action) {
  // As for a snapshot: the `outl` completes on the next KVM_RUN, so the
  // state captured (and the child's) resumes after it.
  m_vcpu->request_immediate_exit();
  auto completed = m_vcpu->run();
  std::string failure;
  if (!completed) failure = completed.error().message;
  else if (completed->kind != VcpuExit::Kind::interrupted)
    failure = std::string("completing the fork exit gave a ") + exit_kind_name(completed->kind) + " exit";
  if (failure.empty() && !m_config.fork) failure = "this monitor cannot fork";
  if (failure.empty()) {
    auto forked = m_config.fork(m_env, action.args);
    if (!forked) {
      failure = forked.error().message;
    } else if (forked.value() != nullptr) {
      // The child: its own vCPU, no slice timer running yet, no fault in flight.
      m_vcpu = forked.value();
      m_slice_armed = false;
      m_upcall_fault.reset();
      return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  return finish({m_config.program, "fork failed: " + failure, status::kMonitorError, vcpu_regs()});
}

int Monitor::handle_action(const HcAction& action) {
  switch (action.kind) {
    case HcAction::Kind::resume:
    case HcAction::Kind::ready:
      break;
    case HcAction::Kind::exit:
      m_exited = true;
      return action.status;
    case HcAction::Kind::fork:
      break;
    case HcAction::Kind::timeout:
      return report_timeout();
    case HcAction::Kind::deadlock:
      return finish({m_config.program, "deadlock: every thread blocked and nothing can wake one",
                     status::kDeadlock, vcpu_regs()});
    case HcAction::Kind::report: {
      if (action.report_kind == ReportKind::fault) {
        // The LibOS declines the fault it was handed: the report is the
        // monitor's own record of it, not anything the guest wrote.
        if (m_upcall_fault) return finish(*m_upcall_fault);
        return finish({m_config.program, "the LibOS reported an unhandled fault, but none was handed to it",
                       status::kBadHypercall, vcpu_regs()});
      }
      std::string msg = sanitize_message(action.message);
      CrashReport r{m_config.program, "", action.status, action.regs ? action.regs : vcpu_regs()};
      switch (action.report_kind) {
        case ReportKind::panic:
          r.what = "LibOS panic: " + msg;
          break;
        case ReportKind::signal:
          if (action.status == 134)
            r.what = "SIGABRT raised by the program (abort)";
          else
            r.what = "fatal signal " + std::to_string(action.status - 128) + " raised by the program";
          if (!msg.empty()) r.notes.push_back("LibOS: " + msg);
          break;
        case ReportKind::deadlock:
          r.what = "deadlock: every thread blocked";
          if (!msg.empty()) r.notes.push_back("LibOS: " + msg);
          break;
        default:
          r.what = "report (kind " + std::to_string(static_cast<uint32_t>(action.report_kind)) + "): " + msg;
          break;
      }
      return finish(std::move(r));
    }
  }
  return status::kMonitorError;
}

int Monitor::report_invalid_argument(const char* name, const Error& error) {
  return finish({m_config.program, std::string("guest passed an invalid argument to ") + name + ": " + error.message,
                 status::kBadHypercall, vcpu_regs()});
}

int Monitor::report_timeout() {
  char what[64];
  snprintf(what, sizeof what, "timeout after %.1f s", m_config.timeout_s);
  return finish({m_config.program, what, status::kTimeout, vcpu_regs()});
}

std::optional<GuestRegs> Monitor::vcpu_regs() {
  auto regs = m_vcpu->get_regs();
  if (!regs) return std::nullopt;
  auto sregs = m_vcpu->get_sregs();
  return to_guest_regs(regs.value(), sregs ? sregs->fs.base : 0);
}

int Monitor::finish(CrashReport report) {
  std::string text = format_crash_report(report, m_mem, m_sym);
  // Best effort once --timeout has expired: a report fd that never drains
  // (a full pipe nobody reads) must not keep the instance alive.
  write_fully(m_config.report_fd, reinterpret_cast<const uint8_t*>(text.data()), text.size(),
              [this] { return m_env.timed_out && m_env.timed_out(); });
  return report.status;
}

}  // namespace shoal::vmm
