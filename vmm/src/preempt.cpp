#include "preempt.hpp"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include <atomic>
#include <string>

namespace shoal::vmm {
namespace {

volatile sig_atomic_t g_tick = 0;
// As in timeout.cpp: lock-free, loaded once in the handler, cleared before the
// vCPU goes away.
std::atomic<Vcpu*> g_vcpu{nullptr};

void on_slice(int) {
  g_tick = 1;
  if (Vcpu* vcpu = g_vcpu.load()) vcpu->request_immediate_exit();
}

}  // namespace

Result<void> install_slice_handler(Vcpu* vcpu) {
  g_vcpu.store(vcpu);
  struct sigaction sa{};
  sa.sa_handler = on_slice;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
  if (sigaction(SIGVTALRM, &sa, nullptr) < 0) return make_error(std::string("sigaction: ") + strerror(errno));
  return {};
}

void set_slice_timer(uint64_t ns) {
  itimerval it{};
  it.it_value.tv_sec = static_cast<time_t>(ns / 1000000000ull);
  it.it_value.tv_usec = static_cast<suseconds_t>((ns % 1000000000ull) / 1000);
  it.it_interval = it.it_value;
  // A failure only means no preemption: threads stay cooperative.
  (void)setitimer(ITIMER_VIRTUAL, &it, nullptr);
}

bool take_slice_tick() {
  if (g_tick == 0) return false;
  g_tick = 0;
  return true;
}

void disarm_slice_handler() { g_vcpu.store(nullptr); }

}  // namespace shoal::vmm
