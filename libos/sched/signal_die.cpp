// Ending the instance for a signal whose default action is fatal: a
// `report` hypercall with the signal's name and the registers of the system
// call during which it was taken.
#include "arch/x86_64/cpu.hpp"
#include "core/hypercall.hpp"
#include "sched/exit_hook.hpp"
#include "core/klib.hpp"
#include "sched/signal_state.hpp"

namespace libos {

namespace {

struct SignalName {
  const char* name;
  const char* what;
};
SignalName signal_name(int sig) {
  static const SignalName kNames[] = {
      {"SIG0", "signal 0"},        {"SIGHUP", "hangup"},
      {"SIGINT", "interrupt"},     {"SIGQUIT", "quit"},
      {"SIGILL", "illegal instruction"}, {"SIGTRAP", "trace trap"},
      {"SIGABRT", "abort"},        {"SIGBUS", "bus error"},
      {"SIGFPE", "floating-point exception"}, {"SIGKILL", "killed"},
      {"SIGUSR1", "user signal 1"}, {"SIGSEGV", "segmentation fault"},
      {"SIGUSR2", "user signal 2"}, {"SIGPIPE", "broken pipe"},
      {"SIGALRM", "alarm clock"},  {"SIGTERM", "terminated"},
      {"SIGSTKFLT", "stack fault"}, {"SIGCHLD", "child status"},
      {"SIGCONT", "continue"},     {"SIGSTOP", "stopped"},
      {"SIGTSTP", "stopped (tty)"}, {"SIGTTIN", "tty input"},
      {"SIGTTOU", "tty output"},   {"SIGURG", "urgent I/O"},
      {"SIGXCPU", "CPU time limit"}, {"SIGXFSZ", "file size limit"},
      {"SIGVTALRM", "virtual alarm"}, {"SIGPROF", "profiling timer"},
      {"SIGWINCH", "window changed"}, {"SIGIO", "I/O possible"},
      {"SIGPWR", "power failure"}, {"SIGSYS", "bad system call"},
  };
  if (sig >= 0 && sig < 32) return kNames[sig];
  return {"SIGRT", "real-time signal"};
}



}  // namespace

[[noreturn]] void signal_die(int sig, const SyscallFrame* frame) {
  sched::run_exit_hook();
  SignalName n = signal_name(sig);
  static char msg[64];
  size_t len = 0;
  auto append = [&](const char* s) {
    size_t l = strlen(s);
    if (len + l >= sizeof(msg)) l = sizeof(msg) - 1 - len;
    memcpy(msg + len, s, l);
    len += l;
  };
  append(n.name);
  append(" (");
  append(n.what);
  append(")");
  shoal::abi::HcReport report{};
  report.kind = static_cast<uint32_t>(shoal::abi::ReportKind::signal);
  report.status = 128 + sig;
  report.message = reinterpret_cast<uint64_t>(msg);
  report.message_len = len;
  report.has_regs = frame != nullptr ? 1 : 0;
  if (frame == nullptr) {
    hypercall(shoal::abi::Hypercall::report, &report);
    __builtin_unreachable();
  }
  const SyscallFrame& f = *frame;
  auto& r = report.regs;
  r.rax = f.nr;
  r.rbx = f.rbx;
  r.rcx = f.rcx;
  r.rdx = f.rdx;
  r.rsi = f.rsi;
  r.rdi = f.rdi;
  r.rbp = f.rbp;
  r.rsp = f.site_rsp();
  r.r8 = f.r8;
  r.r9 = f.r9;
  r.r10 = f.r10;
  r.r11 = f.r11;
  r.r12 = f.r12;
  r.r13 = f.r13;
  r.r14 = f.r14;
  r.r15 = f.r15;
  r.rip = f.user_rip();
  r.rflags = 0x202;
  r.fs_base = cpu::rdfsbase();
  hypercall(shoal::abi::Hypercall::report, &report);
  __builtin_unreachable();
}


// Default action "ignore" (or stop/continue, which mean nothing here).
bool signal_default_ignored(int sig) {
  switch (sig) {
    case uapi::SIGCHLD: case uapi::SIGCONT: case uapi::SIGSTOP: case uapi::SIGTSTP:
    case uapi::SIGTTIN: case uapi::SIGTTOU: case uapi::SIGURG: case uapi::SIGWINCH:
      return true;
    default:
      return false;
  }
}

}  // namespace libos
