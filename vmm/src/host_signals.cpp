#include "host_signals.hpp"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <atomic>
#include <string>

#include <shoal/abi/boot.h>

namespace shoal::vmm {
namespace {

// Lock-free counters, so the handler is async-signal-safe; the monitor's
// loop takes them with exchange(0).
std::atomic<uint32_t> g_counts[32];
std::atomic<uint32_t> g_any{0};
std::atomic<Vcpu*> g_vcpu{nullptr};
static_assert(std::atomic<uint32_t>::is_always_lock_free);

void on_host_signal(int sig) {
  if (sig <= 0 || sig >= 32) return;
  g_counts[sig].fetch_add(1);
  g_any.store(1);
  if (Vcpu* vcpu = g_vcpu.load()) vcpu->request_immediate_exit();
}

sigset_t forwarded() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig = 1; sig < 32; ++sig) {
    if (abi::kHostSignals & (1u << sig)) sigaddset(&set, sig);
  }
  return set;
}

}  // namespace

uint32_t inherited_ignored_host_signals() {
  uint32_t mask = 0;
  for (int sig = 1; sig < 32; ++sig) {
    if (!(abi::kHostSignals & (1u << sig))) continue;
    struct sigaction old{};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) mask |= 1u << sig;
  }
  return mask;
}

Result<void> install_host_signal_handlers(Vcpu* vcpu) {
  g_vcpu.store(vcpu);
  struct sigaction sa{};
  sa.sa_handler = on_host_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART
  for (int sig = 1; sig < 32; ++sig) {
    if (!(abi::kHostSignals & (1u << sig))) continue;
    if (sigaction(sig, &sa, nullptr) < 0) return make_error(std::string("sigaction: ") + strerror(errno));
  }
  return {};
}

void block_host_signals(bool blocked) {
  sigset_t set = forwarded();
  pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

bool host_signals_pending() { return g_any.load() != 0; }

bool host_signals_pending_except_child() {
  if (g_any.load() == 0) return false;
  for (int sig = 1; sig < 32; ++sig)
    if (sig != SIGCHLD && g_counts[sig].load() != 0) return true;
  return false;
}

std::array<uint32_t, 32> take_host_signals() {
  g_any.store(0);
  std::array<uint32_t, 32> out{};
  for (int sig = 1; sig < 32; ++sig) out[sig] = g_counts[sig].exchange(0);
  return out;
}

void disarm_host_signals() { g_vcpu.store(nullptr); }

}  // namespace shoal::vmm
