#include "sched/host_signal.hpp"

#include "sched/signal_state.hpp"

namespace libos {

uint32_t g_host_signals_seen = 0;

namespace {
// What was taken of each signal's count (index sig - 1).
uint32_t g_seen[31];
}  // namespace

void host_signals_take() {
  // SAFETY: see host_signals_new().
  const auto* boot = reinterpret_cast<const volatile shoal::abi::BootInfo*>(shoal::abi::kBootInfoAddr);
  uint32_t total = boot->host_signal_total;
  if (total == g_host_signals_seen) return;
  g_host_signals_seen = total;
  for (int sig = 1; sig < 32; ++sig) {
    if ((shoal::abi::kHostSignals & (1u << sig)) == 0) continue;
    uint32_t count = boot->host_signal_count[sig - 1];
    if (count == g_seen[sig - 1]) continue;
    // Several of one signal before the program ran are one pending signal,
    // as on Linux for standard signals.
    g_seen[sig - 1] = count;
    signal_post(sig, uapi::SI_USER, nullptr);  // may end the instance (default action)
  }
}

void host_signals_init(const shoal::abi::BootInfo& boot) {
  for (int sig = 1; sig < 32; ++sig) {
    if ((shoal::abi::kHostSignals & boot.host_signals_ignored & (1u << sig)) != 0) g_sig_actions[sig].handler = uapi::SIG_IGN;
  }
}

bool host_signals_can_wake() {
  for (int sig = 1; sig < 32; ++sig) {
    if ((shoal::abi::kHostSignals & (1u << sig)) == 0) continue;
    auto h = g_sig_actions[sig].handler;
    if (h != uapi::SIG_DFL && h != uapi::SIG_IGN) return true;
  }
  return false;
}

}  // namespace libos
